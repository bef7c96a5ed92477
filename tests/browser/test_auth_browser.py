"""In Chromium: a caseworker logs in with the second factor and sees only their own center;
five wrong passwords lock an account with a Korean message."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bigcare.auth.permissions import Role
from tests.browser.conftest import World, log_in

pytestmark = pytest.mark.browser


def test_caseworker_sees_only_the_own_centers_menu_and_residents(
    page: Page, live_server: str, artifacts_dir: Path, database, world: World
) -> None:
    world.person("1123068", "개포주민가")  # 개포1동: the caseworker's own dong
    world.person("1123060", "대치주민나")  # 대치1동: same gu, another center
    world.person("1122052", "서초주민다")  # 서초2동, 서초구
    log_in(page, live_server, world.account(Role.CASEWORKER, "1123068"))

    menu = page.get_by_role("navigation", name="주 메뉴")
    links = [link.strip() for link in menu.get_by_role("link").all_inner_texts()]
    assert links == [
        "홈",
        "우리 센터",
        "대상자",
        "사례관리",
        "방문 일정",
        "동일인 검토",
        "시설",
        "자료 받기",
        "행정구역",
    ]
    expect(menu.get_by_role("link", name="우리 센터")).to_have_attribute(
        "href", "/districts/centers/1123068"
    )
    expect(page.locator(".bc-account-role")).to_have_text("사례관리자 · 개포1동")

    menu.get_by_role("link", name="대상자").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("대상자")
    table = page.locator("main table")
    expect(table).to_contain_text("개포주민가")
    expect(table).not_to_contain_text("대치주민나")
    expect(table).not_to_contain_text("서초주민다")
    # The RRN and the phone are masked in the list.
    row = table.locator("tr", has_text="개포주민가")
    expect(row).to_contain_text("******")
    expect(row).to_contain_text("-****-")
    page.screenshot(path=artifacts_dir / f"persons-caseworker-{database.kind}.png", full_page=True)

    # An administrator's page is refused, in Korean.
    response = page.goto(live_server + "/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("권한이 없습니다")


def test_five_wrong_passwords_lock_the_account_with_a_korean_message(
    page: Page, live_server: str, artifacts_dir: Path, database, world: World
) -> None:
    account = world.account(Role.WELFARE_PLANNER)
    page.goto(live_server + "/login")
    for attempt in range(1, 6):
        page.get_by_label("아이디").fill(account.user.username)
        page.get_by_label("비밀번호").fill(f"wrong password {attempt}")
        page.get_by_role("button", name="로그인").click()
        alert = page.get_by_role("alert")
        if attempt < 5:
            expect(alert).to_contain_text(f"{5 - attempt}회 더 틀리면 계정이 30분 동안 잠깁니다")
    expect(alert).to_contain_text("비밀번호를 5회 잘못 입력하여 계정이 30분 동안 잠겼습니다")
    page.screenshot(path=artifacts_dir / f"login-locked-{database.kind}.png", full_page=True)

    # Now even the right password is refused until the lock ends.
    page.get_by_label("아이디").fill(account.user.username)
    page.get_by_label("비밀번호").fill(account.password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("alert")).to_contain_text("계정이 30분 동안 잠겼습니다")
    expect(page.get_by_role("button", name="로그아웃")).to_have_count(0)

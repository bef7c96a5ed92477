"""A welfare planner opens BigCare in Chromium and walks Seoul → 강남구 → 개포1동 주민센터."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bigcare.auth.permissions import Role
from tests.browser.conftest import World, log_in

pytestmark = pytest.mark.browser

RARE_SYLLABLES = "똠방각하 햏 쀍 뷁 휔"


def _fonts_used(page: Page, selector: str) -> list[dict[str, object]]:
    """The fonts Chromium actually drew a node's text with (not what CSS asked for)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_walk_from_seoul_to_a_center_in_korean(
    page: Page, live_server: str, artifacts_dir: Path, database, world: World
) -> None:
    log_in(page, live_server, world.account(Role.WELFARE_PLANNER))
    expect(page).to_have_title("홈 | BigCare 통합사례관리")

    page.get_by_role("link", name="행정구역 보기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("서울특별시 행정구역")
    expect(page.locator("table tbody tr")).to_have_count(25)

    page.get_by_role("link", name="강남구", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("강남구")
    expect(page.locator("table tbody tr")).to_have_count(22)

    page.get_by_role("link", name="개포1동 주민센터", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("개포1동 주민센터")
    assert page.url.endswith("/districts/centers/1123068")
    expect(page.get_by_role("link", name="강남구").first).to_be_visible()

    # Korean text is drawn with the fonts BigCare serves, never a system font or tofu —
    # rare syllables outside the Pretendard GOV subset included.
    page.evaluate(
        """text => { const p = document.createElement('p'); p.id = 'rare';
                     p.textContent = text; document.querySelector('main').append(p); }""",
        RARE_SYLLABLES,
    )
    page.evaluate("document.fonts.ready")
    for selector in ("h1", "#rare"):
        fonts = _fonts_used(page, selector)
        assert fonts and all(f["isCustomFont"] for f in fonts), (selector, fonts)
    page.screenshot(path=artifacts_dir / f"center-page-{database.kind}.png", full_page=True)


def test_keyboard_user_can_skip_to_the_content(page: Page, live_server: str) -> None:
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "본문 바로가기"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"

"""In Chromium: a facility uploader sends a CP949 file, confirms its column mapping, finds the
quarantined rows and fixes one; the same file sent again is recognised, not received twice."""

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import delete
from sqlmodel import Session, col

from bigcare.auth.permissions import Role
from bigcare.facilities.models import (
    Facility,
)
from bigcare.privacy import rrn as rrns
from bigcare.privacy.rrn import RRN_PATTERN
from tests.browser.conftest import World, log_in
from tests.conftest import TestDatabase
from tests.factories import SENSITIVE_VALUES, make_facility
from tests.live import Account, forget_facilities

pytestmark = pytest.mark.browser

_rng = random.Random(20240302)
GOOD_RRNS = [
    rrns.make_rrn(date(1942, 5, 17), "F", rng=_rng),
    rrns.make_rrn(date(1951, 9, 8), "M", rng=_rng),
    rrns.make_rrn(date(1939, 11, 2), "M", rng=_rng),
    rrns.make_rrn(date(1946, 1, 30), "F", rng=_rng),
]
# 13월 45일: the RRN's date part is impossible, so the row is quarantined. RRN_PATTERN does
# not match it (month 13), which is why the pages are also searched for its digits.
BAD_DATE_RRN = "501345-1847261"
FIXED_RRN = rrns.make_rrn(date(1950, 12, 15), "M", rng=_rng)
# 방똠이 and 김햏순 use CP949's extension syllables (0x8C63, 0xC164), outside EUC-KR's 2,350.
ROWS = [
    # file row 2..9 (row 1 is the header)
    ["김똘똘", GOOD_RRNS[0], "", "010-2345-6789", "서울특별시 강남구 개포로 310", "개포1동",
     "밑반찬 배달", "2024-03-02", ""],
    ["방똠이", GOOD_RRNS[1], "", "02-123-4567", "서울 강남구 개포로 264", "개포1동",
     "방문 목욕", "2024-03-04", "집전화만 있음"],
    ["이바른", BAD_DATE_RRN, "", "010-8765-4321", "서울특별시 강남구 개포로 310", "개포1동",
     "밑반찬 배달", "2024-03-05", ""],
    ["최없음", "", "", "010-3456-7890", "서울특별시 강남구 개포로 264", "개포1동",
     "정서 지원", "2024-03-05", "주민번호 미제출"],
    ["김햏순", "", "1948-07-21", "010-4567-8901", "서울특별시 강남구 개포로 310", "개포1동",
     "밑반찬 배달", "2024-03-06", ""],
    ["남궁 민수", GOOD_RRNS[2], "1939.11.02", "01056781234", "서울특별시 강남구 개포로 264",
     "개포1동", "방문 목욕", "2024-03-06", ""],
    ["윤기쁨", GOOD_RRNS[3], "", "010-6789-0123", "서울특별시 강남구 개포로 310", "개포1동",
     "정서 지원", "2024-03-07", "보호자 010-9988-7766"],
    ["장순자", "", "1944-02-29", "", "서울특별시 강남구 개포로 264", "개포1동",
     "밑반찬 배달", "2024-03-07", ""],
]  # fmt: skip
HEADER = ["이용자명", "주민번호", "생년월일", "휴대폰", "주소", "행정동", "제공서비스",
          "이용일", "비고"]  # fmt: skip
# file row → the message of its one error, all on 주민번호
QUARANTINED = {
    4: "생년월일 부분이 올바른 날짜가 아닙니다",
    5: "주민등록번호나 생년월일 중 하나는 있어야 합니다",
}
SUGGESTED = {
    "이용자명": "성명",
    "주민번호": "주민등록번호",
    "생년월일": "생년월일",
    "휴대폰": "연락처",
    "주소": "주소",
    "행정동": "행정동",
    "제공서비스": "서비스명",
    "이용일": "제공일",
    "비고": "원본만 보관",
}
PERSONAL = [
    *(r[0] for r in ROWS),
    *(r[1] for r in ROWS if r[1]),
    *(r[3] for r in ROWS if r[3]),
    "남궁민수",  # as the name is stored
    FIXED_RRN,
    "010-9988-7766",
]
SENSITIVE_VALUES.update(PERSONAL)  # the run's log scan must never find them


@dataclass
class Uploader:
    facility_code: str
    account: Account


@pytest.fixture
def uploader(database: TestDatabase, world: World) -> Iterator[Uploader]:
    """A committed 개포1동 community welfare centre and its uploader account; afterwards its
    batches, rows, mapping, the account and the facility are deleted (access-log rows stay)."""
    with Session(database.engine) as session:
        facility = make_facility(
            session, dong_code="1123068", type_code="COMMUNITY_WELFARE", name="개포종합사회복지관"
        )
        code = facility.code
        session.commit()
    try:
        yield Uploader(code, world.account(Role.FACILITY_UPLOADER, code))
    finally:
        with Session(database.engine) as session:
            forget_facilities(session, [code])
        world.clean()  # the account refers to the facility, so it goes before it
        with Session(database.engine) as session:
            session.execute(delete(Facility).where(col(Facility.code) == code))
            session.commit()


def _cp949_file(folder: Path) -> Path:
    lines = [",".join(HEADER), *(",".join(row) for row in ROWS)]
    path = folder / "개포복지관_이용자명단_2024년3월.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp949"))
    return path


def _snap(page: Page, folder: Path, name: str, kind: str) -> None:
    """A full-page screenshot at desktop width and one at a phone's (390 px)."""
    page.screenshot(path=folder / f"intake-{name}-{kind}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=folder / f"intake-{name}-mobile-{kind}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _counts(page: Page, label: str) -> Locator:
    """The cell next to `label` in the batch page's 행 처리 결과 table."""
    table = page.get_by_role("table", name=re.compile("^행 처리 결과"))
    return table.locator(f"tr:has(th:text-is('{label}')) td")


def _count(page: Page, label: str) -> int:
    return int(_counts(page, label).inner_text().replace(",", ""))


def _assert_nothing_personal_unmasked(html: str) -> None:
    assert RRN_PATTERN.search(html) is None
    for value in (*GOOD_RRNS, FIXED_RRN, BAD_DATE_RRN):
        assert value[7:] not in html, "the back of an RRN is on the page"
    for phone in ("010-2345-6789", "010-8765-4321", "010-9988-7766", "02-123-4567"):
        assert phone not in html


def _upload(page: Page, live_server: str, path: Path) -> None:
    page.goto(live_server + "/imports/new")
    page.locator("#f-file").set_input_files(path)
    page.get_by_role("button", name="올리기").click()


def test_uploader_sends_a_cp949_file_maps_it_and_fixes_a_quarantined_row(
    page: Page,
    live_server: str,
    artifacts_dir: Path,
    database: TestDatabase,
    uploader: Uploader,
    tmp_path: Path,
) -> None:
    kind = database.kind
    csv_path = _cp949_file(tmp_path)
    log_in(page, live_server, uploader.account)

    # Upload: the facility is the account's own and already chosen.
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="자료 받기").click()
    page.get_by_role("link", name="파일 올리기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("파일 올리기")
    expect(page.get_by_label("보낸 시설")).to_have_value(uploader.facility_code)
    page.locator("#f-file").set_input_files(csv_path)
    _snap(page, artifacts_dir, "upload", kind)
    page.get_by_role("button", name="올리기").click()

    # The first file from this facility: the mapping is suggested from the headers.
    expect(page.get_by_role("heading", level=1)).to_have_text("열 매핑 확인")
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping$"))
    batch_id = int(page.url.split("/")[-2])
    for i, (header, label) in enumerate(SUGGESTED.items()):
        expect(page.locator(f"label[for=col-{i}]")).to_have_text(header)
        expect(page.locator(f"#col-{i} option:checked")).to_have_text(label)
    expect(page.locator("main")).to_contain_text("김똘똘")  # CP949 Hangul read as Hangul
    expect(page.locator("main")).to_contain_text("방똠이")  # ... extension syllables too
    # Even an RRN with an impossible date (13월) shows only its front half.
    _assert_nothing_personal_unmasked(page.content())
    _snap(page, artifacts_dir, "mapping", kind)

    # Mapping 비고 to 성명 as well is refused, by name; set back, the mapping is confirmed.
    page.locator("#col-8").select_option(label="성명")
    page.get_by_role("button", name="이 매핑으로 확정하고 처리하기").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "'성명'은(는) 이미 '이용자명' 열에 지정되어 있습니다"
    )
    expect(page.locator("#col-8")).to_have_value("name")  # the choice is kept for correcting
    _snap(page, artifacts_dir, "mapping-error", kind)
    page.locator("#col-8").select_option(label="원본만 보관")
    page.get_by_role("button", name="이 매핑으로 확정하고 처리하기").click()

    # The batch: CP949 recognised, every row accounted for, two quarantined.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"받은 자료 #{batch_id}")
    expect(page.locator("#encoding")).to_contain_text("CP949")
    read, accepted, warned = (_count(page, n) for n in ("읽은 행", "정상", "경고 (받음)"))
    assert read == len(ROWS)
    assert _count(page, "오류 (격리)") == len(QUARANTINED)
    assert read == accepted + warned + len(QUARANTINED)
    expect(_counts(page, "합계 확인")).to_have_text("맞음")
    _snap(page, artifacts_dir, "batch", kind)

    # The quarantined rows, one message each, RRNs and phones masked.
    page.get_by_role("link", name=f"오류 행 {len(QUARANTINED)}개 보기·고치기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("오류 (격리) 행")
    rows = page.locator("table.bc-rows tbody tr")
    expect(rows).to_have_count(len(QUARANTINED))
    for number, message in QUARANTINED.items():
        expect(rows.filter(has_text=f"{number}행 주민번호: {message}")).to_have_count(1)
    expect(rows.filter(has_text="이바른")).to_contain_text("501345-1******")
    expect(rows.filter(has_text="이바른")).to_contain_text("010-****-4321")
    _assert_nothing_personal_unmasked(page.content())
    _snap(page, artifacts_dir, "quarantined", kind)

    # Fix row 4: type the right RRN; the masked phone is left as shown and keeps its value.
    page.get_by_role("link", name="4행 보기·고치기", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("4행 · 오류 (격리)")
    expect(page.locator("#row-problems")).to_contain_text(f"4행 주민번호: {QUARANTINED[4]}")
    rrn_field = page.get_by_label("주민번호", exact=True)
    expect(rrn_field).to_have_value("501345-1******")
    expect(rrn_field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("휴대폰", exact=True)).to_have_value("010-****-4321")
    _assert_nothing_personal_unmasked(page.content())
    _snap(page, artifacts_dir, "row-before", kind)
    rrn_field.fill(FIXED_RRN)
    page.get_by_role("button", name="고친 값으로 다시 처리").click()

    expect(page.locator(".bc-notice-success")).to_have_text(
        "고친 값으로 다시 처리했습니다. 결과: 정상"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("4행 · 정상")
    expect(page.locator("#row-problems")).to_have_count(0)
    expect(page.get_by_label("주민번호", exact=True)).to_have_value(FIXED_RRN[:8] + "******")
    expect(page.get_by_label("휴대폰", exact=True)).to_have_value("010-****-4321")
    history = page.locator("table", has=page.locator("caption", has_text="이 행의 이력"))
    expect(history.locator("tbody tr")).to_have_count(1)
    cells = history.locator("tbody tr td")
    expect(cells.nth(0)).to_have_text("값 고침")
    expect(cells.nth(1)).to_have_text("주민번호")  # only the typed column: the phone is unchanged
    expect(cells.nth(2)).to_have_text("오류 · 문제 1건")
    _assert_nothing_personal_unmasked(page.content())
    _snap(page, artifacts_dir, "row-after", kind)

    # The batch now holds one quarantined row fewer, and still balances.
    page.get_by_role("link", name=f"#{batch_id}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"받은 자료 #{batch_id}")
    assert _count(page, "오류 (격리)") == len(QUARANTINED) - 1
    assert _count(page, "정상") == accepted + 1
    expect(_counts(page, "합계 확인")).to_have_text("맞음")

    # The same file again is recognised: no second batch.
    _upload(page, live_server, csv_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"받은 자료 #{batch_id}")
    expect(page.locator("main")).to_contain_text("이미 받았습니다")
    _snap(page, artifacts_dir, "duplicate", kind)
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="자료 받기").click()
    batches = page.locator("main table tbody tr")
    expect(batches).to_have_count(1)
    expect(batches).to_contain_text(f"#{batch_id}")
    expect(batches).to_contain_text(csv_path.name)
    _snap(page, artifacts_dir, "list", kind)

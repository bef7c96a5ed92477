"""In Chromium: a caseworker opens the review queue, compares a candidate pair with its match
weights, decides they are the same person, and finds one person with both source records."""

import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete
from sqlmodel import Session, col, select

from bigcare.auth.permissions import Role
from bigcare.facilities.models import Facility
from bigcare.linkage import service as linkage_service
from bigcare.linkage.models import (
    ReviewItem,
)
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from bigcare.privacy.rrn import RRN_PATTERN
from tests.browser.conftest import World, log_in
from tests.conftest import TestDatabase
from tests.factories import make_facility
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive
from tests.live import forget_facilities

pytestmark = pytest.mark.browser

# Asked for by the reviewers, who open the PNGs from there.
SHOTS = Path("/tmp/shots")  # noqa: S108
_rng = random.Random(20261125)
RRN = rrns.make_rrn(date(1944, 3, 2), "F", rng=_rng)
# One woman at two facilities: a full RRN at the welfare centre; at the senior centre one
# jamo off in the name (순자/순지), birth date only, another phone and building.
FIRST = {
    "name": "김순자",
    "rrn": RRN,
    "phone": "010-2345-6789",
    "address": "서울특별시 강남구 개포로 310",
    "dong": "개포1동",
}
SECOND = {
    "name": "김순지",
    "birth_date": "1944-03-02",
    "sex": "여",
    "phone": "010-2345-6780",
    "address": "서울특별시 강남구 개포로 264",
    "dong": "개포1동",
}


@dataclass
class Pair:
    facilities: tuple[str, str]  # names
    item_id: int


@pytest.fixture
def pair(database: TestDatabase, keyring: Keyring, world: World) -> Iterator[Pair]:
    """Two committed 개포1동 facilities whose records of one woman the model left for review;
    afterwards every row made from them is deleted (access-log rows stay)."""
    with Session(database.engine) as session:
        welfare = make_facility(session, name="개포종합사회복지관")
        senior = make_facility(session, name="개포노인복지센터", type_code="SENIOR_WELFARE")
        codes = [welfare.code, senior.code]
        model = make_link_model(session)
        receive(session, keyring=keyring, facility_code=welfare.code, records=[FIRST])
        [record] = receive(session, keyring=keyring, facility_code=senior.code, records=[SECOND])
        linkage_service.link_pending(session, thresholds=THRESHOLDS)
        item = session.exec(select(ReviewItem).where(ReviewItem.record_id == record)).one()
        found = Pair((welfare.name, senior.name), item.id or 0)
        session.commit()
    try:
        yield found
    finally:
        with Session(database.engine) as session:
            forget_facilities(session, codes, model_version=model.version)
        world.clean()  # accounts go after the decisions that name them
        with Session(database.engine) as session:
            session.execute(delete(Facility).where(col(Facility.code).in_(codes)))
            session.commit()


def _snap(page: Page, folder: Path, name: str, kind: str) -> None:
    """A full-page screenshot at desktop width and one at a phone's (390 px), kept with the
    other browser tests' and copied to /tmp/shots for a person to look at."""
    SHOTS.mkdir(exist_ok=True)
    for suffix, width, height in (("", 1280, 900), ("-mobile", 390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        path = folder / f"review-{name}{suffix}-{kind}.png"
        page.screenshot(path=path, full_page=True)
        shutil.copy(path, SHOTS / path.name)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_caseworker_reviews_a_pair_and_merges_the_two_records(
    page: Page,
    live_server: str,
    artifacts_dir: Path,
    database: TestDatabase,
    world: World,
    pair: Pair,
) -> None:
    kind = database.kind
    log_in(page, live_server, world.account(Role.CASEWORKER))

    # The menu counts the open item; the queue lists it.
    menu = page.get_by_role("navigation", name="주 메뉴")
    expect(menu.get_by_role("link", name="동일인 검토")).to_contain_text("1건 대기")
    menu.get_by_role("link", name="동일인 검토").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("동일인 검토")
    row = page.locator("main table tbody tr", has_text="김순자")
    expect(row).to_contain_text("김순지")
    expect(row).to_contain_text("97.2%")
    _snap(page, artifacts_dir, "queue", kind)
    row.get_by_role("link", name=f"#{pair.item_id}").click()

    # The pair side by side: both names, both facilities, the name row marked as differing.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"동일인 검토 #{pair.item_id}")
    compare = page.get_by_role("table", name=re.compile("의 두 기록$"))
    expect(compare).to_contain_text("김순자")
    expect(compare).to_contain_text("김순지")
    for facility in pair.facilities:
        expect(compare).to_contain_text(facility)
    expect(compare.locator("tr.bc-differs", has_text="성명")).to_contain_text("다름")
    expect(compare.locator("tr", has_text="생년월일")).not_to_contain_text("다름")
    # One bar per comparison, each with its value written beside it, and the total.
    weights = page.get_by_role("table", name="비교 항목별 일치 가중치")
    expect(weights.locator("tbody tr")).to_have_count(6)
    expect(weights.locator("tbody .bc-bar")).to_have_count(6)
    expect(weights.locator("tr", has_text="성명")).to_contain_text("자모 한 글자 차이")
    expect(weights.locator("tr", has_text="성명").locator(".bc-weight-value")).to_have_text("+6.6")
    expect(weights.locator("tr", has_text="성명").locator(".bc-bar-pos")).to_be_visible()
    expect(weights.locator("tr", has_text="전화번호")).to_contain_text("전화번호 다름")
    expect(weights.locator("tr", has_text="전화번호").locator(".bc-weight-value")).to_have_text(
        "−1.7"
    )
    expect(weights.locator("tr", has_text="전화번호").locator(".bc-bar-neg")).to_be_visible()
    expect(page.locator("#match-probability")).to_have_text("97.2%")
    assert RRN_PATTERN.search(page.content()) is None
    assert RRN[7:] not in page.content() and "2345-6789" not in page.content()
    _snap(page, artifacts_dir, "pair", kind)

    # 같은 사람 needs a reason: a too short one is refused, the choice and text kept.
    page.locator("label[for=decision-same]").click()  # KRDS draws the radio on its label
    page.get_by_label("판단 근거").fill("확인")
    page.get_by_role("button", name="판단 저장").click()
    expect(page.locator("#f-note-error")).to_have_text("사유를 5자 이상 입력하세요")
    expect(page.get_by_label("같은 사람")).to_be_checked()
    expect(page.get_by_label("판단 근거")).to_have_value("확인")
    _snap(page, artifacts_dir, "pair-error", kind)
    page.get_by_label("판단 근거").fill("주민센터 전화로 본인 확인, 같은 분")
    page.get_by_role("button", name="판단 저장").click()

    # Nothing left to review: back to the queue, which says what was decided.
    expect(page.get_by_role("heading", level=1)).to_have_text("동일인 검토")
    expect(page.locator("#decided")).to_contain_text(
        f"검토 #{pair.item_id}: 같은 사람으로 정했습니다."
    )
    expect(page.locator("main table tbody")).to_contain_text("검토할 쌍이 없습니다.")
    expect(menu.get_by_role("link", name="동일인 검토")).not_to_contain_text("건 대기")
    page.locator("#decided").get_by_role("link").click()

    # One person, both source records, the decision in the history.
    sources = page.get_by_role("table", name=re.compile("의 출처별 기록 2건$"))
    expect(sources.locator("tbody tr")).to_have_count(2)
    for facility in pair.facilities:
        expect(sources).to_contain_text(facility)
    expect(sources).to_contain_text("김순지")
    expect(sources).to_contain_text("440302-2******")
    expect(sources).to_contain_text("010-****-6780")
    history = page.get_by_role("table", name=re.compile("^연계 이력"))
    expect(history.locator("tr", has_text="병합")).to_contain_text("주민센터 전화로 본인 확인")
    assert RRN_PATTERN.search(page.content()) is None
    _snap(page, artifacts_dir, "person", kind)

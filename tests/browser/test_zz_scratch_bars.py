"""TEMPORARY visual check (deleted after use)."""
from pathlib import Path
import pytest
from playwright.sync_api import Page
from sqlmodel import Session
from bigcare.auth.permissions import Role
from bigcare.linkage.models import ReviewItem
from tests.browser.conftest import World, log_in
from tests.browser.test_review_browser import pair  # noqa: F401

pytestmark = pytest.mark.browser

def test_bars(page: Page, live_server: str, database, world: World, pair) -> None:
    with Session(database.engine) as s:
        it = s.get(ReviewItem, pair.item_id)
        it.evidence = [
            {"comparison": "name", "label": "성명", "level": "자모 한 글자 차이", "weight": 6.64},
            {"comparison": "rrn", "label": "주민등록번호", "level": "비교 안 함", "weight": 0.0},
            {"comparison": "birth", "label": "생년월일", "level": "생년월일 일치", "weight": 11.55},
            {"comparison": "sex", "label": "성별", "level": "성별 일치", "weight": 0.97},
            {"comparison": "phone", "label": "전화번호", "level": "전화번호 다름", "weight": -1.74},
            {"comparison": "address", "label": "주소", "level": "주소 다름", "weight": -2.16},
        ]
        it.match_weight = 15.26
        s.add(it); s.commit()
    log_in(page, live_server, world.account(Role.CASEWORKER))
    page.goto(f"{live_server}/linkage/reviews/{pair.item_id}")
    page.screenshot(path="/tmp/shots/scratch-bars.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/shots/scratch-bars-mobile.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/persons")
    page.locator("main table a").first.click()
    page.screenshot(path="/tmp/shots/scratch-person.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/shots/scratch-person-mobile.png", full_page=True)

"""Debian's Chromium driven by Playwright, against the live server of tests/live.py."""

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.live import Account, World, live_server, world

__all__ = ["World", "live_server", "log_in", "world"]

CHROMIUM = Path("/usr/bin/chromium")
# Flags the closed network here needs: no background calls to Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, live_server: str, account: Account) -> None:
    """Log in through the form, with the authenticator code when the role needs one."""
    page.goto(live_server + "/login")
    page.get_by_label("아이디").fill(account.user.username)
    page.get_by_label("비밀번호").fill(account.password)
    page.get_by_role("button", name="로그인").click()
    if account.totp_secret:
        expect(page.get_by_role("heading", level=1)).to_have_text("2단계 인증")
        page.get_by_label("인증 번호").fill(pyotp.TOTP(account.totp_secret).now())
        page.get_by_role("button", name="확인").click()
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()

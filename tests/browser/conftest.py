"""A live BigCare server on the test database, and Debian's Chromium driven by Playwright."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import delete
from sqlmodel import Session

from bigcare.app import create_app
from bigcare.auth import sessions as auth_sessions
from bigcare.auth.models import RecoveryCode, User, UserSession
from bigcare.auth.permissions import Role, requires_second_factor
from bigcare.cases.models import Person
from bigcare.config import Settings
from bigcare.privacy.crypto import Keyring
from tests.conftest import TestDatabase
from tests.factories import PASSWORD, make_person, make_user

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(database: TestDatabase, keyring: Keyring) -> Iterator[str]:
    """BigCare served on 127.0.0.1 over the run's seeded database."""
    app = create_app(
        Settings(database_url=database.url, demo=True), engine=database.engine, keyring=keyring
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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


@dataclass
class Account:
    """A committed account the live server can log in with (the server has its own sessions)."""

    user: User
    password: str
    totp_secret: str | None


class World:
    """Rows a browser test commits to the run's database, deleted again afterwards (the live
    server cannot see a test's rolled-back transaction). Access-log rows stay: they are
    append-only by design."""

    def __init__(self, database: TestDatabase, keyring: Keyring) -> None:
        self.database, self.keyring = database, keyring
        self.users: list[int] = []
        self.persons: list[int] = []

    def account(self, role: Role, scope_code: str | None = "1123068") -> Account:
        with Session(self.database.engine) as session:
            user = make_user(session, role=role, scope_code=scope_code)
            secret = None
            if requires_second_factor(role):
                secret, _ = auth_sessions.enrol_totp_directly(
                    session, user=user, keyring=self.keyring
                )
            session.commit()
            session.refresh(user)
            self.users.append(user.id or 0)
            session.expunge(user)
        return Account(user=user, password=PASSWORD, totp_secret=secret)

    def person(self, dong_code: str, name: str) -> None:
        with Session(self.database.engine) as session:
            person = make_person(session, keyring=self.keyring, dong_code=dong_code, name=name)
            session.commit()
            self.persons.append(person.id or 0)

    def clean(self) -> None:
        with Session(self.database.engine) as session:
            session.execute(delete(Person).where(Person.id.in_(self.persons)))  # type: ignore[union-attr]
            for table in (UserSession, RecoveryCode):
                session.execute(delete(table).where(table.user_id.in_(self.users)))  # type: ignore[attr-defined]
            session.execute(delete(User).where(User.id.in_(self.users)))  # type: ignore[union-attr]
            session.commit()


@pytest.fixture
def world(database: TestDatabase, keyring: Keyring) -> Iterator[World]:
    created = World(database, keyring)
    yield created
    created.clean()


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

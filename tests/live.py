"""A live BigCare server on the run's database, and rows committed for it (the server runs in
its own thread with its own sessions, so it cannot see a test's rolled-back transaction)."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy import delete
from sqlmodel import Session

from bigcare.app import create_app
from bigcare.auth import sessions as auth_sessions
from bigcare.auth.models import RecoveryCode, User, UserSession
from bigcare.auth.permissions import Role, requires_second_factor
from bigcare.config import Settings
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring
from tests.conftest import TestDatabase
from tests.factories import PASSWORD, make_person, make_user


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

    def person(self, dong_code: str, name: str) -> int:
        with Session(self.database.engine) as session:
            person = make_person(session, keyring=self.keyring, dong_code=dong_code, name=name)
            session.commit()
            self.persons.append(person.id or 0)
            return person.id or 0

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

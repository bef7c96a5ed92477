"""Many requests at once against one live server: nobody gets an error, nothing is lost.
Every person read writes an access-log row, so each request is a write; on SQLite they must
queue for the write lock rather than fail with "database is locked"."""

import re
from concurrent.futures import ThreadPoolExecutor

import httpx2
from sqlmodel import Session, col, func, select

from bigcare.auth.audit import verify_chain
from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from tests.conftest import TestDatabase
from tests.live import World, live_server, world

__all__ = ["live_server", "world"]
REQUESTS, THREADS = 120, 16


def _log_in(base: str, username: str, password: str) -> dict[str, str]:
    with httpx2.Client(base_url=base) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        assert response.status_code == 303
        return dict(client.cookies)


def test_concurrent_reads_all_succeed_and_are_all_logged(
    live_server: str, world: World, database: TestDatabase
) -> None:
    account = world.account(Role.WELFARE_PLANNER)
    person_id = world.person("1123068", "동시조회")
    cookies = _log_in(live_server, account.user.username, account.password)

    def read(_: int) -> int:
        with httpx2.Client(base_url=live_server, cookies=cookies, timeout=30) as client:
            return client.get(f"/persons/{person_id}").status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(read, range(REQUESTS)))
    assert statuses == [200] * REQUESTS

    with Session(database.engine) as session:
        logged = session.exec(
            select(func.count()).where(
                AccessLog.action == "person.read",
                AccessLog.subject_person_id == person_id,
                col(AccessLog.user_id) == account.user.id,
            )
        ).one()
        assert logged == REQUESTS
        # Appended by many requests at once, the chain still links row to row.
        assert verify_chain(session).ok

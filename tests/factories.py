"""Plain factory functions: build the rows a test needs, with sensible defaults."""

import random
import secrets
from collections.abc import Callable
from datetime import date, timedelta

from faker import Faker
from fastapi.testclient import TestClient
from sqlmodel import Session

from bigcare.auth import deps
from bigcare.auth import service as auth_service
from bigcare.auth import sessions as auth_sessions
from bigcare.auth.models import User
from bigcare.auth.permissions import Role, ScopeKind
from bigcare.cases import service as cases_service
from bigcare.districts.models import Dong, Gu
from bigcare.facilities import service as facilities_service
from bigcare.facilities.models import Facility
from bigcare.linkage.models import Person
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring


def _free_code(session: Session, model: type, draw: Callable[[], str]) -> str:
    """A random code not taken yet in this test's database (two tests' random codes may meet)."""
    while True:
        code = draw()
        if session.get(model, code) is None:
            return code


def make_gu(session: Session, **overrides: object) -> Gu:
    """A gu outside Seoul's real code range (real ones are 11010–11250)."""
    values: dict[str, object] = {
        "code": _free_code(session, Gu, lambda: f"119{secrets.randbelow(100):02d}"),
        "name": f"시험{secrets.token_hex(2)}구",
        "lat": 37.55,
        "lon": 126.98,
    }
    gu = Gu(**(values | overrides))
    session.add(gu)
    session.flush()
    return gu


def make_dong(session: Session, *, gu: Gu | None = None, **overrides: object) -> Dong:
    """A dong in `gu` (a new test gu when not given)."""
    gu = gu or make_gu(session)
    values: dict[str, object] = {
        "code": _free_code(session, Dong, lambda: f"{gu.code}{secrets.randbelow(100):02d}"),
        "gu_code": gu.code,
        "name": f"시험{secrets.token_hex(2)}동",
        "lat": 37.55,
        "lon": 126.98,
    }
    dong = Dong(**(values | overrides))
    session.add(dong)
    session.flush()
    return dong


# --- accounts, facilities, persons -------------------------------------------------------

# Every name, phone and RRN a factory makes is remembered: the run's log scan (conftest.py)
# fails if any of them ever reaches the log output.
SENSITIVE_VALUES: set[str] = set()
PASSWORD = "correct horse battery"  # long, not on the common list, no username in it
_faker = Faker("ko_KR")
_rng = random.Random()


def make_facility(session: Session, *, dong_code: str = "1123068", **overrides: object) -> Facility:
    """A facility in a dong (개포1동 unless given)."""
    values: dict[str, object] = {
        "code": f"FT{secrets.token_hex(4)}",
        "name": f"시험{secrets.token_hex(2)}복지관",
        "type_code": "COMMUNITY_WELFARE",
        "dong_code": dong_code,
    }
    values |= overrides
    return facilities_service.create_facility(session, **values)  # type: ignore[arg-type]


def make_user(
    session: Session,
    *,
    role: Role = Role.CASEWORKER,
    scope_code: str | None = "1123068",
    password: str = PASSWORD,
    **overrides: object,
) -> User:
    """An active account; city-wide roles ignore scope_code."""
    if role.scope_kind is ScopeKind.CITY:
        scope_code = None
    values: dict[str, object] = {
        "by": "test",
        "username": f"u{secrets.token_hex(5)}",
        "display_name": "시험 사용자",
        "role": role,
        "scope_code": scope_code,
        "password": password,
    }
    return auth_service.create_user(session, **(values | overrides))  # type: ignore[arg-type]


def make_person(
    session: Session,
    *,
    keyring: Keyring,
    dong_code: str = "1123068",
    **overrides: object,
) -> Person:
    """A resident with a generated name, a structurally valid RRN and a mobile number."""
    born = date(1940, 1, 1) + timedelta(days=_rng.randrange(365 * 60))
    sex = _rng.choice(["M", "F"])
    values: dict[str, object] = {
        "name": _faker.last_name() + _faker.first_name(),
        "rrn": rrns.make_rrn(born, sex, rng=_rng),  # type: ignore[arg-type]
        "phone": f"010-{_rng.randint(2000, 9999)}-{_rng.randint(0, 9999):04d}",
        "address": "서울특별시 강남구 개포로 1",
    }
    values |= overrides
    for key in ("name", "rrn", "phone"):
        if isinstance(values.get(key), str):
            SENSITIVE_VALUES.add(str(values[key]))
    return cases_service.create_person(
        session,
        keyring=keyring,
        dong_code=dong_code,
        **values,  # type: ignore[arg-type]
    )


def sign_in(client: TestClient, session: Session, user: User) -> str:
    """Give the test client a real server-side session for `user` (second factor done) and
    return its CSRF token. Login itself is tested through the form in tests/auth."""
    token, login_session = auth_sessions.start_session(
        session, user=user, ip="testclient", user_agent="pytest"
    )
    client.cookies.set(deps.SESSION_COOKIE, token)
    return login_session.csrf_secret

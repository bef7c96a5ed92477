"""Plain factory functions: build the rows a test needs, with sensible defaults."""

import secrets

from sqlmodel import Session

from bigcare.districts.models import Dong, Gu


def make_gu(session: Session, **overrides: object) -> Gu:
    """A gu outside Seoul's real code range (real ones are 11010–11250)."""
    values: dict[str, object] = {
        "code": f"119{secrets.randbelow(100):02d}",
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
        "code": f"{gu.code}{secrets.randbelow(100):02d}",
        "gu_code": gu.code,
        "name": f"시험{secrets.token_hex(2)}동",
        "lat": 37.55,
        "lon": 126.98,
    }
    dong = Dong(**(values | overrides))
    session.add(dong)
    session.flush()
    return dong

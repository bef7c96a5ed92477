"""The engine: SQLite pragmas, foreign keys and transactions behave as on PostgreSQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bigcare.db import make_engine
from bigcare.districts.models import Dong
from tests.conftest import TestDatabase


def test_sqlite_connections_use_wal_foreign_keys_and_full_sync(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_a_dong_in_an_unknown_gu_is_refused(session: Session) -> None:
    session.add(Dong(code="1199901", gu_code="11999", name="없는동", lat=37.5, lon=127.0))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_rolled_back_savepoint_keeps_the_outer_work(session: Session) -> None:
    dong = session.get(Dong, "1123068")
    assert dong is not None
    dong.name = "바뀐동"
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Dong(code="1199902", gu_code="11999", name="없는동", lat=37.5, lon=127.0))
        session.flush()
    assert session.get(Dong, "1123068").name == "바뀐동"


def test_each_test_starts_from_the_seeded_database(database: TestDatabase) -> None:
    # The test above renamed 개포1동 inside its own transaction; nothing of it may remain.
    with database.engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM dong WHERE code = '1123068'")).scalar()
    assert name == "개포1동"


def test_database_errors_never_carry_the_values_they_were_given(session: Session) -> None:
    session.add(Dong(code="1199903", gu_code="11999", name="비밀이름동", lat=37.5, lon=127.0))
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    assert "비밀이름동" not in str(caught.value)

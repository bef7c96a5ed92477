"""The `bigcare` command, run the way an operator runs it."""

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bigcare.cli import QuerylessAccessLog, app
from bigcare.config import get_settings
from bigcare.db import make_engine
from bigcare.privacy.crypto import Keyring
from tests.conftest import ScratchDatabases, TestDatabase

runner = CliRunner()


@pytest.fixture
def database_url(
    database: TestDatabase, scratch_databases: ScratchDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database of the run's kind, named by BIGCARE_DATABASE_URL as in production."""
    url = scratch_databases.new(database.kind)
    monkeypatch.setenv("BIGCARE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_demo_no_serve_builds_a_fresh_database_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bigcare.db").write_bytes(b"stale file from an earlier demo")
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "행정동 424개" in result.output
    url = f"sqlite:///{tmp_path / 'bigcare.db'}"
    assert _count(url, "dong") == 424
    assert _count(url, "center") == 424


def test_db_upgrade_seed_and_current(database_url: str) -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0 and "업그레이드 필요" in result.output

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(app, ["seed"])
    assert first.exit_code == 0 and "새로 추가 873건" in first.output
    again = runner.invoke(app, ["seed"])
    assert again.exit_code == 0 and "새로 추가 0건, 갱신 0건" in again.output
    assert _count(database_url, "gu") == 25

    current = runner.invoke(app, ["db", "current"])
    assert "최신" in current.output and "업그레이드 필요" not in current.output


def test_db_downgrade_to_base_empties_the_schema(database_url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert "업그레이드 필요" in runner.invoke(app, ["db", "current"]).output


def test_seed_on_a_database_without_schema_says_what_to_do(database_url: str) -> None:
    result = runner.invoke(app, ["seed"])
    assert result.exit_code == 1
    assert "bigcare db upgrade" in result.output


def test_serve_refuses_to_start_without_a_data_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no bigcare.key here, and no BIGCARE_DATA_KEY
    monkeypatch.delenv("BIGCARE_DATA_KEY", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "데이터 암호키가 없습니다" in result.output
    assert not (tmp_path / "bigcare.key").exists()  # only the demo makes up a key


def test_serve_refuses_a_busy_port_in_korean(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGCARE_DATA_KEY", Keyring.generate().serialize())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert "포트를 이미 다른 프로그램이 쓰고" in result.output


def test_access_log_never_carries_query_strings() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/people?q=김철수&rrn=800101", "1.1", 200),
        None,
    )
    assert QuerylessAccessLog().filter(record)
    assert "김철수" not in record.getMessage()
    assert '"GET /people HTTP/1.1" 200' in record.getMessage()

"""Test databases: each run builds a throwaway SQLite file and a throwaway PostgreSQL database
with `alembic upgrade head`, seeds Seoul's districts once, and rolls every test back.

Every test that asks for `database` (directly or through `session`/`client`) runs once per
database; `--db sqlite` or `--db postgresql` narrows a local run.
"""

import logging
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command as alembic_command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bigcare.app import create_app
from bigcare.auth.models import User
from bigcare.auth.permissions import Role
from bigcare.config import SEED_DIR, Settings
from bigcare.db import alembic_config, get_session, make_engine, unit_of_work
from bigcare.districts import service as districts_service
from bigcare.facilities import service as facilities_service
from bigcare.privacy.crypto import Keyring
from bigcare.privacy.logs import redacting_handler
from bigcare.privacy.rrn import RRN_PATTERN
from tests.factories import SENSITIVE_VALUES, make_user, sign_in

DATABASES = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL = os.environ.get(
    "BIGCARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        action="append",
        choices=DATABASES,
        help="run database tests only on this database (repeatable; default: both)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("db") or list(DATABASES)
        metafunc.parametrize("database", chosen, indirect=True, scope="session")


@dataclass
class TestDatabase:
    """A migrated, seeded database for the whole run."""

    __test__ = False
    kind: str
    url: str
    engine: Engine


class ScratchDatabases:
    """Creates empty databases of either kind and drops them at the end of the run."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    def new(self, kind: str) -> str:
        """The URL of a new, empty database."""
        name = f"bigcare_test_{secrets.token_hex(4)}"
        if kind == "sqlite":
            return f"sqlite:///{self.tmp_dir / f'{name}.db'}"
        admin = _postgres_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)

    def drop_all(self) -> None:
        if not self.created:
            return
        admin = _postgres_admin()
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_admin() -> Engine:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {make_url(POSTGRES_ADMIN_URL)!r}: start it "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set "
            f"BIGCARE_TEST_POSTGRES_URL. PostgreSQL tests are never skipped. ({exc.orig})"
        )
    return engine


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabases]:
    scratch = ScratchDatabases(tmp_path_factory.mktemp("databases"))
    yield scratch
    scratch.drop_all()


@pytest.fixture(scope="session")
def database(
    request: pytest.FixtureRequest, scratch_databases: ScratchDatabases
) -> Iterator[TestDatabase]:
    """The run's database of one kind: schema by Alembic, Seoul's districts seeded."""
    kind = request.param
    url = scratch_databases.new(kind)
    alembic_command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        districts_service.seed_districts(session, csv_path=SEED_DIR / districts_service.DONGS_CSV)
        facilities_service.seed_types(session, csv_path=SEED_DIR / facilities_service.TYPES_CSV)
        session.commit()
    yield TestDatabase(kind=kind, url=url, engine=engine)
    engine.dispose()


@pytest.fixture
def session(database: TestDatabase) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = database.engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    """The run's data key ring (one fresh key), as the app would load from BIGCARE_DATA_KEY."""
    return Keyring.generate("test1")


@pytest.fixture
def app_settings(database: TestDatabase, tmp_path: Path) -> Settings:
    # Case attachments land in the test's own folder, never in the working tree.
    return Settings(database_url=database.url, demo=True, attachments_dir=tmp_path / "attachments")


@pytest.fixture
def client(
    database: TestDatabase, session: Session, app_settings: Settings, keyring: Keyring
) -> TestClient:
    """The web app on the test database, not signed in. Every request runs inside the test's
    transaction with the production commit/rollback rules (a failed request rolls back to a
    savepoint, keeping its access-log rows), and everything is undone after the test."""
    app = create_app(app_settings, engine=database.engine, keyring=keyring)

    def request_session() -> Iterator[Session]:
        yield from unit_of_work(session, nested=True)

    app.dependency_overrides[get_session] = request_session
    return TestClient(app)


@pytest.fixture
def caseworker(session: Session) -> User:
    """A caseworker at 개포1동 (강남구)."""
    return make_user(session, role=Role.CASEWORKER, scope_code="1123068")


@pytest.fixture
def staff_client(client: TestClient, session: Session, caseworker: User) -> TestClient:
    """The web app signed in as the 개포1동 caseworker; `staff_client.csrf` holds the token."""
    client.csrf = sign_in(client, session, caseworker)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests keep files a person may want to look at (screenshots, PDFs)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


# --- reporting: counts per database, and no skipped test in CI ---------------------------

_outcomes: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        kind = next(
            (k for k in DATABASES if f"[{k}" in report.nodeid or f"-{k}]" in report.nodeid),
            "no database",
        )
        if "browser" in report.keywords:
            kind += " (browser)"
        _outcomes[(kind, report.outcome)] += 1


def _skipped_in_ci() -> bool:
    return bool(os.environ.get("CI")) and any(o == "skipped" for _, o in _outcomes.elements())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    _report_log_scan(terminalreporter)
    if not _outcomes:
        return
    if _skipped_in_ci():
        terminalreporter.write_line(
            "CI: skipped tests count as failures here — every test must run.", red=True
        )
    terminalreporter.section("tests per database")
    for kind in sorted({k for k, _ in _outcomes}):
        parts = [
            f"{_outcomes[(kind, o)]} {o}"
            for o in ("passed", "failed", "skipped")
            if _outcomes[(kind, o)]
        ]
        terminalreporter.write_line(f"{kind}: {', '.join(parts)}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # In CI a skipped test is a test that did not run: fail the run rather than hide it.
    if _skipped_in_ci():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    # Runs before the terminal summary that reports it.
    if _scan_run_log():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- the run's log output must hold no RRN, name or phone --------------------------------

# BIGCARE_TEST_RUN_LOG lets two runs on one checkout keep separate logs.
RUN_LOG = Path(os.environ.get("BIGCARE_TEST_RUN_LOG", ARTIFACTS_DIR / "test-run.log"))
_log_leaks: list[str] = []
_log_handler: logging.Handler | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Write every INFO+ record of the whole run through the production log handler (the same
    redacting handler `bigcare serve` and the CLI use) into test-artifacts/test-run.log."""
    global _log_handler
    if hasattr(config, "workerinput"):
        return
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    _log_handler = redacting_handler(RUN_LOG.open("w", encoding="utf-8"))
    _log_handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(_log_handler)
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    # The test HTTP client logs every URL it calls, query strings included; that is the test
    # harness talking, not BigCare (whose own access log drops query strings).
    logging.getLogger("httpx2").setLevel(logging.WARNING)


def scan_log(text: str, sensitive: set[str]) -> list[str]:
    """Lines of log text that carry an RRN-shaped number or a known name, phone or RRN."""
    leaks = []
    for line in text.splitlines():
        if RRN_PATTERN.search(line):
            leaks.append(f"RRN-shaped number: {line[:200]}")
            continue
        found = next((value for value in sensitive if len(value) >= 2 and value in line), None)
        if found is not None:
            leaks.append(f"personal value: {line[:200]}")
    return leaks


def pytest_unconfigure(config: pytest.Config) -> None:
    if _log_handler is not None:
        _log_handler.close()


_log_lines = 0


def _scan_run_log() -> list[str]:
    global _log_lines
    if _log_handler is None:
        return []
    _log_handler.flush()
    text = RUN_LOG.read_text(encoding="utf-8")
    _log_lines = text.count("\n")
    _log_leaks[:] = scan_log(text, SENSITIVE_VALUES)
    return _log_leaks


def _report_log_scan(terminalreporter: pytest.TerminalReporter) -> None:
    if _log_handler is None:
        return
    terminalreporter.section("log scan")
    terminalreporter.write_line(
        f"{RUN_LOG.name}: {_log_lines:,} lines at INFO and above, checked for RRN-shaped "
        f"numbers and {len(SENSITIVE_VALUES):,} generated names, phones and RRNs"
    )
    for leak in _log_leaks[:20]:
        terminalreporter.write_line(leak, red=True)
    if _log_leaks:
        terminalreporter.write_line(
            f"{len(_log_leaks)} log lines carry personal data: the run fails.", red=True
        )

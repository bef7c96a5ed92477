"""The `bigcare` command, run the way an operator runs it."""

import logging
import random
import re
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import time_machine
from sqlalchemy import inspect, select, text
from sqlmodel import Session
from typer.testing import CliRunner, Result

from bigcare.auth import sessions as auth_sessions
from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role, requires_second_factor
from bigcare.cases import service as cases_service
from bigcare.cases.models import Household, HouseholdMember
from bigcare.cli import QuerylessAccessLog, app
from bigcare.config import get_settings
from bigcare.db import make_engine, seoul_today
from bigcare.linkage.models import Person
from bigcare.outreach import calendar as outreach_calendar
from bigcare.outreach import service as outreach_service
from bigcare.outreach.models import OutreachStaff
from bigcare.privacy.crypto import Keyring, read_key_file, write_key_file
from bigcare.privacy.rrn import make_rrn, parse_rrn
from tests.conftest import ScratchDatabases, TestDatabase
from tests.factories import PASSWORD, make_person, make_user

runner = CliRunner()


@contextmanager
def _root_handlers_kept() -> Iterator[None]:
    """Take off the root log handlers added meanwhile. A command sets up logging as its own
    process would, on the runner's stderr; once that stream is closed, later tests or
    commands logging through it would fail."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    with _root_handlers_kept():
        yield


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
    # Every linked person has a household; the demo caseworker has a case at every stage,
    # two of them past a deadline.
    active = _count(url, "person WHERE status = 'active'")
    assert active > 100 and _count(url, "household_member") == active
    assert _count(url, "welfare_case WHERE caseworker_id IS NOT NULL") == 12
    assert _count(url, "(SELECT DISTINCT stage FROM welfare_case) AS s") == 9
    assert (
        _count(url, "welfare_case WHERE assessed_on IS NULL AND assessment_due < date('now')") >= 1
    )
    assert "사례 12건" in result.output
    # Outreach: rules seeded, staff at every center, the demo gu's 22 centers planned with
    # every must-visit in, and on a working day today's first visits recorded and re-planned.
    assert _count(url, "visit_rule") == 7
    assert _count(url, "(SELECT DISTINCT dong_code FROM outreach_staff) AS s") == 424
    assert _count(url, "week_plan WHERE dong_code LIKE '11230%'") == 22
    assert _count(url, "week_plan WHERE must_planned < must_total") == 0
    assert (
        _count(url, "visit v JOIN week_plan p ON p.id = v.plan_id WHERE p.dong_code = '1123068'")
        > 5
    )
    if outreach_calendar.is_working_day(seoul_today()):
        assert _count(url, "visit WHERE status = 'done'") == 1
        assert _count(url, "visit_target WHERE rule_code = 'revisit'") == 1
    assert "찾아가는 동주민센터" in result.output


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


# --- users, keys, audit, otp, demo accounts ---------------------------------------------

TEMPORARY_PASSWORD = re.compile(r"임시 비밀번호: (\S+)")
DEMO_ACCOUNTS = {
    "cw.gaepo1": Role.CASEWORKER,
    "planner.gaepo1": Role.WELFARE_PLANNER,
    "nurse.gaepo1": Role.VISITING_NURSE,
    "head.gaepo1": Role.CENTER_MANAGER,
    "gu.gangnam": Role.GU_MANAGER,
    "city.manager": Role.CITY_MANAGER,
    "facility.uploader": Role.FACILITY_UPLOADER,
    "admin": Role.ADMIN,
}


@contextmanager
def _open(url: str) -> Iterator[Session]:
    """A session on a database the CLI works on, as another process would see it."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _migrate_and_seed() -> None:
    with _root_handlers_kept():
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["seed"]).exit_code == 0


def _create_nurse(url: str, username: str = "nurse.new") -> str:
    """An account without a second factor, made directly; its password."""
    with _open(url) as session:
        make_user(session, role=Role.VISITING_NURSE, username=username, password=PASSWORD)
        session.commit()
    return PASSWORD


def _users_create(*args: str) -> Result:
    return runner.invoke(app, ["users", "create", *args])


def _login(url: str, username: str, password: str) -> auth_sessions.LoginOutcome:
    with _open(url) as session:
        outcome = auth_sessions.login(
            session, username=username, password=password, ip="127.0.0.1", user_agent="cli-test"
        )
        session.commit()
        if outcome.user is not None:
            session.refresh(outcome.user)
        return outcome


def test_users_create_prints_a_temporary_password_the_user_must_change(
    database_url: str,
) -> None:
    _migrate_and_seed()

    result = _users_create(
        "nurse.new", "--role", "visiting_nurse", "--name", "박간호", "--scope", "1123068"
    )

    assert result.exit_code == 0, result.output or repr(result.exception)
    assert "방문간호사 계정 nurse.new을(를) 만들었습니다" in result.output
    found = TEMPORARY_PASSWORD.search(result.output)
    assert found is not None and len(found.group(1)) >= 16
    outcome = _login(database_url, "nurse.new", found.group(1))
    assert outcome.ok and outcome.user is not None
    assert outcome.user.must_change_password
    assert outcome.user.role == "visiting_nurse" and outcome.user.dong_code == "1123068"
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and "nurse.new" in listed.output and "사용 중" in listed.output


def test_users_create_refuses_a_duplicate_or_a_missing_scope(database_url: str) -> None:
    _migrate_and_seed()
    _create_nurse(database_url)
    again = _users_create(
        "nurse.new", "--role", "visiting_nurse", "--name", "박간호", "--scope", "1123068"
    )
    assert again.exit_code == 1 and "이미 있습니다" in again.output
    unscoped = _users_create("cw.other", "--role", "caseworker", "--name", "김사례")
    assert unscoped.exit_code == 1 and "코드가 필요합니다" in unscoped.output
    assert "임시 비밀번호" not in again.output + unscoped.output


def test_users_disable_ends_the_account(database_url: str) -> None:
    _migrate_and_seed()
    password = _create_nurse(database_url)

    result = runner.invoke(app, ["users", "disable", "nurse.new"])

    assert result.exit_code == 0, result.output
    assert "비활성화했습니다" in result.output
    outcome = _login(database_url, "nurse.new", password)
    assert not outcome.ok and outcome.message == auth_sessions.LOGIN_FAILED
    assert "비활성" in runner.invoke(app, ["users", "list"]).output


def test_users_reset_password_issues_a_new_temporary_password(database_url: str) -> None:
    _migrate_and_seed()
    old = _create_nurse(database_url)

    result = runner.invoke(app, ["users", "reset-password", "nurse.new"])

    assert result.exit_code == 0, result.output
    found = TEMPORARY_PASSWORD.search(result.output)
    assert found is not None and found.group(1) != old
    assert not _login(database_url, "nurse.new", old).ok
    outcome = _login(database_url, "nurse.new", found.group(1))
    assert outcome.ok and outcome.user is not None and outcome.user.must_change_password


def test_users_commands_for_an_unknown_account_fail_in_korean(database_url: str) -> None:
    _migrate_and_seed()
    for command in ("disable", "reset-password", "unlock"):
        result = runner.invoke(app, ["users", command, "nobody.here"])
        assert result.exit_code == 1, command
        assert "아이디 'nobody.here'을(를) 찾을 수 없습니다" in result.output


def test_keys_rotate_reseals_everything_and_leaves_one_new_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "bigcare.key"
    monkeypatch.delenv("BIGCARE_DATA_KEY", raising=False)
    monkeypatch.setenv("BIGCARE_DATA_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    _migrate_and_seed()
    old = Keyring.generate("k1")
    write_key_file(key_file, old)
    rrns = ["800101-1234560", "851231-2345673"]
    with _open(database_url) as session:
        for rrn in rrns:
            make_person(session, keyring=old, rrn=rrn)
        user = make_user(session, role=Role.CASEWORKER)
        secret, _ = auth_sessions.enrol_totp_directly(session, user=user, keyring=old)
        user_id = user.id
        session.commit()

    result = runner.invoke(app, ["keys", "rotate"])

    assert result.exit_code == 0, result.output
    assert "person.rrn_sealed: 2개 값" in result.output
    assert "app_user.totp_secret_sealed: 1개 값" in result.output
    new = read_key_file(key_file)
    assert len(new.key_ids) == 1 and new.current_id != "k1"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with _open(database_url) as session:
        tokens = session.scalars(select(Person.rrn_sealed).order_by(Person.id)).all()
        assert all(t and t.startswith(f"v1:{new.current_id}:") for t in tokens)
        assert [new.open(t or "", context="rrn") for t in tokens] == rrns
        for rrn in rrns:
            assert cases_service.find_person_by_rrn(session, keyring=new, rrn=rrn) is not None
        sealed = session.scalars(select(User.totp_secret_sealed).where(User.id == user_id)).one()
        assert new.open(sealed or "", context="totp") == secret
        rotated = session.scalars(select(AccessLog).where(AccessLog.action == "keys.rotate"))
        assert [r.target for r in rotated] == [f"key {new.current_id}: 3 values"]
    # The data stays readable to the app started with the new file.
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_keys_rotate_without_a_key_fails_and_makes_none(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "bigcare.key"
    monkeypatch.delenv("BIGCARE_DATA_KEY", raising=False)
    monkeypatch.setenv("BIGCARE_DATA_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    _migrate_and_seed()
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 1 and "데이터 암호키가 없습니다" in result.output
    assert not key_file.exists()


def test_keys_new_prints_a_keyring_that_parses() -> None:
    result = runner.invoke(app, ["keys", "new"])
    assert result.exit_code == 0
    assert len(Keyring.parse(result.output.strip()).key_ids) == 1


def test_audit_verify_passes_a_clean_log_and_fails_after_tampering(database_url: str) -> None:
    _migrate_and_seed()
    _create_nurse(database_url, "nurse.one")
    _create_nurse(database_url, "nurse.two")

    clean = runner.invoke(app, ["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "이상 없음" in clean.output

    with _open(database_url) as session:
        first = session.scalars(select(AccessLog.id).order_by(AccessLog.id)).first()
        session.execute(
            text("UPDATE access_log SET target = 'user:999' WHERE id = :id"), {"id": first}
        )
        session.commit()
    tampered = runner.invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1
    assert f"{first}번 기록의 내용이 기록된 뒤 바뀌었습니다" in tampered.output


def test_audit_purge_refuses_records_younger_than_two_years(database_url: str) -> None:
    _migrate_and_seed()
    _create_nurse(database_url)
    a_year_ago = (date.today() - timedelta(days=365)).isoformat()
    result = runner.invoke(app, ["audit", "purge", "--before", a_year_ago])
    assert result.exit_code == 1 and "2년 이상 보관해야 합니다" in result.output
    assert _count(database_url, "access_log") == 1
    bad = runner.invoke(app, ["audit", "purge", "--before", "last year"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output


def test_audit_review_reports_the_month(database_url: str) -> None:
    _migrate_and_seed()
    _create_nurse(database_url)
    month = date.today().strftime("%Y-%m")
    result = runner.invoke(app, ["audit", "review", "--month", month])
    assert result.exit_code == 0, result.output
    assert f"{month}: 기록 1건, 살펴볼 유형 0건" in result.output
    bad = runner.invoke(app, ["audit", "review", "--month", "2025-13"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output


def test_otp_prints_the_current_six_digit_code() -> None:
    secret = pyotp.random_base32()
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, 15, tzinfo=UTC), tick=False):
        expected = pyotp.TOTP(secret).now()
        result = runner.invoke(app, ["otp", secret])
        # Typed as an authenticator app shows it: lower case, in groups of four.
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
        spaced = runner.invoke(app, ["otp", grouped])
    assert result.exit_code == 0
    assert re.fullmatch(r"\d{6}", result.output.strip())
    assert result.output.strip() == expected == spaced.output.strip()


def test_otp_refuses_a_secret_that_is_not_base32() -> None:
    result = runner.invoke(app, ["otp", "not-a-secret!"])
    assert result.exit_code == 1 and "base32 비밀키가 아닙니다" in result.output


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read afresh, without a data key from the environment."""
    monkeypatch.delenv("BIGCARE_DATA_KEY", raising=False)
    monkeypatch.delenv("BIGCARE_DATA_KEY_FILE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_demo_no_serve_prints_the_accounts_and_seals_every_rrn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bigcare.key").write_text("k0:stale key of an earlier demo\n")

    result = runner.invoke(app, ["demo", "--no-serve"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    secrets_by_user = {}
    for username, role in DEMO_ACCOUNTS.items():
        assert username in lines, f"{username} missing from the demo output"
        secret = re.search(r"2단계 인증 비밀키 ([A-Z2-7]{16,})", lines[username])
        assert (secret is not None) is requires_second_factor(role), username
        if secret:
            secrets_by_user[username] = secret.group(1)
            assert re.search(r"복구 코드 \S+", lines[username])
    needs_totp = {"cw.gaepo1", "head.gaepo1", "gu.gangnam", "city.manager", "admin"}
    assert set(secrets_by_user) == needs_totp

    # A fresh key next to the database, readable by its owner only.
    key_file = tmp_path / "bigcare.key"
    assert "데이터 암호키를 만들었습니다" in result.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keyring = read_key_file(key_file)

    db_file = tmp_path / "bigcare.db"
    url = f"sqlite:///{db_file}"
    with _open(url) as session:
        columns = {c["name"] for c in inspect(session.get_bind()).get_columns("person")}
        assert {c for c in columns if "rrn" in c} == {"rrn_sealed", "rrn_index", "rrn_masked"}
        persons = session.scalars(select(Person)).all()
        # Persons come from linking the city's files: the first run and the doubtful records.
        created = [int(n.replace(",", "")) for n in re.findall(r"대상자 ([\d,]+)명", result.output)]
        assert persons and len(persons) == sum(created)
        full = [p for p in persons if p.rrn_sealed]
        # Facilities that keep only a masked number give a person nothing to seal.
        assert full and all(p.rrn_masked for p in full)
        assert all(p.rrn_index is None for p in persons if not p.rrn_sealed)
        rrns = []
        for person in full:
            assert person.rrn_sealed and person.rrn_sealed.startswith(f"v1:{keyring.current_id}:")
            rrn = keyring.open(person.rrn_sealed, context="rrn")
            parsed = parse_rrn(rrn)
            assert parsed.masked_form == person.rrn_masked
            assert person.rrn_index == keyring.blind_index(rrn, context="rrn")
            rrns.append(rrn)
        users = {u.username: u for u in session.scalars(select(User))}
        assert set(users) == set(DEMO_ACCOUNTS)
        for username, secret in secrets_by_user.items():
            sealed = users[username].totp_secret_sealed or ""
            assert keyring.open(sealed, context="totp") == secret
    stored = db_file.read_bytes()
    wal = db_file.with_name(db_file.name + "-wal")
    if wal.exists():
        stored += wal.read_bytes()
    for rrn in rrns:
        assert rrn.encode() not in stored and rrn.replace("-", "").encode() not in stored


def test_plan_command_chooses_targets_by_rule_and_plans_the_center(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring = Keyring.generate()
    monkeypatch.setenv("BIGCARE_DATA_KEY", keyring.serialize())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed"]).exit_code == 0
    engine = make_engine(database_url)
    with Session(engine) as session:
        # A woman of 80 living alone in 개포1동: the monthly 75+ rule selects her.
        person = make_person(
            session, keyring=keyring, rrn=make_rrn(date(1946, 5, 1), "F", rng=random.Random(3))
        )
        household = Household(dong_code="1123068", address="서울특별시 강남구 개포로 1")
        session.add(household)
        session.flush()
        session.add(HouseholdMember(person_id=person.id or 0, household_id=household.id or 0))
        session.add(OutreachStaff(dong_code="1123068", name="김플래너", role="planner"))
        session.commit()
    engine.dispose()
    week = outreach_service.week_of(seoul_today() + timedelta(days=7))
    both = runner.invoke(app, ["plan", "--week", week, "--center", "1123068", "--all"])
    assert both.exit_code == 2 and "하나를 주세요" in both.output
    result = runner.invoke(app, ["plan", "--week", week, "--center", "1123068", "--seconds", "0.3"])
    assert result.exit_code == 0, result.output
    assert "센터 1곳, 방문 1건 계획" in result.output
    assert _count(database_url, "visit_target WHERE rule_code = 'alone75'") == 1
    assert _count(database_url, f"week_plan WHERE week = '{week}' AND visits_planned = 1") == 1

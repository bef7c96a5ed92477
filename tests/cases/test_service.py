"""Persons: RRNs sealed on the way in, found by blind index, revealed only with a reason and
inside the actor's scope; every read access-logged; no RRN ever stored in plaintext."""

import re
from datetime import date
from pathlib import Path

import pytest
from alembic import command as alembic_command
from sqlalchemy import String, func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col

from bigcare import models  # noqa: F401  (every table on the metadata, for the scan)
from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor, actor_for
from bigcare.cases import search, service
from bigcare.config import SEED_DIR
from bigcare.db import alembic_config, make_engine
from bigcare.districts import service as districts_service
from bigcare.errors import Conflict, InvalidInput, NotFound
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring
from bigcare.privacy.rrn import RRN_PATTERN
from tests.conftest import ScratchDatabases, TestDatabase
from tests.factories import make_facility, make_person, make_user

GAEPO1, GAEPO2, BANPO1 = "1123068", "1123080", "1122057"  # 강남구, 강남구, 서초구
GANGNAM, SEOCHO = "11230", "11220"
RRN = "800101-1234560"
REASON = "기초생활수급 신청 서류 확인"
# Known numbers for the plaintext scan: citizen, foreigner, and one issued after 2020-10
# (random check digit). Back halves start 2-5 so no 7-digit dong code ("11…") looks alike.
KNOWN_RRNS = ("851231-2345673", "900101-5123450", "210315-4987651", "760704-2918273")
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _actor(session: Session, role: Role, scope_code: str | None) -> Actor:
    return actor_for(make_user(session, role=role, scope_code=scope_code))


@pytest.fixture(autouse=True)
def _log_starts_here(session: Session) -> None:
    # The access log is append-only: rows committed by other tests (the browser tests run
    # against a live server) stay. Look only at what this test wrote.
    session.info["log_start"] = session.scalar(select(func.max(AccessLog.id))) or 0


def _log(session: Session, action: str) -> list[AccessLog]:
    query = (
        select(AccessLog)
        .where(AccessLog.action == action, col(AccessLog.id) > session.info["log_start"])
        .order_by(col(AccessLog.id))
    )
    return list(session.scalars(query))


# --- create and reveal --------------------------------------------------------------------


def test_create_person_seals_the_rrn_and_keeps_only_the_masked_form(
    session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn="8001011234560", phone="01023456789")
    assert person.rrn_masked == "800101-1******"
    assert person.rrn_sealed is not None and person.rrn_sealed.startswith("v1:test1:")
    assert keyring.open(person.rrn_sealed, context=service.RRN_CONTEXT) == RRN
    assert person.rrn_index == keyring.blind_index(RRN, context=service.RRN_CONTEXT)
    assert (person.birth_date, person.sex) == (date(1980, 1, 1), "M")
    assert person.phone == "010-2345-6789"
    stored = " ".join(str(v) for v in person.model_dump().values())
    assert "1234560" not in stored


def test_create_person_with_a_masked_rrn_stores_no_sealed_value(
    session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn="851231-2******")
    assert person.rrn_masked == "851231-2******"
    assert person.rrn_sealed is None and person.rrn_index is None
    assert (person.birth_date, person.sex) == (date(1985, 12, 31), "F")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rrn": "801301-1234567"}, "rrn"),
        ({"rrn": "주민번호 모름"}, "rrn"),
        ({"phone": "010-123"}, "phone"),
        ({"name": ""}, "name"),
    ],
)
def test_create_person_refuses_bad_input_and_stores_nothing(
    session: Session, keyring: Keyring, overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_person(session, keyring=keyring, **overrides)
    assert [e.field for e in caught.value.errors] == [field]
    assert session.scalars(select(Person)).first() is None


def test_reveal_rrn_returns_the_formatted_number_and_logs_the_reason(
    session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn="8001011234560")
    actor = _actor(session, Role.CASEWORKER, GAEPO1)

    row, number = service.reveal_rrn(
        session, actor=actor, keyring=keyring, person_id=person.id or 0, reason=f"  {REASON}\n"
    )

    assert number == RRN
    assert row.person.id == person.id and row.dong.code == GAEPO1 and row.gu.code == GANGNAM
    [logged] = _log(session, "person.rrn.reveal")
    assert (logged.outcome, logged.subject_person_id, logged.reason) == ("ok", person.id, REASON)
    assert (logged.user_id, logged.actor, logged.role) == (
        actor.user_id,
        actor.username,
        "caseworker",
    )
    assert "1234560" not in f"{logged.target} {logged.reason}"


def test_reveal_rrn_opens_a_value_sealed_under_a_retired_key(
    session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN)
    actor = _actor(session, Role.CENTER_MANAGER, GAEPO1)
    rotated = keyring.with_new_key("k2")
    _, number = service.reveal_rrn(
        session, actor=actor, keyring=rotated, person_id=person.id or 0, reason=REASON
    )
    assert number == RRN


@pytest.mark.parametrize("reason", ["", "    ", "확인", "확인\n   함", "abcd"])
def test_reveal_rrn_without_a_reason_is_refused_and_not_logged(
    session: Session, keyring: Keyring, reason: str
) -> None:
    person = make_person(session, keyring=keyring)
    actor = _actor(session, Role.CASEWORKER, GAEPO1)
    with pytest.raises(InvalidInput) as caught:
        service.reveal_rrn(
            session, actor=actor, keyring=keyring, person_id=person.id or 0, reason=reason
        )
    assert [e.field for e in caught.value.errors] == ["reason"]
    assert _log(session, "person.rrn.reveal") == []


def test_reveal_rrn_of_a_person_with_only_a_masked_number_is_a_conflict(
    session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn="800101-1******")
    actor = _actor(session, Role.CASEWORKER, GAEPO1)
    with pytest.raises(Conflict):
        service.reveal_rrn(
            session, actor=actor, keyring=keyring, person_id=person.id or 0, reason=REASON
        )
    assert _log(session, "person.rrn.reveal") == []


# --- scope --------------------------------------------------------------------------------

OUTSIDERS = [
    pytest.param(Role.CASEWORKER, GAEPO2, id="caseworker-of-another-dong"),
    pytest.param(Role.CENTER_MANAGER, BANPO1, id="center-manager-of-another-gu"),
    pytest.param(Role.GU_MANAGER, SEOCHO, id="gu-manager-of-another-gu"),
    pytest.param(Role.FACILITY_UPLOADER, None, id="facility-account"),
]


def _scope_for(session: Session, role: Role, scope_code: str | None) -> str | None:
    if role is Role.FACILITY_UPLOADER:
        return make_facility(session).code
    return scope_code


@pytest.mark.parametrize(("role", "scope_code"), OUTSIDERS)
def test_get_person_out_of_scope_is_not_found_and_logged(
    session: Session, keyring: Keyring, role: Role, scope_code: str | None
) -> None:
    person = make_person(session, keyring=keyring, dong_code=GAEPO1)
    actor = _actor(session, role, _scope_for(session, role, scope_code))

    with pytest.raises(NotFound) as caught:
        service.get_person(session, actor=actor, person_id=person.id or 0)

    assert caught.value.message == service.NOT_FOUND
    [logged] = _log(session, "person.read")
    assert (logged.outcome, logged.subject_person_id, logged.user_id) == (
        "not_found",
        person.id,
        actor.user_id,
    )
    assert logged.target == f"person:{person.id} (out of scope)"


@pytest.mark.parametrize(("role", "scope_code"), OUTSIDERS[:2])
def test_reveal_rrn_out_of_scope_is_not_found_and_logged(
    session: Session, keyring: Keyring, role: Role, scope_code: str
) -> None:
    person = make_person(session, keyring=keyring, dong_code=GAEPO1)
    actor = _actor(session, role, scope_code)

    with pytest.raises(NotFound):
        service.reveal_rrn(
            session, actor=actor, keyring=keyring, person_id=person.id or 0, reason=REASON
        )

    [logged] = _log(session, "person.rrn.reveal")
    assert (logged.outcome, logged.subject_person_id) == ("not_found", person.id)


def test_get_person_that_does_not_exist_is_logged_without_a_subject(
    session: Session, keyring: Keyring
) -> None:
    actor = _actor(session, Role.CITY_MANAGER, None)
    with pytest.raises(NotFound) as caught:
        service.get_person(session, actor=actor, person_id=987654)
    assert caught.value.message == service.NOT_FOUND  # the same answer as out of scope
    [logged] = _log(session, "person.read")
    assert (logged.outcome, logged.subject_person_id, logged.target) == (
        "not_found",
        None,
        "person:987654 (not found)",
    )


@pytest.mark.parametrize(
    ("role", "scope_code"),
    [
        pytest.param(Role.CASEWORKER, GAEPO1, id="caseworker-of-the-dong"),
        pytest.param(Role.GU_MANAGER, GANGNAM, id="gu-manager-of-the-gu"),
        pytest.param(Role.CITY_MANAGER, None, id="city-manager"),
    ],
)
def test_get_person_in_scope_is_logged_as_a_read(
    session: Session, keyring: Keyring, role: Role, scope_code: str | None
) -> None:
    person = make_person(session, keyring=keyring, dong_code=GAEPO1)
    actor = _actor(session, role, scope_code)
    row = service.get_person(session, actor=actor, person_id=person.id or 0)
    assert row.person.id == person.id
    [logged] = _log(session, "person.read")
    assert (logged.outcome, logged.subject_person_id) == ("ok", person.id)


@pytest.mark.parametrize(
    ("role", "scope_code", "sees"),
    [
        pytest.param(Role.CASEWORKER, GAEPO1, {GAEPO1}, id="caseworker"),
        pytest.param(Role.VISITING_NURSE, GAEPO2, {GAEPO2}, id="nurse-of-another-dong"),
        pytest.param(Role.GU_MANAGER, GANGNAM, {GAEPO1, GAEPO2}, id="gu-manager-gangnam"),
        pytest.param(Role.GU_MANAGER, SEOCHO, {BANPO1}, id="gu-manager-seocho"),
        pytest.param(Role.CITY_MANAGER, None, {GAEPO1, GAEPO2, BANPO1}, id="city-manager"),
    ],
)
def test_list_persons_returns_only_the_actors_scope(
    session: Session, keyring: Keyring, role: Role, scope_code: str | None, sees: set[str]
) -> None:
    made = [
        make_person(session, keyring=keyring, dong_code=dong)
        for dong in (GAEPO1, GAEPO1, GAEPO2, BANPO1)
    ]
    actor = _actor(session, role, scope_code)

    rows, total = service.list_persons(session, actor=actor)

    expected = {p.id for p in made if p.dong_code in sees}
    assert {r.person.id for r in rows} == expected and total == len(expected)
    assert all(r.masked_phone.startswith("010-****-") for r in rows)
    [logged] = _log(session, "person.list")
    assert logged.target == f"{len(expected)}명 표시 (1쪽)"
    assert logged.subject_person_id is None


def test_list_persons_by_name_stays_inside_the_scope(session: Session, keyring: Keyring) -> None:
    here = make_person(session, keyring=keyring, dong_code=GAEPO1, name="김개포")
    make_person(session, keyring=keyring, dong_code=GAEPO2, name="김개포")
    make_person(session, keyring=keyring, dong_code=GAEPO1, name="이개포")
    actor = _actor(session, Role.CASEWORKER, GAEPO1)
    rows, total = service.list_persons(
        session, actor=actor, query=search.parse_query(" 김개포 ", by="name")
    )
    assert [r.person.id for r in rows] == [here.id] and total == 1


def test_list_persons_for_a_facility_account_is_empty(session: Session, keyring: Keyring) -> None:
    make_person(session, keyring=keyring, dong_code=GAEPO1)
    actor = _actor(
        session, Role.FACILITY_UPLOADER, _scope_for(session, Role.FACILITY_UPLOADER, None)
    )
    assert service.list_persons(session, actor=actor) == ([], 0)


# --- finding by RRN -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["800101-1234560", "8001011234560", " 800101 - 1234560 ", "８００１０１－１２３４５６０"],
)
def test_find_person_by_rrn_accepts_any_form_of_the_number(
    session: Session, keyring: Keyring, typed: str
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN)
    assert service.find_person_by_rrn(session, keyring=keyring, rrn=typed) == person


@pytest.mark.parametrize(
    "typed", ["800101-1234561", "800101-1******", "800101", "", "not a number"]
)
def test_find_person_by_rrn_finds_nothing_for_other_input(
    session: Session, keyring: Keyring, typed: str
) -> None:
    make_person(session, keyring=keyring, rrn=RRN)
    assert service.find_person_by_rrn(session, keyring=keyring, rrn=typed) is None


def test_find_person_by_rrn_works_after_a_new_key_is_added_in_front(
    session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN)
    rotated = keyring.with_new_key("k2")
    after = make_person(session, keyring=rotated, rrn="851231-2345673")

    assert service.find_person_by_rrn(session, keyring=rotated, rrn="8001011234560") == person
    assert service.find_person_by_rrn(session, keyring=rotated, rrn="851231-2345673") == after
    # Without the old key the old index cannot be computed: that is what re-sealing fixes.
    only_new = rotated.without_retired()
    assert service.find_person_by_rrn(session, keyring=only_new, rrn=RRN) is None


# --- no plaintext RRN anywhere --------------------------------------------------------------


def _forms(rrn: str) -> list[str]:
    """Every way the number could sit in storage: hyphenated, 13 digits, the 7 back digits."""
    front, back = rrn.split("-")
    return [rrn, front + back, back]


def _store_known_persons(session: Session, keyring: Keyring) -> None:
    """Persons with the known RRNs, one revealed and one listed, as a caseworker would."""
    actor = _actor(session, Role.CASEWORKER, GAEPO1)
    for rrn in KNOWN_RRNS:
        make_person(session, keyring=keyring, rrn=rrn, dong_code=GAEPO1)
    first = service.find_person_by_rrn(session, keyring=keyring, rrn=KNOWN_RRNS[0])
    assert first is not None
    _, number = service.reveal_rrn(
        session, actor=actor, keyring=keyring, person_id=first.id or 0, reason=REASON
    )
    assert number == KNOWN_RRNS[0]
    service.list_persons(session, actor=actor)
    session.flush()


def _text_values(session: Session) -> list[tuple[str, str]]:
    """(table.column, value) of every non-empty text column of every table."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        # SQLModel's str columns are AutoString, a TypeDecorator over String.
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, String) or isinstance(getattr(c.type, "impl", None), String)
        ]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value:
                    found.append((f"{table.name}.{column.name}", str(value)))
    return found


def _assert_no_rrn_in(text: str, where: str) -> None:
    for rrn in KNOWN_RRNS:
        for form in _forms(rrn):
            assert form not in text, f"{form!r} in {where}"
    match = RRN_PATTERN.search(text)
    assert match is None, f"RRN-shaped {match.group() if match else ''!r} in {where}"


def _scan_sqlite_file(session: Session, path: Path) -> int:
    """Scan the database file and its WAL; returns how many bytes were read."""
    # Hash-chain links, blind indexes and token hashes are 64 hex digits: a random one holds
    # an RRN-shaped run of digits about once in 2,000. Blank out exactly the digests the
    # database holds (never a whole region) so the shape scan stays strict everywhere else.
    digests = {v for _, v in _text_values(session) if HEX_DIGEST.fullmatch(v)}
    scanned = 0
    for file in (path, path.with_name(path.name + "-wal")):
        if not file.exists():
            continue
        raw = file.read_bytes()
        scanned += len(raw)
        for encoding in ("latin-1", "utf-8"):
            text = raw.decode(encoding, errors="ignore")
            for rrn in KNOWN_RRNS:
                for form in _forms(rrn):
                    assert form not in text, f"{form!r} in {file.name} ({encoding})"
            for digest in digests:
                text = text.replace(digest, "#")
            match = RRN_PATTERN.search(text)
            assert match is None, f"RRN-shaped {match.group()!r} in {file.name} ({encoding})"
    return scanned


def test_rrns_are_never_stored_in_plaintext(
    database: TestDatabase,
    session: Session,
    keyring: Keyring,
    scratch_databases: ScratchDatabases,
) -> None:
    # Every text column of every table, on this database (both kinds).
    _store_known_persons(session, keyring)
    values = _text_values(session)
    assert {where for where, _ in values} >= {"person.rrn_sealed", "access_log.reason"}
    for where, value in values:
        for rrn in KNOWN_RRNS:
            for form in _forms(rrn):
                assert form not in value, f"{form!r} in {where}"
        if not HEX_DIGEST.fullmatch(value):
            assert RRN_PATTERN.search(value) is None, f"RRN-shaped value in {where}"

    if database.kind != "sqlite":
        return
    # SQLite: the raw bytes of a fresh database file and its write-ahead log, after commit.
    url = scratch_databases.new("sqlite")
    alembic_command.upgrade(alembic_config(url), "head")
    path = Path(make_url(url).database or "")
    engine = make_engine(url)
    try:
        with Session(engine) as fresh:
            districts_service.seed_districts(fresh, csv_path=SEED_DIR / districts_service.DONGS_CSV)
            _store_known_persons(fresh, keyring)
            fresh.commit()
            assert _scan_sqlite_file(fresh, path) > 0
        # Again once every connection is closed and the WAL is checkpointed into the file.
        engine.dispose()
        with Session(engine) as fresh:
            assert fresh.scalars(select(Person.rrn_sealed)).all()
            assert _scan_sqlite_file(fresh, path) > 0
    finally:
        engine.dispose()

"""Synthetic data for the web load benchmark: persons with their facility records, record
links, households and cases, written to PostgreSQL with COPY (a million persons in minutes).

Everything is made up by bigcare.synth (names, valid RRNs, addresses over the 424 dongs);
rows are sealed with the bench's own key ring, as the intake would seal them."""

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bigcare.auth import service as auth_service
from bigcare.auth.permissions import Role
from bigcare.cases.stages import DOMAINS
from bigcare.db import KST
from bigcare.facilities.models import ROW_CONTEXT, RRN_CONTEXT
from bigcare.linkage.models import Person, search_keys
from bigcare.privacy.crypto import Keyring
from bigcare.synth import places
from bigcare.synth.facilities import make_facilities
from bigcare.synth.layouts import SERVICES
from bigcare.synth.people import Household as SynthHousehold
from bigcare.synth.people import Person as SynthPerson
from bigcare.synth.people import PopulationMaker

log = logging.getLogger(__name__)

FACILITIES = 300
CHUNK = 20_000  # persons generated, then written, at a time
MODEL_VERSION = "bench"
ACTOR_LABEL = "bench"
CASEWORKER_PREFIX = "bench.cw"
# Cells of every bench row, in the order of the batch header (what the facility sent).
HEADER = ["성명", "주민등록번호", "성별", "연락처", "주소", "상세주소", "서비스명", "제공일"]
# Tables in the order they are written (a row's foreign keys point to earlier tables).
TABLES = (
    "facility",
    "import_batch",
    "person",
    "household",
    "household_member",
    "source_record",
    "record_link",
    "welfare_case",
    "case_event",
    "case_assessment",
    "case_plan",
    "case_monitoring",
    "case_note",
)
# Tables whose ids the build assigns: their sequences continue after the build's rows.
SEQUENCED = (
    "import_batch", "person", "household", "source_record", "welfare_case", "case_event",
    "case_assessment", "case_plan", "case_monitoring", "case_note",
)  # fmt: skip
_RELATIONS = {"모": "부모", "부": "부모"}
# (stage, share): where the bench's open and closed cases stand.
STAGES = (
    ("identified", 8), ("consulting", 8), ("intake", 10), ("assessment", 14),
    ("conference", 6), ("classified", 6), ("planned", 10), ("monitoring", 23), ("closed", 15),
)  # fmt: skip
STAGE_ORDER = [stage for stage, _ in STAGES]
SOURCES = ("자체발굴", "이웃신고", "기관의뢰", "본인신청", "위기정보")
NOTES = (
    "전화 상담: 건강 상태와 식사 여부를 확인함. 다음 주 가정 방문 예정.",
    "가정 방문: 주거 환경 점검, 난방비 부담 호소. 에너지바우처 안내.",
    "복지관 담당자와 통화: 밑반찬 배달 서비스 연계 가능 확인.",
    "보건소 방문건강관리 의뢰서 발송. 혈압 관리 필요.",
    "본인 요청으로 상담 일정 변경. 통화 연결 양호.",
    "긴급복지지원 신청 서류 안내 및 접수 도움.",
)


@dataclass
class TableStat:
    """Rows written to one table and the seconds spent writing them and rebuilding indexes."""

    rows: int = 0
    copy_seconds: float = 0.0
    index_seconds: float = 0.0


@dataclass
class BuildReport:
    """What the build wrote, table by table, and where the time went."""

    persons: int
    tables: dict[str, TableStat] = field(default_factory=lambda: {t: TableStat() for t in TABLES})
    generate_seconds: float = 0.0
    seal_seconds: float = 0.0
    users_seconds: float = 0.0
    analyze_seconds: float = 0.0
    seconds: float = 0.0
    fk_checks: bool = True
    caseworkers: dict[str, int] = field(default_factory=dict)


def bench_dong_codes(count: int) -> list[str]:
    """The `count` dongs with the biggest synthetic population (the heaviest caseloads): the
    dongs whose caseworkers the load test signs in as."""
    dongs = sorted(places.load_dongs(), key=lambda d: (-d.weight, d.code))
    return [d.code for d in dongs[:count]]


def caseworker_username(dong_code: str) -> str:
    """The bench caseworker account of a dong."""
    return f"{CASEWORKER_PREFIX}{dong_code}"


def create_caseworkers(session: Session, *, dong_codes: list[str]) -> dict[str, int]:
    """One caseworker account per dong (a generated password nobody needs: the load test
    starts sessions directly); returns dong code → user id. Existing accounts are kept."""
    ids: dict[str, int] = {}
    for code in dong_codes:
        username = caseworker_username(code)
        user = auth_service.find_user(session, username)
        if user is None:
            user = auth_service.create_user(
                session,
                by=ACTOR_LABEL,
                username=username,
                display_name=f"벤치 사례관리자 {code}",
                role=Role.CASEWORKER,
                scope_code=code,
                password=auth_service.generate_password(),
            )
        ids[code] = user.id or 0
    return ids


def count_persons(session: Session) -> int:
    """How many persons the database holds (a reused bench database is not rebuilt)."""
    return int(session.exec(select(func.count()).select_from(Person)).one())


class _Writer:
    """COPY rows into the build's tables, timing each table."""

    def __init__(self, connection: Any, report: BuildReport) -> None:
        self.connection = connection
        self.report = report
        self.columns: dict[str, list[str]] = {}

    def copy(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        names = ", ".join(columns)
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        stat = self.report.tables[table]
        stat.rows += len(rows)
        stat.copy_seconds += time.perf_counter() - started


@dataclass
class _Ids:
    person: int = 0
    household: int = 0
    record: int = 0
    case: int = 0
    event: int = 0
    assessment: int = 0
    plan: int = 0
    monitoring: int = 0
    note: int = 0


def _next_ids(connection: Any) -> _Ids:
    """Ids continue after whatever the tables already hold."""
    ids = _Ids()
    with connection.cursor() as cursor:
        for attr, table in (
            ("person", "person"),
            ("household", "household"),
            ("record", "source_record"),
            ("case", "welfare_case"),
            ("event", "case_event"),
            ("assessment", "case_assessment"),
            ("plan", "case_plan"),
            ("monitoring", "case_monitoring"),
            ("note", "case_note"),
        ):
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 (fixed names)
            setattr(ids, attr, cursor.fetchone()[0])
    return ids


def _drop_indexes(connection: Any) -> list[tuple[str, str]]:
    """Drop the secondary indexes of the bulk tables (COPY into indexed tables, GIN above
    all, is several times slower than building the index once); returns (table, DDL)."""
    bulk = [t for t in TABLES if t not in ("facility", "import_batch")]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (bulk,),
        )
        found = cursor.fetchall()
        for _table, name, _ddl in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [(table, ddl) for table, _name, ddl in found]


def _create_indexes(connection: Any, indexes: list[tuple[str, str]], report: BuildReport) -> None:
    with connection.cursor() as cursor:
        for table, ddl in indexes:
            started = time.perf_counter()
            cursor.execute(ddl)
            report.tables[table].index_seconds += time.perf_counter() - started


def _skip_fk_checks(connection: Any) -> bool:
    """Skip foreign-key triggers for this transaction when allowed (superuser): the rows are
    consistent by construction. Returns whether the checks stay on."""
    try:
        # A savepoint: a refusal (not a superuser) must not abort the whole build.
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except psycopg.Error:
        return True
    return False


class _Builder:
    """Turns synthetic households into table rows, chunk by chunk."""

    def __init__(
        self,
        *,
        keyring: Keyring,
        rng: random.Random,
        today: date,
        caseworkers: dict[str, int],
        ids: _Ids,
        report: BuildReport,
    ) -> None:
        self.keyring = keyring
        self.rng = rng
        self.today = today
        self.caseworkers = caseworkers
        self.ids = ids
        self.report = report
        self.now = datetime.now(UTC)
        self.facilities = make_facilities(rng, places.load_dongs(), FACILITIES)
        self.by_gu: dict[str, list[int]] = {}
        for i, facility in enumerate(self.facilities):
            self.by_gu.setdefault(facility.dong.gu_code, []).append(i)
        self.batch_ids: list[int] = []
        self.row_numbers = [0] * len(self.facilities)
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}

    # -- facilities and their batches (written once, before any person) -------------------

    def facility_rows(self) -> list[tuple[Any, ...]]:
        return [(f.code, f.name, f.type_code, f.dong.code, self.now) for f in self.facilities]

    def batch_rows(self, first_id: int) -> list[tuple[Any, ...]]:
        self.batch_ids = [first_id + i for i in range(len(self.facilities))]
        header = json.dumps(HEADER, ensure_ascii=False)
        return [
            (
                batch_id,
                f.code,
                "cli",
                "done",
                f"{f.code}.csv",
                f"{batch_id:064x}",
                "csv",
                header,
                ACTOR_LABEL,
                self.now,
                self.now,
                self.now,
                *([0] * 8),
            )
            for batch_id, f in zip(self.batch_ids, self.facilities, strict=True)
        ]

    # -- one household at a time -----------------------------------------------------------

    def add_household(self, hh: SynthHousehold) -> None:
        ids = self.ids
        ids.household += 1
        address = hh.address
        dong = address.dong
        full_address = f"{address.road_address} {address.unit}".strip()
        person_ids = []
        for person in hh.members:
            ids.person += 1
            person_ids.append(ids.person)
            self._person(ids.person, person, hh, full_address)
        self.rows["household"].append(
            (
                ids.household,
                dong.code,
                full_address,
                f"{address.road_address}|{address.unit}",
                person_ids[0],
                "auto",
                self.now,
                self.now,
            )
        )
        for person_id, person in zip(person_ids, hh.members, strict=True):
            self.rows["household_member"].append(
                (
                    person_id,
                    ids.household,
                    _RELATIONS.get(person.relation, person.relation),
                    False,
                    "",
                    self.now,
                )
            )
            if self.rng.random() < 0.03:
                self._case(person_id, ids.household, dong.code)

    def _person(self, person_id: int, p: SynthPerson, hh: SynthHousehold, address: str) -> None:
        keyring = self.keyring
        started = time.perf_counter()
        rrn_sealed = keyring.seal(p.rrn, context=RRN_CONTEXT)
        rrn_index = keyring.blind_index(p.rrn, context=RRN_CONTEXT)
        self.report.seal_seconds += time.perf_counter() - started
        phone = p.phone or hh.home_phone or None
        keys = search_keys(p.name, phone)
        dong = hh.address.dong
        self.rows["person"].append(
            (
                person_id,
                p.name,
                rrn_sealed,
                rrn_index,
                f"{p.rrn[:8]}******",
                p.birth,
                p.sex,
                phone,
                dong.code,
                keys["name_jamo"],
                keys["name_chosung"],
                keys["phone_last4"],
                address,
                "active",
                self.now,
                self.now,
            )
        )
        for _ in range(self.rng.choice((1, 1, 2, 2, 3))):
            self._record(person_id, p, hh, rrn_sealed, rrn_index, keys["name_jamo"])

    def _facility_for(self, gu_code: str) -> int:
        local = self.by_gu.get(gu_code)
        if local and self.rng.random() < 0.75:
            return self.rng.choice(local)
        return self.rng.randrange(len(self.facilities))

    def _record(
        self,
        person_id: int,
        p: SynthPerson,
        hh: SynthHousehold,
        rrn_sealed: str,
        rrn_index: str,
        name_jamo: str | None,
    ) -> None:
        rng = self.rng
        address = hh.address
        dong = address.dong
        index = self._facility_for(dong.gu_code)
        facility = self.facilities[index]
        self.row_numbers[index] += 1
        self.ids.record += 1
        record_id = self.ids.record
        service = rng.choice(SERVICES.get(facility.type_code, SERVICES["DONG_CENTER"]))
        served = self.today - timedelta(days=rng.randrange(720))
        sex = "남" if p.sex == "M" else "여"
        cells = [
            p.name,
            p.rrn,
            sex,
            p.phone,
            address.road_address,
            address.unit,
            service,
            served.isoformat(),
        ]
        started = time.perf_counter()
        raw = self.keyring.seal(json.dumps(cells, ensure_ascii=False), context=ROW_CONTEXT)
        self.report.seal_seconds += time.perf_counter() - started
        received = self.now - timedelta(days=rng.randrange(30))
        self.rows["source_record"].append(
            (
                record_id,
                self.batch_ids[index],
                facility.code,
                self.row_numbers[index],
                raw,
                "accepted",
                "[]",
                0,
                received,
                p.name,
                rrn_sealed,
                rrn_index,
                f"{p.rrn[:8]}******",
                p.birth,
                p.sex,
                p.foreigner,
                p.phone or None,
                hh.home_phone or None,
                f"{address.road_address} {address.unit}".strip(),
                "road",
                dong.gu_code,
                dong.code,
                "address",
                address.road,
                address.number,
                address.unit or None,
                p.relation,
                hh.hid,
                f"C{record_id:08d}",
                service,
                served,
            )
        )
        digits = "".join(ch for ch in p.phone if ch.isdigit())
        self.rows["record_link"].append(
            (
                record_id,
                record_id,
                person_id,
                "auto",
                0.999,
                MODEL_VERSION,
                self.now,
                name_jamo,
                p.surname or None,
                rrn_index,
                p.rrn[:8].replace("-", ""),
                p.birth.isoformat(),
                p.birth.year,
                p.sex,
                digits[-8:] or None,
                dong.code,
                address.road + " " + address.number,
                dong.gu_code,
            )
        )

    def _case(self, person_id: int, household_id: int, dong_code: str) -> None:
        rng = self.rng
        self.ids.case += 1
        case_id = self.ids.case
        stage = rng.choices(STAGE_ORDER, weights=[w for _, w in STAGES])[0]
        reached = STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]
        # Most cases move on time; about a third started long ago and are overdue now.
        start = self.today - timedelta(days=rng.randrange(5, 60 if rng.random() < 0.65 else 400))
        dates: dict[str, date] = {}
        day = start
        for step in reached:
            dates[step] = day
            day = min(self.today, day + timedelta(days=rng.randrange(1, 15)))
        intake = dates.get("intake")
        worker = self.caseworkers.get(dong_code)
        classified = "classified" in dates
        self.rows["welfare_case"].append(
            (
                case_id,
                person_id,
                household_id,
                dong_code,
                stage,
                worker,
                rng.choice(SOURCES),
                "",
                dates["identified"],
                dates.get("consulting"),
                intake,
                intake + timedelta(days=10) if intake else None,
                intake + timedelta(days=30) if intake else None,
                dates.get("assessment"),
                dates.get("conference"),
                dates.get("classified"),
                dates.get("planned"),
                dates.get("closed"),
                rng.choice(("intensive", "general", "general", "simple")) if classified else None,
                rng.choice(("high", "medium", "low")) if "assessment" in dates else None,
                "목표달성" if stage == "closed" else None,
                "",
                worker,
                self.now,
                self.now,
            )
        )
        previous = None
        for step in reached:
            self.ids.event += 1
            at = datetime.combine(dates[step], datetime.min.time(), KST).astimezone(UTC)
            self.rows["case_event"].append(
                (self.ids.event, case_id, previous, step, "", worker, ACTOR_LABEL, at)
            )
            previous = step
        self._case_records(case_id, stage, dates, worker)
        for _ in range(rng.randrange(4)):
            self.ids.note += 1
            self.rows["case_note"].append(
                (
                    self.ids.note,
                    case_id,
                    person_id,
                    rng.choice(NOTES),
                    worker,
                    ACTOR_LABEL,
                    self.now - timedelta(days=rng.randrange(60)),
                )
            )

    def _case_records(
        self, case_id: int, stage: str, dates: dict[str, date], worker: int | None
    ) -> None:
        """The assessment, plan and monitoring checks a case at this stage has behind it."""
        rng = self.rng
        if "assessment" in dates:
            self.ids.assessment += 1
            scores = json.dumps({domain: rng.randrange(4) for domain in DOMAINS})
            self.rows["case_assessment"].append(
                (
                    self.ids.assessment,
                    case_id,
                    "initial",
                    dates["assessment"],
                    scores,
                    rng.choice(("high", "medium", "low")),
                    "건강과 주거 영역의 욕구가 높음. 정기 안부 확인 필요.",
                    worker,
                    ACTOR_LABEL,
                    self.now,
                )
            )
        if "planned" in dates:
            self.ids.plan += 1
            self.rows["case_plan"].append(
                (
                    self.ids.plan,
                    case_id,
                    1,
                    "건강 관리와 식사 지원, 월 1회 안부 확인",
                    dates["planned"],
                    dates["planned"] + timedelta(days=180),
                    worker,
                    ACTOR_LABEL,
                    self.now,
                )
            )
        if stage != "monitoring":
            return
        checked = dates["monitoring"]
        checks = rng.randrange(1, 4)
        for n in range(checks):
            if n == checks - 1:
                # The latest check's next date: today for some, overdue for others.
                roll = rng.random()
                next_on = (
                    self.today
                    if roll < 0.15
                    else self.today - timedelta(days=rng.randrange(1, 30))
                    if roll < 0.4
                    else self.today + timedelta(days=rng.randrange(1, 30))
                )
            else:
                next_on = checked + timedelta(days=30)
            self.ids.monitoring += 1
            self.rows["case_monitoring"].append(
                (
                    self.ids.monitoring,
                    case_id,
                    checked,
                    rng.choice(("visit", "phone", "office", "facility")),
                    "서비스 이용 상황 점검, 특이사항 없음.",
                    next_on,
                    worker,
                    ACTOR_LABEL,
                    self.now,
                )
            )
            checked = min(self.today, next_on)

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        rows, self.rows = self.rows, {t: [] for t in TABLES}
        return rows


COLUMNS: dict[str, list[str]] = {
    "facility": ["code", "name", "type_code", "dong_code", "created_at"],
    "import_batch": [
        "id", "facility_code", "source", "status", "filename", "file_sha256", "file_format",
        "header", "uploaded_by_label", "received_at", "completed_at", "updated_at",
        "file_size", "checkpoint", "rows_read", "rows_accepted", "rows_warned",
        "rows_quarantined", "rows_pending", "rows_blank",
    ],
    "person": [
        "id", "name", "rrn_sealed", "rrn_index", "rrn_masked", "birth_date", "sex", "phone",
        "dong_code", "name_jamo", "name_chosung", "phone_last4", "address", "status",
        "created_at", "updated_at",
    ],
    "household": [
        "id", "dong_code", "address", "address_key", "head_person_id", "origin", "created_at",
        "updated_at",
    ],
    "household_member": [
        "person_id", "household_id", "relation", "manual", "updated_by_label", "updated_at",
    ],
    "source_record": [
        "id", "batch_id", "facility_code", "row_number", "raw_sealed", "status", "problems",
        "revision", "received_at", "name", "rrn_sealed", "rrn_index", "rrn_masked",
        "birth_date", "sex", "foreigner", "phone", "home_phone", "address", "address_kind",
        "gu_code", "dong_code", "dong_source", "road", "building_no", "unit", "relation",
        "household_key", "client_id", "service_name", "service_date",
    ],
    "record_link": [
        "record_id", "node_id", "person_id", "decision", "probability", "model_version",
        "linked_at", "name_jamo", "surname", "rrn_index", "rrn_front7", "birth_date",
        "birth_year", "sex", "phone_last8", "dong", "road_building", "gu",
    ],
    "welfare_case": [
        "id", "person_id", "household_id", "dong_code", "stage", "caseworker_id",
        "referral_source", "referral_detail", "identified_on", "consulted_on", "intake_on",
        "assessment_due", "plan_due", "assessed_on", "conference_on", "classified_on",
        "planned_on", "closed_on", "category", "crisis_level", "close_reason", "close_note",
        "created_by", "created_at", "updated_at",
    ],
    "case_event": [
        "id", "case_id", "from_stage", "to_stage", "note", "actor_id", "actor_label", "at",
    ],
    "case_assessment": [
        "id", "case_id", "kind", "assessed_on", "scores", "crisis_level", "summary", "actor_id",
        "actor_label", "created_at",
    ],
    "case_plan": [
        "id", "case_id", "version", "goals", "starts_on", "ends_on", "actor_id", "actor_label",
        "created_at",
    ],
    "case_monitoring": [
        "id", "case_id", "checked_on", "method", "content", "next_on", "actor_id", "actor_label",
        "created_at",
    ],
    "case_note": ["id", "case_id", "person_id", "body", "actor_id", "actor_label", "created_at"],
}  # fmt: skip


def _households(maker: PopulationMaker, persons: int) -> Iterator[SynthHousehold]:
    """Households until exactly `persons` persons (the last one cut short)."""
    made, number = 0, 0
    while made < persons:
        number += 1
        hh = maker.household(number)
        del hh.members[persons - made :]
        made += len(hh.members)
        yield hh


def build(
    session: Session,
    *,
    persons: int,
    keyring: Keyring,
    caseworker_dongs: list[str],
    seed: int = 20261125,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> BuildReport:
    """Write `persons` synthetic persons and everything hanging off them into a migrated,
    seeded PostgreSQL database, in the session's transaction (the caller commits and then
    calls analyze)."""
    started = time.perf_counter()
    report = BuildReport(persons=persons)
    today = today or datetime.now(KST).date()
    t = time.perf_counter()
    report.caseworkers = create_caseworkers(session, dong_codes=caseworker_dongs)
    report.users_seconds = time.perf_counter() - t
    session.flush()
    connection = session.connection().connection.driver_connection
    report.fk_checks = _skip_fk_checks(connection)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT coalesce(max(id), 0) FROM import_batch")
        first_batch = cursor.fetchone()[0] + 1
    indexes = _drop_indexes(connection)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    builder = _Builder(
        keyring=keyring,
        rng=rng,
        today=today,
        caseworkers=report.caseworkers,
        ids=_next_ids(connection),
        report=report,
    )
    writer = _Writer(connection, report)
    writer.copy("facility", COLUMNS["facility"], builder.facility_rows())
    writer.copy("import_batch", COLUMNS["import_batch"], builder.batch_rows(first_batch))
    maker = PopulationMaker(rng, places.load_dongs(), today)
    done = 0
    t = time.perf_counter()
    for hh in _households(maker, persons):
        builder.add_household(hh)
        if len(builder.rows["person"]) >= CHUNK:
            report.generate_seconds += time.perf_counter() - t
            done += _flush(writer, builder)
            if progress:
                progress(done)
            t = time.perf_counter()
    report.generate_seconds += time.perf_counter() - t
    done += _flush(writer, builder)
    if progress:
        progress(done)
    report.generate_seconds -= report.seal_seconds
    _create_indexes(connection, indexes, report)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE import_batch b SET rows_read = n, rows_accepted = n, checkpoint = last "
            "FROM (SELECT batch_id, count(*) AS n, max(row_number) AS last "
            "FROM source_record GROUP BY batch_id) r WHERE r.batch_id = b.id"
        )
        for table in SEQUENCED:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    report.seconds = time.perf_counter() - started
    return report


def _flush(writer: _Writer, builder: _Builder) -> int:
    rows = builder.take()
    for table in TABLES[2:]:
        writer.copy(table, COLUMNS[table], rows[table])
    return len(rows["person"])


def analyze(engine: Engine, report: BuildReport) -> None:
    """VACUUM (ANALYZE) the tables just written: the planner's statistics, and the visibility
    map that lets a count by index (a dong's persons) skip the table. Autovacuum does this to
    a live database in its own time, and may be off on a test server."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    report.analyze_seconds = time.perf_counter() - started


def sample_persons(session: Session, *, dong_code: str, limit: int) -> list[Person]:
    """Active persons of one dong, drawn at random (what the load test asks for)."""
    return list(
        session.exec(
            select(Person)
            .where(Person.dong_code == dong_code, Person.status == "active")
            .order_by(func.random())
            .limit(limit)
        )
    )


# --- what the load test asks for ------------------------------------------------------------

SEARCH_KINDS = (
    ("full_name", 30), ("partial_name", 20), ("jamo_typo", 15), ("chosung", 15),
    ("phone_last4", 10), ("birth_date", 10),
)  # fmt: skip
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3


def _typo(name: str, rng: random.Random) -> str:
    """The name with one syllable's vowel mistyped (ㅐ/ㅔ, ㅓ/ㅕ ...), as people type."""
    positions = [i for i, ch in enumerate(name) if _HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST]
    if not positions:
        return name[:-1] or name
    i = rng.choice(positions)
    code = ord(name[i]) - _HANGUL_FIRST
    lead, vowel, tail = code // 588, code % 588 // 28, code % 28
    vowel = {1: 5, 5: 1, 4: 6, 6: 4, 8: 13, 13: 8}.get(vowel, (vowel + 1) % 21)
    return name[:i] + chr(_HANGUL_FIRST + lead * 588 + vowel * 28 + tail) + name[i + 1 :]


def search_terms(persons: list[Person], *, count: int, rng: random.Random) -> list[str]:
    """Search box entries drawn from real persons of the dong: full and partial names, names
    with a typo, 초성, a phone's last four digits, birth dates (YYYY-MM-DD)."""
    kinds = [k for k, _ in SEARCH_KINDS]
    weights = [w for _, w in SEARCH_KINDS]
    terms: list[str] = []
    while persons and len(terms) < count:
        p = rng.choice(persons)
        kind = rng.choices(kinds, weights=weights)[0]
        if kind == "full_name":
            term = p.name
        elif kind == "partial_name":
            term = p.name[1:] if len(p.name) > 2 and rng.random() < 0.5 else p.name[:2]
        elif kind == "jamo_typo":
            term = _typo(p.name, rng)
        elif kind == "chosung":
            term = p.name_chosung or ""
        elif kind == "phone_last4":
            term = p.phone_last4 or ""
        else:
            term = p.birth_date.isoformat() if p.birth_date else ""
        if term:
            terms.append(term[:40])
    return terms

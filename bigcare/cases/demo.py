"""The demo's people: one account per role in a named demo gu, a few facilities, the
generated city's facility files received through the intake, and a few doubtful records for
the review queue. Every name and number here is generated."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.auth import sessions as auth_sessions
from bigcare.auth import tokens as auth_tokens
from bigcare.auth.permissions import Role, requires_second_factor
from bigcare.cases import plans, stages, workflow
from bigcare.cases.models import Case, CaseEvent, CaseNote
from bigcare.cases.records import consents, notes
from bigcare.db import KST
from bigcare.districts.models import Dong
from bigcare.facilities import batches, intake
from bigcare.facilities import service as facilities_service
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage.models import Person, RecordLink
from bigcare.privacy.crypto import Keyring

DEMO_GU = "11230"  # 강남구
DEMO_DONG = "1123068"  # 개포1동
# 서초구 next door: facilities and residents the 강남구 demo accounts must not see.
OTHER_GU = "11220"
# Long enough, not on the common-password list; printed by `bigcare demo` for every account.
DEMO_PASSWORD = "gaepo-demo-2026"  # noqa: S105 (a published demo credential)
FACILITY_KINDS = (
    ("COMMUNITY_WELFARE", "종합사회복지관"),
    ("SENIOR_WELFARE", "노인종합복지관"),
    ("DISABLED_WELFARE", "장애인종합복지관"),
    ("FOOD_BANK", "푸드마켓"),
    ("HOME_CARE", "재가노인지원센터"),
    ("HEALTH_CENTER", "보건지소"),
)


@dataclass
class DemoAccount:
    """What a new user needs to try an account: printed once by `bigcare demo`."""

    username: str
    role: Role
    scope: str
    totp_secret: str | None = None
    recovery_code: str | None = None


@dataclass
class DemoResult:
    """Everything the demo created that the terminal should show."""

    accounts: list[DemoAccount] = field(default_factory=list)
    facilities: int = 0
    api_token: str | None = None
    api_facility: str | None = None
    world: "WorldImport | None" = None


@dataclass
class WorldImport:
    """What the generated city's facility files became."""

    facilities: int = 0
    batches: int = 0
    rows: int = 0
    accepted: int = 0
    warned: int = 0
    quarantined: int = 0
    unassigned: int = 0
    # A batch left waiting for its column mapping, so a new user sees that step.
    waiting_batch: int | None = None


def _dongs(session: Session, gu_code: str) -> list[Dong]:
    return list(session.exec(select(Dong).where(Dong.gu_code == gu_code).order_by(Dong.code)))


def seed_demo(session: Session, *, keyring: Keyring, seed: int = 20261125) -> DemoResult:
    """Create the demo accounts and facilities (run once, on an empty database). Residents
    come from the generated city's facility files, linked into persons."""
    result = DemoResult()
    gangnam = _dongs(session, DEMO_GU)

    facilities = []
    # The demo center's own dong first: its staff and the facility account share it.
    home = [d for d in gangnam if d.code == DEMO_DONG]
    others = [d for d in gangnam if d.code != DEMO_DONG]
    for i, dong in enumerate([*home, *home, *others[:6], *_dongs(session, OTHER_GU)[:4]]):
        kind, suffix = FACILITY_KINDS[i % len(FACILITY_KINDS)]
        facilities.append(
            facilities_service.create_facility(
                session,
                code=f"F{dong.code}{i:02d}",
                name=f"{dong.name} {suffix}",
                type_code=kind,
                dong_code=dong.code,
            )
        )
    result.facilities = len(facilities)

    own_facility = facilities[0]
    accounts = [
        ("cw.gaepo1", "김사례", Role.CASEWORKER, DEMO_DONG),
        ("planner.gaepo1", "이플래너", Role.WELFARE_PLANNER, DEMO_DONG),
        ("nurse.gaepo1", "박간호", Role.VISITING_NURSE, DEMO_DONG),
        ("head.gaepo1", "최센터장", Role.CENTER_MANAGER, DEMO_DONG),
        ("gu.gangnam", "정구청", Role.GU_MANAGER, DEMO_GU),
        ("city.manager", "한시청", Role.CITY_MANAGER, None),
        ("facility.uploader", "윤시설", Role.FACILITY_UPLOADER, own_facility.code),
        ("admin", "서관리", Role.ADMIN, None),
    ]
    for username, display_name, role, scope in accounts:
        user = auth_service.create_user(
            session,
            by="demo",
            username=username,
            display_name=display_name,
            role=role,
            scope_code=scope,
            password=DEMO_PASSWORD,
        )
        scope_label = auth_service.scope_name(session, user)
        account = DemoAccount(username=username, role=role, scope=scope_label)
        if requires_second_factor(role):
            secret, codes = auth_sessions.enrol_totp_directly(session, user=user, keyring=keyring)
            account.totp_secret, account.recovery_code = secret, codes[0]
        result.accounts.append(account)
        if role is Role.FACILITY_UPLOADER:
            actor = auth_service.actor_for(user)
            raw, _ = auth_tokens.create_token(
                session, actor=actor, facility_code=own_facility.code, name="데모 연계 시스템"
            )
            result.api_token, result.api_facility = raw, own_facility.code
    return result


def import_world(
    session: Session,
    *,
    keyring: Keyring,
    world_dir: Path,
    own_facility: str,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WorldImport:
    """Register the generated city's facilities and receive every file they sent, through the
    same intake as an upload. One file also goes to the demo facility account with no
    confirmed mapping, so the mapping step and the quarantine can be tried in the browser."""
    actor = auth_service.operator_actor(
        "demo", permissions=frozenset({"facility.read", "import.upload", "import.read"})
    )
    summary = WorldImport()
    summary.facilities = facilities_service.load_facilities(
        session, csv_path=world_dir / "facilities.csv"
    )
    files = sorted(p for p in (world_dir / "exports").iterdir() if p.is_file())
    known = {row.facility.code for row in facilities_service.list_facilities(session, actor=actor)}
    for done, path in enumerate(files, start=1):
        code = path.stem
        if code not in known:
            continue
        result = intake.import_file(
            session,
            actor=actor,
            keyring=keyring,
            facility_code=code,
            path=path,
            door=intake.Door(source="cli", filename=path.name),
            accept_suggested=True,
            checkpoint=checkpoint,
        )
        batch = result.batch
        summary.batches += 1
        summary.rows += batch.rows_read
        summary.accepted += batch.rows_accepted
        summary.warned += batch.rows_warned
        summary.quarantined += batch.rows_quarantined
        if progress is not None:
            progress(done, len(files))
    sample = next((p for p in files if p.suffix == ".csv"), None)
    if sample is not None:
        waiting = intake.import_file(
            session,
            actor=actor,
            keyring=keyring,
            facility_code=own_facility,
            path=sample,
            door=intake.Door(source="web", filename="이용자명단_2026-11.csv"),
            checkpoint=checkpoint,
        )
        summary.waiting_batch = waiting.batch.id
    summary.unassigned = batches.count_unassigned(session, actor=actor)
    return summary


def send_doubtful_records(
    session: Session, *, keyring: Keyring, facility_code: str, count: int = 8
) -> int:
    """Send, from the demo facility, records of residents of the demo dong written the way
    a busy front desk might: no RRN, phone or address, and either the birth date's month and
    day swapped or a slip in the name. The linker cannot be sure of them, so the caseworker's
    review queue has real questions to answer. Returns how many were sent."""
    actor = auth_service.operator_actor(
        "demo", permissions=frozenset({"facility.read", "import.upload", "import.read"})
    )
    rows = session.exec(
        select(SourceRecord)
        .join(RecordLink, col(RecordLink.record_id) == SourceRecord.id)
        .where(
            SourceRecord.dong_code == DEMO_DONG,
            col(SourceRecord.birth_date).is_not(None),
            col(SourceRecord.name).is_not(None),
        )
        .order_by(col(RecordLink.person_id), col(SourceRecord.id))
    ).all()
    seen: set[str] = set()
    records: list[dict[str, object]] = []
    for row in rows:
        born, name = row.birth_date, row.name or ""
        if name in seen or born is None:
            continue
        seen.add(name)
        record: dict[str, object] = {"sex": row.sex, "service_name": "밑반찬 배달"}
        if born.day <= 12 and born.day != born.month and len(records) % 2 == 0:
            record |= {"name": name, "birth_date": born.replace(month=born.day, day=born.month)}
        elif (slipped := _slip(name)) != name:
            record |= {"name": slipped, "birth_date": born}
        else:
            continue
        record["birth_date"] = str(record["birth_date"])
        records.append(record)
        if len(records) == count:
            break
    if records:
        intake.import_records(
            session,
            actor=actor,
            keyring=keyring,
            facility_code=facility_code,
            records=records,
            idempotency_key="demo-doubtful-records",
        )
    return len(records)


def _slip(name: str) -> str:
    """One vowel of the given name typed as its neighbour on the keyboard (ㅐ↔ㅔ, ㅗ↔ㅓ ...)."""
    swaps = {"ㅐ": "ㅔ", "ㅔ": "ㅐ", "ㅗ": "ㅓ", "ㅓ": "ㅗ", "ㅜ": "ㅠ", "ㅠ": "ㅜ", "ㅣ": "ㅡ"}
    decomposed = unicodedata.normalize("NFD", name[-1])
    for old, new in swaps.items():
        jung = chr(0x1161 + "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ".index(old))
        if jung in decomposed:
            target = chr(0x1161 + "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ".index(new))
            return name[:-1] + unicodedata.normalize("NFC", decomposed.replace(jung, target))
    return name


# --- cases -----------------------------------------------------------------------------------

# (stage reached, days ago the case was found) for the demo caseworker's cases: every stage
# of the workflow, two deadlines passed and a check due today, so the home page has content.
DEMO_CASES: tuple[tuple[str, int], ...] = (
    ("identified", 2),
    ("identified", 5),
    ("consulting", 6),
    ("intake", 8),
    ("intake", 16),  # assessment due 10 days after intake: overdue
    ("assessment", 40),  # plan due 30 days after intake: overdue
    ("conference", 20),
    ("classified", 22),
    ("planned", 30),
    ("monitoring", 60),  # next check today
    ("monitoring", 90),  # next check passed
    ("closed", 120),
)
ORDER = tuple(stages.STAGES)


def seed_demo_cases(session: Session, *, today: date) -> int:
    """Open the demo caseworker's cases on the oldest residents of the demo dong and walk each
    through the workflow to its stage, with notes, a consent and a referral. Returns how
    many cases were opened."""
    user = auth_service.find_user(session, "cw.gaepo1")
    if user is None:
        return 0
    actor = auth_service.actor_for(user)
    persons = session.exec(
        select(Person)
        .where(Person.dong_code == DEMO_DONG, Person.status == "active")
        .where(col(Person.birth_date).is_not(None))
        .order_by(col(Person.birth_date), col(Person.id))
        .limit(len(DEMO_CASES))
    ).all()
    provider = session.exec(
        select(Facility).where(Facility.dong_code == DEMO_DONG).order_by(col(Facility.code))
    ).first()
    due_today = True
    for (stage, ago), person in zip(DEMO_CASES, persons, strict=False):
        if stage == "monitoring":
            # The first monitored case is due for its check today, the next one is late.
            when, due_today = (today if due_today else None), False
        else:
            when = None
        _walk(
            session,
            actor,
            person.id or 0,
            ORDER.index(stage),
            today - timedelta(days=ago),
            today,
            provider,
            when,
        )
    return min(len(DEMO_CASES), len(persons))


def _walk(
    session: Session,
    actor: auth_service.Actor,
    person_id: int,
    reach: int,
    found: date,
    today: date,
    provider: Facility | None,
    next_check: date | None,
) -> None:
    day = found

    def step() -> date:
        # Each stage a few days after the last, never after today.
        nonlocal day
        day = min(day + timedelta(days=3), today)
        return day

    case = workflow.open_case(
        session,
        actor=actor,
        person_id=person_id,
        referral_source=stages.REFERRAL_SOURCES[person_id % len(stages.REFERRAL_SOURCES)],
        detail="이웃 주민이 최근 외출이 없다고 알려 옴",
        identified_on=found,
        today=today,
    )
    case_id = case.id or 0
    notes.add_note(
        session, actor=actor, case_id=case_id, body="**첫 연락**: 전화로 방문 약속을 잡았습니다."
    )
    if reach >= 1:
        workflow.record_consultation(
            session,
            actor=actor,
            case_id=case_id,
            consulted_on=step(),
            content="혼자 지내며 병원 이용이 어렵다고 함",
            outcome="proceed",
            today=today,
        )
    if reach >= 2:
        # Intake is dated from the found day so the two overdue demo cases are overdue.
        intake_on = min(found + timedelta(days=4), today)
        day = intake_on
        workflow.record_intake(
            session,
            actor=actor,
            case_id=case_id,
            intake_on=intake_on,
            assessment_days=10,
            plan_days=30,
            today=today,
        )
    if reach >= 3:
        scores = {d: (person_id + i) % 4 for i, d in enumerate(stages.DOMAINS)}
        workflow.record_assessment(
            session,
            actor=actor,
            case_id=case_id,
            assessed_on=step(),
            scores=scores,
            crisis_level=("high", "medium", "low")[person_id % 3],
            summary="건강과 일상생활 지원이 필요함. 가족과 연락이 드묾.",
            today=today,
        )
    if reach >= 4:
        workflow.record_conference(
            session,
            actor=actor,
            case_id=case_id,
            held_on=step(),
            kind="internal",
            participants="김사례 (사례관리자)\n박복지 (복지플래너)\n방문간호사",
            decision="방문 간호와 밑반찬 지원을 연계하고 월 1회 점검",
            today=today,
        )
    if reach >= 5:
        workflow.classify(
            session,
            actor=actor,
            case_id=case_id,
            category=("intensive", "general", "simple")[person_id % 3],
            classified_on=step(),
            today=today,
        )
    if reach >= 6:
        start = step()
        service = plans.ServiceInput(
            service="밑반찬 지원",
            provider=provider.code if provider else "",
            frequency="주 1회",
            starts_on=start,
            ends_on=start + timedelta(days=180),
        )
        plans.record_plan(
            session,
            actor=actor,
            case_id=case_id,
            planned_on=start,
            goals="규칙적인 식사와 건강 관리",
            starts_on=start,
            ends_on=start + timedelta(days=180),
            services=[service],
            today=today,
        )
        if provider is not None:
            consents.record_consent(
                session,
                actor=actor,
                case_id=case_id,
                today=today,
                purpose="referral",
                facility_code=None,
                given_by="self",
                given_by_name=None,
                method="written",
                given_on=start,
            )
            consents.refer(
                session,
                actor=actor,
                case_id=case_id,
                today=today,
                facility_code=provider.code,
                service="밑반찬 지원",
                reason="혼자 식사를 챙기기 어려움",
            )
    if reach >= 7:
        checked = step()
        due = next_check or checked + timedelta(days=14)
        plans.record_monitoring(
            session,
            actor=actor,
            case_id=case_id,
            checked_on=checked,
            method="visit",
            content="밑반찬이 잘 전달되고 있음. 거동은 여전히 불편함.",
            next_on=due,
            today=today,
        )
    if reach >= 8:
        workflow.close_case(
            session,
            actor=actor,
            case_id=case_id,
            closed_on=step(),
            reason="목표달성",
            note="",
            today=today,
        )
    _backdate(session, case_id)


# The day each stage was reached, by the stage an event moved the case to.
STAGE_DAY = {
    "identified": "identified_on",
    "consulting": "consulted_on",
    "intake": "intake_on",
    "assessment": "assessed_on",
    "conference": "conference_on",
    "classified": "classified_on",
    "planned": "planned_on",
    "closed": "closed_on",
}


def _backdate(session: Session, case_id: int) -> None:
    """The demo records weeks of work in one go: date its stage changes and notes on the
    days the work was done (10:00 in Seoul), as if recorded then."""
    case = session.get(Case, case_id)
    assert case is not None
    for event in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)):
        day = getattr(case, STAGE_DAY.get(event.to_stage, ""), None) or case.planned_on
        if day is not None:
            event.at = datetime.combine(day, time(10), tzinfo=KST).astimezone(UTC)
    for note in session.exec(select(CaseNote).where(CaseNote.case_id == case_id)):
        note.created_at = datetime.combine(case.identified_on, time(10), tzinfo=KST).astimezone(UTC)
    session.flush()

"""The person page: the golden record with its sources (service.person_detail), the flags a
caseworker looks for first (1인 가구, 75세 이상 독거, 장애, 수급 ...) each with where it came
from, the household, the open and past cases, and the latest timeline entries."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import User
from bigcare.auth.service import Actor
from bigcare.cases import deadlines, households, stages, timeline
from bigcare.cases import service as cases_service
from bigcare.cases.models import Case
from bigcare.db import KST, aware, seoul_today
from bigcare.facilities import parsing
from bigcare.facilities.models import ImportBatch
from bigcare.linkage import decisions
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring

# Flags in the order the page shows them: code → label.
FLAGS: dict[str, str] = {
    "single": "1인 가구",
    "age65": "65세 이상",
    "alone75": "75세 이상 독거",
    "disabled": "장애",
    "basic": "기초생활수급",
    "near_poor": "차상위",
    "single_parent": "한부모",
    "crisis": "위기정보",
    "in_case": "사례관리 중",
}
DISABLED_TYPE = "DISABLED_WELFARE"
CRISIS_TYPE = "CRISIS_AGENCY"
TIMELINE_ON_PAGE = 10

# Columns no mapping takes, read from the sealed row: a disability column, and the benefit
# columns (수급구분, 수급자격, 차상위 여부, 한부모 여부 ...).
_DISABILITY_WORD = "장애"
_BENEFIT_WORDS = {"차상위": "near_poor", "한부모": "single_parent", "수급": "basic"}
# Values that say "no" (or nothing) in such a column.
_NO = frozenset(
    {"", "-", "0", "n", "no", "x", "false", "아니오", "아니요", "없음", "무", "부", "해당없음"}
    | {"비해당", "미해당", "일반", "미등록", "해당무", "n/a"}
)
_YES = frozenset({"y", "yes", "o", "1", "true", "예", "네", "유", "해당", "대상", "등록"})
_BASIC_WORDS = ("수급", "생계", "의료급여", "주거급여", "교육급여", "기초생활")
_SPLIT = re.compile(r"[,/·;|()\[\]\s]+")


@dataclass
class Flag:
    """A flag on the person page and where it came from (shown as its tooltip)."""

    code: str
    label: str
    sources: list[str] = field(default_factory=list)

    @property
    def source_text(self) -> str:
        return "; ".join(self.sources)


@dataclass
class CaseRow:
    """One of the person's cases, as the person page shows it."""

    case: Case
    caseworker: str | None
    overdue: list[deadlines.DeadlineFlag] = field(default_factory=list)

    @property
    def stage_label(self) -> str:
        return stages.STAGES.get(self.case.stage, self.case.stage)


@dataclass
class PersonPage:
    """Everything the person page shows."""

    detail: cases_service.PersonDetail
    flags: list[Flag]
    household: households.HouseholdView | None
    members: list[households.MemberRow]  # the household's members the viewer may see
    hidden_members: int  # members outside the viewer's scope (counted, not named)
    show_cases: bool
    open_case: CaseRow | None
    past_cases: list[CaseRow]
    timeline: timeline.Page


# --- flags --------------------------------------------------------------------------------


def _is_no(token: str) -> bool:
    token = token.strip().lower()
    return token in _NO or token.startswith(("비", "미", "탈"))


def benefit_codes(header: str, value: str) -> set[str]:
    """The benefit flags a raw benefit cell gives (기초생활수급자, 생계급여, 차상위, 한부모가족,
    or a yes in a column named for one of them)."""
    codes: set[str] = set()
    tokens = [t for t in _SPLIT.split(value.strip()) if t]
    for token in tokens:
        if _is_no(token):
            continue
        if "차상위" in token:
            codes.add("near_poor")
        elif "한부모" in token:
            codes.add("single_parent")
        elif any(word in token for word in _BASIC_WORDS):
            codes.add("basic")
        elif token.lower() in _YES:
            codes.update(code for word, code in _BENEFIT_WORDS.items() if word in header)
    return codes


def _has_disability(value: str) -> bool:
    tokens = [t for t in _SPLIT.split(value.strip()) if t]
    return any(not _is_no(t) for t in tokens)


def _raw_flags(
    session: Session, *, keyring: Keyring, sources: list[decisions.SourceRow]
) -> dict[str, list[str]]:
    """Flags from raw columns, read from each facility client's latest row (its current
    status) in the batches whose header has such a column."""
    latest: dict[tuple[str, int], decisions.SourceRow] = {}
    for s in sources:
        key = (s.record.facility_code, s.link.node_id)
        if key not in latest or (s.record.id or 0) > (latest[key].record.id or 0):
            latest[key] = s
    batch_ids = sorted({s.record.batch_id for s in latest.values()})
    if not batch_ids:
        return {}
    columns: dict[int, list[tuple[int, str, str]]] = {}  # batch → (position, header, kind)
    for batch_id, header, mapping in session.exec(
        select(ImportBatch.id, ImportBatch.header, ImportBatch.mapping).where(
            col(ImportBatch.id).in_(batch_ids)
        )
    ).all():
        wanted = []
        for position, name in enumerate(header or []):
            if (mapping or {}).get(name):
                continue  # a mapped column is a golden field, not a flag
            plain = "".join(name.split())
            if _DISABILITY_WORD in plain:
                wanted.append((position, plain, "disability"))
            elif any(word in plain for word in _BENEFIT_WORDS):
                wanted.append((position, plain, "benefit"))
        if wanted:
            columns[batch_id] = wanted
    found: dict[str, list[str]] = {}
    for s in sorted(latest.values(), key=lambda s: s.record.id or 0):
        wanted = columns.get(s.record.batch_id)
        if not wanted:
            continue
        cells = parsing.open_cells(keyring, s.record.raw_sealed)
        received = aware(s.record.received_at).astimezone(KST).date()
        for position, header, kind in wanted:
            value = cells[position].strip() if position < len(cells) else ""
            if kind == "disability":
                codes = {"disabled"} if _has_disability(value) else set()
            else:
                codes = benefit_codes(header, value)
            for code in codes:
                note = f"{s.facility.name} · {header} '{value}' ({received} 받은 기록)"
                found.setdefault(code, []).append(note)
    return found


def _type_flags(sources: list[decisions.SourceRow]) -> dict[str, list[str]]:
    """장애 from a disability welfare center's records, 위기정보 from a crisis agency's."""
    counts: dict[tuple[str, str], list[date]] = {}
    for s in sources:
        code = {DISABLED_TYPE: "disabled", CRISIS_TYPE: "crisis"}.get(s.facility.type_code)
        if code is None:
            continue
        day = s.record.service_date or aware(s.record.received_at).astimezone(KST).date()
        counts.setdefault((code, s.facility.name), []).append(day)
    found: dict[str, list[str]] = {}
    for (code, name), days in counts.items():
        found.setdefault(code, []).append(f"{name} 기록 {len(days)}건 (최근 {max(days)})")
    return found


def flags(
    session: Session,
    *,
    keyring: Keyring,
    row: cases_service.PersonRow,
    sources: list[decisions.SourceRow],
    household: households.HouseholdView | None,
    open_case: CaseRow | None,
) -> list[Flag]:
    """The person's flags, each saying where it came from, in the order of FLAGS."""
    found: dict[str, list[str]] = {}

    def add(code: str, notes: Iterable[str]) -> None:
        found.setdefault(code, []).extend(n for n in notes if n not in found.get(code, []))

    alone = household is not None and len(household.members) == 1
    if household is not None and alone:
        add("single", [f"가구 #{household.household.id}: 가구원 1명"])
    age = row.age
    if age is not None and age >= 65:
        add("age65", [f"생년월일 {row.person.birth_date} (만 {age}세)"])
    if age is not None and age >= 75 and alone and household is not None:
        add("alone75", [f"만 {age}세, 가구 #{household.household.id}에 혼자 삶"])
    for code, notes in _type_flags(sources).items():
        add(code, notes)
    for code, notes in _raw_flags(session, keyring=keyring, sources=sources).items():
        add(code, notes)
    if open_case is not None:
        who = f", 담당 {open_case.caseworker}" if open_case.caseworker else ""
        add("in_case", [f"사례 #{open_case.case.id} ({open_case.stage_label}{who})"])
    return [Flag(code, label, found[code]) for code, label in FLAGS.items() if code in found]


# --- cases and household ------------------------------------------------------------------


def cases_of(session: Session, *, person_id: int, today: date) -> list[CaseRow]:
    """The person's cases, newest first, with the caseworker's name and overdue deadlines."""
    rows = session.exec(
        select(Case, User.display_name)
        .outerjoin(User, col(User.id) == Case.caseworker_id)
        .where(Case.person_id == person_id)
        .order_by(col(Case.identified_on).desc(), col(Case.id).desc())
    ).all()
    open_ids = [c.id for c, _ in rows if c.stage != "closed" and c.id is not None]
    checks = deadlines.next_checks(session, open_ids)
    return [
        CaseRow(
            case,
            name,
            [
                d
                for d in deadlines.deadline_flags(case, today=today, next_check=checks.get(case.id))
                if d.overdue
            ],
        )
        for case, name in rows
    ]


def _visible(
    session: Session, actor: Actor, household: households.HouseholdView | None
) -> list[households.MemberRow]:
    if household is None:
        return []
    ids = [m.person.id for m in household.members]
    seen = set(
        session.exec(
            select(Person.id).where(
                col(Person.id).in_(ids), actor.dong_clause(col(Person.dong_code))
            )
        ).all()
    )
    return [m for m in household.members if m.person.id in seen]


def person_page(
    session: Session, *, actor: Actor, keyring: Keyring, detail: cases_service.PersonDetail
) -> PersonPage:
    """The person page for a person already read in scope (and logged) by the caller; the
    household members it shows are logged here."""
    row = detail.row
    person_id = row.person.id or 0
    today = seoul_today()
    household = households.household_of(session, person_id=person_id)
    members = _visible(session, actor, household)
    for member in members:
        # The page shows each member's name, age and masked RRN: a read of their data too.
        if member.person.id != person_id:
            audit.record(
                session,
                actor=actor,
                action="person.read",
                subject=member.person.id,
                target=f"person:{person_id} 가구원",
            )
    show_cases = actor.can("case.read")
    cases = cases_of(session, person_id=person_id, today=today) if show_cases else []
    open_case = next((c for c in cases if c.case.stage != "closed"), None)
    kinds = None if show_cases else sorted(timeline.SERVICE_KINDS)
    return PersonPage(
        detail=detail,
        flags=flags(
            session,
            keyring=keyring,
            row=row,
            sources=detail.sources,
            household=household,
            open_case=open_case,
        ),
        household=household,
        members=members,
        hidden_members=len(household.members) - len(members) if household else 0,
        show_cases=show_cases,
        open_case=open_case,
        past_cases=[c for c in cases if c is not open_case],
        timeline=timeline.person_timeline(
            session,
            person_id=person_id,
            kinds=kinds,
            limit=TIMELINE_ON_PAGE,
            with_cases=bool(cases) if show_cases else None,
        ),
    )


def get_person_page(
    session: Session, *, actor: Actor, keyring: Keyring, person_id: int
) -> PersonPage:
    """The person page of a person in the actor's scope; the read is access-logged once.
    Raises NotFound (also outside the scope)."""
    detail = cases_service.get_person_detail(session, actor=actor, person_id=person_id)
    return person_page(session, actor=actor, keyring=keyring, detail=detail)

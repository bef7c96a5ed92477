"""Where timeline entries come from: one `Source` per kind of record (a facility's services,
a case's stage changes, assessments, conferences, plans, monitoring and visits, referrals,
consents, notes), each one indexed query that returns a page of `Entry` below a keyset cursor.
A later module adds its own (outreach's home visits) with `register`; `timeline` merges them."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bigcare.cases import stages
from bigcare.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    CaseNote,
    Conference,
    Consent,
    Monitoring,
    Referral,
    ServicePlan,
)
from bigcare.cases.records import consents
from bigcare.db import KST, aware
from bigcare.errors import FieldError, InvalidInput
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage.models import RecordLink

# Kinds of entry, in the order the filter lists them. "visit" is a home visit: a monitoring
# check made in person today, and the outreach module's visits later.
KINDS: dict[str, str] = {
    "service": "시설 서비스",
    "visit": "방문",
    "stage": "사례 단계",
    "assessment": "욕구·위기도 조사",
    "conference": "사례회의",
    "plan": "서비스 제공계획",
    "monitoring": "점검",
    "referral": "서비스 의뢰",
    "consent": "동의",
    "note": "사례 기록",
}
# What a viewer without case.read may still see.
SERVICE_KINDS = frozenset({"service"})

PER_PAGE = 50
DETAIL_WIDTH = 80
CURSOR_INVALID = "더 보기 위치가 올바르지 않습니다. 처음부터 다시 보세요"


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last entry's time, its source's rank and its row id.
    Entries sort by (at, rank, id), newest first; the next page holds the smaller keys."""

    at: datetime
    rank: int
    id: int

    def __str__(self) -> str:
        micros = int(self.at.timestamp()) * 1_000_000 + self.at.microsecond
        return f"{micros}.{self.rank}.{self.id}"


def parse_cursor(text: str) -> Cursor:
    """A cursor from its text (as `str(cursor)` wrote it). Raises InvalidInput."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        raise InvalidInput(CURSOR_INVALID, [FieldError("before", CURSOR_INVALID)])
    micros, rank, row_id = (int(p) for p in parts)
    try:
        at = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(
            microsecond=micros % 1_000_000
        )
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(CURSOR_INVALID, [FieldError("before", CURSOR_INVALID)]) from None
    return Cursor(at, rank, row_id)


@dataclass
class Entry:
    """One thing that happened: when, what kind, what, where it came from, to whom."""

    at: datetime  # aware UTC; an entry known only by its date sits at Seoul midnight
    kind: str
    title: str
    detail: str
    source: str  # the facility's name, or "사례관리: <담당자>"
    person_id: int
    link: str | None = None
    rank: int = 0
    id: int = 0
    member: str = ""  # the member's name (household timelines name whose entry it is)
    dated: bool = False  # only the date is known

    @property
    def day(self) -> date:
        """The date in Seoul."""
        return self.at.astimezone(KST).date()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def cursor(self) -> str:
        return str(Cursor(self.at, self.rank, self.id))

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, self.rank, self.id)


@dataclass
class Query:
    """What a source is asked for: whose entries, from which facility, before which cursor,
    how many (at most; one more tells the caller there is another page)."""

    person_ids: list[int]
    facility_code: str | None = None
    before: Cursor | None = None
    limit: int = PER_PAGE
    rank: int = 0


@dataclass(frozen=True)
class Source:
    """A kind of timeline entry and the query that finds them. `facility`: whether it can
    be filtered by facility (sources that cannot are left out of a facility's view).
    `case`: its entries belong to a case, so a person who never had one has none (most
    persons: the timeline skips these queries for them)."""

    name: str
    kind: str
    fetch: Callable[[Session, Query], list[Entry]]
    facility: bool = False
    case: bool = False


# --- building blocks a source uses ---------------------------------------------------------


def seoul_midnight(day: date) -> datetime:
    """The start of a Seoul date, as aware UTC (where a date-only entry sorts)."""
    return datetime.combine(day, time(), KST).astimezone(UTC)


def _before(at: Any, row_id: Any, *, rank: int, cursor: Cursor, dated: bool) -> ColumnElement[bool]:
    """Rows whose (at, rank, id) key is below the cursor; `dated`: `at` is a date column."""
    if rank < cursor.rank:
        tie: ColumnElement[bool] = true()
    elif rank == cursor.rank:
        tie = row_id < cursor.id
    else:
        tie = false()
    if not dated:
        # UTC: SQLite stores times without their zone, as UTC.
        bound = cursor.at.astimezone(UTC)
        return or_(at < bound, and_(at == bound, tie))
    day = cursor.at.astimezone(KST).date()
    if seoul_midnight(day) == cursor.at:
        return or_(at < day, and_(at == day, tie))
    return at <= day


def keyset(
    stmt: Select[Any], *, at: Any, row_id: Any, query: Query, dated: bool = False
) -> Select[Any]:
    """A source's statement limited to the page: below the cursor, newest first, at most
    limit + 1 rows. `at` is the entry's date or time column, `row_id` its table's id."""
    if query.before is not None:
        stmt = stmt.where(_before(at, row_id, rank=query.rank, cursor=query.before, dated=dated))
    return stmt.order_by(at.desc(), row_id.desc()).limit(query.limit + 1)


def when(value: date | datetime) -> datetime:
    """An entry's sort time from a stored date or time."""
    if isinstance(value, datetime):
        return aware(value).astimezone(UTC)
    return seoul_midnight(value)


def first_line(text: str | None, width: int = DETAIL_WIDTH) -> str:
    """The first non-empty line of a text, cut to `width` characters (lists stay short)."""
    line = next((ln.strip() for ln in (text or "").splitlines() if ln.strip()), "")
    line = line.lstrip("#>*- ").strip()
    return line if len(line) <= width else line[: width - 1] + "…"


def _staff(label: str) -> str:
    return f"사례관리: {label}"


def _entry(query: Query, row_id: int | None, at: date | datetime, **values: Any) -> Entry:
    return Entry(
        at=when(at),
        rank=query.rank,
        id=row_id or 0,
        dated=not isinstance(at, datetime),
        **values,
    )


def _case_rows(model: Any, query: Query) -> Select[Any]:
    """A case table's rows with the case's person, for the queried persons."""
    return (
        select(model, Case.person_id)
        .join(Case, col(Case.id) == model.case_id)
        .where(col(Case.person_id).in_(query.person_ids))
    )


# --- the sources --------------------------------------------------------------------------


def _service_columns(query: Query) -> Select[Any]:
    stmt = (
        select(
            SourceRecord.id,
            SourceRecord.service_name,
            SourceRecord.service_date,
            SourceRecord.received_at,
            Facility.name,
            RecordLink.person_id,
        )
        .join(RecordLink, col(RecordLink.record_id) == SourceRecord.id)
        .join(Facility, col(Facility.code) == SourceRecord.facility_code)
        .where(col(RecordLink.person_id).in_(query.person_ids))
    )
    if query.facility_code:
        stmt = stmt.where(SourceRecord.facility_code == query.facility_code)
    return stmt


def _service_entries(query: Query, rows: Iterable[Any], *, dated: bool) -> list[Entry]:
    return [
        _entry(
            query,
            record_id,
            service_date if dated else received_at,
            kind="service",
            title=name or "서비스 이용",
            detail="" if dated else "제공일 없음 (받은 날 기준)",
            source=facility,
            person_id=person_id,
            link=f"/persons/{person_id}#sources",
        )
        for record_id, name, service_date, received_at, facility, person_id in rows
    ]


def services_dated(session: Session, query: Query) -> list[Entry]:
    """Services facilities reported with their date."""
    stmt = _service_columns(query).where(col(SourceRecord.service_date).is_not(None))
    stmt = keyset(
        stmt,
        at=col(SourceRecord.service_date),
        row_id=col(SourceRecord.id),
        query=query,
        dated=True,
    )
    return _service_entries(query, session.exec(stmt).all(), dated=True)


def services_undated(session: Session, query: Query) -> list[Entry]:
    """Services reported without a date: placed at the day the facility sent them."""
    stmt = _service_columns(query).where(
        col(SourceRecord.service_date).is_(None), col(SourceRecord.service_name).is_not(None)
    )
    stmt = keyset(stmt, at=col(SourceRecord.received_at), row_id=col(SourceRecord.id), query=query)
    return _service_entries(query, session.exec(stmt).all(), dated=False)


def stage_changes(session: Session, query: Query) -> list[Entry]:
    """A case opened or moved to another stage."""
    stmt = keyset(
        _case_rows(CaseEvent, query), at=col(CaseEvent.at), row_id=col(CaseEvent.id), query=query
    )
    entries = []
    for event, person_id in session.exec(stmt).all():
        stage = stages.STAGES.get(event.to_stage, event.to_stage)
        title = f"사례 시작: {stage}" if event.from_stage is None else f"{stage} 단계로"
        entries.append(
            _entry(
                query,
                event.id,
                event.at,
                kind="stage",
                title=title,
                detail=first_line(event.note),
                source=_staff(event.actor_label),
                person_id=person_id,
                link=f"/cases/{event.case_id}",
            )
        )
    return entries


def assessments(session: Session, query: Query) -> list[Entry]:
    """욕구·위기도 조사 (initial and 재사정)."""
    stmt = keyset(
        _case_rows(Assessment, query),
        at=col(Assessment.assessed_on),
        row_id=col(Assessment.id),
        query=query,
        dated=True,
    )
    return [
        _entry(
            query,
            a.id,
            a.assessed_on,
            kind="assessment",
            title=f"욕구·위기도 조사 ({stages.ASSESSMENT_KINDS.get(a.kind, a.kind)})",
            detail=" · ".join(
                part
                for part in (
                    f"위기도 {stages.CRISIS_LEVELS.get(a.crisis_level, a.crisis_level)}",
                    first_line(a.summary),
                )
                if part
            ),
            source=_staff(a.actor_label),
            person_id=person_id,
            link=f"/cases/{a.case_id}",
        )
        for a, person_id in session.exec(stmt).all()
    ]


def conferences(session: Session, query: Query) -> list[Entry]:
    """사례회의 and what was decided."""
    stmt = keyset(
        _case_rows(Conference, query),
        at=col(Conference.held_on),
        row_id=col(Conference.id),
        query=query,
        dated=True,
    )
    return [
        _entry(
            query,
            c.id,
            c.held_on,
            kind="conference",
            title=f"{stages.CONFERENCE_KINDS.get(c.kind, c.kind)} 사례회의",
            detail=first_line(c.decision),
            source=_staff(c.actor_label),
            person_id=person_id,
            link=f"/cases/{c.case_id}",
        )
        for c, person_id in session.exec(stmt).all()
    ]


def plans(session: Session, query: Query) -> list[Entry]:
    """서비스 제공계획, each version when it was made."""
    stmt = keyset(
        _case_rows(ServicePlan, query),
        at=col(ServicePlan.created_at),
        row_id=col(ServicePlan.id),
        query=query,
    )
    return [
        _entry(
            query,
            p.id,
            p.created_at,
            kind="plan",
            title=f"서비스 제공계획 (제{p.version}차)",
            detail=" · ".join(
                part for part in (f"{p.starts_on} ~ {p.ends_on}", first_line(p.goals)) if part
            ),
            source=_staff(p.actor_label),
            person_id=person_id,
            link=f"/cases/{p.case_id}",
        )
        for p, person_id in session.exec(stmt).all()
    ]


def _monitoring(session: Session, query: Query, *, visits: bool) -> list[Entry]:
    stmt = _case_rows(Monitoring, query)
    is_visit = col(Monitoring.method) == "visit"
    stmt = stmt.where(is_visit if visits else ~is_visit)
    stmt = keyset(
        stmt, at=col(Monitoring.checked_on), row_id=col(Monitoring.id), query=query, dated=True
    )
    return [
        _entry(
            query,
            m.id,
            m.checked_on,
            kind="visit" if visits else "monitoring",
            title="방문 점검"
            if visits
            else f"점검 ({stages.MONITORING_METHODS.get(m.method, m.method)})",
            detail=first_line(m.content),
            source=_staff(m.actor_label),
            person_id=person_id,
            link=f"/cases/{m.case_id}",
        )
        for m, person_id in session.exec(stmt).all()
    ]


def monitoring_visits(session: Session, query: Query) -> list[Entry]:
    """Monitoring done at home: a visit."""
    return _monitoring(session, query, visits=True)


def monitoring_checks(session: Session, query: Query) -> list[Entry]:
    """Monitoring by phone, at the office or through a facility."""
    return _monitoring(session, query, visits=False)


def referrals(session: Session, query: Query) -> list[Entry]:
    """A case's referral of the person to a facility."""
    stmt = (
        select(Referral, Case.person_id, Facility.name)
        .join(Case, col(Case.id) == Referral.case_id)
        .join(Facility, col(Facility.code) == Referral.facility_code)
        .where(col(Case.person_id).in_(query.person_ids))
    )
    if query.facility_code:
        stmt = stmt.where(Referral.facility_code == query.facility_code)
    stmt = keyset(stmt, at=col(Referral.created_at), row_id=col(Referral.id), query=query)
    return [
        _entry(
            query,
            r.id,
            r.created_at,
            kind="referral",
            title=f"서비스 의뢰: {r.service}",
            detail=f"{facility} · {consents.REFERRAL_STATUSES.get(r.status, r.status)}",
            source=_staff(r.actor_label),
            person_id=person_id,
            link=f"/cases/{r.case_id}",
        )
        for r, person_id, facility in session.exec(stmt).all()
    ]


def _consents(session: Session, query: Query, *, withdrawn: bool) -> list[Entry]:
    on = col(Consent.withdrawn_on) if withdrawn else col(Consent.given_on)
    stmt = (
        select(Consent, Facility.name)
        .outerjoin(Facility, col(Facility.code) == Consent.facility_code)
        .where(col(Consent.person_id).in_(query.person_ids))
    )
    if withdrawn:
        stmt = stmt.where(on.is_not(None))
    if query.facility_code:
        stmt = stmt.where(Consent.facility_code == query.facility_code)
    stmt = keyset(stmt, at=on, row_id=col(Consent.id), query=query, dated=True)
    entries = []
    for c, facility in session.exec(stmt).all():
        purpose = consents.PURPOSES.get(c.purpose, c.purpose)
        scope = facility or "모든 기관"
        if withdrawn:
            title, detail = f"동의 철회: {purpose}", f"{scope} · {first_line(c.withdrawn_reason)}"
        else:
            giver = consents.GIVEN_BY.get(c.given_by, c.given_by)
            method = consents.METHODS.get(c.method, c.method)
            title, detail = f"동의: {purpose}", f"{scope} · {giver} · {method}"
        entries.append(
            _entry(
                query,
                c.id,
                c.withdrawn_on if withdrawn and c.withdrawn_on else c.given_on,
                kind="consent",
                title=title,
                detail=detail.strip(" ·"),
                source=_staff(c.recorded_by_label),
                person_id=c.person_id,
                link=f"/cases/{c.case_id}" if c.case_id else None,
            )
        )
    return entries


def consents_given(session: Session, query: Query) -> list[Entry]:
    """Consents as given."""
    return _consents(session, query, withdrawn=False)


def consents_withdrawn(session: Session, query: Query) -> list[Entry]:
    """Consents withdrawn (a second entry on the day of withdrawal)."""
    return _consents(session, query, withdrawn=True)


def notes(session: Session, query: Query) -> list[Entry]:
    """Case notes: the first line only (the case page has the whole note)."""
    stmt = select(CaseNote).where(col(CaseNote.person_id).in_(query.person_ids))
    stmt = keyset(stmt, at=col(CaseNote.created_at), row_id=col(CaseNote.id), query=query)
    return [
        _entry(
            query,
            n.id,
            n.created_at,
            kind="note",
            title="사례 기록",
            detail=first_line(n.body),
            source=_staff(n.actor_label),
            person_id=n.person_id,
            link=f"/cases/{n.case_id}",
        )
        for n in session.exec(stmt).all()
    ]


# Every source of entries. A later module (outreach's home visits) adds its own with
# `register`; its rank (place in this list) orders entries of the same moment.
SOURCES: list[Source] = [
    Source("services_dated", "service", services_dated, facility=True),
    Source("services_undated", "service", services_undated, facility=True),
    Source("stage_changes", "stage", stage_changes, case=True),
    Source("assessments", "assessment", assessments, case=True),
    Source("conferences", "conference", conferences, case=True),
    Source("plans", "plan", plans, case=True),
    Source("monitoring_visits", "visit", monitoring_visits, case=True),
    Source("monitoring_checks", "monitoring", monitoring_checks, case=True),
    Source("referrals", "referral", referrals, facility=True, case=True),
    Source("consents_given", "consent", consents_given, facility=True),
    Source("consents_withdrawn", "consent", consents_withdrawn, facility=True),
    Source("notes", "note", notes, case=True),
]


def register(source: Source) -> None:
    """Add a source of entries (once; a second registration under the same name is ignored)."""
    if all(s.name != source.name for s in SOURCES):
        SOURCES.append(source)

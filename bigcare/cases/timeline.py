"""The service timeline of a person or a household: every service from every facility and
every step of their cases, newest first, filtered by kind and facility, paged by a keyset
cursor ("더 보기"). The entries come from `timeline_sources` (one indexed query per source,
merged here). `person_timeline` and `household_timeline` are pure queries (the caller checks
scope and logs); `get_person_timeline` and `get_household_timeline` do both for the pages."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases import households
from bigcare.cases import service as cases_service
from bigcare.cases import timeline_sources as sources
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage.models import Person, RecordLink

KINDS = sources.KINDS
SERVICE_KINDS = sources.SERVICE_KINDS
PER_PAGE = sources.PER_PAGE
MAX_LIMIT = 200


@dataclass
class Page:
    """One page of a timeline, newest first, and the cursor of the next page (or None)."""

    entries: list[sources.Entry]
    more: str | None = None


# --- timelines ----------------------------------------------------------------------------


def _chosen_kinds(kinds: Iterable[str] | None) -> set[str]:
    known = {s.kind for s in sources.SOURCES} | set(KINDS)
    return known if kinds is None else {k for k in kinds if k in known}


def _timeline(
    session: Session,
    *,
    person_ids: list[int],
    names: dict[int, str],
    kinds: Iterable[str] | None,
    facility_code: str | None,
    before: str | None,
    limit: int,
    with_cases: bool | None = None,
) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    cursor = sources.parse_cursor(before) if before else None
    chosen = _chosen_kinds(kinds)
    if not person_ids or not chosen:
        return Page([])
    wanted = [
        (rank, source)
        for rank, source in enumerate(sources.SOURCES)
        if source.kind in chosen and not (facility_code and not source.facility)
    ]
    if with_cases is None and any(source.case for _, source in wanted):
        with_cases = _had_case(session, person_ids)
    entries: list[sources.Entry] = []
    for rank, source in wanted:
        if source.case and not with_cases:
            continue
        query = sources.Query(person_ids, facility_code or None, cursor, limit, rank)
        entries.extend(source.fetch(session, query))
    entries.sort(key=lambda e: e.key, reverse=True)
    page = entries[:limit]
    for entry in page:
        entry.member = names.get(entry.person_id, "")
    more = page[-1].cursor if len(entries) > limit else None
    return Page(page, more)


def _had_case(session: Session, person_ids: list[int]) -> bool:
    found = session.exec(select(Case.id).where(col(Case.person_id).in_(person_ids)).limit(1))
    return found.first() is not None


def person_timeline(
    session: Session,
    *,
    person_id: int,
    kinds: Iterable[str] | None = None,
    facility_code: str | None = None,
    before: str | None = None,
    limit: int = PER_PAGE,
    with_cases: bool | None = None,
) -> Page:
    """One page of a person's timeline, newest first. kinds: codes from KINDS (None: all);
    facility_code: only that facility's entries; before: the cursor `Page.more` gave;
    with_cases: whether the person ever had a case, when the caller knows (None: looked up).
    Raises InvalidInput (a cursor that is not one)."""
    return _timeline(
        session,
        person_ids=[person_id],
        names={},
        kinds=kinds,
        facility_code=facility_code,
        before=before,
        limit=limit,
        with_cases=with_cases,
    )


def _members(session: Session, household_id: int) -> dict[int, str]:
    rows = session.exec(
        select(Person.id, Person.name)
        .join(HouseholdMember, col(HouseholdMember.person_id) == Person.id)
        .where(HouseholdMember.household_id == household_id)
    ).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


def household_timeline(
    session: Session,
    *,
    household_id: int,
    kinds: Iterable[str] | None = None,
    facility_code: str | None = None,
    before: str | None = None,
    limit: int = PER_PAGE,
    person_ids: list[int] | None = None,
) -> Page:
    """person_timeline over every member of a household (or the given members of it); each
    entry names its member. Raises InvalidInput."""
    names = _members(session, household_id)
    ids = [i for i in names if person_ids is None or i in person_ids]
    return _timeline(
        session,
        person_ids=sorted(ids),
        names=names,
        kinds=kinds,
        facility_code=facility_code,
        before=before,
        limit=limit,
    )


def facilities_of(session: Session, *, person_ids: list[int]) -> list[tuple[str, str]]:
    """The facilities that sent records of these persons (code, name), for the filter."""
    if not person_ids:
        return []
    rows = session.exec(
        select(Facility.code, Facility.name)
        .where(
            col(Facility.code).in_(
                select(SourceRecord.facility_code)
                .join(RecordLink, col(RecordLink.record_id) == SourceRecord.id)
                .where(col(RecordLink.person_id).in_(person_ids))
            )
        )
        .order_by(Facility.name)
    ).all()
    return [(code, name) for code, name in rows]


# --- the pages: scope, access log, filters ------------------------------------------------


@dataclass
class TimelineView:
    """A timeline page: whose it is, the entries, and the filter's choices."""

    page: Page
    kinds: dict[str, str]  # the kinds the viewer may choose (code → label)
    chosen: list[str]
    facilities: list[tuple[str, str]]
    facility_code: str | None
    person: cases_service.PersonRow | None = None
    household: Household | None = None
    members: dict[int, str] = field(default_factory=dict)

    def query(self, **extra: str) -> str:
        """The filter as a query string (the kinds only when not all are chosen), plus extra."""
        pairs: list[tuple[str, str]] = []
        if set(self.chosen) != set(self.kinds):
            pairs += [("kind", k) for k in self.chosen]
        if self.facility_code:
            pairs.append(("facility", self.facility_code))
        return urlencode(pairs + list(extra.items()))


def _allowed_kinds(actor: Actor) -> dict[str, str]:
    allowed = KINDS if actor.can("case.read") else {k: KINDS[k] for k in SERVICE_KINDS}
    return dict(allowed)


def _filters(
    actor: Actor, kinds: list[str] | None, facility_code: str | None
) -> tuple[dict[str, str], list[str], str | None]:
    allowed = _allowed_kinds(actor)
    chosen = [k for k in allowed if k in (kinds or [])] or list(allowed)
    return allowed, chosen, (facility_code or "").strip() or None


def get_person_timeline(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    kinds: list[str] | None = None,
    facility_code: str | None = None,
    before: str | None = None,
    limit: int = PER_PAGE,
) -> TimelineView:
    """A person's timeline page in the actor's scope; the read is access-logged.
    Raises NotFound (also outside the scope), InvalidInput (a bad cursor)."""
    row = cases_service.get_person(session, actor=actor, person_id=person_id)
    allowed, chosen, facility = _filters(actor, kinds, facility_code)
    page = person_timeline(
        session,
        person_id=person_id,
        kinds=chosen,
        facility_code=facility,
        before=before,
        limit=limit,
    )
    return TimelineView(
        page=page,
        kinds=allowed,
        chosen=chosen,
        facilities=facilities_of(session, person_ids=[person_id]),
        facility_code=facility,
        person=row,
    )


def get_household_timeline(
    session: Session,
    *,
    actor: Actor,
    household_id: int,
    kinds: list[str] | None = None,
    facility_code: str | None = None,
    before: str | None = None,
    limit: int = PER_PAGE,
) -> TimelineView:
    """A household's timeline page (its members in the actor's scope); one access-log row
    per member shown. Raises NotFound, InvalidInput."""
    household = households.get_household(session, actor=actor, household_id=household_id)
    members = _members(session, household_id)
    visible = set(
        session.exec(
            select(Person.id).where(
                col(Person.id).in_(list(members)), actor.dong_clause(col(Person.dong_code))
            )
        ).all()
    )
    members = {i: name for i, name in members.items() if i in visible}
    allowed, chosen, facility = _filters(actor, kinds, facility_code)
    page = household_timeline(
        session,
        household_id=household_id,
        kinds=chosen,
        facility_code=facility,
        before=before,
        limit=limit,
        person_ids=list(members),
    )
    for person_id in sorted(members):
        audit.record(
            session,
            actor=actor,
            action="person.read",
            subject=person_id,
            target=f"household:{household_id} 서비스 이력",
        )
    return TimelineView(
        page=page,
        kinds=allowed,
        chosen=chosen,
        facilities=facilities_of(session, person_ids=list(members)),
        facility_code=facility,
        household=household,
        members=members,
    )

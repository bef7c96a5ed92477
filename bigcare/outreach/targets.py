"""Visit targets from the rules: refreshing them (new ones added once per person and cycle,
ones no rule selects any more closed, moved households handed to their new center) and the
open targets a center plans from. Bulk work in chunks: the city has a million persons."""

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bigcare import db
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.linkage.models import Person
from bigcare.outreach import rules, selectors
from bigcare.outreach.models import (
    HouseholdPreference,
    OutreachStaff,
    Visit,
    VisitRule,
    VisitTarget,
)

log = logging.getLogger(__name__)

CHUNK = 2000
CLOSED_BY_RULE = "rule"


@dataclass
class RefreshResult:
    """What a refresh changed: targets added and closed, added per rule, and open targets
    handed to another center because the household moved."""

    added: int = 0
    closed: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    moved: int = 0


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rules_to_run(session: Session, rule_codes: Iterable[str] | None) -> list[VisitRule]:
    if rule_codes is None:
        found = rules.list_rules(session)
    else:
        found = [rules.get_rule(session, code) for code in dict.fromkeys(rule_codes)]
    # Re-visits follow failed visits (outcome service): refreshing never adds or closes them.
    return [r for r in found if r.selector != selectors.REVISIT]


def refresh_targets(
    session: Session,
    *,
    today: date,
    dong_codes: Collection[str] | None = None,
    rule_codes: Iterable[str] | None = None,
) -> RefreshResult:
    """Run every rule (or those named) over the dongs given (default: the city): add the
    targets that are missing, close open ones the rule no longer selects, and move open ones
    whose household now lives in another dong. Raises NotFound for an unknown rule code."""
    scope = sorted(set(dong_codes)) if dong_codes is not None else None
    result = RefreshResult()
    for rule in _rules_to_run(session, rule_codes):
        selected = selectors.select_for_rule(session, rule=rule, today=today, dong_codes=scope)
        added, moved = _add_missing(session, rule=rule, selected=selected, today=today)
        closed, moved_away = _close_unselected(
            session, rule=rule, selected=selected, today=today, scope=scope
        )
        result.added += added
        result.closed += closed
        result.moved += moved + moved_away
        result.by_rule[rule.code] = added
        log.info(
            "targets of rule %s: %d selected, %d added, %d closed, %d moved",
            rule.code,
            len(selected),
            added,
            closed,
            moved + moved_away,
        )
    return result


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert target rows, skipping any another run inserted meanwhile; how many went in."""
    if not rows:
        return 0
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    table = VisitTarget.__table__  # type: ignore[attr-defined]
    statement = dialect.insert(table).on_conflict_do_nothing(
        index_elements=["rule_code", "person_id", "cycle"]
    )
    # Core and no RETURNING: psycopg then sends one prepared row statement per row in a
    # pipeline; RETURNING makes SQLAlchemy build 1,000-row statements that psycopg re-parses
    # (about 25 s of 40 for the city's 50,000 targets). psycopg reports no row count for a
    # batch: the rows were checked missing just before, so only a refresh running at the
    # same moment could make the count too high (its rows are skipped, never doubled).
    count = session.connection().execute(statement, rows).rowcount
    return count if count >= 0 else len(rows)


def _move(session: Session, moves: dict[int, tuple[int | None, str]]) -> None:
    """Hand open targets to the household's current center: {target id: (household, dong)}."""
    by_place: defaultdict[tuple[int | None, str], list[int]] = defaultdict(list)
    for target_id, place in moves.items():
        by_place[place].append(target_id)
    now = db.utcnow()
    for (household_id, dong_code), ids in by_place.items():
        for part in _chunks(ids):
            session.execute(
                update(VisitTarget)
                .where(col(VisitTarget.id).in_(part))
                .values(household_id=household_id, dong_code=dong_code, updated_at=now)
            )


def _add_missing(
    session: Session, *, rule: VisitRule, selected: list[selectors.Selected], today: date
) -> tuple[int, int]:
    """Insert the selected (person, cycle) pairs the rule has no target for yet, except for
    persons who refused and asked not to be visited again before a date; (added, moved)."""
    added = moved_count = 0
    now = db.utcnow()
    for part in _chunks(selected):
        person_ids = sorted({s.person_id for s in part})
        existing: dict[tuple[int, str], tuple[int, str, int | None, str]] = {}
        snoozed: set[int] = set()
        for tid, pid, cycle, status, household_id, dong, snooze in session.exec(
            select(
                VisitTarget.id,
                VisitTarget.person_id,
                VisitTarget.cycle,
                VisitTarget.status,
                VisitTarget.household_id,
                VisitTarget.dong_code,
                VisitTarget.snooze_until,
            ).where(VisitTarget.rule_code == rule.code, col(VisitTarget.person_id).in_(person_ids))
        ):
            existing[(pid, cycle)] = (tid or 0, status, household_id, dong)
            if status == "refused" and snooze is not None and snooze > today:
                snoozed.add(pid)
        moves = {
            found[0]: (s.household_id, s.dong_code)
            for s in part
            if (found := existing.get((s.person_id, s.cycle))) is not None
            and found[1] == "open"
            and (found[2], found[3]) != (s.household_id, s.dong_code)
        }
        _move(session, moves)
        moved_count += len(moves)
        new = [
            s for s in part if (s.person_id, s.cycle) not in existing and s.person_id not in snoozed
        ]
        if not new:
            continue
        households = sorted({s.household_id for s in new if s.household_id is not None})
        prefs = _preferences(session, households)
        known_by_household, known_by_person = _known_staff(
            session, person_ids=[s.person_id for s in new], household_ids=households
        )
        rows = []
        for s in new:
            windows, avoid = prefs.get(s.household_id or 0, ([], []))
            known = known_by_household.get(s.household_id or 0) or known_by_person.get(s.person_id)
            rows.append(
                {
                    "rule_code": rule.code,
                    "person_id": s.person_id,
                    "household_id": s.household_id,
                    "dong_code": s.dong_code,
                    "cycle": s.cycle,
                    "priority": rule.priority,
                    "must_visit": rule.must_visit,
                    "due_on": s.due_on,
                    "earliest_on": s.earliest_on,
                    "reason": s.reason[:200],
                    "status": "open",
                    "windows": windows,
                    "avoid_days": avoid,
                    "known_staff_id": known,
                    "origin_visit_id": None,
                    "snooze_until": None,
                    "flagged": False,
                    "closed_on": None,
                    "close_reason": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        added += _insert(session, rows)
    return added, moved_count


def _preferences(
    session: Session, household_ids: list[int]
) -> dict[int, tuple[list[list[int]], list[int]]]:
    """Residents' visiting windows and weekdays to avoid, by household."""
    if not household_ids:
        return {}
    found = session.exec(
        select(
            HouseholdPreference.household_id,
            HouseholdPreference.windows,
            HouseholdPreference.avoid_days,
        ).where(col(HouseholdPreference.household_id).in_(household_ids))
    )
    return {hid: (list(windows), list(avoid)) for hid, windows, avoid in found}


def _known_staff(
    session: Session, *, person_ids: list[int], household_ids: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Who knows the household: the staff of its last completed visit (by household), else
    the outreach staff account of the open case's caseworker (by person, then household)."""
    by_household: dict[int, int] = {}
    if household_ids:
        last_visits = session.exec(
            select(Visit.household_id, Visit.staff_id)
            .where(col(Visit.household_id).in_(household_ids), Visit.status == "done")
            .order_by(col(Visit.day), col(Visit.id))
        )
        # Later visits overwrite earlier ones: the last visitor wins.
        by_household = {hid: staff for hid, staff in last_visits if hid is not None}
    by_person: dict[int, int] = {}
    case_households: dict[int, int] = {}
    holders = or_(
        col(Case.person_id).in_(person_ids),
        col(Case.household_id).in_(household_ids or [-1]),
    )
    for person_id, household_id, staff_id in session.exec(
        select(Case.person_id, Case.household_id, OutreachStaff.id)
        .join(OutreachStaff, col(OutreachStaff.user_id) == col(Case.caseworker_id))
        .where(Case.stage != "closed", OutreachStaff.active == True, holders)  # noqa: E712
    ):
        if staff_id is None:
            continue
        by_person.setdefault(person_id, staff_id)
        if household_id is not None:
            case_households.setdefault(household_id, staff_id)
    for household_id, staff_id in case_households.items():
        by_household.setdefault(household_id, staff_id)
    return by_household, by_person


def _current_places(
    session: Session, person_ids: Sequence[int]
) -> dict[int, tuple[int | None, str]]:
    """Active persons' household and visiting dong now (merged persons are absent)."""
    places: dict[int, tuple[int | None, str]] = {}
    for part in _chunks(list(person_ids)):
        for pid, household_id, dong in session.exec(
            select(
                Person.id,
                HouseholdMember.household_id,
                func.coalesce(Household.dong_code, Person.dong_code),
            )
            .outerjoin(HouseholdMember, col(HouseholdMember.person_id) == col(Person.id))
            .outerjoin(Household, col(Household.id) == col(HouseholdMember.household_id))
            .where(col(Person.id).in_(part), Person.status == "active")
        ):
            places[pid or 0] = (household_id, dong)
    return places


def _close_unselected(
    session: Session,
    *,
    rule: VisitRule,
    selected: list[selectors.Selected],
    today: date,
    scope: list[str] | None,
) -> tuple[int, int]:
    """Close the rule's open targets (in scope) it no longer selects; (closed, moved). In a
    refresh of some dongs only, a target whose household moved out of them is handed to the
    new center instead: that center's refresh decides whether it still applies."""
    chosen = {(s.person_id, s.cycle) for s in selected}
    query = select(VisitTarget.id, VisitTarget.person_id, VisitTarget.cycle).where(
        VisitTarget.rule_code == rule.code, VisitTarget.status == "open"
    )
    if scope is not None:
        query = query.where(col(VisitTarget.dong_code).in_(scope))
    stale = [
        (tid or 0, pid) for tid, pid, cycle in session.exec(query) if (pid, cycle) not in chosen
    ]
    moves: dict[int, tuple[int | None, str]] = {}
    if scope is not None and stale:
        places = _current_places(session, sorted({pid for _, pid in stale}))
        inside = set(scope)
        moves = {
            tid: places[pid] for tid, pid in stale if pid in places and places[pid][1] not in inside
        }
        _move(session, moves)
    to_close = [tid for tid, _ in stale if tid not in moves]
    now = db.utcnow()
    for part in _chunks(to_close):
        session.execute(
            update(VisitTarget)
            .where(col(VisitTarget.id).in_(part))
            .values(status="closed", closed_on=today, close_reason=CLOSED_BY_RULE, updated_at=now)
        )
    session.flush()
    return len(to_close), len(moves)


def list_open_targets(session: Session, *, dong_code: str, until: date) -> list[VisitTarget]:
    """A center's open targets that may be visited by `until` (not starting later, not
    snoozed past it), most urgent first."""
    return list(
        session.exec(
            select(VisitTarget)
            .where(
                VisitTarget.dong_code == dong_code,
                VisitTarget.status == "open",
                col(VisitTarget.earliest_on) <= until,
                or_(
                    col(VisitTarget.snooze_until).is_(None), col(VisitTarget.snooze_until) <= until
                ),
            )
            .order_by(col(VisitTarget.priority), col(VisitTarget.due_on), col(VisitTarget.id))
        )
    )


def target_counts(session: Session, *, dong_code: str, today: date | None = None) -> dict[str, int]:
    """A center's open targets: how many, how many past their due date, how many must-visit."""
    today = today or db.seoul_today()
    is_open = (VisitTarget.dong_code == dong_code, VisitTarget.status == "open")
    total, overdue, must = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(VisitTarget.due_on) < today, 1), else_=0)), 0),
            func.coalesce(func.sum(case((col(VisitTarget.must_visit), 1), else_=0)), 0),
        ).where(*is_open)
    ).one()
    return {"open": int(total), "overdue": int(overdue), "must": int(must)}

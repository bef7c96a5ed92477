"""Case deadlines: 조사 기한 (intake + 10 days until assessed), 계획 기한 (intake + 30 days until
planned) and 점검 예정 (the latest monitoring's next date); overdue cases found by index."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bigcare.auth.service import Actor
from bigcare.cases.models import Case, Monitoring
from bigcare.linkage.models import Person

KINDS = {"assessment": "조사 기한", "plan": "계획 기한", "monitoring": "점검 예정"}
# Stages at which a missing assessment or plan is still due.
_BEFORE_ASSESSMENT = ("intake",)


@dataclass(frozen=True)
class DeadlineFlag:
    """One deadline of a case and how it stands today."""

    kind: str  # assessment, plan, monitoring
    label: str
    due: date
    days_over: int  # days past the deadline (0 when not overdue)
    overdue: bool
    days_left: int  # days until the deadline (0 on the day and after)


def _flag(kind: str, due: date, today: date) -> DeadlineFlag:
    return DeadlineFlag(
        kind=kind,
        label=KINDS[kind],
        due=due,
        days_over=max(0, (today - due).days),
        overdue=today > due,
        days_left=max(0, (due - today).days),
    )


def deadline_flags(
    case: Case, *, today: date, next_check: date | None = None
) -> list[DeadlineFlag]:
    """The case's open deadlines (overdue or not). next_check: the latest monitoring entry's
    next date (see next_checks); only a case at the monitoring stage has one."""
    if case.stage == "closed":
        return []
    flags = []
    if case.stage in _BEFORE_ASSESSMENT and case.assessment_due is not None:
        flags.append(_flag("assessment", case.assessment_due, today))
    if case.plan_due is not None and case.planned_on is None:
        flags.append(_flag("plan", case.plan_due, today))
    if case.stage == "monitoring" and next_check is not None:
        flags.append(_flag("monitoring", next_check, today))
    return flags


def latest_monitoring():  # type: ignore[no-untyped-def]
    """Monitoring rows with no later entry for the same case (the one whose next_on counts)."""
    later = aliased(Monitoring)
    newer = (
        select(later.id)
        .where(later.case_id == Monitoring.case_id, col(later.id) > Monitoring.id)
        .exists()
    )
    return ~newer


def next_checks(session: Session, case_ids: list[int]) -> dict[int, date]:
    """The next check date of each case (from its latest monitoring entry), where set."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(Monitoring.case_id, Monitoring.next_on).where(
            col(Monitoring.case_id).in_(case_ids), latest_monitoring()
        )
    ).all()
    return {case_id: next_on for case_id, next_on in rows if next_on is not None}


@dataclass
class OverdueItem:
    """An overdue deadline with its case and person (name shown only to staff in scope)."""

    case: Case
    person: Person
    flag: DeadlineFlag


def _scope(actor: Actor, caseworker_id: int | None):  # type: ignore[no-untyped-def]
    clause = actor.dong_clause(col(Case.dong_code))
    if caseworker_id is not None:
        clause = and_(clause, Case.caseworker_id == caseworker_id)
    return clause


def list_overdue(
    session: Session, *, actor: Actor, today: date, caseworker_id: int | None = None
) -> list[OverdueItem]:
    """Overdue deadlines of cases in the actor's scope (one caseworker's when given), most
    overdue first. Each kind is one query on its deadline index. Not access-logged: the
    caller logs what it shows."""
    scope = _scope(actor, caseworker_id)
    base = select(Case, Person).join(Person, col(Person.id) == Case.person_id)
    items: list[OverdueItem] = []
    for case, person in session.exec(
        base.where(scope, col(Case.stage).in_(_BEFORE_ASSESSMENT), col(Case.assessment_due) < today)
    ).all():
        assert case.assessment_due is not None
        items.append(OverdueItem(case, person, _flag("assessment", case.assessment_due, today)))
    for case, person in session.exec(
        base.where(
            scope,
            Case.stage != "closed",
            col(Case.plan_due) < today,
            col(Case.planned_on).is_(None),
        )
    ).all():
        assert case.plan_due is not None
        items.append(OverdueItem(case, person, _flag("plan", case.plan_due, today)))
    monitored = (
        select(Case, Person, Monitoring.next_on)
        .join(Person, col(Person.id) == Case.person_id)
        .join(Monitoring, col(Monitoring.case_id) == Case.id)
        .where(
            scope,
            Case.stage == "monitoring",
            col(Monitoring.next_on) < today,
            latest_monitoring(),
        )
    )
    for case, person, next_on in session.exec(monitored).all():
        items.append(OverdueItem(case, person, _flag("monitoring", next_on, today)))
    items.sort(key=lambda i: (-i.flag.days_over, i.case.id or 0))
    return items

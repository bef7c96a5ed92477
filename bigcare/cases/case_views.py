"""What the case pages show: one case with its person, deadlines, next steps and history;
the case list by stage; the open-a-case form. Every read is scoped and access-logged."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import User
from bigcare.auth.service import Actor
from bigcare.cases import deadlines, stages, workflow
from bigcare.cases import service as cases_service
from bigcare.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    Conference,
    Monitoring,
    PlanService,
    ServicePlan,
)
from bigcare.districts.models import Dong, Gu
from bigcare.errors import InvalidInput
from bigcare.facilities.models import Facility
from bigcare.linkage.models import Person

LIST_LIMIT = 300
PROVIDER_LIMIT = 300


@dataclass
class PlanView:
    """A plan version with its services (and each provider's name)."""

    plan: ServicePlan
    services: list[tuple[PlanService, str | None]]


@dataclass
class CaseView:
    """The case page: the person, the case, its deadlines, what may be done next, history."""

    row: cases_service.PersonRow
    case: Case
    caseworker: User | None
    flags: list[deadlines.DeadlineFlag]
    steps: list[str]
    events: list[CaseEvent]
    assessments: list[Assessment]
    conferences: list[Conference]
    plans: list[PlanView]
    monitorings: list[Monitoring]
    providers: list[Facility] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.case.stage != "closed"

    @property
    def reassessment_pending(self) -> bool:
        return stages.is_reassessment(self.case)


def _person_row(session: Session, person_id: int) -> cases_service.PersonRow:
    # The case was read in scope: its person is shown even if they have since moved away.
    person, dong, gu = session.exec(
        select(Person, Dong, Gu)
        .join(Dong, col(Dong.code) == Person.dong_code)
        .join(Gu, col(Gu.code) == Dong.gu_code)
        .where(Person.id == person_id)
    ).one()
    return cases_service.PersonRow(person, dong, gu)


def get_case_view(session: Session, *, actor: Actor, case_id: int, today: date) -> CaseView:
    """One case page in the actor's scope; access-logged. Raises NotFound."""
    case = workflow.get_case(session, actor=actor, case_id=case_id)
    row = _person_row(session, case.person_id)
    monitorings = list(
        session.exec(
            select(Monitoring)
            .where(Monitoring.case_id == case_id)
            .order_by(col(Monitoring.checked_on).desc(), col(Monitoring.id).desc())
        ).all()
    )
    next_check = monitorings[0].next_on if monitorings else None
    plans = []
    for plan in session.exec(
        select(ServicePlan)
        .where(ServicePlan.case_id == case_id)
        .order_by(col(ServicePlan.version).desc())
    ).all():
        services = session.exec(
            select(PlanService, Facility.name)
            .outerjoin(Facility, col(Facility.code) == PlanService.facility_code)
            .where(PlanService.plan_id == plan.id)
            .order_by(col(PlanService.id))
        ).all()
        plans.append(PlanView(plan, [(s, name) for s, name in services]))
    steps = stages.next_steps(case)
    providers: list[Facility] = []
    if "plan" in steps:
        gu = select(Dong.gu_code).where(Dong.code == case.dong_code).scalar_subquery()
        providers = list(
            session.exec(
                select(Facility)
                .join(Dong, col(Dong.code) == Facility.dong_code)
                .where(Dong.gu_code == gu)
                .order_by(Facility.name)
                .limit(PROVIDER_LIMIT)
            ).all()
        )
    return CaseView(
        row=row,
        case=case,
        caseworker=session.get(User, case.caseworker_id) if case.caseworker_id else None,
        flags=deadlines.deadline_flags(case, today=today, next_check=next_check),
        steps=steps,
        events=list(
            session.exec(
                select(CaseEvent)
                .where(CaseEvent.case_id == case_id)
                .order_by(col(CaseEvent.at), col(CaseEvent.id))
            ).all()
        ),
        assessments=list(
            session.exec(
                select(Assessment)
                .where(Assessment.case_id == case_id)
                .order_by(col(Assessment.assessed_on).desc(), col(Assessment.id).desc())
            ).all()
        ),
        conferences=list(
            session.exec(
                select(Conference)
                .where(Conference.case_id == case_id)
                .order_by(col(Conference.held_on).desc(), col(Conference.id).desc())
            ).all()
        ),
        plans=plans,
        monitorings=monitorings,
        providers=providers,
    )


@dataclass
class NewCaseForm:
    """What the open-a-case form needs: the person, any open case, who may carry it."""

    row: cases_service.PersonRow
    open_case: Case | None
    staff: list[User]


def new_case_form(session: Session, *, actor: Actor, person_id: int) -> NewCaseForm:
    """The open-a-case form for a person in scope (the person read is logged)."""
    row = cases_service.get_person(session, actor=actor, person_id=person_id)
    return NewCaseForm(
        row=row,
        open_case=workflow.find_open_case(session, person_id=person_id),
        staff=workflow.caseworker_choices(session, dong_code=row.person.dong_code),
    )


@dataclass
class CaseRow:
    """A case in a list, with its person and deadlines."""

    case: Case
    person: Person
    flags: list[deadlines.DeadlineFlag]

    @property
    def overdue(self) -> list[deadlines.DeadlineFlag]:
        return [f for f in self.flags if f.overdue]


@dataclass
class CaseList:
    """Cases by stage: counts for every stage, the listed rows, and what was asked."""

    counts: dict[str, int]
    groups: list[tuple[str, list[CaseRow]]]
    mine: bool
    stage: str | None
    overdue_only: bool
    shown: int
    truncated: bool


def list_cases(
    session: Session,
    *,
    actor: Actor,
    today: date,
    mine: bool,
    stage: str | None = None,
    overdue_only: bool = False,
) -> CaseList:
    """Cases in the actor's scope (only the actor's own when `mine`), open ones unless a
    stage is asked for, grouped by stage with their deadlines. The listing is access-logged
    (how many were shown), not each name. Raises InvalidInput (unknown stage)."""
    if stage is not None and stage not in stages.STAGES:
        raise InvalidInput("알 수 없는 단계입니다")
    scope = actor.dong_clause(col(Case.dong_code))
    if mine:
        scope = scope & (col(Case.caseworker_id) == actor.user_id)
    counts = dict.fromkeys(stages.STAGES, 0)
    for code, n in session.exec(
        select(Case.stage, func.count()).where(scope).group_by(Case.stage)
    ).all():
        counts[code] = int(n)
    query = select(Case, Person).join(Person, col(Person.id) == Case.person_id).where(scope)
    if stage is not None:
        query = query.where(Case.stage == stage)
    else:
        query = query.where(Case.stage != "closed")
    found = session.exec(
        query.order_by(col(Case.identified_on), col(Case.id)).limit(LIST_LIMIT + 1)
    ).all()
    truncated = len(found) > LIST_LIMIT
    found = found[:LIST_LIMIT]
    checks = deadlines.next_checks(
        session, [c.id or 0 for c, _ in found if c.stage == "monitoring"]
    )
    rows = [
        CaseRow(c, p, deadlines.deadline_flags(c, today=today, next_check=checks.get(c.id or 0)))
        for c, p in found
    ]
    if overdue_only:
        rows = [r for r in rows if r.overdue]
    groups = [(s, [r for r in rows if r.case.stage == s]) for s in stages.STAGES]
    audit.record(
        session,
        actor=actor,
        action="case.list",
        target=f"{len(rows)}건 표시 ({'내 사례' if mine else '범위 전체'})",
    )
    return CaseList(
        counts=counts,
        groups=[(s, g) for s, g in groups if g],
        mine=mine,
        stage=stage,
        overdue_only=overdue_only,
        shown=len(rows),
        truncated=truncated,
    )

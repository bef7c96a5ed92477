"""The caseworker's home page: my cases by stage, overdue deadlines, the review queue's
count, and today's visits and checks. Managers (no case.edit) see their scope's cases."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases import deadlines, stages
from bigcare.cases.models import Case, Monitoring
from bigcare.linkage import review
from bigcare.linkage.models import Person

# The home page is a summary: the oldest few of each stage and the most overdue items, each
# with a link to the whole list (/cases?stage=, /cases?overdue=1).
CASES_PER_STAGE = 5
OVERDUE_ON_HOME = 10


@dataclass
class StageGroup:
    """One stage's count and its first cases (oldest first)."""

    stage: str
    label: str
    count: int
    cases: list[tuple[Case, Person]]


@dataclass
class TodayCheck:
    """A monitoring entry whose next check is today."""

    case: Case
    person: Person
    entry: Monitoring


@dataclass
class CaseworkerHome:
    """Everything the home page shows about cases."""

    mine: bool
    stages: list[StageGroup]
    open_total: int
    overdue: list[deadlines.OverdueItem]  # the most overdue first, at most OVERDUE_ON_HOME
    overdue_total: int
    review_open: int | None
    today_checks: list[TodayCheck]


def caseworker_home(session: Session, *, actor: Actor, today: date) -> CaseworkerHome:
    """The home page's case sections: the actor's own cases (the scope's for managers who
    carry none), overdue deadlines, open review items, and today's checks. One access-log row
    says how many cases were shown."""
    mine = actor.can("case.edit")
    scope = actor.dong_clause(col(Case.dong_code))
    if mine:
        scope = scope & (col(Case.caseworker_id) == actor.user_id)
    # One query for every stage: each open case with its rank and its stage's count, cut to
    # the first CASES_PER_STAGE of each stage.
    by_stage = col(Case.stage)
    ranked = (
        select(
            col(Case.id).label("case_id"),
            func.row_number()
            .over(partition_by=by_stage, order_by=(col(Case.identified_on), col(Case.id)))
            .label("place"),
            func.count().over(partition_by=by_stage).label("total"),
        )
        .where(scope, Case.stage != "closed")
        .subquery()
    )
    rows = session.exec(
        select(Case, Person, ranked.c.total)
        .join(ranked, ranked.c.case_id == Case.id)
        .join(Person, col(Person.id) == Case.person_id)
        .where(ranked.c.place <= CASES_PER_STAGE)
        .order_by(col(Case.identified_on), col(Case.id))
    ).all()
    counts: dict[str, int] = {}
    listed: dict[str, list[tuple[Case, Person]]] = {}
    for case, person, total in rows:
        counts[case.stage] = int(total)
        listed.setdefault(case.stage, []).append((case, person))
    groups = [
        StageGroup(stage, stages.STAGES[stage], counts.get(stage, 0), listed.get(stage, []))
        for stage in stages.OPEN_STAGES
    ]
    overdue = deadlines.list_overdue(
        session, actor=actor, today=today, caseworker_id=actor.user_id if mine else None
    )
    overdue_total, overdue = len(overdue), overdue[:OVERDUE_ON_HOME]
    today_checks = [
        TodayCheck(c, p, m)
        for c, p, m in session.exec(
            select(Case, Person, Monitoring)
            .join(Person, col(Person.id) == Case.person_id)
            .join(Monitoring, col(Monitoring.case_id) == Case.id)
            .where(
                scope,
                Case.stage == "monitoring",
                Monitoring.next_on == today,
                deadlines.latest_monitoring(),
            )
            .order_by(col(Case.id))
        ).all()
    ]
    review_open = review.count_open(session, actor=actor) if actor.can("linkage.review") else None
    shown = sum(len(g.cases) for g in groups) + len(overdue) + len(today_checks)
    audit.record(
        session,
        actor=actor,
        action="case.list",
        target=f"홈: 사례 {shown}건 표시 ({'내 사례' if mine else '범위 전체'})",
    )
    return CaseworkerHome(
        mine=mine,
        stages=groups,
        open_total=sum(g.count for g in groups),
        overdue=overdue,
        overdue_total=overdue_total,
        review_open=review_open,
        today_checks=today_checks,
    )

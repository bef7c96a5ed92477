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

CASES_PER_STAGE = 20


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
    overdue: list[deadlines.OverdueItem]
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
    counts = dict(
        session.exec(
            select(Case.stage, func.count())
            .where(scope, Case.stage != "closed")
            .group_by(Case.stage)
        ).all()
    )
    groups = []
    for stage in stages.OPEN_STAGES:
        count = int(counts.get(stage, 0))
        cases: list[tuple[Case, Person]] = []
        if count:
            cases = [
                (c, p)
                for c, p in session.exec(
                    select(Case, Person)
                    .join(Person, col(Person.id) == Case.person_id)
                    .where(scope, Case.stage == stage)
                    .order_by(col(Case.identified_on), col(Case.id))
                    .limit(CASES_PER_STAGE)
                ).all()
            ]
        groups.append(StageGroup(stage, stages.STAGES[stage], count, cases))
    overdue = deadlines.list_overdue(
        session, actor=actor, today=today, caseworker_id=actor.user_id if mine else None
    )
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
        review_open=review_open,
        today_checks=today_checks,
    )

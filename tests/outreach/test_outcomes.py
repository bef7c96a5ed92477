"""Visit outcomes and what follows from each: the timeline, re-visits, refusals, moves to
another center, lost contact and death."""

from datetime import date

import pytest
from sqlmodel import Session, select

from bigcare.auth import service as auth_service
from bigcare.auth.permissions import Role
from bigcare.cases import timeline
from bigcare.cases.models import Case, Household
from bigcare.errors import Conflict, InvalidInput
from bigcare.linkage.models import Person
from bigcare.outreach import calendar, outcomes, service
from bigcare.outreach.models import Visit, VisitTarget
from bigcare.privacy.crypto import Keyring
from tests import factories
from tests.outreach import world

WEEK = "2026-W50"
MONDAY = date(2026, 12, 7)


@pytest.fixture
def dong(session: Session):
    world.make_rules(session)
    dong = world.make_center(session)
    world.make_staff(session, dong)
    return dong


@pytest.fixture
def planner(session: Session, dong):
    user = factories.make_user(session, role=Role.WELFARE_PLANNER, scope_code=dong.code)
    return auth_service.actor_for(user)


def _planned(session: Session, dong, keyring: Keyring, *, rule: str = "alone75", n: int = 1):
    targets = [
        world.make_target(
            session, dong, keyring=keyring, rule=rule, due=MONDAY, offset=(0.001 * i, 0.001)
        )
        for i in range(n)
    ]
    plan = service.plan_week(
        session, dong_code=dong.code, week=WEEK, actor=None, today=MONDAY, seconds=0.3
    )
    visits = service.plan_visits(session, plan.id or 0)
    by_target = {v.target_id: v for v in visits}
    return [(t, by_target[t.id]) for t in targets]


def _record(session, planner, visit, outcome, note="", **kw):
    return outcomes.record_outcome(
        session,
        visit_id=visit.id,
        outcome=outcome,
        note=note,
        actor=planner,
        today=visit.day,
        **kw,
    )


def test_done_closes_the_target_and_lands_on_the_persons_timeline(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(target, visit)] = _planned(session, dong, keyring)
    _record(session, planner, visit, "done", "안부 확인, 기초연금 신청 안내")
    assert (visit.status, target.status) == ("done", "done")
    assert visit.outcome_by_label == planner.signature
    page = timeline.person_timeline(session, person_id=target.person_id, with_cases=False)
    [entry] = [e for e in page.entries if e.kind == "visit"]
    assert entry.title.startswith("방문 완료")
    assert entry.detail == "안부 확인, 기초연금 신청 안내"


def test_done_needs_a_short_record(session: Session, dong, planner, keyring: Keyring) -> None:
    [(_, visit)] = _planned(session, dong, keyring)
    with pytest.raises(InvalidInput) as refused:
        _record(session, planner, visit, "done", "   ")
    assert refused.value.errors[0].field == "note"
    assert visit.status == "planned"


def test_absent_books_a_revisit_within_three_working_days_and_leaves_a_card(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(target, visit)] = _planned(session, dong, keyring)
    _record(session, planner, visit, "absent")
    assert outcomes.CARD_LEFT in visit.outcome_note
    revisit = session.exec(select(VisitTarget).where(VisitTarget.origin_visit_id == visit.id)).one()
    assert revisit.rule_code == "revisit" and revisit.must_visit
    assert revisit.household_id == target.household_id
    assert revisit.known_staff_id == visit.staff_id
    assert visit.day < revisit.earliest_on <= revisit.due_on
    assert revisit.due_on == calendar.add_working_days(visit.day, 3)
    # Re-planning the week puts the re-visit on a later day.
    plan = service.replan_week(
        session, plan_id=visit.plan_id, actor=planner, today=visit.day, seconds=0.3
    )
    again = [v for v in service.plan_visits(session, plan.id or 0) if v.target_id == revisit.id]
    assert again and again[0].day >= revisit.earliest_on


def test_refused_stops_visits_for_a_while_and_flags_the_household(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(target, visit)] = _planned(session, dong, keyring)
    _record(session, planner, visit, "refused", "방문 원하지 않음")
    assert target.status == "refused" and target.flagged
    assert target.snooze_until is not None and (target.snooze_until - visit.day).days >= 90


def test_moved_updates_the_address_and_hands_the_target_to_the_new_center(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    new = world.make_center(session)
    [(target, visit)] = _planned(session, dong, keyring)
    _record(
        session,
        planner,
        visit,
        "moved",
        "",
        new_address="서울특별시 시험구 새길 5",
        new_dong_code=new.code,
    )
    assert (target.dong_code, target.status) == (new.code, "open")
    household = session.get(Household, target.household_id)
    assert (household.dong_code, household.address) == (new.code, "서울특별시 시험구 새길 5")
    assert session.get(Person, target.person_id).dong_code == new.code
    # The new center's next plan has it; the old one's does not.
    world.make_staff(session, new)
    plan = service.plan_week(
        session, dong_code=new.code, week="2026-W51", actor=None, today=MONDAY, seconds=0.3
    )
    assert target.id in {v.target_id for v in service.plan_visits(session, plan.id or 0)}


def test_moved_without_the_new_dong_is_refused(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(_, visit)] = _planned(session, dong, keyring)
    with pytest.raises(InvalidInput) as refused:
        _record(session, planner, visit, "moved", "", new_address="어딘가")
    assert {e.field for e in refused.value.errors} == {"new_dong_code"}


def test_unreachable_keeps_the_target_open_for_later_and_flags_it(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(target, visit)] = _planned(session, dong, keyring)
    _record(session, planner, visit, "unreachable", "전화 3회 불통")
    assert target.status == "open" and target.flagged
    assert (target.earliest_on - visit.day).days == outcomes.UNREACHABLE_RETRY_DAYS


def test_deceased_closes_every_target_and_open_case_of_the_person(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(target, visit)] = _planned(session, dong, keyring)
    other = VisitTarget(
        rule_code="case_monitoring",
        person_id=target.person_id,
        household_id=target.household_id,
        dong_code=dong.code,
        cycle="x",
        priority=3,
        due_on=MONDAY,
        earliest_on=MONDAY,
    )
    session.add(other)
    case = Case(
        person_id=target.person_id,
        dong_code=dong.code,
        stage="monitoring",
        referral_source="self",
        identified_on=date(2026, 1, 5),
    )
    session.add(case)
    session.flush()
    _record(session, planner, visit, "deceased", "")
    assert {target.status, other.status} == {"closed"}
    assert other.close_reason == "사망"
    assert (case.stage, case.close_reason) == ("closed", "사망")
    assert session.get(Person, target.person_id).status == "deceased"


def test_an_outcome_is_recorded_once_and_not_before_the_day(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    [(_, visit)] = _planned(session, dong, keyring)
    with pytest.raises(InvalidInput):
        outcomes.record_outcome(
            session,
            visit_id=visit.id,
            outcome="absent",
            note="",
            actor=planner,
            today=date(2026, 12, 1),
        )
    _record(session, planner, visit, "absent")
    with pytest.raises(Conflict):
        _record(session, planner, visit, "done", "다시")


def test_many_outcomes_at_once_and_a_bad_row_named_by_its_place(
    session: Session, dong, planner, keyring: Keyring
) -> None:
    pairs = _planned(session, dong, keyring, n=3)
    visits = sorted((v for _, v in pairs), key=lambda v: (v.day, v.seq))
    today = max(v.day for v in visits)
    with pytest.raises(InvalidInput) as refused:
        outcomes.record_outcomes(
            session,
            entries=[
                (visits[0].id, "absent", ""),
                (visits[1].id, "done", ""),
                (visits[2].id, "", ""),
            ],
            actor=planner,
            today=today,
        )
    assert [(e.row, e.field) for e in refused.value.errors] == [(2, "note")]
    done = outcomes.record_outcomes(
        session,
        entries=[
            (visits[0].id, "absent", ""),
            (visits[1].id, "done", "안부 확인"),
            (visits[2].id, "", ""),
        ],
        actor=planner,
        today=today,
    )
    assert done == 2
    assert [v.status for v in visits] == ["absent", "done", "planned"]
    assert session.exec(select(Visit).where(Visit.status == "absent")).all()

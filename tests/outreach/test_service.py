"""Planning a center's week: working time, holidays, leave, priorities, pairs, re-plans and
moves by hand, on real SQLite and PostgreSQL with the real solver."""

from datetime import date
from itertools import pairwise

import pytest
from sqlmodel import Session

from bigcare.auth import service as auth_service
from bigcare.auth.permissions import Role
from bigcare.errors import Conflict, InvalidInput
from bigcare.outreach import outcomes, service
from bigcare.outreach.models import StaffLeave, Visit, VisitTarget
from bigcare.privacy.crypto import Keyring
from tests import factories
from tests.outreach import world

WEEK = "2026-W50"  # 2026-12-07 (Mon) … 12-11 (Fri), no holidays
MONDAY = date(2026, 12, 7)
SECONDS = 0.5


@pytest.fixture
def dong(session: Session):
    world.make_rules(session)
    return world.make_center(session)


@pytest.fixture
def manager(session: Session, dong):
    user = factories.make_user(session, role=Role.CENTER_MANAGER, scope_code=dong.code)
    return auth_service.actor_for(user)


def _visits(session: Session, plan_id: int) -> list[Visit]:
    return service.plan_visits(session, plan_id)


def _plan(session: Session, dong, actor=None, week: str = WEEK, today: date = MONDAY):
    return service.plan_week(
        session, dong_code=dong.code, week=week, actor=actor, today=today, seconds=SECONDS
    )


def test_plan_week_fits_every_visit_in_working_hours_outside_lunch(
    session: Session, dong, keyring: Keyring
) -> None:
    world.make_staff(session, dong)
    for i in range(8):
        world.make_target(session, dong, keyring=keyring, due=MONDAY, offset=(0.001 * i, 0.002))
    plan = _plan(session, dong)
    visits = _visits(session, plan.id or 0)
    assert plan.visits_planned == len(visits) == 8
    for v in visits:
        assert 9 * 60 <= v.start_min < v.end_min <= 18 * 60
        assert v.end_min <= 12 * 60 or v.start_min >= 13 * 60, "a visit over lunch"
        assert MONDAY <= v.day <= date(2026, 12, 11)
    # Each staff-day is one route: visits numbered 1, 2, 3 … in time order, never overlapping.
    by_day: dict[date, list[Visit]] = {}
    for v in visits:
        by_day.setdefault(v.day, []).append(v)
    for day_visits in by_day.values():
        ordered = sorted(day_visits, key=lambda v: v.start_min)
        assert [v.seq for v in ordered] == list(range(1, len(ordered) + 1))
        assert all(a.end_min + b.travel_min <= b.start_min for a, b in pairwise(ordered))
    # The plan's travel is the legs to each visit plus the way back to the center.
    assert plan.travel_min >= sum(v.travel_min for v in visits) > 0


def test_plan_over_chuseok_2027_visits_only_on_working_days(
    session: Session, dong, keyring: Keyring
) -> None:
    # 2027-W37: 추석 연휴 Tue 14 – Thu 16 September; only Monday 13 and Friday 17 are open.
    world.make_staff(session, dong)
    for i in range(6):
        world.make_target(
            session, dong, keyring=keyring, due=date(2027, 9, 13), offset=(0.001 * i, 0.0)
        )
    plan = _plan(session, dong, week="2027-W37", today=date(2027, 9, 1))
    days = {v.day for v in _visits(session, plan.id or 0)}
    assert days, "nothing planned"
    assert days <= {date(2027, 9, 13), date(2027, 9, 17)}


def test_leave_and_half_day_leave_are_never_planned_over(
    session: Session, dong, keyring: Keyring
) -> None:
    staff = world.make_staff(session, dong)
    tuesday, wednesday = date(2026, 12, 8), date(2026, 12, 9)
    session.add(StaffLeave(staff_id=staff.id or 0, starts_on=tuesday, ends_on=tuesday, kind="sick"))
    session.add(
        StaffLeave(
            staff_id=staff.id or 0, starts_on=wednesday, ends_on=wednesday, kind="annual", half="pm"
        )
    )
    for i in range(20):
        world.make_target(session, dong, keyring=keyring, due=MONDAY, offset=(0.0005 * i, 0.001))
    plan = _plan(session, dong)
    visits = _visits(session, plan.id or 0)
    assert visits
    assert not [v for v in visits if v.day == tuesday]
    assert all(v.end_min <= 12 * 60 for v in visits if v.day == wednesday)


def test_higher_priority_visit_is_never_displaced_and_must_visits_are_planned(
    session: Session, dong, keyring: Keyring
) -> None:
    # One visit a day on Monday only: the crisis household far away wins over the lonely
    # elderly neighbour next door.
    world.make_staff(session, dong, work_days=[0], max_visits_per_day=1)
    near = world.make_target(session, dong, keyring=keyring, due=MONDAY, offset=(0.0002, 0.0))
    far = world.make_target(
        session, dong, keyring=keyring, rule="crisis", due=MONDAY, offset=(0.02, 0.02)
    )
    plan = _plan(session, dong)
    planned = {v.target_id for v in _visits(session, plan.id or 0)}
    assert planned == {far.id}
    assert (plan.must_total, plan.must_planned) == (1, 1)
    assert plan.targets_unplanned == 1
    assert session.get(VisitTarget, near.id).status == "open"


def test_a_pair_visit_is_planned_for_the_planner_and_the_nurse_together(
    session: Session, dong, keyring: Keyring
) -> None:
    planner = world.make_staff(session, dong, "planner")
    nurse = world.make_staff(session, dong, "nurse")
    pair = world.make_target(session, dong, keyring=keyring, rule="age65", due=MONDAY)
    solo = world.make_target(session, dong, keyring=keyring, rule="alone75", due=MONDAY)
    plan = _plan(session, dong)
    visits = {v.target_id: v for v in _visits(session, plan.id or 0)}
    joint = visits[pair.id]
    assert (joint.staff_id, joint.partner_staff_id) == (planner.id, nurse.id)
    assert visits[solo.id].partner_staff_id is None
    assert visits[solo.id].staff_id == planner.id


def test_resident_windows_and_avoided_days_are_kept(
    session: Session, dong, keyring: Keyring
) -> None:
    world.make_staff(session, dong)
    afternoon = world.make_target(
        session, dong, keyring=keyring, due=MONDAY, windows=[[14 * 60, 16 * 60]]
    )
    not_monday = world.make_target(
        session, dong, keyring=keyring, due=MONDAY, avoid_days=[0], offset=(0.001, 0.0)
    )
    plan = _plan(session, dong)
    visits = {v.target_id: v for v in _visits(session, plan.id or 0)}
    assert visits[afternoon.id].start_min >= 14 * 60 and visits[afternoon.id].end_min <= 16 * 60
    assert visits[not_monday.id].day != MONDAY


def test_replan_keeps_done_and_locked_visits_and_reports_moves(
    session: Session, dong, manager, keyring: Keyring
) -> None:
    world.make_staff(session, dong)
    world.make_staff(session, dong)
    for i in range(12):
        world.make_target(session, dong, keyring=keyring, due=MONDAY, offset=(0.001 * i, 0.001))
    plan = _plan(session, dong, manager)
    visits = _visits(session, plan.id or 0)
    first = min(visits, key=lambda v: (v.day, v.start_min))
    outcomes.record_outcome(
        session,
        visit_id=first.id or 0,
        outcome="done",
        note="안부 확인",
        actor=manager,
        today=first.day,
    )
    locked = next(v for v in visits if v.day > first.day)
    service.lock_visit(session, visit_id=locked.id or 0, locked=True, actor=manager)
    kept = {(v.id, v.staff_id, v.day, v.start_min) for v in (first, locked)}
    urgent = world.make_target(
        session, dong, keyring=keyring, rule="crisis", due=MONDAY, offset=(0.003, 0.0)
    )
    plan = service.replan_week(
        session, plan_id=plan.id or 0, actor=manager, today=first.day, seconds=SECONDS
    )
    after = {v.id: v for v in _visits(session, plan.id or 0)}
    assert {(v.id, v.staff_id, v.day, v.start_min) for v in after.values()} >= kept
    assert after[first.id].status == "done"
    assert urgent.id in {v.target_id for v in after.values()}
    assert plan.moved_last is not None and plan.moved_last <= len(visits)


def test_approved_week_is_replanned_not_planned_again(
    session: Session, dong, manager, keyring: Keyring
) -> None:
    world.make_staff(session, dong)
    world.make_target(session, dong, keyring=keyring, due=MONDAY)
    plan = _plan(session, dong, manager)
    service.approve_week(session, plan_id=plan.id or 0, actor=manager)
    assert plan.status == "approved" and plan.approved_by_label
    with pytest.raises(Conflict):
        _plan(session, dong, manager)


def test_move_visit_refuses_holiday_leave_and_lunch_then_locks(
    session: Session, dong, manager, keyring: Keyring
) -> None:
    a = world.make_staff(session, dong)
    b = world.make_staff(session, dong, work_days=[0, 1, 2, 3])
    world.make_target(session, dong, keyring=keyring, due=MONDAY)
    plan = _plan(session, dong, manager)
    visit = _visits(session, plan.id or 0)[0]
    with pytest.raises(InvalidInput) as refused:
        service.move_visit(
            session,
            visit_id=visit.id or 0,
            staff_id=b.id or 0,
            day=date(2026, 12, 11),
            start_min=10 * 60,
            actor=manager,
        )
    assert refused.value.errors[0].field == "day"
    with pytest.raises(InvalidInput) as lunch:
        service.move_visit(
            session,
            visit_id=visit.id or 0,
            staff_id=a.id or 0,
            day=date(2026, 12, 9),
            start_min=11 * 60 + 50,
            actor=manager,
        )
    assert lunch.value.errors[0].field == "start"
    moved = service.move_visit(
        session,
        visit_id=visit.id or 0,
        staff_id=b.id or 0,
        day=date(2026, 12, 9),
        start_min=14 * 60,
        actor=manager,
    )
    assert (moved.staff_id, moved.day, moved.start_min, moved.locked) == (
        b.id,
        date(2026, 12, 9),
        14 * 60,
        True,
    )


def test_another_centers_manager_cannot_plan_this_center(session: Session, dong) -> None:
    other = world.make_center(session)
    user = factories.make_user(session, role=Role.CENTER_MANAGER, scope_code=other.code)
    with pytest.raises(Exception) as refused:
        _plan(session, dong, auth_service.actor_for(user))
    assert refused.value.status_code == 404  # type: ignore[attr-defined]
    assert service.find_plan(session, dong_code=dong.code, week=WEEK) is None

"""What the outreach pages read: a center's week (visits per staff member and day, holidays,
leave, unplanned targets), a staff member's day with its route drawing, and plan status per
gu and city, each inside the reader's scope and access-logged. Rows are inserted directly, so
each test states exactly what a plan holds."""

import math
from datetime import date

import pytest
from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor
from bigcare.cases.models import Household
from bigcare.districts.models import Dong
from bigcare.errors import NotFound
from bigcare.outreach import schedule
from bigcare.outreach.models import OutreachStaff, StaffLeave, Visit, VisitTarget, WeekPlan
from bigcare.privacy.crypto import Keyring
from tests import factories
from tests.outreach import world

WEEK = "2025-W52"  # Mon 2025-12-22 … Fri 12-26; Thursday 12-25 is 기독탄신일
MONDAY, TUESDAY = date(2025, 12, 22), date(2025, 12, 23)


def add_plan(session: Session, dong: Dong, *, week: str = WEEK, **stats: object) -> WeekPlan:
    """A plan row as the solver would leave it (figures given by the test)."""
    values: dict[str, object] = {
        "status": "draft",
        "revision": 1,
        "visits_planned": 0,
        "travel_min": 90,
        "work_min": 2400,
        "solver_seconds": 1.2,
    }
    plan = WeekPlan(dong_code=dong.code, week=week, **(values | stats))
    session.add(plan)
    session.flush()
    return plan


def add_visit(
    session: Session,
    plan: WeekPlan,
    target: VisitTarget,
    staff: OutreachStaff,
    *,
    day: date,
    start: int,
    seq: int,
    minutes: int = 40,
    travel: int = 10,
    **kw: object,
) -> Visit:
    target.status = "planned"
    visit = Visit(
        plan_id=plan.id or 0,
        target_id=target.id or 0,
        household_id=target.household_id,
        staff_id=staff.id or 0,
        day=day,
        start_min=start,
        end_min=start + minutes,
        seq=seq,
        travel_min=travel,
        **kw,
    )
    session.add(visit)
    session.flush()
    return visit


def add_staff(
    session: Session, dong: Dong, role: str = "planner", *, name: str = "직원", **kw: object
) -> OutreachStaff:
    staff = OutreachStaff(dong_code=dong.code, name=name, role=role, **kw)
    session.add(staff)
    session.flush()
    return staff


def actor(session: Session, role: Role, scope_code: str | None) -> Actor:
    return auth_service.actor_for(factories.make_user(session, role=role, scope_code=scope_code))


@pytest.fixture
def dong(session: Session) -> Dong:
    world.make_rules(session)
    return world.make_center(session)


def _logged(session: Session, action: str, actor: Actor) -> list[AccessLog]:
    """The actor's access-log rows of this kind (other tests' committed rows left out)."""
    query = (
        select(AccessLog)
        .where(AccessLog.action == action, AccessLog.user_id == actor.user_id)
        .order_by(col(AccessLog.id))
    )
    return list(session.exec(query).all())


def test_week_counts_visits_per_staff_and_day_and_marks_holiday_and_leave(
    session: Session, dong: Dong, keyring: Keyring
) -> None:
    planner = add_staff(session, dong, name="김플래너")
    nurse = add_staff(session, dong, "nurse", name="이간호")
    session.add(
        StaffLeave(staff_id=nurse.id or 0, starts_on=TUESDAY, ends_on=TUESDAY, kind="annual")
    )
    plan = add_plan(session, dong, visits_planned=3)
    targets = [world.make_target(session, dong, keyring=keyring, due=TUESDAY) for _ in range(3)]
    add_visit(session, plan, targets[0], planner, day=MONDAY, start=540, seq=1, travel=12)
    add_visit(session, plan, targets[1], planner, day=MONDAY, start=600, seq=2, travel=8)
    # A pair visit counts for both members.
    add_visit(
        session, plan, targets[2], planner, day=TUESDAY, start=540, seq=1, partner_staff_id=nurse.id
    )
    manager = actor(session, Role.CENTER_MANAGER, dong.code)

    view = schedule.week_view(session, actor=manager, dong_code=dong.code, week=WEEK, today=MONDAY)

    assert [d.day for d in view.days] == [date(2025, 12, d) for d in range(22, 27)]
    assert [d.holiday for d in view.days] == [None, None, None, "기독탄신일", None]
    rows = {r.staff.name: r for r in view.staff}
    assert [(c.visits, c.visit_min, c.travel_min) for c in rows["김플래너"].cells[:2]] == [
        (2, 80, 20),
        (1, 40, 10),
    ]
    assert [c.visits for c in rows["이간호"].cells] == [0, 1, 0, 0, 0]
    assert rows["이간호"].cells[1].leave == "연차" and rows["이간호"].role_label == "방문간호사"
    assert view.status_label == "초안" and view.travel_share == pytest.approx(90 / 2400)
    assert (view.prev_week, view.next_week) == ("2025-W51", "2026-W01")


def test_week_lists_unplanned_targets_must_first_and_logs_each_person(
    session: Session, dong: Dong, keyring: Keyring
) -> None:
    later = world.make_target(session, dong, keyring=keyring, due=date(2026, 1, 9), priority=4)
    must = world.make_target(session, dong, keyring=keyring, due=date(2026, 1, 30), rule="crisis")
    world.make_target(session, dong, keyring=keyring, due=TUESDAY, earliest=date(2026, 2, 1))
    world.make_target(session, dong, keyring=keyring, due=TUESDAY, status="done")
    manager = actor(session, Role.CENTER_MANAGER, dong.code)

    view = schedule.week_view(session, actor=manager, dong_code=dong.code, week=WEEK, today=MONDAY)

    # Not yet due to start (February) and already done are not this week's to plan.
    assert [u.target.id for u in view.unplanned] == [must.id, later.id]
    assert view.unplanned_total == 2
    logged = _logged(session, "outreach.week.read", manager)
    assert [r.subject_person_id for r in logged] == [must.person_id, later.person_id]


def test_another_dongs_week_is_not_found_and_the_attempt_logged(
    session: Session, dong: Dong
) -> None:
    other = world.make_center(session)
    planner = actor(session, Role.WELFARE_PLANNER, dong.code)
    with pytest.raises(NotFound):
        schedule.week_view(session, actor=planner, dong_code=other.code, week=WEEK, today=MONDAY)
    assert [
        (r.outcome, r.subject_person_id) for r in _logged(session, "outreach.week.read", planner)
    ] == [("not_found", None)]
    with pytest.raises(NotFound):
        schedule.week_view(
            session, actor=planner, dong_code=dong.code, week="2025-53", today=MONDAY
        )


def test_day_lists_visits_in_order_and_draws_the_route(
    session: Session, dong: Dong, keyring: Keyring
) -> None:
    planner = add_staff(session, dong, name="김플래너")
    other = add_staff(session, dong, name="박플래너")
    plan = add_plan(session, dong)
    east = world.make_target(session, dong, keyring=keyring, due=TUESDAY, offset=(0.0, 0.01))
    north = world.make_target(session, dong, keyring=keyring, due=TUESDAY, offset=(0.005, 0.0))
    unplaced = world.make_target(session, dong, keyring=keyring, due=TUESDAY)
    session.get_one(Household, unplaced.household_id).lat = None
    add_visit(session, plan, north, planner, day=TUESDAY, start=620, seq=2)
    add_visit(session, plan, east, planner, day=TUESDAY, start=540, seq=1)
    add_visit(session, plan, unplaced, planner, day=TUESDAY, start=700, seq=3)
    elsewhere = world.make_target(session, dong, keyring=keyring, due=TUESDAY)
    add_visit(session, plan, elsewhere, other, day=TUESDAY, start=540, seq=1)
    nurse = actor(session, Role.VISITING_NURSE, dong.code)

    view = schedule.day_view(
        session, actor=nurse, dong_code=dong.code, day=TUESDAY, staff_id=planner.id or 0
    )

    assert [v.target.id for v in view.visits] == [east.id, north.id, unplaced.id]
    assert [schedule.hm(v.visit.start_min) for v in view.visits] == ["09:00", "10:20", "11:40"]
    route = view.route
    assert [p.label for p in route.points] == ["1", "2"] and route.unplaced == 1
    (cx, cy), (ex, ey), (nx, ny) = route.center, *((p.x, p.y) for p in route.points)
    # East is to the right of the center, north above it; the path leaves and returns there.
    assert ex > cx and ey == pytest.approx(cy, abs=0.2)
    assert ny < cy and nx == pytest.approx(cx, abs=0.2)
    assert route.path.startswith(f"M{cx},{cy} ") and route.path.endswith(f"L{cx},{cy}")
    # True proportions: 0.01° of longitude is cos(lat) times as long as 0.01° of latitude.
    ratio = (ex - cx) / (2 * (cy - ny))
    assert ratio == pytest.approx(math.cos(math.radians(dong.lat)), rel=0.01)
    logged = _logged(session, "outreach.day.read", nurse)
    assert [r.subject_person_id for r in logged] == [
        east.person_id,
        north.person_id,
        unplaced.person_id,
    ]


def test_day_of_a_staff_member_of_another_center_is_not_found(session: Session, dong: Dong) -> None:
    other = world.make_center(session)
    stranger = add_staff(session, other)
    manager = actor(session, Role.CITY_MANAGER, None)
    with pytest.raises(NotFound):
        schedule.day_view(
            session, actor=manager, dong_code=dong.code, day=TUESDAY, staff_id=stranger.id or 0
        )


def test_route_scale_bar_matches_the_drawing() -> None:
    depot = (37.5, 127.0)
    stops = [(37.5, 127.02), (37.51, 127.02), (37.5, 127.02)]
    route = schedule.route_geometry(depot, stops, width=640, height=420)
    # The first and third visit are at the same door: one point labelled with both numbers.
    assert sorted(p.label for p in route.points) == ["1·3", "2"]
    assert len(route.legs) == 4
    east = next(p for p in route.points if p.label == "1·3")
    metres = 0.02 * math.cos(math.radians(37.5033)) * schedule.M_PER_DEG
    px_per_m = (east.x - route.center[0]) / metres
    assert route.scale_px == pytest.approx(route.scale_m * px_per_m, rel=0.01)
    assert route.scale_px <= 640 * 0.3 and route.scale_label == "500 m"


def test_gu_status_shows_each_center_of_the_managers_gu_only(
    session: Session, keyring: Keyring
) -> None:
    gu = factories.make_gu(session)
    a = factories.make_dong(session, gu=gu, name="가동")
    b = factories.make_dong(session, gu=gu, name="나동")
    c = factories.make_dong(session, gu=gu, name="다동")
    elsewhere = world.make_center(session)
    add_plan(session, a, status="approved", visits_planned=30, must_planned=9, must_total=10)
    add_plan(session, b, visits_planned=20, must_planned=5, must_total=5, travel_min=300)
    add_plan(session, elsewhere, status="approved", visits_planned=99)
    manager = actor(session, Role.GU_MANAGER, gu.code)

    view = schedule.status_view(session, actor=manager, gu_code=gu.code, week=WEEK)

    assert [(r.name, r.status_label, r.visits_planned) for r in view.rows] == [
        ("가동", "승인", 30),
        ("나동", "초안", 20),
        ("다동", "계획 없음", 0),
    ]
    assert view.rows[2].url == f"/outreach/centers/{c.code}/weeks/{WEEK}"
    t = view.total
    assert (t.centers, t.approved, t.draft, t.no_plan) == (3, 1, 1, 1)
    assert t.must_share == pytest.approx(14 / 15)
    with pytest.raises(NotFound):
        schedule.status_view(session, actor=manager, gu_code=elsewhere.gu_code, week=WEEK)
    city = schedule.status_view(session, actor=manager, gu_code=None, week=WEEK)
    assert [(r.code, r.centers, r.visits_planned) for r in city.rows] == [(gu.code, 3, 50)]


def test_city_status_adds_up_each_gu_for_a_city_manager(session: Session) -> None:
    gu = factories.make_gu(session, name="가가시험구")
    dong = factories.make_dong(session, gu=gu)
    add_plan(session, dong, status="approved", visits_planned=12)
    manager = actor(session, Role.CITY_MANAGER, None)
    view = schedule.status_view(session, actor=manager, gu_code=None, week=WEEK)
    assert len(view.rows) >= 26  # Seoul's 25 gu and the test gu
    row = next(r for r in view.rows if r.code == gu.code)
    assert (row.centers, row.approved, row.visits_planned) == (1, 1, 12)
    assert row.url == f"/outreach/gu/{gu.code}?week={WEEK}"
    assert view.total.centers >= 425


def test_route_returns_to_the_center_at_lunch_and_at_the_end() -> None:
    depot = (37.48, 127.05)
    route = schedule.route_geometry(depot, [(37.481, 127.051), (37.479, 127.049)], back_after={1})
    homes = [leg.home for leg in route.legs]
    # center → 1, 1 → center (lunch), center → 2, 2 → center (end of the day)
    assert homes == [False, True, False, True]
    assert (
        (route.legs[1].x2, route.legs[1].y2) == route.center == (route.legs[2].x1, route.legs[2].y1)
    )

"""Working time and travel: Korean holidays (lunar and substitute days), staff half-days with
lunch and leave, the joint planner-and-nurse half-days, and walking vs transit times."""

from datetime import date, timedelta

from bigcare.outreach import calendar, travel
from bigcare.outreach.models import OutreachStaff, StaffLeave

CHUSEOK_WEEK = [date(2027, 9, 13) + timedelta(days=i) for i in range(5)]


def _staff(id: int, role: str = "planner", **kw: object) -> OutreachStaff:
    return OutreachStaff(id=id, dong_code="1123068", name="직원", role=role, **kw)


def test_lunar_holidays_and_substitute_days_are_not_working_days() -> None:
    assert calendar.holiday_name(date(2027, 9, 15)) == "추석"
    assert not calendar.is_working_day(date(2027, 9, 14))  # 추석 전날
    assert not calendar.is_working_day(date(2027, 2, 9))  # 설날 대체 휴일
    assert not calendar.is_working_day(date(2027, 10, 11))  # 한글날 대체 휴일
    assert calendar.is_working_day(date(2027, 9, 17))
    assert not calendar.is_working_day(date(2027, 9, 18))  # Saturday


def test_add_working_days_skips_weekends_and_holidays() -> None:
    # Friday 2027-09-10 + 3 working days: Mon 13, then 추석 (14–16), Fri 17, Mon 20.
    assert calendar.add_working_days(date(2027, 9, 10), 3) == date(2027, 9, 20)


def test_half_days_respect_holidays_lunch_leave_and_part_time() -> None:
    full = _staff(1)
    part = _staff(2, work_days=[0, 1, 2, 3])
    leave = [
        StaffLeave(
            staff_id=1,
            starts_on=date(2027, 9, 13),
            ends_on=date(2027, 9, 13),
            kind="annual",
            half="am",
        )
    ]
    halves = calendar.staff_halves([full, part], leave, CHUSEOK_WEEK)
    got = {(h.staff_id, h.day, h.half) for h in halves}
    assert got == {
        (1, date(2027, 9, 13), "pm"),
        (1, date(2027, 9, 17), "am"),
        (1, date(2027, 9, 17), "pm"),
        (2, date(2027, 9, 13), "am"),
        (2, date(2027, 9, 13), "pm"),
    }
    for h in halves:
        assert (h.start, h.end) in {(9 * 60, 12 * 60), (13 * 60, 18 * 60)}
    # A day's six visits are shared between its halves by length (3 h and 5 h).
    by_half = {h.half: h.max_visits for h in halves if h.staff_id == 2}
    assert by_half == {"am": 2, "pm": 4}


def test_replan_drops_the_time_already_past() -> None:
    day = date(2026, 12, 9)
    halves = calendar.staff_halves(
        [_staff(1)], [], [date(2026, 12, 8), day], not_before=(day, 14 * 60)
    )
    assert [(h.day, h.half, h.start) for h in halves] == [(day, "pm", 14 * 60)]


def test_joint_half_days_cover_the_pair_visits_and_spread_over_the_week() -> None:
    week = [date(2026, 12, 7 + i) for i in range(5)]
    halves = calendar.staff_halves([_staff(1), _staff(2), _staff(3, "nurse")], [], week)
    pairs = calendar.pair_halves(halves, pair_minutes=5 * 60)
    # 5 h of joint visits (+25 %) over 3 h mornings needs three joint mornings.
    assert len(pairs) == 3
    assert all(p.planner.day == p.nurse.day and p.planner.half == p.nurse.half for p in pairs)
    assert {p.planner.half for p in pairs} == {"am"}
    assert len({p.planner.day for p in pairs}) == 3
    assert {p.planner.staff_id for p in pairs} == {1, 2}  # shared between the planners
    assert calendar.pair_halves(halves, pair_minutes=0) == []


def test_walks_nearby_and_rides_transit_farther() -> None:
    center = (37.4800, 127.0500)
    near = (37.4830, 127.0500)  # ~333 m north
    far = (37.5300, 127.0500)  # ~5.6 km north
    m = travel.DEFAULT.minutes([center, near, far])
    assert m[0, 0] == 0
    assert 5 <= m[0, 1] <= 8  # 333 m × 1.3 detour at 70 m/min
    walk_far = 5_560 * 1.3 / 70
    assert m[0, 2] < walk_far  # transit beats a 100-minute walk
    assert 30 <= m[0, 2] <= 40  # 10 min access + 7.2 km at 300 m/min
    assert (m == m.T).all()


def test_optional_joint_visits_never_take_the_half_days_a_planners_must_visits_need() -> None:
    week = [date(2026, 12, 7 + i) for i in range(5)]
    halves = calendar.staff_halves([_staff(1), _staff(2, "nurse")], [], week)
    # Ten hours of joint visits wanted, none of them must; the planner's 30 places are
    # needed for 26 must-visits of their own: at most one joint half-day (2 or 4 places).
    pairs = calendar.pair_halves(halves, 600, must_minutes=0, planner_reserve=(26, 0))
    taken = sum(p.planner.max_visits for p in pairs)
    assert 30 - taken >= 26
    # Joint must-visits are covered even so.
    forced = calendar.pair_halves(halves, 600, must_minutes=600, planner_reserve=(26, 0))
    assert (
        sum(min(p.planner.end, p.nurse.end) - max(p.planner.start, p.nurse.start) for p in forced)
        >= 600
    )


def test_a_replan_keeps_the_pairs_already_going_out_together() -> None:
    week = [date(2026, 12, 7 + i) for i in range(5)]
    halves = calendar.staff_halves([_staff(1), _staff(2), _staff(3, "nurse")], [], week)
    # The plan paired planner 2 with the nurse on Thursday afternoon; fresh sizing would
    # pick Monday morning with planner 1.
    kept = calendar.pair_halves(halves, 120, keep=[(2, 3, date(2026, 12, 10), 14 * 60)])
    assert [(p.planner.staff_id, p.planner.day, p.planner.half) for p in kept] == [
        (2, date(2026, 12, 10), "pm")
    ]

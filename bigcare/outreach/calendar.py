"""Working time: Korean public holidays, staff hours, lunch and leave, as the half-day shifts
the planner fills. Lunch is respected by planning the morning and the afternoon as separate
shifts that both start and end at the center."""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from bigcare.outreach.models import OutreachStaff, StaffLeave

HALVES = ("am", "pm")
HALF_LABELS = {"am": "오전", "pm": "오후"}
ROLE_LABELS = {"planner": "복지플래너", "nurse": "방문간호사"}
LEAVE_LABELS = {"annual": "연차", "sick": "병가", "training": "교육", "other": "기타"}


@cache
def _kr(year: int) -> dict[date, str]:
    # The holidays package knows the lunar holidays (설날, 추석) and substitute days (대체공휴일).
    return dict(holidays.country_holidays("KR", years=year, language="ko").items())


def holiday_name(day: date) -> str | None:
    """The Korean public holiday on this day, or None."""
    return _kr(day.year).get(day)


def holidays_between(start: date, end: date) -> dict[date, str]:
    """Public holidays from start to end inclusive."""
    out: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        out.update({d: n for d, n in _kr(year).items() if start <= d <= end})
    return out


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and holiday_name(day) is None


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (n ≥ 1)."""
    out = day
    while n > 0:
        out += timedelta(days=1)
        if is_working_day(out):
            n -= 1
    return out


@dataclass(frozen=True)
class HalfDay:
    """One staff member free for visits in one half of one day."""

    staff_id: int
    role: str
    day: date
    half: str
    start: int
    end: int
    max_visits: int


def _on_leave(leaves: Iterable[StaffLeave], day: date, half: str) -> bool:
    return any(
        lv.starts_on <= day <= lv.ends_on and (lv.half is None or lv.half == half) for lv in leaves
    )


def staff_halves(
    staff: Sequence[OutreachStaff],
    leaves: Sequence[StaffLeave],
    days: Sequence[date],
    *,
    not_before: tuple[date, int] | None = None,
) -> list[HalfDay]:
    """Every half-day the staff can visit on these days: their working weekdays, minus public
    holidays and leave. `not_before` (day, minute) drops time already past in a re-plan.
    A day's visit maximum is shared between its halves by length."""
    by_staff: dict[int, list[StaffLeave]] = {}
    for lv in leaves:
        by_staff.setdefault(lv.staff_id, []).append(lv)
    out: list[HalfDay] = []
    for s in staff:
        if not s.active or s.id is None:
            continue
        am = (s.day_start, s.lunch_start)
        pm = (s.lunch_end, s.day_end)
        total = max(1, (am[1] - am[0]) + (pm[1] - pm[0]))
        am_max = round(s.max_visits_per_day * (am[1] - am[0]) / total)
        caps = {"am": am_max, "pm": s.max_visits_per_day - am_max}
        for day in days:
            if day.weekday() not in s.work_days or holiday_name(day) is not None:
                continue
            for half, (start, end) in zip(HALVES, (am, pm), strict=True):
                if _on_leave(by_staff.get(s.id, ()), day, half):
                    continue
                if not_before is not None:
                    if day < not_before[0]:
                        continue
                    if day == not_before[0]:
                        start = max(start, not_before[1])
                if end - start < 30 or caps[half] <= 0:
                    continue
                out.append(HalfDay(s.id, s.role, day, half, start, end, caps[half]))
    return out


@dataclass(frozen=True)
class PairHalf:
    """A planner and a nurse visiting together for one half-day (the 65/70 universal visits)."""

    planner: HalfDay
    nurse: HalfDay


def pair_halves(
    halves: Sequence[HalfDay],
    pair_minutes: int,
    *,
    must_minutes: int = 0,
    planner_reserve: tuple[int, int] = (0, 0),
    keep: Collection[tuple[int, int, date, int]] = (),
) -> list[PairHalf]:
    """Choose the half-days a planner and a nurse go out together, enough for `pair_minutes`
    of joint visits (with a quarter on top for travel), spread over the week: mornings
    first, each nurse in turn, the planner with the fewest joint halves so far. PyVRP has no
    synchronised two-person visits, so a pair is planned as one team for its half-days.

    The `must_minutes` of joint must-visits are covered whatever they cost; beyond them a
    joint half-day is taken only while the planners keep `planner_reserve` (visits, minutes)
    of their own half-days for their own must-visits: an optional joint visit never takes
    the place a planner's must-visit needs. `keep` (planner, nurse, day, minute of a joint
    visit): in a re-plan the pairs already going out together stay paired first, so their
    visits need not move."""
    if pair_minutes <= 0:
        return []
    nurses = [h for h in halves if h.role == "nurse"]
    planners = [h for h in halves if h.role == "planner"]
    if not nurses or not planners:
        return []
    places = sum(p.max_visits for p in planners)
    minutes = sum(p.end - p.start for p in planners)
    used: set[HalfDay] = set()
    joint: dict[int, int] = {}
    out: list[PairHalf] = []
    covered = 0

    def take(planner: HalfDay, nurse: HalfDay) -> None:
        nonlocal places, minutes, covered
        used.update((planner, nurse))
        joint[planner.staff_id] = joint.get(planner.staff_id, 0) + 1
        places -= planner.max_visits
        minutes -= planner.end - planner.start
        covered += min(planner.end, nurse.end) - max(planner.start, nurse.start)
        out.append(PairHalf(planner, nurse))

    def at(pool: list[HalfDay], staff_id: int, day: date, minute: int) -> HalfDay | None:
        return next(
            (
                h
                for h in pool
                if h not in used
                and h.staff_id == staff_id
                and h.day == day
                and h.start <= minute < h.end
            ),
            None,
        )

    for planner_id, nurse_id, day, minute in keep:
        planner_half, nurse_half = (
            at(planners, planner_id, day, minute),
            at(nurses, nurse_id, day, minute),
        )
        if planner_half and nurse_half and planner_half.half == nurse_half.half:
            take(planner_half, nurse_half)
    order = sorted(nurses, key=lambda h: (HALVES.index(h.half), h.day, h.staff_id))
    for nurse in order:
        if nurse in used:
            continue
        if covered >= pair_minutes * 1.25:
            break
        free = [
            p for p in planners if p not in used and p.day == nurse.day and p.half == nurse.half
        ]
        if not free:
            continue
        planner = min(free, key=lambda p: (joint.get(p.staff_id, 0), p.staff_id))
        if covered >= must_minutes * 1.25 and (
            places - planner.max_visits < planner_reserve[0]
            or minutes - (planner.end - planner.start) < planner_reserve[1]
        ):
            continue
        take(planner, nurse)
    return out

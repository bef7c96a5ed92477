"""What the outreach pages show: a center's week (staff × day calendar, figures, unplanned
targets), one staff member's day (ordered visits and the route drawing) and the plan status
of a gu's or the city's centers. Read only: every read is scoped, and every person a page
shows is access-logged."""

import itertools
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.cases.models import Household
from bigcare.districts.models import Center, Dong, Gu
from bigcare.errors import InvalidInput, NotFound
from bigcare.linkage.models import Person
from bigcare.outreach import calendar, outcomes, staffing
from bigcare.outreach import service as outreach_service
from bigcare.outreach.models import (
    OutreachStaff,
    StaffLeave,
    Visit,
    VisitRule,
    VisitTarget,
    WeekPlan,
)

WEEKDAYS = ("월", "화", "수", "목", "금", "토", "일")
# A dong has a few dozen open targets; past this the list says how many more there are.
UNPLANNED_LIMIT = 100
VISIT_STATUS = {"planned": "예정", "cancelled": "취소", **outcomes.OUTCOME_LABELS}
PLAN_STATUS = {"draft": "초안", "approved": "승인"}
NO_CENTER = "주민센터를 찾을 수 없습니다"
BAD_WEEK = "주 표기가 올바르지 않습니다 (예: 2026-W49)"


def hm(minutes: int) -> str:
    """Minutes after midnight as "09:30"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_label(day: date) -> str:
    """ "12/1 (월)": how the pages name a day of the week."""
    return f"{day.month}/{day.day} ({WEEKDAYS[day.weekday()]})"


def week_range(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week named in a URL. Raises NotFound for a bad name."""
    try:
        return outreach_service.parse_week(week)
    except InvalidInput as exc:
        raise NotFound(BAD_WEEK) from exc


@dataclass
class Place:
    """A center with its dong and gu."""

    dong: Dong
    gu: Gu
    center: Center | None

    @property
    def name(self) -> str:
        return self.center.name if self.center else f"{self.dong.name} 주민센터"

    @property
    def depot(self) -> tuple[float, float]:
        """Where visits start and end: the center (or the dong's inner point)."""
        if self.center:
            return self.center.lat, self.center.lon
        return self.dong.lat, self.dong.lon


def get_place(session: Session, *, actor: Actor, dong_code: str, action: str) -> Place:
    """A center in the actor's scope. Raises NotFound (also out of scope, logged under
    `action`)."""
    try:
        dong = outreach_service.check_center_scope(session, actor=actor, dong_code=dong_code)
    except NotFound:
        audit.record(
            session,
            actor=actor,
            action=action,
            outcome=audit.NOT_FOUND,
            target=f"dong:{dong_code[:10]} (out of scope or not found)",
        )
        raise
    gu = session.get(Gu, dong.gu_code)
    assert gu is not None
    center = session.exec(select(Center).where(Center.dong_code == dong.code)).first()
    return Place(dong=dong, gu=gu, center=center)


def landing_url(session: Session, *, actor: Actor, today: date) -> str:
    """Where /outreach takes the actor: their center's week, their gu's or the city's status."""
    week = outreach_service.week_of(today)
    match actor.scope_kind:
        case ScopeKind.DONG:
            return f"/outreach/centers/{actor.scope_code}/weeks/{week}"
        case ScopeKind.GU:
            return f"/outreach/gu/{actor.scope_code}?week={week}"
    return f"/outreach/city?week={week}"


# --- the week -----------------------------------------------------------------------------


@dataclass
class DayColumn:
    day: date
    holiday: str | None

    @property
    def label(self) -> str:
        return day_label(self.day)


@dataclass
class Cell:
    """One staff member on one day: visits and minutes, or why there are none."""

    day: date
    visits: int = 0
    visit_min: int = 0
    travel_min: int = 0
    holiday: str | None = None
    leave: str | None = None  # "연차", "오전 교육"
    off: bool = False  # not one of their working weekdays


@dataclass
class StaffRow:
    staff: OutreachStaff
    cells: list[Cell]

    @property
    def role_label(self) -> str:
        return calendar.ROLE_LABELS.get(self.staff.role, self.staff.role)

    @property
    def visits(self) -> int:
        return sum(c.visits for c in self.cells)


@dataclass
class UnplannedRow:
    target: VisitTarget
    person: Person
    rule_name: str


@dataclass
class WeekView:
    place: Place
    week: str
    monday: date
    days: list[DayColumn]
    plan: WeekPlan | None
    staff: list[StaffRow]
    unplanned: list[UnplannedRow]
    unplanned_total: int
    this_week: str
    # The week's leave entries with who and what, for the list under the leave form.
    leaves: list[tuple[StaffLeave, OutreachStaff, str]] = field(default_factory=list)

    @property
    def prev_week(self) -> str:
        return outreach_service.week_of(self.monday - timedelta(days=7))

    @property
    def next_week(self) -> str:
        return outreach_service.week_of(self.monday + timedelta(days=7))

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def status_label(self) -> str:
        return PLAN_STATUS.get(self.plan.status, self.plan.status) if self.plan else "계획 없음"

    @property
    def travel_share(self) -> float | None:
        """Travel as a share of the staff's working minutes."""
        if not self.plan or not self.plan.work_min:
            return None
        return self.plan.travel_min / self.plan.work_min


def _leave_label(leaves: Sequence[StaffLeave], day: date) -> str | None:
    for lv in leaves:
        if lv.starts_on <= day <= lv.ends_on:
            kind = calendar.LEAVE_LABELS.get(lv.kind, lv.kind)
            half = calendar.HALF_LABELS.get(lv.half) if lv.half else None
            return f"{half} {kind}" if half else kind
    return None


def _log_shown(
    session: Session,
    actor: Actor,
    action: str,
    person_ids: Sequence[int | None],
    *,
    shown: str,
    page: str,
) -> None:
    """One access-log row per person a page shows; one for the page when it shows nobody."""
    for person_id in person_ids:
        audit.record(session, actor=actor, action=action, subject=person_id, target=shown)
    if not person_ids:
        audit.record(session, actor=actor, action=action, target=page)


def week_view(
    session: Session, *, actor: Actor, dong_code: str, week: str, today: date
) -> WeekView:
    """A center's week: the plan's figures, visits per staff member and day, and the targets
    not planned. Raises NotFound (also out of scope or a bad week)."""
    place = get_place(session, actor=actor, dong_code=dong_code, action="outreach.week.read")
    monday, sunday = week_range(week)
    week = outreach_service.week_of(monday)
    workdays = [monday + timedelta(days=i) for i in range(5)]
    days = [DayColumn(d, calendar.holiday_name(d)) for d in workdays]
    plan = outreach_service.find_plan(session, dong_code=dong_code, week=week)
    staff = staffing.list_staff(session, dong_code=dong_code)
    leaves = staffing.list_leave(
        session, staff_ids=[s.id for s in staff if s.id], start=monday, end=sunday
    )
    by_id = {st.id: st for st in staff}
    leave_of: dict[int, list[StaffLeave]] = defaultdict(list)
    for lv in leaves:
        leave_of[lv.staff_id].append(lv)
    cells: dict[tuple[int, date], Cell] = {}
    rows = []
    for s in staff:
        row = StaffRow(s, [])
        for col_ in days:
            cell = Cell(
                day=col_.day,
                holiday=col_.holiday,
                leave=_leave_label(leave_of[s.id or 0], col_.day),
                off=col_.day.weekday() not in s.work_days,
            )
            cells[(s.id or 0, col_.day)] = cell
            row.cells.append(cell)
        rows.append(row)
    if plan is not None:
        for v in outreach_service.plan_visits(session, plan.id or 0):
            for member in (v.staff_id, v.partner_staff_id):
                cell = cells.get((member or 0, v.day))
                if cell is not None:
                    cell.visits += 1
                    cell.visit_min += v.end_min - v.start_min
                    cell.travel_min += v.travel_min
    unplanned, total = _unplanned(session, dong_code=dong_code, until=sunday)
    _log_shown(
        session,
        actor,
        "outreach.week.read",
        [r.person.id for r in unplanned],
        shown=f"week:{dong_code} {week} (미계획 대상)",
        page=f"week:{dong_code} {week}",
    )
    return WeekView(
        place=place,
        week=week,
        monday=monday,
        days=days,
        plan=plan,
        staff=rows,
        unplanned=unplanned,
        unplanned_total=total,
        this_week=outreach_service.week_of(today),
        leaves=[
            (lv, by_id[lv.staff_id], _leave_label([lv], max(lv.starts_on, monday)) or "")
            for lv in sorted(leaves, key=lambda lv: (lv.starts_on, lv.staff_id))
            if lv.staff_id in by_id
        ],
    )


def _unplanned(session: Session, *, dong_code: str, until: date) -> tuple[list[UnplannedRow], int]:
    """Open targets the week could have visited (not snoozed past it), must visits and the
    most urgent first; at most UNPLANNED_LIMIT of them, and how many there are."""
    where = (
        VisitTarget.dong_code == dong_code,
        VisitTarget.status == "open",
        VisitTarget.earliest_on <= until,
        (col(VisitTarget.snooze_until).is_(None)) | (col(VisitTarget.snooze_until) <= until),
    )
    found = session.exec(
        select(VisitTarget, Person, VisitRule.name)
        .join(Person, col(Person.id) == VisitTarget.person_id)
        .join(VisitRule, col(VisitRule.code) == VisitTarget.rule_code)
        .where(*where)
        .order_by(
            col(VisitTarget.must_visit).desc(),
            col(VisitTarget.priority),
            col(VisitTarget.due_on),
            col(VisitTarget.id),
        )
        .limit(UNPLANNED_LIMIT)
    ).all()
    rows = [UnplannedRow(t, p, name) for t, p, name in found]
    total = len(rows)
    if total == UNPLANNED_LIMIT:
        total = int(session.exec(select(func.count()).select_from(VisitTarget).where(*where)).one())
    return rows, total


# --- one staff member's day ------------------------------------------------------------------


@dataclass(frozen=True)
class RoutePoint:
    """A stop drawn on the route: where, and the visit numbers standing there ("1", "2·4")."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Leg:
    x1: float
    y1: float
    x2: float
    y2: float
    home: bool = False  # the way back to the center

    @property
    def mid(self) -> tuple[float, float]:
        return round((self.x1 + self.x2) / 2, 1), round((self.y1 + self.y2) / 2, 1)


@dataclass(frozen=True)
class Route:
    """The route drawing in SVG units: the center, numbered stops, legs and a scale bar."""

    width: int
    height: int
    center: tuple[float, float]
    points: list[RoutePoint]
    legs: list[Leg]
    scale_px: float
    scale_m: int
    unplaced: int  # visits whose household has no coordinates (listed, not drawn)

    @property
    def scale_label(self) -> str:
        return f"{self.scale_m / 1000:g} km" if self.scale_m >= 1000 else f"{self.scale_m} m"

    @property
    def path(self) -> str:
        """Center → 1 → 2 … → center as SVG path data."""
        if not self.legs:
            return ""
        first = self.legs[0]
        return f"M{first.x1},{first.y1} " + " ".join(f"L{g.x2},{g.y2}" for g in self.legs)


M_PER_DEG = math.pi / 180 * 6_371_000.0
SCALE_STEPS = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)
# A route that stays within one block is still drawn at neighbourhood scale, so a stop 80 m
# away does not look as far as one across the dong.
MIN_SPAN_M = 400.0


def route_geometry(
    depot: tuple[float, float],
    stops: Sequence[tuple[float, float] | None],
    *,
    # A phone shows the drawing about 360 px wide: a small box keeps its numbers legible.
    width: int = 460,
    height: int = 380,
    pad: int = 30,
    back_after: Collection[int] = (),
) -> Route:
    """Project the center and the day's stops (lat, lon; None = not placed) into an SVG box:
    equirectangular around the points' mean latitude, north up, true proportions. Stops at
    the same spot share one point labelled with every visit number there. `back_after`: stop
    numbers after which the route returns to the center (the morning round before lunch)."""
    placed = [(i, s) for i, s in enumerate(stops, start=1) if s is not None]
    everything = [depot, *(s for _, s in placed)]
    lat0 = sum(p[0] for p in everything) / len(everything)
    lon0 = sum(p[1] for p in everything) / len(everything)
    k = math.cos(math.radians(lat0))

    def metres(p: tuple[float, float]) -> tuple[float, float]:
        return (p[1] - lon0) * k * M_PER_DEG, (p[0] - lat0) * M_PER_DEG

    xy = [metres(p) for p in everything]
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    span_x = max(max(xs) - min(xs), MIN_SPAN_M)
    span_y = max(max(ys) - min(ys), MIN_SPAN_M)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad - 24) / span_y)  # px per metre
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def px(p: tuple[float, float]) -> tuple[float, float]:
        mx, my = metres(p)
        # 24 px at the bottom stay free for the scale bar.
        return (
            round(width / 2 + (mx - mid_x) * scale, 1),
            round((height - 24) / 2 - (my - mid_y) * scale, 1),
        )

    center = px(depot)
    stop_px = [(i, px(s)) for i, s in placed]
    labels: dict[tuple[float, float], list[int]] = {}
    for i, p in stop_px:
        labels.setdefault(p, []).append(i)
    points = [RoutePoint(x, y, "·".join(map(str, nums))) for (x, y), nums in labels.items()]
    path = [center]
    for i, p in stop_px:
        path.append(p)
        if i in back_after:
            path.append(center)
    path.append(center)
    legs = [
        Leg(a[0], a[1], b[0], b[1], home=b == center) for a, b in itertools.pairwise(path) if a != b
    ]
    scale_m = max((m for m in SCALE_STEPS if m * scale <= width * 0.3), default=SCALE_STEPS[0])
    return Route(
        width=width,
        height=height,
        center=center,
        points=points,
        legs=legs,
        scale_px=round(scale_m * scale, 1),
        scale_m=scale_m,
        unplaced=len(stops) - len(placed),
    )


@dataclass
class VisitRow:
    """A visit with who and where it is for."""

    visit: Visit
    target: VisitTarget
    person: Person
    household: Household | None
    rule: VisitRule
    partner: OutreachStaff | None = None
    # The first visit of a half-day: the staff member sets out from the center (mornings
    # and afternoons are separate rounds, lunch back at the center).
    from_center: bool = False

    @property
    def address(self) -> str:
        return (self.household.address if self.household else None) or self.person.address or ""

    @property
    def age(self) -> int | None:
        born = self.person.birth_date
        if born is None:
            return None
        on = self.visit.day
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    @property
    def status_label(self) -> str:
        return VISIT_STATUS.get(self.visit.status, self.visit.status)

    @property
    def open(self) -> bool:
        return self.visit.status == "planned"

    @property
    def point(self) -> tuple[float, float] | None:
        h = self.household
        return (h.lat, h.lon) if h and h.lat is not None and h.lon is not None else None


@dataclass
class DayView:
    place: Place
    staff: OutreachStaff
    day: date
    week: str
    plan: WeekPlan | None
    holiday: str | None
    leave: str | None
    visits: list[VisitRow]
    route: Route
    colleagues: list[OutreachStaff] = field(default_factory=list)  # for the move form
    week_days: list[date] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return calendar.ROLE_LABELS.get(self.staff.role, self.staff.role)

    @property
    def label(self) -> str:
        return day_label(self.day)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]

    @property
    def visit_min(self) -> int:
        return sum(v.visit.end_min - v.visit.start_min for v in self.visits)

    @property
    def travel_min(self) -> int:
        return sum(v.visit.travel_min for v in self.visits)

    def day_url(self, day: date) -> str:
        return day_url(self.place.dong.code, day, self.staff.id or 0)


def day_url(dong_code: str, day: date, staff_id: int) -> str:
    """The day page of a staff member."""
    return f"/outreach/centers/{dong_code}/days/{day.isoformat()}/staff/{staff_id}"


def _day_visits(plan_id: int, day: date, staff_id: int) -> tuple[Any, ...]:
    return (
        Visit.plan_id == plan_id,
        Visit.day == day,
        Visit.status != "cancelled",
        (Visit.staff_id == staff_id) | (Visit.partner_staff_id == staff_id),
    )


def _staff_of(session: Session, *, dong_code: str, staff_id: int) -> OutreachStaff:
    staff = session.get(OutreachStaff, staff_id)
    if staff is None or staff.dong_code != dong_code:
        raise NotFound("방문 직원을 찾을 수 없습니다")
    return staff


def day_visit_ids(
    session: Session, *, actor: Actor, dong_code: str, day: date, staff_id: int
) -> set[int]:
    """The ids of the visits a day page lists (a bulk form may name no other). Raises
    NotFound (also out of scope)."""
    get_place(session, actor=actor, dong_code=dong_code, action="outreach.day.read")
    _staff_of(session, dong_code=dong_code, staff_id=staff_id)
    plan = outreach_service.find_plan(
        session, dong_code=dong_code, week=outreach_service.week_of(day)
    )
    if plan is None:
        return set()
    found = session.exec(select(Visit.id).where(*_day_visits(plan.id or 0, day, staff_id)))
    return {i for i in found.all() if i is not None}


def day_view(
    session: Session, *, actor: Actor, dong_code: str, day: date, staff_id: int
) -> DayView:
    """One staff member's visits on one day, in route order, with the route drawing; every
    person shown is access-logged. Raises NotFound (also out of scope)."""
    place = get_place(session, actor=actor, dong_code=dong_code, action="outreach.day.read")
    staff = _staff_of(session, dong_code=dong_code, staff_id=staff_id)
    week = outreach_service.week_of(day)
    plan = outreach_service.find_plan(session, dong_code=dong_code, week=week)
    rows: list[VisitRow] = []
    if plan is not None:
        found = session.exec(
            select(Visit, VisitTarget, Person, VisitRule, Household)
            .join(VisitTarget, col(VisitTarget.id) == Visit.target_id)
            .join(Person, col(Person.id) == VisitTarget.person_id)
            .join(VisitRule, col(VisitRule.code) == VisitTarget.rule_code)
            .outerjoin(Household, col(Household.id) == Visit.household_id)
            .where(*_day_visits(plan.id or 0, day, staff_id))
            .order_by(col(Visit.start_min), col(Visit.seq))
        ).all()
        rows = [VisitRow(v, t, p, h, r) for v, t, p, r, h in found]
    colleagues = staffing.list_staff(session, dong_code=dong_code)
    by_id = {s.id: s for s in colleagues}
    for row in rows:
        other = row.visit.partner_staff_id if row.visit.staff_id == staff_id else row.visit.staff_id
        row.partner = by_id.get(other) if other else None
    for n, row in enumerate(rows):
        prev = rows[n - 1].visit if n else None
        row.from_center = prev is None or (
            prev.end_min <= staff.lunch_start and row.visit.start_min >= staff.lunch_end
        )
    leaves = staffing.list_leave(session, staff_ids=[staff_id], start=day, end=day)
    _log_shown(
        session,
        actor,
        "outreach.day.read",
        [r.person.id for r in rows],
        shown=f"staff:{staff_id} {day.isoformat()}",
        page=f"staff:{staff_id} {day}",
    )
    monday, _ = week_range(week)
    return DayView(
        place=place,
        staff=staff,
        day=day,
        week=week,
        plan=plan,
        holiday=calendar.holiday_name(day),
        leave=_leave_label(leaves, day),
        visits=rows,
        route=route_geometry(
            place.depot,
            [r.point for r in rows],
            back_after={n for n, r in enumerate(rows[1:], start=1) if r.from_center},
        ),
        colleagues=colleagues,
        week_days=[monday + timedelta(days=i) for i in range(5)],
    )


def dong_choices(session: Session) -> list[tuple[str, str]]:
    """Every dong as (code, "강남구 개포1동"), for the 이사 form's suggestions."""
    found = session.exec(
        select(Dong.code, Dong.name, Gu.name).join(Gu, col(Gu.code) == Dong.gu_code)
    ).all()
    return sorted(((code, f"{gu} {name}") for code, name, gu in found), key=lambda c: c[1])


@dataclass(frozen=True)
class VisitPlace:
    """Where a visit's page is: its center, day and staff member (and partner)."""

    visit_id: int
    dong_code: str
    day: date
    staff_id: int
    partner_staff_id: int | None

    def who(self, staff_id: int | None) -> int:
        """`staff_id` if they make this visit (its staff member or partner), else its staff
        member: a form returns to the page it was sent from."""
        if staff_id is not None and staff_id in (self.staff_id, self.partner_staff_id):
            return staff_id
        return self.staff_id

    def page(self, staff_id: int | None = None) -> str:
        """The day page of `staff_id` if they make this visit, else of its staff member."""
        return day_url(self.dong_code, self.day, self.who(staff_id))


def visit_place(session: Session, *, actor: Actor, visit_id: int, action: str) -> VisitPlace:
    """A visit in the actor's scope. Raises NotFound (also out of scope, logged)."""
    found = session.exec(
        select(Visit, WeekPlan.dong_code)
        .join(WeekPlan, col(WeekPlan.id) == Visit.plan_id)
        .where(Visit.id == visit_id, actor.dong_clause(col(WeekPlan.dong_code)))
    ).first()
    if found is None:
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=Visit,
            key=visit_id,
            target=f"visit:{visit_id}",
        )
        raise NotFound("방문을 찾을 수 없습니다")
    visit, dong_code = found
    return VisitPlace(visit.id or 0, dong_code, visit.day, visit.staff_id, visit.partner_staff_id)


# --- plan status of many centers -------------------------------------------------------------


@dataclass
class StatusRow:
    """One center, or one gu's centers added up, for a week."""

    code: str
    name: str
    url: str
    centers: int = 0
    draft: int = 0
    approved: int = 0
    visits_planned: int = 0
    must_planned: int = 0
    must_total: int = 0
    travel_min: int = 0
    work_min: int = 0
    status: str | None = None  # a center's plan status (None: no plan)

    @property
    def no_plan(self) -> int:
        return self.centers - self.draft - self.approved

    @property
    def status_label(self) -> str:
        return PLAN_STATUS.get(self.status, self.status) if self.status else "계획 없음"

    @property
    def must_share(self) -> float | None:
        return self.must_planned / self.must_total if self.must_total else None

    @property
    def travel_share(self) -> float | None:
        return self.travel_min / self.work_min if self.work_min else None

    def add(self, plan: WeekPlan | None) -> None:
        self.centers += 1
        if plan is None:
            return
        self.draft += plan.status == "draft"
        self.approved += plan.status == "approved"
        self.visits_planned += plan.visits_planned
        self.must_planned += plan.must_planned
        self.must_total += plan.must_total
        self.travel_min += plan.travel_min
        self.work_min += plan.work_min


@dataclass
class StatusView:
    week: str
    monday: date
    gu: Gu | None  # None: the city page
    rows: list[StatusRow]
    total: StatusRow

    @property
    def prev_week(self) -> str:
        return outreach_service.week_of(self.monday - timedelta(days=7))

    @property
    def next_week(self) -> str:
        return outreach_service.week_of(self.monday + timedelta(days=7))


def status_view(session: Session, *, actor: Actor, gu_code: str | None, week: str) -> StatusView:
    """Plan status for a week: per center of a gu, or per gu of the city; only the centers in
    the actor's scope count. Read from the plans' own figures, not their visits. Raises
    NotFound (a gu outside the scope, or a bad week)."""
    monday, _ = week_range(week)
    week = outreach_service.week_of(monday)
    gu = None
    if gu_code is not None:
        gu = session.get(Gu, gu_code)
        if gu is None or not _gu_in_scope(session, actor, gu_code):
            raise NotFound("구를 찾을 수 없습니다")
    dongs = select(Dong, Gu, WeekPlan).join(Gu, col(Gu.code) == Dong.gu_code)
    dongs = dongs.outerjoin(
        WeekPlan, (col(WeekPlan.dong_code) == Dong.code) & (WeekPlan.week == week)
    ).where(actor.dong_clause(col(Dong.code)))
    if gu_code is not None:
        dongs = dongs.where(Dong.gu_code == gu_code)
    rows: dict[str, StatusRow] = {}
    total = StatusRow(code="", name="합계", url="")
    for dong, gu_row, plan in session.exec(dongs).all():
        if gu_code is None:
            key, name, url = gu_row.code, gu_row.name, f"/outreach/gu/{gu_row.code}?week={week}"
        else:
            key, name = dong.code, dong.name
            url = f"/outreach/centers/{dong.code}/weeks/{week}"
        row = rows.setdefault(key, StatusRow(code=key, name=name, url=url))
        row.add(plan)
        if gu_code is not None and plan is not None:
            row.status = plan.status
        total.add(plan)
    ordered = sorted(rows.values(), key=lambda r: r.name)
    return StatusView(week=week, monday=monday, gu=gu, rows=ordered, total=total)


def _gu_in_scope(session: Session, actor: Actor, gu_code: str) -> bool:
    match actor.scope_kind:
        case ScopeKind.CITY:
            return True
        case ScopeKind.GU:
            return actor.scope_code == gu_code
        case ScopeKind.DONG:
            dong = session.get(Dong, actor.scope_code or "")
            return dong is not None and dong.gu_code == gu_code
    return False

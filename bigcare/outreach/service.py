"""A center's week: plan it with the solver, re-plan it after outcomes, leave or an urgent
target (warm start, done and locked visits kept), move or lock a visit by hand, approve it."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.cases.models import Household
from bigcare.cases.workflow import FormErrors
from bigcare.db import utcnow
from bigcare.districts.models import Center, Dong
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.outreach import calendar, places, solver, staffing, travel
from bigcare.outreach.models import Visit, VisitRule, VisitTarget, WeekPlan

log = logging.getLogger(__name__)

WEEK_FORMAT = "주는 2026-W49 처럼 적어 주세요"
# Visits that already happened or were fixed by hand: a re-plan keeps them where they are.
FROZEN = frozenset({"done", "absent", "refused", "moved", "unreachable", "deceased"})


def parse_week(text: str) -> tuple[date, date]:
    """ "2026-W49" → (Monday, Sunday). Raises InvalidInput."""
    try:
        year, week = text.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise InvalidInput(WEEK_FORMAT, [FieldError("week", WEEK_FORMAT)]) from exc
    return monday, monday + timedelta(days=6)


def week_of(day: date) -> str:
    """The ISO week of a day, as "2026-W49"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def workdays(week: str) -> list[date]:
    """Monday to Friday of the week (holidays are dropped by the staff calendar)."""
    monday, _ = parse_week(week)
    return [monday + timedelta(days=i) for i in range(5)]


def check_center_scope(session: Session, *, actor: Actor, dong_code: str) -> Dong:
    """The dong, if the actor's scope covers its center. Raises NotFound (also out of scope,
    so a code outside the scope reveals nothing)."""
    dong = session.get(Dong, dong_code)
    if dong is None:
        raise NotFound("주민센터를 찾을 수 없습니다")
    match actor.scope_kind:
        case ScopeKind.CITY:
            return dong
        case ScopeKind.GU if dong.gu_code == actor.scope_code:
            return dong
        case ScopeKind.DONG if dong.code == actor.scope_code:
            return dong
    raise NotFound("주민센터를 찾을 수 없습니다")


def find_plan(session: Session, *, dong_code: str, week: str) -> WeekPlan | None:
    """The center's plan for the week, if one was made."""
    return session.exec(
        select(WeekPlan).where(WeekPlan.dong_code == dong_code, WeekPlan.week == week)
    ).first()


def get_plan(session: Session, plan_id: int) -> WeekPlan:
    """One week plan. Raises NotFound."""
    plan = session.get(WeekPlan, plan_id)
    if plan is None:
        raise NotFound("방문 계획을 찾을 수 없습니다")
    return plan


def get_visit(session: Session, visit_id: int) -> Visit:
    """One visit. Raises NotFound."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound("방문을 찾을 수 없습니다")
    return visit


def plan_visits(session: Session, plan_id: int) -> list[Visit]:
    """A plan's visits in day, staff and route order (cancelled ones left out)."""
    return list(
        session.exec(
            select(Visit)
            .where(Visit.plan_id == plan_id, Visit.status != "cancelled")
            .order_by(col(Visit.day), col(Visit.staff_id), col(Visit.seq))
        ).all()
    )


def _must(target: VisitTarget, week_end: date) -> bool:
    """A must-visit target is required this week once it is due by the week's end."""
    return target.must_visit and target.due_on <= week_end


def _kind(rule: VisitRule) -> str:
    roles = set(rule.roles)
    if {"planner", "nurse"} <= roles:
        return "pair"
    return "nurse" if roles == {"nurse"} else "planner"


@dataclass
class WeekProblem:
    """Everything the solver is given for one center-week, and how to read its answer."""

    dong: Dong
    days: list[date]
    shifts: list[solver.Shift] = field(default_factory=list)
    jobs: list[solver.Job] = field(default_factory=list)
    targets: dict[int, VisitTarget] = field(default_factory=dict)
    rules: dict[str, VisitRule] = field(default_factory=dict)
    households: dict[int, int | None] = field(default_factory=dict)  # target → household
    frozen: dict[int, Visit] = field(default_factory=dict)  # target → kept visit
    work_min: int = 0
    travel: object = None


def _frozen_kind(team: tuple[int, ...]) -> str:
    return "team:" + "+".join(map(str, team))


def build_week(
    session: Session,
    *,
    dong_code: str,
    week: str,
    from_day: date,
    kept: Sequence[Visit],
    current: dict[int, tuple[tuple[int, ...], date]],
    joint: Sequence[Visit] = (),
) -> WeekProblem:
    """A center-week as the solver sees it: shifts from the staff calendar, jobs from the
    open targets (plus the kept visits, pinned to their staff member, day and time) and the
    travel matrix. `current`: target → (team, day) it holds in the plan being re-planned;
    `joint`: its planner-and-nurse visits (those pairs stay paired on those half-days)."""
    dong = session.get(Dong, dong_code)
    if dong is None:
        raise NotFound("주민센터를 찾을 수 없습니다")
    days = workdays(week)
    w = WeekProblem(dong=dong, days=days)
    center = session.exec(select(Center).where(Center.dong_code == dong_code)).first()
    depot = (center.lat, center.lon) if center else (dong.lat, dong.lon)

    staffing.staff_for_users(session, dong_code=dong_code)
    staff = staffing.list_staff(session, dong_code=dong_code)
    leaves = staffing.list_leave(
        session, staff_ids=[s.id for s in staff if s.id], start=days[0], end=days[-1]
    )
    halves = calendar.staff_halves(staff, leaves, [d for d in days if d >= from_day])

    w.rules = {r.code: r for r in session.exec(select(VisitRule)).all()}
    kept_targets = {v.target_id for v in kept}
    targets = session.exec(
        select(VisitTarget).where(
            VisitTarget.dong_code == dong_code,
            col(VisitTarget.status).in_(["open", "planned"]),
            VisitTarget.earliest_on <= days[-1],
        )
    ).all()
    # A target with a visit still to come in another week's plan is not planned twice (one
    # left unrecorded in a past week is: it is overdue).
    elsewhere = set(
        session.exec(
            select(Visit.target_id)
            .join(WeekPlan, col(WeekPlan.id) == Visit.plan_id)
            .where(
                WeekPlan.dong_code == dong_code,
                WeekPlan.week != week,
                Visit.status == "planned",
                Visit.day >= from_day,
            )
        ).all()
    )
    targets = [
        t
        for t in targets
        if t.id not in kept_targets
        and t.id not in elsewhere
        and (t.snooze_until is None or t.snooze_until <= days[-1])
    ]
    kept_rows = session.exec(
        select(VisitTarget).where(col(VisitTarget.id).in_(list(kept_targets)))
    ).all()
    all_targets = [*targets, *kept_rows]
    w.targets = {t.id: t for t in all_targets if t.id is not None}
    places.place_households(session, dong_codes=[dong_code])
    hh_ids = {t.household_id for t in all_targets if t.household_id}
    points: dict[int, tuple[float, float]] = {}
    if hh_ids:
        for hid, lat, lon in session.exec(
            select(Household.id, Household.lat, Household.lon).where(
                col(Household.id).in_(list(hh_ids))
            )
        ).all():
            if lat is not None and lon is not None:
                points[hid] = (lat, lon)

    coords: list[tuple[float, float]] = [depot]
    point_of: dict[int | None, int] = {}

    def point(household_id: int | None) -> int:
        if household_id not in point_of:
            point_of[household_id] = len(coords)
            coords.append(points.get(household_id or 0, depot))
        return point_of[household_id]

    # Joint half-days are sized from the joint visits (must ones first), keeping the
    # planners' own half-days for their own must-visits (with a quarter for travel).
    def minutes(kind: str, must: bool | None) -> tuple[int, int]:
        picked = [
            t
            for t in targets
            if _kind(w.rules[t.rule_code]) == kind and (must is None or _must(t, days[-1]) == must)
        ]
        return len(picked), sum(w.rules[t.rule_code].duration_min for t in picked)

    _, pair_min = minutes("pair", None)
    _, pair_must = minutes("pair", True)
    planner_must, planner_must_min = minutes("planner", True)
    pairs = calendar.pair_halves(
        halves,
        pair_min,
        must_minutes=pair_must,
        planner_reserve=(planner_must, round(planner_must_min * 1.25)),
        keep=[
            (v.staff_id, v.partner_staff_id, v.day, v.start_min)
            for v in joint
            if v.partner_staff_id
        ],
    )
    used = {h for p in pairs for h in (p.planner, p.nurse)}
    day_index = {d: i for i, d in enumerate(days)}
    for p in pairs:
        w.shifts.append(
            solver.Shift(
                team=(p.planner.staff_id, p.nurse.staff_id),
                kind="pair",
                day=day_index[p.planner.day],
                start=max(p.planner.start, p.nurse.start),
                end=min(p.planner.end, p.nurse.end),
                max_visits=min(p.planner.max_visits, p.nurse.max_visits),
            )
        )
    for h in halves:
        if h in used:
            continue
        w.shifts.append(
            solver.Shift(
                team=(h.staff_id,),
                kind=h.role,
                day=day_index[h.day],
                start=h.start,
                end=h.end,
                max_visits=h.max_visits,
            )
        )
    w.work_min = sum(s.end - s.start for s in w.shifts)

    for t in targets:
        rule = w.rules[t.rule_code]
        first = max(t.earliest_on, from_day)
        allowed = tuple(
            i for i, d in enumerate(days) if d >= first and d.weekday() not in t.avoid_days
        )
        if not allowed:
            continue
        held = current.get(t.id or 0)
        w.households[t.id or 0] = t.household_id
        w.jobs.append(
            solver.Job(
                id=t.id or 0,
                point=point(t.household_id),
                duration=rule.duration_min,
                kind=_kind(rule),
                priority=t.priority,
                must=_must(t, days[-1]),
                days=allowed,
                windows=tuple((a, b) for a, b in t.windows),
                known_team=(t.known_staff_id,) if t.known_staff_id else None,
                current=(held[0], day_index[held[1]]) if held and held[1] in day_index else None,
            )
        )
    for v in kept:
        if v.day < from_day:
            continue
        team = (v.staff_id, v.partner_staff_id) if v.partner_staff_id else (v.staff_id,)
        w.frozen[v.target_id] = v
        w.households[v.target_id] = v.household_id
        w.jobs.append(
            solver.Job(
                id=v.target_id,
                point=point(v.household_id),
                duration=v.end_min - v.start_min,
                kind=_frozen_kind(team),
                priority=0,
                must=True,
                days=(day_index[v.day],),
                windows=((v.start_min, v.end_min),),
            )
        )
    # A shift may serve the visits pinned to its own staff member.
    w.shifts = [
        solver.Shift(
            team=s.team,
            kind=s.kind,
            day=s.day,
            start=s.start,
            end=s.end,
            max_visits=s.max_visits,
            also=(_frozen_kind(s.team),),
        )
        for s in w.shifts
    ]
    w.travel = travel.DEFAULT.minutes(coords)
    return w


def _solve(w: WeekProblem, *, seconds: float, warm: solver.Plan | None = None) -> solver.Plan:
    problem = solver.Problem(travel=w.travel, shifts=w.shifts, jobs=w.jobs)  # type: ignore[arg-type]
    return solver.solve(problem, seconds=seconds, warm=warm)


def _write(
    session: Session, plan: WeekPlan, w: WeekProblem, result: solver.Plan, *, from_day: date
) -> dict[int, tuple[int, date]]:
    """Put the solver's answer into the plan's open visits from `from_day` on. A target that
    keeps a visit keeps its row (a printed sheet's link stays valid); a dropped visit is
    cancelled, not deleted. Kept visits get their new order and travel. Returns target →
    (staff, day) of the open visits."""
    old = {
        v.target_id: v
        for v in session.exec(
            select(Visit).where(
                Visit.plan_id == plan.id,
                Visit.status == "planned",
                col(Visit.locked).is_(False),
                Visit.day >= from_day,
            )
        ).all()
    }
    now: dict[int, tuple[int, date]] = {}
    for p in result.placed:
        shift = w.shifts[p.shift]
        day = w.days[shift.day]
        kept = w.frozen.get(p.job_id)
        if kept is not None:
            kept.seq, kept.travel_min = p.seq, p.travel
            continue
        target = w.targets[p.job_id]
        visit = old.pop(p.job_id, None)
        if visit is None:
            visit = Visit(
                plan_id=plan.id or 0,
                target_id=p.job_id,
                staff_id=0,
                day=day,
                start_min=0,
                end_min=0,
                seq=0,
            )
            session.add(visit)
        visit.household_id = target.household_id
        visit.staff_id = shift.team[0]
        visit.partner_staff_id = shift.team[1] if len(shift.team) > 1 else None
        visit.day, visit.start_min, visit.end_min = day, p.start, p.end
        visit.seq, visit.travel_min = p.seq, p.travel
        target.status = "planned"
        now[p.job_id] = (shift.team[0], day)
    for visit in old.values():
        visit.status = "cancelled"
    session.flush()
    # The solver numbers each half-day; a staff member's day is numbered as one list.
    for staff_id, day in {
        (w.shifts[p.shift].team[0], w.days[w.shifts[p.shift].day]) for p in result.placed
    }:
        _resequence(session, plan_id=plan.id or 0, staff_id=staff_id, day=day)
    for tid, target in w.targets.items():
        if tid not in now and tid not in w.frozen and target.status == "planned":
            target.status = "open"
    session.flush()
    return now


def _stats(plan: WeekPlan, w: WeekProblem, result: solver.Plan, seconds: float) -> None:
    free = [j for j in w.jobs if not j.kind.startswith("team:")]
    placed = {p.job_id for p in result.placed}
    plan.visits_planned = sum(1 for j in free if j.id in placed)
    plan.must_total = sum(1 for j in free if j.must)
    plan.must_planned = sum(1 for j in free if j.must and j.id in placed)
    plan.targets_unplanned = sum(1 for j in free if j.id not in placed)
    plan.travel_min = result.travel_min
    plan.work_min = w.work_min
    plan.solver_seconds = round(seconds, 2)


def plan_week(
    session: Session,
    *,
    dong_code: str,
    week: str,
    actor: Actor | None,
    today: date,
    seconds: float = 3.0,
) -> WeekPlan:
    """Plan (or plan again from scratch) a center's week: every open target that fits, must
    visits first, by priority; done and locked visits stay. Raises Conflict if approved."""
    if actor is not None:
        check_center_scope(session, actor=actor, dong_code=dong_code)
    parse_week(week)
    plan = find_plan(session, dong_code=dong_code, week=week)
    if plan is not None and plan.status == "approved":
        raise Conflict("승인된 계획입니다. 바뀐 내용은 '다시 계획'으로 반영하세요")
    kept = _kept(session, plan) if plan is not None else []
    from_day = max(workdays(week)[0], today)
    started = time.perf_counter()
    w = build_week(
        session, dong_code=dong_code, week=week, from_day=from_day, kept=kept, current={}
    )
    result = _solve(w, seconds=seconds)
    # Written only after the solve: on SQLite the first write takes the database's write
    # lock, and other centers' jobs must not wait through this center's search.
    if plan is None:
        plan = WeekPlan(dong_code=dong_code, week=week)
        session.add(plan)
        session.flush()
    _write(session, plan, w, result, from_day=from_day)
    _stats(plan, w, result, time.perf_counter() - started)
    plan.revision += 1
    plan.moved_last = None
    plan.planned_at = utcnow()
    plan.planned_by_label = actor.signature if actor else "bigcare plan"
    _log(session, actor, "outreach.plan", plan)
    log.info(
        "planned %s %s: %d visits, %d/%d must, %.1fs",
        dong_code,
        week,
        plan.visits_planned,
        plan.must_planned,
        plan.must_total,
        plan.solver_seconds,
    )
    return plan


def _kept(session: Session, plan: WeekPlan) -> list[Visit]:
    return list(
        session.exec(
            select(Visit).where(
                Visit.plan_id == plan.id,
                (col(Visit.status).in_(list(FROZEN))) | col(Visit.locked),
            )
        ).all()
    )


def replan_week(
    session: Session,
    *,
    plan_id: int,
    actor: Actor | None,
    today: date,
    seconds: float = 1.0,
    from_day: date | None = None,
) -> WeekPlan:
    """Re-plan the rest of the week from `from_day` (default today) after outcomes, leave or
    a new urgent target, starting from the current plan; done and locked visits stay. Sets
    `moved_last`: open visits now with another staff member or on another day, or dropped."""
    plan = get_plan(session, plan_id)
    if actor is not None:
        check_center_scope(session, actor=actor, dong_code=plan.dong_code)
    days = workdays(plan.week)
    start = max(days[0], from_day or today)
    kept = _kept(session, plan)
    before = session.exec(
        select(Visit).where(
            Visit.plan_id == plan.id,
            Visit.status == "planned",
            col(Visit.locked).is_(False),
            Visit.day >= start,
        )
    ).all()
    current = {
        v.target_id: (
            (v.staff_id, v.partner_staff_id) if v.partner_staff_id else (v.staff_id,),
            v.day,
        )
        for v in before
    }
    began = time.perf_counter()
    w = build_week(
        session,
        dong_code=plan.dong_code,
        week=plan.week,
        from_day=start,
        kept=kept,
        current=current,
        joint=[*before, *kept],
    )
    warm = _warm(w, before, kept)
    result = _solve(w, seconds=seconds, warm=warm)
    now = _write(session, plan, w, result, from_day=start)
    _stats(plan, w, result, time.perf_counter() - began)
    plan.moved_last = sum(
        1 for tid, (team, day) in current.items() if now.get(tid) != (team[0], day)
    )
    plan.revision += 1
    plan.planned_at = utcnow()
    plan.planned_by_label = actor.signature if actor else "bigcare plan"
    _log(session, actor, "outreach.replan", plan)
    return plan


def _warm(w: WeekProblem, before: Sequence[Visit], kept: Sequence[Visit]) -> solver.Plan:
    """The current plan in the solver's terms (each visit in the half-day shift it falls in),
    to start the search from."""
    jobs = {j.id for j in w.jobs}
    placed: list[solver.Placed] = []
    for v in [*before, *kept]:
        if v.target_id not in jobs:
            continue
        team = (v.staff_id, v.partner_staff_id) if v.partner_staff_id else (v.staff_id,)
        shift = next(
            (
                i
                for i, s in enumerate(w.shifts)
                if s.team == team and w.days[s.day] == v.day and s.start <= v.start_min < s.end
            ),
            None,
        )
        if shift is None:
            continue
        placed.append(
            solver.Placed(
                job_id=v.target_id,
                shift=shift,
                seq=v.seq,
                start=v.start_min,
                end=v.end_min,
                travel=v.travel_min,
            )
        )
    return solver.Plan(placed=placed, unplanned=[], travel_min=0, service_min=0, seconds=0.0)


def _log(session: Session, actor: Actor | None, action: str, plan: WeekPlan) -> None:
    target = f"{plan.dong_code} {plan.week}"
    if actor is None:
        audit.record(session, actor=None, action=action, target=target, actor_label="bigcare plan")
    else:
        audit.record(session, actor=actor, action=action, target=target)


def approve_week(session: Session, *, plan_id: int, actor: Actor) -> WeekPlan:
    """The center manager approves the week: its sheets can be printed. Raises Conflict."""
    plan = get_plan(session, plan_id)
    check_center_scope(session, actor=actor, dong_code=plan.dong_code)
    if plan.status == "approved":
        raise Conflict("이미 승인된 계획입니다")
    if plan.revision == 0:
        raise Conflict("계획을 먼저 세우세요")
    plan.status = "approved"
    plan.approved_at = utcnow()
    plan.approved_by_label = actor.signature
    _log(session, actor, "outreach.approve", plan)
    session.flush()
    return plan


def _scoped_visit(session: Session, *, actor: Actor, visit_id: int) -> tuple[Visit, WeekPlan]:
    visit = get_visit(session, visit_id)
    plan = get_plan(session, visit.plan_id)
    check_center_scope(session, actor=actor, dong_code=plan.dong_code)
    return visit, plan


def lock_visit(session: Session, *, visit_id: int, locked: bool, actor: Actor) -> Visit:
    """Pin a visit (a re-plan leaves it where it is) or release it."""
    visit, plan = _scoped_visit(session, actor=actor, visit_id=visit_id)
    visit.locked = locked
    audit.record(
        session,
        actor=actor,
        action="outreach.lock" if locked else "outreach.unlock",
        target=f"visit:{visit.id} {plan.dong_code} {plan.week}",
    )
    session.flush()
    return visit


def move_visit(
    session: Session,
    *,
    visit_id: int,
    staff_id: int,
    day: date,
    start_min: int | None,
    actor: Actor,
) -> Visit:
    """Move a visit by hand to a staff member, day and time (it is then locked). The staff
    member must work then: a working day, no holiday, no leave, inside working hours and not
    over lunch. Raises InvalidInput, NotFound, Conflict."""
    visit, plan = _scoped_visit(session, actor=actor, visit_id=visit_id)
    if visit.status != "planned":
        raise Conflict("결과가 입력된 방문은 옮길 수 없습니다")
    staff = staffing.get_staff(session, staff_id)
    errors = FormErrors()
    if staff.dong_code != plan.dong_code:
        errors.add("staff_id", "이 주민센터의 직원을 고르세요")
    if day not in workdays(plan.week):
        errors.add("day", f"{plan.week} 주의 평일을 고르세요")
    length = visit.end_min - visit.start_min
    start = visit.start_min if start_min is None else start_min
    if not errors.items:
        leaves = staffing.list_leave(session, staff_ids=[staff_id], start=day, end=day)
        halves = calendar.staff_halves([staff], leaves, [day])
        name = calendar.holiday_name(day)
        if name:
            errors.add("day", f"{day:%m월 %d일}은 공휴일({name})입니다")
        elif not halves:
            errors.add("day", f"{staff.name} 님은 이 날 근무하지 않거나 휴가입니다")
        elif not any(h.start <= start and start + length <= h.end for h in halves):
            spans = ", ".join(f"{_hm(h.start)}–{_hm(h.end)}" for h in halves)
            errors.add("start", f"근무 시간({spans}) 안에서 점심시간을 피해 고르세요")
    errors.raise_any()
    visit.staff_id, visit.day = staff_id, day
    visit.start_min, visit.end_min = start, start + length
    visit.locked = True
    _resequence(session, plan_id=plan.id or 0, staff_id=staff_id, day=day)
    audit.record(
        session,
        actor=actor,
        action="outreach.move",
        target=f"visit:{visit.id} {plan.dong_code} {day}",
    )
    session.flush()
    return visit


def _resequence(session: Session, *, plan_id: int, staff_id: int, day: date) -> None:
    visits = session.exec(
        select(Visit)
        .where(
            Visit.plan_id == plan_id,
            Visit.staff_id == staff_id,
            Visit.day == day,
            Visit.status != "cancelled",
        )
        .order_by(col(Visit.start_min))
    ).all()
    for i, v in enumerate(visits, start=1):
        v.seq = i


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"

"""The city week benchmark (`bigcare bench plan --city`): staff for every center, targets from
the rules, every center's week planned as a job, then what a manager asks of the result —
must-visit coverage, the share of staff time spent travelling, the same weeks planned by
assign-then-route for comparison, and how fast a center re-plans after a visit found nobody
home. Runs on a bench database: it starts by clearing the outreach tables."""

import hashlib
import logging
import math
import os
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date

import numpy as np
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.cases.models import Household
from bigcare.db import make_engine
from bigcare.districts.models import Dong
from bigcare.linkage.models import Person
from bigcare.outreach import jobs, outcomes, service, solver, staffing
from bigcare.outreach.models import (
    CrisisSignal,
    HouseholdPreference,
    OutreachStaff,
    StaffLeave,
    Visit,
    VisitRule,
    VisitTarget,
    WeekPlan,
)
from bigcare.privacy.crypto import Keyring

log = logging.getLogger(__name__)

BENCH_ACTOR = "cli:bench-plan"
# Goals the figures are read against (docs: README "Visit planning benchmark").
PLAN_GOAL_SECONDS = 15 * 60
TRAVEL_SHARE_GOAL = 0.20
BASELINE_SAVING_GOAL = 0.20
REPLAN_P95_GOAL = 2.0
KEPT_SHARE_GOAL = 0.90

Progress = Callable[[str, int, int], None]
KIND_LABELS = {"planner": "복지플래너", "nurse": "방문간호사", "pair": "2인 방문"}
HEADINGS = ("센터", "방법", "방문", "필수", "이동(분)", "방문당 이동")
WIDTHS = (8, 12, 7, 9, 9, 11)
STAGE_LABELS = {
    "build": "자료 만들기 또는 재사용",
    "reset": "이전 실행 지우기",
    "staff": "방문 직원 만들기",
    "prepare": "규칙으로 대상 고르기",
    "plan": "모든 센터 계획",
    "must": "필수 방문 누락 점검",
    "baseline": "배정 후 경로(기준) 비교",
    "replan": "부재 후 재계획",
}


@dataclass
class MustGap:
    """A center that left a must-visit out: the must-visits' minutes and number against the
    minutes and visit places of the shifts that could make them, and whether they all fit
    when planned alone (if so, the planner failed; if not, capacity did)."""

    dong_code: str
    must_total: int
    must_planned: int
    must_min: int
    capacity_min: int
    capacity_visits: int
    fits_alone: bool
    # Per kind of visit (planner, nurse, pair): [must-visits, their minutes, visit places and
    # minutes of the shifts of that kind].
    kinds: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Method:
    """One planning method's week at one center (or summed over the sample)."""

    visits: int = 0
    must_total: int = 0
    must_planned: int = 0
    travel_min: int = 0

    @property
    def travel_per_visit(self) -> float:
        """Travel minutes per planned visit."""
        return self.travel_min / self.visits if self.visits else 0.0

    def add(self, other: "Method") -> None:
        """Add another center's figures."""
        self.visits += other.visits
        self.must_total += other.must_total
        self.must_planned += other.must_planned
        self.travel_min += other.travel_min


@dataclass
class Comparison:
    """BigCare's plan and the assign-then-route baseline on the same center-week."""

    dong_code: str
    bigcare: Method
    baseline: Method


@dataclass
class Replan:
    """One re-plan after a 부재: seconds end to end, and the other open visits it moved."""

    dong_code: str
    seconds: float
    others: int
    moved: int


@dataclass
class CityReport:
    """Every figure of one city run."""

    week: str
    today: date
    command: str = ""
    machine: str = ""
    centers: int = 0
    persons: int = 0
    households: int = 0
    staff: int = 0
    targets: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    planned: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    jobs: int = 0
    visits: int = 0
    must_total: int = 0
    must_planned: int = 0
    travel_min: int = 0
    work_min: int = 0
    visit_min: int = 0
    plan_seconds: float = 0.0
    workers: int = 0
    # The machine's 1-minute load average before the run and after planning: other programs
    # share its cores and the solver's time limits are wall-clock.
    load_before: float = 0.0
    load_after_plan: float = 0.0
    must_gaps: list[MustGap] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    replans: list[Replan] = field(default_factory=list)

    def baseline_totals(self) -> tuple[Method, Method]:
        """(BigCare, baseline) summed over the sample."""
        ours, theirs = Method(), Method()
        for c in self.comparisons:
            ours.add(c.bigcare)
            theirs.add(c.baseline)
        return ours, theirs

    def figures(self) -> dict:
        """The report with its derived figures, for JSON."""
        ours, theirs = self.baseline_totals()
        out = asdict(self)
        out["today"] = self.today.isoformat()
        out["derived"] = {
            "travel_share_of_work": ratio(self.travel_min, self.work_min),
            "travel_share_of_out": ratio(self.travel_min, self.travel_min + self.visit_min),
            "must_coverage": ratio(self.must_planned, self.must_total),
            "sample_bigcare_travel_per_visit": ours.travel_per_visit,
            "sample_baseline_travel_per_visit": theirs.travel_per_visit,
            "saving_per_visit": saving(ours.travel_per_visit, theirs.travel_per_visit),
            "saving_total": saving(ours.travel_min, theirs.travel_min),
            "replan_p50": percentile([r.seconds for r in self.replans], 0.50),
            "replan_p95": percentile([r.seconds for r in self.replans], 0.95),
            "replan_kept_share": kept_share(self.replans),
        }
        return out


def ratio(part: float, whole: float) -> float | None:
    """part / whole, None when there is no whole."""
    return part / whole if whole else None


def saving(ours: float, theirs: float) -> float | None:
    """How much less ours is than theirs, as a share of theirs."""
    return 1 - ours / theirs if theirs else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (the value `share` of the samples are at or under)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def kept_share(replans: Sequence[Replan]) -> float | None:
    """Of the other open visits, the share that kept their staff member and day."""
    others = sum(r.others for r in replans)
    return 1 - sum(r.moved for r in replans) / others if others else None


def reset_outreach(session: Session) -> None:
    """Clear what an earlier run left (rules, staff, targets, plans, visits, signals,
    coordinates), so every run of a reused bench database measures the same work from the
    same start, with the rules as seed_data ships them (seeding never overwrites a rule)."""
    for model in (Visit, WeekPlan, VisitTarget, StaffLeave, HouseholdPreference, CrisisSignal):
        session.execute(delete(model))
    session.execute(delete(OutreachStaff))
    session.execute(delete(VisitRule))
    session.execute(
        update(Household).where(col(Household.lat).is_not(None)).values(lat=None, lon=None)
    )
    session.flush()


def choose_sample(session: Session, *, dong_codes: Sequence[str], count: int) -> list[str]:
    """`count` of these centers spread over the gu: each gu's dongs in a fixed pseudo-random
    order, one gu after another, so the sample is the same on every run."""
    by_gu: dict[str, list[str]] = defaultdict(list)
    for code, gu in session.exec(
        select(Dong.code, Dong.gu_code).where(col(Dong.code).in_(list(dong_codes)))
    ).all():
        by_gu[gu].append(code)
    for codes in by_gu.values():
        codes.sort(key=lambda c: hashlib.sha256(c.encode()).hexdigest())
    chosen: list[str] = []
    rank = 0
    while len(chosen) < count and any(rank < len(c) for c in by_gu.values()):
        for gu in sorted(by_gu):
            if rank < len(by_gu[gu]) and len(chosen) < count:
                chosen.append(by_gu[gu][rank])
        rank += 1
    return chosen


def _week_problem(
    session: Session, *, dong_code: str, week: str, today: date
) -> service.WeekProblem:
    """The center-week exactly as a fresh plan_week sees it."""
    from_day = max(service.workdays(week)[0], today)
    return service.build_week(
        session, dong_code=dong_code, week=week, from_day=from_day, kept=[], current={}
    )


def _free_jobs(w: service.WeekProblem) -> list[solver.Job]:
    return [j for j in w.jobs if not j.kind.startswith("team:")]


def must_gap(
    session: Session, *, result: jobs.CenterResult, week: str, today: date, seconds: float
) -> MustGap:
    """Why a center left a must-visit out: capacity, or the planner (they all fit alone)."""
    w = _week_problem(session, dong_code=result.dong_code, week=week, today=today)
    must = [j for j in _free_jobs(w) if j.must]
    kinds = {j.kind for j in must}
    alone = solver.solve(
        solver.Problem(travel=w.travel, shifts=w.shifts, jobs=must),  # type: ignore[arg-type]
        seconds=seconds,
    )
    return MustGap(
        dong_code=result.dong_code,
        must_total=result.must_total,
        must_planned=result.must_planned,
        must_min=sum(j.duration for j in must),
        capacity_min=sum(s.end - s.start for s in w.shifts if s.kind in kinds),
        capacity_visits=sum(s.max_visits for s in w.shifts if s.kind in kinds),
        fits_alone=bool(must) and not alone.unplanned,
        kinds={
            kind: [
                sum(1 for j in must if j.kind == kind),
                sum(j.duration for j in must if j.kind == kind),
                sum(s.max_visits for s in w.shifts if s.kind == kind),
                sum(s.end - s.start for s in w.shifts if s.kind == kind),
            ]
            for kind in sorted(kinds)
        },
    )


def _window_fits(job: solver.Job, shift: solver.Shift) -> bool:
    if not job.windows:
        return True
    return any(min(b, shift.end) - max(a, shift.start) >= job.duration for a, b in job.windows)


def assign_then_route(w: service.WeekProblem, *, seconds: float, seed: int = 1) -> solver.Plan:
    """The baseline a center would do by hand: visits in order of must, priority and due date,
    each to a shift of the staff member who knows the household if one has room, else to the
    least-loaded fitting shift of the earliest allowed day (room: max visits, and the shift's
    minutes counting the way out from the center as the travel); then every shift routed
    alone by the same core, the time budget shared among the shifts."""
    began = time.perf_counter()
    travel = np.asarray(w.travel)
    free = _free_jobs(w)

    def due(job: solver.Job) -> date:
        target = w.targets.get(job.id)
        return target.due_on if target is not None else date.max

    load = [0] * len(w.shifts)
    count = [0] * len(w.shifts)
    assigned: dict[int, list[solver.Job]] = defaultdict(list)
    for job in sorted(free, key=lambda j: (not j.must, j.priority, due(j), j.id)):
        need = job.duration + int(travel[0, job.point])
        room = [
            i
            for i, s in enumerate(w.shifts)
            if s.kind == job.kind
            and s.day in job.days
            and count[i] < s.max_visits
            and load[i] + need <= s.end - s.start
            and _window_fits(job, s)
        ]
        known = [i for i in room if job.known_team and set(job.known_team) & set(w.shifts[i].team)]
        pool = known or room
        if not pool:
            continue
        first = min(w.shifts[i].day for i in pool)
        chosen = min((i for i in pool if w.shifts[i].day == first), key=lambda i: (load[i], i))
        load[chosen] += need
        count[chosen] += 1
        assigned[chosen].append(job)

    placed: list[solver.Placed] = []
    shift_travel: dict[int, int] = {}
    each = seconds / max(1, len(assigned))
    for i, shift_jobs in sorted(assigned.items()):
        shift = w.shifts[i]
        alone = solver.Problem(
            travel=w.travel,  # type: ignore[arg-type]
            shifts=[shift],
            jobs=[replace(j, days=(shift.day,), current=None) for j in shift_jobs],
        )
        routed = solver.solve(alone, seconds=each, seed=seed)
        placed += [replace(p, shift=i) for p in routed.placed]
        shift_travel[i] = routed.travel_min
    done = {p.job_id for p in placed}
    return solver.Plan(
        placed=placed,
        unplanned=[j.id for j in free if j.id not in done],
        travel_min=sum(shift_travel.values()),
        service_min=sum(p.end - p.start for p in placed),
        seconds=time.perf_counter() - began,
        shift_travel=shift_travel,
    )


def compare(
    session: Session, *, dong_code: str, week: str, today: date, seconds: float
) -> Comparison:
    """The center's plan (as planned) against assign-then-route on the same week problem."""
    plan = service.find_plan(session, dong_code=dong_code, week=week)
    if plan is None:
        raise ValueError(f"{dong_code} {week} has no plan")
    ours = Method(plan.visits_planned, plan.must_total, plan.must_planned, plan.travel_min)
    w = _week_problem(session, dong_code=dong_code, week=week, today=today)
    result = assign_then_route(w, seconds=seconds)
    must = {j.id for j in _free_jobs(w) if j.must}
    done = {p.job_id for p in result.placed}
    theirs = Method(len(done), len(must), len(must & done), result.travel_min)
    return Comparison(dong_code=dong_code, bigcare=ours, baseline=theirs)


def replan_after_absence(
    session: Session, *, plan_id: int, seconds: float
) -> tuple[float, int, int] | None:
    """Record 부재 on the first planned visit of the plan's first planned day, re-plan the
    week from that day and commit; (seconds end to end, other open visits, visits moved).
    None when the plan has no visit."""
    first = session.exec(
        select(Visit)
        .where(Visit.plan_id == plan_id, Visit.status == "planned")
        .order_by(col(Visit.day), col(Visit.staff_id), col(Visit.seq))
    ).first()
    if first is None:
        return None
    day = first.day
    others = session.exec(
        select(func.count())
        .select_from(Visit)
        .where(
            Visit.plan_id == plan_id,
            Visit.status == "planned",
            col(Visit.locked).is_(False),
            Visit.day >= day,
            Visit.id != first.id,
        )
    ).one()
    actor = auth_service.operator_actor(BENCH_ACTOR, permissions=frozenset({"plan.edit"}))
    visit_id = first.id or 0
    session.commit()  # the bench's own reads end here; the clock starts with a new transaction
    began = time.perf_counter()
    outcomes.record_outcome(
        session, visit_id=visit_id, outcome="absent", note="", actor=actor, today=day
    )
    plan = service.replan_week(session, plan_id=plan_id, actor=None, today=day, seconds=seconds)
    moved = plan.moved_last or 0
    session.commit()
    return time.perf_counter() - began, int(others), moved


def _count(session: Session, model: type, *where: object) -> int:
    query = select(func.count()).select_from(model)
    if where:
        query = query.where(*where)  # type: ignore[arg-type]
    return int(session.exec(query).one())


def run_city(
    url: str,
    *,
    keyring: Keyring,
    week: str,
    today: date,
    plan_seconds: float,
    workers: int,
    sample: int,
    centers: Sequence[str] | None = None,
    replan_seconds: float = 1.0,
    progress: Progress | None = None,
) -> CityReport:
    """The whole city run on a built bench database (or only `centers`), stage by stage."""

    def tick(stage: str, done: int = 0, total: int = 0) -> None:
        if progress:
            progress(stage, done, total)

    report = CityReport(week=week, today=today, plan_seconds=plan_seconds, workers=workers)
    report.load_before = os.getloadavg()[0]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            codes = list(centers or session.exec(select(Dong.code).order_by(Dong.code)).all())
            scope = None if centers is None else codes
            report.centers = len(codes)

            tick("reset")
            began = time.perf_counter()
            reset_outreach(session)
            session.commit()
            report.stages["reset"] = time.perf_counter() - began

            tick("staff")
            began = time.perf_counter()
            staffing.generate_staff(session, dong_codes=codes)
            session.commit()
            report.stages["staff"] = time.perf_counter() - began

            tick("prepare")
            began = time.perf_counter()
            jobs.prepare(session, keyring=keyring, today=today, dong_codes=scope)
            session.commit()
            report.stages["prepare"] = time.perf_counter() - began

            in_scope = col(VisitTarget.dong_code).in_(codes)
            report.persons = _count(session, Person)
            report.households = _count(session, Household)
            report.staff = _count(session, OutreachStaff, col(OutreachStaff.dong_code).in_(codes))
            report.targets = _count(
                session, VisitTarget, in_scope, col(VisitTarget.status).in_(["open", "planned"])
            )

        # The pool forks: no child should inherit this process's open connections.
        engine.dispose()
        tick("plan", 0, len(codes))
        done = 0

        def planned(result: jobs.CenterResult) -> None:
            nonlocal done
            done += 1
            tick("plan", done, len(codes))

        began = time.perf_counter()
        results = jobs.plan_centers(
            url,
            dong_codes=codes,
            week=week,
            today=today,
            seconds=plan_seconds,
            workers=workers,
            progress=planned,
        )
        report.stages["plan"] = time.perf_counter() - began
        report.load_after_plan = os.getloadavg()[0]
        ok = [r for r in results if not r.error]
        report.errors = [(r.dong_code, r.error or "") for r in results if r.error]
        report.planned = len(ok)
        report.jobs = sum(r.visits + r.unplanned for r in ok)
        report.visits = sum(r.visits for r in ok)
        report.must_total = sum(r.must_total for r in ok)
        report.must_planned = sum(r.must_planned for r in ok)
        report.travel_min = sum(r.travel_min for r in ok)
        report.work_min = sum(r.work_min for r in ok)

        with Session(engine) as session:
            report.visit_min = int(
                session.exec(
                    select(func.coalesce(func.sum(Visit.end_min - Visit.start_min), 0))
                    .join(WeekPlan, col(WeekPlan.id) == col(Visit.plan_id))
                    .where(
                        WeekPlan.week == week,
                        col(WeekPlan.dong_code).in_(codes),
                        Visit.status == "planned",
                    )
                ).one()
            )

            short = [r for r in ok if r.must_planned < r.must_total]
            began = time.perf_counter()
            for i, r in enumerate(short, start=1):
                tick("must", i, len(short))
                report.must_gaps.append(
                    must_gap(session, result=r, week=week, today=today, seconds=plan_seconds)
                )
            session.rollback()  # the week problems placed nothing new; leave no trace
            report.stages["must"] = time.perf_counter() - began

            chosen = choose_sample(
                session, dong_codes=[r.dong_code for r in ok if r.visits], count=sample
            )
            began = time.perf_counter()
            for i, code in enumerate(chosen, start=1):
                tick("baseline", i, len(chosen))
                report.comparisons.append(
                    compare(session, dong_code=code, week=week, today=today, seconds=plan_seconds)
                )
            session.rollback()
            report.stages["baseline"] = time.perf_counter() - began

            # Last: every trial changes its center's plan.
            plan_ids = {r.dong_code: r.plan_id for r in ok}
            began = time.perf_counter()
            for i, code in enumerate(chosen, start=1):
                tick("replan", i, len(chosen))
                trial = replan_after_absence(
                    session, plan_id=plan_ids[code] or 0, seconds=replan_seconds
                )
                if trial is not None:
                    report.replans.append(Replan(code, *trial))
            report.stages["replan"] = time.perf_counter() - began
    finally:
        engine.dispose()
    log.info(
        "city bench %s: %d centers, %d visits, %d/%d must",
        week,
        report.planned,
        report.visits,
        report.must_planned,
        report.must_total,
    )
    return report


def _goal(met: bool) -> str:
    return "달성" if met else "미달"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _cell(value: object, width: int, *, left: bool = False) -> str:
    """Pad to `width` terminal columns (Hangul takes two)."""
    text = str(value)
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    pad = " " * max(0, width - len(text) - wide)
    return text + pad if left else pad + text


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}초"


def format_report(report: CityReport) -> str:
    """The city run as plain text: command, data, machine, then every figure with its goal."""
    d = report.figures()["derived"]
    plan_s = report.stages.get("plan", 0.0)
    lines = [
        f"명령: {report.command}",
        f"자료: 대상자 {report.persons:,}명, 가구 {report.households:,}, 방문 대상(열림·계획) "
        f"{report.targets:,}건, 방문 직원 {report.staff:,}명, 주민센터 {report.centers}곳",
        f"{report.machine}; 부하 평균(1분) 시작 {report.load_before:.1f}, 계획 뒤 "
        f"{report.load_after_plan:.1f}",
        "단계별 시간: "
        + ", ".join(f"{STAGE_LABELS[k]} {v:.1f}초" for k, v in report.stages.items()),
        f"결과 계획: {report.week} 센터 {report.planned}/{report.centers}곳 (오류 "
        f"{len(report.errors)}), 이번 주 대상 {report.jobs:,}건 중 방문 {report.visits:,}건 계획, "
        f"{plan_s / 60:.1f}분 (동시 {report.workers}개, 센터당 {report.plan_seconds:g}초; 목표 "
        f"15분 이하 {_goal(plan_s <= PLAN_GOAL_SECONDS)})",
    ]
    lines += [f"  오류 {code}: {error}" for code, error in report.errors[:10]]
    lines.append(
        f"결과 필수 방문: {report.must_planned:,}/{report.must_total:,} "
        f"({_pct(d['must_coverage'])}), 빠뜨린 센터 {len(report.must_gaps)}곳 (그중 필수만 "
        f"계획하면 다 들어가는 곳 {sum(g.fits_alone for g in report.must_gaps)}곳)"
    )
    for g in report.must_gaps[:20]:
        verdict = (
            "필수만 계획하면 모두 들어감: 계획기 실패"
            if g.fits_alone
            else "필수만으로도 다 들어가지 않음: 인력 부족"
        )
        by_kind = "; ".join(
            f"{KIND_LABELS.get(k, k)} 필수 {n}건 {m:,}분 / 자리 {places}건 {minutes:,}분"
            for k, (n, m, places, minutes) in g.kinds.items()
        )
        lines.append(
            f"  {g.dong_code}: 필수 {g.must_planned}/{g.must_total} ({by_kind}) — {verdict}"
        )
    share = d["travel_share_of_out"]
    lines.append(
        f"결과 이동 시간: 이동 {report.travel_min:,}분 / 방문 가능 근무 {report.work_min:,}분 = "
        f"{_pct(d['travel_share_of_work'])}; 이동 / (이동 + 방문 {report.visit_min:,}분) = "
        f"{_pct(share)} (목표 20% 이하 {_goal(share is not None and share <= TRAVEL_SHARE_GOAL)})"
    )
    ours, theirs = report.baseline_totals()
    lines += [
        f"같은 주 문제, 센터당 {report.plan_seconds:g}초: BigCare(한 주 전체 모형) 대 배정 후 "
        "경로(규칙으로 직원·날짜를 정한 뒤 근무마다 경로)",
        "  "
        + " ".join(
            _cell(h, w, left=i < 2) for i, (h, w) in enumerate(zip(HEADINGS, WIDTHS, strict=True))
        ),
    ]
    rows = [(c.dong_code, c.bigcare, c.baseline) for c in report.comparisons]
    for code, a, b in [*rows, ("합계", ours, theirs)]:
        for label, m in (("BigCare", a), ("배정 후 경로", b)):
            cells = (
                code if label == "BigCare" else "",
                label,
                f"{m.visits:,}",
                f"{m.must_planned}/{m.must_total}",
                f"{m.travel_min:,}",
                f"{m.travel_per_visit:.1f}",
            )
            lines.append(
                "  "
                + " ".join(
                    _cell(c, w, left=i < 2)
                    for i, (c, w) in enumerate(zip(cells, WIDTHS, strict=True))
                )
            )
    per_visit = d["saving_per_visit"]
    met = per_visit is not None and per_visit >= BASELINE_SAVING_GOAL
    lines.append(
        f"결과 비교: 표본 {len(report.comparisons)}곳, 방문당 이동 BigCare "
        f"{ours.travel_per_visit:.1f}분 · 기준 {theirs.travel_per_visit:.1f}분 → "
        f"{_pct(per_visit)} 적음 (목표 20% 이상 {_goal(met)}); 총 이동 {ours.travel_min:,}분 · "
        f"{theirs.travel_min:,}분 → {_pct(d['saving_total'])} 적음; 방문 {ours.visits:,}건 · "
        f"{theirs.visits:,}건, 필수 {ours.must_planned}/{ours.must_total} · "
        f"{theirs.must_planned}/{theirs.must_total}"
    )
    p95, kept = d["replan_p95"], d["replan_kept_share"]
    lines.append(
        f"결과 재계획: 부재 1건 후 {len(report.replans)}회, p50 {_secs(d['replan_p50'])}, p95 "
        f"{_secs(p95)} (목표 2초 이하 {_goal(p95 is not None and p95 <= REPLAN_P95_GOAL)}), "
        f"다른 방문 중 직원·날짜 유지 {_pct(kept)} (목표 90% 이상 "
        f"{_goal(kept is not None and kept >= KEPT_SHARE_GOAL)})"
    )
    return "\n".join(lines)

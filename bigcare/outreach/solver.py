"""The planner's routing core: a center's week of home visits as one PyVRP model (no database).

One vehicle type per staff half-day (a shift), one client copy per day and time window a
household may be visited on, the copies of a household in one mutually exclusive group,
priorities as a prize ladder, skills as load dimensions, continuity and stability as per-team
arc penalties. `solve_vrptw` runs the same engine and settings on the Solomon benchmark.
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyvrp
from pyvrp.PenaltyManager import PenaltyParams
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

DAY_MIN = 24 * 60
WEEK_MIN = 7 * DAY_MIN
# Arc penalties in travel minutes: another visitor than the one the household knows costs a
# little; moving a visit off the staff and day the re-planned week gave it costs more.
CONTINUITY_PENALTY = 15
STABILITY_PENALTY = 45
# In a re-plan, a visit already in the plan is worth this much more than a new one of the
# same priority: otherwise the search swaps equally ranked households in and out freely.
KEEP_BONUS = 2 * STABILITY_PENALTY
# The highest prize allowed. PyVRP keeps costs in int64 and multiplies time warp by a penalty
# that must reach the top prize; 10^11 leaves room for 9·10^7 minutes of warp.
PRIZE_CAP = 10**11
# Solomon coordinates are scaled to integers this much (the reference distances are at full
# precision; truncating to 0.1 would make every tour look ~0.3% shorter).
VRPTW_SCALE = 1000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shift:
    """One staff member, or a planner+nurse pair, for one half-day of one week day."""

    team: tuple[int, ...]  # staff ids: one, or (planner_id, nurse_id) for a pair
    kind: str  # planner, nurse or pair
    day: int  # Monday = 0
    start: int  # minutes after midnight
    end: int
    max_visits: int
    # Other job kinds this shift may serve (e.g. the visits pinned to this very team).
    also: tuple[str, ...] = ()

    def serves(self, kind: str) -> bool:
        """Whether this shift may take a job of that kind."""
        return kind == self.kind or kind in self.also


@dataclass(frozen=True)
class Job:
    """A household to visit once this week."""

    id: int  # target id
    point: int  # index into Problem.travel; 0 is the center
    duration: int  # minutes at the home
    kind: str  # planner, nurse, pair (or a Shift.also kind): which shifts may serve it
    priority: int  # 1 = most urgent
    must: bool
    days: tuple[int, ...]  # week days it may be visited on
    windows: tuple[tuple[int, int], ...] = ()  # resident availability, minutes of day; () = any
    known_team: tuple[int, ...] | None = None  # staff who know the household
    current: tuple[tuple[int, ...], int] | None = None  # (team, day) in the plan re-planned


@dataclass
class Problem:
    """Travel minutes between points (0 = the center), the week's shifts and the jobs."""

    travel: np.ndarray
    shifts: list[Shift]
    jobs: list[Job]


@dataclass(frozen=True)
class Placed:
    """A job placed in a shift: its order, times (minutes of day) and travel to it."""

    job_id: int
    shift: int  # index into Problem.shifts
    seq: int  # 1-based order within the shift
    start: int
    end: int
    travel: int  # minutes from the previous stop (the center for the first)


@dataclass
class Plan:
    """The solver's answer. travel_min includes every shift's drive back to the center."""

    placed: list[Placed]
    unplanned: list[int]
    travel_min: int
    service_min: int
    seconds: float
    shift_travel: dict[int, int] = field(default_factory=dict)  # shift index → minutes


@dataclass(frozen=True)
class _Copy:
    job: int  # index into Problem.jobs
    day: int
    early: int  # earliest and latest start, absolute week minutes
    late: int


def solve(
    problem: Problem,
    *,
    seconds: float,
    seed: int = 1,
    warm: Plan | None = None,
    iterations: int | None = None,
) -> Plan:
    """Plan the week: who visits which household on which day, in what order and when."""
    began = time.perf_counter()
    travel = np.asarray(problem.travel, dtype=np.int64)
    if travel.ndim != 2 or travel.shape[0] != travel.shape[1] or (travel < 0).any():
        raise ValueError("travel must be a square matrix of non-negative minutes")
    usable = [i for i, s in enumerate(problem.shifts) if s.max_visits > 0 and s.end > s.start]
    copies = _copies(problem, travel, usable)
    if not copies or not usable:
        return _empty(problem, began)

    data = _model(problem, travel, usable, copies)
    initial = _initial(problem, travel, data, usable, copies, warm)
    top_prize = max(c.prize for c in data.clients())
    best = _run(
        data,
        seconds=max(0.0, seconds - (time.perf_counter() - began)),  # the budget is the total
        seed=seed,
        iterations=iterations,
        initial=initial,
        max_penalty=max(100_000.0, 2.0 * top_prize),
    )
    if not best.is_feasible():  # nothing feasible found in time: plan nothing rather than wrong
        return _empty(problem, began)

    placed: list[Placed] = []
    shift_travel: dict[int, int] = {}
    for route in best.routes():
        shift_idx = usable[route.vehicle_type()]
        shift = problem.shifts[shift_idx]
        prev, legs = 0, 0
        visits = [a for a in route.schedule() if a.is_client()]
        for seq, act in enumerate(visits, start=1):
            job = problem.jobs[copies[act.idx].job]
            leg = int(travel[prev, job.point])
            start = act.start_time - shift.day * DAY_MIN
            placed.append(Placed(job.id, shift_idx, seq, start, start + job.duration, leg))
            prev, legs = job.point, legs + leg
        shift_travel[shift_idx] = legs + int(travel[prev, 0])

    planned = {p.job_id for p in placed}
    return Plan(
        placed=sorted(placed, key=lambda p: (problem.shifts[p.shift].day, p.shift, p.seq)),
        unplanned=[j.id for j in problem.jobs if j.id not in planned],
        travel_min=sum(shift_travel.values()),
        service_min=sum(p.end - p.start for p in placed),
        seconds=time.perf_counter() - began,
        shift_travel=shift_travel,
    )


def _empty(problem: Problem, began: float) -> Plan:
    return Plan([], [j.id for j in problem.jobs], 0, 0, time.perf_counter() - began)


def _copies(problem: Problem, travel: np.ndarray, usable: list[int]) -> list[_Copy]:
    """One copy per job, day and window, kept only when some shift could actually do it."""
    out: list[_Copy] = []
    for j, job in enumerate(problem.jobs):
        there, back = int(travel[0, job.point]), int(travel[job.point, 0])
        windows = job.windows or ((0, DAY_MIN),)
        for day in sorted(set(job.days)):
            shifts = [problem.shifts[i] for i in usable]
            shifts = [s for s in shifts if s.day == day and s.serves(job.kind)]
            for w_start, w_end in windows:
                # The earliest and latest start any shift of that day allows in this window.
                starts = [
                    (max(w_start, s.start + there), min(w_end, s.end - back) - job.duration)
                    for s in shifts
                ]
                starts = [(a, b) for a, b in starts if a <= b]
                if starts:
                    early = min(a for a, _ in starts) + day * DAY_MIN
                    late = max(b for _, b in starts) + day * DAY_MIN
                    out.append(_Copy(j, day, early, late))
    return out


def _prizes(problem: Problem, travel: np.ndarray, usable: list[int]) -> dict[tuple, int]:
    """Prize per (must, priority) level: one job of a level outweighs every lower one plus
    all the travel a week can cost, so a lower-priority visit never displaces a higher one."""
    shifts = [problem.shifts[i] for i in usable]
    visits = min(len(problem.jobs), sum(s.max_visits for s in shifts))
    max_arc = int(travel.max()) + CONTINUITY_PENALTY + STABILITY_PENALTY
    cost_bound = (visits + len(shifts)) * max(max_arc, 1) + visits * KEEP_BONUS
    counts: dict[tuple, int] = defaultdict(int)
    for job in problem.jobs:
        counts[(not job.must, job.priority)] += 1
    levels = sorted(counts, reverse=True)  # least important first
    # When the ladder outgrows int64 headroom, the least important levels share one prize.
    for merged in range(len(levels)):
        groups = [levels[: merged + 1], *[[lv] for lv in levels[merged + 1 :]]]
        prizes, top = _ladder(groups, counts, visits, cost_bound)
        if top <= PRIZE_CAP:
            break
    if merged:
        log.warning("prize ladder: %d lowest priority levels share one prize", merged + 1)
    return prizes


def _ladder(
    groups: list[list[tuple]], counts: dict, visits: int, cost_bound: int
) -> tuple[dict[tuple, int], int]:
    """Price the groups least important first; returns the prizes and the top one."""
    prizes: dict[tuple, int] = {}
    below: list[tuple[int, int]] = []  # (prize, count) of the groups already priced
    top = 0
    for group in groups:
        # The most lower-level prize any week can collect: the best `visits` jobs below.
        room, lower = visits, 0
        for prize, count in sorted(below, reverse=True):
            take = min(room, count)
            lower, room = lower + take * prize, room - take
        top = lower + cost_bound + 1
        for level in group:
            prizes[level] = top
        below.append((top, sum(counts[lv] for lv in group)))
    return prizes, top


def _model(
    problem: Problem, travel: np.ndarray, usable: list[int], copies: list[_Copy]
) -> pyvrp.ProblemData:
    """Build the ProblemData directly: numpy matrices instead of 10^6 add_edge calls."""
    prizes = _prizes(problem, travel, usable)
    jobs = problem.jobs
    points = np.array([0] + [jobs[c.job].point for c in copies], dtype=np.int64)
    base = travel[np.ix_(points, points)]
    np.fill_diagonal(base, 0)

    teams = sorted({problem.shifts[i].team for i in usable})
    profile_of: dict[tuple[int, ...], int] = {}
    distances: list[np.ndarray] = []
    seen: dict[bytes, int] = {}
    for team in teams:
        penalty = np.zeros(len(points), dtype=np.int64)
        for k, c in enumerate(copies, start=1):
            penalty[k] = _penalty(jobs[c.job], team, c.day)
        key = penalty.tobytes()
        if key not in seen:  # teams with the same penalties share one profile
            matrix = base + penalty[None, :]
            np.fill_diagonal(matrix, 0)
            seen[key] = len(distances)
            distances.append(matrix)
        profile_of[team] = seen[key]

    # Skills as load: one dimension per job kind (a shift holds room only for the kinds it
    # serves), the last one counts the visits against the shift's maximum.
    kinds = sorted({jobs[c.job].kind for c in copies})
    dim = {kind: d for d, kind in enumerate(kinds)}
    clients, groups = [], []
    by_job: dict[int, list[int]] = defaultdict(list)
    for k, c in enumerate(copies):
        by_job[c.job].append(k)
    group_of: dict[int, int] = {}
    for j, ks in by_job.items():
        if len(ks) > 1:
            group_of[j] = len(groups)
            groups.append(pyvrp.ClientGroup(ks, required=False))
    for k, c in enumerate(copies):
        job = jobs[c.job]
        load = [0] * len(kinds) + [1]
        load[dim[job.kind]] = 1
        clients.append(
            pyvrp.Client(
                location=k + 1,
                delivery=load,
                service_duration=job.duration,
                tw_early=c.early,
                tw_late=c.late,
                prize=prizes[(not job.must, job.priority)]
                + (KEEP_BONUS if job.current is not None else 0),
                required=False,
                group=group_of.get(c.job),
            )
        )
    vehicles = []
    for i in usable:
        s = problem.shifts[i]
        capacity = [len(copies) if s.serves(kind) else 0 for kind in kinds] + [s.max_visits]
        vehicles.append(
            pyvrp.VehicleType(
                num_available=1,
                capacity=capacity,
                tw_early=s.day * DAY_MIN + s.start,
                tw_late=s.day * DAY_MIN + s.end,
                profile=profile_of[s.team],
                name=str(i),
            )
        )
    locations = [pyvrp.Location(0, 0) for _ in points]
    return pyvrp.ProblemData(
        locations,
        clients,
        [pyvrp.Depot(0, tw_early=0, tw_late=WEEK_MIN)],
        vehicles,
        distances,
        [base] * len(distances),
        groups,
    )


def _penalty(job: Job, team: tuple[int, ...], day: int) -> int:
    """Arc penalty into a copy of `job` on `day` for `team`: continuity, then stability."""
    penalty = 0
    if job.known_team and not set(job.known_team) & set(team):
        penalty += CONTINUITY_PENALTY
    if job.current is not None and tuple(job.current) != (team, day):
        penalty += STABILITY_PENALTY
    return penalty


def _initial(
    problem: Problem,
    travel: np.ndarray,
    data: pyvrp.ProblemData,
    usable: list[int],
    copies: list[_Copy],
    warm: Plan | None,
) -> pyvrp.Solution:
    """A feasible start: the previous plan's visits that still fit, in their old order, then
    every other job, most important first, at its cheapest feasible place.

    Why: from a random start the search needs many iterations to sort a full week by
    priority; this start already holds the must-visits and the urgent ones."""
    jobs, shifts = problem.jobs, [problem.shifts[i] for i in usable]
    dist = travel.tolist()
    point = [jobs[c.job].point for c in copies]
    routes: list[list[int]] = [[] for _ in usable]

    def fits(route: list[int], v: int) -> bool:
        s = shifts[v]
        t, prev = s.day * DAY_MIN + s.start, 0
        for k in route:
            t = max(t + dist[prev][point[k]], copies[k].early)
            if t > copies[k].late:
                return False
            t, prev = t + jobs[copies[k].job].duration, point[k]
        return t + dist[prev][0] <= s.day * DAY_MIN + s.end

    def allowed(k: int, v: int) -> bool:
        c, s = copies[k], shifts[v]
        return c.day == s.day and s.serves(jobs[c.job].kind) and len(routes[v]) < s.max_visits

    placed: set[int] = set()
    for v, ks in _warm_routes(problem, usable, copies, warm).items():
        for k in ks:
            if copies[k].job not in placed and allowed(k, v) and fits([*routes[v], k], v):
                routes[v].append(k)
                placed.add(copies[k].job)

    copies_of: dict[int, list[int]] = defaultdict(list)
    for k, c in enumerate(copies):
        copies_of[c.job].append(k)
    by_day_kind: dict[tuple[int, str], list[int]] = defaultdict(list)
    for v, s in enumerate(shifts):
        for kind in (s.kind, *s.also):
            by_day_kind[(s.day, kind)].append(v)
    order = sorted(
        copies_of,
        key=lambda j: (not jobs[j].must, jobs[j].priority, len(copies_of[j]), jobs[j].id),
    )
    for j in order:
        if j in placed:
            continue
        best: tuple[int, int, int, int] | None = None  # (added cost, vehicle, position, copy)
        for k in copies_of[j]:
            for v in by_day_kind[(copies[k].day, jobs[j].kind)]:
                route = routes[v]
                if len(route) >= shifts[v].max_visits:
                    continue
                extra = _penalty(jobs[j], shifts[v].team, copies[k].day)
                stops = [0, *(point[r] for r in route), 0]
                for i in range(len(route) + 1):
                    a, b = stops[i], stops[i + 1]
                    added = dist[a][point[k]] + dist[point[k]][b] - dist[a][b] + extra
                    if (best is None or added < best[0]) and fits([*route[:i], k, *route[i:]], v):
                        best = (added, v, i, k)
        if best is not None:
            _, v, i, k = best
            routes[v].insert(i, k)
    return pyvrp.Solution(data, [pyvrp.Route(data, r, v) for v, r in enumerate(routes) if r])


def _warm_routes(
    problem: Problem, usable: list[int], copies: list[_Copy], warm: Plan | None
) -> dict[int, list[int]]:
    """The previous plan's visits as copies per vehicle type, in their old order. `warm`'s
    shift numbers index this problem's shifts (the caller maps them); a visit whose job,
    shift or day copy no longer exists is left out."""
    if warm is None:
        return {}
    job_index = {job.id: j for j, job in enumerate(problem.jobs)}
    vehicle_of = {i: v for v, i in enumerate(usable)}
    copy_at: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, c in enumerate(copies):
        copy_at[(c.job, c.day)].append(k)
    routes: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p in warm.placed:
        j, v = job_index.get(p.job_id), vehicle_of.get(p.shift)
        if j is None or v is None:
            continue
        day = problem.shifts[p.shift].day
        if not (ks := copy_at.get((j, day))):
            continue
        # The copy whose window holds the old start, else the day's first copy.
        absolute = day * DAY_MIN + p.start
        k = next((k for k in ks if copies[k].early <= absolute <= copies[k].late), ks[0])
        routes[v].append((p.seq, k))
    return {v: [k for _, k in sorted(visits)] for v, visits in routes.items()}


def _run(
    data: pyvrp.ProblemData,
    *,
    seconds: float,
    seed: int,
    iterations: int | None = None,
    initial: pyvrp.Solution | None = None,
    max_penalty: float = 100_000.0,
) -> pyvrp.Solution:
    """PyVRP's iterated local search, the same settings for the week plan and the benchmark."""
    stop = MaxRuntime(seconds)
    if iterations is not None:
        stop = MultipleCriteria([stop, MaxIterations(iterations)])
    params = pyvrp.SolveParams(penalty=PenaltyParams(max_penalty=max_penalty))
    result = pyvrp.solve(
        data,
        stop=stop,
        seed=seed,
        collect_stats=False,
        display=False,
        params=params,
        initial_solution=initial,
    )
    return result.best


@dataclass(frozen=True)
class VrptwInstance:
    """A Solomon-style instance: row 0 is the depot; times and distances are Euclidean."""

    name: str
    vehicles: int
    capacity: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    demand: tuple[int, ...]
    ready: tuple[float, ...]
    due: tuple[float, ...]
    service: tuple[float, ...]

    def distances(self) -> np.ndarray:
        """Full-precision Euclidean distance matrix."""
        xy = np.column_stack([self.x, self.y])
        return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def solve_vrptw(
    instance: VrptwInstance, *, seconds: float, seed: int = 1
) -> tuple[float, list[list[int]], bool]:
    """Minimise total distance; returns (real distance, routes of customer numbers, feasible)."""
    dist = instance.distances()
    scaled = np.round(dist * VRPTW_SCALE).astype(np.int64)

    def s(value: float) -> int:
        return round(value * VRPTW_SCALE)

    n = len(instance.x)
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[instance.demand[i]],
            service_duration=s(instance.service[i]),
            tw_early=s(instance.ready[i]),
            tw_late=s(instance.due[i]),
        )
        for i in range(1, n)
    ]
    depot = pyvrp.Depot(0, tw_early=s(instance.ready[0]), tw_late=s(instance.due[0]))
    vehicle = pyvrp.VehicleType(
        num_available=instance.vehicles,
        capacity=[instance.capacity],
        tw_early=s(instance.ready[0]),
        tw_late=s(instance.due[0]),
    )
    locations = [pyvrp.Location(x, y) for x, y in zip(instance.x, instance.y, strict=True)]
    data = pyvrp.ProblemData(locations, clients, [depot], [vehicle], [scaled], [scaled])
    best = _run(data, seconds=seconds, seed=seed)
    routes = [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in best.routes()]
    distance = route_distance(instance, routes)
    return distance, routes, best.is_feasible() and check_vrptw(instance, routes)


def route_distance(instance: VrptwInstance, routes: list[list[int]]) -> float:
    """Total full-precision distance of routes that start and end at the depot."""
    dist = instance.distances()
    return float(sum(dist[a, b] for r in routes for a, b in zip([0, *r], [*r, 0], strict=True)))


def check_vrptw(instance: VrptwInstance, routes: list[list[int]]) -> bool:
    """Every customer once, loads within capacity, starts within windows, back in time."""
    dist = instance.distances()
    visited = sorted(c for r in routes for c in r)
    if visited != list(range(1, len(instance.x))) or len(routes) > instance.vehicles:
        return False
    for route in routes:
        if sum(instance.demand[c] for c in route) > instance.capacity:
            return False
        t, prev = instance.ready[0], 0
        for arcs, c in enumerate(route, start=1):
            # Integer scaling rounds each arc by at most half a unit.
            tol = arcs / VRPTW_SCALE
            t = max(t + dist[prev, c], instance.ready[c])
            if t > instance.due[c] + tol:
                return False
            t, prev = t + instance.service[c], c
        if t + dist[prev, 0] > instance.due[0] + (len(route) + 1) / VRPTW_SCALE:
            return False
    return True

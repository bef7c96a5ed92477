"""The week planner's routing core on small hand-made weeks (no database)."""

import random
from dataclasses import replace

import numpy as np

from bigcare.outreach import solver
from bigcare.outreach.solver import Job, Plan, Problem, Shift

AM, PM = (540, 720), (780, 1080)  # 09:00-12:00 and 13:00-18:00; lunch between


def travel_from(points: list[tuple[float, float]]) -> np.ndarray:
    """Minutes between points (index 0 is the center): 4 minutes per unit, plus 2 to move."""
    xy = np.array(points, dtype=float)
    dist = np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(axis=2))
    return (np.ceil(dist * 4) + (dist > 0) * 2).astype(np.int64)


def shift(team=(1,), kind="planner", day=0, half=AM, max_visits=6) -> Shift:
    return Shift(team=team, kind=kind, day=day, start=half[0], end=half[1], max_visits=max_visits)


def job(id, point=None, *, kind="planner", priority=3, must=False, days=(0,), **kw) -> Job:
    return Job(
        id=id,
        point=id if point is None else point,
        duration=kw.pop("duration", 30),
        kind=kind,
        priority=priority,
        must=must,
        days=days,
        **kw,
    )


def placed_by_job(plan: Plan) -> dict:
    return {p.job_id: p for p in plan.placed}


def week(seed: int, n_jobs: int) -> Problem:
    """Two planners, mornings and afternoons, Monday to Friday; jobs scattered around."""
    rng = random.Random(seed)
    points = [(0.0, 0.0)] + [(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(n_jobs)]
    shifts = [
        shift(team=(p,), day=d, half=h, max_visits=3)
        for d in range(5)
        for h in (AM, PM)
        for p in (1, 2)
    ]
    jobs = [
        job(
            j,
            priority=rng.choice([1, 2, 3]),
            days=tuple(d for d in range(5) if rng.random() < 0.7) or (2,),
            duration=rng.choice([30, 40, 60]),
        )
        for j in range(1, n_jobs + 1)
    ]
    return Problem(travel=travel_from(points), shifts=shifts, jobs=jobs)


def test_must_visit_is_planned_over_more_urgent_optional_ones():
    # Room for two visits; the must-visit is the farthest and the least urgent by priority.
    problem = Problem(
        travel=travel_from([(0, 0), (1, 0), (1, 1), (9, 9)]),
        shifts=[shift(max_visits=2)],
        jobs=[job(1, priority=1), job(2, priority=1), job(3, priority=5, must=True)],
    )
    plan = solver.solve(problem, seconds=0.5)
    assert 3 in placed_by_job(plan)
    assert len(plan.placed) == 2 and len(plan.unplanned) == 1


def test_higher_priority_is_planned_instead_of_lower_even_when_farther():
    problem = Problem(
        travel=travel_from([(0, 0), (10, 10), (0.5, 0)]),
        shifts=[shift(max_visits=1)],
        jobs=[job(1, priority=1), job(2, priority=2)],
    )
    plan = solver.solve(problem, seconds=0.5)
    assert [p.job_id for p in plan.placed] == [1]
    assert plan.unplanned == [2]


def test_pair_and_nurse_jobs_go_only_to_their_kind_of_shift():
    shifts = [
        shift(team=(1,), kind="planner", half=AM),
        shift(team=(2,), kind="nurse", half=AM),
        shift(team=(1, 2), kind="pair", half=PM),
        shift(team=(3,), kind="planner", half=PM),
    ]
    kinds = ["pair", "nurse", "planner", "pair", "nurse", "planner", "nurse"]
    problem = Problem(
        travel=travel_from([(0, 0)] + [(i % 3, i // 3) for i in range(len(kinds))]),
        shifts=shifts,
        jobs=[job(i + 1, kind=k) for i, k in enumerate(kinds)],
    )
    plan = solver.solve(problem, seconds=0.5)
    assert not plan.unplanned
    for p in plan.placed:
        assert shifts[p.shift].kind == kinds[p.job_id - 1]


def test_job_without_a_shift_of_its_kind_is_unplanned():
    problem = Problem(
        travel=travel_from([(0, 0), (1, 1), (2, 1)]),
        shifts=[shift(kind="planner"), shift(team=(2,), kind="nurse", half=PM)],
        jobs=[job(1, kind="pair", must=True), job(2, kind="nurse")],
    )
    plan = solver.solve(problem, seconds=0.5)
    assert plan.unplanned == [1]
    assert [p.job_id for p in plan.placed] == [2]


def test_days_windows_and_shift_ends_are_respected():
    rng = random.Random(7)
    shifts = [shift(day=d, half=h) for d in range(5) for h in (AM, PM)]
    windows = [(), ((600, 660),), ((840, 960),), ((690, 840),), ((540, 600), (900, 1080))]
    jobs = [
        job(
            j,
            days=tuple(sorted(rng.sample(range(5), 2))),
            windows=windows[j % len(windows)],
            duration=rng.choice([30, 60]),
        )
        for j in range(1, 31)
    ]
    points = [(0, 0)] + [(rng.uniform(-3, 3), rng.uniform(-3, 3)) for _ in jobs]
    problem = Problem(travel=travel_from(points), shifts=shifts, jobs=jobs)
    plan = solver.solve(problem, seconds=1)
    assert len(plan.placed) >= 20
    for p in plan.placed:
        j, s = jobs[p.job_id - 1], shifts[p.shift]
        assert s.day in j.days
        assert p.end - p.start == j.duration
        if j.windows:
            assert any(a <= p.start and p.end <= b for a, b in j.windows), p
        # Starts after the walk from the center and ends in time to walk back: no visit
        # runs into lunch or past the end of the day.
        assert s.start + problem.travel[0, j.point] <= p.start
        assert p.end + problem.travel[j.point, 0] <= s.end


def test_window_too_short_for_the_visit_leaves_the_job_unplanned():
    problem = Problem(
        travel=travel_from([(0, 0), (1, 0)]),
        shifts=[shift(day=d, half=h) for d in range(5) for h in (AM, PM)],
        jobs=[job(1, days=(0, 1, 2, 3, 4), duration=60, windows=((600, 640),), must=True)],
    )
    assert solver.solve(problem, seconds=0.3).unplanned == [1]


def test_max_visits_per_shift_is_respected():
    problem = Problem(
        travel=travel_from([(0, 0)] + [(0.2 * i, 0) for i in range(1, 7)]),
        shifts=[shift(max_visits=3), shift(team=(2,), max_visits=1)],
        jobs=[job(j, duration=20) for j in range(1, 7)],
    )
    plan = solver.solve(problem, seconds=0.5)
    per_shift = [sum(1 for p in plan.placed if p.shift == i) for i in range(2)]
    assert per_shift == [3, 1]
    assert len(plan.unplanned) == 2


def test_continuity_gives_the_job_to_the_staff_member_who_knows_the_household():
    # Two planners with the same half-day; one household on either side of the center, each
    # known to a different planner. One planner doing both would walk as far.
    problem = Problem(
        travel=travel_from([(0, 0), (2, 0), (-2, 0)]),
        shifts=[shift(team=(1,)), shift(team=(2,))],
        jobs=[job(1, known_team=(2,)), job(2, known_team=(1,))],
    )
    plan = solver.solve(problem, seconds=0.5)
    assert {p.job_id: problem.shifts[p.shift].team for p in plan.placed} == {1: (2,), 2: (1,)}


def test_replan_with_one_new_job_keeps_visits_on_their_staff_and_day():
    problem = week(seed=3, n_jobs=41)
    *old_jobs, newcomer = problem.jobs
    first = solver.solve(Problem(problem.travel, problem.shifts, old_jobs), seconds=1)
    held = {p.job_id: problem.shifts[p.shift] for p in first.placed}
    held = {jid: (s.team, s.day) for jid, s in held.items()}
    assert len(held) >= 30
    jobs = [replace(j, current=held.get(j.id)) for j in old_jobs]
    urgent = replace(newcomer, priority=1, days=(0, 1, 2, 3, 4))
    again = solver.solve(
        Problem(problem.travel, problem.shifts, [*jobs, urgent]), seconds=1, warm=first
    )
    now = {
        p.job_id: (problem.shifts[p.shift].team, problem.shifts[p.shift].day) for p in again.placed
    }
    assert urgent.id in now  # the urgent newcomer found a place
    kept = sum(1 for jid, where in held.items() if now.get(jid) == where)
    assert kept >= 0.9 * len(held)


def test_travel_figures_add_up():
    problem = week(seed=5, n_jobs=25)
    plan = solver.solve(problem, seconds=1)
    assert plan.placed
    jobs = {j.id: j for j in problem.jobs}
    back = 0
    for i in {p.shift for p in plan.placed}:
        stops = sorted((p for p in plan.placed if p.shift == i), key=lambda p: p.seq)
        assert [p.seq for p in stops] == list(range(1, len(stops) + 1))
        prev, prev_end = 0, problem.shifts[i].start
        for p in stops:
            point = jobs[p.job_id].point
            assert p.travel == problem.travel[prev, point]
            assert p.start >= prev_end + p.travel  # no one arrives before leaving
            prev, prev_end = point, p.end
        back += int(problem.travel[prev, 0])
        assert plan.shift_travel[i] == sum(p.travel for p in stops) + problem.travel[prev, 0]
    assert plan.travel_min == sum(p.travel for p in plan.placed) + back
    assert plan.travel_min == sum(plan.shift_travel.values())
    assert plan.service_min == sum(jobs[p.job_id].duration for p in plan.placed)


def test_same_seed_and_iteration_budget_give_the_same_plan():
    problem = week(seed=11, n_jobs=30)
    a = solver.solve(problem, seconds=30, seed=4, iterations=300)
    b = solver.solve(problem, seconds=30, seed=4, iterations=300)
    assert a.placed == b.placed and a.unplanned == b.unplanned


def test_many_priority_levels_still_put_must_visits_first():
    # Ten priority levels of many jobs each would overflow a naive prize ladder.
    rng = random.Random(2)
    n = 150
    points = [(0, 0)] + [(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(n)]
    jobs = [job(j, priority=1 + j % 10, must=j % 15 == 0, days=(0, 1, 2)) for j in range(1, n + 1)]
    shifts = [
        shift(team=(p,), day=d, half=h, max_visits=3)
        for d in range(3)
        for h in (AM, PM)
        for p in (1, 2)
    ]
    plan = solver.solve(Problem(travel_from(points), shifts, jobs), seconds=1)
    placed = placed_by_job(plan)
    assert all(j.id in placed for j in jobs if j.must)
    assert len(placed) == sum(s.max_visits for s in shifts)

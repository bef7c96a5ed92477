"""The Solomon VRPTW benchmark: BigCare's routing core against OR-Tools and a greedy baseline,
in the same run, as gaps to the best-known distances (`bigcare bench plan --solomon DIR`)."""

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bigcare.outreach import solver

METHODS = ("pyvrp", "ortools", "greedy")
METHOD_LABELS = {
    "pyvrp": "BigCare (PyVRP 0.14, iterated local search)",
    "ortools": "OR-Tools routing (parallel cheapest insertion + guided local search)",
    "greedy": "Greedy nearest neighbour",
}


@dataclass
class InstanceResult:
    """One method on one instance: distance found, gap to best known (%), time, validity."""

    instance: str
    method: str
    distance: float | None
    gap: float | None
    vehicles: int
    seconds: float
    feasible: bool


@dataclass
class MethodSummary:
    """One method over the run: instances solved, mean and median gap (%), total seconds."""

    method: str
    solved: int
    total: int
    mean_gap: float | None
    median_gap: float | None
    seconds: float


@dataclass
class SolomonReport:
    """The whole run: settings, summaries per method and the per-instance rows."""

    folder: str
    seconds: float
    ortools_seconds: float
    instances: list[str]
    summaries: list[MethodSummary] = field(default_factory=list)
    results: list[InstanceResult] = field(default_factory=list)
    command: str = ""


def read_solomon(path: Path) -> solver.VrptwInstance:
    """Parse a Solomon text file: fleet size and capacity, then one row per node (0 = depot)."""
    lines = [ln.split() for ln in path.read_text().splitlines()]
    fleet = next(i for i, ln in enumerate(lines) if ln and ln[0].upper() == "VEHICLE")
    vehicles, capacity = (
        int(v) for v in next(ln for ln in lines[fleet + 1 :] if ln and ln[0].isdigit())
    )
    cust = next(i for i, ln in enumerate(lines) if ln and ln[0].upper() == "CUSTOMER")
    rows = [[float(v) for v in ln] for ln in lines[cust + 1 :] if ln and ln[0].isdigit()]
    cols = list(zip(*rows, strict=True))
    if [int(v) for v in cols[0]] != list(range(len(rows))):
        raise ValueError(f"{path.name}: customers are not numbered 0..{len(rows) - 1}")
    return solver.VrptwInstance(
        name=path.stem,
        vehicles=vehicles,
        capacity=capacity,
        x=cols[1],
        y=cols[2],
        demand=tuple(int(v) for v in cols[3]),
        ready=cols[4],
        due=cols[5],
        service=cols[6],
    )


def solve_ortools(
    instance: solver.VrptwInstance, *, seconds: float
) -> tuple[float, list[list[int]], bool]:
    """OR-Tools routing with the fleet, windows and service times, integers scaled alike."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    scale = solver.VRPTW_SCALE
    dist = np.round(instance.distances() * scale).astype(np.int64)
    service = [round(v * scale) for v in instance.service]
    n = len(instance.x)
    manager = pywrapcp.RoutingIndexManager(n, instance.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    arc = routing.RegisterTransitMatrix(dist.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    # Travel plus the service at the node left, as the time dimension's transit.
    timed = routing.RegisterTransitMatrix((dist + np.array(service)[:, None]).tolist())
    horizon = round(instance.due[0] * scale)
    routing.AddDimension(timed, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        index = manager.NodeToIndex(node)
        time_dim.CumulVar(index).SetRange(
            round(instance.ready[node] * scale), round(instance.due[node] * scale)
        )
    for v in range(instance.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(round(instance.ready[0] * scale), horizon)
        time_dim.CumulVar(routing.End(v)).SetRange(round(instance.ready[0] * scale), horizon)
    demand = routing.RegisterUnaryTransitVector(list(instance.demand))
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [instance.capacity] * instance.vehicles, True, "load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(round(seconds * 1000))
    found = routing.SolveWithParameters(params)
    if found is None:
        return float("nan"), [], False
    routes = []
    for v in range(instance.vehicles):
        index, route = found.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = found.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return (
        solver.route_distance(instance, routes),
        routes,
        solver.check_vrptw(instance, routes),
    )


def solve_greedy(instance: solver.VrptwInstance) -> tuple[float, list[list[int]], bool]:
    """Nearest feasible unvisited customer next; none left feasible: back, open a new route."""
    dist = instance.distances()
    left = set(range(1, len(instance.x)))
    routes: list[list[int]] = []
    while left:
        route, t, load, at = [], instance.ready[0], 0, 0
        while True:
            best, best_d = None, float("inf")
            for c in sorted(left):
                arrive = max(t + dist[at, c], instance.ready[c])
                back = arrive + instance.service[c] + dist[c, 0]
                if (
                    dist[at, c] < best_d
                    and load + instance.demand[c] <= instance.capacity
                    and arrive <= instance.due[c]
                    and back <= instance.due[0]
                ):
                    best, best_d = c, dist[at, c]
            if best is None:
                break
            t = max(t + dist[at, best], instance.ready[best]) + instance.service[best]
            load, at = load + instance.demand[best], best
            route.append(best)
            left.remove(best)
        if not route:  # a customer no route can reach at all
            break
        routes.append(route)
    return solver.route_distance(instance, routes), routes, solver.check_vrptw(instance, routes)


def run_solomon(
    folder: Path,
    *,
    seconds: float,
    ortools_seconds: float | None = None,
    instances: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SolomonReport:
    """Solve every instance in the folder with each method in turn and compare to the BKS."""
    folder = Path(folder)
    bks = json.loads((folder / "BKS_distance.json").read_text())
    names = instances or sorted(p.stem for p in folder.glob("*.txt"))
    ortools_seconds = seconds if ortools_seconds is None else ortools_seconds
    report = SolomonReport(str(folder), seconds, ortools_seconds, names)
    for name in names:
        instance = read_solomon(folder / f"{name}.txt")
        best_known = float(bks[name]["best_known_cost"])
        for method in METHODS:
            began = time.perf_counter()
            if method == "pyvrp":
                distance, routes, ok = solver.solve_vrptw(instance, seconds=seconds)
            elif method == "ortools":
                distance, routes, ok = solve_ortools(instance, seconds=ortools_seconds)
            else:
                distance, routes, ok = solve_greedy(instance)
            took = time.perf_counter() - began
            gap = 100.0 * (distance - best_known) / best_known if ok else None
            report.results.append(
                InstanceResult(name, method, distance if ok else None, gap, len(routes), took, ok)
            )
            if progress:
                shown = f"{gap:+.2f}%" if gap is not None else "풀지 못함"
                progress(f"{name} {method}: {shown} ({took:.1f}초)")
    for method in METHODS:
        rows = [r for r in report.results if r.method == method]
        gaps = [r.gap for r in rows if r.gap is not None]
        report.summaries.append(
            MethodSummary(
                method=method,
                solved=len(gaps),
                total=len(rows),
                mean_gap=statistics.fmean(gaps) if gaps else None,
                median_gap=statistics.median(gaps) if gaps else None,
                seconds=sum(r.seconds for r in rows),
            )
        )
    return report


def format_report(report: SolomonReport) -> str:
    """The report as plain text: command, data, machine, per-method figures, per instance."""

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}%"

    lines = [
        f"명령: {report.command or 'bigcare bench plan --solomon ' + report.folder}",
        f"데이터: Solomon VRPTW {len(report.instances)}개 인스턴스 ({report.folder}), "
        f"최적 알려진 값 BKS_distance.json",
        f"시간 제한: 인스턴스당 PyVRP {report.seconds:g}초, OR-Tools {report.ortools_seconds:g}초,"
        " 1코어",
        f"기계: {platform.platform()}, CPU {os.cpu_count()}개, Python {sys.version.split()[0]}",
        "",
        f"{'방법':<72} {'해결':>7} {'평균 격차':>9} {'중앙 격차':>9} {'총 시간(초)':>11}",
    ]
    for s in report.summaries:
        lines.append(
            f"{METHOD_LABELS[s.method]:<72} {s.solved:>3}/{s.total:<3} {pct(s.mean_gap):>9} "
            f"{pct(s.median_gap):>9} {s.seconds:>11.1f}"
        )
    lines += ["", f"{'인스턴스':<8} " + " ".join(f"{m:>16}" for m in METHODS)]
    for name in report.instances:
        cells = []
        for m in METHODS:
            r = next((r for r in report.results if r.instance == name and r.method == m), None)
            cells.append(
                f"{'-':>16}"
                if r is None or r.distance is None
                else f"{r.distance:>8.2f} {pct(r.gap):>7}"
            )
        lines.append(f"{name:<8} " + " ".join(cells))
    return "\n".join(lines)

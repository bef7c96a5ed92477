"""`bigcare bench plan --city` on a tiny city: data built, staff and targets made, a few
centers planned, then coverage, travel share, the assign-then-route baseline and the
re-plan latency printed and written to JSON; and the baseline's assignment rules."""

import json
import re
import secrets
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bigcare import cli_web
from bigcare.cases import bench_data
from bigcare.cli import app
from bigcare.districts.models import Dong
from bigcare.outreach import bench_city, service, solver
from bigcare.outreach.models import VisitTarget
from tests.conftest import POSTGRES_ADMIN_URL

runner = CliRunner()


@pytest.fixture
def bench_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A bench database name on the test server (the bench refuses other names), dropped
    after the test; its data key lives in the test's folder."""
    monkeypatch.setattr(cli_web, "KEY_DIR", tmp_path)
    name = f"bigcare_bench_plan_test_{secrets.token_hex(4)}"
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_bench_plan_city_small_run_prints_every_figure(bench_url: str, tmp_path: Path) -> None:
    centers = bench_data.bench_dong_codes(3)
    out_json = tmp_path / "city.json"
    args = [
        "bench", "plan", "--city", "--persons", "8000", "--database-url", bench_url,
        "--centers", ",".join(centers), "--sample", "2", "--plan-seconds", "0.5",
        "--json", str(out_json),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"CPU \d+개", out) and "PostgreSQL" in out
    assert re.search(r"자료: 대상자 8,000명, 가구 [\d,]+, 방문 대상\(열림·계획\) [\d,]+건", out)
    assert "센터 3/3곳 (오류 0)" in out
    for line in ("결과 필수 방문:", "결과 이동 시간:", "결과 비교: 표본 2곳", "결과 재계획:"):
        assert line in out, out

    figures = json.loads(out_json.read_text("utf-8"))["city"]
    assert figures["planned"] == 3 and figures["visits"] > 0
    assert figures["must_planned"] <= figures["must_total"]
    assert 0 < figures["derived"]["travel_share_of_out"] < 1
    # The baseline ran on the two sample centers and planned visits of its own.
    assert len(figures["comparisons"]) == 2
    assert sum(c["baseline"]["visits"] for c in figures["comparisons"]) > 0
    assert {c["dong_code"] for c in figures["comparisons"]} <= set(centers)
    # One re-plan per sample center, each after a recorded 부재.
    assert len(figures["replans"]) == 2
    assert all(r["seconds"] > 0 and r["moved"] <= r["others"] for r in figures["replans"])
    assert figures["derived"]["replan_p95"] >= figures["derived"]["replan_p50"]

    # A second run reuses the data and starts again from the same clean outreach tables.
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "재사용 (대상자 8,000명)" in again.output
    second = json.loads(out_json.read_text("utf-8"))["city"]
    assert second["targets"] == figures["targets"]
    assert second["staff"] == figures["staff"]


def test_bench_plan_refuses_a_database_it_would_clear() -> None:
    url = make_url(POSTGRES_ADMIN_URL).set(database="bigcare").render_as_string(False)
    result = runner.invoke(app, ["bench", "plan", "--city", "--database-url", url])
    assert result.exit_code == 2
    assert "bigcare_bench" in result.output


TINY_SOLOMON = """TINY

VEHICLE
NUMBER     CAPACITY
  2         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0           0          0        1000          0
    1      0         10          10          0        1000         10
    2     10         10          10          0        1000         10
    3     10          0          10          0        1000         10
    4      0         -5          10          0        1000         10
"""


def test_bench_plan_solomon_prints_the_routing_report(tmp_path: Path) -> None:
    (tmp_path / "TINY.txt").write_text(TINY_SOLOMON)
    # One tour round the square: 10 + 10 + 10 + sqrt(10² + 5²) + 5.
    best = 30 + (10**2 + 5**2) ** 0.5 + 5
    (tmp_path / "BKS_distance.json").write_text(json.dumps({"TINY": {"best_known_cost": best}}))
    out_json = tmp_path / "solomon.json"
    args = [
        "bench",
        "plan",
        "--solomon",
        str(tmp_path),
        "--seconds",
        "0.2",
        "--json",
        str(out_json),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "명령: bigcare bench plan --solomon" in result.output
    assert "BigCare (PyVRP" in result.output and "TINY" in result.output
    rows = json.loads(out_json.read_text("utf-8"))["solomon"]["results"]
    ours = next(r for r in rows if r["method"] == "pyvrp")
    assert ours["feasible"] and abs(ours["gap"]) < 0.01


def test_bench_plan_needs_solomon_or_city() -> None:
    result = runner.invoke(app, ["bench", "plan"])
    assert result.exit_code == 2
    assert "--city" in result.output


def _week(jobs: list[solver.Job], shifts: list[solver.Shift], size: int) -> service.WeekProblem:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 10, size=(size, 2))
    travel = np.ceil(np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)).astype(np.int64)
    dong = Dong(code="1100000", gu_code="11000", name="시험동", lat=37.5, lon=127.0)
    w = service.WeekProblem(dong=dong, days=service.workdays("2026-W50"), shifts=shifts, jobs=jobs)
    w.travel = travel
    w.targets = {
        j.id: VisitTarget(
            id=j.id,
            rule_code="r",
            person_id=j.id,
            dong_code=dong.code,
            cycle="c",
            priority=j.priority,
            due_on=date(2026, 12, 11),
            earliest_on=date(2026, 12, 7),
        )
        for j in jobs
    }
    return w


def _job(i: int, *, kind: str = "planner", priority: int = 3, **kw: object) -> solver.Job:
    return solver.Job(
        id=i, point=i, duration=40, kind=kind, priority=priority, must=False, days=(0, 1), **kw
    )  # type: ignore[arg-type]


def test_assign_then_route_gives_known_staff_then_earliest_day_and_keeps_limits() -> None:
    halves = ((540, 720), (780, 1080))
    shifts = [
        solver.Shift(team=(1,), kind="planner", day=d, start=a, end=b, max_visits=2)
        for d in (0, 1)
        for a, b in halves
    ]
    shifts.append(solver.Shift(team=(2,), kind="planner", day=0, start=540, end=720, max_visits=2))
    # The most urgent visit goes first, to staff member 2 who knows the household, although
    # staff member 1's shifts are as empty; a nurse's visit finds no planner shift.
    jobs = [
        _job(7, priority=1, known_team=(2,)),
        *(_job(i) for i in range(1, 7)),
        _job(8, kind="nurse", priority=1),
    ]
    w = _week(jobs, shifts, size=9)

    plan = bench_city.assign_then_route(w, seconds=0.5)

    by_job = {p.job_id: p for p in plan.placed}
    assert by_job[7].shift == 4
    assert plan.unplanned == [8]
    # Monday is filled first: its five other places, then one visit on Tuesday.
    assert sorted(shifts[p.shift].day for p in plan.placed) == [0] * 6 + [1]
    counts: dict[int, int] = {}
    for p in plan.placed:
        counts[p.shift] = counts.get(p.shift, 0) + 1
        assert shifts[p.shift].start <= p.start and p.end <= shifts[p.shift].end
    assert all(n <= shifts[i].max_visits for i, n in counts.items())
    assert plan.travel_min == sum(plan.shift_travel.values()) > 0

"""`bigcare bench web`: a small end-to-end run on PostgreSQL (data built with COPY, the app
under uvicorn, Locust at a constant rate) and reuse of a kept bench database."""

import random
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from bigcare import cli_web
from bigcare.cases import bench_data
from bigcare.cli import app
from bigcare.linkage.models import Person
from tests.conftest import POSTGRES_ADMIN_URL, ScratchDatabases

runner = CliRunner()
RESULT_RE = re.compile(
    r"결과: 요청 ([\d,]+)건, p50 (\d+) ms, p95 (\d+) ms, p99 (\d+) ms, 오류 (\d+)건, "
    r"초당 ([\d.]+)건"
)


def _bench_databases() -> set[str]:
    engine = create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'bigcare_bench_web_%'")
            )
            return {row[0] for row in names}
    finally:
        engine.dispose()


def test_bench_web_small_run_prints_figures_and_no_errors() -> None:
    before = _bench_databases()
    result = runner.invoke(
        app,
        [
            "bench", "web", "--persons", "2000", "--minutes", "0.17", "--rate", "20",
            "--users", "10", "--dongs", "4", "--pg-url", POSTGRES_ADMIN_URL,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "CPU" in out and "PostgreSQL" in out
    assert re.search(r"person\s+│\s+2,000", out)
    assert re.search(r"record_link\s+│\s+[\d,]+", out)
    for page in ("GET /persons/{id}", "GET /persons?q=", "GET /"):
        assert page in out
    found = RESULT_RE.search(out)
    assert found, out
    requests, p50, p95, p99, errors, rate = found.groups()
    assert int(requests.replace(",", "")) >= 100  # about 20/s for 10 s
    assert int(p50) <= int(p95) <= int(p99)
    assert float(rate) > 5
    assert errors == "0"
    # The scratch database is dropped after the run.
    assert _bench_databases() == before


def test_bench_web_refuses_a_full_database_without_reuse(
    scratch_databases: ScratchDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_web, "KEY_DIR", tmp_path)
    url = scratch_databases.new("postgresql")
    build = ["bench", "web", "--persons", "300", "--dongs", "1", "--build-only"]
    assert runner.invoke(app, [*build, "--database-url", url]).exit_code == 0

    again = runner.invoke(app, [*build, "--database-url", url])
    assert again.exit_code == 1
    assert "--reuse" in again.output

    reused = runner.invoke(app, [*build, "--database-url", url, "--reuse"])
    assert reused.exit_code == 0, reused.output
    assert "재사용 (대상자 300명)" in reused.output
    assert len(list(tmp_path.glob("bench-web-*.key"))) == 1


def test_search_terms_are_what_people_type() -> None:
    people = [
        Person(
            id=1,
            name="김영희",
            dong_code="1123068",
            name_chosung="ㄱㅇㅎ",
            phone_last4="5678",
            birth_date=None,
        )
    ]
    terms = bench_data.search_terms(people, count=200, rng=random.Random(1))
    assert {"김영희", "ㄱㅇㅎ", "5678"} <= set(terms)
    typos = [t for t in terms if len(t) == 3 and t not in ("김영희", "ㄱㅇㅎ")]
    assert typos and all(sum(a != b for a, b in zip(t, "김영희", strict=True)) == 1 for t in typos)

"""`bigcare bench web`: the web load benchmark. Builds (or reuses) a PostgreSQL database of
generated persons, starts the app with uvicorn, drives it with Locust at a constant rate and
prints p50/p95/p99 and errors per page."""

import csv
import json
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from alembic import command as alembic_command
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bigcare.auth import deps as auth_deps
from bigcare.auth import service as auth_service
from bigcare.auth import sessions as auth_sessions
from bigcare.cases import bench_data
from bigcare.config import SEED_DIR
from bigcare.db import alembic_config, make_engine
from bigcare.districts import service as districts_service
from bigcare.facilities import service as facilities_service
from bigcare.privacy.crypto import Keyring, load_or_create_key_file

console = Console()
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KEY_DIR = Path.home() / ".cache" / "bigcare"
PERSON_SAMPLE = 500  # person ids per simulated caseworker
TERMS = 200  # search terms per simulated caseworker
ENDPOINTS = ("GET /persons/{id}", "GET /persons?q=", "GET /")


def _ensure_database(url: str) -> None:
    """Create the named PostgreSQL database if it does not exist yet."""
    name = make_url(url).database
    admin = create_engine(
        make_url(url).set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if found.first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@contextmanager
def _database(url: str | None, pg_url: str, keep: bool) -> Iterator[str]:
    """The given database (created if missing), or a scratch one dropped afterwards unless
    `keep`. Either way migrated to head and seeded with districts and facility types."""
    scratch = None
    if url is None:
        scratch = f"bigcare_bench_web_{secrets.token_hex(4)}"
        url = make_url(pg_url).set(database=scratch).render_as_string(False)
    _ensure_database(url)
    try:
        alembic_command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with Session(engine) as session:
            districts_service.seed_districts(
                session, csv_path=SEED_DIR / districts_service.DONGS_CSV
            )
            facilities_service.seed_types(session, csv_path=SEED_DIR / facilities_service.TYPES_CSV)
            session.commit()
        engine.dispose()
        yield url
    finally:
        if scratch and not keep:
            admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}명"),
        TimeElapsedColumn(),
        console=console,
    )


def _build(url: str, *, persons: int, keyring: Keyring, dongs: list[str]) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session, _progress() as progress:
            task = progress.add_task("대상자 만드는 중", total=persons)
            report = bench_data.build(
                session,
                persons=persons,
                keyring=keyring,
                caseworker_dongs=dongs,
                progress=lambda done: progress.update(task, completed=done),
            )
            t = time.perf_counter()
            session.commit()
            commit_seconds = time.perf_counter() - t
        bench_data.analyze(engine, report)
    finally:
        engine.dispose()
    table = Table(title=f"자료 만들기: 대상자 {persons:,}명")
    for heading in ("표", "행", "COPY(초)", "색인(초)"):
        table.add_column(heading, justify="left" if heading == "표" else "right")
    for name, stat in report.tables.items():
        table.add_row(
            name, f"{stat.rows:,}", f"{stat.copy_seconds:.1f}", f"{stat.index_seconds:.1f}"
        )
    console.print(table)
    console.print(
        f"생성(파이썬) {report.generate_seconds:.1f}초, 봉인(AES-GCM·블라인드 색인) "
        f"{report.seal_seconds:.1f}초, 사례관리자 계정 {len(report.caseworkers)}개 "
        f"{report.users_seconds:.1f}초, 커밋 {commit_seconds:.1f}초, VACUUM ANALYZE "
        f"{report.analyze_seconds:.1f}초 · 합계 "
        f"{report.seconds + commit_seconds + report.analyze_seconds:.1f}초"
        + ("" if report.fk_checks else " (외래 키 검사는 적재 중 생략: 만든 자료가 일관됨)"),
        highlight=False,
    )


def _plan(url: str, *, users: int, dongs: list[str], rate: float, folder: Path) -> Path:
    """Sign one caseworker per simulated user in (a real server-side session with the second
    factor done, as after a login) and write what Locust needs to a plan file."""
    engine = make_engine(url)
    rng = random.Random(20261125)  # noqa: S311 (which persons to ask for, not security)
    accounts = []
    try:
        with Session(engine) as session:
            ids = bench_data.create_caseworkers(session, dong_codes=dongs)
            for i in range(users):
                dong = dongs[i % len(dongs)]
                user = auth_service.get_user(session, ids[dong])
                token, login_session = auth_sessions.start_session(
                    session, user=user, ip="127.0.0.1", user_agent="bigcare bench web"
                )
                people = bench_data.sample_persons(session, dong_code=dong, limit=PERSON_SAMPLE)
                accounts.append(
                    {
                        "dong": dong,
                        "token": token,
                        "csrf": login_session.csrf_secret,
                        "person_ids": [p.id for p in people],
                        "terms": bench_data.search_terms(people, count=TERMS, rng=rng),
                    }
                )
            session.commit()
    finally:
        engine.dispose()
    if any(not a["person_ids"] for a in accounts):
        console.print("[red]오류:[/red] 부하 대상 행정동에 대상자가 없습니다 (--persons 확인)")
        raise typer.Exit(code=1)
    path = folder / "plan.json"
    path.write_text(
        json.dumps(
            {
                "cookie": auth_deps.SESSION_COOKIE,
                "rate_per_user": rate / users,
                "accounts": accounts,
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    return path


def _keyring(database: str, *, kept: bool) -> Keyring:
    """The bench's data key: a kept database's lives in a file beside the user's cache (a
    re-run with --reuse must open what this run seals); a scratch one's dies with it."""
    if not kept:
        return Keyring.generate("bench")
    KEY_DIR.mkdir(parents=True, exist_ok=True)
    return load_or_create_key_file(KEY_DIR / f"bench-web-{database}.key")[0]


def _sign_out(url: str, *, dongs: list[str]) -> None:
    """End the bench caseworkers' sessions once the load is over."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for user_id in bench_data.create_caseworkers(session, dong_codes=dongs).values():
                auth_service.end_sessions(session, user_id=user_id, reason="bench_done")
            session.commit()
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(url: str, keyring: Keyring, workers: int) -> Iterator[str]:
    """The app under uvicorn in a child process (no reload, no access log), until healthy."""
    port = _free_port()
    env = {
        **os.environ,
        "BIGCARE_DATABASE_URL": url,
        "BIGCARE_DATA_KEY": keyring.serialize(),
        "BIGCARE_LOG_LEVEL": "WARNING",
        "BIGCARE_DEMO": "false",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bigcare.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    child = subprocess.Popen(command, env=env)  # noqa: S603 (our interpreter and module)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                console.print("[red]오류:[/red] 웹 서버가 시작하지 못했습니다")
                raise typer.Exit(code=1)
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _warm_up(base: str, plan: Path, workers: int) -> None:
    """A few requests of each kind before measuring: every worker loads its templates."""
    account = json.loads(plan.read_text("utf-8"))["accounts"][0]
    headers = {"Cookie": f"{auth_deps.SESSION_COOKIE}={account['token']}"}
    paths = ["/", f"/persons/{account['person_ids'][0]}", "/persons?q=%EA%B9%80"]
    for _ in range(3 * workers):
        for path in paths:
            request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                answer.read()


def _run_locust(base: str, plan: Path, *, users: int, seconds: int, folder: Path) -> Path:
    """Locust headless in a child process; returns the folder's file prefix of its results."""
    prefix = folder / "locust"
    locustfile = Path(bench_data.__file__).with_name("locustfile.py")
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", base,
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
        "--stop-timeout", "10", "--csv", str(prefix), "--json-file", str(prefix),
        "--loglevel", "WARNING",
    ]  # fmt: skip
    # Locust exits 1 when any request failed: the figures below say so, the run still counts.
    child = subprocess.run(  # noqa: S603 (our interpreter and module)
        command,
        env={**os.environ, "BIGCARE_BENCH_PLAN": str(plan)},
        check=False,
        capture_output=True,
        text=True,
    )
    if not Path(f"{prefix}.json").exists():
        console.print(f"[red]Locust 실패[/red]\n{child.stderr[-3000:]}")
        raise typer.Exit(code=1)
    return prefix


def _percentile(times: dict[int, int], count: int, share: float) -> int:
    """The response time `share` of the requests finished within (Locust's own rule)."""
    done = 0
    for ms in sorted(times, reverse=True):
        done += times[ms]
        if count - done <= int(count * share):
            return ms
    return 0


def _figures(prefix: Path) -> None:
    """Per page and overall: requests, p50/p95/p99/max, errors and the rate achieved, from
    Locust's final statistics (its stats CSV is rewritten once a second and can miss the
    last second of a run, so the JSON it writes at exit is read instead)."""
    entries = json.loads(Path(f"{prefix}.json").read_text("utf-8"))
    rows = []
    for name in ENDPOINTS:
        found = [e for e in entries if e["name"] == name]
        if found:
            rows.append((name, found[0]))
    times: dict[int, int] = {}
    for _, e in rows:
        for ms, n in e["response_times"].items():
            times[int(float(ms))] = times.get(int(float(ms)), 0) + n
    total = {
        "num_requests": sum(e["num_requests"] for _, e in rows),
        "num_failures": sum(e["num_failures"] for _, e in rows),
        "max_response_time": max((e["max_response_time"] for _, e in rows), default=0),
        "start_time": min((e["start_time"] for _, e in rows), default=0),
        "last_request_timestamp": max(
            (e["last_request_timestamp"] or 0 for _, e in rows), default=0
        ),
        "response_times": times,
    }
    table = Table(title="웹 부하 측정 (응답 시간 ms)")
    for heading in ("요청", "건수", "p50", "p95", "p99", "최대", "오류", "초당"):
        table.add_column(heading, justify="left" if heading == "요청" else "right")
    lines = {}
    for name, e in (*rows, ("합계", total)):
        count = int(e["num_requests"])
        histogram = {int(float(k)): v for k, v in e["response_times"].items()}
        span = max(1e-9, float(e["last_request_timestamp"] or 0) - float(e["start_time"]))
        p50, p95, p99 = (_percentile(histogram, count, q) for q in (0.50, 0.95, 0.99))
        lines[name] = (count, p50, p95, p99, int(e["num_failures"]), count / span)
        table.add_row(
            name,
            f"{count:,}",
            str(p50),
            str(p95),
            str(p99),
            f"{float(e['max_response_time']):.0f}",
            str(e["num_failures"]),
            f"{count / span:.1f}",
        )
    console.print(table)
    count, p50, p95, p99, errors, rate = lines["합계"]
    # One plain line a script (and the test) can read.
    console.print(
        f"결과: 요청 {count:,}건, p50 {p50} ms, p95 {p95} ms, p99 {p99} ms, 오류 {errors}건, "
        f"초당 {rate:.1f}건",
        highlight=False,
        soft_wrap=True,
    )
    failures = Path(f"{prefix}_failures.csv")
    if errors and failures.exists():
        for row in csv.DictReader(failures.open(encoding="utf-8")):
            console.print(
                f"  오류 예: {row['Name']} {row['Error']} × {row['Occurrences']}", highlight=False
            )


def _machine(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"기계: {platform.machine()}, CPU {os.cpu_count()}개, 메모리 {memory:.0f} GB, "
        f"Python {platform.python_version()}, PostgreSQL {version}"
    )


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def bench_web(
    persons: Annotated[int, typer.Option(help="만들 대상자 수")] = 1_000_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="쓸 PostgreSQL 데이터베이스 (없으면 만듦; 기본: 임시 DB를 만들고 지움)"),
    ] = None,
    reuse: Annotated[
        bool, typer.Option("--reuse", help="--database-url에 자료가 있으면 다시 만들지 않음")
    ] = False,
    keep: Annotated[bool, typer.Option("--keep", help="임시 DB를 지우지 않고 남김")] = False,
    pg_url: Annotated[str, typer.Option(help="임시 DB를 만들 PostgreSQL 관리 연결")] = DEFAULT_PG,
    rate: Annotated[float, typer.Option(help="초당 전체 요청 수 (일정하게 유지)")] = 20.0,
    minutes: Annotated[float, typer.Option(help="측정 시간 (분)")] = 2.0,
    users: Annotated[int, typer.Option(help="동시 사용자(사례관리자 세션) 수")] = 20,
    dongs: Annotated[int, typer.Option(help="사례관리자 계정을 둘 행정동 수")] = 20,
    workers: Annotated[
        int,
        typer.Option(
            help="uvicorn 작업 프로세스 수 (한 프로세스가 DB를 기다릴 때 다른 프로세스가 CPU를 씀)"
        ),
    ] = 3,
    build_only: Annotated[
        bool, typer.Option("--build-only", help="자료만 만들고 부하는 걸지 않음")
    ] = False,
) -> None:
    """대상자 자료로 웹 서버에 일정한 부하를 걸어 화면별 p50/p95/p99와 오류를 잽니다."""
    seconds = max(1, round(minutes * 60))
    console.print(
        f"명령: bigcare bench web --persons {persons}"
        + (f" --database-url {_shown(database_url)}" if database_url else "")
        + (" --reuse" if reuse else "")
        + f" --rate {rate:g} --minutes {minutes:g} --users {users} --dongs {dongs} "
        f"--workers {workers}",
        highlight=False,
        soft_wrap=True,
    )
    chosen = bench_data.bench_dong_codes(dongs)
    with _database(database_url, pg_url, keep) as url, tempfile.TemporaryDirectory() as tmp:
        console.print(_machine(url), highlight=False)
        name = make_url(url).database
        keyring = _keyring(name, kept=keep or database_url is not None)
        engine = make_engine(url)
        with Session(engine) as session:
            existing = bench_data.count_persons(session)
        engine.dispose()
        if existing and not reuse:
            console.print(
                f"[red]오류:[/red] 데이터베이스에 이미 대상자 {existing:,}명이 있습니다. "
                "그대로 쓰려면 --reuse를 붙이세요."
            )
            raise typer.Exit(code=1)
        if existing:
            console.print(f"자료: 기존 데이터베이스 재사용 (대상자 {existing:,}명)")
        else:
            _build(url, persons=persons, keyring=keyring, dongs=chosen)
        console.print(
            f"데이터베이스: {_shown(url)}"
            + (" (남겨 둠)" if keep or database_url else " (끝나면 지움)"),
            highlight=False,
            soft_wrap=True,
        )
        if build_only:
            return
        folder = Path(tmp)
        plan = _plan(url, users=users, dongs=chosen, rate=rate, folder=folder)
        console.print(
            f"부하: 사례관리자 {users}명({len(chosen)}개 동), 초당 {rate:g}건 {seconds}초, "
            f"대상자 화면 50% · 검색 30% · 홈 20%, uvicorn 작업 프로세스 {workers}개",
            highlight=False,
        )
        load_before = os.getloadavg()[0]
        try:
            with _server(url, keyring, workers) as base:
                _warm_up(base, plan, workers)
                prefix = _run_locust(base, plan, users=users, seconds=seconds, folder=folder)
        finally:
            _sign_out(url, dongs=chosen)
        _figures(prefix)
        # Other programs on the machine share its cores: say how busy it was.
        console.print(
            f"부하 평균(load average, 1분): 측정 전 {load_before:.1f}, "
            f"측정 후 {os.getloadavg()[0]:.1f} (CPU {os.cpu_count()}개)",
            highlight=False,
        )

"""`bigcare plan` (the week's visit plan of one center or all 424, a job per center) and
`bigcare bench plan` (the routing core on Solomon's instances and the whole city's week)."""

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session, select

from bigcare import cli_admin
from bigcare.config import get_settings
from bigcare.db import make_engine, seoul_today
from bigcare.districts.models import Dong
from bigcare.errors import BigCareError
from bigcare.outreach import calendar, jobs, outcomes, service
from bigcare.outreach import demo as outreach_demo
from bigcare.privacy.crypto import DataKeyError, Keyring
from bigcare.privacy.keys import load_keyring

console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("센터"),
        TimeElapsedColumn(),
        console=console,
    )


def plan_command(
    week: Annotated[
        str | None, typer.Option(help="계획할 주 (예: 2026-W49). 없으면 다음 주")
    ] = None,
    center: Annotated[str | None, typer.Option(help="주민센터의 행정동 코드 (예: 1123068)")] = None,
    all_centers: Annotated[bool, typer.Option("--all", help="서울의 모든 주민센터")] = False,
    seconds: Annotated[float, typer.Option(help="센터마다 최적화에 쓸 시간(초)")] = 3.0,
    workers: Annotated[int, typer.Option(help="동시에 계획할 센터 수 (기본: CPU 코어 수)")] = 0,
) -> None:
    """방문 대상을 규칙으로 다시 고르고, 주민센터의 한 주 방문 일정을 세웁니다."""
    if bool(center) == all_centers:
        console.print("--center 코드 또는 --all 중 하나를 주세요.")
        raise typer.Exit(2)
    settings = get_settings()
    cli_admin.require_current_schema(settings.database_url)
    today = seoul_today()
    week = week or service.week_of(date.fromordinal(today.toordinal() + 7))
    engine = make_engine(settings.database_url)
    try:
        service.parse_week(week)
        keyring, _ = load_keyring(settings)
        with Session(engine) as session:
            if all_centers:
                codes = list(session.exec(select(Dong.code).order_by(Dong.code)).all())
            else:
                if session.get(Dong, center) is None:
                    console.print(f"행정동 코드 {center}을(를) 찾을 수 없습니다.")
                    raise typer.Exit(2)
                codes = [center or ""]
            with console.status("방문 대상을 규칙으로 고르는 중"):
                prepared = jobs.prepare(session, keyring=keyring, today=today, dong_codes=codes)
            session.commit()
    except (BigCareError, DataKeyError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    console.print(
        f"방문 대상: 새로 {prepared.added:,}건, 종료 {prepared.closed:,}건, "
        f"위기 신호 {prepared.signals:,}건 반영"
    )
    with _progress() as progress:
        task = progress.add_task(f"{week} 계획", total=len(codes))
        results = jobs.plan_centers(
            settings.database_url,
            dong_codes=codes,
            week=week,
            today=today,
            seconds=seconds,
            workers=workers or None,
            progress=lambda r: progress.advance(task),
        )
    _print_results(results, week)
    if any(r.error for r in results):
        raise typer.Exit(1)


def _print_results(results: list[jobs.CenterResult], week: str) -> None:
    ok = [r for r in results if not r.error]
    visits = sum(r.visits for r in ok)
    must = sum(r.must_total for r in ok)
    must_planned = sum(r.must_planned for r in ok)
    travel = sum(r.travel_min for r in ok)
    work = sum(r.work_min for r in ok)
    console.print(
        f"{week}: 센터 {len(ok)}곳, 방문 {visits:,}건 계획 "
        f"(필수 {must_planned:,}/{must:,}), 계획하지 못한 대상 {sum(r.unplanned for r in ok):,}건, "
        f"이동 {travel:,}분 / 근무 {work:,}분" + (f" ({travel / work:.1%})" if work else ""),
        highlight=False,
    )
    for r in results:
        if r.error:
            console.print(f"[red]{r.dong_code}: {r.error}[/red]", highlight=False)


def demo_week(today: date) -> str:
    """This week while working days remain in it, else next week."""
    week = service.week_of(today)
    if any(d >= today and calendar.is_working_day(d) for d in service.workdays(week)):
        return week
    return service.week_of(date.fromordinal(today.toordinal() + 7))


def demo_outreach(url: str, *, keyring: Keyring, today: date) -> outreach_demo.DemoOutreach:
    """The demo's outreach: staff, targets, the demo gu's week planned, today's first visits
    recorded and the week re-planned from them."""
    result = outreach_demo.DemoOutreach(week=demo_week(today))
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            result.staff = outreach_demo.seed_staff(session)
            jobs.prepare(session, keyring=keyring, today=today, dong_codes=None)
            gu_dongs = list(
                session.exec(select(Dong.code).where(Dong.gu_code == outreach_demo.DEMO_GU)).all()
            )
            outreach_demo.seed_preferences(session, dong_codes=gu_dongs)
            outreach_demo.leave_on_friday(session, week=result.week)
            session.commit()
        with console.status(f"{result.week} 방문 일정: 강남구 주민센터 {len(gu_dongs)}곳"):
            planned = jobs.plan_centers(
                url, dong_codes=gu_dongs, week=result.week, today=today, seconds=0.5
            )
        result.centers = sum(1 for r in planned if not r.error)
        for r in planned:
            if r.error:
                console.print(f"[red]{r.dong_code} 계획 실패: {r.error}[/red]", highlight=False)
        result.visits = sum(r.visits for r in planned)
        result.must_total = sum(r.must_total for r in planned)
        result.must_planned = sum(r.must_planned for r in planned)
        with Session(engine) as session:
            plan = service.find_plan(session, dong_code=outreach_demo.DEMO_DONG, week=result.week)
            if plan is not None and plan.id is not None:
                result.outcomes = outreach_demo.record_today(session, plan_id=plan.id, today=today)
                if result.outcomes:
                    service.replan_week(session, plan_id=plan.id, actor=None, today=today)
                    result.moved = plan.moved_last
            session.commit()
    finally:
        engine.dispose()
    return result


def print_demo(result: outreach_demo.DemoOutreach, port: int) -> None:
    """The demo's outreach lines in the terminal."""
    console.print(
        f"찾아가는 동주민센터: 방문 직원 {result.staff:,}명, {result.week} 강남구 "
        f"{result.centers}곳 계획 — 방문 {result.visits:,}건 (필수 {result.must_planned}/"
        f"{result.must_total}). 개포1동 일정: "
        f"http://127.0.0.1:{port}/outreach/centers/{outreach_demo.DEMO_DONG}/weeks/{result.week}",
        highlight=False,
        soft_wrap=True,
    )
    if result.outcomes:
        recorded = ", ".join(
            f"{outcomes.OUTCOME_LABELS[k]} {n}건" for k, n in result.outcomes.items()
        )
        console.print(
            f"  오늘 방문 결과({recorded})를 넣고 다시 계획했습니다: 옮겨진 방문 "
            f"{result.moved or 0}건. planner.gaepo1 · nurse.gaepo1 · head.gaepo1 로 로그인해 "
            "보세요.",
            highlight=False,
        )


# --- bigcare bench plan -------------------------------------------------------------------


def _bench_database(database_url: str | None, persons: int, rebuild: bool) -> str:
    """The bench database's URL (default: one per population size on the local server),
    dropped first on --rebuild. Only bench databases: the run clears the outreach tables."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bigcare import cli_web

    url = database_url or make_url(cli_web.DEFAULT_PG).set(
        database=f"bigcare_bench_plan_{persons}"
    ).render_as_string(False)
    name = make_url(url).database or ""
    if not name.startswith("bigcare_bench"):
        console.print(
            "[red]오류:[/red] 벤치마크는 방문 계획 표를 비우고 시작하므로 이름이 bigcare_bench로 "
            "시작하는 데이터베이스에서만 돌립니다."
        )
        raise typer.Exit(2)
    if rebuild:
        admin = create_engine(
            make_url(url).set(database="postgres").render_as_string(False),
            isolation_level="AUTOCOMMIT",
        )
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
    return url


def bench_plan(
    solomon: Annotated[
        str | None,
        typer.Option(help="Solomon VRPTW 인스턴스 폴더 (*.txt와 BKS_distance.json)"),
    ] = None,
    seconds: Annotated[float, typer.Option(help="Solomon 인스턴스마다 쓸 시간(초)")] = 5.0,
    city: Annotated[bool, typer.Option("--city", help="서울 전체의 한 주를 계획해 잽니다")] = False,
    persons: Annotated[int, typer.Option(help="도시의 대상자 수")] = 1_000_000,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="벤치 PostgreSQL 데이터베이스 (기본: 로컬 bigcare_bench_plan_<대상자 수>)"
        ),
    ] = None,
    week: Annotated[
        str | None, typer.Option(help="계획할 주 (예: 2026-W49). 없으면 다음 주")
    ] = None,
    plan_seconds: Annotated[float, typer.Option(help="센터마다 최적화에 쓸 시간(초)")] = 2.0,
    workers: Annotated[int, typer.Option(help="동시에 계획할 센터 수 (CPU 코어)")] = 2,
    sample: Annotated[int, typer.Option(help="기준 비교와 재계획을 잴 센터 수")] = 24,
    centers: Annotated[
        str | None, typer.Option(help="이 행정동 코드만 (쉼표로 구분; 기본: 424곳 모두)")
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="자료를 지우고 다시 만듦")] = False,
    json_path: Annotated[str | None, typer.Option("--json", help="수치를 JSON으로 저장")] = None,
) -> None:
    """방문 계획 벤치마크: Solomon 인스턴스(--solomon) 또는 서울 전체의 한 주(--city)."""
    import dataclasses
    import json
    import platform
    import time
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from bigcare import cli_web
    from bigcare.cases import bench_data
    from bigcare.outreach import bench_city, bench_solomon

    if not solomon and not city:
        console.print("--solomon 폴더 또는 --city 중 하나 이상을 주세요.")
        raise typer.Exit(2)
    figures: dict = {}
    if solomon:
        command = f"bigcare bench plan --solomon {solomon} --seconds {seconds:g}"
        console.print(f"명령: {command}", highlight=False, soft_wrap=True)
        solomon_report = bench_solomon.run_solomon(
            Path(solomon), seconds=seconds, progress=lambda line: console.print(line)
        )
        solomon_report.command = command
        console.print(bench_solomon.format_report(solomon_report), highlight=False, soft_wrap=True)
        figures["solomon"] = dataclasses.asdict(solomon_report)
    if city:
        today = seoul_today()
        week = week or service.week_of(date.fromordinal(today.toordinal() + 7))
        codes = [c.strip() for c in centers.split(",") if c.strip()] if centers else None
        try:
            service.parse_week(week)
        except BigCareError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        url = _bench_database(database_url, persons, rebuild)
        command = (
            f"bigcare bench plan --city --persons {persons} --week {week} "
            f"--plan-seconds {plan_seconds:g} --workers {workers} --sample {sample}"
            + (f" --database-url {cli_web._shown(url)}" if database_url else "")
            + (f" --centers {','.join(codes)}" if codes else "")
            + (" --rebuild" if rebuild else "")
        )
        console.print(f"명령: {command}", highlight=False, soft_wrap=True)
        began = time.perf_counter()
        with cli_web._database(url, cli_web.DEFAULT_PG, keep=True) as url:
            machine = f"{cli_web._machine(url)}, {platform.platform()}"
            console.print(machine, highlight=False, soft_wrap=True)
            keyring = cli_web._keyring(make_url(url).database or "", kept=True)
            engine = make_engine(url)
            with Session(engine) as session:
                existing = bench_data.count_persons(session)
            engine.dispose()
            if existing and existing != persons:
                console.print(
                    f"[red]오류:[/red] 데이터베이스에 대상자 {existing:,}명이 있습니다 "
                    f"({persons:,}명이 아님). --rebuild 로 다시 만드세요."
                )
                raise typer.Exit(1)
            if existing:
                console.print(f"자료: 기존 데이터베이스 재사용 (대상자 {existing:,}명)")
            else:
                cli_web._build(url, persons=persons, keyring=keyring, dongs=[])
            built = time.perf_counter() - began
            with _progress() as progress:
                task = progress.add_task(bench_city.STAGE_LABELS["reset"], total=None)

                def show(stage: str, done: int, total: int) -> None:
                    progress.update(
                        task,
                        description=bench_city.STAGE_LABELS[stage],
                        completed=done,
                        total=total or None,
                    )

                report = bench_city.run_city(
                    url,
                    keyring=keyring,
                    week=week,
                    today=today,
                    plan_seconds=plan_seconds,
                    workers=workers,
                    sample=sample,
                    centers=codes,
                    progress=show,
                )
        report.stages = {"build": built, **report.stages}
        report.command, report.machine = command, machine
        console.print(bench_city.format_report(report), highlight=False, soft_wrap=True)
        figures["city"] = report.figures()
    if json_path:
        Path(json_path).write_text(
            json.dumps(figures, ensure_ascii=False, indent=2, default=str), "utf-8"
        )
        console.print(f"수치를 저장했습니다: {json_path}", highlight=False)

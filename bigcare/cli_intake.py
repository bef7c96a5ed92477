"""`bigcare import`, `bigcare generate` and `bigcare bench import`: facility files from the
command line, the synthetic Seoul, and the intake benchmark."""

import json
import logging
import os
import platform
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from alembic import command as alembic_command
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bigcare import cli_admin
from bigcare.auth.service import operator_actor
from bigcare.cases import demo as cases_demo
from bigcare.config import SEED_DIR, get_settings
from bigcare.db import alembic_config, make_engine
from bigcare.districts import service as districts_service
from bigcare.errors import BigCareError
from bigcare.facilities import batches, intake, normalize, readers
from bigcare.facilities import service as facilities_service
from bigcare.privacy.crypto import DataKeyError, Keyring
from bigcare.privacy.keys import load_keyring
from bigcare.synth import exports as synth_exports
from bigcare.synth import world as synth_world

console = Console()
bench_app = typer.Typer(help="성능 측정 (명령, 자료 크기, 수치를 출력)", no_args_is_help=True)
OPERATOR_PERMISSIONS = frozenset({"facility.read", "import.upload", "import.read"})


def _fail(exc: BigCareError | DataKeyError) -> typer.Exit:
    console.print(f"[red]오류:[/red] {exc.message}")
    for error in getattr(exc, "errors", []):
        where = f"{error.row}행 " if error.row else ""
        console.print(f"  - {where}{error.field}: {error.message}")
    return typer.Exit(code=1)


def _progress(unit: str = "행") -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}" + unit),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def run_import(
    url: str,
    *,
    keyring: Keyring,
    path: Path,
    facility: str,
    sheet: str | None = None,
    accept_suggested: bool = False,
    limits: readers.Limits = readers.Limits(),
    show_progress: bool = True,
) -> intake.IntakeResult:
    """Import one file, committing after every chunk so a killed run resumes where it was."""
    engine = make_engine(url)
    actor = operator_actor(cli_admin.cli_label(), permissions=OPERATOR_PERMISSIONS)
    try:
        with Session(engine) as session, _progress() as progress:
            task = progress.add_task(f"{path.name} 받는 중", total=None, visible=show_progress)
            try:
                result = intake.import_file(
                    session,
                    actor=actor,
                    keyring=keyring,
                    facility_code=facility,
                    path=path,
                    door=intake.Door(source="cli", filename=path.name),
                    sheet=sheet,
                    limits=limits,
                    accept_suggested=accept_suggested,
                    checkpoint=session.commit,
                    progress=lambda n: progress.advance(task, n),
                )
                session.commit()
            except BaseException:
                session.rollback()
                raise
            session.refresh(result.batch)
            session.expunge(result.batch)
    finally:
        engine.dispose()
    return result


def import_command(
    file: Annotated[Path, typer.Argument(help="시설이 보낸 CSV 또는 엑셀 파일", exists=True)],
    facility: Annotated[str, typer.Option("--facility", help="보낸 시설의 코드")],
    sheet: Annotated[str | None, typer.Option(help="엑셀 시트 이름 (기본: 첫 시트)")] = None,
    accept_suggested: Annotated[
        bool,
        typer.Option(
            "--accept-suggested",
            help="확정된 열 매핑이 없으면 열 이름으로 짐작한 매핑을 확정해 바로 처리",
        ),
    ] = False,
) -> None:
    """시설 파일 하나를 받습니다. 같은 파일은 다시 받지 않고, 중단된 파일은 이어 받습니다."""
    settings = get_settings()
    cli_admin.require_current_schema(settings.database_url)
    try:
        keyring, _ = load_keyring(settings)
        result = run_import(
            settings.database_url,
            keyring=keyring,
            path=file,
            facility=facility,
            sheet=sheet,
            accept_suggested=accept_suggested,
            limits=readers.Limits(
                max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows
            ),
        )
    except (BigCareError, DataKeyError) as exc:
        raise _fail(exc) from exc
    _print_result(result)
    if result.batch.status == batches.REFUSED:
        raise typer.Exit(code=1)


def _print_result(result: intake.IntakeResult) -> None:
    b = result.batch
    if result.mapped:
        console.print(f"이미 받은 묶음 #{b.id}를 짐작한 열 매핑으로 확정해 처리했습니다.")
    elif result.duplicate:
        console.print(f"이미 받은 파일입니다 (묶음 #{b.id}). 새로 받지 않았습니다.")
    elif result.resumed:
        console.print(f"중단되었던 묶음 #{b.id}를 이어 받았습니다.")
    if b.status == batches.REFUSED:
        console.print(f"[red]파일을 받지 않았습니다:[/red] {b.error}")
        return
    console.print(
        f"묶음 #{b.id} ({batches.BATCH_STATUS_LABELS[b.status]}): 읽은 행 {b.rows_read:,} = "
        f"정상 {b.rows_accepted:,} + 경고 {b.rows_warned:,} + 오류 {b.rows_quarantined:,}"
        + (f" + 매핑 대기 {b.rows_pending:,}" if b.rows_pending else "")
        + (f" (빈 행 {b.rows_blank:,}개 제외)" if b.rows_blank else "")
        + f" · {b.encoding_label or b.file_format}"
    )
    if b.status == batches.MAPPING:
        console.print("열 매핑을 확정해야 처리합니다. 짐작한 매핑:")
        for header, target in (result.suggested or {}).items():
            label = normalize.TARGET_FIELDS.get(target or "", "원본만 보관")
            console.print(f"  {header} → {label}", highlight=False)
        console.print(
            f"웹의 /imports/{b.id}/mapping 에서 확정하거나, 같은 명령에 --accept-suggested 를 "
            "붙여 다시 실행하세요."
        )


def generate_command(
    out_dir: Annotated[Path, typer.Argument(help="만들 폴더")] = Path("world"),
    persons: Annotated[int, typer.Option(help="사람 수")] = 20_000,
    facilities: Annotated[int, typer.Option(help="시설 수")] = 300,
    seed: Annotated[int, typer.Option(help="난수 씨앗 (같으면 같은 도시)")] = 20261125,
) -> None:
    """가상의 서울(사람·가구·시설 명단·위기정보)을 만듭니다. 모든 이름과 번호는 만든 값입니다."""
    with _progress("단계") as progress:
        task = progress.add_task("가상 서울 만드는 중", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = synth_world.generate_world(
            out_dir, persons=persons, facilities=facilities, seed=seed, progress=advance
        )
    console.print(
        f"{summary.out_dir}: 사람 {summary.persons:,}명, 가구 {summary.households:,}, 시설 "
        f"{summary.facilities}곳, 시설 파일 {summary.export_files}개 ({summary.export_rows:,}행), "
        f"쌍둥이 {summary.twins}쌍, 최근 출생 {summary.births_recent}, 65세 도래 "
        f"{summary.turning_65}, 70세 도래 {summary.turning_70}, 위기정보 {summary.crisis_rows}행"
    )
    console.print("정답(같은 사람 번호)은 truth/ 폴더에만 있고 시설 파일에는 없습니다.")


def demo_world(
    url: str, *, keyring: Keyring, folder: Path, own_facility: str, persons: int
) -> cases_demo.WorldImport:
    """Generate the demo's city and receive every facility file through the intake."""
    shutil.rmtree(folder, ignore_errors=True)
    with _progress("단계") as progress:
        task = progress.add_task("가상 서울 만드는 중", total=None)
        synth_world.generate_world(
            folder,
            persons=persons,
            facilities=300,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            # The demo accounts work in 개포1동: give it a caseload (about 8% of the city).
            focus={cases_demo.DEMO_DONG: 40.0},
        )
    engine = make_engine(url)
    try:
        # One summary line per batch would bury the demo's own summary.
        logging.getLogger("bigcare.facilities.intake").setLevel(logging.WARNING)
        with Session(engine) as session, _progress("개 파일") as progress:
            task = progress.add_task("시설 파일 받는 중", total=None)
            summary = cases_demo.import_world(
                session,
                keyring=keyring,
                world_dir=folder,
                own_facility=own_facility,
                checkpoint=session.commit,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
            session.commit()
    finally:
        engine.dispose()
    return summary


# --- benchmark -------------------------------------------------------------------------------


@contextmanager
def _bench_database(kind: str, pg_url: str, folder: Path) -> Iterator[str]:
    """A fresh, migrated, seeded database of the kind, dropped afterwards."""
    name = f"bigcare_bench_{secrets.token_hex(4)}"
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'{name}.db'}"
    else:
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(pg_url).set(database=name).render_as_string(False)
    try:
        alembic_command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with Session(engine) as session:
            districts_service.seed_districts(
                session, csv_path=SEED_DIR / districts_service.DONGS_CSV
            )
            facilities_service.seed_types(session, csv_path=SEED_DIR / facilities_service.TYPES_CSV)
            facilities_service.create_facility(
                session,
                code="BENCH01",
                name="벤치마크 노인종합복지관",
                type_code="SENIOR_WELFARE",
                dong_code="1123068",
            )
            session.commit()
        engine.dispose()
        yield url
    finally:
        if kind != "sqlite":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@bench_app.command("import-one", hidden=True)
def bench_import_one(url: str, file: Path) -> None:
    """(내부용) 한 데이터베이스에 한 파일을 받고 결과를 JSON으로 출력합니다."""
    keyring = Keyring.generate()
    started = time.perf_counter()
    result = run_import(
        url,
        keyring=keyring,
        path=file,
        facility="BENCH01",
        accept_suggested=True,
        limits=readers.Limits(max_bytes=200 * 1024 * 1024, max_rows=2_000_000),
        show_progress=False,
    )
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    b = result.batch
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": b.rows_read,
                "accepted": b.rows_accepted,
                "warned": b.rows_warned,
                "quarantined": b.rows_quarantined,
                "peak_rss_mb": peak_kib / 1024,
            }
        )
    )


@bench_app.command("import")
def bench_import(
    rows: Annotated[int, typer.Option(help="만들 행 수")] = 100_000,
    database: Annotated[str, typer.Option(help="sqlite, postgresql 또는 both")] = "both",
    pg_url: Annotated[
        str, typer.Option(help="PostgreSQL 관리 연결 (벤치마크용 DB를 만들고 지웁니다)")
    ] = "postgresql+psycopg://127.0.0.1:5432/test",
) -> None:
    """CP949 CSV 하나를 만들어 빈 데이터베이스에 받기까지의 속도와 최대 메모리를 잽니다."""
    kinds = ["sqlite", "postgresql"] if database == "both" else [database]
    console.print(f"명령: bigcare bench import --rows {rows} --database {database}")
    console.print(
        f"기계: {platform.machine()}, CPU {os.cpu_count()}개, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="bigcare-bench-") as folder:
        path = Path(folder) / "bench.csv"
        started = time.perf_counter()
        synth_exports.write_bench_csv(path, rows=rows)
        size_mb = path.stat().st_size / 1024 / 1024
        console.print(
            f"자료: CP949 CSV {rows:,}행, {size_mb:.1f} MB "
            f"(만드는 데 {time.perf_counter() - started:.1f}초)"
        )
        for kind in kinds:
            figures = _bench_one(kind, pg_url, Path(folder), path)
            rate = figures["rows"] / figures["seconds"]
            console.print(
                f"{kind:<10} {figures['rows']:,}행 {figures['seconds']:.1f}초 = {rate:,.0f}행/초, "
                f"최대 메모리(RSS) {figures['peak_rss_mb']:.0f} MB · 정상 {figures['accepted']:,} "
                f"경고 {figures['warned']:,} 오류 {figures['quarantined']:,}",
                highlight=False,
            )


def _bench_one(kind: str, pg_url: str, folder: Path, path: Path) -> dict:
    """One import into a fresh database, in a child process, so its peak memory
    (ru_maxrss) is the import's alone, not this process's that made the file."""
    with _bench_database(kind, pg_url, folder) as url:
        return run_bench_child(kind, "import-one", url, str(path))


def run_bench_child(label: str, *args: str) -> dict:
    """`bigcare bench ARGS` in a child process (its time and peak memory are its own); the
    JSON object its last line prints. A failure prints the child's error and exits."""
    child = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "bigcare.cli", "bench", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BIGCARE_LOG_LEVEL": "WARNING"},
    )
    if child.returncode != 0:
        console.print(f"[red]{label} 실패[/red]\n{child.stderr[-3000:]}")
        raise typer.Exit(code=1)
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))

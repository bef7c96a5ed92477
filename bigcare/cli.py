"""The `bigcare` command: demo, serve, db, seed."""

import logging
import socket
import time
from pathlib import Path
from typing import Annotated

import typer
from alembic import command as alembic_command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bigcare.config import SEED_DIR, Settings, get_settings
from bigcare.db import alembic_config, make_engine
from bigcare.districts import service as districts_service
from bigcare.errors import BigCareError

app = typer.Typer(
    help="BigCare 서울 통합사례관리 — 명령줄 도구",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks with local variables could print personal data: keep them plain.
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="데이터베이스 스키마 (Alembic)", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
log = logging.getLogger("bigcare")


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _fail(exc: BigCareError) -> typer.Exit:
    console.print(f"[red]오류:[/red] {exc.message}")
    for error in getattr(exc, "errors", []):
        where = f"{error.row}행 " if error.row else ""
        console.print(f"  - {where}{error.field}: {error.message}")
    return typer.Exit(code=1)


def _seed(url: str) -> districts_service.SeedResult:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            result = districts_service.seed_districts(
                session, csv_path=SEED_DIR / districts_service.DONGS_CSV
            )
            session.commit()
            counts = districts_service.count_districts(session)
    finally:
        engine.dispose()
    console.print(
        f"행정구역: 구 {counts['gu']}개, 행정동 {counts['dong']}개, 주민센터 {counts['center']}개 "
        f"(새로 추가 {sum(result.created.values())}건, 갱신 {sum(result.updated.values())}건)"
    )
    return result


class QuerylessAccessLog(logging.Filter):
    """Drop query strings from uvicorn's access log: a search box puts names in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _serve(settings: Settings) -> None:
    import uvicorn

    from bigcare.app import create_app

    if not _port_is_free(settings.host, settings.port):
        console.print(
            f"[red]오류:[/red] {settings.host}:{settings.port} 포트를 이미 다른 프로그램이 쓰고 "
            "있습니다. --port 로 다른 포트를 지정하세요."
        )
        raise typer.Exit(code=1)
    logging.getLogger("uvicorn.access").addFilter(QuerylessAccessLog())
    console.print(f"BigCare가 실행 중입니다: [bold]http://{settings.host}:{settings.port}/[/bold]")
    console.print("끝내려면 Ctrl+C를 누르세요.")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="만든 뒤 웹 서버 실행")] = True,
    db_file: Annotated[Path, typer.Option(help="데모 데이터베이스 파일")] = Path("bigcare.db"),
    port: Annotated[int, typer.Option(help="웹 서버 포트")] = 8000,
) -> None:
    """이 폴더에 새 데모 데이터베이스를 만들고(스키마, 기준 데이터) 웹 서버를 실행합니다."""
    started = time.perf_counter()
    db_file = db_file.resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    settings = get_settings().model_copy(
        update={"database_url": f"sqlite:///{db_file}", "demo": True, "port": port}
    )
    _setup_logging(settings)
    console.print(f"데모 데이터베이스를 만듭니다: {db_file}")
    alembic_command.upgrade(alembic_config(settings.database_url), "head")
    try:
        _seed(settings.database_url)
    except BigCareError as exc:
        raise _fail(exc) from exc
    console.print(f"준비 완료 ({time.perf_counter() - started:.1f}초).")
    if serve:
        _serve(settings)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="수신 주소")] = None,
    port: Annotated[int | None, typer.Option(help="포트")] = None,
) -> None:
    """설정된 데이터베이스(BIGCARE_DATABASE_URL)로 웹 서버를 실행합니다."""
    settings = get_settings()
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    _setup_logging(settings)
    _require_current_schema(settings.database_url)
    _serve(settings)


@app.command()
def seed() -> None:
    """seed_data/의 서울 구·행정동·주민센터를 불러옵니다 (다시 실행해도 안전)."""
    settings = get_settings()
    _setup_logging(settings)
    _require_current_schema(settings.database_url)
    try:
        _seed(settings.database_url)
    except BigCareError as exc:
        raise _fail(exc) from exc


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="목표 리비전")] = "head") -> None:
    """REVISION까지 마이그레이션을 적용합니다 (기본: 최신)."""
    alembic_command.upgrade(alembic_config(get_settings().database_url), revision)
    console.print(f"스키마를 {revision}까지 올렸습니다.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="목표 리비전 (예: -1, base)")],
) -> None:
    """REVISION까지 마이그레이션을 되돌립니다 (-1: 한 단계, base: 전부)."""
    alembic_command.downgrade(alembic_config(get_settings().database_url), revision)
    console.print(f"스키마를 {revision}(으)로 내렸습니다.")


def _revisions(url: str) -> tuple[str | None, str | None]:
    """(the database's revision, the newest revision)."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current, head


def _require_current_schema(url: str) -> None:
    current, head = _revisions(url)
    if current != head:
        console.print(
            "[red]오류:[/red] 데이터베이스 스키마가 최신이 아닙니다 "
            f"(현재 {current or '없음'}, 최신 {head}). 먼저 `bigcare db upgrade`를 실행하세요."
        )
        raise typer.Exit(code=1)


@db_app.command("current")
def db_current() -> None:
    """데이터베이스의 현재 리비전과 최신 여부를 보여 줍니다."""
    url = get_settings().database_url
    current, head = _revisions(url)
    table = Table(show_header=False)
    table.add_row("데이터베이스", make_url(url).render_as_string(hide_password=True))
    table.add_row("현재 리비전", current or "(없음)")
    table.add_row("최신 리비전", head or "(없음)")
    table.add_row("상태", "최신" if current == head else "업그레이드 필요")
    console.print(table)

"""The `bigcare` command: demo, serve, db, seed."""

import logging
import socket
import time
from pathlib import Path
from typing import Annotated

import typer
from alembic import command as alembic_command
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bigcare import cli_admin, cli_intake, cli_link, cli_plan, cli_web
from bigcare.cases import demo as cases_demo
from bigcare.config import SEED_DIR, Settings, get_settings
from bigcare.db import alembic_config, make_engine, seoul_today
from bigcare.districts import service as districts_service
from bigcare.errors import BigCareError
from bigcare.facilities import service as facilities_service
from bigcare.outreach import rules as outreach_rules
from bigcare.privacy.crypto import DataKeyError, Keyring
from bigcare.privacy.keys import load_keyring
from bigcare.privacy.logs import configure_logging

app = typer.Typer(
    help="BigCare 서울 통합사례관리 — 명령줄 도구",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks with local variables could print personal data: keep them plain.
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="데이터베이스 스키마 (Alembic)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cli_admin.users_app, name="users")
app.add_typer(cli_admin.keys_app, name="keys")
app.add_typer(cli_admin.audit_app, name="audit")
app.command("otp")(cli_admin.otp)
app.command("import")(cli_link.import_command)
app.command("generate")(cli_intake.generate_command)
app.command("link")(cli_link.link_command)
app.command("plan")(cli_plan.plan_command)
app.add_typer(cli_intake.bench_app, name="bench")
cli_intake.bench_app.command("web")(cli_web.bench_web)
cli_intake.bench_app.command("plan")(cli_plan.bench_plan)
console = Console()
log = logging.getLogger("bigcare")


def _setup_logging(settings: Settings) -> None:
    # Every line goes through the redacting filter: no RRN or phone number reaches a log.
    configure_logging(settings.log_level)


def _fail(exc: BigCareError | DataKeyError) -> typer.Exit:
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
            facilities_service.seed_types(session, csv_path=SEED_DIR / facilities_service.TYPES_CSV)
            rules = outreach_rules.seed_rules(session)
            session.commit()
            counts = districts_service.count_districts(session)
    finally:
        engine.dispose()
    console.print(
        f"행정구역: 구 {counts['gu']}개, 행정동 {counts['dong']}개, 주민센터 {counts['center']}개 "
        f"(새로 추가 {sum(result.created.values())}건, 갱신 {sum(result.updated.values())}건), "
        f"새 방문 규칙 {rules}개"
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
        # As uvicorn binds: a port whose old connections linger in TIME_WAIT after a restart
        # is free; one another program listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _serve(settings: Settings, keyring: Keyring | None = None) -> None:
    import uvicorn

    from bigcare.app import create_app

    try:
        keyring = keyring or load_keyring(settings)[0]
    except DataKeyError as exc:
        raise _fail(exc) from exc

    if not _port_is_free(settings.host, settings.port):
        console.print(
            f"[red]오류:[/red] {settings.host}:{settings.port} 포트를 이미 다른 프로그램이 쓰고 "
            "있습니다. --port 로 다른 포트를 지정하세요."
        )
        raise typer.Exit(code=1)
    logging.getLogger("uvicorn.access").addFilter(QuerylessAccessLog())
    console.print(f"BigCare가 실행 중입니다: [bold]http://{settings.host}:{settings.port}/[/bold]")
    console.print("끝내려면 Ctrl+C를 누르세요.")
    # log_config=None: uvicorn's loggers reach our redacting root handler instead of its own.
    uvicorn.run(
        create_app(settings, keyring=keyring),
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=None,
    )


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="만든 뒤 웹 서버 실행")] = True,
    db_file: Annotated[Path, typer.Option(help="데모 데이터베이스 파일")] = Path("bigcare.db"),
    port: Annotated[int, typer.Option(help="웹 서버 포트")] = 8000,
    world_persons: Annotated[
        int, typer.Option("--persons", help="만들 가상 서울의 사람 수")
    ] = 8_000,
) -> None:
    """이 폴더에 새 데모 데이터베이스를 만들고(스키마, 기준 데이터) 웹 서버를 실행합니다."""
    started = time.perf_counter()
    db_file = db_file.resolve()
    key_file = db_file.with_suffix(".key")
    # A fresh demo database gets a fresh key: the old key only sealed the data deleted here.
    for path in (*(Path(f"{db_file}{s}") for s in ("", "-wal", "-shm", "-journal")), key_file):
        path.unlink(missing_ok=True)
    settings = get_settings().model_copy(
        update={
            "database_url": f"sqlite:///{db_file}",
            "demo": True,
            "port": port,
            "data_key_file": key_file,
        }
    )
    _setup_logging(settings)
    console.print(f"데모 데이터베이스를 만듭니다: {db_file}")
    alembic_command.upgrade(alembic_config(settings.database_url), "head")
    try:
        keyring, created = load_keyring(settings)
        _seed(settings.database_url)
        result = _seed_demo(settings.database_url, keyring)
        result.world = cli_intake.demo_world(
            settings.database_url,
            keyring=keyring,
            folder=db_file.parent / "bigcare-demo-world",
            own_facility=result.api_facility or "",
            persons=world_persons,
        )
        linked = cli_link.run_link(settings.database_url)
        doubtful = _send_doubtful(settings.database_url, keyring, result.api_facility or "")
        later = cli_link.run_link(settings.database_url)
        cases = _seed_cases(settings.database_url)
        outreach = cli_plan.demo_outreach(
            settings.database_url, keyring=keyring, today=seoul_today()
        )
    except (BigCareError, DataKeyError) as exc:
        raise _fail(exc) from exc
    if created:
        console.print(
            f"데이터 암호키를 만들었습니다: {key_file} (데모 전용, 이 폴더 밖에 두지 마세요)"
        )
    _print_demo(result, port)
    _print_linkage(linked, later, doubtful, port)
    console.print(
        f"사례관리: 개포1동 사례관리자(cw.gaepo1)의 사례 {cases}건을 단계별로 만들었습니다 "
        f"(기한이 지난 사례와 오늘 점검할 사례 포함): http://127.0.0.1:{port}/cases",
        highlight=False,
    )
    cli_plan.print_demo(outreach, port)
    console.print(f"준비 완료 ({time.perf_counter() - started:.1f}초).")
    if serve:
        _serve(settings, keyring)


def _seed_demo(url: str, keyring: Keyring) -> cases_demo.DemoResult:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            result = cases_demo.seed_demo(session, keyring=keyring)
            session.commit()
    finally:
        engine.dispose()
    return result


def _print_demo(result: cases_demo.DemoResult, port: int) -> None:
    console.print(
        f"데모 자료: 데모 시설 {result.facilities}곳 "
        "(이름·주민등록번호·전화번호는 모두 만든 값입니다)"
    )
    if result.world:
        w = result.world
        console.print(
            f"가상 서울의 시설 {w.facilities}곳이 보낸 파일 {w.batches}개, "
            f"{w.rows:,}행을 받았습니다: "
            f"정상 {w.accepted:,} · 경고 {w.warned:,} · 오류(격리) {w.quarantined:,} · "
            f"행정동 지정 대기 {w.unassigned:,}"
        )
        if w.waiting_batch:
            console.print(
                "  facility.uploader 로 로그인하면 열 매핑 확인을 기다리는 파일"
                f"(#{w.waiting_batch})이 있습니다: http://127.0.0.1:{port}/imports/{w.waiting_batch}/mapping",
                soft_wrap=True,
            )
    # Plain lines, not a table: a terminal narrower than a secret would fold or cut it.
    console.print(f"[bold]데모 계정[/bold] (비밀번호는 모두 {cases_demo.DEMO_PASSWORD})")
    for account in result.accounts:
        line = f"  {account.username:<18} {account.role.label} · {account.scope}"
        if account.totp_secret:
            line += f"  2단계 인증 비밀키 {account.totp_secret}  복구 코드 {account.recovery_code}"
        console.print(line, soft_wrap=True, highlight=False)
    console.print(
        "2단계 인증 번호: 인증 앱에 비밀키를 등록하거나 `bigcare otp 비밀키`로 지금의 "
        "6자리 번호를 확인하세요."
    )
    if result.api_token:
        console.print(f"시설 API 토큰 ({result.api_facility}):")
        console.print(f"  {result.api_token}", soft_wrap=True)
        console.print(
            f"  curl -H 'Authorization: Bearer {result.api_token}' "
            f"http://127.0.0.1:{port}/api/v1/facilities/{result.api_facility}",
            soft_wrap=True,
        )


def _seed_cases(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            opened = cases_demo.seed_demo_cases(session, today=seoul_today())
            session.commit()
    finally:
        engine.dispose()
    return opened


def _send_doubtful(url: str, keyring: Keyring, facility: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            sent = cases_demo.send_doubtful_records(
                session, keyring=keyring, facility_code=facility
            )
            session.commit()
    finally:
        engine.dispose()
    return sent


def _print_linkage(
    report: cli_link.service.LinkReport, later: cli_link.service.LinkReport, sent: int, port: int
) -> None:
    console.print(
        f"동일인 연계: 받은 기록 {report.records_linked:,}건을 "
        f"대상자 {report.persons_created:,}명으로 묶었습니다 (모형 {report.model_version}, "
        f"사람이 확인할 쌍 {report.review_items:,}건, "
        f"행정동이 정해지면 연계할 기록 {report.waiting:,}건).",
        highlight=False,
    )
    console.print(
        f"  이어서 데모 시설이 애매한 기록 {sent}건(주민번호·전화 없음, 생일의 월·일 "
        f"뒤바뀜, 이름 오타)을 보냈습니다: 연계 {later.records_linked:,}건 "
        f"(새 대상자 {later.persons_created:,}명), 검토할 쌍 {later.review_items:,}건.",
        highlight=False,
    )
    console.print(
        f"  검토: 사례관리자(cw.gaepo1)로 로그인해 http://127.0.0.1:{port}/linkage/reviews",
        soft_wrap=True,
    )


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
    cli_admin.require_current_schema(settings.database_url)
    _serve(settings)


@app.command()
def seed() -> None:
    """seed_data/의 서울 구·행정동·주민센터를 불러옵니다 (다시 실행해도 안전)."""
    settings = get_settings()
    _setup_logging(settings)
    cli_admin.require_current_schema(settings.database_url)
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


@db_app.command("current")
def db_current() -> None:
    """데이터베이스의 현재 리비전과 최신 여부를 보여 줍니다."""
    url = get_settings().database_url
    current, head = cli_admin.revisions(url)
    table = Table(show_header=False)
    table.add_row("데이터베이스", make_url(url).render_as_string(hide_password=True))
    table.add_row("현재 리비전", current or "(없음)")
    table.add_row("최신 리비전", head or "(없음)")
    table.add_row("상태", "최신" if current == head else "업그레이드 필요")
    console.print(table)


if __name__ == "__main__":
    app()

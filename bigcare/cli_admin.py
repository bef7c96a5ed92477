"""`bigcare users|keys|audit|otp`: accounts, the data key, and the access log from the shell."""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import pyotp
import typer
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, SQLModel

from bigcare import models  # noqa: F401  (every sealed column on the metadata)
from bigcare.auth import audit
from bigcare.auth import keys as auth_keys
from bigcare.auth import service as auth_service
from bigcare.auth.permissions import ROLE_LABELS, Role
from bigcare.config import get_settings
from bigcare.db import alembic_config, make_engine
from bigcare.errors import BigCareError, NotFound
from bigcare.privacy.crypto import DataKeyError, Keyring, write_key_file
from bigcare.privacy.keys import key_source, load_keyring

console = Console()
users_app = typer.Typer(
    help="사용자 계정 (만들기, 비활성화, 비밀번호 초기화)", no_args_is_help=True
)
keys_app = typer.Typer(help="데이터 암호키 (새 키, 키 교체)")
audit_app = typer.Typer(help="접속기록 (위·변조 점검, 월간 점검, 파기)")
for _sub in (users_app, keys_app, audit_app):
    _sub.info.no_args_is_help = True


def cli_label() -> str:
    """How the access log names a command-line operator."""
    try:
        return f"cli:{getpass.getuser()}"[:60]
    except OSError:
        return "cli"


def _fail(exc: BigCareError | DataKeyError) -> typer.Exit:
    console.print(f"[red]오류:[/red] {exc.message}")
    for error in getattr(exc, "errors", []):
        console.print(f"  - {error.field}: {error.message}")
    return typer.Exit(code=1)


def _session() -> Session:
    return Session(make_engine(get_settings().database_url))


@contextmanager
def _transaction() -> Iterator[Session]:
    """One command, one transaction: committed when the block ends, and a BigCare error
    printed in Korean with exit code 1 instead of a traceback."""
    with _session() as session:
        try:
            yield session
            session.commit()
        except (BigCareError, DataKeyError) as exc:
            raise _fail(exc) from exc


def _user(session: Session, username: str) -> "auth_service.User":
    user = auth_service.find_user(session, username)
    if user is None:
        raise NotFound(f"아이디 '{username}'을(를) 찾을 수 없습니다")
    return user


# --- users ------------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="아이디 (영문 소문자로 시작)")],
    role: Annotated[Role, typer.Option(help="역할", case_sensitive=False)],
    name: Annotated[str, typer.Option(help="표시 이름")],
    scope: Annotated[
        str | None, typer.Option(help="범위 코드: 행정동 7자리, 구 5자리 또는 시설 코드")
    ] = None,
) -> None:
    """계정을 만들고 임시 비밀번호를 한 번 보여 줍니다 (처음 로그인할 때 바꿔야 합니다)."""
    with _transaction() as session:
        user, password = auth_service.create_user_with_temporary_password(
            session,
            by=cli_label(),
            username=username,
            display_name=name,
            role=role.value,
            scope_code=scope,
        )
        created = user.username  # read before the commit expires the row
    console.print(f"{ROLE_LABELS[role]} 계정 [bold]{created}[/bold]을(를) 만들었습니다.")
    console.print(f"임시 비밀번호: [bold]{password}[/bold]  (본인에게 직접 전달하세요)")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="아이디")]) -> None:
    """계정을 비활성화하고 로그인된 세션을 모두 끝냅니다."""
    with _transaction() as session:
        auth_service.disable_user(session, by=cli_label(), user=_user(session, username))
    console.print(f"{username} 계정을 비활성화했습니다.")


@users_app.command("reset-password")
def users_reset_password(username: Annotated[str, typer.Argument(help="아이디")]) -> None:
    """임시 비밀번호를 발급합니다 (잠금도 풀리고, 다음 로그인 때 바꿔야 합니다)."""
    with _transaction() as session:
        user = _user(session, username)
        _, password = auth_service.reset_to_temporary_password(
            session, by=cli_label(), user_id=user.id or 0
        )
    console.print(f"{username}의 임시 비밀번호: [bold]{password}[/bold]")


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument(help="아이디")]) -> None:
    """비밀번호 오류로 잠긴 계정을 바로 풉니다."""
    with _transaction() as session:
        auth_service.unlock_user(session, by=cli_label(), user=_user(session, username))
    console.print(f"{username} 계정의 잠금을 풀었습니다.")


@users_app.command("list")
def users_list() -> None:
    """계정 목록."""
    table = Table("아이디", "이름", "역할", "범위", "상태")
    with _session() as session:
        for user in auth_service.list_users(session):
            scope = user.dong_code or user.gu_code or user.facility_code or "서울시"
            table.add_row(
                user.username,
                user.display_name,
                ROLE_LABELS[Role(user.role)],
                scope,
                "사용 중" if user.is_active else "비활성",
            )
    console.print(table)


# --- keys -------------------------------------------------------------------------------


@keys_app.command("new")
def keys_new(
    keep: Annotated[bool, typer.Option(help="지금 키링 앞에 새 키를 붙여 출력")] = False,
) -> None:
    """새 데이터 키링을 출력합니다 (BIGCARE_DATA_KEY에 넣을 값)."""
    if keep:
        try:
            keyring = load_keyring(get_settings())[0].with_new_key()
        except DataKeyError as exc:
            raise _fail(exc) from exc
    else:
        keyring = Keyring.generate()
    typer.echo(keyring.serialize())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """새 키를 만들고 암호화된 모든 값(주민등록번호, 2단계 인증 비밀키)을 새 키로 다시
    암호화합니다. 키 파일이면 파일도 바꾸고, BIGCARE_DATA_KEY면 그 키링의 첫 키로 다시
    암호화합니다 (먼저 `bigcare keys new --keep`으로 새 키를 앞에 붙이세요)."""
    settings = get_settings()
    try:
        keyring, _ = load_keyring(settings)
    except DataKeyError as exc:
        raise _fail(exc) from exc
    path = Path(settings.data_key_file)
    from_file = key_source(settings) == "file"
    if from_file:
        keyring = keyring.with_new_key()
        # Old and new key first, so a crash half-way leaves every value readable.
        write_key_file(path, keyring)
    with _session() as session:
        changed = auth_keys.reseal_all(session, metadata=SQLModel.metadata, keyring=keyring)
        audit.record(
            session,
            actor=None,
            actor_label=cli_label(),
            action="keys.rotate",
            target=f"key {keyring.current_id}: {sum(changed.values())} values",
        )
        session.commit()
    for column, count in changed.items():
        console.print(f"{column}: {count:,}개 값을 키 {keyring.current_id}로 다시 암호화했습니다.")
    if from_file:
        write_key_file(path, keyring.without_retired())
        console.print(f"키 파일 {path}에는 이제 새 키 {keyring.current_id}만 있습니다.")
    else:
        console.print(
            f"모든 값이 키 {keyring.current_id}로 암호화되었습니다. BIGCARE_DATA_KEY에서 "
            "예전 키를 빼도 됩니다."
        )


# --- audit ------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """접속기록의 해시 사슬을 처음부터 다시 계산해 고치거나 지운 기록을 찾습니다."""
    with _session() as session:
        result = audit.verify_chain(session)
    if result.ok:
        console.print(f"접속기록 {result.checked:,}건: 이상 없음. 마지막 해시 {result.head_hash}")
        return
    console.print(f"[red]접속기록 {result.checked:,}건 중 문제 {len(result.problems)}건:[/red]")
    for problem in result.problems[:100]:
        console.print(f"  - {problem}")
    raise typer.Exit(code=1)


@audit_app.command("review")
def audit_review(
    month: Annotated[str, typer.Option(help="점검할 달 (YYYY-MM)")],
) -> None:
    """한 달 접속기록에서 살펴볼 유형(주민번호 조회가 많은 계정, 근무시간 밖 조회,
    범위 밖 시도)을 보여 줍니다."""
    with _transaction() as session:
        review = audit.monthly_review(session, month=audit.parse_month(month))
    found = len(review.findings)
    console.print(f"{review.month:%Y-%m}: 기록 {review.total:,}건, 살펴볼 유형 {found}건")
    table = Table("유형", "계정", "건수", "내용")
    for finding in review.findings:
        table.add_row(finding.kind, finding.actor, str(finding.count), finding.detail)
    console.print(table)


@audit_app.command("purge")
def audit_purge(
    before: Annotated[str, typer.Option(help="이 날짜(YYYY-MM-DD) 전 기록을 파기")],
) -> None:
    """보관 기간(2년)이 지난 접속기록을 파기합니다. 2년이 안 된 기록은 지우지 않습니다."""
    try:
        cutoff = date.fromisoformat(before)
    except ValueError:
        console.print("[red]오류:[/red] 날짜는 YYYY-MM-DD 형식으로 입력하세요")
        raise typer.Exit(code=1) from None
    with _transaction() as session:
        deleted = audit.purge_before(session, actor_label=cli_label(), before=cutoff)
    console.print(f"{before} 전 접속기록 {deleted:,}건을 파기했습니다.")


def otp(secret: Annotated[str, typer.Argument(help="인증 앱에 등록한 비밀키 (base32)")]) -> None:
    """비밀키로 지금의 6자리 인증 번호를 계산합니다 (데모 계정을 인증 앱 없이 쓸 때)."""
    try:
        typer.echo(pyotp.TOTP(secret.replace(" ", "").upper()).now())
    except (ValueError, TypeError):
        console.print("[red]오류:[/red] base32 비밀키가 아닙니다")
        raise typer.Exit(code=1) from None


def revisions(url: str) -> tuple[str | None, str | None]:
    """(the database's revision, the newest revision)."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current, head


def require_current_schema(url: str) -> None:
    """Stop with a clear message when the database is not at the newest revision."""
    current, head = revisions(url)
    if current != head:
        console.print(
            "[red]오류:[/red] 데이터베이스 스키마가 최신이 아닙니다 "
            f"(현재 {current or '없음'}, 최신 {head}). 먼저 `bigcare db upgrade`를 실행하세요."
        )
        raise typer.Exit(code=1)

"""Accounts, passwords, the acting user (Actor) and its row scope."""

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, column, false, table, true, update
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from bigcare.auth import audit
from bigcare.auth.models import User, UserSession
from bigcare.auth.permissions import ROLE_PERMISSIONS, Role, ScopeKind
from bigcare.db import utcnow
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound

log = logging.getLogger(__name__)

MIN_PASSWORD, MAX_PASSWORD = 10, 64
# How long a session may go unused (sessions.py imports it; service.py lists live sessions).
IDLE_TIMEOUT = timedelta(minutes=30)
# A session's last_seen_at and a token's last_used_at are written at most this often:
# writing them on every request would turn every page view into a write.
TOUCH_EVERY = timedelta(seconds=60)
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")

hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Verified against unknown usernames so a miss costs as long as a wrong password.
DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))
# The dong table as auth sees it: auth sits below the districts domain and must not import
# it, but a gu scope is "dongs whose gu_code is X".
_DONG = table("dong", column("code"), column("gu_code"), column("name"))
_GU = table("gu", column("code"), column("name"))
_FACILITY = table("facility", column("code"), column("name"))


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user or a facility system's API token."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    scope_kind: ScopeKind
    # The dong code, gu code or facility code of the scope; None for the city.
    scope_code: str | None
    permissions: frozenset[str]
    ip: str | None = None
    session_id: int | None = None
    token_id: int | None = None
    # "개포1동", "강남구", "서울특별시", or the facility's name: what the header shows.
    scope_name: str = ""

    @property
    def label(self) -> str:
        """How the access log names this actor."""
        return self.username

    @property
    def signature(self) -> str:
        """How a record this actor wrote is signed on screen: "김사례 (cw.gaepo1)"."""
        if self.display_name and self.display_name != self.username:
            return f"{self.display_name} ({self.username})"[:60]
        return self.username

    def can(self, permission: str) -> bool:
        """Whether the actor's role (or token) grants the permission."""
        return permission in self.permissions

    def dong_clause(self, dong_column: ColumnElement[str]) -> ColumnElement[bool]:
        """A WHERE clause keeping only rows whose dong is in scope (false for facilities)."""
        match self.scope_kind:
            case ScopeKind.CITY:
                return true()
            case ScopeKind.GU:
                in_gu = select(_DONG.c.code).where(_DONG.c.gu_code == self.scope_code)
                return dong_column.in_(in_gu)
            case ScopeKind.DONG:
                return dong_column == self.scope_code
        return false()


def actor_for(
    user: User, *, ip: str | None = None, session_id: int | None = None, scope_name: str = ""
) -> Actor:
    """The Actor a logged-in user acts as."""
    role = Role(user.role)
    kind = ScopeKind(user.scope_kind)
    # The table's check constraint keeps exactly the scope kind's column set (none: city).
    code = user.dong_code or user.gu_code or user.facility_code
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=role,
        scope_kind=kind,
        scope_code=code,
        permissions=ROLE_PERMISSIONS[role],
        ip=ip,
        session_id=session_id,
        scope_name=scope_name,
    )


def operator_actor(label: str, *, permissions: frozenset[str]) -> Actor:
    """A server operator at the command line (e.g. `bigcare import`): city-wide, holding only
    the permissions the command needs, named in the access log by `label` ("cli:root")."""
    return Actor(
        user_id=None,
        username=label[:60],
        display_name="명령줄 운영자",
        role=Role.ADMIN,
        scope_kind=ScopeKind.CITY,
        scope_code=None,
        permissions=permissions,
        scope_name="서울특별시",
    )


def scope_name(session: Session, user: User) -> str:
    """The user's scope by name: a dong, a gu, the city or a facility."""
    if user.dong_code:
        name = session.execute(select(_DONG.c.name).where(_DONG.c.code == user.dong_code))
    elif user.gu_code:
        name = session.execute(select(_GU.c.name).where(_GU.c.code == user.gu_code))
    elif user.facility_code:
        name = session.execute(
            select(_FACILITY.c.name).where(_FACILITY.c.code == user.facility_code)
        )
    else:
        return "서울특별시"
    return str(name.scalar_one_or_none() or "")


def sha256_hex(value: str) -> str:
    """Hex SHA-256: how session ids, API tokens and recovery codes are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


# --- passwords --------------------------------------------------------------------------


@cache
def _breached_passwords() -> frozenset[str]:
    # zxcvbn's list: the 30,000 most common passwords of a 10-million-password leak corpus.
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, username: str) -> list[str]:
    """Why a new password is refused (empty when it is fine): length, a list of breached
    passwords, and zxcvbn's guessability estimate (keyboard walks, repeats, common words and
    dates). No composition rules (NIST SP 800-63B): they only breed `Passw0rd!`."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다")
    if len(password) > MAX_PASSWORD:
        problems.append(f"비밀번호는 {MAX_PASSWORD}자 이하여야 합니다")
        return problems  # not worth estimating
    if username and username.lower() in password.lower():
        problems.append("비밀번호에 아이디를 넣을 수 없습니다")
    if password.lower() in _breached_passwords():
        problems.append("널리 알려졌거나 유출된 비밀번호입니다. 다른 비밀번호를 쓰세요")
    elif len(password) >= MIN_PASSWORD and zxcvbn(password, user_inputs=[username])["score"] < 3:
        problems.append(
            "추측하기 쉬운 비밀번호입니다 (키보드 배열, 같은 글자 반복, 흔한 단어·날짜 조합). "
            "서로 관계없는 단어 여러 개를 이어 쓰면 길고 기억하기 쉽습니다"
        )
    return problems


def _check_password(password: str, *, username: str, field: str = "password") -> str:
    problems = password_problems(password, username=username)
    if problems:
        raise InvalidInput(problems[0], [FieldError(field=field, message=p) for p in problems])
    return hasher.hash(password)


def generate_password() -> str:
    """A temporary password for a reset: 16 characters nobody has to remember for long."""
    return secrets.token_urlsafe(12)


# --- users ------------------------------------------------------------------------------


def _scope_columns(role: Role, scope_code: str | None) -> dict[str, str | None]:
    kind = role.scope_kind
    if kind is not ScopeKind.CITY and not scope_code:
        raise InvalidInput(
            f"{role.label} 계정에는 {kind.label} 코드가 필요합니다",
            [FieldError(field="scope", message=f"{kind.label} 코드를 입력하세요")],
        )
    columns: dict[str, str | None] = {"dong_code": None, "gu_code": None, "facility_code": None}
    if kind is not ScopeKind.CITY:
        columns[f"{kind.value}_code"] = scope_code
    return columns


def _scope_exists(session: Session, kind: ScopeKind, code: str) -> bool:
    scope_table = {ScopeKind.DONG: _DONG, ScopeKind.GU: _GU, ScopeKind.FACILITY: _FACILITY}[kind]
    found = session.execute(select(scope_table.c.code).where(scope_table.c.code == code))
    return found.first() is not None


def create_user(
    session: Session,
    *,
    by: "Actor | str",
    username: str,
    display_name: str,
    role: Role,
    scope_code: str | None,
    password: str,
    must_change_password: bool = False,
) -> User:
    """A new account. Raises InvalidInput (bad username, scope or password), Conflict."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "아이디는 영문 소문자로 시작하는 3~40자(영문 소문자, 숫자, . _ -)여야 합니다",
            [FieldError(field="username", message="아이디 형식이 올바르지 않습니다")],
        )
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"아이디 '{username}'은(는) 이미 있습니다")
    columns = _scope_columns(role, scope_code)
    if scope_code and not _scope_exists(session, role.scope_kind, scope_code):
        raise InvalidInput(
            f"{role.scope_kind.label} 코드 {scope_code}을(를) 찾을 수 없습니다",
            [FieldError(field="scope", message="없는 코드입니다")],
        )
    user = User(
        username=username,
        display_name=display_name.strip()[:40] or username,
        role=role.value,
        scope_kind=role.scope_kind.value,
        password_hash=_check_password(password, username=username),
        must_change_password=must_change_password,
        **columns,
    )
    session.add(user)
    session.flush()
    _record(session, by, "user.create", f"user:{user.id} {role.value}")
    log.info("user %s created with role %s", user.id, role.value)
    return user


def create_user_with_temporary_password(
    session: Session,
    *,
    by: "Actor | str",
    username: str,
    display_name: str,
    role: str,
    scope_code: str | None,
) -> tuple[User, str]:
    """An administrator's new account with a generated password the user must change at first
    login; returns (user, password) so it can be handed over once."""
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput(
            "역할을 선택하세요", [FieldError(field="role", message="역할을 선택하세요")]
        ) from None
    password = generate_password()
    user = create_user(
        session,
        by=by,
        username=username,
        display_name=display_name,
        role=chosen,
        scope_code=scope_code,
        password=password,
        must_change_password=True,
    )
    return user, password


@dataclass
class UserView:
    """An account as the administrator sees it: the row and its live sessions."""

    user: User
    live_sessions: int
    scope_name: str


def get_user_view(session: Session, user_id: int) -> UserView:
    """One account with its number of live sessions. Raises NotFound."""
    user = get_user(session, user_id)
    live = len(list_sessions(session, user_id=user.id or 0))
    return UserView(user=user, live_sessions=live, scope_name=scope_name(session, user))


def list_sessions(session: Session, *, user_id: int) -> list[UserSession]:
    """The user's live, fully signed-in sessions, newest first (not ended, not expired, not
    idle too long, second factor done)."""
    now = utcnow()
    return list(
        session.exec(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                col(UserSession.ended_at).is_(None),
                col(UserSession.mfa_pending).is_(False),
                col(UserSession.expires_at) > now,
                col(UserSession.last_seen_at) > now - IDLE_TIMEOUT,
            )
            .order_by(col(UserSession.created_at).desc())
        ).all()
    )


def disable_user_by_id(session: Session, *, by: "Actor | str", user_id: int) -> User:
    """disable_user for the account with this id. Raises NotFound, Conflict (oneself)."""
    user = get_user(session, user_id)
    if isinstance(by, Actor) and by.user_id == user.id:
        raise Conflict("자기 계정은 비활성화할 수 없습니다")
    return disable_user(session, by=by, user=user)


def unlock_user_by_id(session: Session, *, by: "Actor | str", user_id: int) -> User:
    """unlock_user for the account with this id. Raises NotFound."""
    return unlock_user(session, by=by, user=get_user(session, user_id))


def reset_to_temporary_password(
    session: Session, *, by: "Actor | str", user_id: int
) -> tuple[User, str]:
    """A new generated password the user must change at next login; (user, password)."""
    user = get_user(session, user_id)
    password = generate_password()
    return reset_password(session, by=by, user=user, password=password), password


def _record(session: Session, by: "Actor | str", action: str, target: str) -> None:
    """Access-log an account change made by a web user (Actor) or from the CLI (a label)."""
    if isinstance(by, Actor):
        audit.record(session, actor=by, action=action, target=target)
    else:
        audit.record(session, actor=None, actor_label=by, action=action, target=target)


def get_user(session: Session, user_id: int) -> User:
    """The account with this id. Raises NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("사용자를 찾을 수 없습니다")
    return user


def find_user(session: Session, username: str) -> User | None:
    """The account with this username (case-insensitive), or None."""
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def list_users(session: Session) -> list[User]:
    """Every account, by role then username (administrators only reach this)."""
    return list(session.exec(select(User).order_by(User.role, User.username)).all())


def end_sessions(session: Session, *, user_id: int, reason: str, keep: int | None = None) -> int:
    """End the user's live sessions (all, or all but `keep`) server-side; how many ended."""
    query = update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    ended = session.execute(query.values(ended_at=utcnow(), end_reason=reason)).rowcount
    return int(ended or 0)


def disable_user(session: Session, *, by: "Actor | str", user: User) -> User:
    """Disable an account and end its sessions at once."""
    user.is_active, user.disabled_at = False, utcnow()
    end_sessions(session, user_id=user.id or 0, reason="disabled")
    _record(session, by, "user.disable", f"user:{user.id}")
    session.flush()
    return user


def reset_password(session: Session, *, by: "Actor | str", user: User, password: str) -> User:
    """Set a temporary password the user must change at next login; unlock; end sessions."""
    user.password_hash = _check_password(password, username=user.username)
    user.password_changed_at, user.must_change_password = utcnow(), True
    user.failed_logins, user.locked_until = 0, None
    end_sessions(session, user_id=user.id or 0, reason="password_reset")
    _record(session, by, "user.reset_password", f"user:{user.id}")
    session.flush()
    return user


def unlock_user(session: Session, *, by: "Actor | str", user: User) -> User:
    """Lift a lockout before its 30 minutes are up."""
    user.failed_logins, user.locked_until = 0, None
    _record(session, by, "user.unlock", f"user:{user.id}")
    session.flush()
    return user


def change_password(
    session: Session, *, actor: Actor, user: User, current: str, new: str, confirm: str
) -> User:
    """The user's own change: the current password is asked again; other sessions end."""
    if new != confirm:
        raise InvalidInput(
            "새 비밀번호와 확인이 다릅니다",
            [FieldError(field="confirm", message="새 비밀번호와 같게 입력하세요")],
        )
    try:
        hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidInput(
            "현재 비밀번호가 맞지 않습니다",
            [FieldError(field="current", message="현재 비밀번호가 맞지 않습니다")],
        ) from exc
    if new == current:
        raise InvalidInput(
            "새 비밀번호가 지금 비밀번호와 같습니다",
            [FieldError(field="new", message="지금과 다른 비밀번호를 입력하세요")],
        )
    user.password_hash = _check_password(new, username=user.username, field="new")
    user.password_changed_at, user.must_change_password = utcnow(), False
    end_sessions(session, user_id=user.id or 0, reason="password_changed", keep=actor.session_id)
    audit.record(session, actor=actor, action="auth.password")
    session.flush()
    return user

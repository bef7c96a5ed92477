"""Accounts, passwords, login sessions, second factor, facility API tokens and row scoping."""

import gzip
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, MetaData, false, text, true, update
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import ApiToken, RecoveryCode, User, UserSession
from bigcare.auth.permissions import (
    ROLE_PERMISSIONS,
    Role,
    ScopeKind,
    requires_second_factor,
)
from bigcare.db import utcnow
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from bigcare.privacy.crypto import Keyring

log = logging.getLogger(__name__)

MIN_PASSWORD, MAX_PASSWORD = 10, 64
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=30)
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
# Writing last_seen_at on every request would turn every page view into a write.
TOUCH_EVERY = timedelta(seconds=60)
RECOVERY_CODES = 10
TOTP_ISSUER = "BigCare 서울 통합사례관리"
TOKEN_PREFIX = "bct_"
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt.gz")

_hasher = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) defaults
# Verified against unknown usernames so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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

    @property
    def label(self) -> str:
        return self.username

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def covers_dong(self, dong_code: str | None) -> bool:
        """Is this dong inside the actor's scope? (A dong code begins with its gu's code.)"""
        if dong_code is None:
            return self.scope_kind is ScopeKind.CITY
        match self.scope_kind:
            case ScopeKind.CITY:
                return True
            case ScopeKind.GU:
                return dong_code.startswith(self.scope_code or "-")
            case ScopeKind.DONG:
                return dong_code == self.scope_code
        return False

    def covers_facility(self, facility_code: str, dong_code: str | None) -> bool:
        """A facility user sees only their own facility; others see facilities in their area."""
        if self.scope_kind is ScopeKind.FACILITY:
            return facility_code == self.scope_code
        return self.covers_dong(dong_code)

    def dong_clause(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        """A WHERE clause keeping only rows whose dong is in scope."""
        match self.scope_kind:
            case ScopeKind.CITY:
                return true()
            case ScopeKind.GU:
                return column.startswith(self.scope_code or "-")
            case ScopeKind.DONG:
                return column == self.scope_code
        return false()

    def scope_label(self) -> str:
        return self.scope_kind.label if self.scope_code is None else self.scope_code


def actor_for(user: User, *, ip: str | None = None, session_id: int | None = None) -> Actor:
    """The Actor a logged-in user acts as."""
    role = Role(user.role)
    kind = ScopeKind(user.scope_kind)
    code = {ScopeKind.DONG: user.dong_code, ScopeKind.GU: user.gu_code}.get(
        kind, user.facility_code if kind is ScopeKind.FACILITY else None
    )
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
    )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- passwords --------------------------------------------------------------------------


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def password_problems(password: str, *, username: str) -> list[str]:
    """Why a new password is refused (empty when it is fine). Length and a list of known
    passwords only: no composition rules (NIST SP 800-63B), which only breed `Passw0rd!`."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다")
    if len(password) > MAX_PASSWORD:
        problems.append(f"비밀번호는 {MAX_PASSWORD}자 이하여야 합니다")
    lowered = password.lower()
    if lowered in _common_passwords():
        problems.append("널리 알려졌거나 유출된 비밀번호입니다. 다른 비밀번호를 쓰세요")
    if username and username.lower() in lowered:
        problems.append("비밀번호에 아이디를 넣을 수 없습니다")
    if len(set(password)) <= 2:
        problems.append("같은 글자를 반복한 비밀번호는 쓸 수 없습니다")
    return problems


def _check_password(password: str, *, username: str) -> str:
    problems = password_problems(password, username=username)
    if problems:
        raise InvalidInput(problems[0], [FieldError(field="password", message=p) for p in problems])
    return _hasher.hash(password)


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
    # auth sits below the districts and facilities domains, so it asks the tables directly.
    table = {ScopeKind.DONG: "dong", ScopeKind.GU: "gu", ScopeKind.FACILITY: "facility"}[kind]
    found = session.exec(  # type: ignore[call-overload]
        text(f"SELECT 1 FROM {table} WHERE code = :code"),  # noqa: S608 (fixed table names)
        params={"code": code},
    ).first()
    return found is not None


def create_user(
    session: Session,
    *,
    actor_label: str,
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
    audit.record(
        session,
        actor=None,
        actor_label=actor_label,
        action="user.create",
        target=f"user:{user.id} {role.value}",
    )
    log.info("user %s created with role %s", user.id, role.value)
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("사용자를 찾을 수 없습니다")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.role, User.username)).all())


def _end_sessions(session: Session, user_id: int, reason: str) -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def disable_user(session: Session, *, actor_label: str, user: User) -> User:
    """Disable an account and end its sessions at once."""
    user.is_active, user.disabled_at = False, utcnow()
    _end_sessions(session, user.id or 0, "disabled")
    audit.record(
        session,
        actor=None,
        actor_label=actor_label,
        action="user.disable",
        target=f"user:{user.id}",
    )
    session.flush()
    return user


def reset_password(session: Session, *, actor_label: str, user: User, password: str) -> User:
    """Set a temporary password the user must change at next login; unlock; end sessions."""
    user.password_hash = _check_password(password, username=user.username)
    user.password_changed_at, user.must_change_password = utcnow(), True
    user.failed_logins, user.locked_until = 0, None
    _end_sessions(session, user.id or 0, "password_reset")
    audit.record(
        session,
        actor=None,
        actor_label=actor_label,
        action="user.reset_password",
        target=f"user:{user.id}",
    )
    session.flush()
    return user


def unlock_user(session: Session, *, actor_label: str, user: User) -> User:
    user.failed_logins, user.locked_until = 0, None
    audit.record(
        session, actor=None, actor_label=actor_label, action="user.unlock", target=f"user:{user.id}"
    )
    session.flush()
    return user


def change_password(session: Session, *, actor: Actor, user: User, current: str, new: str) -> User:
    """The user's own change: the current password is asked again; other sessions end."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidInput(
            "현재 비밀번호가 맞지 않습니다",
            [FieldError(field="current", message="현재 비밀번호가 맞지 않습니다")],
        ) from exc
    if new == current:
        raise InvalidInput("새 비밀번호가 지금 비밀번호와 같습니다")
    user.password_hash = _check_password(new, username=user.username)
    user.password_changed_at, user.must_change_password = utcnow(), False
    session.execute(
        update(UserSession)
        .where(
            col(UserSession.user_id) == user.id,
            col(UserSession.ended_at).is_(None),
            col(UserSession.id) != actor.session_id,
        )
        .values(ended_at=utcnow(), end_reason="password_changed")
    )
    audit.record(session, actor=actor, action="auth.password")
    session.flush()
    return user


# --- login and sessions -----------------------------------------------------------------


@dataclass
class LoginOutcome:
    """What a login attempt led to. On failure `message` says why, in Korean."""

    ok: bool
    message: str = ""
    user: User | None = None
    token: str | None = None
    login_session: UserSession | None = None

    @property
    def needs_second_factor(self) -> bool:
        return bool(self.login_session and self.login_session.mfa_pending)


LOGIN_FAILED = "아이디 또는 비밀번호가 올바르지 않습니다."


def _locked_message(until: datetime) -> str:
    kst = until.astimezone(audit.KST).strftime("%H:%M")
    return (
        f"비밀번호를 {MAX_FAILED_LOGINS}회 잘못 입력하여 계정이 30분 동안 잠겼습니다. "
        f"{kst} 이후에 다시 시도하거나 시스템 관리자에게 잠금 해제를 요청하세요."
    )


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are UTC.
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def login(
    session: Session, *, username: str, password: str, ip: str | None, user_agent: str | None
) -> LoginOutcome:
    """Check a password. Counts failures and locks the account for 30 minutes after five.
    Never raises for a wrong password: the failure count must be committed."""
    now = utcnow()
    user = find_user(session, username) if username.strip() else None
    label = (username.strip().lower() or "-")[:60]
    if user is None or not user.is_active:
        # Same work and same message whether or not the account exists.
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        audit.record(
            session,
            actor=None,
            actor_label=label,
            ip=ip,
            action="auth.login",
            outcome=audit.FAILED,
            target="unknown or disabled account",
        )
        return LoginOutcome(ok=False, message=LOGIN_FAILED)
    if user.locked_until and _aware(user.locked_until) > now:
        audit.record(
            session,
            actor=None,
            actor_label=user.username,
            ip=ip,
            action="auth.login",
            outcome=audit.LOCKED,
            target=f"user:{user.id}",
        )
        return LoginOutcome(ok=False, message=_locked_message(_aware(user.locked_until)))
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
            audit.record(
                session,
                actor=None,
                actor_label=user.username,
                ip=ip,
                action="auth.lockout",
                outcome=audit.LOCKED,
                target=f"user:{user.id}",
            )
            log.warning("user %s locked after %d failed logins", user.id, MAX_FAILED_LOGINS)
            session.flush()
            return LoginOutcome(ok=False, message=_locked_message(now + LOCKOUT))
        audit.record(
            session,
            actor=None,
            actor_label=user.username,
            ip=ip,
            action="auth.login",
            outcome=audit.FAILED,
            target=f"user:{user.id}",
        )
        session.flush()
        left = MAX_FAILED_LOGINS - user.failed_logins
        return LoginOutcome(
            ok=False, message=f"{LOGIN_FAILED} {left}회 더 틀리면 계정이 30분 동안 잠깁니다."
        )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    pending = requires_second_factor(Role(user.role))
    token, login_session = start_session(
        session, user=user, ip=ip, user_agent=user_agent, mfa_pending=pending
    )
    if not pending:
        _logged_in(session, user, login_session)
    return LoginOutcome(ok=True, user=user, token=token, login_session=login_session)


def _logged_in(session: Session, user: User, login_session: UserSession) -> None:
    user.last_login_at = utcnow()
    actor = actor_for(user, ip=login_session.ip, session_id=login_session.id)
    audit.record(session, actor=actor, action="auth.login")
    log.info("user %s logged in (session %s)", user.id, login_session.id)


def start_session(
    session: Session,
    *,
    user: User,
    ip: str | None,
    user_agent: str | None,
    mfa_pending: bool = False,
) -> tuple[str, UserSession]:
    """A new server-side session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        token_hash=_sha256(token),
        user_id=user.id or 0,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_TIMEOUT,
        mfa_pending=mfa_pending,
        csrf_secret=secrets.token_urlsafe(32),
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_session(session: Session, token: str) -> tuple[UserSession, User] | None:
    """The live session behind a cookie token, or None. Ends idle and expired sessions."""
    row = session.exec(select(UserSession).where(UserSession.token_hash == _sha256(token))).first()
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    reason = None
    if now >= _aware(row.expires_at):
        reason = "expired"
    elif now - _aware(row.last_seen_at) >= IDLE_TIMEOUT:
        reason = "idle"
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        reason = reason or "disabled"
    if reason:
        row.ended_at, row.end_reason = now, reason
        session.flush()
        return None
    if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    assert user is not None
    return row, user


def end_session(session: Session, *, login_session: UserSession, actor: Actor | None) -> None:
    """Log out: the session is dead server-side, whatever the browser keeps."""
    login_session.ended_at, login_session.end_reason = utcnow(), "logout"
    if actor is not None:
        audit.record(session, actor=actor, action="auth.logout")
    session.flush()


def list_sessions(session: Session, *, user_id: int) -> list[UserSession]:
    return list(
        session.exec(
            select(UserSession)
            .where(UserSession.user_id == user_id, col(UserSession.ended_at).is_(None))
            .order_by(col(UserSession.created_at).desc())
        ).all()
    )


# --- second factor (TOTP + recovery codes) ----------------------------------------------

TOTP_CONTEXT = "totp"


def begin_totp_enrolment(session: Session, *, user: User, keyring: Keyring) -> str:
    """A fresh TOTP secret for the user to add to an authenticator app (not active yet)."""
    if user.totp_enrolled_at is not None:
        raise Conflict("이미 2단계 인증이 등록되어 있습니다")
    secret = pyotp.random_base32()
    user.totp_secret_sealed = keyring.seal(secret, context=TOTP_CONTEXT)
    session.flush()
    return secret


def pending_totp_secret(user: User, *, keyring: Keyring) -> str | None:
    if user.totp_secret_sealed is None or user.totp_enrolled_at is not None:
        return None
    return keyring.open(user.totp_secret_sealed, context=TOTP_CONTEXT)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _accept_totp(user: User, code: str, keyring: Keyring) -> bool:
    if not user.totp_secret_sealed or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(keyring.open(user.totp_secret_sealed, context=TOTP_CONTEXT))
    now = utcnow()
    # One step of clock drift either way; a code already used is never accepted again.
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        step = totp.timecode(at)
        if hmac.compare_digest(totp.at(at), code) and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(
        update(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    codes = [
        f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}"
        for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id or 0, code_hash=_sha256(code)))
    return codes


def confirm_totp_enrolment(
    session: Session, *, user: User, code: str, keyring: Keyring
) -> list[str]:
    """Activate the pending secret once the app shows a right code; returns recovery codes."""
    if pending_totp_secret(user, keyring=keyring) is None:
        raise Conflict("등록 중인 2단계 인증이 없습니다. 처음부터 다시 시작하세요")
    if not _accept_totp(user, code.strip(), keyring):
        raise InvalidInput(
            "인증 앱의 6자리 번호가 맞지 않습니다",
            [FieldError(field="code", message="번호가 맞지 않습니다")],
        )
    user.totp_enrolled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    session.flush()
    return codes


def enrol_totp_directly(session: Session, *, user: User, keyring: Keyring) -> tuple[str, list[str]]:
    """Enrol a known secret at once (the demo's accounts, and tests); returns both secrets."""
    secret = pyotp.random_base32()
    user.totp_secret_sealed = keyring.seal(secret, context=TOTP_CONTEXT)
    user.totp_enrolled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    session.flush()
    return secret, codes


def regenerate_recovery_codes(session: Session, *, user: User) -> list[str]:
    codes = _new_recovery_codes(session, user)
    session.flush()
    return codes


def verify_second_factor(
    session: Session,
    *,
    user: User,
    pending: UserSession,
    code: str,
    keyring: Keyring,
) -> tuple[str, UserSession] | None:
    """Check a TOTP or recovery code for a half-logged-in session. On success the pending
    session ends and a new one starts (the session id rotates); None on a wrong code."""
    code = code.strip().replace(" ", "")
    accepted = _accept_totp(user, code, keyring)
    if not accepted and re.fullmatch(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", code.lower()):
        recovery = session.exec(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _sha256(code.lower()),
                col(RecoveryCode.used_at).is_(None),
            )
        ).first()
        if recovery is not None:
            recovery.used_at, accepted = utcnow(), True
    if not accepted:
        audit.record(
            session,
            actor=None,
            actor_label=user.username,
            ip=pending.ip,
            action="auth.totp",
            outcome=audit.FAILED,
            target=f"user:{user.id}",
        )
        session.flush()
        return None
    pending.ended_at, pending.end_reason = utcnow(), "rotated"
    token, fresh = start_session(
        session, user=user, ip=pending.ip, user_agent=pending.user_agent, mfa_pending=False
    )
    _logged_in(session, user, fresh)
    return token, fresh


def unused_recovery_codes(session: Session, *, user_id: int) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


# --- facility API tokens ----------------------------------------------------------------

# What a facility's system may do with its token: send and check its own records.
TOKEN_PERMISSIONS = frozenset({"facility.read", "import.upload", "import.read"})


def _require_facility(actor: Actor, facility_code: str, dong_code: str | None) -> None:
    if not actor.covers_facility(facility_code, dong_code):
        raise NotFound("시설을 찾을 수 없습니다")


def create_token(
    session: Session, *, actor: Actor, facility_code: str, facility_dong: str | None, name: str
) -> tuple[str, ApiToken]:
    """A new token for one facility; the raw value is returned once and never stored."""
    _require_facility(actor, facility_code, facility_dong)
    if not name.strip():
        raise InvalidInput("토큰 이름을 입력하세요", [FieldError("name", "필수 항목입니다")])
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        facility_code=facility_code,
        name=name.strip()[:60],
        prefix=raw[:12],
        token_hash=_sha256(raw),
        created_by=actor.user_id,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.create",
        target=f"facility:{facility_code} token:{token.id}",
    )
    return raw, token


def list_tokens(session: Session, *, facility_code: str) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.facility_code == facility_code)
            .order_by(col(ApiToken.created_at).desc())
        ).all()
    )


def revoke_token(
    session: Session,
    *,
    actor: Actor,
    facility_code: str,
    facility_dong: str | None,
    token_id: int,
) -> ApiToken:
    """Revoke at once: the next request with it is refused."""
    _require_facility(actor, facility_code, facility_dong)
    token = session.get(ApiToken, token_id)
    if token is None or token.facility_code != facility_code:
        raise NotFound("토큰을 찾을 수 없습니다")
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = utcnow(), actor.user_id
        audit.record(
            session,
            actor=actor,
            action="token.revoke",
            target=f"facility:{facility_code} token:{token.id}",
        )
        session.flush()
    return token


def resolve_token(session: Session, raw: str, *, ip: str | None) -> Actor | None:
    """The facility actor behind a bearer token, or None if unknown or revoked."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _sha256(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - _aware(token.last_used_at) >= TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return Actor(
        user_id=None,
        username=f"token:{token.prefix}",
        display_name=token.name,
        role=Role.FACILITY_UPLOADER,
        scope_kind=ScopeKind.FACILITY,
        scope_code=token.facility_code,
        permissions=TOKEN_PERMISSIONS,
        ip=ip,
        token_id=token.id,
    )


def check_permission(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"'{permission}' 권한이 없습니다")


# --- sealed columns and key rotation ----------------------------------------------------


def sealed_columns(metadata: MetaData) -> list[tuple[str, str, str, str | None]]:
    """(table, column, context, blind-index column) for every column marked as sealed."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            context = column.info.get("sealed")
            if context:
                found.append((table.name, column.name, context, column.info.get("blind_index")))
    return found


def reseal_all(
    session: Session, *, metadata: MetaData, keyring: Keyring, batch_size: int = 1000
) -> dict[str, int]:
    """Re-encrypt every sealed value under the current key and recompute blind indexes.
    Returns rows changed per table.column. Rows already under the current key are skipped,
    so an interrupted rotation can simply be run again."""
    changed: dict[str, int] = {}
    current = f"v1:{keyring.current_id}:"
    for table_name, column_name, context, index_column in sealed_columns(metadata):
        table = metadata.tables[table_name]
        column, pk = table.c[column_name], next(iter(table.primary_key.columns))
        count, last = 0, None
        while True:
            query = (
                select(pk, column)
                .where(column.is_not(None), ~column.startswith(current))
                .order_by(pk)
                .limit(batch_size)
            )
            if last is not None:
                query = query.where(pk > last)
            rows = session.execute(query).all()
            if not rows:
                break
            for key, token in rows:
                plain = keyring.open(token, context=context)
                values = {column_name: keyring.seal(plain, context=context)}
                if index_column:
                    values[index_column] = keyring.blind_index(plain, context=context)
                session.execute(update(table).where(pk == key).values(**values))
                count += 1
                last = key
        changed[f"{table_name}.{column_name}"] = count
    session.flush()
    return changed

"""Login, server-side sessions (idle and absolute timeouts), lockout and the second factor."""

import hmac
import logging
import re
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import RecoveryCode, User, UserSession
from bigcare.auth.permissions import Role, requires_second_factor
from bigcare.auth.service import (
    DUMMY_HASH,
    IDLE_TIMEOUT,
    TOUCH_EVERY,
    Actor,
    actor_for,
    end_sessions,
    find_user,
    hasher,
    list_sessions,
    sha256_hex,
)
from bigcare.db import aware, utcnow
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.privacy.crypto import Keyring

log = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
RECOVERY_CODES = 10
TOTP_ISSUER = "BigCare 서울 통합사례관리"


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


def _auth_event(session: Session, *, user: User, ip: str | None, action: str, outcome: str) -> None:
    """Access-log a login step that did not (yet) give the user a session."""
    audit.record(
        session,
        actor=None,
        actor_label=user.username,
        ip=ip,
        action=action,
        outcome=outcome,
        target=f"user:{user.id}",
    )


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    keyring: Keyring | None = None,
) -> LoginOutcome:
    """Check a password. Counts failures and locks the account for 30 minutes after five.
    Never raises for a wrong password: the failure count must be committed. An account that
    needs a second factor but has none gets its authenticator secret here (with `keyring`),
    so the next page only shows it: no state changes on GET."""
    now = utcnow()
    user = find_user(session, username) if username.strip() else None
    label = (username.strip().lower() or "-")[:60]
    if user is None or not user.is_active:
        # Same work and same message whether or not the account exists.
        with suppress(VerificationError):
            hasher.verify(DUMMY_HASH, password)
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
    if user.locked_until and aware(user.locked_until) > now:
        _auth_event(session, user=user, ip=ip, action="auth.login", outcome=audit.LOCKED)
        return LoginOutcome(ok=False, message=_locked_message(aware(user.locked_until)))
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
            _auth_event(session, user=user, ip=ip, action="auth.lockout", outcome=audit.LOCKED)
            log.warning("user %s locked after %d failed logins", user.id, MAX_FAILED_LOGINS)
            session.flush()
            return LoginOutcome(ok=False, message=_locked_message(now + LOCKOUT))
        _auth_event(session, user=user, ip=ip, action="auth.login", outcome=audit.FAILED)
        session.flush()
        left = MAX_FAILED_LOGINS - user.failed_logins
        return LoginOutcome(
            ok=False, message=f"{LOGIN_FAILED} {left}회 더 틀리면 계정이 30분 동안 잠깁니다."
        )
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    pending = requires_second_factor(Role(user.role)) or user.totp_enrolled_at is not None
    # Wrong second-factor codes keep counting until the whole login succeeds (_rotate):
    # a right password alone must not wipe them, or the six digits can be guessed forever.
    user.locked_until = None
    if not pending:
        user.failed_logins = 0
    token, login_session = start_session(
        session, user=user, ip=ip, user_agent=user_agent, mfa_pending=pending
    )
    if pending and user.totp_enrolled_at is None and keyring is not None:
        begin_totp_enrolment(session, user=user, keyring=keyring)
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
        token_hash=sha256_hex(token),
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
    # The user comes with the session: this runs before every page.
    found = session.exec(
        select(UserSession, User)
        .outerjoin(User, col(User.id) == UserSession.user_id)
        .where(UserSession.token_hash == sha256_hex(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None:
        return None
    now = utcnow()
    reason = None
    if now >= aware(row.expires_at):
        reason = "expired"
    elif now - aware(row.last_seen_at) >= IDLE_TIMEOUT:
        reason = "idle"
    if user is None or not user.is_active:
        reason = reason or "disabled"
    if reason:
        row.ended_at, row.end_reason = now, reason
        session.flush()
        return None
    if now - aware(row.last_seen_at) >= TOUCH_EVERY:
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


def end_other_sessions(session: Session, *, actor: Actor) -> int:
    """Log out everywhere else (a lost phone, a shared PC): end every live session of the
    actor but the current one. Returns how many ended."""
    ended = end_sessions(
        session, user_id=actor.user_id or 0, reason="ended_by_user", keep=actor.session_id
    )
    audit.record(session, actor=actor, action="auth.sessions_end", target=f"{ended} sessions")
    return ended


# --- second factor (TOTP + recovery codes) ----------------------------------------------

TOTP_CONTEXT = "totp"


def begin_totp_enrolment(session: Session, *, user: User, keyring: Keyring) -> str:
    """The TOTP secret to add to an authenticator app (not active until confirmed); the same
    one again while enrolment is pending, so reloading the page does not change the QR."""
    if user.totp_enrolled_at is not None:
        raise Conflict("이미 2단계 인증이 등록되어 있습니다")
    pending = pending_totp_secret(user, keyring=keyring)
    if pending is not None:
        return pending
    secret = pyotp.random_base32()
    user.totp_secret_sealed = keyring.seal(secret, context=TOTP_CONTEXT)
    session.flush()
    return secret


def pending_totp_secret(user: User, *, keyring: Keyring) -> str | None:
    """The secret of an enrolment not yet confirmed, or None."""
    if user.totp_secret_sealed is None or user.totp_enrolled_at is not None:
        return None
    return keyring.open(user.totp_secret_sealed, context=TOTP_CONTEXT)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _clean_code(code: str) -> str:
    # Authenticator apps show "123 456"; people paste with spaces around it.
    return code.strip().replace(" ", "")


def _accept_totp(user: User, code: str, keyring: Keyring) -> bool:
    code = _clean_code(code)
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
        session.add(RecoveryCode(user_id=user.id or 0, code_hash=sha256_hex(code)))
    return codes


def _require_totp(user: User, code: str, keyring: Keyring) -> None:
    """Raise InvalidInput unless `code` is the authenticator's current code."""
    if not _accept_totp(user, code, keyring):
        raise InvalidInput(
            "인증 앱의 6자리 번호가 맞지 않습니다",
            [FieldError(field="code", message="번호가 맞지 않습니다")],
        )


def confirm_totp_enrolment(
    session: Session, *, actor: Actor, user: User, code: str, keyring: Keyring
) -> list[str]:
    """Activate the pending secret once the app shows a right code; returns recovery codes."""
    if pending_totp_secret(user, keyring=keyring) is None:
        raise Conflict("등록 중인 2단계 인증이 없습니다. 처음부터 다시 시작하세요")
    _require_totp(user, code, keyring)
    user.totp_enrolled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    audit.record(session, actor=actor, action="auth.totp.enrol")
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


def regenerate_recovery_codes(
    session: Session, *, actor: Actor, user: User, code: str, keyring: Keyring
) -> list[str]:
    """Ten new one-time recovery codes, after a current authenticator code; the unused old
    ones stop working."""
    if user.totp_enrolled_at is None:
        raise Conflict("2단계 인증을 먼저 등록하세요")
    _require_totp(user, code, keyring)
    codes = _new_recovery_codes(session, user)
    audit.record(session, actor=actor, action="auth.recovery_codes")
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
    code = _clean_code(code)
    accepted = _accept_totp(user, code, keyring)
    if not accepted and re.fullmatch(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", code.lower()):
        recovery = session.exec(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == sha256_hex(code.lower()),
                col(RecoveryCode.used_at).is_(None),
            )
        ).first()
        if recovery is not None:
            recovery.used_at, accepted = utcnow(), True
    if not accepted:
        _second_factor_failed(session, user=user, pending=pending)
        return None
    return _rotate(session, user=user, pending=pending)


def _second_factor_failed(session: Session, *, user: User, pending: UserSession) -> None:
    # Six digits fall to guessing without a limit: wrong codes count like wrong passwords.
    user.failed_logins += 1
    locked = user.failed_logins >= MAX_FAILED_LOGINS
    audit.record(
        session,
        actor=None,
        actor_label=user.username,
        ip=pending.ip,
        action="auth.lockout" if locked else "auth.totp",
        outcome=audit.LOCKED if locked else audit.FAILED,
        target=f"user:{user.id}",
    )
    if locked:
        user.failed_logins, user.locked_until = 0, utcnow() + LOCKOUT
        pending.ended_at, pending.end_reason = utcnow(), "locked"
        log.warning("user %s locked after %d wrong second-factor codes", user.id, MAX_FAILED_LOGINS)
    session.flush()


def _rotate(session: Session, *, user: User, pending: UserSession) -> tuple[str, UserSession]:
    """End the half-logged-in session and start a full one under a new id."""
    user.failed_logins = 0
    pending.ended_at, pending.end_reason = utcnow(), "rotated"
    token, fresh = start_session(
        session, user=user, ip=pending.ip, user_agent=pending.user_agent, mfa_pending=False
    )
    _logged_in(session, user, fresh)
    return token, fresh


def enrol_at_login(
    session: Session, *, user: User, pending: UserSession, code: str, keyring: Keyring
) -> tuple[str, UserSession, list[str]] | None:
    """First login of an account that needs a second factor: confirm the authenticator app,
    then rotate into a full session. Returns (cookie token, session, recovery codes), or
    None on a wrong code (counted toward the lockout)."""
    if pending_totp_secret(user, keyring=keyring) is None:
        raise Conflict("등록 중인 2단계 인증이 없습니다. 다시 로그인하세요")
    if not _accept_totp(user, code, keyring):
        _second_factor_failed(session, user=user, pending=pending)
        return None
    user.totp_enrolled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    token, fresh = _rotate(session, user=user, pending=pending)
    return token, fresh, codes


def unused_recovery_codes(session: Session, *, user_id: int) -> int:
    """How many recovery codes the user has left."""
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


@dataclass
class SecondFactorResult:
    """After a code on /login/totp: the new session's cookie token (None if the code was
    wrong), recovery codes when this was the enrolment, and whether the account got locked."""

    token: str | None = None
    recovery_codes: list[str] | None = None
    locked: bool = False


def complete_second_factor(
    session: Session, *, user: User, pending: UserSession, code: str, keyring: Keyring
) -> SecondFactorResult:
    """Finish a login with the second factor: enrol the authenticator on first use, else check
    a TOTP or recovery code. Wrong codes count toward the lockout."""
    if user.locked_until and aware(user.locked_until) > utcnow():
        # Locked meanwhile (from another half-finished login): no code is checked.
        pending.ended_at, pending.end_reason = utcnow(), "locked"
        session.flush()
        return SecondFactorResult(locked=True)
    if user.totp_enrolled_at is None:
        enrolled = enrol_at_login(session, user=user, pending=pending, code=code, keyring=keyring)
        if enrolled is not None:
            return SecondFactorResult(token=enrolled[0], recovery_codes=enrolled[2])
    else:
        rotated = verify_second_factor(
            session, user=user, pending=pending, code=code, keyring=keyring
        )
        if rotated is not None:
            return SecondFactorResult(token=rotated[0])
    return SecondFactorResult(locked=pending.ended_at is not None)


@dataclass
class AccountView:
    """The account page: who I am, my live sessions, my second factor."""

    user: User
    sessions: list[UserSession]
    recovery_codes_left: int


def get_account_view(session: Session, *, actor: Actor) -> AccountView:
    """The signed-in user's own account."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("계정을 찾을 수 없습니다")
    return AccountView(
        user=user,
        sessions=list_sessions(session, user_id=user.id or 0),
        recovery_codes_left=unused_recovery_codes(session, user_id=user.id or 0),
    )

"""Accounts, login sessions, second-factor recovery codes, facility API tokens, access log."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index
from sqlmodel import Field, SQLModel

from bigcare import db


def _ts(*, nullable: bool = True, index: bool = False) -> object:
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True, index=index)
    return Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False, index=index
    )


class User(SQLModel, table=True):
    """A staff account. Its scope is one dong, one gu, the city or one facility (by role)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(
            "(scope_kind = 'dong' AND dong_code IS NOT NULL AND gu_code IS NULL "
            "AND facility_code IS NULL) OR "
            "(scope_kind = 'gu' AND gu_code IS NOT NULL AND dong_code IS NULL "
            "AND facility_code IS NULL) OR "
            "(scope_kind = 'city' AND dong_code IS NULL AND gu_code IS NULL "
            "AND facility_code IS NULL) OR "
            "(scope_kind = 'facility' AND facility_code IS NOT NULL AND dong_code IS NULL "
            "AND gu_code IS NULL)",
            name="scope",
        ),
        # The access log names accounts by id long after they are gone: SQLite must never
        # hand a deleted account's id to a new one (PostgreSQL sequences never do).
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=40)
    role: str = Field(max_length=20)
    scope_kind: str = Field(max_length=10)
    dong_code: str | None = Field(default=None, foreign_key="dong.code", max_length=7)
    gu_code: str | None = Field(default=None, foreign_key="gu.code", max_length=5)
    facility_code: str | None = Field(default=None, foreign_key="facility.code", max_length=20)
    password_hash: str = Field(max_length=200)
    password_changed_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    must_change_password: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = _ts()  # type: ignore[assignment]
    # The TOTP secret is sealed with the data key like an RRN: a database dump alone
    # must not let anyone pass the second factor.
    totp_secret_sealed: str | None = Field(
        default=None, max_length=200, sa_column_kwargs={"info": {"sealed": "totp"}}
    )
    totp_enrolled_at: datetime | None = _ts()  # type: ignore[assignment]
    # The last accepted 30-second step: a code is never accepted twice.
    totp_last_step: int | None = None
    is_active: bool = True
    created_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    disabled_at: datetime | None = _ts()  # type: ignore[assignment]
    last_login_at: datetime | None = _ts()  # type: ignore[assignment]


class UserSession(SQLModel, table=True):
    """A server-side login session. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    last_seen_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    # Password checked but the second factor not yet: such a session reaches only /login/totp.
    mfa_pending: bool = False
    ended_at: datetime | None = _ts()  # type: ignore[assignment]
    end_reason: str | None = Field(default=None, max_length=20)
    csrf_secret: str = Field(max_length=64)
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=200)


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the authenticator app; stored hashed."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = _ts()  # type: ignore[assignment]


class ApiToken(SQLModel, table=True):
    """A facility system's API token: scoped to one facility, stored hashed, revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    facility_code: str = Field(foreign_key="facility.code", max_length=20, index=True)
    name: str = Field(max_length=60)
    # The first characters are shown in lists so a person can tell tokens apart.
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    last_used_at: datetime | None = _ts()  # type: ignore[assignment]
    revoked_at: datetime | None = _ts()  # type: ignore[assignment]
    revoked_by: int | None = Field(default=None, foreign_key="app_user.id")


class AccessLog(SQLModel, table=True):
    """접속기록: one row per read, change, print, export or download of personal data, and
    per login event. Rows are hash-chained (`prev_hash` → `hash`, in `seq` order) so an edit or a
    deletion is found by `bigcare audit verify`; once committed they are never updated."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_user_id_at", "user_id", "at"),
        Index("ix_access_log_subject_person_id", "subject_person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)  # type: ignore[assignment]
    # No foreign keys: the log outlives accounts and merged or deleted persons.
    user_id: int | None = None
    actor: str = Field(max_length=60)
    role: str | None = Field(default=None, max_length=20)
    ip: str | None = Field(default=None, max_length=45)
    action: str = Field(max_length=40, index=True)
    outcome: str = Field(max_length=12, default="ok")
    subject_person_id: int | None = None
    target: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    # Place in the chain, given when the row's transaction commits (audit.seal): rows are
    # written at once but chained only at commit, so the chain's lock is held for
    # milliseconds, not for a whole request. None only inside a transaction not yet committed.
    seq: int | None = Field(default=None, unique=True)

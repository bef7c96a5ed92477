"""Facility systems' API tokens: one facility each, stored hashed, revocable at once."""

import secrets

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import ApiToken
from bigcare.auth.permissions import Role, ScopeKind
from bigcare.auth.service import TOUCH_EVERY, Actor, sha256_hex
from bigcare.db import aware, utcnow
from bigcare.errors import FieldError, InvalidInput, NotFound

TOKEN_PREFIX = "bct_"  # noqa: S105 (a marker, not a secret)

# What a facility's system may do with its token: send and check its own records.
TOKEN_PERMISSIONS = frozenset({"facility.read", "import.upload", "import.read"})


def create_token(
    session: Session, *, actor: Actor, facility_code: str, name: str
) -> tuple[str, ApiToken]:
    """A new token for one facility; the raw value is returned once and never stored.
    The caller has already checked that the facility is in the actor's scope."""
    if not name.strip():
        raise InvalidInput("토큰 이름을 입력하세요", [FieldError("name", "필수 항목입니다")])
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        facility_code=facility_code,
        name=name.strip()[:60],
        prefix=raw[:12],
        token_hash=sha256_hex(raw),
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
    """A facility's tokens, newest first (revoked ones too, for the record)."""
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
    token_id: int,
) -> ApiToken:
    """Revoke at once: the next request with it is refused. Raises NotFound."""
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
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == sha256_hex(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - aware(token.last_used_at) >= TOUCH_EVERY:
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

"""Facilities that send records, seen through the actor's scope, and their API tokens."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bigcare.auth import audit, tokens
from bigcare.auth.models import ApiToken
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.districts import service as districts_service
from bigcare.districts.models import Dong, Gu
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities.models import Facility

NOT_FOUND = "시설을 찾을 수 없습니다"


@dataclass
class FacilityRow:
    """A facility with where it is."""

    facility: Facility
    dong: Dong
    gu: Gu


def create_facility(
    session: Session, *, code: str, name: str, kind: str, dong_code: str
) -> Facility:
    """Register a facility in a dong. Raises InvalidInput, Conflict."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput(
            "시설 코드와 이름이 필요합니다",
            [FieldError(field="code" if not code else "name", message="필수 항목입니다")],
        )
    if session.get(Facility, code) is not None:
        raise Conflict(f"시설 코드 {code}는 이미 있습니다")
    districts_service.get_dong(session, dong_code)
    facility = Facility(code=code, name=name, kind=kind, dong_code=dong_code)
    session.add(facility)
    session.flush()
    return facility


def _scoped(actor: Actor) -> Select[tuple[Facility, Dong, Gu]]:
    """Facilities with dong and gu, limited to the actor's scope."""
    query = (
        select(Facility, Dong, Gu)
        .join(Dong, col(Dong.code) == Facility.dong_code)
        .join(Gu, col(Gu.code) == Dong.gu_code)
    )
    if actor.scope_kind is ScopeKind.FACILITY:
        return query.where(Facility.code == actor.scope_code)
    return query.where(actor.dong_clause(col(Facility.dong_code)))


def list_facilities(session: Session, *, actor: Actor) -> list[FacilityRow]:
    """Facilities the actor may see: its own (a facility account) or those in its area."""
    rows = session.exec(_scoped(actor).order_by(Gu.name, Dong.name, Facility.name)).all()
    return [FacilityRow(f, d, g) for f, d, g in rows]


def get_facility(session: Session, *, actor: Actor, code: str) -> FacilityRow:
    """One facility inside the actor's scope. Raises NotFound (also when out of scope)."""
    found = session.exec(_scoped(actor).where(Facility.code == code)).first()
    if found is None:
        exists = session.get(Facility, code) is not None
        audit.record(
            session,
            actor=actor,
            action="facility.read",
            outcome=audit.NOT_FOUND,
            target=f"facility:{code[:40]} ({'out of scope' if exists else 'no such facility'})",
        )
        raise NotFound(NOT_FOUND)
    return FacilityRow(*found)


def count_facilities(session: Session, *, actor: Actor) -> int:
    """How many facilities the actor may see."""
    query = _scoped(actor).subquery()
    return int(session.exec(select(func.count()).select_from(query)).one())


@dataclass
class FacilityView:
    """The facility page: the facility, and its API tokens for those who manage them."""

    row: FacilityRow
    tokens: list[ApiToken]


def get_facility_view(session: Session, *, actor: Actor, code: str) -> FacilityView:
    """A facility page. Raises NotFound."""
    row = get_facility(session, actor=actor, code=code)
    listed = tokens.list_tokens(session, facility_code=code) if actor.can("token.manage") else []
    return FacilityView(row=row, tokens=listed)


def issue_token(
    session: Session, *, actor: Actor, code: str, name: str
) -> tuple[FacilityRow, str, ApiToken]:
    """A new API token for a facility in the actor's scope; the raw value is shown once."""
    row = get_facility(session, actor=actor, code=code)
    raw, token = tokens.create_token(session, actor=actor, facility_code=code, name=name)
    return row, raw, token


def revoke_token(session: Session, *, actor: Actor, code: str, token_id: int) -> ApiToken:
    """Revoke a facility's token at once. Raises NotFound."""
    get_facility(session, actor=actor, code=code)
    return tokens.revoke_token(session, actor=actor, facility_code=code, token_id=token_id)

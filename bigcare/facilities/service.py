"""Facilities that send records, seen through the actor's scope, and their API tokens."""

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bigcare.auth import audit, tokens
from bigcare.auth.models import ApiToken
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.districts import service as districts_service
from bigcare.districts.models import Dong, Gu
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from bigcare.facilities.models import Facility, FacilityType

NOT_FOUND = "시설을 찾을 수 없습니다"
TYPES_CSV = "facility_types.csv"


@dataclass
class FacilityRow:
    """A facility with its kind and where it is."""

    facility: Facility
    dong: Dong
    gu: Gu
    type: FacilityType


def seed_types(session: Session, *, csv_path: Path) -> int:
    """Bring the facility-type catalog in line with the reference file; returns how many
    types were added. Safe to run again (names and descriptions are updated in place)."""
    added = 0
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = session.get(FacilityType, row["code"])
            if found is None:
                session.add(FacilityType(**row))
                added += 1
            else:
                found.name, found.description = row["name"], row["description"]
    session.flush()
    return added


def list_types(session: Session) -> list[FacilityType]:
    return list(session.exec(select(FacilityType).order_by(FacilityType.code)))


def create_facility(
    session: Session, *, code: str, name: str, type_code: str, dong_code: str
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
    if session.get(FacilityType, type_code) is None:
        raise InvalidInput(
            "시설 종류를 확인해 주세요", [FieldError("type_code", "목록에 없는 종류입니다")]
        )
    districts_service.get_dong(session, dong_code)
    facility = Facility(code=code, name=name, type_code=type_code, dong_code=dong_code)
    session.add(facility)
    session.flush()
    return facility


def load_facilities(session: Session, *, csv_path: Path) -> int:
    """Register the facilities of a facilities.csv (code, name, type_code, dong_code) that are
    not registered yet; returns how many were added."""
    added = 0
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if session.get(Facility, row["code"]) is None:
                create_facility(
                    session,
                    code=row["code"],
                    name=row["name"],
                    type_code=row["type_code"],
                    dong_code=row["dong_code"],
                )
                added += 1
    return added


def _scoped(actor: Actor) -> Select[tuple[Facility, Dong, Gu, FacilityType]]:
    """Facilities with dong, gu and type, limited to the actor's scope."""
    query = (
        select(Facility, Dong, Gu, FacilityType)
        .join(Dong, col(Dong.code) == Facility.dong_code)
        .join(Gu, col(Gu.code) == Dong.gu_code)
        .join(FacilityType, col(FacilityType.code) == Facility.type_code)
    )
    if actor.scope_kind is ScopeKind.FACILITY:
        return query.where(Facility.code == actor.scope_code)
    return query.where(actor.dong_clause(col(Facility.dong_code)))


def list_facilities(session: Session, *, actor: Actor) -> list[FacilityRow]:
    """Facilities the actor may see: its own (a facility account) or those in its area."""
    rows = session.exec(_scoped(actor).order_by(Gu.name, Dong.name, Facility.name)).all()
    return [FacilityRow(*row) for row in rows]


def get_facility(session: Session, *, actor: Actor, code: str) -> FacilityRow:
    """One facility inside the actor's scope. Raises NotFound (also when out of scope)."""
    found = session.exec(_scoped(actor).where(Facility.code == code)).first()
    if found is None:
        audit.record_unseen(
            session,
            actor=actor,
            action="facility.read",
            model=Facility,
            key=code,
            target=f"facility:{code[:40]}",
        )
        raise NotFound(NOT_FOUND)
    return FacilityRow(*found)


def get_facility_for_upload(session: Session, *, actor: Actor, code: str) -> FacilityRow:
    """A facility the actor may send records for. Raises NotFound, PermissionDenied."""
    row = get_facility(session, actor=actor, code=code)
    if not actor.can("import.upload"):
        raise PermissionDenied("이 시설의 자료를 올릴 권한이 없습니다")
    return row


def lock_facility(session: Session, code: str) -> None:
    """Serialise intake for one facility (PostgreSQL row lock; SQLite already writes one at
    a time), so two uploads of the same file cannot both become new batches."""
    session.exec(select(Facility.code).where(Facility.code == code).with_for_update()).first()


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

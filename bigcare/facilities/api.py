"""JSON API for facility systems (bearer token) and staff: the facilities in scope."""

from fastapi import APIRouter

from bigcare.auth.deps import ActorDep
from bigcare.db import SessionDep
from bigcare.facilities import service
from bigcare.facilities.schemas import FacilityRead

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])


def _read(row: service.FacilityRow) -> FacilityRead:
    return FacilityRead(
        code=row.facility.code,
        name=row.facility.name,
        kind=row.facility.kind,
        dong_code=row.dong.code,
        dong_name=row.dong.name,
        gu_code=row.gu.code,
        gu_name=row.gu.name,
    )


@router.get("", response_model=list[FacilityRead])
def list_facilities(session: SessionDep, actor: ActorDep("facility.read")) -> list[FacilityRead]:
    return [_read(row) for row in service.list_facilities(session, actor=actor)]


@router.get("/{code}", response_model=FacilityRead)
def get_facility(code: str, session: SessionDep, actor: ActorDep("facility.read")) -> FacilityRead:
    return _read(service.get_facility(session, actor=actor, code=code))

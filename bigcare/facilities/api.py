"""JSON API for facility systems (bearer token) and staff: facilities in scope, sending a
batch of records, and how a batch fared."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from bigcare.auth.deps import ActorDep, KeyringDep
from bigcare.db import SessionDep
from bigcare.facilities import batches, intake, service
from bigcare.facilities.import_routes import link_new_rows
from bigcare.facilities.models import ImportBatch
from bigcare.facilities.schemas import BatchRead, FacilityRead, RecordsIn, RowProblem

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])


def _read(row: service.FacilityRow) -> FacilityRead:
    return FacilityRead(
        code=row.facility.code,
        name=row.facility.name,
        type_code=row.facility.type_code,
        type_name=row.type.name,
        dong_code=row.dong.code,
        dong_name=row.dong.name,
        gu_code=row.gu.code,
        gu_name=row.gu.name,
    )


def _batch(batch: ImportBatch, problems: list, *, duplicate: bool = False) -> BatchRead:
    return BatchRead(
        id=batch.id or 0,
        facility_code=batch.facility_code,
        source=batch.source,
        status=batch.status,
        received_at=batch.received_at,
        rows_read=batch.rows_read,
        rows_accepted=batch.rows_accepted,
        rows_warned=batch.rows_warned,
        rows_quarantined=batch.rows_quarantined,
        duplicate=duplicate,
        problems=[RowProblem(row=number, **p) for number, p in problems],
    )


@router.get("", response_model=list[FacilityRead])
def list_facilities(session: SessionDep, actor: ActorDep("facility.read")) -> list[FacilityRead]:
    return [_read(row) for row in service.list_facilities(session, actor=actor)]


@router.get("/{code}", response_model=FacilityRead)
def get_facility(code: str, session: SessionDep, actor: ActorDep("facility.read")) -> FacilityRead:
    return _read(service.get_facility(session, actor=actor, code=code))


@router.post("/{code}/records", response_model=BatchRead)
def send_records(
    code: str,
    body: RecordsIn,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.upload"),
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> BatchRead:
    result = intake.import_records(
        session,
        actor=actor,
        keyring=keyring,
        facility_code=code,
        records=body.records,
        idempotency_key=idempotency_key or body.idempotency_key,
    )
    if not result.duplicate:
        link_new_rows(request, session)
    batch, problems = batches.list_problems(session, actor=actor, batch_id=result.batch.id or 0)
    return _batch(batch, problems, duplicate=result.duplicate)


@router.get("/{code}/batches/{batch_id}", response_model=BatchRead)
def get_batch(
    code: str, batch_id: int, session: SessionDep, actor: ActorDep("import.read")
) -> BatchRead:
    batch, problems = batches.list_problems(session, actor=actor, batch_id=batch_id)
    if batch.facility_code != code:
        raise batches.NotFound(batches.NOT_FOUND)
    return _batch(batch, problems)

"""JSON shapes of the facilities API."""

from datetime import datetime

from pydantic import BaseModel, Field


class FacilityRead(BaseModel):
    """A facility and where it is."""

    code: str
    name: str
    type_code: str
    type_name: str
    dong_code: str
    dong_name: str
    gu_code: str
    gu_name: str


class RecordsIn(BaseModel):
    """A batch of records from a facility system. Field names are BigCare's keys (name, rrn,
    birth_date, sex, phone, home_phone, address, address_detail, dong, relation, household_id,
    client_id, service_name, service_date) or the Korean headers the mapping knows (성명,
    주민등록번호 ...); any other field is kept with the record as received."""

    records: list[dict[str, str | int | float | bool | None]] = Field(max_length=5000)
    idempotency_key: str | None = Field(default=None, max_length=100)


class RowProblem(BaseModel):
    """What is wrong in one row (never the value itself)."""

    row: int
    column: str
    message: str
    error: bool


class BatchRead(BaseModel):
    """An import batch and how its rows fared: read = accepted + warned + quarantined."""

    id: int
    facility_code: str
    source: str
    status: str
    received_at: datetime
    rows_read: int
    rows_accepted: int
    rows_warned: int
    rows_quarantined: int
    duplicate: bool = False
    problems: list[RowProblem] = []

"""Facilities and what they send: import batches, every received row (sealed, verbatim) with
its parsed fields, the row's fix history, and each facility's column mapping."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bigcare import db

# Sealing contexts: a token sealed for one column cannot be opened as another.
ROW_CONTEXT = "source_row"
RRN_CONTEXT = "rrn"


class FacilityType(SQLModel, table=True):
    """A kind of facility (노인종합복지관, 보건소 ...), from seed_data/facility_types.csv."""

    __tablename__ = "facility_type"

    code: str = Field(primary_key=True, max_length=30)
    name: str = Field(max_length=40)
    description: str = Field(default="", max_length=200)


class Facility(SQLModel, table=True):
    """A welfare facility (복지관, 재가센터, 보건소 ...) located in one dong."""

    __tablename__ = "facility"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=80)
    type_code: str = Field(foreign_key="facility_type.code", index=True, max_length=30)
    dong_code: str = Field(foreign_key="dong.code", index=True, max_length=7)
    created_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class ColumnMapping(SQLModel, table=True):
    """A facility's confirmed mapping from its file's headers to BigCare fields, reused for
    its next upload and editable. `columns` maps header → field key, or None (kept raw only)."""

    __tablename__ = "column_mapping"

    facility_code: str = Field(primary_key=True, foreign_key="facility.code", max_length=20)
    columns: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    confirmed_by: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_by_label: str = Field(max_length=60)
    confirmed_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class ImportBatch(SQLModel, table=True):
    """One file (or one API call) from a facility, and how its rows fared.

    rows_read = rows_accepted + rows_warned + rows_quarantined + rows_pending, always;
    blank rows are counted apart because they carry no record."""

    __tablename__ = "import_batch"
    __table_args__ = (
        Index("ix_import_batch_facility_sha256", "facility_code", "file_sha256"),
        UniqueConstraint("facility_code", "idempotency_key"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    facility_code: str = Field(foreign_key="facility.code", index=True, max_length=20)
    source: str = Field(max_length=8)  # web, cli, api
    status: str = Field(max_length=12, index=True)
    filename: str | None = Field(default=None, max_length=200)
    file_sha256: str = Field(max_length=64)
    file_size: int = 0
    file_format: str = Field(max_length=8)  # csv, xlsx, xls, json
    encoding: str | None = Field(default=None, max_length=20)
    encoding_label: str | None = Field(default=None, max_length=40)
    sheet: str | None = Field(default=None, max_length=100)
    idempotency_key: str | None = Field(default=None, max_length=100)
    header: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The mapping the rows were parsed with (a snapshot: the facility's may change later).
    mapping: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    token_id: int | None = Field(default=None, foreign_key="api_token.id")
    uploaded_by_label: str = Field(max_length=60)
    received_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Moves with every stored chunk: a batch still "receiving" and touched a moment ago is
    # being received right now (a second run must not join it).
    updated_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
    rows_read: int = 0
    rows_accepted: int = 0
    rows_warned: int = 0
    rows_quarantined: int = 0
    rows_pending: int = 0
    rows_blank: int = 0
    # Highest row number stored: a killed import resumes after it.
    checkpoint: int = 0
    error: str | None = Field(default=None, max_length=500)


class SourceRecord(SQLModel, table=True):
    """One received row, kept verbatim (sealed: it holds names, RRNs and phones), with the
    fields parsed from it. Never deleted: a fix adds a revision, an unmerge refers back here."""

    __tablename__ = "source_record"
    __table_args__ = (
        UniqueConstraint("batch_id", "row_number"),
        Index("ix_source_record_batch_id_status", "batch_id", "status"),
        Index("ix_source_record_facility_code_client_id", "facility_code", "client_id"),
        # Households are formed from a facility's own household numbers.
        Index("ix_source_record_facility_code_household_key", "facility_code", "household_key"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id")
    facility_code: str = Field(foreign_key="facility.code", index=True, max_length=20)
    row_number: int
    # JSON list of the row's cells as received (decoded), aligned with the batch header.
    raw_sealed: str = Field(sa_column_kwargs={"info": {"sealed": ROW_CONTEXT}})
    status: str = Field(max_length=12)  # pending, accepted, warned, quarantined
    # [{"field", "column", "message", "error"}]: messages never contain the values.
    problems: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    revision: int = 0
    received_at: datetime = Field(sa_type=DateTime(timezone=True))

    name: str | None = Field(default=None, max_length=40)
    rrn_sealed: str | None = Field(
        default=None,
        max_length=120,
        sa_column_kwargs={"info": {"sealed": RRN_CONTEXT, "blind_index": "rrn_index"}},
    )
    rrn_index: str | None = Field(default=None, max_length=64, index=True)
    rrn_masked: str | None = Field(default=None, max_length=14)
    birth_date: date | None = None
    sex: str | None = Field(default=None, max_length=1)
    foreigner: bool | None = None
    phone: str | None = Field(default=None, max_length=20)
    home_phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=300)
    address_kind: str | None = Field(default=None, max_length=8)
    gu_code: str | None = Field(default=None, foreign_key="gu.code", index=True, max_length=5)
    dong_code: str | None = Field(default=None, foreign_key="dong.code", index=True, max_length=7)
    dong_source: str | None = Field(default=None, max_length=12)
    legal_dong: str | None = Field(default=None, max_length=40)
    road: str | None = Field(default=None, max_length=60)
    building_no: str | None = Field(default=None, max_length=20)
    lot_no: str | None = Field(default=None, max_length=20)
    unit: str | None = Field(default=None, max_length=60)
    relation: str | None = Field(default=None, max_length=8)
    household_key: str | None = Field(default=None, max_length=60)
    client_id: str | None = Field(default=None, max_length=60)
    service_name: str | None = Field(default=None, max_length=100)
    service_date: date | None = None


class SourceRecordRevision(SQLModel, table=True):
    """What a row was before a fix or a manual dong assignment, and who changed it."""

    __tablename__ = "source_record_revision"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="source_record.id", index=True)
    revision: int
    kind: str = Field(max_length=12)  # fix, dong
    raw_sealed: str = Field(sa_column_kwargs={"info": {"sealed": ROW_CONTEXT}})
    status: str = Field(max_length=12)
    problems: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    dong_code: str | None = Field(default=None, max_length=7)
    # Which columns changed (header names: never the values).
    changed: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    changed_by: int | None = Field(default=None, foreign_key="app_user.id")
    changed_by_label: str = Field(max_length=60)
    changed_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )

"""Facility data intake, one service behind the web upload, `bigcare import` and the API:
every received row is kept verbatim (sealed), parsed field by field, and accepted, accepted
with warnings, or quarantined with one Korean message per bad field."""

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bigcare import db
from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.db import aware, seoul_today, utcnow
from bigcare.errors import Conflict, FieldError, InvalidInput
from bigcare.facilities import batches, normalize, parsing, readers
from bigcare.facilities import service as facilities_service
from bigcare.facilities.models import ColumnMapping, ImportBatch, SourceRecord
from bigcare.privacy.crypto import Keyring

log = logging.getLogger(__name__)

# Rows per insert and per checkpoint: big enough for bulk inserts to pay off, small enough
# that a killed import loses little work and memory stays flat.
CHUNK_ROWS = 2000
MAX_API_RECORDS = 5000
# A batch still receiving whose last chunk is younger than this is being received now.
RECEIVING_LEASE = timedelta(seconds=10)

BATCH_STATUS_LABELS = {
    batches.RECEIVING: "받는 중 (중단되면 같은 파일로 이어 받기)",
    batches.MAPPING: "열 매핑 확인 필요",
    batches.DONE: "완료",
    batches.REFUSED: "거부됨",
}
NO_NAME_COLUMN = "성명 열을 지정해야 합니다"
NO_ID_COLUMN = "주민등록번호 또는 생년월일 열 중 하나는 지정해야 합니다"

Progress = Callable[[int], None]
Checkpoint = Callable[[], None]


@dataclass
class IntakeResult:
    """What happened to one file or API call."""

    batch: ImportBatch
    duplicate: bool = False
    resumed: bool = False
    # A file received earlier and waiting for its mapping was parsed now.
    mapped: bool = False
    # For a batch waiting for its mapping: what `accept_suggested` would apply.
    suggested: dict[str, str | None] | None = None


@dataclass
class Door:
    """Which door a batch came through, and the file's own name."""

    source: str  # web, cli, api
    filename: str | None = None


def today_in_seoul() -> date:
    return seoul_today()


# --- mapping ---------------------------------------------------------------------------------


def validate_mapping(header: list[str], columns: Mapping[str, str | None]) -> dict[str, str | None]:
    """A complete header → field mapping. Raises InvalidInput naming each problem."""
    errors: list[FieldError] = []
    result: dict[str, str | None] = {}
    used: dict[str, str] = {}
    for name in header:
        target = columns.get(name) or None
        if target is not None and target not in normalize.TARGET_FIELDS:
            errors.append(FieldError(field=name, message="알 수 없는 항목입니다"))
            continue
        if target is not None and target in used:
            label = normalize.TARGET_FIELDS[target]
            errors.append(
                FieldError(
                    field=name,
                    message=f"'{label}'은(는) 이미 '{used[target]}' 열에 지정되어 있습니다",
                )
            )
            continue
        if target is not None:
            used[target] = name
        result[name] = target
    if "name" not in used:
        errors.append(FieldError(field="name", message=NO_NAME_COLUMN))
    if "rrn" not in used and "birth_date" not in used:
        errors.append(FieldError(field="rrn", message=NO_ID_COLUMN))
    if errors:
        raise InvalidInput("열 매핑을 확인해 주세요", errors)
    return result


def suggest_for(
    session: Session, *, facility_code: str, header: list[str]
) -> dict[str, str | None]:
    """The facility's confirmed choices where it has them, suggestions from names elsewhere."""
    suggested = normalize.suggest_mapping(header)
    saved = session.get(ColumnMapping, facility_code)
    if saved is None:
        return suggested
    merged = {name: saved.columns.get(name, suggested.get(name)) for name in header}
    # A suggestion must not take a field the confirmed mapping already gives another column.
    taken = {t for n, t in merged.items() if t and n in saved.columns}
    return {n: (t if n in saved.columns or t not in taken else None) for n, t in merged.items()}


def _saved_mapping_for(session: Session, *, facility_code: str, header: list[str]) -> dict | None:
    """The confirmed mapping when it already covers every column of this header."""
    saved = session.get(ColumnMapping, facility_code)
    if saved is None or not set(header) <= set(saved.columns):
        return None
    try:
        return validate_mapping(header, saved.columns)
    except InvalidInput:
        return None


def save_mapping(
    session: Session, *, actor: Actor, facility_code: str, columns: dict[str, str | None]
) -> ColumnMapping:
    """Confirm a facility's mapping (merged into what it had: older files' columns stay)."""
    saved = session.get(ColumnMapping, facility_code)
    if saved is None:
        saved = ColumnMapping(facility_code=facility_code, confirmed_by_label=actor.label)
        session.add(saved)
    saved.columns = {**saved.columns, **columns}
    saved.confirmed_by, saved.confirmed_by_label = actor.user_id, actor.label[:60]
    saved.confirmed_at = utcnow()
    audit.record(session, actor=actor, action="import.mapping", target=f"facility:{facility_code}")
    session.flush()
    return saved


@dataclass
class MappingView:
    """A facility's confirmed mapping, for its edit page."""

    facility: facilities_service.FacilityRow
    mapping: ColumnMapping | None

    @property
    def columns(self) -> list[tuple[str, str | None]]:
        return list(self.mapping.columns.items()) if self.mapping else []


def get_mapping_view(session: Session, *, actor: Actor, facility_code: str) -> MappingView:
    """The facility's mapping page. Raises NotFound, PermissionDenied."""
    row = facilities_service.get_facility_for_upload(session, actor=actor, code=facility_code)
    return MappingView(facility=row, mapping=session.get(ColumnMapping, facility_code))


def update_facility_mapping(
    session: Session, *, actor: Actor, facility_code: str, targets: list[str | None]
) -> ColumnMapping:
    """Change the confirmed mapping (targets in the order of its columns); the next upload
    uses it. Raises NotFound, PermissionDenied, InvalidInput."""
    view = get_mapping_view(session, actor=actor, facility_code=facility_code)
    if view.mapping is None:
        raise InvalidInput("확정된 열 매핑이 없습니다. 먼저 파일을 올려 매핑을 확정하세요")
    header = list(view.mapping.columns)
    columns = validate_mapping(header, dict(zip(header, targets, strict=False)))
    view.mapping.columns = {}
    return save_mapping(session, actor=actor, facility_code=facility_code, columns=columns)


# --- receiving rows --------------------------------------------------------------------------


@dataclass
class _Chunk:
    """Up to CHUNK_ROWS received rows (blank ones only counted) and where they end."""

    rows: list[parsing.RawRow]
    blanks: int
    last_number: int


def _chunks(rows: Iterable[readers.Row], *, after: int) -> Iterator[_Chunk]:
    chunk: list[parsing.RawRow] = []
    blanks, last_number = 0, after
    for row in rows:
        if row.number <= after:
            continue
        last_number = row.number
        if readers.is_blank(row.cells):
            blanks += 1
        else:
            chunk.append((row.number, row.cells, row.decode_error))
        if len(chunk) + blanks >= CHUNK_ROWS:
            yield _Chunk(chunk, blanks, last_number)
            chunk, blanks = [], 0
    yield _Chunk(chunk, blanks, last_number)


def _receive(
    session: Session,
    *,
    batch: ImportBatch,
    rows: Iterable[readers.Row],
    parser: parsing.RowParser | None,
    keyring: Keyring,
    checkpoint: Checkpoint | None,
    progress: Progress | None,
) -> None:
    """Store every row after the batch's checkpoint, in chunks; each chunk moves the
    checkpoint and the counters in the same transaction, so a killed run resumes exactly."""
    fixed = {
        "batch_id": batch.id,
        "facility_code": batch.facility_code,
        "received_at": batch.received_at,
        "revision": 0,
    }
    chunks = _chunks(rows, after=batch.checkpoint)
    if parser is not None:
        parsed = ((c, parser.parse_rows(c.rows)) for c in chunks)
    else:
        parsed = ((c, parsing.pending_rows(keyring, c.rows)) for c in chunks)
    for chunk, records in parsed:
        if records:
            db.bulk_insert(session, SourceRecord.__table__, [fixed | r for r in records])
        counts = Counter(r["status"] for r in records)
        for status, attribute in parsing.COUNTER.items():
            setattr(batch, attribute, getattr(batch, attribute) + counts.get(status, 0))
        batch.rows_read += len(records)
        batch.rows_blank += chunk.blanks
        batch.checkpoint = chunk.last_number
        batch.updated_at = utcnow()
        session.add(batch)
        session.flush()
        if checkpoint is not None:
            checkpoint()
        if progress is not None:
            progress(len(records) + chunk.blanks)


def _find_batch_by_hash(session: Session, *, facility_code: str, sha256: str) -> ImportBatch | None:
    return session.exec(
        select(ImportBatch)
        .where(
            ImportBatch.facility_code == facility_code,
            ImportBatch.file_sha256 == sha256,
            ImportBatch.status != batches.REFUSED,
        )
        .order_by(col(ImportBatch.id).desc())
    ).first()


def _finish(session: Session, *, actor: Actor, batch: ImportBatch, parsed: bool) -> None:
    batch.status = batches.DONE if parsed else batches.MAPPING
    batch.completed_at = utcnow() if parsed else None
    session.add(batch)
    audit.record(
        session,
        actor=actor,
        action="import.upload",
        target=f"batch:{batch.id} facility:{batch.facility_code} rows:{batch.rows_read}",
    )
    session.flush()
    log.info(
        "import batch %s facility %s: %s rows read, %s accepted, %s warned, %s quarantined",
        batch.id,
        batch.facility_code,
        batch.rows_read,
        batch.rows_accepted,
        batch.rows_warned,
        batch.rows_quarantined,
    )


def _refuse(
    session: Session,
    *,
    actor: Actor,
    batch: ImportBatch,
    message: str,
    checkpoint: Checkpoint | None,
) -> None:
    """A refused file keeps no rows (never half a batch) but the attempt stays on record."""
    session.execute(delete(SourceRecord).where(col(SourceRecord.batch_id) == batch.id))
    for attribute in (*parsing.COUNTER.values(), "rows_read", "rows_blank", "checkpoint"):
        setattr(batch, attribute, 0)
    batch.status, batch.error, batch.completed_at = batches.REFUSED, message[:500], utcnow()
    session.add(batch)
    audit.record(
        session,
        actor=actor,
        action="import.upload",
        outcome=audit.FAILED,
        target=f"batch:{batch.id} facility:{batch.facility_code} refused",
    )
    session.flush()
    if checkpoint is not None:
        checkpoint()


def import_file(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    facility_code: str,
    path: Path,
    door: Door,
    sheet: str | None = None,
    limits: readers.Limits = readers.Limits(),
    mapping: Mapping[str, str | None] | None = None,
    accept_suggested: bool = False,
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> IntakeResult:
    """Receive one file for a facility. The same file again is a no-op that says so; a batch
    left half-received by a killed run is resumed after its checkpoint. Rows are parsed at
    once when the facility has a mapping covering the header (or `mapping` is given, or
    `accept_suggested`), else they wait for the mapping page. A refused file (limits, type,
    encoding) returns a batches.REFUSED batch with the reason. Raises NotFound, PermissionDenied."""
    facilities_service.get_facility_for_upload(session, actor=actor, code=facility_code)
    sha256 = readers.file_sha256(path)
    facilities_service.lock_facility(session, facility_code)
    existing = _find_batch_by_hash(session, facility_code=facility_code, sha256=sha256)
    if existing is not None and existing.status != batches.RECEIVING:
        if existing.status == batches.MAPPING and (mapping is not None or accept_suggested):
            apply_mapping(
                session,
                actor=actor,
                keyring=keyring,
                batch_id=existing.id or 0,
                columns=mapping
                or suggest_for(session, facility_code=facility_code, header=existing.header),
                today=today,
            )
            return IntakeResult(batch=existing, duplicate=True, mapped=True)
        return IntakeResult(
            batch=existing, duplicate=True, suggested=_suggestion_if_waiting(session, existing)
        )

    if existing is not None and utcnow() - aware(existing.updated_at) < RECEIVING_LEASE:
        raise Conflict(
            f"이 파일을 지금 받고 있습니다 (묶음 #{existing.id}). 끝나면 결과를 확인하세요. "
            f"멈춘 것이라면 {RECEIVING_LEASE.seconds}초 뒤 다시 실행하면 이어 받습니다."
        )
    batch = existing
    try:
        with readers.open_table(path, limits=limits, sheet=sheet, filename=door.filename) as table:
            info = table.info
            if mapping is not None:
                validate_mapping(table.header, mapping)  # before anything is stored
            if batch is None:
                batch = _new_batch(
                    actor,
                    facility_code=facility_code,
                    source=door.source,
                    filename=(door.filename or path.name)[:200],
                    file_sha256=sha256,
                    file_size=info.size,
                    file_format=info.format,
                    encoding=info.encoding,
                    encoding_label=info.encoding_label,
                    sheet=info.sheet,
                    header=table.header,
                )
                session.add(batch)
                session.flush()
                if checkpoint is not None:
                    checkpoint()
            resumed = batch.checkpoint > 0
            columns = _choose_mapping(
                session,
                actor=actor,
                batch=batch,
                mapping=mapping,
                accept_suggested=accept_suggested,
            )
            parser = _parser(session, batch=batch, columns=columns, keyring=keyring, today=today)
            _receive(
                session,
                batch=batch,
                rows=table.rows(),
                parser=parser,
                keyring=keyring,
                checkpoint=checkpoint,
                progress=progress,
            )
            if parser is not None and batch.rows_pending:
                # An earlier, interrupted run stored these before the mapping was known.
                _parse_stored(
                    session, batch=batch, parser=parser, keyring=keyring, only_pending=True
                )
    except readers.FileRefused as exc:
        if batch is None:
            batch = _refused_batch(
                session,
                actor=actor,
                facility_code=facility_code,
                path=path,
                door=door,
                sha256=sha256,
            )
        _refuse(session, actor=actor, batch=batch, message=exc.message, checkpoint=checkpoint)
        return IntakeResult(batch=batch)
    _finish(session, actor=actor, batch=batch, parsed=parser is not None)
    return IntakeResult(
        batch=batch, resumed=resumed, suggested=_suggestion_if_waiting(session, batch)
    )


def _suggestion_if_waiting(session: Session, batch: ImportBatch) -> dict[str, str | None] | None:
    if batch.status != batches.MAPPING:
        return None
    return suggest_for(session, facility_code=batch.facility_code, header=batch.header)


def _new_batch(actor: Actor, **fields: Any) -> ImportBatch:
    """A batch in RECEIVING, recorded with who sent it (an account or a facility's token)."""
    return ImportBatch(
        status=batches.RECEIVING,
        uploaded_by=actor.user_id,
        token_id=actor.token_id,
        uploaded_by_label=actor.label[:60],
        **fields,
    )


def _refused_batch(
    session: Session, *, actor: Actor, facility_code: str, path: Path, door: Door, sha256: str
) -> ImportBatch:
    batch = _new_batch(
        actor,
        facility_code=facility_code,
        source=door.source,
        filename=(door.filename or path.name)[:200],
        file_sha256=sha256,
        file_size=path.stat().st_size,
        file_format="?",
    )
    session.add(batch)
    session.flush()
    return batch


def _choose_mapping(
    session: Session,
    *,
    actor: Actor,
    batch: ImportBatch,
    mapping: Mapping[str, str | None] | None,
    accept_suggested: bool,
) -> dict[str, str | None] | None:
    """The mapping to parse with now, or None to wait for a person to confirm one."""
    if batch.mapping is not None:  # resuming: keep what the first part was parsed with
        return dict(batch.mapping)
    if mapping is None and accept_suggested:
        suggested = suggest_for(session, facility_code=batch.facility_code, header=batch.header)
        try:
            mapping = validate_mapping(batch.header, suggested)
        except InvalidInput:
            mapping = None  # the names alone are not enough: a person maps this file
    if mapping is not None:
        columns = validate_mapping(batch.header, mapping)
        save_mapping(session, actor=actor, facility_code=batch.facility_code, columns=columns)
    else:
        columns = _saved_mapping_for(
            session, facility_code=batch.facility_code, header=batch.header
        )
    if columns is not None:
        batch.mapping = columns
        session.add(batch)
        session.flush()
    return columns


def _parser(
    session: Session,
    *,
    batch: ImportBatch,
    columns: dict[str, str | None] | None,
    keyring: Keyring,
    today: date | None,
) -> parsing.RowParser | None:
    if columns is None:
        return None
    return batches.parser_for(
        session, batch=batch, columns=columns, keyring=keyring, today=today or today_in_seoul()
    )


def _parse_stored(
    session: Session,
    *,
    batch: ImportBatch,
    parser: parsing.RowParser,
    keyring: Keyring,
    only_pending: bool,
) -> None:
    """Parse rows already stored (all, or those still waiting for a mapping) and recount.
    A dong a person chose for a row stays."""
    last_id = 0
    while True:
        query = (
            select(
                SourceRecord.id,
                SourceRecord.raw_sealed,
                SourceRecord.dong_code,
                SourceRecord.dong_source,
            )
            .where(SourceRecord.batch_id == batch.id, col(SourceRecord.id) > last_id)
            .order_by(col(SourceRecord.id))
            .limit(CHUNK_ROWS)
        )
        if only_pending:
            query = query.where(SourceRecord.status == parsing.PENDING)
        chunk = session.exec(query).all()
        if not chunk:
            break
        updates = []
        for record_id, raw_sealed, dong_code, dong_source in chunk:
            manual = dong_code if dong_source == parsing.MANUAL_DONG else None
            fields = parser.parse(parsing.open_cells(keyring, raw_sealed), dong_override=manual)
            updates.append({"id": record_id, **fields})
            last_id = record_id
        session.execute(update(SourceRecord), updates)
    batches.recount(session, batch)


def apply_mapping(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    batch_id: int,
    columns: Mapping[str, str | None],
    today: date | None = None,
) -> ImportBatch:
    """Confirm the mapping for a batch (waiting on it, or already parsed and now re-parsed
    with a corrected mapping), save it for the facility, and parse the rows with it. Rows a
    person placed in a dong keep that dong. Raises NotFound, Conflict, InvalidInput."""
    batch = batches.get_batch(session, actor=actor, batch_id=batch_id)
    if batch.status not in (batches.MAPPING, batches.DONE):
        raise Conflict("받기를 마친 묶음만 열 매핑을 정할 수 있습니다")
    checked = validate_mapping(batch.header, columns)
    save_mapping(session, actor=actor, facility_code=batch.facility_code, columns=checked)
    batch.mapping = checked
    parser = _parser(session, batch=batch, columns=checked, keyring=keyring, today=today)
    assert parser is not None
    _parse_stored(session, batch=batch, parser=parser, keyring=keyring, only_pending=False)
    _finish(session, actor=actor, batch=batch, parsed=True)
    return batch


# --- the API door ----------------------------------------------------------------------------


def import_records(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    facility_code: str,
    records: list[dict[str, Any]],
    idempotency_key: str | None,
    today: date | None = None,
) -> IntakeResult:
    """A batch of records from a facility system, parsed at once (field names are BigCare's
    own keys or the Korean headers the mapping knows). The same key or the same payload again
    returns the first batch. Raises InvalidInput, Conflict, NotFound, PermissionDenied."""
    facilities_service.get_facility_for_upload(session, actor=actor, code=facility_code)
    if not records:
        raise InvalidInput("보낼 자료(records)가 비어 있습니다", [FieldError("records", "빈 목록")])
    if len(records) > MAX_API_RECORDS:
        raise InvalidInput(
            f"한 번에 {MAX_API_RECORDS:,}건까지 보낼 수 있습니다",
            [FieldError("records", f"{len(records):,}건")],
        )
    header: list[str] = []
    for record in records:
        for key in record:
            if key not in header:
                header.append(str(key))
    cells_of = [[_cell_text(record.get(key)) for key in header] for record in records]
    payload = json.dumps(cells_of, ensure_ascii=False) + json.dumps(header, ensure_ascii=False)
    sha256 = hashlib.sha256(payload.encode("utf-8")).hexdigest()

    facilities_service.lock_facility(session, facility_code)
    if idempotency_key:
        earlier = session.exec(
            select(ImportBatch).where(
                ImportBatch.facility_code == facility_code,
                ImportBatch.idempotency_key == idempotency_key,
            )
        ).first()
        if earlier is not None:
            if earlier.file_sha256 != sha256:
                raise Conflict("같은 Idempotency-Key로 다른 자료가 왔습니다. 새 키를 쓰세요")
            return IntakeResult(batch=earlier, duplicate=True)
    same = _find_batch_by_hash(session, facility_code=facility_code, sha256=sha256)
    if same is not None:
        return IntakeResult(batch=same, duplicate=True)

    columns = {
        key: key if key in normalize.TARGET_FIELDS else normalize.suggest_mapping([key])[key]
        for key in header
    }
    columns = validate_mapping(header, columns)
    batch = _new_batch(
        actor,
        facility_code=facility_code,
        source="api",
        file_sha256=sha256,
        file_size=len(payload.encode("utf-8")),
        file_format="json",
        encoding="utf-8",
        encoding_label="JSON (UTF-8)",
        idempotency_key=idempotency_key[:100] if idempotency_key else None,
        header=header,
        mapping=columns,
    )
    session.add(batch)
    session.flush()
    parser = _parser(session, batch=batch, columns=columns, keyring=keyring, today=today)
    rows = (readers.Row(number=i, cells=cells) for i, cells in enumerate(cells_of, start=1))
    _receive(
        session,
        batch=batch,
        rows=rows,
        parser=parser,
        keyring=keyring,
        checkpoint=None,
        progress=None,
    )
    _finish(session, actor=actor, batch=batch, parsed=True)
    return IntakeResult(batch=batch)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

"""Import batches and their rows as people see them: scoped lists, the batch page, the
quarantine (rows shown masked, every read logged), fixing a row in place, and assigning a dong
to rows whose address named only the gu."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bigcare.auth import audit
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.districts import service as districts_service
from bigcare.districts.models import Dong, Gu
from bigcare.errors import FieldError, InvalidInput, NotFound
from bigcare.facilities import normalize, parsing
from bigcare.facilities.address import Gazetteer
from bigcare.facilities.models import Facility, ImportBatch, SourceRecord, SourceRecordRevision
from bigcare.privacy import logs, phone, rrn
from bigcare.privacy.crypto import Keyring

RECEIVING, MAPPING, DONE, REFUSED = "receiving", "mapping", "done", "refused"
BATCH_STATUS_LABELS = {
    RECEIVING: "받는 중 (중단되었다면 같은 파일을 다시 올리면 이어 받습니다)",
    MAPPING: "열 매핑 확인 필요",
    DONE: "완료",
    REFUSED: "거부됨",
}
SOURCE_LABELS = {"web": "웹 업로드", "cli": "명령줄", "api": "API"}
NOT_FOUND = "자료 묶음을 찾을 수 없습니다"
ROW_NOT_FOUND = "행을 찾을 수 없습니다"
PER_PAGE = 50


def batch_query(actor: Actor) -> Select[tuple[ImportBatch, Facility]]:
    """Batches with their facility, limited to the facilities the actor may see."""
    query = select(ImportBatch, Facility).join(
        Facility, col(Facility.code) == ImportBatch.facility_code
    )
    if actor.scope_kind is ScopeKind.FACILITY:
        return query.where(Facility.code == actor.scope_code)
    return query.where(actor.dong_clause(col(Facility.dong_code)))


@dataclass
class BatchRow:
    batch: ImportBatch
    facility: Facility

    @property
    def status_label(self) -> str:
        return BATCH_STATUS_LABELS.get(self.batch.status, self.batch.status)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.batch.source, self.batch.source)

    @property
    def balanced(self) -> bool:
        """rows read = accepted + warned + quarantined (+ waiting for the mapping)."""
        b = self.batch
        return b.rows_read == b.rows_accepted + b.rows_warned + b.rows_quarantined + b.rows_pending


def list_batches(
    session: Session, *, actor: Actor, facility_code: str | None = None, page: int = 1
) -> tuple[list[BatchRow], int]:
    """Batches in scope, newest first, one page, and how many there are in all."""
    query = batch_query(actor)
    if facility_code:
        query = query.where(ImportBatch.facility_code == facility_code)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(ImportBatch.id).desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return [BatchRow(b, f) for b, f in rows], int(total)


def get_batch_row(session: Session, *, actor: Actor, batch_id: int) -> BatchRow:
    """One batch in scope. Raises NotFound (also out of scope, logged as such)."""
    found = session.exec(batch_query(actor).where(ImportBatch.id == batch_id)).first()
    if found is None:
        audit.record_unseen(
            session,
            actor=actor,
            action="import.read",
            model=ImportBatch,
            key=batch_id,
            target=f"batch:{batch_id}",
        )
        raise NotFound(NOT_FOUND)
    return BatchRow(*found)


def get_batch(session: Session, *, actor: Actor, batch_id: int) -> ImportBatch:
    """One batch in scope. Raises NotFound."""
    return get_batch_row(session, actor=actor, batch_id=batch_id).batch


@dataclass
class Finding:
    """One kind of problem in a batch: which column, what, how many rows."""

    column: str
    message: str
    error: bool
    rows: int


@dataclass
class BatchView:
    row: BatchRow
    findings: list[Finding]
    mapping: list[tuple[str, str]]  # (header, field label or "원본만 보관")


def get_batch_view(session: Session, *, actor: Actor, batch_id: int) -> BatchView:
    """The batch page: counts, what went wrong by column (no values), the mapping used."""
    row = get_batch_row(session, actor=actor, batch_id=batch_id)
    batch = row.batch
    counts: Counter[tuple[str, str, bool]] = Counter()
    problems = session.exec(
        select(SourceRecord.problems).where(
            SourceRecord.batch_id == batch.id,
            col(SourceRecord.status).in_([parsing.WARNED, parsing.QUARANTINED]),
        )
    ).all()
    for listed in problems:
        for p in listed:
            counts[(p["column"], p["message"], p["error"])] += 1
    findings = [
        Finding(column=c, message=m, error=e, rows=n)
        for (c, m, e), n in sorted(counts.items(), key=lambda kv: (not kv[0][2], -kv[1]))
    ]
    mapping = [
        (h, normalize.TARGET_FIELDS.get(t, t) if t else "원본만 보관")
        for h, t in (batch.mapping or {}).items()
    ]
    return BatchView(row=row, findings=findings, mapping=mapping)


# --- rows ------------------------------------------------------------------------------------


def mask_cell(cell: str) -> str:
    """A received value fit to show: an RRN as 800101-1******, a phone as 010-****-5678,
    and any RRN or phone inside other text masked the same way (a 비고 column can hold one),
    whichever column it came in (before a mapping exists, nobody knows)."""
    if not cell.strip():
        return cell
    if phone.normalize_phone(cell) is not None:
        return phone.mask_phone(cell)
    return logs.redact(rrn.mask_rrns_in(cell))


def _masked_cells(batch: ImportBatch, cells: list[str]) -> list[str]:
    return [mask_cell(cell) for cell in cells]


@dataclass
class RowView:
    record: SourceRecord
    cells: list[tuple[str, str]]  # (header, masked value)
    extra: list[str] = field(default_factory=list)  # masked cells beyond the header (ragged)

    @property
    def status_label(self) -> str:
        return parsing.ROW_STATUS_LABELS.get(self.record.status, self.record.status)

    @property
    def messages(self) -> list[str]:
        """ "12행 주민등록번호: ..." for every problem of this row."""
        return [
            f"{self.record.row_number}행 {p['column']}: {p['message']}"
            if p["column"]
            else f"{self.record.row_number}행: {p['message']}"
            for p in self.record.problems
        ]


def _row_view(batch: ImportBatch, record: SourceRecord, keyring: Keyring) -> RowView:
    cells = _masked_cells(batch, parsing.open_cells(keyring, record.raw_sealed))
    width = len(batch.header)
    padded = cells + [""] * (width - len(cells))
    return RowView(
        record=record,
        cells=list(zip(batch.header, padded[:width], strict=True)),
        extra=cells[width:],
    )


def list_rows(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    batch_id: int,
    status: str | None = None,
    page: int = 1,
) -> tuple[BatchRow, list[RowView], int]:
    """A page of a batch's rows (masked), optionally one status. The read is access-logged."""
    row = get_batch_row(session, actor=actor, batch_id=batch_id)
    query = select(SourceRecord).where(SourceRecord.batch_id == batch_id)
    if status:
        query = query.where(SourceRecord.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    records = session.exec(
        query.order_by(col(SourceRecord.row_number)).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    audit.record(
        session,
        actor=actor,
        action="import.rows.read",
        target=f"batch:{batch_id} status:{status or 'all'} page:{page} rows:{len(records)}",
    )
    return row, [_row_view(row.batch, r, keyring) for r in records], int(total)


@dataclass
class RowDetail:
    batch: BatchRow
    row: RowView
    revisions: list[SourceRecordRevision]


def _record(session: Session, *, batch_id: int, row_number: int) -> SourceRecord:
    record = session.exec(
        select(SourceRecord).where(
            SourceRecord.batch_id == batch_id, SourceRecord.row_number == row_number
        )
    ).first()
    if record is None:
        raise NotFound(ROW_NOT_FOUND)
    return record


def get_row(
    session: Session, *, actor: Actor, keyring: Keyring, batch_id: int, row_number: int
) -> RowDetail:
    """One row with its history. Access-logged. Raises NotFound."""
    batch = get_batch_row(session, actor=actor, batch_id=batch_id)
    record = _record(session, batch_id=batch_id, row_number=row_number)
    audit.record(
        session, actor=actor, action="import.rows.read", target=f"batch:{batch_id} row:{row_number}"
    )
    revisions = session.exec(
        select(SourceRecordRevision)
        .where(SourceRecordRevision.record_id == record.id)
        .order_by(col(SourceRecordRevision.revision).desc())
    ).all()
    return RowDetail(
        batch=batch, row=_row_view(batch.batch, record, keyring), revisions=list(revisions)
    )


def load_gazetteer(session: Session) -> Gazetteer:
    """Seoul's gu and dongs by name, for resolving addresses."""
    rows = session.exec(
        select(Dong.code, Dong.gu_code, Gu.name, Dong.name).join(Gu, col(Gu.code) == Dong.gu_code)
    ).all()
    return Gazetteer(rows)


def parser_for(
    session: Session,
    *,
    batch: ImportBatch,
    columns: dict[str, str | None],
    keyring: Keyring,
    today: date,
) -> parsing.RowParser:
    """The parser for a batch's rows with this mapping."""
    return parsing.RowParser(
        header=batch.header,
        columns=columns,
        keyring=keyring,
        gazetteer=load_gazetteer(session),
        today=today,
        spreadsheet=batch.file_format in ("xlsx", "xls"),
    )


def _reparse(
    session: Session,
    *,
    batch: ImportBatch,
    record: SourceRecord,
    cells: list[str],
    keyring: Keyring,
    today: date,
    dong_override: str | None = None,
) -> None:
    """Parse the row again with the batch's mapping; move the batch's counters with it."""
    parser = parser_for(
        session, batch=batch, columns=dict(batch.mapping or {}), keyring=keyring, today=today
    )
    if dong_override is None and record.dong_source == parsing.MANUAL_DONG:
        dong_override = record.dong_code  # a fix keeps the dong a person chose
    fields: dict[str, Any] = parser.parse(cells, dong_override=dong_override)
    before = parsing.COUNTER[record.status]
    setattr(batch, before, getattr(batch, before) - 1)
    for name, value in fields.items():
        setattr(record, name, value)
    after = parsing.COUNTER[record.status]
    setattr(batch, after, getattr(batch, after) + 1)


def _keep_revision(
    session: Session, *, actor: Actor, record: SourceRecord, kind: str, changed: list[str]
) -> None:
    session.add(
        SourceRecordRevision(
            record_id=record.id or 0,
            revision=record.revision,
            kind=kind,
            raw_sealed=record.raw_sealed,
            status=record.status,
            problems=list(record.problems),
            dong_code=record.dong_code,
            changed=changed,
            changed_by=actor.user_id,
            changed_by_label=actor.label[:60],
        )
    )
    record.revision += 1


def fix_row(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    batch_id: int,
    row_number: int,
    submitted: list[str],
    today: date,
) -> SourceRecord:
    """Correct a row's values in place: the old row is kept as a revision, the new values
    re-enter the pipeline. A field left as shown (masked) keeps its received value.
    Raises NotFound, InvalidInput."""
    batch = get_batch(session, actor=actor, batch_id=batch_id)
    if batch.mapping is None:
        raise InvalidInput("열 매핑을 먼저 확인해 주세요")
    record = _record(session, batch_id=batch_id, row_number=row_number)
    original = parsing.open_cells(keyring, record.raw_sealed)
    shown = _masked_cells(batch, original)
    width = len(batch.header)
    if len(submitted) != width:
        raise InvalidInput(
            "입력 칸 수가 머리글과 다릅니다", [FieldError("cells", f"{width}칸이 필요합니다")]
        )
    padded = original + [""] * (width - len(original))
    shown += [""] * (width - len(shown))
    cells = [
        old if new == seen else new.strip()
        for old, seen, new in zip(padded[:width], shown[:width], submitted, strict=True)
    ]
    changed = [h for h, old, new in zip(batch.header, padded, cells, strict=False) if old != new]
    if len(original) != width:
        changed.append("(열 개수)")
    if not changed:
        raise InvalidInput("바뀐 값이 없습니다. 고칠 칸의 값을 바꾼 뒤 저장하세요")
    _keep_revision(session, actor=actor, record=record, kind="fix", changed=changed)
    record.raw_sealed = parsing.seal_cells(keyring, cells)
    _reparse(session, batch=batch, record=record, cells=cells, keyring=keyring, today=today)
    session.add_all([record, batch])
    audit.record(
        session,
        actor=actor,
        action="import.row.fix",
        target=f"batch:{batch_id} row:{row_number} columns:{len(changed)}",
    )
    session.flush()
    return record


# --- dong assignment -------------------------------------------------------------------------


def _placeable_query(
    actor: Actor, *, include_placed: bool = False
) -> Select[tuple[SourceRecord, Gu, Facility]]:
    """Rows kept at gu level (no dong) that the actor may place: a facility its own rows,
    centre staff and managers the rows in their gu. include_placed adds rows a person has
    already placed, so a wrong choice can be corrected."""
    waiting = col(SourceRecord.dong_code).is_(None)
    if include_placed:
        waiting = waiting | (SourceRecord.dong_source == parsing.MANUAL_DONG)
    query = (
        select(SourceRecord, Gu, Facility)
        .join(Gu, col(Gu.code) == SourceRecord.gu_code)
        .join(Facility, col(Facility.code) == SourceRecord.facility_code)
        .where(waiting, col(SourceRecord.status).in_([parsing.ACCEPTED, parsing.WARNED]))
    )
    match actor.scope_kind:
        case ScopeKind.FACILITY:
            return query.where(SourceRecord.facility_code == actor.scope_code)
        case ScopeKind.GU:
            return query.where(SourceRecord.gu_code == actor.scope_code)
        case ScopeKind.DONG:
            return query.where(SourceRecord.gu_code == (actor.scope_code or "")[:5])
    return query


@dataclass
class UnassignedRow:
    """One address waiting for a dong: its first row, and how many rows share it."""

    record: SourceRecord
    gu: Gu
    facility: Facility
    candidates: list[Dong]
    rows: int = 1


def list_unassigned(
    session: Session, *, actor: Actor, page: int = 1
) -> tuple[list[UnassignedRow], int]:
    """Addresses whose rows wait for a person to choose their dong (one choice places every
    row with that address), most rows first, with the gu's dongs to choose from."""
    waiting = _placeable_query(actor).subquery()
    groups = (
        select(func.min(waiting.c.id).label("first_id"), func.count().label("rows"))
        .group_by(waiting.c.gu_code, waiting.c.address)
        .subquery()
    )
    total = session.exec(select(func.count()).select_from(groups)).one()
    found = session.exec(
        select(groups.c.first_id, groups.c.rows)
        .order_by(groups.c.rows.desc(), groups.c.first_id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    if found:
        audit.record(
            session, actor=actor, action="import.rows.read", target=f"unassigned page:{page}"
        )
    dongs: dict[str, list[Dong]] = {}
    rows = []
    for first_id, count in found:
        record, gu, facility = session.exec(
            _placeable_query(actor).where(SourceRecord.id == first_id)
        ).one()
        if gu.code not in dongs:
            dongs[gu.code] = districts_service.list_dongs(session, gu_code=gu.code)
        rows.append(UnassignedRow(record, gu, facility, dongs[gu.code], int(count)))
    return rows, int(total)


def assign_dong(
    session: Session, *, actor: Actor, keyring: Keyring, record_id: int, dong_code: str, today: date
) -> list[SourceRecord]:
    """Place a gu-level row, and every waiting row in scope with the same address, in one of
    its gu's dongs (each kept as a revision). Raises NotFound, InvalidInput."""
    found = session.exec(
        _placeable_query(actor, include_placed=True).where(SourceRecord.id == record_id)
    ).first()
    if found is None:
        raise NotFound(ROW_NOT_FOUND)
    chosen = found[0]
    dong = session.get(Dong, dong_code)
    if dong is None or dong.gu_code != chosen.gu_code:
        raise InvalidInput(
            "이 행의 자치구에 속한 행정동을 고르세요", [FieldError("dong_code", "다른 구의 동")]
        )
    same_address = [
        record
        for record, _, _ in session.exec(
            _placeable_query(actor).where(
                SourceRecord.gu_code == chosen.gu_code,
                SourceRecord.address == chosen.address,
                SourceRecord.id != chosen.id,
            )
        ).all()
    ]
    for record in [chosen, *same_address]:
        batch = session.get(ImportBatch, record.batch_id)
        assert batch is not None
        _keep_revision(session, actor=actor, record=record, kind="dong", changed=["행정동"])
        cells = parsing.open_cells(keyring, record.raw_sealed)
        _reparse(
            session,
            batch=batch,
            record=record,
            cells=cells,
            keyring=keyring,
            today=today,
            dong_override=dong.code,
        )
        record.dong_code = dong.code
        session.add_all([record, batch])
    audit.record(
        session,
        actor=actor,
        action="import.row.dong",
        target=(
            f"batch:{chosen.batch_id} row:{chosen.row_number} dong:{dong.code} "
            f"rows:{1 + len(same_address)}"
        ),
    )
    session.flush()
    return [chosen, *same_address]


def count_unassigned(session: Session, *, actor: Actor) -> int:
    query = _placeable_query(actor)
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def list_problems(
    session: Session, *, actor: Actor, batch_id: int, limit: int = 1000
) -> tuple[ImportBatch, list[tuple[int, dict[str, Any]]]]:
    """A batch and its rows' problems in row order (row number, problem), values never
    included: what a facility system needs to correct and resend. Raises NotFound."""
    batch = get_batch(session, actor=actor, batch_id=batch_id)
    found = session.exec(
        select(SourceRecord.row_number, SourceRecord.problems)
        .where(
            SourceRecord.batch_id == batch_id,
            col(SourceRecord.status).in_([parsing.WARNED, parsing.QUARANTINED]),
        )
        .order_by(col(SourceRecord.row_number))
        .limit(limit)
    ).all()
    return batch, [(number, p) for number, problems in found for p in problems]


def recount(session: Session, batch: ImportBatch) -> None:
    """Set the batch's row counters from its rows (after a whole batch is parsed again)."""
    counts = dict(
        session.exec(
            select(SourceRecord.status, func.count())
            .where(SourceRecord.batch_id == batch.id)
            .group_by(SourceRecord.status)
        ).all()
    )
    for status, counter in parsing.COUNTER.items():
        setattr(batch, counter, int(counts.get(status, 0)))
    session.add(batch)

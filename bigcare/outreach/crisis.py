"""Crisis signals (단전·단수·단가스, 건강보험료 체납) read from the crisis agencies' source rows
once they are linked to a person, their risk score, and marking them assessed after a visit."""

import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from bigcare import db
from bigcare.facilities import normalize, parsing
from bigcare.facilities.models import Facility, ImportBatch, SourceRecord
from bigcare.linkage.models import RecordLink
from bigcare.outreach.models import CrisisSignal
from bigcare.privacy.crypto import Keyring

log = logging.getLogger(__name__)

CRISIS_TYPE = "CRISIS_AGENCY"
CHUNK = 2000

# Base score by kind: a power cut threatens heating, food and medical devices at once.
KIND_WEIGHTS = {"단전": 40, "단가스": 35, "단수": 35, "건보체납": 25, "기타": 20}
# Words in the agency's 구분 cell that name each kind (checked in this order).
_KIND_WORDS = (
    ("단가스", ("단가스", "가스")),
    ("단수", ("단수", "수도")),
    ("단전", ("단전", "전기", "전력")),
    ("건보체납", ("건강보험", "건보", "보험료")),
)
# The agencies' column names (layouts in synth/layouts.py), a few spellings each.
_KIND_COLUMNS = ("구분", "위기유형", "유형")
_MONTHS_COLUMNS = ("체납개월", "체납개월수", "체납기간")
_AMOUNT_COLUMNS = ("체납액", "체납금액", "체납보험료", "체납료")
_CUT_COLUMNS = ("공급중단일", "중단일", "단전일", "단수일")
_INSURANCE_COLUMNS = ("체납보험료",)
_NUMBER_RE = re.compile(r"[0-9]+")


def signal_score(*, kind: str, months: int, amount: int, cut: bool) -> float:
    """One signal's risk, 0–100: the kind's weight (단전 40, 단수/단가스 35, 건보체납 25,
    기타 20) + 1.5 per month in arrears (up to 24 months: 36) + 1 per 50,000원 owed (up to 15)
    + 10 when a supply cut date is given (the cut happened or is scheduled)."""
    score = (
        KIND_WEIGHTS.get(kind, KIND_WEIGHTS["기타"])
        + 1.5 * min(max(months, 0), 24)
        + min(max(amount, 0) / 50_000, 15)
        + (10 if cut else 0)
    )
    return round(min(score, 100.0), 1)


def combined_score(scores: Iterable[float]) -> float:
    """A person's risk from all their open signals: the highest plus half of the others,
    capped at 100 (two agencies reporting the same household is more alarming than one)."""
    values = list(scores)
    if not values:
        return 0.0
    top = max(values)
    return round(min(top + 0.5 * (sum(values) - top), 100.0), 1)


def combined_score_sql() -> ColumnElement[float]:
    """combined_score as an aggregate over CrisisSignal.score (uncapped: for thresholds)."""
    top = func.max(CrisisSignal.score)
    return top + 0.5 * (func.sum(CrisisSignal.score) - top)


def _header_key(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip()
    return text.removeprefix("extra:").replace(" ", "")


def _cell(row: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = row.get(name)
        if value is not None and value.strip():
            return value.strip()
    return None


def _number(text: str | None) -> int | None:
    """'6개월' → 6, '1,234,000원' → 1234000; None when it holds no single number."""
    if text is None:
        return None
    found = _NUMBER_RE.findall(unicodedata.normalize("NFKC", text).replace(",", ""))
    return int(found[0]) if len(found) == 1 else None


def _kind(text: str | None, row: dict[str, str]) -> str:
    if text:
        for kind, words in _KIND_WORDS:
            if any(word in text for word in words):
                return kind
    if _cell(row, _INSURANCE_COLUMNS) is not None:
        return "건보체납"
    return "기타"


def read_signal(
    header: list[str], cells: list[str], *, received_on: date, today: date
) -> dict[str, object]:
    """A crisis row's kind, months, amount, reported_on and score. A cell that cannot be read
    leaves its field at the default: one odd value never stops the run."""
    row = {_header_key(h): c for h, c in zip(header, cells, strict=False)}
    kind = _kind(_cell(row, _KIND_COLUMNS), row)
    months = _number(_cell(row, _MONTHS_COLUMNS)) or 0
    amount = _number(_cell(row, _AMOUNT_COLUMNS)) or 0
    cut_on: date | None = None
    cut_text = _cell(row, _CUT_COLUMNS)
    if cut_text is not None:
        try:
            cut_on = normalize.parse_date(cut_text, today=today, field="service_date")
        except normalize.FieldProblem:
            cut_on = None
    # A scheduled cut (date ahead) counts in the score; the signal is dated when received.
    reported_on = cut_on if cut_on is not None and cut_on <= today else received_on
    return {
        "kind": kind,
        "months": min(months, 999),
        "amount": min(amount, 2_000_000_000),
        "reported_on": reported_on,
        "score": signal_score(kind=kind, months=months, amount=amount, cut=cut_on is not None),
    }


def collect_crisis_signals(session: Session, *, keyring: Keyring, today: date) -> int:
    """Store a CrisisSignal for every crisis-agency row linked to a person that has none yet;
    returns how many were stored. Reads the sealed rows in chunks (ids only are logged)."""
    headers: dict[int, tuple[list[str], date]] = {}
    stored, last_id = 0, 0
    while True:
        rows = session.exec(
            select(
                SourceRecord.id,
                SourceRecord.batch_id,
                SourceRecord.raw_sealed,
                RecordLink.person_id,
            )
            .join(Facility, col(Facility.code) == col(SourceRecord.facility_code))
            .join(RecordLink, col(RecordLink.record_id) == col(SourceRecord.id))
            .outerjoin(CrisisSignal, col(CrisisSignal.record_id) == col(SourceRecord.id))
            .where(
                Facility.type_code == CRISIS_TYPE,
                col(CrisisSignal.id).is_(None),
                col(SourceRecord.id) > last_id,
            )
            .order_by(col(SourceRecord.id))
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        for record_id, batch_id, raw_sealed, person_id in rows:
            if batch_id not in headers:
                batch = session.get(ImportBatch, batch_id)
                assert batch is not None  # a foreign key
                received = db.aware(batch.received_at).astimezone(db.KST).date()
                headers[batch_id] = (list(batch.header), received)
            header, received_on = headers[batch_id]
            cells = parsing.open_cells(keyring, raw_sealed)
            values = read_signal(header, cells, received_on=received_on, today=today)
            session.add(CrisisSignal(record_id=record_id, person_id=person_id, **values))  # type: ignore[arg-type]
        session.flush()
        stored += len(rows)
        last_id = rows[-1][0]
    log.info("crisis signals: %d stored", stored)
    return stored


def mark_assessed(session: Session, *, person_id: int, on: date) -> int:
    """Mark the person's open signals assessed (a visit saw the household); the weekly crisis
    visits stop. Returns how many signals were open."""
    result = session.execute(
        update(CrisisSignal)
        .where(col(CrisisSignal.person_id) == person_id, col(CrisisSignal.assessed_on).is_(None))
        .values(assessed_on=on)
    )
    session.flush()
    return result.rowcount  # type: ignore[attr-defined, no-any-return]

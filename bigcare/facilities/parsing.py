"""One received row: its status and messages, how its cells are sealed and parsed into a
source_record's columns with the batch's mapping. Shared by intake and the quarantine fix."""

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bigcare.facilities import normalize
from bigcare.facilities.address import Gazetteer
from bigcare.facilities.models import ROW_CONTEXT, RRN_CONTEXT
from bigcare.privacy.crypto import Keyring

PENDING, ACCEPTED, WARNED, QUARANTINED = "pending", "accepted", "warned", "quarantined"
ROW_STATUS_LABELS = {
    PENDING: "매핑 대기",
    ACCEPTED: "정상",
    WARNED: "경고",
    QUARANTINED: "오류 (격리)",
}
# The batch counter each row status adds to.
COUNTER = {
    PENDING: "rows_pending",
    ACCEPTED: "rows_accepted",
    WARNED: "rows_warned",
    QUARANTINED: "rows_quarantined",
}
RAGGED = "열 개수가 머리글과 다릅니다 (머리글 {header}개, 이 행 {row}개)"
UNREADABLE = "읽을 수 없는 글자가 있습니다 (파일의 문자 인코딩을 확인하세요)"
FORMULA = "수식은 계산하지 않고 글자 그대로 보관했습니다"
# dong_source of a dong a person chose for a row (it wins over the address on every re-parse).
MANUAL_DONG = "manual"
TOO_LONG = "너무 길어 앞부분만 분석에 썼습니다 (원본은 그대로 보관)"


# A received row on its way in: (row number, cells, whether decoding failed).
RawRow = tuple[int, list[str], bool]


@dataclass
class RowParser:
    """Turns a row's cells into a source_record's columns, given the batch's mapping."""

    header: list[str]
    columns: dict[str, str | None]
    keyring: Keyring
    gazetteer: Gazetteer
    today: date
    spreadsheet: bool

    def __post_init__(self) -> None:
        self._targets = [(i, self.columns.get(h)) for i, h in enumerate(self.header)]
        self._column_of = {t: h for h, t in self.columns.items() if t}

    def parse_rows(self, rows: list[RawRow]) -> list[dict[str, Any]]:
        """Sealed raw cells plus parsed columns for each row."""
        return [
            {
                "row_number": number,
                "raw_sealed": seal_cells(self.keyring, cells),
                **self.parse(cells, decode_error=decode_error),
            }
            for number, cells, decode_error in rows
        ]

    def column_label(self, target: str) -> str:
        return self._column_of.get(target) or normalize.TARGET_FIELDS.get(target, target)

    def parse(
        self,
        cells: list[str],
        *,
        decode_error: bool | None = None,
        dong_override: str | None = None,
    ) -> dict[str, Any]:
        """The record's columns, status and problems. `decode_error` is what the reader saw
        (a stored row is checked for U+FFFD instead); `dong_override` is a dong a person chose
        for the row, which wins over the address."""
        if decode_error is None:
            decode_error = has_decode_error(cells)
        values = {t: cells[i] for i, t in self._targets if t and i < len(cells)}
        if dong_override:
            values["dong"] = dong_override
        parsed = normalize.parse_record(values, gazetteer=self.gazetteer, today=self.today)
        problems = [
            {
                "field": p.field,
                "column": self.column_label(p.field),
                "message": p.message,
                "error": p.error,
            }
            for p in parsed.problems
        ]
        if len(cells) != len(self.header):
            message = RAGGED.format(header=len(self.header), row=len(cells))
            problems.append({"field": "row", "column": "", "message": message, "error": True})
        if decode_error:
            problems.append({"field": "row", "column": "", "message": UNREADABLE, "error": True})
        if self.spreadsheet:
            for i, cell in enumerate(cells):
                if cell.startswith("=") and i < len(self.header):
                    column = self.header[i]
                    problems.append(
                        {"field": "cell", "column": column, "message": FORMULA, "error": False}
                    )
        fields = record_fields(parsed, self.keyring)
        for name, limit in LIMITS.items():
            value = fields.get(name)
            if isinstance(value, str) and len(value) > limit:
                fields[name] = value[:limit]
                label = self.column_label(name if name != "household_key" else "household_id")
                problems.append(
                    {"field": name, "column": label, "message": TOO_LONG, "error": False}
                )
        if any(p["error"] for p in problems):
            status = QUARANTINED
        elif problems:
            status = WARNED
        else:
            status = ACCEPTED
        if dong_override:
            fields["dong_source"] = MANUAL_DONG
        return {"status": status, "problems": problems, **fields}


# Text columns of source_record and their lengths (names are capped by the parser itself).
LIMITS = {
    "address": 300,
    "legal_dong": 40,
    "road": 60,
    "building_no": 20,
    "lot_no": 20,
    "unit": 60,
    "household_key": 60,
    "client_id": 60,
    "service_name": 100,
}
EMPTY_FIELDS: dict[str, Any] = {
    "name": None,
    "rrn_sealed": None,
    "rrn_index": None,
    "rrn_masked": None,
    "birth_date": None,
    "sex": None,
    "foreigner": None,
    "phone": None,
    "home_phone": None,
    "address": None,
    "address_kind": None,
    "gu_code": None,
    "dong_code": None,
    "dong_source": None,
    "legal_dong": None,
    "road": None,
    "building_no": None,
    "lot_no": None,
    "unit": None,
    "relation": None,
    "household_key": None,
    "client_id": None,
    "service_name": None,
    "service_date": None,
}


def record_fields(parsed: normalize.ParsedRecord, keyring: Keyring) -> dict[str, Any]:
    address = parsed.address
    return {
        "name": parsed.name,
        "rrn_sealed": keyring.seal(parsed.rrn, context=RRN_CONTEXT) if parsed.rrn else None,
        "rrn_index": keyring.blind_index(parsed.rrn, context=RRN_CONTEXT) if parsed.rrn else None,
        "rrn_masked": parsed.rrn_masked,
        "birth_date": parsed.birth_date,
        "sex": parsed.sex,
        "foreigner": parsed.foreigner,
        "phone": parsed.phone,
        "home_phone": parsed.home_phone,
        "address": address.text if address else None,
        "address_kind": address.kind if address else None,
        "gu_code": address.gu_code if address else None,
        "dong_code": address.dong_code if address else None,
        "dong_source": address.dong_source if address else None,
        "legal_dong": address.legal_dong if address else None,
        "road": address.road if address else None,
        "building_no": address.building_no if address else None,
        "lot_no": address.lot_no if address else None,
        "unit": address.unit if address else None,
        "relation": parsed.relation,
        "household_key": parsed.household_id,
        "client_id": parsed.client_id,
        "service_name": parsed.service_name,
        "service_date": parsed.service_date,
    }


def seal_cells(keyring: Keyring, cells: list[str]) -> str:
    return keyring.seal(json.dumps(cells, ensure_ascii=False), context=ROW_CONTEXT)


def open_cells(keyring: Keyring, raw_sealed: str) -> list[str]:
    """A row's cells as received (the caller logs the read)."""
    return [str(cell) for cell in json.loads(keyring.open(raw_sealed, context=ROW_CONTEXT))]


def pending_rows(keyring: Keyring, rows: list[RawRow]) -> list[dict[str, Any]]:
    """Rows stored before their mapping is known: sealed, not parsed yet."""
    return [
        {
            "row_number": number,
            "raw_sealed": seal_cells(keyring, cells),
            "status": PENDING,
            "problems": [],
            **EMPTY_FIELDS,
        }
        for number, cells, _ in rows
    ]


def has_decode_error(cells: list[str]) -> bool:
    """Whether a stored row carries a character the file's encoding could not decode."""
    return any("\ufffd" in cell for cell in cells)

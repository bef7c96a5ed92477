"""The intake service: every received row kept (sealed), parsed field by field, quarantined
with a message naming row and column; mappings confirmed once and reused; re-uploads, fixes,
dong assignment, the API door and the limits."""

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor, actor_for
from bigcare.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bigcare.facilities import batches, intake, normalize, parsing, readers
from bigcare.facilities.models import (
    RRN_CONTEXT,
    ImportBatch,
    SourceRecord,
    SourceRecordRevision,
)
from bigcare.privacy.crypto import Keyring
from bigcare.privacy.rrn import RRN_PATTERN
from tests.factories import make_facility, make_user

TODAY = date(2026, 11, 25)
HEADER = ["이용자명", "주민번호", "휴대폰", "주소", "행정동", "제공서비스", "이용일", "비고"]
GOOD = ["김철수", "500302-1234560", "01012345678", "서울특별시 강남구 개포로 123", "개포1동"]
ROWS = [
    [*GOOD, "도시락 배달", "2026.11.02", "메모"],
    # An impossible birth date inside the RRN: quarantined.
    [
        "이영희",
        "501345-2234567",
        "010-9876-5432",
        "서울 강남구 개포로 5",
        "개포1동",
        "밑반찬",
        "",
        "",
    ],
    # Gu only (no dong column value, a road address): kept at gu level with a warning.
    ["박민수", "450101-1234563", "02-123-4567", "서울특별시 강남구 없는로 7", "", "", "", ""],
    ["", "", "", "", "", "", "", ""],  # blank: not a record
    # No RRN and no birth date: nobody could be identified.
    ["최무명", "", "", "서울 강남구 개포로 9", "개포1동", "", "", ""],
]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "cp949"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def uploader(session: Session) -> Actor:
    facility = make_facility(session)
    user = make_user(session, role=Role.FACILITY_UPLOADER, scope_code=facility.code)
    return actor_for(user)


def _import(session: Session, actor: Actor, keyring: Keyring, path: Path, **kw: object):
    values: dict[str, object] = {
        "actor": actor,
        "keyring": keyring,
        "facility_code": actor.scope_code,
        "path": path,
        "door": intake.Door(source="web", filename=path.name),
        "today": TODAY,
    }
    return intake.import_file(session, **(values | kw))  # type: ignore[arg-type]


def _records(session: Session, batch: ImportBatch) -> dict[int, SourceRecord]:
    rows = session.exec(select(SourceRecord).where(SourceRecord.batch_id == batch.id)).all()
    return {r.row_number: r for r in rows}


def _balanced(batch: ImportBatch) -> bool:
    return batch.rows_read == (
        batch.rows_accepted + batch.rows_warned + batch.rows_quarantined + batch.rows_pending
    )


def test_first_upload_waits_for_mapping_then_parses_every_row(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)

    result = _import(session, uploader, keyring, path)

    batch = result.batch
    assert batch.status == batches.MAPPING and batch.encoding == "cp949"
    assert (batch.rows_read, batch.rows_pending, batch.rows_blank) == (4, 4, 1)
    suggested = intake.suggest_for(session, facility_code=batch.facility_code, header=HEADER)
    assert suggested["이용자명"] == "name" and suggested["주민번호"] == "rrn"
    assert suggested["비고"] is None

    intake.apply_mapping(
        session, actor=uploader, keyring=keyring, batch_id=batch.id, columns=suggested, today=TODAY
    )

    assert batch.status == batches.DONE and _balanced(batch)
    assert (batch.rows_accepted + batch.rows_warned, batch.rows_quarantined) == (2, 2)
    rows = _records(session, batch)
    assert sorted(rows) == [2, 3, 4, 6]  # record numbers as Excel shows them; 5 was blank
    kim = rows[2]
    assert (kim.name, kim.birth_date, kim.sex, kim.phone) == (
        "김철수",
        date(1950, 3, 2),
        "M",
        "010-1234-5678",
    )
    assert (kim.gu_code, kim.dong_code, kim.rrn_masked) == ("11230", "1123068", "500302-1******")
    assert (kim.service_name, kim.service_date) == ("도시락 배달", date(2026, 11, 2))
    assert keyring.open(kim.rrn_sealed or "", context=RRN_CONTEXT) == "500302-1234560"
    assert kim.rrn_index == keyring.blind_index("500302-1234560", context=RRN_CONTEXT)
    # The raw row is kept exactly as received, unknown column included.
    assert parsing.open_cells(keyring, kim.raw_sealed) == ROWS[0]


def test_quarantine_messages_name_row_column_and_problem(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    batch = _import(session, uploader, keyring, path, accept_suggested=True).batch

    view = batches.list_rows(
        session, actor=uploader, keyring=keyring, batch_id=batch.id, status=parsing.QUARANTINED
    )[1]
    messages = [m for row in view for m in row.messages]

    assert "3행 주민번호: 생년월일 부분이 올바른 날짜가 아닙니다" in messages
    assert "6행 주민번호: 주민등록번호나 생년월일 중 하나는 있어야 합니다" in messages
    park = _records(session, batch)[4]
    assert park.status == parsing.WARNED and park.gu_code == "11230" and park.dong_code is None
    # Shown cells are masked; the read is in the access log.
    shown = " ".join(v for row in view for _, v in row.cells)
    assert RRN_PATTERN.search(shown) is None
    assert "2234567" not in shown  # the back half of an RRN with an impossible date, too
    logged = session.exec(
        select(AccessLog.target).where(
            AccessLog.action == "import.rows.read", AccessLog.user_id == uploader.user_id
        )
    ).all()
    assert any(f"batch:{batch.id}" in t for t in logged)


def test_no_plaintext_rrn_or_phone_is_stored_outside_sealed_columns(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    batch = _import(session, uploader, keyring, path, accept_suggested=True).batch

    for record in _records(session, batch).values():
        stored = " ".join(
            str(getattr(record, c)) for c in SourceRecord.model_fields if c not in ("rrn_masked",)
        )
        assert "1234560" not in stored and "2234567" not in stored
        assert RRN_PATTERN.search(stored) is None


def test_same_file_again_is_a_no_op_that_says_so(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    first = _import(session, uploader, keyring, path, accept_suggested=True)
    count = session.exec(select(func.count()).select_from(SourceRecord)).one()

    again = _import(session, uploader, keyring, path)

    assert again.duplicate and again.batch.id == first.batch.id
    assert session.exec(select(func.count()).select_from(SourceRecord)).one() == count


def test_confirmed_mapping_is_reused_and_new_columns_ask_again(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "1.csv", HEADER, ROWS)
    chosen = normalize.suggest_mapping(HEADER)
    chosen["비고"] = None
    batch = _import(session, uploader, keyring, first, mapping=chosen).batch
    assert batch.status == batches.DONE

    # Same columns, new rows: parsed at once with the saved mapping.
    second = _import(session, uploader, keyring, write_csv(tmp_path / "2.csv", HEADER, ROWS[:1]))
    assert second.batch.status == batches.DONE and second.batch.rows_accepted == 1

    # A column never seen before: the batch waits, the suggestion keeps the saved choices.
    header = [*HEADER, "장기요양등급"]
    third = _import(
        session, uploader, keyring, write_csv(tmp_path / "3.csv", header, [[*ROWS[0], "3등급"]])
    )
    assert third.batch.status == batches.MAPPING
    suggested = intake.suggest_for(session, facility_code=uploader.scope_code, header=header)
    assert suggested["이용자명"] == "name" and suggested["장기요양등급"] is None


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"주민번호": "rrn"}, "성명 열을 지정해야 합니다"),
        ({"이용자명": "name", "휴대폰": "phone"}, "주민등록번호 또는 생년월일 열"),
        (
            {"이용자명": "name", "주민번호": "rrn", "비고": "name"},
            "이미 '이용자명' 열에 지정되어 있습니다",
        ),
    ],
)
def test_mapping_mistakes_are_refused_with_the_reason(
    columns: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        intake.validate_mapping(HEADER, columns)
    assert any(message in e.message for e in raised.value.errors)


def test_fixing_a_quarantined_row_reparses_it_and_keeps_its_history(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    batch = _import(session, uploader, keyring, path, accept_suggested=True).batch
    detail = batches.get_row(
        session, actor=uploader, keyring=keyring, batch_id=batch.id, row_number=3
    )
    shown = [value for _, value in detail.row.cells]
    assert shown[1] == "501345-2******"  # masked, as the form shows it
    fixed = list(shown)
    fixed[1] = "500315-2234568"  # the correct number, typed in full

    record = batches.fix_row(
        session,
        actor=uploader,
        keyring=keyring,
        batch_id=batch.id,
        row_number=3,
        submitted=fixed,
        today=TODAY,
    )

    assert record.status in (parsing.ACCEPTED, parsing.WARNED)
    assert record.birth_date == date(1950, 3, 15) and record.revision == 1
    cells = parsing.open_cells(keyring, record.raw_sealed)
    # Masked fields left as shown keep the received value (the phone here).
    assert cells[2] == "010-9876-5432" and cells[1] == "500315-2234568"
    revision = session.exec(
        select(SourceRecordRevision).where(SourceRecordRevision.record_id == record.id)
    ).one()
    assert revision.changed == ["주민번호"] and revision.status == parsing.QUARANTINED
    assert parsing.open_cells(keyring, revision.raw_sealed) == ROWS[1]
    assert batch.rows_quarantined == 1 and _balanced(batch)

    with pytest.raises(InvalidInput, match="바뀐 값이 없습니다"):
        batches.fix_row(
            session,
            actor=uploader,
            keyring=keyring,
            batch_id=batch.id,
            row_number=3,
            submitted=[
                v
                for _, v in batches.get_row(
                    session, actor=uploader, keyring=keyring, batch_id=batch.id, row_number=3
                ).row.cells
            ],
            today=TODAY,
        )


def test_gu_level_row_is_placed_in_a_dong_of_its_gu_only(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    batch = _import(session, uploader, keyring, path, accept_suggested=True).batch
    park = _records(session, batch)[4]
    waiting, total = batches.list_unassigned(session, actor=uploader)
    assert total == 1 and waiting[0].record.id == park.id
    assert "1123068" in {d.code for d in waiting[0].candidates}

    with pytest.raises(InvalidInput):
        batches.assign_dong(
            session,
            actor=uploader,
            keyring=keyring,
            record_id=park.id,
            dong_code="1122052",
            today=TODAY,
        )  # 서초2동 is not in 강남구
    batches.assign_dong(
        session,
        actor=uploader,
        keyring=keyring,
        record_id=park.id,
        dong_code="1123068",
        today=TODAY,
    )

    assert (park.dong_code, park.dong_source, park.revision) == ("1123068", "manual", 1)
    assert batches.count_unassigned(session, actor=uploader) == 0
    # Staff of another gu never see it.
    seocho = actor_for(make_user(session, role=Role.CASEWORKER, scope_code="1122052"))
    with pytest.raises(NotFound):
        batches.assign_dong(
            session,
            actor=seocho,
            keyring=keyring,
            record_id=park.id,
            dong_code="1122052",
            today=TODAY,
        )


def test_remapping_a_batch_reparses_it_and_keeps_a_chosen_dong(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    batch = _import(session, uploader, keyring, path, accept_suggested=True).batch
    park = _records(session, batch)[4]
    batches.assign_dong(
        session,
        actor=uploader,
        keyring=keyring,
        record_id=park.id,
        dong_code="1123060",
        today=TODAY,
    )
    columns = dict(batch.mapping or {})
    columns["제공서비스"] = None  # the service column was wrong after all

    intake.apply_mapping(
        session, actor=uploader, keyring=keyring, batch_id=batch.id, columns=columns, today=TODAY
    )

    session.refresh(park)
    assert park.dong_code == "1123060" and park.service_name is None
    assert _balanced(batch) and batch.rows_quarantined == 2


def test_facility_account_cannot_send_for_another_facility_and_managers_cannot_upload(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    other = make_facility(session)
    with pytest.raises(NotFound):
        _import(session, uploader, keyring, path, facility_code=other.code)
    gu_manager = actor_for(make_user(session, role=Role.GU_MANAGER, scope_code="11230"))
    with pytest.raises(PermissionDenied):
        _import(session, gu_manager, keyring, path, facility_code=other.code)
    assert (
        session.exec(select(ImportBatch).where(ImportBatch.facility_code == other.code)).all() == []
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "빈 파일입니다"),
        (b"%PDF-1.7\n...", "PDF"),
        ("이용자명,주민번호\r\n".encode("cp949"), "자료 행이 없습니다"),
        ("이용자명,이용자명\r\n김,이\r\n".encode("cp949"), "머리글이 중복됩니다"),
    ],
)
def test_refused_files_keep_no_rows_but_stay_on_record(
    content: bytes,
    message: str,
    session: Session,
    keyring: Keyring,
    uploader: Actor,
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    batch = _import(session, uploader, keyring, path).batch

    assert batch.status == batches.REFUSED and message in (batch.error or "")
    assert batch.rows_read == 0 and _records(session, batch) == {}


def test_too_many_rows_refuses_the_whole_file_never_half(
    session: Session,
    keyring: Keyring,
    uploader: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intake, "CHUNK_ROWS", 2)  # several chunks stored before the limit
    path = write_csv(tmp_path / "명단.csv", HEADER, [ROWS[0]] * 7)

    batch = _import(
        session, uploader, keyring, path, accept_suggested=True, limits=readers.Limits(max_rows=5)
    ).batch

    assert batch.status == batches.REFUSED and "행이 너무 많습니다" in (batch.error or "")
    assert _records(session, batch) == {}


def test_xlsx_with_a_chosen_sheet_formulas_kept_as_text(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "안내"
    workbook.active.append(["이 시트는 안내문입니다"])
    sheet = workbook.create_sheet("명단")
    sheet.append(["성명", "생년월일", "나이"])
    sheet.append(["김영자", date(1941, 5, 6), '=DATEDIF(B2,TODAY(),"Y")'])
    path = tmp_path / "명단.xlsx"
    workbook.save(path)

    batch = _import(session, uploader, keyring, path, sheet="명단", accept_suggested=True).batch

    assert batch.sheet == "명단" and batch.file_format == "xlsx" and batch.rows_read == 1
    record = _records(session, batch)[2]
    assert record.birth_date == date(1941, 5, 6) and record.status == parsing.WARNED
    assert parsing.open_cells(keyring, record.raw_sealed)[2].startswith("=DATEDIF")
    assert record.problems[0]["column"] == "나이"


def test_api_records_are_idempotent_by_key_and_keep_unknown_fields(
    session: Session, keyring: Keyring, uploader: Actor
) -> None:
    records = [
        {
            "성명": "김연계",
            "birth_date": "1950.03.02",
            "장기요양등급": "3등급",
            "phone": 1012345678,
        },
        {"성명": "", "rrn": "501345-1234567"},
    ]
    first = intake.import_records(
        session,
        actor=uploader,
        keyring=keyring,
        facility_code=uploader.scope_code or "",
        records=records,
        idempotency_key="k-1",
        today=TODAY,
    )
    batch = first.batch
    assert batch.source == "api" and batch.rows_read == 2 and batch.rows_quarantined == 1
    kim = _records(session, batch)[1]
    assert kim.name == "김연계" and kim.phone == "010-1234-5678"
    assert parsing.open_cells(keyring, kim.raw_sealed)[2] == "3등급"

    again = intake.import_records(
        session,
        actor=uploader,
        keyring=keyring,
        facility_code=uploader.scope_code or "",
        records=records,
        idempotency_key="k-1",
        today=TODAY,
    )
    assert again.duplicate and again.batch.id == batch.id
    with pytest.raises(Conflict):
        intake.import_records(
            session,
            actor=uploader,
            keyring=keyring,
            facility_code=uploader.scope_code or "",
            records=records[:1],
            idempotency_key="k-1",
            today=TODAY,
        )
    with pytest.raises(InvalidInput):
        intake.import_records(
            session,
            actor=uploader,
            keyring=keyring,
            facility_code=uploader.scope_code or "",
            records=[],
            idempotency_key=None,
            today=TODAY,
        )


def test_batches_are_listed_only_within_scope(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "명단.csv", HEADER, ROWS)
    mine = _import(session, uploader, keyring, path, accept_suggested=True).batch
    seocho = actor_for(make_user(session, role=Role.CASEWORKER, scope_code="1122052"))
    gaepo = actor_for(make_user(session, role=Role.CASEWORKER, scope_code="1123068"))

    assert mine.id in {r.batch.id for r in batches.list_batches(session, actor=gaepo)[0]}
    assert mine.id not in {r.batch.id for r in batches.list_batches(session, actor=seocho)[0]}
    with pytest.raises(NotFound):
        batches.get_batch(session, actor=seocho, batch_id=mine.id or 0)
    refused = session.exec(
        select(AccessLog).where(
            AccessLog.user_id == seocho.user_id, col(AccessLog.outcome) == "not_found"
        )
    ).all()
    assert refused


def test_one_dong_choice_places_every_row_with_that_address(
    session: Session, keyring: Keyring, uploader: Actor, tmp_path: Path
) -> None:
    same = ["박민수", "450101-1234563", "", "서울특별시 강남구 없는로 7", "", "목욕", "", ""]
    other = ["정다른", "450101-1234563", "", "서울특별시 강남구 없는로 9", "", "", "", ""]
    path = write_csv(tmp_path / "명단.csv", HEADER, [ROWS[2], same, other])
    batch = _import(session, uploader, keyring, path, accept_suggested=True).batch
    waiting, total = batches.list_unassigned(session, actor=uploader)
    assert total == 2 and waiting[0].rows == 2  # two addresses; the shared one first

    placed = batches.assign_dong(
        session,
        actor=uploader,
        keyring=keyring,
        record_id=waiting[0].record.id or 0,
        dong_code="1123068",
        today=TODAY,
    )

    assert {r.row_number for r in placed} == {2, 3}
    rows = _records(session, batch)
    assert rows[2].dong_code == rows[3].dong_code == "1123068" and rows[4].dong_code is None
    assert batches.count_unassigned(session, actor=uploader) == 1

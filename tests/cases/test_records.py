"""Case records as services: notes, sealed attachments judged by content, consents and the
consent a referral needs."""

import hashlib
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor, actor_for
from bigcare.cases.models import Attachment, Case, CaseNote, Consent, Referral
from bigcare.cases.records import consents, notes
from bigcare.cases.records import view as records_view
from bigcare.errors import Conflict, InvalidInput, NotFound
from bigcare.facilities.models import Facility
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_person, make_user

TODAY = date(2025, 3, 14)
DATA = Path(__file__).resolve().parent.parent / "facilities" / "data"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def make_case(session: Session, *, person: Person, **overrides: object) -> Case:
    """A case of the person in the person's dong (the workflow service is built elsewhere)."""
    values: dict[str, object] = {
        "person_id": person.id,
        "dong_code": person.dong_code,
        "stage": "intake",
        "referral_source": "자체발굴",
        "identified_on": TODAY - timedelta(days=30),
    }
    case = Case(**(values | overrides))
    session.add(case)
    session.flush()
    return case


def actor_in(session: Session, dong: str = "1123068", role: Role = Role.CASEWORKER) -> Actor:
    return actor_for(make_user(session, role=role, scope_code=dong))


@pytest.fixture
def case(session: Session, keyring: Keyring) -> Case:
    return make_case(session, person=make_person(session, keyring=keyring))


@pytest.fixture
def actor(session: Session) -> Actor:
    return actor_in(session)


def store(tmp_path: Path, max_bytes: int = 10 * 1024 * 1024) -> notes.AttachmentStore:
    return notes.AttachmentStore(folder=tmp_path / "attachments", max_bytes=max_bytes)


def field_errors(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


# --- notes ---------------------------------------------------------------------------------


def test_note_belongs_to_the_case_person_and_is_logged(
    session: Session, case: Case, actor: Actor
) -> None:
    note = notes.add_note(session, actor=actor, case_id=case.id or 0, body="  첫 상담 \r\n끝 ")

    assert (note.person_id, note.body) == (case.person_id, "첫 상담 \n끝")
    logged = session.exec(select(AccessLog).where(AccessLog.action == "case.note.create")).all()
    assert [r.subject_person_id for r in logged] == [case.person_id]


@pytest.mark.parametrize(
    ("body", "message"),
    [("   \n ", "기록할 내용을 입력하세요"), ("가" * 10_001, "10,000자까지")],
)
def test_note_blank_or_too_long_is_refused(
    session: Session, case: Case, actor: Actor, body: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        notes.add_note(session, actor=actor, case_id=case.id or 0, body=body)

    assert message in field_errors(exc)["body"]
    assert session.exec(select(CaseNote).where(CaseNote.case_id == case.id)).all() == []


def test_note_at_the_limit_is_kept(session: Session, case: Case, actor: Actor) -> None:
    note = notes.add_note(session, actor=actor, case_id=case.id or 0, body="가" * 10_000)
    assert len(note.body) == 10_000


def test_records_list_notes_newest_first(session: Session, case: Case, actor: Actor) -> None:
    for body in ("하나", "둘", "셋"):
        notes.add_note(session, actor=actor, case_id=case.id or 0, body=body)

    seen = records_view.get_case_records(session, actor=actor, case_id=case.id or 0, today=TODAY)

    assert [n.body for n in seen.notes] == ["셋", "둘", "하나"]


def test_case_in_another_dong_is_not_found_and_the_attempt_is_logged(
    session: Session, case: Case
) -> None:
    outsider = actor_in(session, dong="1122052")  # 서초2동

    with pytest.raises(NotFound):
        notes.add_note(session, actor=outsider, case_id=case.id or 0, body="남의 사례")
    with pytest.raises(NotFound):
        records_view.get_case_records(session, actor=outsider, case_id=case.id or 0, today=TODAY)

    rows = session.exec(select(AccessLog).where(AccessLog.subject_person_id == case.person_id))
    assert {(r.action, r.outcome) for r in rows} == {
        ("case.note.create", "not_found"),
        ("case.records.read", "not_found"),
    }


def test_gu_manager_reads_records_of_a_dong_in_the_gu(session: Session, case: Case) -> None:
    manager = actor_in(session, dong="11230", role=Role.GU_MANAGER)
    seen = records_view.get_case_records(session, actor=manager, case_id=case.id or 0, today=TODAY)
    assert seen.case.id == case.id


# --- attachments ---------------------------------------------------------------------------


def _zip(*names: str, mimetype: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        if mimetype is not None:
            zf.writestr("mimetype", mimetype)
        for name in names:
            zf.writestr(name, "<xml/>")
    return buffer.getvalue()


def _hwp() -> bytes:
    # The readers' sample XLS with its Workbook stream renamed as HWP 5's FileHeader.
    data = (DATA / "readers_sample.xls").read_bytes()
    at = data.index("Workbook".encode("utf-16-le") + b"\x00\x00")
    name = "FileHeader".encode("utf-16-le") + b"\x00\x00"
    return data[:at] + name.ljust(64, b"\x00") + len(name).to_bytes(2, "little") + data[at + 66 :]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PDF_BYTES, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg"),
        (_zip("[Content_Types].xml", "word/document.xml"), notes.DOCX.content_type),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), notes.XLSX.content_type),
        (_zip("ppt/presentation.xml"), notes.PPTX.content_type),
        (_zip("Contents/content.hpf", mimetype=b"application/hwp+zip"), "application/hwp+zip"),
        (_hwp(), "application/x-hwp"),
        ("상담 메모\n둘째 줄\t끝\n".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_allowed_kinds_are_told_by_content(data: bytes, content_type: str) -> None:
    assert notes.sniff(data).content_type == content_type


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"MZ\x90\x00\x03" + bytes(60), "실행 파일"),
        (_zip("payload.exe"), "압축(ZIP)"),
        ((DATA / "readers_sample.xls").read_bytes(), "구형 오피스"),
        (b"GIF89a" + bytes(10), "올릴 수 없는 파일 형식"),
        ("한글".encode("cp949") + b"\xff\xfe", "올릴 수 없는 파일 형식"),
        (b"text\x00with NUL", "올릴 수 없는 파일 형식"),
    ],
)
def test_other_kinds_are_refused(data: bytes, what: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        notes.sniff(data)
    assert what in field_errors(exc)["file"]


def test_pdf_is_stored_sealed_and_opens_back_identical_with_a_log_row(
    session: Session, case: Case, actor: Actor, keyring: Keyring, tmp_path: Path
) -> None:
    where = store(tmp_path)
    attachment = notes.add_attachment(
        session,
        actor=actor,
        keyring=keyring,
        store=where,
        case_id=case.id or 0,
        filename="C:\\서류\\소득 증빙.pdf",
        stream=io.BytesIO(PDF_BYTES),
    )

    assert attachment.filename == "소득 증빙.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    on_disk = (where.folder / attachment.stored_as).read_bytes()
    assert b"%PDF" not in on_disk and PDF_BYTES not in on_disk
    assert [p.name for p in where.folder.iterdir()] == [attachment.stored_as]

    found, data = notes.open_attachment(
        session,
        actor=actor,
        keyring=keyring,
        store=where,
        case_id=case.id or 0,
        attachment_id=attachment.id or 0,
    )
    assert (found.id, data) == (attachment.id, PDF_BYTES)
    logged = session.exec(
        select(AccessLog.action).where(AccessLog.subject_person_id == case.person_id)
    ).all()
    assert list(logged) == ["case.attachment.upload", "case.attachment.download"]


def _upload(
    session: Session,
    actor: Actor,
    keyring: Keyring,
    where: notes.AttachmentStore,
    case: Case,
    data: bytes,
    name: str,
) -> Attachment:
    return notes.add_attachment(
        session,
        actor=actor,
        keyring=keyring,
        store=where,
        case_id=case.id or 0,
        filename=name,
        stream=io.BytesIO(data),
    )


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-" + bytes(2000), "큰.pdf", "파일이 너무 큽니다: 최대 1KB"),
        (b"MZ\x90\x00" + bytes(100), "증빙.pdf", "실행 파일"),
        (b"", "빈.txt", "빈 파일입니다"),
        (PDF_BYTES, "", "올릴 파일을 고르세요"),
    ],
)
def test_refused_upload_stores_nothing(
    session: Session,
    case: Case,
    actor: Actor,
    keyring: Keyring,
    tmp_path: Path,
    data: bytes,
    name: str,
    message: str,
) -> None:
    where = store(tmp_path, max_bytes=1024)
    with pytest.raises(InvalidInput) as exc:
        _upload(session, actor, keyring, where, case, data, name)

    assert message in field_errors(exc)["file"]
    assert not where.folder.exists() or list(where.folder.iterdir()) == []
    assert session.exec(select(Attachment).where(Attachment.case_id == case.id)).all() == []


def test_upload_reads_no_more_than_one_byte_past_the_limit(
    session: Session, case: Case, actor: Actor, keyring: Keyring, tmp_path: Path
) -> None:
    stream = io.BytesIO(b"%PDF-" + bytes(10_000))
    with pytest.raises(InvalidInput):
        notes.add_attachment(
            session,
            actor=actor,
            keyring=keyring,
            store=store(tmp_path, max_bytes=100),
            case_id=case.id or 0,
            filename="a.pdf",
            stream=stream,
        )
    assert stream.tell() == 101


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("악성.exe", "악성.exe.pdf"),
        ("..", "첨부파일.pdf"),
        ("가" * 300 + ".PDF", "가" * 196 + ".PDF"),
        ('a"b\x00c.pdf', "a_b_c.pdf"),
    ],
)
def test_filenames_are_cleaned_and_end_as_what_they_are(name: str, kept: str) -> None:
    assert notes.clean_filename(name, notes.PDF) == kept


def test_attachment_of_another_case_is_not_found(
    session: Session,
    case: Case,
    actor: Actor,
    keyring: Keyring,
    tmp_path: Path,
) -> None:
    where = store(tmp_path)
    attachment = _upload(session, actor, keyring, where, case, PDF_BYTES, "a.pdf")
    other = make_case(session, person=make_person(session, keyring=keyring))

    with pytest.raises(NotFound):
        notes.open_attachment(
            session,
            actor=actor,
            keyring=keyring,
            store=where,
            case_id=other.id or 0,
            attachment_id=attachment.id or 0,
        )


def test_a_sealed_file_swapped_for_another_does_not_open(
    session: Session, case: Case, actor: Actor, keyring: Keyring, tmp_path: Path
) -> None:
    where = store(tmp_path)
    first = _upload(session, actor, keyring, where, case, PDF_BYTES, "a.pdf")
    second = _upload(session, actor, keyring, where, case, b"%PDF-2 other", "b.pdf")
    (where.folder / first.stored_as).write_bytes((where.folder / second.stored_as).read_bytes())

    with pytest.raises(Conflict):
        notes.open_attachment(
            session,
            actor=actor,
            keyring=keyring,
            store=where,
            case_id=case.id or 0,
            attachment_id=first.id or 0,
        )


# --- consents and referrals ----------------------------------------------------------------


def consent(
    session: Session,
    actor: Actor,
    case: Case,
    *,
    purpose: str = "referral",
    facility: Facility | None = None,
    given_on: date = TODAY - timedelta(days=10),
    expires_on: date | None = None,
) -> Consent:
    return consents.record_consent(
        session,
        actor=actor,
        case_id=case.id or 0,
        today=TODAY,
        purpose=purpose,
        facility_code=facility.code if facility else None,
        given_by="self",
        given_by_name=None,
        method="written",
        given_on=given_on,
        expires_on=expires_on,
    )


def refer(session: Session, actor: Actor, case: Case, facility: Facility) -> Referral:
    return consents.refer(
        session,
        actor=actor,
        case_id=case.id or 0,
        today=TODAY,
        facility_code=facility.code,
        service="밑반찬 지원",
        reason="혼자 식사 준비가 어렵습니다",
    )


def test_consent_is_recorded_for_the_person_and_withdrawn(
    session: Session, case: Case, actor: Actor
) -> None:
    given = consents.record_consent(
        session,
        actor=actor,
        case_id=case.id or 0,
        today=TODAY,
        purpose="share",
        facility_code="",
        given_by="guardian",
        given_by_name=" 김 보호 ",
        method="verbal",
        given_on="2025-03-01",
        expires_on="2026-02-28",
    )
    assert (given.person_id, given.facility_code, given.given_by_name) == (
        case.person_id,
        None,
        "김 보호",
    )
    assert consents.consent_in_force(given, today=TODAY)

    consents.withdraw_consent(
        session,
        actor=actor,
        case_id=case.id or 0,
        consent_id=given.id or 0,
        withdrawn_on="2025-03-10",
        reason="본인 요청",
    )
    assert (given.withdrawn_on, given.withdrawn_reason) == (date(2025, 3, 10), "본인 요청")
    assert not consents.consent_in_force(given, today=TODAY)
    seen = records_view.get_case_records(session, actor=actor, case_id=case.id or 0, today=TODAY)
    assert [(r.purpose_label, r.state_label) for r in seen.consents] == [
        ("제3자 정보제공", "철회됨")
    ]
    with pytest.raises(Conflict, match="이미 2025-03-10에 철회"):
        consents.withdraw_consent(
            session,
            actor=actor,
            case_id=case.id or 0,
            consent_id=given.id or 0,
            withdrawn_on="2025-03-11",
        )


def test_consent_form_errors_name_each_field(session: Session, case: Case, actor: Actor) -> None:
    with pytest.raises(InvalidInput) as exc:
        consents.record_consent(
            session,
            actor=actor,
            case_id=case.id or 0,
            today=TODAY,
            purpose="marketing",
            facility_code="NOPE",
            given_by="family",
            given_by_name="",
            method="",
            given_on="2025-13-01",
            expires_on="",
        )
    assert field_errors(exc) == {
        "purpose": "동의 내용을 고르세요",
        "consent_facility": "목록에 없는 기관입니다",
        "given_by_name": "가족의 이름을 입력하세요",
        "method": "동의 방법을 고르세요",
        "given_on": "날짜를 YYYY-MM-DD 형식으로 입력하세요",
    }


def test_consent_in_force_window() -> None:
    row = Consent(
        person_id=1,
        purpose="referral",
        given_by="self",
        method="written",
        given_on=TODAY,
        expires_on=TODAY + timedelta(days=1),
        withdrawn_on=TODAY + timedelta(days=1),
        recorded_by_label="t",
    )
    assert consents.consent_in_force(row, today=TODAY)
    assert not consents.consent_in_force(row, today=TODAY - timedelta(days=1))  # not yet given
    assert not consents.consent_in_force(row, today=TODAY + timedelta(days=1))  # withdrawn
    row.withdrawn_on = None
    assert not consents.consent_in_force(row, today=TODAY + timedelta(days=2))  # expired


def test_referral_without_consent_is_refused_with_the_facility_named(
    session: Session, case: Case, actor: Actor
) -> None:
    facility = make_facility(session, name="개포종합사회복지관")
    consent(session, actor, case, purpose="collect")  # collecting is not sharing

    with pytest.raises(Conflict) as exc:
        refer(session, actor, case, facility)

    assert exc.value.message.startswith(
        "개포종합사회복지관에 의뢰하려면 대상자의 서비스 의뢰(또는 제3자 정보제공) 동의가"
    )
    assert session.exec(select(Referral).where(Referral.case_id == case.id)).all() == []


def test_referral_refused_after_withdrawal_or_expiry(
    session: Session, case: Case, actor: Actor
) -> None:
    facility = make_facility(session)
    withdrawn = consent(session, actor, case, facility=facility)
    consents.withdraw_consent(
        session,
        actor=actor,
        case_id=case.id or 0,
        consent_id=withdrawn.id or 0,
        withdrawn_on=TODAY,
    )
    consent(session, actor, case, facility=facility, expires_on=TODAY - timedelta(days=1))

    with pytest.raises(Conflict):
        refer(session, actor, case, facility)


def test_referral_refused_when_the_consent_names_another_facility(
    session: Session, case: Case, actor: Actor
) -> None:
    consent(session, actor, case, facility=make_facility(session))
    with pytest.raises(Conflict):
        refer(session, actor, case, make_facility(session))


@pytest.mark.parametrize(("purpose", "named"), [("referral", True), ("share", False)])
def test_referral_allowed_with_consent_for_that_facility_or_any(
    session: Session, case: Case, actor: Actor, purpose: str, named: bool
) -> None:
    facility = make_facility(session)
    given = consent(session, actor, case, purpose=purpose, facility=facility if named else None)

    referral = refer(session, actor, case, facility)

    assert (referral.consent_id, referral.status) == (given.id, "sent")
    seen = records_view.get_case_records(session, actor=actor, case_id=case.id or 0, today=TODAY)
    assert [r.facility_name for r in seen.referrals] == [facility.name]


def test_consent_expiring_today_still_covers_a_referral(
    session: Session, case: Case, actor: Actor
) -> None:
    facility = make_facility(session)
    consent(session, actor, case, expires_on=TODAY)
    assert refer(session, actor, case, facility).id is not None


def test_referral_status_moves_forward_only(session: Session, case: Case, actor: Actor) -> None:
    facility = make_facility(session)
    consent(session, actor, case)
    referral = refer(session, actor, case, facility)

    def move(status: str) -> Referral:
        return consents.update_referral_status(
            session,
            actor=actor,
            case_id=case.id or 0,
            referral_id=referral.id or 0,
            status=status,
        )

    with pytest.raises(InvalidInput, match="수락, 거절"):
        move("done")
    assert move("accepted").status == "accepted"
    assert move("done").status == "done"
    with pytest.raises(InvalidInput, match="더 바꿀 수 없습니다"):
        move("declined")


def test_facilities_in_the_actors_gu_are_offered_first(session: Session, actor: Actor) -> None:
    far = make_facility(session, dong_code="1122052", name="가서초복지관")  # 서초구
    near = make_facility(session, dong_code="1123060", name="하강남복지관")  # 강남구

    codes = [c.code for c in records_view.facility_choices(session, actor=actor)]

    assert codes.index(near.code) < codes.index(far.code)

"""Case records pages: notes rendered inert, uploads refused or sealed and downloaded back,
consents and the referral they gate, every view and change logged, nothing outside scope."""

import re
from datetime import date
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.cases.models import Attachment, Case, CaseNote, Consent, Referral
from bigcare.config import Settings
from bigcare.db import KST, utcnow
from bigcare.privacy.crypto import Keyring
from tests.cases.test_records import PDF_BYTES, make_case
from tests.conftest import TestDatabase
from tests.factories import make_facility, make_person, make_user, sign_in

MAX_BYTES = 64 * 1024


@pytest.fixture
def attachments_dir(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def app_settings(database: TestDatabase, attachments_dir: Path) -> Settings:
    return Settings(
        database_url=database.url,
        demo=True,
        attachments_dir=attachments_dir,
        attachment_max_bytes=MAX_BYTES,
    )


@pytest.fixture
def case(session: Session, keyring: Keyring) -> Case:
    return make_case(session, person=make_person(session, keyring=keyring))


def today() -> date:
    return utcnow().astimezone(KST).date()


def post(client: TestClient, url: str, **data: str) -> httpx2.Response:
    return client.post(
        url,
        data={"csrf_token": client.csrf, **data},  # type: ignore[attr-defined]
        follow_redirects=False,
    )


def actions(session: Session, person_id: int) -> list[tuple[str, str]]:
    rows = session.exec(
        select(AccessLog)
        .where(AccessLog.subject_person_id == person_id)
        .order_by(col(AccessLog.id))
    ).all()
    return [(r.action, r.outcome) for r in rows]


def test_records_page_shows_every_section_and_logs_the_view(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    response = staff_client.get(f"/cases/{case.id}/records")

    assert response.status_code == 200
    for heading in ("상담 기록", "첨부파일", "동의", "서비스 의뢰"):
        assert heading in response.text
    assert f'action="/cases/{case.id}/notes"' in response.text
    assert actions(session, case.person_id) == [("case.records.read", "ok")]


def test_note_markdown_is_rendered_and_html_in_it_stays_inert(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    body = (
        "**중요** 방문 약속\n\n"
        "<script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)">\n\n'
        "[누르세요](javascript:alert(3)) [안내](https://www.bokjiro.go.kr)\n\n"
        '<a href="https://evil.example">raw</a>'
    )
    response = post(staff_client, f"/cases/{case.id}/notes", body=body)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case.id}/records#notes"

    html = staff_client.get(f"/cases/{case.id}/records").text
    assert "<strong>중요</strong>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html.lower()
    assert '<a href="https://evil.example">' not in html
    assert re.search(
        r'<a href="https://www.bokjiro.go.kr" rel="noopener noreferrer nofollow">안내</a>', html
    )
    assert ("case.note.create", "ok") in actions(session, case.person_id)


def test_too_long_note_comes_back_with_what_was_typed(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    body = "가" * 10_001
    response = post(staff_client, f"/cases/{case.id}/notes", body=body)

    assert response.status_code == 422
    text = response.text
    assert "기록은 10,000자까지 쓸 수 있습니다" in text and body in text
    assert session.exec(select(CaseNote)).all() == []


def upload(client: TestClient, case: Case, name: str, data: bytes, kind: str) -> httpx2.Response:
    return client.post(
        f"/cases/{case.id}/attachments",
        data={"csrf_token": client.csrf},  # type: ignore[attr-defined]
        files={"file": (name, data, kind)},
        follow_redirects=False,
    )


def test_pdf_upload_is_sealed_and_downloads_back_identical(
    staff_client: TestClient, session: Session, case: Case, attachments_dir: Path
) -> None:
    response = upload(staff_client, case, "소득 증빙.pdf", PDF_BYTES, "application/pdf")
    assert response.status_code == 303
    attachment = session.exec(select(Attachment).where(Attachment.case_id == case.id)).one()
    stored = attachments_dir / attachment.stored_as
    assert stored.read_bytes() != PDF_BYTES and b"%PDF" not in stored.read_bytes()
    page = staff_client.get(f"/cases/{case.id}/records").text
    assert f"/cases/{case.id}/attachments/{attachment.id}" in page and "소득 증빙.pdf" in page

    download = staff_client.get(f"/cases/{case.id}/attachments/{attachment.id}")

    assert download.status_code == 200
    assert download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%EC%86%8C%EB%93%9D%20%EC%A6%9D%EB%B9%99.pdf"
        in (download.headers["content-disposition"])
    )
    assert actions(session, case.person_id)[-1] == ("case.attachment.download", "ok")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("큰.pdf", b"%PDF-" + bytes(MAX_BYTES), "파일이 너무 큽니다: 최대 64KB"),
        ("설치.exe", b"MZ\x90\x00" + bytes(200), "실행 파일"),
        ("증빙.pdf", b"MZ\x90\x00" + bytes(200), "실행 파일"),  # renamed .exe
        ("사진.gif", b"GIF89a" + bytes(20), "올릴 수 없는 파일 형식"),
    ],
)
def test_refused_upload_stores_nothing_and_says_why(
    staff_client: TestClient,
    session: Session,
    case: Case,
    attachments_dir: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    response = upload(staff_client, case, name, data, "application/pdf")

    assert response.status_code == 422
    assert message in response.text
    assert session.exec(select(Attachment)).all() == []
    assert not attachments_dir.exists() or list(attachments_dir.iterdir()) == []


def test_upload_without_a_file_asks_for_one(staff_client: TestClient, case: Case) -> None:
    response = post(staff_client, f"/cases/{case.id}/attachments")
    assert response.status_code == 422
    assert "올릴 파일을 고르세요" in response.text


def consent_form(**overrides: str) -> dict[str, str]:
    values = {
        "purpose": "referral",
        "consent_facility": "",
        "given_by": "self",
        "given_by_name": "",
        "method": "written",
        "given_on": today().isoformat(),
        "expires_on": "",
    }
    return values | overrides


def test_consent_recorded_then_withdrawn(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    response = post(staff_client, f"/cases/{case.id}/consents", **consent_form())
    assert response.status_code == 303
    given = session.exec(select(Consent).where(Consent.person_id == case.person_id)).one()
    assert "유효" in staff_client.get(f"/cases/{case.id}/records").text

    response = post(
        staff_client,
        f"/cases/{case.id}/consents/{given.id}/withdraw",
        withdrawn_on=today().isoformat(),
        withdrawn_reason="본인이 원하지 않음",
    )
    assert response.status_code == 303
    session.refresh(given)
    assert (given.withdrawn_on, given.withdrawn_reason) == (today(), "본인이 원하지 않음")
    assert "철회됨" in staff_client.get(f"/cases/{case.id}/records").text
    assert [a for a in actions(session, case.person_id) if a[0].startswith("case.consent")] == [
        ("case.consent.record", "ok"),
        ("case.consent.withdraw", "ok"),
    ]


def test_consent_errors_sit_beside_their_fields_with_input_kept(
    staff_client: TestClient, case: Case
) -> None:
    form = consent_form(given_by="family", given_by_name="", expires_on="2000-01-01")
    response = post(staff_client, f"/cases/{case.id}/consents", **form)

    assert response.status_code == 422
    text = response.text
    assert re.search(r'id="f-given_by_name-error">가족의 이름을 입력하세요', text)
    assert re.search(r'id="f-expires_on-error">만료일은 동의한 날 이후여야 합니다', text)
    assert 'value="2000-01-01"' in text
    assert '<option value="family" selected>' in text


def test_referral_refused_without_consent_then_allowed_with_it(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    facility = make_facility(session, name="개포시험복지관")
    referral = {"referral_facility": facility.code, "service": "밑반찬", "reason": "식사 어려움"}

    refused = post(staff_client, f"/cases/{case.id}/referrals", **referral)
    assert refused.status_code == 422
    text = refused.text
    assert "개포시험복지관에 의뢰하려면 대상자의 서비스 의뢰(또는 제3자 정보제공) 동의가" in text
    assert ">식사 어려움</textarea>" in text and 'value="밑반찬"' in text
    assert session.exec(select(Referral)).all() == []

    post(staff_client, f"/cases/{case.id}/consents", **consent_form(consent_facility=facility.code))
    allowed = post(staff_client, f"/cases/{case.id}/referrals", **referral)
    assert allowed.status_code == 303
    sent = session.exec(select(Referral).where(Referral.case_id == case.id)).one()

    moved = post(staff_client, f"/cases/{case.id}/referrals/{sent.id}/status", status="accepted")
    assert moved.status_code == 303
    session.refresh(sent)
    assert sent.status == "accepted"
    wrong = post(staff_client, f"/cases/{case.id}/referrals/{sent.id}/status", status="sent")
    assert wrong.status_code == 422


def test_referral_refused_after_the_consent_is_withdrawn(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    facility = make_facility(session)
    post(staff_client, f"/cases/{case.id}/consents", **consent_form(purpose="share"))
    given = session.exec(select(Consent).where(Consent.person_id == case.person_id)).one()
    post(
        staff_client,
        f"/cases/{case.id}/consents/{given.id}/withdraw",
        withdrawn_on=today().isoformat(),
    )

    refused = post(
        staff_client,
        f"/cases/{case.id}/referrals",
        referral_facility=facility.code,
        service="정서 지원",
        reason="고립",
    )
    assert refused.status_code == 422
    assert "동의를 먼저 기록하세요" in refused.text


def test_case_outside_the_scope_is_404_everywhere(
    client: TestClient, session: Session, keyring: Keyring, case: Case, tmp_path: Path
) -> None:
    # A caseworker in 서초2동 and a case (with a consent and a referral) in 개포1동.
    facility = make_facility(session)
    consent_row = Consent(
        person_id=case.person_id,
        purpose="referral",
        given_by="self",
        method="written",
        given_on=today(),
        recorded_by_label="t",
    )
    session.add(consent_row)
    session.flush()
    referral = Referral(
        case_id=case.id or 0,
        facility_code=facility.code,
        service="s",
        consent_id=consent_row.id or 0,
        actor_label="t",
    )
    attachment = Attachment(
        case_id=case.id or 0,
        filename="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        stored_as="0" * 32 + ".sealed",
        actor_label="t",
    )
    session.add_all([referral, attachment])
    session.flush()
    outsider: User = make_user(session, role=Role.CASEWORKER, scope_code="1122052")
    client.csrf = sign_in(client, session, outsider)  # type: ignore[attr-defined]
    base = f"/cases/{case.id}"

    assert client.get(f"{base}/records").status_code == 404
    assert client.get(f"{base}/attachments/{attachment.id}").status_code == 404
    for url, data in [
        (f"{base}/notes", {"body": "x"}),
        (f"{base}/consents", consent_form()),
        (f"{base}/consents/{consent_row.id}/withdraw", {"withdrawn_on": today().isoformat()}),
        (f"{base}/referrals", {"referral_facility": facility.code, "service": "s", "reason": "r"}),
        (f"{base}/referrals/{referral.id}/status", {"status": "accepted"}),
    ]:
        assert post(client, url, **data).status_code == 404, url
    assert client.get("/cases/999999/records").status_code == 404

    assert session.exec(select(CaseNote)).all() == []
    session.refresh(consent_row)
    session.refresh(referral)
    assert (consent_row.withdrawn_on, referral.status) == (None, "sent")
    outcomes = {o for a, o in actions(session, case.person_id)}
    assert outcomes == {"not_found"}


def test_roles_without_case_edit_see_records_but_no_forms(
    client: TestClient, session: Session, case: Case
) -> None:
    nurse = make_user(session, role=Role.VISITING_NURSE)
    csrf = sign_in(client, session, nurse)

    page = client.get(f"/cases/{case.id}/records")
    assert page.status_code == 200 and f'action="/cases/{case.id}/notes"' not in page.text
    refused = client.post(
        f"/cases/{case.id}/notes", data={"body": "x", "csrf_token": csrf}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_facility_select_offers_the_actors_gu_first(
    staff_client: TestClient, session: Session, case: Case
) -> None:
    far = make_facility(session, dong_code="1122052", name="가나다서초복지관")
    near = make_facility(session, dong_code="1123060", name="하하강남복지관")

    html = staff_client.get(f"/cases/{case.id}/records").text

    assert html.index(near.code) < html.index(far.code)
    assert '<optgroup label="우리 구">' in html

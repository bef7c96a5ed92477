"""Intake pages and the records API: upload → mapping → batch → quarantine → fix, and a
facility system sending records with its token."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bigcare.auth import tokens as auth_tokens
from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.auth.service import actor_for
from bigcare.facilities.models import ImportBatch
from bigcare.privacy.rrn import RRN_PATTERN
from tests.factories import make_facility, make_user, sign_in

CSV = (
    "이용자명,주민번호,휴대폰,주소,행정동,비고\r\n"
    "김철수,500302-1234560,01012345678,서울특별시 강남구 개포로 123,개포1동,\r\n"
    "이영희,501345-2234567,010-9876-5432,서울 강남구 개포로 5,개포1동,\r\n"
).encode("cp949")


def _upload(client: TestClient, csrf: str, facility: str, content: bytes = CSV):
    return client.post(
        "/imports",
        data={"facility": facility, "csrf_token": csrf},
        files={"file": ("명단.csv", content, "text/csv")},
        follow_redirects=False,
    )


def test_staff_upload_map_quarantine_and_fix_through_the_pages(
    staff_client: TestClient, session: Session
) -> None:
    facility = make_facility(session)
    csrf = staff_client.csrf  # type: ignore[attr-defined]

    uploaded = _upload(staff_client, csrf, facility.code)
    assert uploaded.status_code == 303 and uploaded.headers["location"].endswith("/mapping")
    mapping_url = uploaded.headers["location"]
    page = staff_client.get(mapping_url)
    assert page.status_code == 200 and "열 매핑 확인" in page.text
    assert RRN_PATTERN.search(page.text) is None  # sample values are masked
    # The suggestion is preselected: 이용자명 → 성명.
    assert re.search(r'id="col-0".*?<option value="name" selected>', page.text, re.S)

    columns = ["name", "rrn", "phone", "address", "dong", ""]
    confirmed = staff_client.post(
        mapping_url, data={"column": columns, "csrf_token": csrf}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    batch_url = confirmed.headers["location"]
    batch = staff_client.get(batch_url).text
    assert "CP949" in batch and 'id="rows-read">2<' in batch
    assert 'id="rows-quarantined"><a' in batch

    rows = staff_client.get(f"{batch_url}/rows?status=quarantined").text
    assert "3행 주민번호: 생년월일 부분이 올바른 날짜가 아닙니다" in rows
    assert RRN_PATTERN.search(rows) is None

    form = staff_client.get(f"{batch_url}/rows/3").text
    cells = re.findall(r'name="cell"[^>]*value="([^"]*)"', form)
    assert cells[1] == "501345-2******"
    cells[1] = "500315-2234568"
    fixed = staff_client.post(
        f"{batch_url}/rows/3", data={"cell": cells, "csrf_token": csrf}, follow_redirects=False
    )
    assert fixed.status_code == 303
    after = staff_client.get(fixed.headers["location"]).text
    assert "다시 처리했습니다" in after and "값 고침" in after and "주민번호" in after

    unchanged = staff_client.post(
        f"{batch_url}/rows/3",
        data={"cell": re.findall(r'name="cell"[^>]*value="([^"]*)"', after), "csrf_token": csrf},
    )
    assert unchanged.status_code == 422 and "바뀐 값이 없습니다" in unchanged.text


def test_upload_without_csrf_is_refused_and_nothing_is_stored(
    staff_client: TestClient, session: Session
) -> None:
    facility = make_facility(session)
    response = _upload(staff_client, "", facility.code)
    assert response.status_code == 403
    stored = session.exec(select(ImportBatch).where(ImportBatch.facility_code == facility.code))
    assert stored.all() == []


def test_same_file_twice_shows_the_first_batch(client: TestClient, session: Session) -> None:
    facility = make_facility(session)
    csrf = sign_in(
        client, session, make_user(session, role=Role.FACILITY_UPLOADER, scope_code=facility.code)
    )
    first = _upload(client, csrf, facility.code).headers["location"]
    again = _upload(client, csrf, facility.code)
    assert again.status_code == 303 and again.headers["location"].endswith("?duplicate=1")
    assert first.split("/")[2] == again.headers["location"].split("/")[2].split("?")[0]
    assert "이미 받았습니다" in client.get(again.headers["location"]).text


def test_refused_file_is_explained_on_its_batch_page(
    staff_client: TestClient, session: Session
) -> None:
    facility = make_facility(session)
    response = _upload(staff_client, staff_client.csrf, facility.code, b"")  # type: ignore[attr-defined]
    page = staff_client.get(response.headers["location"]).text
    assert "파일을 받지 않았습니다" in page and "빈 파일입니다" in page


def test_oversized_body_is_refused_before_it_is_read(staff_client: TestClient) -> None:
    response = staff_client.post(
        "/imports",
        content=b"x",
        headers={"content-length": str(100 * 1024 * 1024), "content-type": "text/plain"},
    )
    assert response.status_code == 413 and "파일이 너무 큽니다" in response.text


def test_facility_system_sends_records_and_reads_the_outcome(
    client: TestClient, session: Session
) -> None:
    facility = make_facility(session)
    admin = actor_for(make_user(session, role=Role.ADMIN))
    raw, _ = auth_tokens.create_token(
        session, actor=admin, facility_code=facility.code, name="연계"
    )
    api = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "2026-11-25-001"}
    body = {
        "records": [
            {"성명": "김연계", "주민등록번호": "500302-1234560", "연락처": "010 1234 5678"},
            {"성명": "이오류", "주민등록번호": "501345-2234567"},
        ]
    }

    sent = client.post(f"/api/v1/facilities/{facility.code}/records", json=body, headers=api)

    assert sent.status_code == 200
    result = sent.json()
    assert (result["rows_read"], result["rows_quarantined"], result["duplicate"]) == (2, 1, False)
    assert result["problems"] == [
        {
            "row": 2,
            "column": "주민등록번호",
            "message": "생년월일 부분이 올바른 날짜가 아닙니다",
            "error": True,
        }
    ]
    assert "501345" not in sent.text and "김연계" not in sent.text
    again = client.post(f"/api/v1/facilities/{facility.code}/records", json=body, headers=api)
    assert again.json()["duplicate"] is True and again.json()["id"] == result["id"]
    read = client.get(f"/api/v1/facilities/{facility.code}/batches/{result['id']}", headers=api)
    assert read.status_code == 200 and read.json()["rows_read"] == 2

    other = make_facility(session)
    elsewhere = client.post(f"/api/v1/facilities/{other.code}/records", json=body, headers=api)
    assert elsewhere.status_code == 404
    logged = session.exec(select(AccessLog.action).where(AccessLog.target.contains(facility.code)))
    assert "import.upload" in set(logged.all())


def test_records_api_explains_a_bad_request(client: TestClient, session: Session) -> None:
    facility = make_facility(session)
    admin = actor_for(make_user(session, role=Role.ADMIN))
    raw, _ = auth_tokens.create_token(
        session, actor=admin, facility_code=facility.code, name="연계"
    )
    api = {"Authorization": f"Bearer {raw}"}
    empty = client.post(
        f"/api/v1/facilities/{facility.code}/records", json={"records": []}, headers=api
    )
    assert empty.status_code == 422 and "비어 있습니다" in empty.json()["detail"]
    no_name = client.post(
        f"/api/v1/facilities/{facility.code}/records",
        json={"records": [{"rrn": "500302-1234560"}]},
        headers=api,
    )
    assert no_name.status_code == 422

"""A facility's system calls the API with its token: its own facility only, nothing else,
and not at all once the token is revoked."""

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from bigcare.auth import tokens
from bigcare.auth.models import ApiToken
from bigcare.auth.permissions import Role
from bigcare.auth.service import actor_for
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_person, make_user, sign_in


def _token(session: Session, facility_code: str) -> tuple[str, ApiToken]:
    admin = make_user(session, role=Role.ADMIN)
    return tokens.create_token(
        session, actor=actor_for(admin), facility_code=facility_code, name="연계"
    )


def test_token_reads_its_own_facility_and_no_other(client: TestClient, session: Session) -> None:
    own = make_facility(session, dong_code="1123068")
    neighbour = make_facility(session, dong_code="1123068")  # same dong, another facility
    raw, _ = _token(session, own.code)
    auth = {"Authorization": f"Bearer {raw}"}

    response = client.get(f"/api/v1/facilities/{own.code}", headers=auth)
    assert response.status_code == 200
    assert response.json()["name"] == own.name
    assert response.json()["dong_name"] == "개포1동"

    other = client.get(f"/api/v1/facilities/{neighbour.code}", headers=auth)
    assert other.status_code == 404
    assert other.json()["error"] == "not_found"
    assert [f["code"] for f in client.get("/api/v1/facilities", headers=auth).json()] == [own.code]


def test_token_cannot_read_persons_or_reference_data(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    facility = make_facility(session)
    person = make_person(session, keyring=keyring, dong_code=facility.dong_code)
    raw, _ = _token(session, facility.code)
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"/api/v1/persons/{person.id}", headers=auth).status_code == 403
    assert client.get("/api/v1/persons", headers=auth).status_code == 403
    assert client.get("/api/v1/districts/gu", headers=auth).status_code == 403


def test_revoked_or_unknown_token_is_refused(client: TestClient, session: Session) -> None:
    facility = make_facility(session)
    raw, token = _token(session, facility.code)
    admin = make_user(session, role=Role.ADMIN)
    tokens.revoke_token(
        session, actor=actor_for(admin), facility_code=facility.code, token_id=token.id or 0
    )
    for bearer in (raw, raw[:-1] + "x", "not-a-token"):
        response = client.get(
            f"/api/v1/facilities/{facility.code}", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert response.status_code == 401, bearer
        assert response.json()["error"] == "not_authenticated"


def test_token_is_stored_only_as_a_hash(session: Session) -> None:
    facility = make_facility(session)
    raw, token = _token(session, facility.code)
    stored = session.execute(text("SELECT prefix, token_hash FROM api_token")).all()
    assert all(raw not in (prefix, token_hash) for prefix, token_hash in stored)
    assert token.prefix == raw[:12] and len(token.token_hash) == 64


def test_a_bearer_token_does_not_open_web_pages(client: TestClient, session: Session) -> None:
    facility = make_facility(session)
    raw, _ = _token(session, facility.code)
    response = client.get(
        f"/facilities/{facility.code}",
        headers={"Authorization": f"Bearer {raw}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_staff_see_facilities_of_their_area_as_json(client: TestClient, session: Session) -> None:
    near = make_facility(session, dong_code="1123060")  # 대치1동, 강남구
    far = make_facility(session, dong_code="1122052")  # 서초2동, 서초구
    sign_in(client, session, make_user(session, role=Role.GU_MANAGER, scope_code="11230"))
    codes = {f["code"] for f in client.get("/api/v1/facilities").json()}
    assert near.code in codes and far.code not in codes
    assert client.get(f"/api/v1/facilities/{far.code}").status_code == 404

"""Facility pages: the list in scope, and API tokens issued once and revoked at once."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bigcare.auth.models import AccessLog, ApiToken
from bigcare.auth.permissions import Role
from tests.factories import make_facility, make_user, sign_in


def test_facility_account_issues_a_token_shown_once_then_revokes_it(
    client: TestClient, session: Session
) -> None:
    facility = make_facility(session)
    csrf = sign_in(
        client,
        session,
        make_user(session, role=Role.FACILITY_UPLOADER, scope_code=facility.code),
    )
    page = client.get(f"/facilities/{facility.code}")
    assert page.status_code == 200 and "API 토큰" in page.text

    issued = client.post(
        f"/facilities/{facility.code}/tokens", data={"name": "기관 연계", "csrf_token": csrf}
    )
    assert issued.status_code == 200
    raw = re.search(r"bct_[A-Za-z0-9_-]{20,}", issued.text)
    assert raw is not None and "한 번만" in issued.text
    # Afterwards the page lists the token by its prefix only.
    listed = client.get(f"/facilities/{facility.code}").text
    assert raw.group(0) not in listed and raw.group(0)[:12] in listed

    api = {"Authorization": f"Bearer {raw.group(0)}"}
    assert client.get(f"/api/v1/facilities/{facility.code}", headers=api).status_code == 200
    token = session.exec(select(ApiToken).where(ApiToken.facility_code == facility.code)).one()
    revoked = client.post(
        f"/facilities/{facility.code}/tokens/{token.id}/revoke",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert client.get(f"/api/v1/facilities/{facility.code}", headers=api).status_code == 401
    actions = session.exec(select(AccessLog.action).where(AccessLog.target.contains(facility.code)))
    assert {"token.create", "token.revoke"} <= set(actions.all())


def test_token_form_without_csrf_is_refused(client: TestClient, session: Session) -> None:
    facility = make_facility(session)
    sign_in(
        client, session, make_user(session, role=Role.FACILITY_UPLOADER, scope_code=facility.code)
    )
    response = client.post(f"/facilities/{facility.code}/tokens", data={"name": "연계"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert session.exec(select(ApiToken).where(ApiToken.facility_code == facility.code)).all() == []


def test_center_staff_list_only_facilities_in_their_dong(
    client: TestClient, session: Session
) -> None:
    mine = make_facility(session, dong_code="1123068")
    theirs = make_facility(session, dong_code="1123060")
    sign_in(client, session, make_user(session, role=Role.CASEWORKER, scope_code="1123068"))
    html = client.get("/facilities").text
    assert mine.name in html and theirs.name not in html
    # Someone else's facility by its code is simply not found.
    assert client.get(f"/facilities/{theirs.code}").status_code == 404

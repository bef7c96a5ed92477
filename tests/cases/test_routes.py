"""Person pages: masked identifiers, the full RRN only on a reasoned click, every read logged,
and nothing at all about a person outside one's scope."""

import random
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.cases.test_timeline import add_household, make_world, open_case
from tests.factories import make_person, make_user, sign_in

RRN = "480302-2345675"
_rng = random.Random(3)


def _log(session: Session, person_id: int | None) -> list[AccessLog]:
    query = select(AccessLog).where(AccessLog.subject_person_id == person_id)
    return list(session.exec(query.order_by(col(AccessLog.id))).all())


def test_person_page_shows_masked_rrn_and_logs_the_read(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN, phone="010-2345-6789")
    response = staff_client.get(f"/persons/{person.id}")
    assert response.status_code == 200
    assert "480302-2******" in response.text
    assert RRN not in response.text and "2345675" not in response.text
    assert response.headers["cache-control"] == "no-store"
    rows = _log(session, person.id)
    assert [(r.action, r.outcome, r.actor) for r in rows] == [
        ("person.read", "ok", caseworker.username)
    ]


def test_person_list_masks_rrn_and_phone(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    make_person(session, keyring=keyring, name="목록확인", rrn=RRN, phone="010-2345-6789")
    html = staff_client.get("/persons", params={"q": "목록확인"}).text
    assert "480302-2******" in html and "010-****-6789" in html
    assert "2345-6789" not in html


def test_reveal_needs_a_reason_then_shows_the_number_once_and_logs_it(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN)
    url = f"/persons/{person.id}/rrn"
    refused = staff_client.post(url, data={"reason": "", "csrf_token": staff_client.csrf})
    assert refused.status_code == 422
    assert "사유를 5자 이상" in refused.text and RRN not in refused.text

    shown = staff_client.post(
        url, data={"reason": "긴급지원 본인 확인", "csrf_token": staff_client.csrf}
    )
    assert shown.status_code == 200
    assert re.search(r'id="rrn-full">\s*480302-2345675', shown.text)
    assert shown.headers["cache-control"] == "no-store"
    reveals = [r for r in _log(session, person.id) if r.action == "person.rrn.reveal"]
    assert [(r.outcome, r.reason) for r in reveals] == [("ok", "긴급지원 본인 확인")]
    # The next ordinary view is masked again.
    assert RRN not in staff_client.get(f"/persons/{person.id}").text


def test_roles_without_reveal_permission_never_see_the_number(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN)
    planner = make_user(session, role=Role.WELFARE_PLANNER)
    csrf = sign_in(client, session, planner)
    page = client.get(f"/persons/{person.id}").text
    assert "전체 보기" not in page  # no reveal form offered
    response = client.post(
        f"/persons/{person.id}/rrn", data={"reason": "궁금해서 봅니다", "csrf_token": csrf}
    )
    assert response.status_code == 403 and RRN not in response.text
    denied = session.exec(
        select(AccessLog).where(
            AccessLog.action == "access.denied", AccessLog.user_id == planner.id
        )
    ).all()
    assert len(denied) == 1 and denied[0].outcome == "denied"


def test_person_outside_the_scope_is_not_found_and_the_attempt_is_logged(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    elsewhere = make_person(session, keyring=keyring, dong_code="1123060")  # 대치1동
    response = staff_client.get(f"/persons/{elsewhere.id}")
    assert response.status_code == 404
    assert elsewhere.name not in response.text
    # Same answer as for an id that does not exist: ids leak nothing.
    missing = staff_client.get("/persons/999999999")
    assert missing.status_code == 404 and missing.text.count("대상자를 찾을 수 없습니다") == 1
    attempts = _log(session, elsewhere.id)
    assert [(r.action, r.outcome) for r in attempts] == [("person.read", "not_found")]


def test_person_api_gives_masked_json(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN, phone="02-123-4567")
    body = staff_client.get(f"/api/v1/persons/{person.id}").json()
    assert body["rrn_masked"] == "480302-2******"
    assert body["phone_masked"] == "02-***-4567"
    assert body["birth_date"] == "1948-03-02" and body["sex"] == "F"
    assert RRN not in str(body)


def test_an_rrn_typed_into_the_reason_is_masked_in_the_access_log(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, rrn=RRN)
    staff_client.post(
        f"/persons/{person.id}/rrn",
        data={"reason": f"본인 확인 {RRN} 010-2345-6789", "csrf_token": staff_client.csrf},
    )
    [reveal] = [r for r in _log(session, person.id) if r.action == "person.rrn.reveal"]
    assert RRN not in (reveal.reason or "") and "2345-6789" not in (reveal.reason or "")
    assert (reveal.reason or "").startswith("본인 확인")


# --- the person page: flags, household, cases, timeline ----------------------------------


def test_person_page_shows_household_members_open_case_and_timeline(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    world = make_world(session, keyring)
    household = add_household(session, world.person_id, world.other_id)
    case = open_case(session, world.person_id)
    case.caseworker_id = caseworker.id
    session.add(case)
    session.flush()

    html = staff_client.get(f"/persons/{world.person_id}").text

    assert f'href="/households/{household.id}"' in html
    assert f'<a href="/persons/{world.other_id}">박철수</a>' in html and "배우자" in html
    assert f'href="/cases/{case.id}"' in html and "초기상담" in html and "시험 사용자" in html
    assert "사례관리 중" in html  # the flag
    assert "사례 열기" not in html
    # The latest entries, newest first, with their sources.
    assert html.index("방문목욕") < html.index("첫 상담") < html.index("식품 지원")
    assert world.food.name in html and "사례관리: 담당자" in html
    assert f'href="/persons/{world.person_id}/timeline"' in html
    # One read of the person, one of the member whose name and masked RRN it showed.
    assert [(r.action, r.outcome) for r in _log(session, world.person_id)] == [
        ("person.read", "ok")
    ]
    assert [(r.action, r.target) for r in _log(session, world.other_id)] == [
        ("person.read", f"person:{world.person_id} 가구원")
    ]


def test_person_page_offers_to_open_a_case_only_to_case_editors(
    staff_client: TestClient, client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring)
    html = staff_client.get(f"/persons/{person.id}").text
    assert f'href="/persons/{person.id}/cases/new"' in html and "사례 열기" in html
    assert "아직 가구로 묶이지 않았습니다" in html

    nurse = make_user(session, role=Role.VISITING_NURSE)
    sign_in(client, session, nurse)
    assert "사례 열기" not in client.get(f"/persons/{person.id}").text


def test_person_page_hides_household_members_outside_the_scope(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(
        session, keyring=keyring, rrn=rrns.make_rrn(date(1940, 3, 1), "F", rng=_rng)
    )
    elsewhere = make_person(session, keyring=keyring, dong_code="1123060")  # 대치1동
    assert person.id and elsewhere.id
    add_household(session, person.id, elsewhere.id)

    html = staff_client.get(f"/persons/{person.id}").text
    assert elsewhere.name not in html and "범위 밖의 가구원 1명" in html
    assert "65세 이상" in html and "1인 가구" not in html
    assert _log(session, elsewhere.id) == []

"""Case pages: open a case, each workflow form (303 on success, 422 keeping every typed value
on bad input, 409 when the step is out of order), out-of-scope 404 and access-log rows."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.cases.models import Case, Monitoring, ServicePlan
from bigcare.db import KST, utcnow
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring
from tests.cases.test_workflow import make_case
from tests.factories import make_facility, make_person, make_user, sign_in

TODAY = utcnow().astimezone(KST).date()
RRN = "480302-2345675"


@pytest.fixture
def person(session: Session, keyring: Keyring) -> Person:
    return make_person(session, keyring=keyring, rrn=RRN)


def _case(session: Session, user: User, person: Person, until: str) -> Case:
    start = TODAY - timedelta(days=40)
    return make_case(
        session,
        actor=auth_service.actor_for(user),
        person=person,
        until=until,
        start=start,
        today=TODAY,
    )


def _post(client: TestClient, url: str, data: dict[str, object]) -> object:
    return client.post(url, data={**data, "csrf_token": client.csrf}, follow_redirects=False)  # type: ignore[attr-defined]


def test_open_a_case_from_the_person(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    form = staff_client.get(f"/persons/{person.id}/cases/new")
    assert form.status_code == 200 and "발굴 경로" in form.text
    response = _post(
        staff_client,
        f"/persons/{person.id}/cases",
        {"referral_source": "이웃신고", "detail": "연락 두절", "identified_on": TODAY.isoformat()},
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    case = session.exec(select(Case).where(Case.person_id == person.id)).one()
    assert response.headers["location"] == f"/cases/{case.id}"  # type: ignore[attr-defined]
    assert (case.stage, case.caseworker_id) == ("identified", caseworker.id)
    page = staff_client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert "480302-2******" in page.text and RRN not in page.text
    assert f'href="/persons/{person.id}"' in page.text
    assert "초기상담 기록" in page.text and "사례 종결" in page.text
    assert f"/cases/{case.id}/records" in page.text


def test_open_case_form_errors_keep_the_input(staff_client: TestClient, person: Person) -> None:
    response = _post(
        staff_client,
        f"/persons/{person.id}/cases",
        {"referral_source": "", "detail": "옆집 어르신 안부", "identified_on": "2099-01-01"},
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "발굴 경로을(를) 고르세요" in html
    assert "옆집 어르신 안부" in html and 'value="2099-01-01"' in html
    assert "이후일 수 없습니다" in html


def test_second_open_case_is_a_conflict_naming_the_first(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    first = _case(session, caseworker, person, "identified")
    assert f"사례 #{first.id}" in staff_client.get(f"/persons/{person.id}/cases/new").text
    response = _post(
        staff_client,
        f"/persons/{person.id}/cases",
        {"referral_source": "자체발굴", "identified_on": TODAY.isoformat()},
    )
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert f"사례 #{first.id}" in response.text  # type: ignore[attr-defined]


STEP_POSTS = [
    (
        "identified",
        "consultation",
        {"consulted_on": "{today}", "content": "전화 상담", "outcome": "proceed"},
        "consulting",
    ),
    ("consulting", "intake", {"intake_on": "{today}"}, "intake"),
    (
        "intake",
        "assessment",
        {
            "assessed_on": "{today}",
            "score_health": "3",
            "score_daily_living": "2",
            "score_safety": "1",
            "score_housing": "0",
            "score_income": "3",
            "score_employment": "0",
            "score_education": "0",
            "score_family": "1",
            "score_social": "2",
            "crisis_level": "high",
            "summary": "건강과 경제 위기",
        },
        "assessment",
    ),
    (
        "assessment",
        "conference",
        {
            "held_on": "{today}",
            "kind": "joint",
            "participants": "김복지 사례관리사\n보건소 방문간호사",
            "decision": "집중 관리",
        },
        "conference",
    ),
    (
        "conference",
        "classification",
        {"category": "general", "classified_on": "{today}"},
        "classified",
    ),
    (
        "classified",
        "plan",
        {
            "planned_on": "{today}",
            "goals": "건강 회복",
            "starts_on": "{today}",
            "ends_on": "2099-12-31",
            "service": ["방문간호", ""],
            "provider": ["", ""],
            "frequency": ["주 1회", ""],
            "service_starts_on": ["{today}", ""],
            "service_ends_on": ["2099-12-31", ""],
        },
        "planned",
    ),
    (
        "planned",
        "monitoring",
        {
            "checked_on": "{today}",
            "method": "phone",
            "content": "잘 지내심",
            "next_on": "2099-01-01",
        },
        "monitoring",
    ),
    ("monitoring", "reassess", {"note": "건강 악화"}, "assessment"),
    ("intake", "close", {"closed_on": "{today}", "reason": "이사", "close_note": ""}, "closed"),
]


def _fill(data: dict[str, object]) -> dict[str, object]:
    def one(value: str) -> str:
        return value.replace("{today}", TODAY.isoformat())

    return {k: [one(x) for x in v] if isinstance(v, list) else one(str(v)) for k, v in data.items()}


@pytest.mark.parametrize(
    ("until", "step", "data", "after"), STEP_POSTS, ids=[s[1] for s in STEP_POSTS]
)
def test_each_step_form_moves_the_case_and_redirects(
    staff_client: TestClient,
    session: Session,
    person: Person,
    caseworker: User,
    until: str,
    step: str,
    data: dict[str, object],
    after: str,
) -> None:
    case = _case(session, caseworker, person, until)
    response = _post(staff_client, f"/cases/{case.id}/{step}", _fill(data))
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/cases/{case.id}"  # type: ignore[attr-defined]
    session.refresh(case)
    assert case.stage == after
    assert staff_client.get(f"/cases/{case.id}").status_code == 200


def test_assessment_errors_keep_every_score_and_text(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    case = _case(session, caseworker, person, "intake")
    data = {"assessed_on": TODAY.isoformat(), "score_health": "3", "score_social": "2"}
    data |= {"crisis_level": "medium", "summary": "요약을 남깁니다"}
    response = _post(staff_client, f"/cases/{case.id}/assessment", data)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert 'id="f-score_health-3" value="3" required checked' in html
    assert 'id="f-score_social-2" value="2" required checked' in html
    assert '<option value="medium" selected>' in html
    assert "요약을 남깁니다" in html
    assert "일상생활 영역의 욕구 정도를 고르세요" in html
    session.refresh(case)
    assert case.stage == "intake"


def test_plan_errors_keep_the_service_rows(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    case = _case(session, caseworker, person, "classified")
    facility = make_facility(session)
    data = {
        "planned_on": TODAY.isoformat(),
        "goals": "자립 지원",
        "starts_on": TODAY.isoformat(),
        "ends_on": "",
        "service": ["밑반찬 배달", "방문 목욕"],
        "provider": [facility.code, "NO-SUCH"],
        "frequency": ["주 2회", "월 1회"],
        "service_starts_on": [TODAY.isoformat(), TODAY.isoformat()],
        "service_ends_on": ["2099-01-01", "2099-01-01"],
    }
    response = _post(staff_client, f"/cases/{case.id}/plan", data)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    for typed in (
        "자립 지원",
        "밑반찬 배달",
        "방문 목욕",
        facility.code,
        "NO-SUCH",
        "주 2회",
        "월 1회",
    ):
        assert f'value="{typed}"' in html or typed in html
    assert "시설 코드 NO-SUCH인 기관이 없습니다" in html
    assert "계획 종료일을 입력하세요" in html
    assert session.exec(select(ServicePlan).where(ServicePlan.case_id == case.id)).first() is None


def test_a_step_out_of_order_is_a_conflict(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    case = _case(session, caseworker, person, "consulting")
    response = _post(
        staff_client,
        f"/cases/{case.id}/monitoring",
        {"checked_on": TODAY.isoformat(), "method": "visit", "content": "방문"},
    )
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "서비스 제공계획 전에는" in response.text  # type: ignore[attr-defined]
    assert session.exec(select(Monitoring).where(Monitoring.case_id == case.id)).first() is None


def test_case_page_shows_history_and_overdue_badge(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    case = _case(session, caseworker, person, "intake")
    html = staff_client.get(f"/cases/{case.id}").text
    assert "기한 초과" in html  # intake 38 days ago: assessment (10) and plan (30) overdue
    assert "욕구·위기도 조사" in html and 'aria-current="step"' in html
    assert "진행 이력" in html and "전화 상담" in html


def test_other_scope_case_is_404_and_logged(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    elsewhere = make_person(session, keyring=keyring, dong_code="1111051")
    other = make_user(session, scope_code="1111051")
    case = _case(session, other, elsewhere, "intake")
    assert staff_client.get(f"/cases/{case.id}").status_code == 404
    refused = _post(
        staff_client, f"/cases/{case.id}/close", {"closed_on": TODAY.isoformat(), "reason": "이사"}
    )
    assert refused.status_code == 404  # type: ignore[attr-defined]
    assert staff_client.get(f"/persons/{elsewhere.id}/cases/new").status_code == 404
    rows = session.exec(
        select(AccessLog.action, AccessLog.outcome)
        .where(AccessLog.subject_person_id == elsewhere.id, AccessLog.outcome == "not_found")
        .order_by(col(AccessLog.id))
    ).all()
    assert ("case.read", "not_found") in rows and ("case.close", "not_found") in rows
    session.refresh(case)
    assert case.stage == "intake"


def test_reading_a_case_is_access_logged(
    staff_client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    case = _case(session, caseworker, person, "identified")
    staff_client.get(f"/cases/{case.id}")
    rows = session.exec(
        select(AccessLog).where(
            AccessLog.subject_person_id == person.id, AccessLog.action == "case.read"
        )
    ).all()
    assert [(r.outcome, r.user_id) for r in rows] == [("ok", caseworker.id)]


def test_case_list_by_stage_with_overdue_filter(
    staff_client: TestClient, session: Session, person: Person, caseworker: User, keyring: Keyring
) -> None:
    late = _case(session, caseworker, person, "intake")
    other = make_person(session, keyring=keyring)
    fresh = _case(session, caseworker, other, "identified")
    html = staff_client.get("/cases").text
    assert f"/cases/{late.id}" in html and f"/cases/{fresh.id}" in html
    assert "기한 초과" in html
    overdue = staff_client.get("/cases", params={"overdue": "true"}).text
    assert f"/cases/{late.id}" in overdue and f'href="/cases/{fresh.id}"' not in overdue
    staged = staff_client.get("/cases", params={"stage": "identified"}).text
    assert f'href="/cases/{fresh.id}"' in staged and f'href="/cases/{late.id}"' not in staged


def test_manager_reads_cases_but_cannot_change_them(
    client: TestClient, session: Session, person: Person, caseworker: User
) -> None:
    case = _case(session, caseworker, person, "identified")
    manager = make_user(session, role=Role.CENTER_MANAGER)
    csrf = sign_in(client, session, manager)
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200 and "초기상담 기록" not in page.text
    assert f"/cases/{case.id}" in client.get("/cases").text  # the scope's cases
    response = client.post(
        f"/cases/{case.id}/close",
        data={"closed_on": TODAY.isoformat(), "reason": "이사", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 403

"""The home page: my cases by stage, overdue deadlines, today's checks and the review count
for case staff; the summary cards for everyone else."""

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bigcare.auth import service as auth_service
from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.cases import home, plans
from bigcare.db import KST, utcnow
from bigcare.privacy.crypto import Keyring
from tests.cases.test_workflow import make_case
from tests.factories import make_person, make_user, sign_in

TODAY = date(2026, 3, 20)


def test_caseworker_home_counts_stages_overdue_and_todays_checks(
    session: Session, keyring: Keyring, caseworker: User
) -> None:
    actor = auth_service.actor_for(caseworker)
    late = make_case(
        session, actor=actor, person=make_person(session, keyring=keyring), until="intake"
    )
    checked = make_case(
        session, actor=actor, person=make_person(session, keyring=keyring), until="planned"
    )
    plans.record_monitoring(
        session,
        actor=actor,
        case_id=checked.id or 0,
        checked_on=TODAY - timedelta(days=7),
        method="phone",
        content="통화",
        next_on=TODAY,
        today=TODAY,
    )
    colleague = auth_service.actor_for(make_user(session))
    make_case(session, actor=colleague, person=make_person(session, keyring=keyring))
    view = home.caseworker_home(session, actor=actor, today=TODAY)
    counts = {g.stage: g.count for g in view.stages}
    assert counts["intake"] == 1 and counts["monitoring"] == 1 and counts["identified"] == 0
    assert view.open_total == 2
    assert {(i.case.id, i.flag.kind) for i in view.overdue} == {
        (late.id, "assessment"),
        (late.id, "plan"),
    }
    assert [t.case.id for t in view.today_checks] == [checked.id]
    assert view.review_open == 0
    logged = session.exec(
        select(AccessLog.target).where(
            AccessLog.action == "case.list", AccessLog.user_id == caseworker.id
        )
    ).all()
    assert logged == ["홈: 사례 5건 표시 (내 사례)"]


def test_home_page_shows_my_cases_and_overdue(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    today = utcnow().astimezone(KST).date()
    person = make_person(session, keyring=keyring)
    case = make_case(
        session,
        actor=auth_service.actor_for(caseworker),
        person=person,
        until="intake",
        start=today - timedelta(days=40),
        today=today,
    )
    html = staff_client.get("/").text
    assert "내 사례" in html and f'href="/cases/{case.id}"' in html
    assert "기한 넘긴 일" in html and "기한 초과 28일" in html  # intake 38 days ago, due +10
    assert "오늘 방문·점검" in html and "오늘 예정된 방문·점검이 없습니다" in html
    assert 'href="/linkage/reviews"' in html
    assert person.name in html


def test_home_page_for_other_roles_keeps_the_summary_cards(
    client: TestClient, session: Session
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    sign_in(client, session, admin)
    html = client.get("/").text
    assert "시스템 관리" in html and "내 사례" not in html and "기한 넘긴 일" not in html

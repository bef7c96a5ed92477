"""The home page: my cases by stage, overdue deadlines, today's checks and the review count
for case staff; the summary cards for everyone else."""

from datetime import date, timedelta

import pytest
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


def test_each_stage_lists_its_oldest_cases_and_counts_them_all(
    session: Session, keyring: Keyring, caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home, "CASES_PER_STAGE", 2)
    actor = auth_service.actor_for(caseworker)
    found = [
        make_case(
            session,
            actor=actor,
            person=make_person(session, keyring=keyring),
            start=TODAY - timedelta(days=days),
        )
        for days in (5, 30, 12)
    ]
    taken = make_case(
        session, actor=actor, person=make_person(session, keyring=keyring), until="intake"
    )

    view = home.caseworker_home(session, actor=actor, today=TODAY)

    groups = {g.stage: g for g in view.stages}
    identified = groups["identified"]
    assert identified.count == 3
    assert [c.id for c, _ in identified.cases] == [found[1].id, found[2].id]
    assert groups["intake"].count == 1 and [c.id for c, _ in groups["intake"].cases] == [taken.id]
    assert view.open_total == 4
    assert [g.stage for g in view.stages][:2] == ["identified", "consulting"]


def test_home_shows_the_most_overdue_and_links_to_all_of_them(
    staff_client: TestClient,
    session: Session,
    keyring: Keyring,
    caseworker: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(home, "OVERDUE_ON_HOME", 1)
    today = utcnow().astimezone(KST).date()
    actor = auth_service.actor_for(caseworker)
    for days in (20, 40):
        make_case(
            session,
            actor=actor,
            person=make_person(session, keyring=keyring),
            until="intake",
            start=today - timedelta(days=days),
            today=today,
        )
    view = home.caseworker_home(session, actor=actor, today=today)
    # intake 38 days ago: assessment 28 days over and plan 8; intake 18 days ago: 8 days over
    assert view.overdue_total == 3
    assert [i.flag.days_over for i in view.overdue] == [28]
    html = staff_client.get("/").text
    assert "기한 초과 28일" in html and "기한 초과 8일" not in html
    assert 'href="/cases?overdue=1&amp;who=mine">기한 넘긴 일 3건 모두 보기' in html


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

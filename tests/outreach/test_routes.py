"""Outreach pages through HTTP: the week calendar, the day's ordered visits and route drawing,
refusals outside the scope, gu status, planning and approving, moving and locking a visit,
outcomes one by one and for the whole day, and the rule preview that saves nothing."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.cases.models import Household, HouseholdMember
from bigcare.db import seoul_today
from bigcare.districts.models import Dong
from bigcare.outreach import service
from bigcare.outreach.models import OutreachStaff, Visit, VisitRule, VisitTarget, WeekPlan
from bigcare.privacy.crypto import Keyring
from tests import factories
from tests.outreach import world
from tests.outreach.test_schedule import TUESDAY, WEEK, add_plan, add_staff, add_visit


@pytest.fixture
def dong(session: Session) -> Dong:
    world.make_rules(session)
    return world.make_center(session)


def signed_in(client: TestClient, session: Session, role: Role, scope: str | None) -> TestClient:
    """A client of its own, signed in with a new account; `.csrf` holds its token."""
    browser = TestClient(client.app)
    user = factories.make_user(session, role=role, scope_code=scope)
    browser.csrf = factories.sign_in(browser, session, user)  # type: ignore[attr-defined]
    return browser


def post(browser: TestClient, url: str, data: dict[str, object] | None = None) -> Any:
    form = {**(data or {}), "csrf_token": browser.csrf}  # type: ignore[attr-defined]
    return browser.post(url, data=form, follow_redirects=False)


@pytest.fixture
def day_plan(session: Session, dong: Dong, keyring: Keyring) -> dict[str, object]:
    """A planner with three visits on Tuesday of WEEK (in the past), one nurse."""
    planner = add_staff(session, dong, name="김플래너")
    nurse = add_staff(session, dong, "nurse", name="이간호")
    plan = add_plan(session, dong, visits_planned=3)
    targets, visits = [], []
    for seq, (start, offset) in enumerate(
        [(540, (0.0, 0.006)), (620, (0.004, 0.004)), (700, (0.003, -0.002))], start=1
    ):
        target = world.make_target(session, dong, keyring=keyring, due=TUESDAY, offset=offset)
        targets.append(target)
        visits.append(add_visit(session, plan, target, planner, day=TUESDAY, start=start, seq=seq))
    return {"planner": planner, "nurse": nurse, "plan": plan, "targets": targets, "visits": visits}


def _day_url(dong: Dong, staff: OutreachStaff, day: date = TUESDAY) -> str:
    return f"/outreach/centers/{dong.code}/days/{day.isoformat()}/staff/{staff.id}"


def test_week_page_shows_each_staff_member_with_visits_per_day(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    page = browser.get(f"/outreach/centers/{dong.code}/weeks/{WEEK}")
    assert page.status_code == 200
    html = page.text
    assert "김플래너" in html and "복지플래너" in html and "이간호" in html and "방문간호사" in html
    assert "기독탄신일" in html and "초안" in html
    # Tuesday's cell of the planner: three visits, linked to the day page.
    cell = re.search(rf'href="{_day_url(dong, day_plan["planner"])}"[^>]*>\s*<strong>(\d+)건', html)
    assert cell and cell.group(1) == "3"
    for label in ("계획 세우기", "다시 계획", "승인"):
        assert f">{label}</button>" in html
    # Logout, the three plan forms and the leave form carry the session's CSRF token.
    assert html.count(f'name="csrf_token" value="{browser.csrf}"') == 5  # type: ignore[attr-defined]
    assert f'href="/outreach/centers/{dong.code}/weeks/2026-W01"' in html


def test_week_page_offers_no_plan_buttons_without_plan_edit(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.VISITING_NURSE, dong.code)
    html = browser.get(f"/outreach/centers/{dong.code}/weeks/{WEEK}").text
    assert "김플래너" in html and "계획 세우기" not in html and ">승인</button>" not in html


def test_day_page_lists_visits_in_order_and_draws_numbered_points(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.VISITING_NURSE, dong.code)
    # Rows other tests committed are older than this test's.
    before = session.exec(select(func.max(AccessLog.id))).one() or 0
    page = browser.get(_day_url(dong, day_plan["planner"]))
    assert page.status_code == 200
    html = page.text
    times = re.findall(r'class="oc-time">([0-9:]+–[0-9:]+)<', html)
    assert times == ["09:00–09:40", "10:20–11:00", "11:40–12:20"]
    names = [t.person_id for t in day_plan["targets"]]
    positions = [html.index(f'href="/persons/{pid}"') for pid in names]
    assert positions == sorted(positions)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert re.findall(r"<circle[^>]*/>\s*<text[^>]*>(\d+)</text>", svg) == ["1", "2", "3"]
    assert re.search(r"<text[^>]*>\d+(\.\d+)? k?m</text>", svg), "scale bar label"
    logged = session.exec(
        select(AccessLog.subject_person_id).where(
            AccessLog.action == "outreach.day.read", col(AccessLog.id) > before
        )
    ).all()
    assert sorted(logged) == sorted(names)
    token = f'name="csrf_token" value="{browser.csrf}"'  # type: ignore[attr-defined]
    # Logout, three outcome forms (a nurse moves no visit) and the bulk form.
    assert html.count(token) == 5


def test_another_dongs_pages_are_refused_to_a_center_user(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    other = world.make_center(session)
    stranger = add_staff(session, other)
    browser = signed_in(client, session, Role.WELFARE_PLANNER, other.code)
    assert browser.get(f"/outreach/centers/{dong.code}/weeks/{WEEK}").status_code == 404
    assert browser.get(_day_url(dong, day_plan["planner"])).status_code == 404
    # Their own center with another center's staff member in the URL: no page either.
    assert browser.get(_day_url(other, day_plan["planner"])).status_code == 404
    assert browser.get(_day_url(other, stranger)).status_code == 200
    visit = day_plan["visits"][0]
    refused = post(browser, f"/outreach/visits/{visit.id}/outcome", {"outcome": "done"})
    assert refused.status_code == 404
    assert session.get(Visit, visit.id).status == "planned"


def test_gu_manager_sees_the_status_of_their_gu_only(
    client: TestClient, session: Session, dong: Dong
) -> None:
    gu = factories.make_gu(session)
    mine = factories.make_dong(session, gu=gu, name="우리동")
    add_plan(session, mine, status="approved", visits_planned=17)
    add_plan(session, dong, visits_planned=5)  # another test gu
    browser = signed_in(client, session, Role.GU_MANAGER, gu.code)
    page = browser.get(f"/outreach/gu/{gu.code}?week={WEEK}")
    assert page.status_code == 200
    assert "우리동" in page.text and "승인" in page.text and dong.name not in page.text
    assert f'href="/outreach/centers/{mine.code}/weeks/{WEEK}"' in page.text
    assert browser.get(f"/outreach/gu/{dong.gu_code}?week={WEEK}").status_code == 404
    city = browser.get(f"/outreach/city?week={WEEK}")
    assert city.status_code == 200 and gu.name in city.text and "강남구" not in city.text
    landing = browser.get("/outreach", follow_redirects=False)
    assert landing.headers["location"].startswith(f"/outreach/gu/{gu.code}?week=")


def test_landing_takes_center_staff_to_this_weeks_plan(
    client: TestClient, session: Session, dong: Dong
) -> None:
    browser = signed_in(client, session, Role.WELFARE_PLANNER, dong.code)
    landing = browser.get("/outreach", follow_redirects=False)
    this_week = service.week_of(seoul_today())
    assert landing.status_code == 303
    assert landing.headers["location"] == f"/outreach/centers/{dong.code}/weeks/{this_week}"
    assert "방문 일정" in browser.get("/").text


def test_plan_then_approve_the_week(
    client: TestClient, session: Session, dong: Dong, keyring: Keyring
) -> None:
    add_staff(session, dong, name="김플래너")
    for i in range(3):
        world.make_target(
            session, dong, keyring=keyring, due=date(2027, 1, 1), offset=(0.001 * i, 0.002)
        )
    week = service.week_of(seoul_today() + timedelta(days=7))
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    url = f"/outreach/centers/{dong.code}/weeks/{week}"
    assert "계획을 아직 세우지 않았습니다" in browser.get(url).text
    planned = post(browser, f"{url}/plan")
    assert planned.status_code == 303 and planned.headers["location"] == url
    plan = service.find_plan(session, dong_code=dong.code, week=week)
    assert plan is not None and plan.visits_planned == 3
    page = browser.get(url).text
    assert "계획한 방문" in page and ">승인</button>" in page
    assert post(browser, f"{url}/approve").status_code == 303
    session.refresh(plan)
    assert plan.status == "approved"
    page = browser.get(url).text
    assert ">계획 세우기</button>" not in page and ">승인</button>" not in page
    assert "승인:" in page
    # Planning an approved week again is refused; there is nothing to approve twice.
    assert post(browser, f"{url}/plan").status_code == 409
    assert post(browser, f"{url}/approve").status_code == 409


def test_move_a_visit_to_another_staff_member_and_day(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    visit, nurse = day_plan["visits"][1], day_plan["nurse"]
    wednesday = TUESDAY + timedelta(days=1)
    moved = post(
        browser,
        f"/outreach/visits/{visit.id}/move",
        {"staff_id": nurse.id, "day": wednesday.isoformat(), "start": "14:00"},
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == _day_url(dong, nurse, wednesday)
    session.refresh(visit)
    assert (visit.staff_id, visit.day, visit.start_min, visit.locked) == (
        nurse.id,
        wednesday,
        840,
        True,
    )
    # Christmas is a holiday: refused, and the form comes back open with the reason.
    refused = post(
        browser,
        f"/outreach/visits/{visit.id}/move",
        {"staff_id": nurse.id, "day": "2025-12-25", "start": "14:00", "staff": nurse.id},
    )
    assert refused.status_code == 422
    assert "공휴일" in refused.text and "<details open>" in refused.text
    bad_time = post(
        browser,
        f"/outreach/visits/{visit.id}/move",
        {"staff_id": nurse.id, "day": wednesday.isoformat(), "start": "2시"},
    )
    assert bad_time.status_code == 422 and "14:30 처럼" in bad_time.text


def test_lock_and_unlock_a_visit(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.WELFARE_PLANNER, dong.code)
    visit, planner = day_plan["visits"][0], day_plan["planner"]
    locked = post(
        browser, f"/outreach/visits/{visit.id}/lock", {"locked": "1", "staff": planner.id}
    )
    assert locked.status_code == 303 and locked.headers["location"] == _day_url(dong, planner)
    session.refresh(visit)
    assert visit.locked
    assert "고정 풀기" in browser.get(_day_url(dong, planner)).text
    post(browser, f"/outreach/visits/{visit.id}/lock", {"locked": "0"})
    session.refresh(visit)
    assert not visit.locked
    nurse = signed_in(client, session, Role.VISITING_NURSE, dong.code)
    assert post(nurse, f"/outreach/visits/{visit.id}/lock", {"locked": "1"}).status_code == 403


def test_outcome_form_records_and_returns_to_the_day(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.VISITING_NURSE, dong.code)
    planner = day_plan["planner"]
    first, second = day_plan["visits"][:2]
    refused = post(browser, f"/outreach/visits/{first.id}/outcome", {"outcome": "done", "note": ""})
    assert refused.status_code == 422
    assert "무엇을 확인했는지" in refused.text and "<details open>" in refused.text
    saved = post(
        browser,
        f"/outreach/visits/{first.id}/outcome",
        {"outcome": "done", "note": "식사 잘 하심", "staff": planner.id},
    )
    assert saved.status_code == 303 and saved.headers["location"] == _day_url(dong, planner)
    session.refresh(first)
    assert (first.status, first.outcome_note) == ("done", "식사 잘 하심")
    page = browser.get(_day_url(dong, planner)).text
    assert "결과: 완료 — 식사 잘 하심" in page
    # 이사 needs the new address and dong.
    moved = post(browser, f"/outreach/visits/{second.id}/outcome", {"outcome": "moved"})
    assert moved.status_code == 422 and "새 주소를 적어 주세요" in moved.text


def test_bulk_entry_records_the_day_all_or_nothing(
    client: TestClient, session: Session, dong: Dong, day_plan: dict
) -> None:
    browser = signed_in(client, session, Role.WELFARE_PLANNER, dong.code)
    planner = day_plan["planner"]
    ids = [v.id for v in day_plan["visits"]]
    url = _day_url(dong, planner) + "/outcomes"
    # The third row is 완료 without a note: nothing is saved, the rows come back as typed.
    refused = post(
        browser,
        url,
        {"visit_id": ids, "outcome": ["absent", "refused", "done"], "note": ["", "", ""]},
    )
    assert refused.status_code == 422
    assert "3번째 방문" in refused.text and "저장하지 않았습니다" in refused.text
    assert re.search(r'<option value="refused" selected>', refused.text)
    session.expire_all()
    assert [session.get(Visit, i).status for i in ids] == ["planned"] * 3
    saved = post(
        browser,
        url,
        {"visit_id": ids, "outcome": ["absent", "", "done"], "note": ["", "", "혈압 정상"]},
    )
    assert saved.status_code == 303 and saved.headers["location"] == _day_url(dong, planner)
    session.expire_all()
    assert [session.get(Visit, i).status for i in ids] == ["absent", "planned", "done"]
    nothing = post(browser, url, {"visit_id": ids[1:2], "outcome": [""], "note": [""]})
    assert nothing.status_code == 422 and "결과를 고른 방문이 없습니다" in nothing.text


@pytest.fixture
def alone_rule(session: Session, keyring: Keyring) -> VisitRule:
    """A rule visiting persons aged 75+ living alone, and two persons living alone: 80 and 70."""
    rule = VisitRule(
        code="alone_test",
        name="홀몸 어르신 시험",
        selector="alone",
        params={"min_age": 75},
        priority=4,
        due_days=14,
        frequency_days=30,
        roles=["planner"],
        duration_min=40,
        covers=["안부 확인"],
    )
    session.add(rule)
    today = seoul_today()
    for age in (80, 70):
        born = date(today.year - age, 1, 1) - timedelta(days=1)
        person = factories.make_person(session, keyring=keyring, birth_date=born, rrn=None)
        household = Household(dong_code=person.dong_code)
        session.add(household)
        session.flush()
        session.add(HouseholdMember(person_id=person.id or 0, household_id=household.id or 0))
    session.flush()
    return rule


def test_rule_preview_shows_added_and_dropped_without_saving(
    client: TestClient, session: Session, alone_rule: VisitRule
) -> None:
    browser = signed_in(client, session, Role.CITY_MANAGER, None)
    page = browser.get("/outreach/rules")
    assert page.status_code == 200 and "홀몸 어르신 시험" in page.text and "미리보기" in page.text
    form = {
        "priority": "4",
        "due_days": "14",
        "frequency_days": "30",
        "duration_min": "40",
        "roles": ["planner"],
        "active": "true",
        "covers": "안부 확인",
        "params.min_age": "65",
    }
    preview = post(browser, "/outreach/rules/alone_test/preview", form)
    assert preview.status_code == 200
    assert "새로 선정 1명, 빠짐 0명" in preview.text and "지금 1명" in preview.text
    assert 'value="65"' in preview.text  # the form keeps what was typed
    session.refresh(alone_rule)
    assert (alone_rule.params, alone_rule.version) == ({"min_age": 75}, 1)
    assert (
        session.exec(select(VisitTarget).where(VisitTarget.rule_code == "alone_test")).all() == []
    )
    bad = post(browser, "/outreach/rules/alone_test/preview", {**form, "params.min_age": "30"})
    assert bad.status_code == 422 and "60에서 110 사이" in bad.text
    saved = post(browser, "/outreach/rules/alone_test", form)
    assert saved.status_code == 303
    session.refresh(alone_rule)
    assert (alone_rule.params, alone_rule.version) == ({"min_age": 65}, 2)


def test_rules_are_read_only_without_rule_edit(
    client: TestClient, session: Session, dong: Dong, alone_rule: VisitRule
) -> None:
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    page = browser.get("/outreach/rules")
    assert page.status_code == 200 and "홀몸 어르신 시험" in page.text
    assert "이 규칙 고치기" not in page.text
    refused = post(browser, "/outreach/rules/alone_test/preview", {"priority": "1"})
    assert refused.status_code == 403


def test_unknown_week_in_the_url_is_not_found(
    client: TestClient, session: Session, dong: Dong
) -> None:
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    assert browser.get(f"/outreach/centers/{dong.code}/weeks/2025-53").status_code == 404
    assert browser.get("/outreach/city?week=nope").status_code == 404
    plans = session.exec(select(WeekPlan).where(col(WeekPlan.dong_code) == dong.code)).all()
    assert plans == []


def test_sick_leave_from_the_week_page_then_replan_moves_that_staff_members_visits(
    client: TestClient, session: Session, dong: Dong, keyring: Keyring
) -> None:
    sick = world.make_staff(session, dong)
    world.make_staff(session, dong)
    week = service.week_of(seoul_today() + timedelta(days=7))
    days = service.workdays(week)
    for i in range(6):
        # Re-visits: the refresh before a re-plan never closes them (no rule selects them).
        world.make_target(
            session, dong, keyring=keyring, rule="revisit", due=days[0], offset=(0.001 * i, 0.0)
        )
    plan = service.plan_week(
        session, dong_code=dong.code, week=week, actor=None, today=seoul_today(), seconds=0.3
    )
    assert any(v.staff_id == sick.id for v in service.plan_visits(session, plan.id or 0))
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    url = f"/outreach/centers/{dong.code}/weeks/{week}"
    backwards = {"staff_id": sick.id, "starts_on": days[1], "ends_on": days[0], "kind": "sick"}
    refused = post(browser, f"{url}/leave", backwards)
    assert refused.status_code == 422
    assert "끝나는 날이 시작하는 날보다 앞섭니다" in refused.text
    whole_week = {"staff_id": sick.id, "starts_on": days[0], "ends_on": days[-1], "kind": "sick"}
    assert post(browser, f"{url}/leave", whole_week).status_code == 303
    page = browser.get(url).text
    assert "주의 휴가 기록" in page and "병가" in page
    assert post(browser, f"{url}/replan").status_code == 303
    visits = service.plan_visits(session, plan.id or 0)
    assert len(visits) >= 6  # plus any lone 75+ resident the refresh found
    assert not [v for v in visits if v.staff_id == sick.id]
    assert plan.moved_last and plan.moved_last > 0


def test_leave_entered_by_mistake_is_cancelled_from_the_week_page(
    client: TestClient, session: Session, dong: Dong
) -> None:
    staff = world.make_staff(session, dong)
    week = service.week_of(seoul_today() + timedelta(days=7))
    monday = service.workdays(week)[0]
    browser = signed_in(client, session, Role.CENTER_MANAGER, dong.code)
    url = f"/outreach/centers/{dong.code}/weeks/{week}"
    one_day = {"staff_id": staff.id, "starts_on": monday, "ends_on": monday, "kind": "annual"}
    assert post(browser, f"{url}/leave", one_day).status_code == 303
    [leave_id] = re.findall(r"/leave/(\d+)/cancel", browser.get(url).text)
    other = signed_in(client, session, Role.CENTER_MANAGER, world.make_center(session).code)
    assert post(other, f"{url}/leave/{leave_id}/cancel").status_code == 404
    assert post(browser, f"{url}/leave/{leave_id}/cancel").status_code == 303
    assert "/cancel" not in browser.get(url).text

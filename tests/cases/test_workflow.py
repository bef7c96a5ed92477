"""The 통합사례관리 workflow: every step in order, the refused ones, dates, deadlines with a
frozen clock, overdue listing and the one-open-case rule."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.cases import case_views, deadlines, plans, stages, workflow
from bigcare.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    Household,
    HouseholdMember,
    PlanService,
    ServicePlan,
)
from bigcare.errors import Conflict, InvalidInput, NotFound
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_person, make_user

TODAY = date(2026, 3, 20)
SCORES = dict.fromkeys(stages.DOMAINS, 1) | {"health": 3}


def actor_of(user: User) -> auth_service.Actor:
    return auth_service.actor_for(user)


def make_case(
    session: Session,
    *,
    actor: auth_service.Actor,
    person: Person,
    until: str = "identified",
    start: date = TODAY - timedelta(days=60),
    today: date = TODAY,
) -> Case:
    """A case of `person` taken through the workflow up to stage `until`, one day a step."""
    case = workflow.open_case(
        session,
        actor=actor,
        person_id=person.id or 0,
        referral_source="이웃신고",
        detail="이웃이 연락이 끊겼다고 알림",
        identified_on=start,
        today=today,
    )
    cid, day = case.id or 0, start
    steps = list(stages.STAGES)
    for stage in steps[1 : steps.index(until) + 1]:
        day += timedelta(days=1)
        if stage == "consulting":
            workflow.record_consultation(
                session,
                actor=actor,
                case_id=cid,
                consulted_on=day,
                content="전화 상담",
                outcome="proceed",
                today=today,
            )
        elif stage == "intake":
            workflow.record_intake(
                session,
                actor=actor,
                case_id=cid,
                intake_on=day,
                assessment_days=10,
                plan_days=30,
                today=today,
            )
        elif stage == "assessment":
            assess(session, actor, cid, day, today)
        elif stage == "conference":
            workflow.record_conference(
                session,
                actor=actor,
                case_id=cid,
                held_on=day,
                kind="internal",
                participants="김복지 사례관리사\n박간호 방문간호사",
                decision="집중 사례로 관리",
                today=today,
            )
        elif stage == "classified":
            workflow.classify(
                session,
                actor=actor,
                case_id=cid,
                category="intensive",
                classified_on=day,
                today=today,
            )
        elif stage == "planned":
            plan(session, actor, cid, day, today)
        elif stage == "monitoring":
            plans.record_monitoring(
                session,
                actor=actor,
                case_id=cid,
                checked_on=day,
                method="visit",
                content="방문 점검",
                next_on=day + timedelta(days=14),
                today=today,
            )
        elif stage == "closed":
            workflow.close_case(
                session,
                actor=actor,
                case_id=cid,
                closed_on=day,
                reason="목표달성",
                note="",
                today=today,
            )
    session.refresh(case)
    return case


def assess(
    session: Session, actor: auth_service.Actor, cid: int, day: date, today: date = TODAY
) -> Assessment:
    return workflow.record_assessment(
        session,
        actor=actor,
        case_id=cid,
        assessed_on=day,
        scores=dict(SCORES),
        crisis_level="high",
        summary="건강 위기 높음",
        today=today,
    )


def plan(
    session: Session, actor: auth_service.Actor, cid: int, day: date, today: date = TODAY
) -> ServicePlan:
    return plans.record_plan(
        session,
        actor=actor,
        case_id=cid,
        planned_on=day,
        goals="건강 회복",
        starts_on=day,
        ends_on=day + timedelta(days=90),
        services=[
            plans.ServiceInput(
                service="방문간호", frequency="주 1회", starts_on=day, ends_on=day + timedelta(30)
            )
        ],
        today=today,
    )


@pytest.fixture
def actor(caseworker: User) -> auth_service.Actor:
    return actor_of(caseworker)


@pytest.fixture
def person(session: Session, keyring: Keyring) -> Person:
    return make_person(session, keyring=keyring)


def test_every_stage_in_order_records_dates_events_and_access_log(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="monitoring")
    start = TODAY - timedelta(days=60)
    assert case.stage == "monitoring"
    assert case.consulted_on == start + timedelta(days=1)
    assert case.intake_on == start + timedelta(days=2)
    assert case.assessment_due == case.intake_on + timedelta(days=10)
    assert case.plan_due == case.intake_on + timedelta(days=30)
    assert (case.crisis_level, case.category) == ("high", "intensive")
    assert case.planned_on == start + timedelta(days=6)
    events = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
    ).all()
    assert [(e.from_stage, e.to_stage) for e in events] == [
        (None, "identified"),
        ("identified", "consulting"),
        ("consulting", "intake"),
        ("intake", "assessment"),
        ("assessment", "conference"),
        ("conference", "classified"),
        ("classified", "planned"),
        ("planned", "monitoring"),
    ]
    assert all(e.actor_label == actor.signature for e in events)
    logged = session.exec(
        select(AccessLog.action).where(AccessLog.subject_person_id == person.id)
    ).all()
    for action in ("case.open", "case.intake", "case.assessment", "case.plan", "case.monitoring"):
        assert action in logged


def test_plan_records_a_version_with_its_services_and_checks_the_provider(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="classified")
    facility = make_facility(session)
    day = TODAY - timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        plans.record_plan(
            session,
            actor=actor,
            case_id=case.id or 0,
            planned_on=day,
            goals="자립",
            starts_on=day,
            ends_on=day + timedelta(days=60),
            services=[plans.ServiceInput(service="도시락", provider="NOPE", starts_on=day)],
            today=TODAY,
        )
    fields = {(e.field, e.row) for e in refused.value.errors}
    assert fields == {("provider", 0), ("service_ends_on", 0)}
    made = plans.record_plan(
        session,
        actor=actor,
        case_id=case.id or 0,
        planned_on=day,
        goals="자립",
        starts_on=day,
        ends_on=day + timedelta(days=60),
        services=[
            plans.ServiceInput(),  # a blank row is ignored
            plans.ServiceInput(
                service="도시락", provider=facility.code, starts_on=day, ends_on=day
            ),
        ],
        today=TODAY,
    )
    rows = session.exec(select(PlanService).where(PlanService.plan_id == made.id)).all()
    assert made.version == 1
    assert [(r.service, r.facility_code) for r in rows] == [("도시락", facility.code)]


def test_plan_needs_at_least_one_service(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="classified")
    with pytest.raises(InvalidInput) as refused:
        plans.record_plan(
            session,
            actor=actor,
            case_id=case.id or 0,
            planned_on=TODAY,
            goals="자립",
            starts_on=TODAY,
            ends_on=TODAY,
            services=[plans.ServiceInput(), plans.ServiceInput()],
            today=TODAY,
        )
    assert refused.value.errors[0].message == "서비스를 한 가지 이상 입력하세요"


def test_reassessment_goes_back_to_assessment_then_a_new_plan_version(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="monitoring")
    cid = case.id or 0
    plans.reassess(session, actor=actor, case_id=cid, note="건강 악화")
    assert (case.stage, case.assessed_on) == ("assessment", None)
    assert stages.next_steps(case) == ["assessment"]
    with pytest.raises(Conflict):
        workflow.record_conference(
            session,
            actor=actor,
            case_id=cid,
            held_on=TODAY,
            kind="joint",
            participants="김복지",
            decision="-",
            today=TODAY,
        )
    again = assess(session, actor, cid, TODAY - timedelta(days=3))
    assert again.kind == "reassessment"
    assert stages.next_steps(case) == ["conference"]
    workflow.record_conference(
        session,
        actor=actor,
        case_id=cid,
        held_on=TODAY - timedelta(days=2),
        kind="joint",
        participants="김복지\n복지관 사회복지사",
        decision="서비스 추가",
        today=TODAY,
    )
    # The category stands: a new plan may follow the conference directly.
    assert stages.next_steps(case) == ["classification", "plan"]
    second = plan(session, actor, cid, TODAY - timedelta(days=1))
    assert (second.version, case.stage) == (2, "planned")
    kinds = session.exec(
        select(Assessment.kind).where(Assessment.case_id == cid).order_by(col(Assessment.id))
    ).all()
    assert kinds == ["initial", "reassessment"]
    # No deadline comes back after a reassessment.
    assert deadlines.deadline_flags(case, today=TODAY) == []


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("identified", "초기상담 전에는 접수를 기록할 수 없습니다"),
        ("consulting", "접수 전에는 욕구·위기도 조사를 기록할 수 없습니다"),
    ],
)
def test_steps_out_of_order_are_refused_with_what_comes_first(
    session: Session, actor: auth_service.Actor, person: Person, until: str, message: str
) -> None:
    case = make_case(session, actor=actor, person=person, until=until)
    with pytest.raises(Conflict) as refused:
        if until == "identified":
            workflow.record_intake(
                session,
                actor=actor,
                case_id=case.id or 0,
                intake_on=TODAY,
                assessment_days=10,
                plan_days=30,
                today=TODAY,
            )
        else:
            assess(session, actor, case.id or 0, TODAY)
    assert refused.value.message == message
    assert case.stage == until


def test_monitoring_and_reassessment_need_a_plan(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="conference")
    with pytest.raises(Conflict, match="서비스 제공계획 전에는"):
        plans.record_monitoring(
            session,
            actor=actor,
            case_id=case.id or 0,
            checked_on=TODAY,
            method="phone",
            content="통화",
            next_on=None,
            today=TODAY,
        )
    with pytest.raises(Conflict, match="재사정은"):
        plans.reassess(session, actor=actor, case_id=case.id or 0, note="x")


def test_a_closed_case_refuses_everything(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="intake")
    workflow.close_case(
        session,
        actor=actor,
        case_id=case.id or 0,
        closed_on=TODAY,
        reason="이사",
        note="",
        today=TODAY,
    )
    assert (case.stage, case.close_reason, case.closed_on) == ("closed", "이사", TODAY)
    with pytest.raises(Conflict, match="이미 종결"):
        assess(session, actor, case.id or 0, TODAY)
    with pytest.raises(Conflict, match="이미 종결"):
        workflow.close_case(
            session,
            actor=actor,
            case_id=case.id or 0,
            closed_on=TODAY,
            reason="이사",
            note="",
            today=TODAY,
        )
    assert deadlines.deadline_flags(case, today=TODAY + timedelta(days=99)) == []


def test_consultation_may_close_the_case_as_not_eligible(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person)
    with pytest.raises(InvalidInput) as refused:
        workflow.record_consultation(
            session,
            actor=actor,
            case_id=case.id or 0,
            consulted_on=TODAY,
            content="소득 기준 초과",
            outcome="close",
            today=TODAY,
        )
    assert [e.field for e in refused.value.errors] == ["close_reason"]
    workflow.record_consultation(
        session,
        actor=actor,
        case_id=case.id or 0,
        consulted_on=TODAY,
        content="소득 기준 초과",
        outcome="close",
        close_reason="비해당",
        today=TODAY,
    )
    assert (case.stage, case.close_reason, case.closed_on) == ("closed", "비해당", TODAY)


def test_close_with_other_reason_needs_a_note(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person)
    with pytest.raises(InvalidInput) as refused:
        workflow.close_case(
            session,
            actor=actor,
            case_id=case.id or 0,
            closed_on=TODAY,
            reason="기타",
            note=" ",
            today=TODAY,
        )
    assert [e.field for e in refused.value.errors] == ["close_note"]
    assert case.stage == "identified"


def test_dates_in_the_future_or_before_the_previous_step_are_refused(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="consulting")
    for day, text in ((TODAY + timedelta(days=1), "오늘"), (case.consulted_on, None)):
        assert day is not None
        if text is None:
            day -= timedelta(days=1)
        with pytest.raises(InvalidInput) as refused:
            workflow.record_intake(
                session,
                actor=actor,
                case_id=case.id or 0,
                intake_on=day,
                assessment_days=10,
                plan_days=30,
                today=TODAY,
            )
        [error] = refused.value.errors
        assert error.field == "intake_on"
        assert ("이후일 수 없습니다" if text else "앞 단계 기록일") in error.message
    assert case.stage == "consulting"


def test_assessment_needs_every_domain_and_a_crisis_level(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="intake")
    with pytest.raises(InvalidInput) as refused:
        workflow.record_assessment(
            session,
            actor=actor,
            case_id=case.id or 0,
            assessed_on=TODAY,
            scores={"health": 2, "safety": 7},
            crisis_level="severe",
            summary="",
            today=TODAY,
        )
    fields = {e.field for e in refused.value.errors}
    assert fields == {f"score_{k}" for k in stages.DOMAINS if k != "health"} | {"crisis_level"}


def test_conference_needs_participants_and_a_decision(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="assessment")
    with pytest.raises(InvalidInput) as refused:
        workflow.record_conference(
            session,
            actor=actor,
            case_id=case.id or 0,
            held_on=TODAY,
            kind="internal",
            participants="\n  \n",
            decision="",
            today=TODAY,
        )
    assert {e.field for e in refused.value.errors} == {"participants", "decision"}


def test_one_open_case_per_person(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    first = make_case(session, actor=actor, person=person)
    with pytest.raises(Conflict) as refused:
        make_case(session, actor=actor, person=person)
    assert f"사례 #{first.id}" in refused.value.message
    workflow.close_case(
        session,
        actor=actor,
        case_id=first.id or 0,
        closed_on=TODAY,
        reason="거부",
        note="",
        today=TODAY,
    )
    second = make_case(session, actor=actor, person=person)
    assert second.id != first.id and second.stage == "identified"


def test_open_case_takes_the_household_and_defaults_to_the_actor(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    household = Household(dong_code=person.dong_code)
    session.add(household)
    session.flush()
    session.add(HouseholdMember(person_id=person.id or 0, household_id=household.id or 0))
    session.flush()
    case = make_case(session, actor=actor, person=person)
    assert case.household_id == household.id
    assert case.caseworker_id == actor.user_id
    assert case.dong_code == person.dong_code


def test_open_case_refuses_a_future_date_and_an_unknown_source(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    with pytest.raises(InvalidInput) as refused:
        workflow.open_case(
            session,
            actor=actor,
            person_id=person.id or 0,
            referral_source="소문",
            detail="",
            identified_on=TODAY + timedelta(days=1),
            today=TODAY,
        )
    assert {e.field for e in refused.value.errors} == {"referral_source", "identified_on"}


def test_cases_outside_the_scope_are_not_found_and_logged(
    session: Session, keyring: Keyring, actor: auth_service.Actor
) -> None:
    elsewhere = make_person(session, keyring=keyring, dong_code="1111051")  # 청운효자동
    other = actor_of(make_user(session, scope_code="1111051"))
    case = make_case(session, actor=other, person=elsewhere)
    with pytest.raises(NotFound):
        workflow.get_case(session, actor=actor, case_id=case.id or 0)
    with pytest.raises(NotFound):
        assess(session, actor, case.id or 0, TODAY)
    with pytest.raises(NotFound):
        make_case(session, actor=actor, person=elsewhere)
    rows = session.exec(
        select(AccessLog.action, AccessLog.outcome).where(
            AccessLog.subject_person_id == elsewhere.id, AccessLog.outcome == "not_found"
        )
    ).all()
    assert ("case.read", "not_found") in rows and ("case.assessment", "not_found") in rows


def test_deadline_flags_with_a_frozen_clock(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(
        session, actor=actor, person=person, until="intake", start=TODAY - timedelta(days=30)
    )
    intake = case.intake_on
    assert intake is not None
    on_time = deadlines.deadline_flags(case, today=intake + timedelta(days=10))
    assert [(f.kind, f.overdue, f.days_left) for f in on_time] == [
        ("assessment", False, 0),
        ("plan", False, 20),
    ]
    late = deadlines.deadline_flags(case, today=intake + timedelta(days=13))
    assert [(f.kind, f.overdue, f.days_over) for f in late] == [
        ("assessment", True, 3),
        ("plan", False, 0),
    ]
    assert late[0].label == "조사 기한" and late[0].due == intake + timedelta(days=10)


def test_monitoring_flag_comes_from_the_latest_next_date(
    session: Session, actor: auth_service.Actor, person: Person
) -> None:
    case = make_case(session, actor=actor, person=person, until="monitoring")
    checks = deadlines.next_checks(session, [case.id or 0])
    due = checks[case.id or 0]
    flags = deadlines.deadline_flags(case, today=due + timedelta(days=2), next_check=due)
    assert [(f.kind, f.label, f.days_over) for f in flags] == [("monitoring", "점검 예정", 2)]


def test_list_overdue_finds_each_kind_in_scope_for_a_caseworker(
    session: Session, keyring: Keyring, actor: auth_service.Actor
) -> None:
    start = TODAY - timedelta(days=60)
    waiting = make_case(
        session, actor=actor, person=make_person(session, keyring=keyring), until="intake"
    )
    monitored = make_case(
        session, actor=actor, person=make_person(session, keyring=keyring), until="monitoring"
    )
    fresh = make_case(
        session,
        actor=actor,
        person=make_person(session, keyring=keyring),
        until="intake",
        start=TODAY - timedelta(days=2),
    )
    colleague = actor_of(make_user(session))
    theirs = make_case(
        session, actor=colleague, person=make_person(session, keyring=keyring), until="intake"
    )
    items = deadlines.list_overdue(session, actor=actor, today=TODAY)
    found = {(i.case.id, i.flag.kind) for i in items}
    assert found == {
        (waiting.id, "assessment"),
        (waiting.id, "plan"),
        (monitored.id, "monitoring"),
        (theirs.id, "assessment"),
        (theirs.id, "plan"),
    }
    assert fresh.id not in {i.case.id for i in items}
    mine = deadlines.list_overdue(session, actor=actor, today=TODAY, caseworker_id=actor.user_id)
    assert theirs.id not in {i.case.id for i in mine}
    # Sorted most overdue first: the intake two days after `start` is 48 days past its 10.
    assert items[0].flag.days_over == (TODAY - (start + timedelta(days=12))).days


def test_list_cases_groups_by_stage_and_filters_overdue(
    session: Session, keyring: Keyring, actor: auth_service.Actor
) -> None:
    late = make_case(
        session, actor=actor, person=make_person(session, keyring=keyring), until="intake"
    )
    make_case(
        session,
        actor=actor,
        person=make_person(session, keyring=keyring),
        until="intake",
        start=TODAY - timedelta(days=3),
    )
    make_case(session, actor=actor, person=make_person(session, keyring=keyring), until="closed")
    listing = case_views.list_cases(session, actor=actor, today=TODAY, mine=True)
    assert listing.counts["intake"] == 2 and listing.counts["closed"] == 1
    assert [s for s, _ in listing.groups] == ["intake"]
    overdue = case_views.list_cases(session, actor=actor, today=TODAY, mine=True, overdue_only=True)
    assert [r.case.id for _, rows in overdue.groups for r in rows] == [late.id]


def test_manager_sees_the_scope_but_cannot_have_cases_assigned(
    session: Session, keyring: Keyring, actor: auth_service.Actor
) -> None:
    manager = make_user(session, role=Role.GU_MANAGER, scope_code="11230")
    person = make_person(session, keyring=keyring)
    with pytest.raises(InvalidInput) as refused:
        workflow.open_case(
            session,
            actor=actor,
            person_id=person.id or 0,
            referral_source="자체발굴",
            detail="",
            identified_on=TODAY,
            today=TODAY,
            caseworker_id=manager.id,
        )
    assert [e.field for e in refused.value.errors] == ["caseworker_id"]
    make_case(session, actor=actor, person=person)
    listing = case_views.list_cases(session, actor=actor_of(manager), today=TODAY, mine=False)
    assert listing.counts["identified"] >= 1

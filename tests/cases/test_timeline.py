"""The service timeline: services from several facilities and case records in one list, newest
first, each with its source; filters by kind and facility; paging that neither skips nor
repeats; a household's timeline naming its members; the pages' scope and access log."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bigcare.auth.models import AccessLog, User
from bigcare.auth.service import operator_actor
from bigcare.cases import timeline
from bigcare.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    CaseNote,
    Conference,
    Consent,
    Household,
    HouseholdMember,
    Monitoring,
    Referral,
    ServicePlan,
)
from bigcare.errors import InvalidInput
from bigcare.facilities.models import Facility
from bigcare.linkage import service as linkage_service
from bigcare.linkage.models import RecordLink
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive

GAEPO1 = "1123068"
STAFF = operator_actor("test", permissions=frozenset({"person.read", "case.read"}))
DAECHI1 = "1123060"  # outside the caseworker's scope
_rng = random.Random(7)
HOME = {"address": "서울특별시 강남구 개포로22길 5", "unit": "101동 1203호", "dong": "개포1동"}


@dataclass
class World:
    """Two neighbours' records from a senior center and a food bank, linked into persons."""

    senior: Facility
    food: Facility
    person_id: int  # 김영희: services at both facilities
    other_id: int  # 박철수: one service at the food bank


def person_of(session: Session, record_id: int) -> int:
    link = session.get(RecordLink, record_id)
    assert link is not None
    return link.person_id


def make_world(session: Session, keyring: Keyring, *, dong: str = "개포1동") -> World:
    """Records received through the real intake and linked by the real linker."""
    make_link_model(session)
    code = GAEPO1 if dong == "개포1동" else DAECHI1
    senior = make_facility(session, dong_code=code, type_code="SENIOR_WELFARE")
    food = make_facility(session, dong_code=code, type_code="FOOD_BANK")
    home = HOME | {"dong": dong}
    younghee = rrns.make_rrn(date(1941, 4, 2), "F", rng=_rng)
    chulsoo = rrns.make_rrn(date(1950, 8, 15), "M", rng=_rng)
    at_senior = receive(
        session,
        keyring=keyring,
        facility_code=senior.code,
        records=[
            {"name": "김영희", "rrn": younghee, **home, "service_name": "경로식당",
             "service_date": "2024-03-02"},
            {"name": "김영희", "rrn": younghee, **home, "service_name": "방문목욕",
             "service_date": "2024-03-10"},
        ],
    )  # fmt: skip
    at_food = receive(
        session,
        keyring=keyring,
        facility_code=food.code,
        records=[
            {"name": "김영희", "rrn": younghee, **home, "service_name": "식품 지원",
             "service_date": "2024-03-05"},
            {"name": "박철수", "rrn": chulsoo, **home, "service_name": "밑반찬 배달",
             "service_date": "2024-03-04"},
        ],
    )  # fmt: skip
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    person_id = person_of(session, at_senior[0])
    assert person_of(session, at_senior[1]) == person_of(session, at_food[0]) == person_id
    return World(senior, food, person_id, person_of(session, at_food[1]))


def open_case(session: Session, person_id: int, *, dong_code: str = GAEPO1) -> Case:
    """A case opened on 2024-03-01 with its first stage event and a note on 2024-03-07."""
    case = Case(
        person_id=person_id,
        dong_code=dong_code,
        stage="consulting",
        referral_source="자체발굴",
        identified_on=date(2024, 3, 1),
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    session.add(
        CaseEvent(
            case_id=case.id,
            to_stage="identified",
            actor_label="담당자",
            at=datetime(2024, 3, 1, 1, 0, tzinfo=UTC),
        )
    )
    session.add(
        CaseNote(
            case_id=case.id,
            person_id=person_id,
            body="## 첫 상담\n자세한 내용은 사례 화면에",
            actor_label="담당자",
            created_at=datetime(2024, 3, 7, 2, 30, tzinfo=UTC),
        )
    )
    session.flush()
    return case


def titles(page: timeline.Page) -> list[str]:
    return [e.title for e in page.entries]


def test_timeline_merges_facilities_and_case_records_newest_first_with_sources(
    session: Session, keyring: Keyring
) -> None:
    world = make_world(session, keyring)
    case = open_case(session, world.person_id)

    page = timeline.person_timeline(session, person_id=world.person_id)

    assert [(e.day, e.kind, e.title, e.source) for e in page.entries] == [
        (date(2024, 3, 10), "service", "방문목욕", world.senior.name),
        (date(2024, 3, 7), "note", "사례 기록", "사례관리: 담당자"),
        (date(2024, 3, 5), "service", "식품 지원", world.food.name),
        (date(2024, 3, 2), "service", "경로식당", world.senior.name),
        (date(2024, 3, 1), "stage", "사례 시작: 발굴/의뢰", "사례관리: 담당자"),
    ]
    note = page.entries[1]
    assert note.detail == "첫 상담" and note.link == f"/cases/{case.id}"
    assert page.more is None
    # The neighbour's service is on his own timeline only.
    other = timeline.person_timeline(session, person_id=world.other_id)
    assert titles(other) == ["밑반찬 배달"]


def test_a_person_without_a_case_still_gets_consents_and_case_entries_need_a_case(
    session: Session, keyring: Keyring
) -> None:
    # Case sources are skipped for persons who never had a case (most of them); a consent
    # recorded outside any case is the person's own and must still show.
    world = make_world(session, keyring)
    session.add(
        Consent(
            person_id=world.other_id,
            purpose="collect",
            given_by="self",
            method="written",
            given_on=date(2024, 3, 6),
            recorded_by_label="담당자",
        )
    )
    open_case(session, world.person_id)
    session.flush()

    other = timeline.person_timeline(session, person_id=world.other_id)
    assert titles(other) == ["동의: 개인정보 수집·이용", "밑반찬 배달"]
    # The caller who knows there is no case gets the same page.
    told = timeline.person_timeline(session, person_id=world.other_id, with_cases=False)
    assert titles(told) == titles(other)
    # A household with one member's case: that case's entries and the other's consent.
    household = add_household(session, world.person_id, world.other_id)
    assert household.id is not None
    page = timeline.household_timeline(
        session, household_id=household.id, kinds=["note", "stage", "consent"]
    )
    assert [(e.title, e.member) for e in page.entries] == [
        ("사례 기록", "김영희"),
        ("동의: 개인정보 수집·이용", "박철수"),
        ("사례 시작: 발굴/의뢰", "김영희"),
    ]


def test_timeline_filters_by_kind_and_by_facility(session: Session, keyring: Keyring) -> None:
    world = make_world(session, keyring)
    open_case(session, world.person_id)

    notes = timeline.person_timeline(session, person_id=world.person_id, kinds=["note"])
    assert titles(notes) == ["사례 기록"]
    cases_only = timeline.person_timeline(
        session, person_id=world.person_id, kinds=["stage", "note"]
    )
    assert titles(cases_only) == ["사례 기록", "사례 시작: 발굴/의뢰"]
    food = timeline.person_timeline(
        session, person_id=world.person_id, facility_code=world.food.code
    )
    assert titles(food) == ["식품 지원"]
    senior = timeline.person_timeline(
        session, person_id=world.person_id, facility_code=world.senior.code
    )
    assert titles(senior) == ["방문목욕", "경로식당"]


def test_monitoring_at_home_is_a_visit(session: Session, keyring: Keyring) -> None:
    world = make_world(session, keyring)
    case = open_case(session, world.person_id)
    assert case.id is not None
    for day, method in ((date(2024, 4, 1), "visit"), (date(2024, 4, 8), "phone")):
        session.add(
            Monitoring(case_id=case.id, checked_on=day, method=method, actor_label="담당자")
        )
    session.flush()
    visits = timeline.person_timeline(session, person_id=world.person_id, kinds=["visit"])
    assert [(e.day, e.title) for e in visits.entries] == [(date(2024, 4, 1), "방문 점검")]
    checks = timeline.person_timeline(session, person_id=world.person_id, kinds=["monitoring"])
    assert titles(checks) == ["점검 (전화)"]


def test_every_case_record_kind_appears_with_its_source(session: Session, keyring: Keyring) -> None:
    world = make_world(session, keyring)
    case = open_case(session, world.person_id)
    assert case.id is not None
    staff = {"actor_label": "담당자"}
    consent = Consent(
        person_id=world.person_id,
        case_id=case.id,
        purpose="referral",
        facility_code=world.food.code,
        given_by="self",
        method="written",
        given_on=date(2024, 4, 2),
        withdrawn_on=date(2024, 4, 20),
        withdrawn_reason="본인 요청",
        recorded_by_label="담당자",
    )
    session.add(consent)
    session.flush()
    session.add_all(
        [
            Assessment(
                case_id=case.id,
                assessed_on=date(2024, 4, 1),
                crisis_level="high",
                summary="주거 위기",
                **staff,
            ),
            Conference(case_id=case.id, held_on=date(2024, 4, 3), decision="집중 관리", **staff),
            ServicePlan(
                case_id=case.id,
                starts_on=date(2024, 4, 5),
                ends_on=date(2024, 7, 5),
                created_at=datetime(2024, 4, 4, 3, 0, tzinfo=UTC),
                **staff,
            ),
            Referral(
                case_id=case.id,
                facility_code=world.food.code,
                service="밑반찬",
                consent_id=consent.id or 0,
                created_at=datetime(2024, 4, 6, 3, 0, tzinfo=UTC),
                **staff,
            ),
        ]
    )
    session.flush()

    page = timeline.person_timeline(
        session,
        person_id=world.person_id,
        kinds=["assessment", "conference", "plan", "referral", "consent"],
    )
    assert [(e.day, e.title) for e in page.entries] == [
        (date(2024, 4, 20), "동의 철회: 서비스 의뢰"),
        (date(2024, 4, 6), "서비스 의뢰: 밑반찬"),
        (date(2024, 4, 4), "서비스 제공계획 (제1차)"),
        (date(2024, 4, 3), "내부 사례회의"),
        (date(2024, 4, 2), "동의: 서비스 의뢰"),
        (date(2024, 4, 1), "욕구·위기도 조사 (최초 조사)"),
    ]
    assert {e.source for e in page.entries} == {"사례관리: 담당자"}
    assert world.food.name in page.entries[1].detail
    # A facility's view keeps what names that facility: the referral and the consent.
    food = timeline.person_timeline(
        session, person_id=world.person_id, facility_code=world.food.code
    )
    assert [e.kind for e in food.entries] == ["consent", "referral", "consent", "service"]


def test_paging_with_more_neither_skips_nor_repeats(session: Session, keyring: Keyring) -> None:
    world = make_world(session, keyring)
    case = open_case(session, world.person_id)
    assert case.id is not None
    # Same-day entries of several kinds: the cursor must break ties exactly.
    for hour in (0, 0, 5):
        session.add(
            CaseNote(
                case_id=case.id,
                person_id=world.person_id,
                body=f"{hour}시 기록",
                actor_label="담당자",
                created_at=datetime(2024, 3, 4, hour, 0, tzinfo=UTC),
            )
        )
    session.add(
        Monitoring(
            case_id=case.id, checked_on=date(2024, 3, 4), method="visit", actor_label="담당자"
        )
    )
    session.flush()
    everything = timeline.person_timeline(session, person_id=world.person_id)
    assert len(everything.entries) == 9 and everything.more is None

    seen = []
    before = None
    for _ in range(20):
        page = timeline.person_timeline(session, person_id=world.person_id, before=before, limit=2)
        seen += [(e.kind, e.id) for e in page.entries]
        if page.more is None:
            break
        before = page.more
    assert seen == [(e.kind, e.id) for e in everything.entries]


def test_a_cursor_that_is_not_one_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput):
        timeline.person_timeline(session, person_id=1, before="어제")


def add_household(session: Session, *person_ids: int, dong_code: str = GAEPO1) -> Household:
    household = Household(dong_code=dong_code, head_person_id=person_ids[0])
    session.add(household)
    session.flush()
    assert household.id is not None
    for i, person_id in enumerate(person_ids):
        session.add(
            HouseholdMember(
                person_id=person_id,
                household_id=household.id,
                relation="본인" if i == 0 else "배우자",
            )
        )
    session.flush()
    return household


def test_household_timeline_merges_members_and_names_them(
    session: Session, keyring: Keyring
) -> None:
    world = make_world(session, keyring)
    household = add_household(session, world.person_id, world.other_id)
    assert household.id is not None

    page = timeline.household_timeline(session, household_id=household.id, kinds=["service"])

    assert [(e.title, e.member) for e in page.entries] == [
        ("방문목욕", "김영희"),
        ("식품 지원", "김영희"),
        ("밑반찬 배달", "박철수"),
        ("경로식당", "김영희"),
    ]


# --- pages --------------------------------------------------------------------------------


def _log(session: Session, person_id: int) -> list[tuple[str, str]]:
    rows = session.exec(
        select(AccessLog)
        .where(AccessLog.subject_person_id == person_id)
        .order_by(col(AccessLog.id))
    ).all()
    return [(r.action, r.outcome) for r in rows]


def test_timeline_page_shows_entries_with_sources_and_filters(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    world = make_world(session, keyring)
    open_case(session, world.person_id)

    html = staff_client.get(f"/persons/{world.person_id}/timeline").text
    assert "방문목욕" in html and "식품 지원" in html and "사례관리: 담당자" in html
    assert world.senior.name in html and world.food.name in html
    assert html.index("방문목욕") < html.index("식품 지원") < html.index("경로식당")
    assert f'<option value="{world.food.code}"' in html  # the facility filter offers it

    only_food = staff_client.get(
        f"/persons/{world.person_id}/timeline", params={"facility": world.food.code}
    ).text
    assert "식품 지원" in only_food and "방문목욕" not in only_food
    only_notes = staff_client.get(
        f"/persons/{world.person_id}/timeline", params={"kind": ["note"]}
    ).text
    assert "첫 상담" in only_notes and "방문목욕" not in only_notes
    assert _log(session, world.person_id) == [("person.read", "ok")] * 3


def test_more_link_keeps_the_filter_and_a_bad_cursor_is_refused(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    world = make_world(session, keyring)
    view = timeline.get_person_timeline(
        session,
        actor=STAFF,
        person_id=world.person_id,
        kinds=["service"],
        facility_code=world.senior.code,
        limit=1,
    )
    assert titles(view.page) == ["방문목욕"] and view.page.more
    more = view.query(before=view.page.more)
    assert more == f"kind=service&facility={world.senior.code}&before={view.page.more}"
    html = staff_client.get(f"/persons/{world.person_id}/timeline?{more}").text
    assert "경로식당" in html and "방문목욕" not in html and "식품 지원" not in html

    refused = staff_client.get(f"/persons/{world.person_id}/timeline", params={"before": "x"})
    assert refused.status_code == 422 and "더 보기 위치가 올바르지 않습니다" in refused.text


def test_timeline_pages_outside_the_scope_are_not_found_and_logged(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    world = make_world(session, keyring, dong="대치1동")
    household = add_household(session, world.person_id, dong_code=DAECHI1)

    response = staff_client.get(f"/persons/{world.person_id}/timeline")
    assert response.status_code == 404 and "김영희" not in response.text
    assert _log(session, world.person_id) == [("person.read", "not_found")]
    response = staff_client.get(f"/households/{household.id}/timeline")
    assert response.status_code == 404 and "김영희" not in response.text
    attempt = session.exec(select(AccessLog).where(AccessLog.action == "household.read")).one()
    assert attempt.outcome == "not_found"


def test_household_timeline_page_names_members_and_logs_each(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    world = make_world(session, keyring)
    household = add_household(session, world.person_id, world.other_id)

    html = staff_client.get(f"/households/{household.id}/timeline").text
    assert "밑반찬 배달" in html and "방문목욕" in html
    assert f'<a href="/persons/{world.other_id}">박철수</a>' in html
    assert _log(session, world.person_id) == [("person.read", "ok")]
    assert _log(session, world.other_id) == [("person.read", "ok")]

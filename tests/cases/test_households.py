"""Households: formed from facilities' household numbers and shared addresses, kept when a
caseworker edits them, shown on a page inside the caseworker's scope, every read logged."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor, actor_for
from bigcare.cases import household_forming, households
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.db import utcnow
from bigcare.districts.models import Dong
from bigcare.errors import InvalidInput, NotFound
from bigcare.facilities.models import Facility, ImportBatch, SourceRecord
from bigcare.linkage import normalize
from bigcare.linkage.models import Person, RecordLink
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_person, make_user, sign_in

DONG = "1123068"  # 개포1동, the caseworker fixture's dong
ROAD = {"road": "개포로22길", "building_no": "5", "gu_code": "11230", "dong_code": DONG}


class World:
    """Persons with facility records linked to them, built without the linker."""

    def __init__(self, session: Session, keyring: Keyring) -> None:
        self.session, self.keyring = session, keyring
        self.facility = make_facility(session)
        self.batch = ImportBatch(
            facility_code=self.facility.code,
            source="api",
            status="done",
            file_sha256="0" * 64,
            file_format="json",
            uploaded_by_label="test",
        )
        session.add(self.batch)
        session.flush()
        self.rows = 0

    def person(
        self, *, born: date | None = None, facility: Facility | None = None, **record: Any
    ) -> Person:
        """A person and one source record of theirs (road, unit, relation, household_key...)."""
        person = make_person(
            self.session,
            keyring=self.keyring,
            rrn=None,
            birth_date=born or date(1960, 1, 1),
            address="서울특별시 강남구 개포로22길 5",
        )
        self.record(person, facility=facility, **record)
        return person

    def record(self, person: Person, *, facility: Facility | None = None, **fields: Any) -> None:
        self.rows += 1
        code = (facility or self.facility).code
        values = {"dong_code": DONG, "birth_date": person.birth_date, **fields}
        row = SourceRecord(
            batch_id=self.batch.id or 0,
            facility_code=code,
            row_number=self.rows,
            raw_sealed="-",
            status="accepted",
            received_at=utcnow(),
            name=person.name,
            **values,
        )
        self.session.add(row)
        self.session.flush()
        keys = normalize.node_keys(values)
        keys.pop("rrn_index")
        self.session.add(
            RecordLink(
                record_id=row.id or 0,
                node_id=row.id or 0,
                person_id=person.id or 0,
                decision="auto",
                **keys,  # type: ignore[arg-type]
            )
        )
        self.session.flush()


@pytest.fixture
def world(session: Session, keyring: Keyring) -> World:
    return World(session, keyring)


@pytest.fixture
def actor(caseworker: User) -> Actor:
    return actor_for(caseworker)


def _household(session: Session, person: Person) -> households.HouseholdView:
    view = households.household_of(session, person_id=person.id or 0)
    assert view is not None
    return view


def _members(session: Session, person: Person) -> list[tuple[int, str]]:
    return [(m.person.id or 0, m.relation) for m in _household(session, person).members]


def _snapshot(session: Session) -> list[tuple[Any, ...]]:
    rows = session.exec(
        select(Household, HouseholdMember)
        .join(HouseholdMember, col(HouseholdMember.household_id) == Household.id)
        .order_by(col(HouseholdMember.person_id))
    ).all()
    return [
        (h.id, h.head_person_id, h.address_key, h.updated_at, m.person_id, m.relation, m.updated_at)
        for h, m in rows
    ]


# --- forming ------------------------------------------------------------------------------


def test_form_households_from_a_facility_household_number(session: Session, world: World) -> None:
    head = world.person(born=date(1950, 5, 1), household_key="H-7", relation="본인")
    wife = world.person(born=date(1952, 3, 3), household_key="H-7", relation="배우자")
    son = world.person(born=date(1980, 1, 1), household_key="H-7", relation="자녀")
    alone = world.person(household_key="H-8", relation="본인")
    household_forming.form_households(session)
    assert _members(session, son) == [(head.id, "본인"), (wife.id, "배우자"), (son.id, "자녀")]
    view = _household(session, head)
    assert view.household.head_person_id == head.id and view.household.origin == "auto"
    assert view.household.dong_code == DONG
    assert view.members[0].is_head and view.members[0].age is not None
    assert _members(session, alone) == [(alone.id, "본인")]


def test_head_is_the_facility_head_even_when_younger(session: Session, world: World) -> None:
    mother = world.person(born=date(1930, 1, 1), household_key="H-1", relation="부모")
    head = world.person(born=date(1960, 1, 1), household_key="H-1", relation="본인")
    household_forming.form_households(session)
    assert _members(session, mother) == [(head.id, "본인"), (mother.id, "부모")]


def test_form_households_from_the_same_building_and_unit(session: Session, world: World) -> None:
    older = world.person(born=date(1940, 1, 1), **ROAD, unit="101동 1203호")
    younger = world.person(born=date(1970, 1, 1), **ROAD, unit="101-1203")
    household_forming.form_households(session)
    # No facility says how they are related: the oldest heads, the other is 기타.
    assert _members(session, younger) == [(older.id, "본인"), (younger.id, "기타")]
    assert _household(session, older).household.address_key is not None


def test_same_building_other_unit_is_another_household(session: Session, world: World) -> None:
    one = world.person(**ROAD, unit="101동 1203호")
    other = world.person(**ROAD, unit="101동 1204호")
    household_forming.form_households(session)
    assert _household(session, one).household.id != _household(session, other).household.id


def test_same_building_without_unit_needs_the_same_home_phone(
    session: Session, world: World
) -> None:
    a = world.person(**ROAD, home_phone="02-555-1234")
    b = world.person(**ROAD, home_phone="02-555-1234")
    c = world.person(**ROAD, home_phone="02-555-9999")
    household_forming.form_households(session)
    assert {m for m, _ in _members(session, a)} == {a.id, b.id}
    assert _members(session, c) == [(c.id, "본인")]


def test_a_second_run_changes_nothing(session: Session, world: World) -> None:
    world.person(household_key="H-7", relation="본인")
    world.person(household_key="H-7", relation="배우자")
    world.person(**ROAD, unit="1203")
    world.person(**ROAD, unit="1203")
    first = household_forming.form_households(session)
    assert first.created == 2 and first.placed == 4
    before = _snapshot(session)
    again = household_forming.form_households(session)
    assert (again.created, again.updated, again.deleted, again.placed) == (0, 0, 0, 0)
    assert _snapshot(session) == before
    assert "persons" in str(again)  # counts only: the result is logged


def test_a_new_record_joins_the_existing_household_when_run_for_that_person(
    session: Session, world: World
) -> None:
    head = world.person(household_key="H-7", relation="본인")
    household_forming.form_households(session)
    kept = _household(session, head).household.id
    wife = world.person(household_key="H-7", relation="배우자")
    result = household_forming.form_households(session, person_ids=[wife.id or 0])
    assert result.created == 0
    assert _household(session, wife).household.id == kept
    assert _members(session, head) == [(head.id, "본인"), (wife.id, "배우자")]


def test_a_merged_person_leaves_and_the_empty_household_goes(
    session: Session, world: World
) -> None:
    head = world.person(household_key="H-7", relation="본인")
    twin = world.person(household_key="H-9", relation="본인")
    household_forming.form_households(session)
    gone = _household(session, twin).household.id
    twin.status, twin.merged_into_id = "merged", head.id
    session.flush()
    result = household_forming.form_households(session, person_ids=[twin.id or 0, head.id or 0])
    assert result.deleted == 1 and session.get(Household, gone) is None
    assert households.household_of(session, person_id=twin.id or 0) is None


def test_a_manual_member_is_not_moved_by_a_later_run(
    session: Session, world: World, actor: Actor
) -> None:
    head = world.person(household_key="H-7", relation="본인")
    son = world.person(household_key="H-7", relation="자녀")
    household_forming.form_households(session)
    own = households.move_member(
        session,
        actor=actor,
        household_id=_household(session, head).household.id or 0,
        person_id=son.id or 0,
        to_household_id=None,
    )
    household_forming.form_households(session)
    household_forming.form_households(session, person_ids=[head.id or 0, son.id or 0])
    assert _household(session, son).household.id == own.id
    assert _members(session, son) == [(son.id, "본인")]
    assert _members(session, head) == [(head.id, "본인")]


# --- edits --------------------------------------------------------------------------------


def _family(session: Session, world: World) -> tuple[Household, Person, Person, Person]:
    head = world.person(born=date(1950, 1, 1), household_key="H-7", relation="본인")
    wife = world.person(born=date(1955, 1, 1), household_key="H-7", relation="배우자")
    son = world.person(born=date(1985, 1, 1), household_key="H-7", relation="자녀")
    household_forming.form_households(session)
    return _household(session, head).household, head, wife, son


def _log(session: Session, action: str) -> list[AccessLog]:
    query = select(AccessLog).where(AccessLog.action == action)
    return list(session.exec(query.order_by(col(AccessLog.id))))


def test_set_relation_marks_the_member_manual_and_logs(
    session: Session, world: World, actor: Actor
) -> None:
    household, _, _, son = _family(session, world)
    households.set_relation(
        session,
        actor=actor,
        household_id=household.id or 0,
        person_id=son.id or 0,
        relation="손자녀",
    )
    member = session.get(HouseholdMember, son.id)
    assert member is not None and member.relation == "손자녀" and member.manual
    assert member.updated_by_label == actor.signature and household.origin == "manual"
    assert [r.subject_person_id for r in _log(session, "household.relation")] == [son.id]


@pytest.mark.parametrize(("relation", "message"), [("삼촌", "관계는"), ("본인", "이미 가구주")])
def test_set_relation_refuses_unknown_and_a_second_head(
    session: Session, world: World, actor: Actor, relation: str, message: str
) -> None:
    household, _, _, son = _family(session, world)
    with pytest.raises(InvalidInput) as caught:
        households.set_relation(
            session,
            actor=actor,
            household_id=household.id or 0,
            person_id=son.id or 0,
            relation=relation,
        )
    assert caught.value.errors[0].field == "relation" and message in caught.value.errors[0].message


def test_set_head_needs_the_old_heads_new_relation(
    session: Session, world: World, actor: Actor
) -> None:
    household, head, wife, _ = _family(session, world)
    with pytest.raises(InvalidInput) as caught:
        households.set_head(
            session,
            actor=actor,
            household_id=household.id or 0,
            person_id=wife.id or 0,
            old_head_relation="",
        )
    assert caught.value.errors[0].field == "old_head_relation"
    households.set_head(
        session,
        actor=actor,
        household_id=household.id or 0,
        person_id=wife.id or 0,
        old_head_relation="배우자",
    )
    assert _members(session, head)[:2] == [(wife.id, "본인"), (head.id, "배우자")]
    assert {r.subject_person_id for r in _log(session, "household.head")} == {head.id, wife.id}


def test_the_head_cannot_leave_before_a_new_head_is_chosen(
    session: Session, world: World, actor: Actor
) -> None:
    household, head, _, _ = _family(session, world)
    with pytest.raises(InvalidInput) as caught:
        households.move_member(
            session,
            actor=actor,
            household_id=household.id or 0,
            person_id=head.id or 0,
            to_household_id=None,
        )
    assert "가구주로 지정" in caught.value.errors[0].message


def test_move_into_another_household_and_its_cases_follow(
    session: Session, world: World, actor: Actor
) -> None:
    household, _, _, son = _family(session, world)
    other = world.person(household_key="H-99", relation="본인")
    household_forming.form_households(session)
    target = _household(session, other).household
    case = Case(
        person_id=son.id or 0,
        household_id=household.id,
        dong_code=DONG,
        stage="intake",
        referral_source="자체발굴",
        identified_on=date(2025, 1, 2),
    )
    session.add(case)
    session.flush()
    households.move_member(
        session,
        actor=actor,
        household_id=household.id or 0,
        person_id=son.id or 0,
        to_household_id=target.id,
        relation="형제자매",
    )
    assert _members(session, other) == [(other.id, "본인"), (son.id, "형제자매")]
    assert case.household_id == target.id and target.origin == "manual"
    assert [r.subject_person_id for r in _log(session, "household.move")] == [son.id]


def test_move_into_a_household_of_another_dong_is_not_found(
    session: Session, world: World, actor: Actor, keyring: Keyring
) -> None:
    household, _, _, son = _family(session, world)
    elsewhere = _other_dong_household(session, keyring)
    with pytest.raises(NotFound):
        households.move_member(
            session,
            actor=actor,
            household_id=household.id or 0,
            person_id=son.id or 0,
            to_household_id=elsewhere.id,
        )
    assert _household(session, son).household.id == household.id


def _other_dong_household(session: Session, keyring: Keyring) -> Household:
    dong = session.exec(select(Dong).where(Dong.code != DONG, Dong.gu_code == "11230")).first()
    assert dong is not None
    person = make_person(session, keyring=keyring, dong_code=dong.code)
    household_forming.form_households(session, person_ids=[person.id or 0])
    return _household(session, person).household


# --- pages --------------------------------------------------------------------------------


def test_household_page_shows_members_cases_and_logs_each_member(
    staff_client: TestClient, session: Session, world: World, caseworker: User
) -> None:
    household, head, wife, son = _family(session, world)
    session.add(
        Case(
            person_id=wife.id or 0,
            household_id=household.id,
            dong_code=DONG,
            stage="assessment",
            category="intensive",
            referral_source="자체발굴",
            identified_on=date(2025, 3, 4),
        )
    )
    session.flush()
    html = staff_client.get(f"/households/{household.id}").text
    assert f'href="/persons/{head.id}"' in html and head.name in html
    assert "배우자" in html and "욕구·위기도 조사" in html and "2025-03-04" in html
    assert "만 " in html and "진행 중인 사례" in html
    assert f'<label for="f-relation-{son.id}">{son.name}의 관계</label>' in html
    logged = [(r.subject_person_id, r.actor) for r in _log(session, "household.read")]
    assert sorted(logged) == sorted((p.id, caseworker.username) for p in (head, wife, son))


def test_one_person_household_is_flagged(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    person = make_person(session, keyring=keyring, birth_date=date(1940, 1, 1), rrn=None)
    household_forming.form_households(session, person_ids=[person.id or 0])
    household = _household(session, person).household
    assert "노인 1인 가구" in staff_client.get(f"/households/{household.id}").text


def test_household_of_another_dong_is_404_and_logged(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    household = _other_dong_household(session, keyring)
    assert staff_client.get(f"/households/{household.id}").status_code == 404
    post = staff_client.post(
        f"/households/{household.id}/head",
        data={
            "person_id": str(household.head_person_id),
            "old_head_relation": "배우자",
            "csrf_token": staff_client.csrf,
        },
    )
    assert post.status_code == 404
    assert [r.outcome for r in _log(session, "household.read")] == ["not_found"]


def test_relation_form_redirects_and_a_bad_value_rerenders_with_422(
    staff_client: TestClient, session: Session, world: World
) -> None:
    household, _, _, son = _family(session, world)
    url = f"/households/{household.id}/members/{son.id}/relation"
    done = staff_client.post(
        url, data={"relation": "손자녀", "csrf_token": staff_client.csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/households/{household.id}"
    refused = staff_client.post(url, data={"relation": "본인", "csrf_token": staff_client.csrf})
    assert refused.status_code == 422
    assert f'id="f-relation-{son.id}-relation-error"' in refused.text
    assert "이미 가구주(본인)가 있습니다" in refused.text


def test_move_form_to_a_new_household_redirects_there(
    staff_client: TestClient, session: Session, world: World
) -> None:
    household, _, _, son = _family(session, world)
    url = f"/households/{household.id}/members/{son.id}/move"
    typo = staff_client.post(url, data={"to_household_id": "열둘", "csrf_token": staff_client.csrf})
    assert typo.status_code == 422 and 'value="열둘"' in typo.text
    assert "숫자로 입력하세요" in typo.text
    moved = staff_client.post(
        url, data={"new_household": "1", "csrf_token": staff_client.csrf}, follow_redirects=False
    )
    assert moved.status_code == 303
    new_id = _household(session, son).household.id
    assert new_id != household.id and moved.headers["location"] == f"/households/{new_id}"


def test_head_form_sets_the_head(staff_client: TestClient, session: Session, world: World) -> None:
    household, head, wife, _ = _family(session, world)
    url = f"/households/{household.id}/head"
    missing = staff_client.post(
        url, data={"person_id": str(wife.id), "csrf_token": staff_client.csrf}
    )
    assert missing.status_code == 422 and "예: 배우자" in missing.text
    done = staff_client.post(
        url,
        data={
            "person_id": str(wife.id),
            "old_head_relation": "배우자",
            "csrf_token": staff_client.csrf,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _members(session, head)[0] == (wife.id, "본인")


def test_a_gu_manager_may_read_but_not_edit(
    client: TestClient, session: Session, world: World
) -> None:
    household, _, _, son = _family(session, world)
    manager = make_user(session, role=Role.GU_MANAGER, scope_code="11230")
    csrf = sign_in(client, session, manager)
    assert client.get(f"/households/{household.id}").status_code == 200
    url = f"/households/{household.id}/members/{son.id}/relation"
    assert client.post(url, data={"relation": "기타", "csrf_token": csrf}).status_code == 403

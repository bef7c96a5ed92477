"""Households: who lives with whom, the household page and the caseworker's edits (move a
member, set the head, record a relation). Forming them from the facilities' household numbers
and shared addresses is household_forming's work."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.cases.service import PersonRow
from bigcare.db import utcnow
from bigcare.districts.models import Dong, Gu
from bigcare.errors import FieldError, InvalidInput, NotFound
from bigcare.linkage.models import Person

# Relations to the head, in the order members are listed.
RELATIONS = ("본인", "배우자", "자녀", "부모", "손자녀", "형제자매", "기타")
HEAD = "본인"


@dataclass
class MemberRow:
    """One member of a household, ready to show."""

    person: Person
    relation: str
    is_head: bool
    manual: bool

    # 만 나이: the same rule as the person list (it reads only self.person).
    age = PersonRow.age


@dataclass
class HouseholdView:
    """A household with its members, head first."""

    household: Household
    members: list[MemberRow]


def _relation_rank(relation: str) -> int:
    return RELATIONS.index(relation) if relation in RELATIONS else len(RELATIONS)


def _view(session: Session, household: Household) -> HouseholdView:
    rows = session.exec(
        select(HouseholdMember, Person)
        .join(Person, col(Person.id) == HouseholdMember.person_id)
        .where(HouseholdMember.household_id == household.id)
    ).all()
    members = [
        MemberRow(
            person=person,
            relation=member.relation,
            is_head=person.id == household.head_person_id,
            manual=member.manual,
        )
        for member, person in rows
    ]
    members.sort(
        key=lambda m: (
            not m.is_head,
            _relation_rank(m.relation),
            m.person.birth_date is None,
            m.person.birth_date or date.min,
            m.person.id or 0,
        )
    )
    return HouseholdView(household=household, members=members)


def household_of(session: Session, *, person_id: int) -> HouseholdView | None:
    """The household a person belongs to with its members (head first, then by relation and
    birth date), or None. Not access-logged: the caller logs what it shows."""
    household = session.exec(
        select(Household)
        .join(HouseholdMember, col(HouseholdMember.household_id) == Household.id)
        .where(HouseholdMember.person_id == person_id)
    ).first()
    return None if household is None else _view(session, household)


# --- the household page and a caseworker's edits -----------------------------------------

NOT_FOUND = "가구를 찾을 수 없습니다"
ELDERLY_AGE, CHILD_AGE = 65, 18


@dataclass
class HouseholdPage:
    """The household page: members, their cases, where it is and what stands out."""

    view: HouseholdView
    dong: Dong
    gu: Gu
    cases: dict[int, list[Case]]  # person id → the person's cases, newest first

    @property
    def head(self) -> MemberRow | None:
        return next((m for m in self.view.members if m.is_head), None)

    @property
    def flags(self) -> list[str]:
        """Short labels for what a caseworker should notice about the household."""
        members = self.view.members
        ages = [m.age for m in members if m.age is not None]
        flags = []
        if len(members) == 1:
            elderly = ages and ages[0] >= ELDERLY_AGE
            flags.append("노인 1인 가구" if elderly else "1인 가구")
        elif ages and all(a >= ELDERLY_AGE for a in ages) and len(ages) == len(members):
            flags.append("노인 가구")
        if any(a < CHILD_AGE for a in ages):
            flags.append("아동 동거")
        if any(c.stage != "closed" for cs in self.cases.values() for c in cs):
            flags.append("진행 중인 사례")
        if self.view.household.origin == "manual":
            flags.append("담당자 수정")
        return flags


def get_household(
    session: Session, *, actor: Actor, household_id: int, action: str = "household.read"
) -> Household:
    """A household in the actor's scope (not logged: the caller logs what it shows). Raises
    NotFound, also outside the scope, and logs that attempt under `action`."""
    household = session.exec(
        select(Household).where(
            Household.id == household_id, actor.dong_clause(col(Household.dong_code))
        )
    ).first()
    if household is None:
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=Household,
            key=household_id,
            target=f"household:{household_id}",
        )
        raise NotFound(NOT_FOUND)
    return household


def get_household_page(session: Session, *, actor: Actor, household_id: int) -> HouseholdPage:
    """One household in the actor's scope with its members' cases; every member shown is
    access-logged. Raises NotFound (also out of scope)."""
    household = get_household(
        session, actor=actor, household_id=household_id, action="household.read"
    )
    view = _view(session, household)
    dong, gu = session.exec(
        select(Dong, Gu)
        .join(Gu, col(Gu.code) == Dong.gu_code)
        .where(Dong.code == household.dong_code)
    ).one()
    person_ids = [m.person.id for m in view.members]
    cases: dict[int, list[Case]] = defaultdict(list)
    query = (
        select(Case)
        .where(col(Case.person_id).in_(person_ids))
        .order_by(col(Case.identified_on).desc(), col(Case.id).desc())
    )
    for case in session.exec(query):
        cases[case.person_id].append(case)
    for person_id in person_ids:
        audit.record(
            session,
            actor=actor,
            action="household.read",
            subject=person_id,
            target=f"household:{household_id}",
        )
    return HouseholdPage(view=view, dong=dong, gu=gu, cases=dict(cases))


def _member(session: Session, household: Household, person_id: int) -> HouseholdMember:
    member = session.get(HouseholdMember, person_id)
    if member is None or member.household_id != household.id:
        raise NotFound("이 가구의 구성원이 아닙니다")
    return member


def _check_relation(relation: str, *, field: str) -> str:
    relation = relation.strip()
    if relation not in RELATIONS:
        raise InvalidInput(
            "관계를 목록에서 고르세요",
            [FieldError(field=field, message=f"관계는 {', '.join(RELATIONS)} 가운데 하나입니다")],
        )
    return relation


def _touch(actor: Actor, *changed: Household | HouseholdMember) -> None:
    """Mark rows as a caseworker's: forming never moves them again."""
    now = utcnow()
    for row in changed:
        row.updated_at = now
        if isinstance(row, Household):
            row.origin, row.address_key = "manual", None
        else:
            row.manual, row.updated_by_label = True, actor.signature


def set_relation(
    session: Session, *, actor: Actor, household_id: int, person_id: int, relation: str
) -> HouseholdMember:
    """Record a member's relation to the head. Raises NotFound, InvalidInput (unknown
    relation, a second 본인, the head's relation)."""
    household = get_household(
        session, actor=actor, household_id=household_id, action="household.relation"
    )
    member = _member(session, household, person_id)
    relation = _check_relation(relation, field="relation")
    is_head = person_id == household.head_person_id
    if relation == HEAD and not is_head:
        raise InvalidInput(
            "본인은 가구주 한 사람뿐입니다",
            [
                FieldError(
                    field="relation",
                    message="이 가구에는 이미 가구주(본인)가 있습니다. 이 구성원을 가구주로 "
                    "하려면 '가구주 지정'을 쓰세요",
                )
            ],
        )
    if is_head and relation != HEAD:
        raise InvalidInput(
            "가구주의 관계는 본인입니다",
            [
                FieldError(
                    field="relation",
                    message="가구주의 관계는 본인입니다. 먼저 다른 구성원을 가구주로 지정하세요",
                )
            ],
        )
    member.relation = relation
    _touch(actor, member, household)
    audit.record(
        session,
        actor=actor,
        action="household.relation",
        subject=person_id,
        target=f"household:{household_id}",
    )
    session.flush()
    return member


def set_head(
    session: Session, *, actor: Actor, household_id: int, person_id: int, old_head_relation: str
) -> Household:
    """Make a member the head (관계: 본인) and record what the old head is to them. Raises
    NotFound, InvalidInput (already the head, the old head's relation missing or 본인)."""
    household = get_household(
        session, actor=actor, household_id=household_id, action="household.head"
    )
    member = _member(session, household, person_id)
    if person_id == household.head_person_id:
        raise InvalidInput(
            "이미 가구주입니다",
            [FieldError(field="person_id", message="이미 이 가구의 가구주입니다")],
        )
    changed: list[Household | HouseholdMember] = [member, household]
    old_head = session.get(HouseholdMember, household.head_person_id or 0)
    if old_head is not None and old_head.household_id == household.id:
        if not old_head_relation.strip():
            raise InvalidInput(
                "지금 가구주의 새 관계를 고르세요",
                [
                    FieldError(
                        field="old_head_relation",
                        message="지금 가구주가 새 가구주에게 어떤 관계인지 고르세요 (예: 배우자)",
                    )
                ],
            )
        relation = _check_relation(old_head_relation, field="old_head_relation")
        if relation == HEAD:
            raise InvalidInput(
                "본인은 새 가구주 한 사람뿐입니다",
                [
                    FieldError(
                        field="old_head_relation",
                        message="지금 가구주의 관계는 본인이 아닌 것으로 고르세요 (예: 배우자)",
                    )
                ],
            )
        old_head.relation = relation
        changed.append(old_head)
    member.relation = HEAD
    household.head_person_id = person_id
    _touch(actor, *changed)
    for row in changed:
        if isinstance(row, HouseholdMember):
            audit.record(
                session,
                actor=actor,
                action="household.head",
                subject=row.person_id,
                target=f"household:{household_id}",
            )
    session.flush()
    return household


def move_member(
    session: Session,
    *,
    actor: Actor,
    household_id: int,
    person_id: int,
    to_household_id: int | None,
    relation: str = "기타",
) -> Household:
    """Move a member into another household in scope (None: a new household of their own,
    as its head); the household they land in. Raises NotFound (either household out of
    scope), InvalidInput (the head leaving others behind, the same household, relation)."""
    household = get_household(
        session, actor=actor, household_id=household_id, action="household.move"
    )
    member = _member(session, household, person_id)
    count = len(
        session.exec(
            select(HouseholdMember.person_id).where(HouseholdMember.household_id == household.id)
        ).all()
    )
    if person_id == household.head_person_id and count > 1:
        raise InvalidInput(
            "가구주는 먼저 바꾸어야 옮길 수 있습니다",
            [
                FieldError(
                    field="to_household_id",
                    message="가구주는 바로 옮길 수 없습니다. 먼저 남는 구성원 가운데 한 사람을 "
                    "가구주로 지정한 뒤 옮기세요",
                )
            ],
        )
    person = session.get(Person, person_id)
    assert person is not None  # a member is a person (foreign key)
    if to_household_id is None:
        if count == 1:
            raise InvalidInput(
                "이미 혼자인 가구입니다",
                [FieldError(field="to_household_id", message="이미 혼자 사는 가구입니다")],
            )
        target = Household(
            dong_code=person.dong_code,
            address=person.address,
            head_person_id=person_id,
            origin="manual",
        )
        session.add(target)
        session.flush()
        relation = HEAD
    else:
        if to_household_id == household_id:
            raise InvalidInput(
                "같은 가구입니다",
                [
                    FieldError(
                        field="to_household_id",
                        message="지금 있는 가구와 다른 가구 번호를 입력하세요",
                    )
                ],
            )
        target = get_household(
            session, actor=actor, household_id=to_household_id, action="household.move"
        )
        relation = _check_relation(relation, field="relation")
        if relation == HEAD:
            raise InvalidInput(
                "본인은 가구주 한 사람뿐입니다",
                [
                    FieldError(
                        field="relation",
                        message="옮겨 갈 가구에는 가구주가 있습니다. 가구주와의 관계를 고르세요",
                    )
                ],
            )
    member.household_id, member.relation = target.id or 0, relation
    _touch(actor, member, household, target)
    session.flush()
    if count == 1:
        # The household is left empty: its cases follow the person.
        session.exec(
            update(Case)
            .where(col(Case.household_id) == household.id)
            .values(household_id=target.id)  # type: ignore[call-overload]
        )
        session.delete(household)
    else:
        session.exec(
            update(Case)  # type: ignore[call-overload]
            .where(Case.person_id == person_id, col(Case.household_id) == household.id)
            .values(household_id=target.id)
        )
    audit.record(
        session,
        actor=actor,
        action="household.move",
        subject=person_id,
        target=f"household:{household_id}->household:{target.id}",
    )
    session.flush()
    return target

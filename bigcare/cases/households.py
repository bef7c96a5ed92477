"""Households: who lives with whom, formed from the facilities' household numbers and shared
addresses, and the caseworker's edits (move a member, set the head, record a relation)."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, or_, tuple_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.cases.service import PersonRow
from bigcare.db import utcnow
from bigcare.districts.models import Dong, Gu
from bigcare.errors import FieldError, InvalidInput, NotFound
from bigcare.facilities.models import SourceRecord
from bigcare.linkage.models import Person, PersonField, RecordLink

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


# --- forming households from the source data ---------------------------------------------

# Facilities' relation values that say something about the household (relative to its head).
_SOURCE_RELATIONS = frozenset(RELATIONS)
_CHUNK = 500


@dataclass
class FormResult:
    """What a forming run changed (counts only: it is logged)."""

    persons: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    placed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.persons} persons: {self.created} households created, {self.updated} "
            f"updated, {self.deleted} deleted, {self.placed} memberships placed or changed"
        )


@dataclass
class _Record:
    person_id: int
    record_id: int
    facility_code: str
    household_key: str | None
    relation: str | None
    gu: str | None
    road_building: str | None
    lot: str | None
    unit: str | None
    home_last8: str | None
    address_record: bool  # the record the person's golden address was taken from


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _records_query() -> Any:
    address = aliased(PersonField)
    return (
        select(
            RecordLink.person_id,
            RecordLink.record_id,
            SourceRecord.facility_code,
            SourceRecord.household_key,
            SourceRecord.relation,
            RecordLink.gu,
            RecordLink.road_building,
            RecordLink.lot,
            RecordLink.unit,
            RecordLink.home_last8,
            address.record_id,
        )
        .join(SourceRecord, col(SourceRecord.id) == RecordLink.record_id)
        .join(Person, col(Person.id) == RecordLink.person_id)
        .outerjoin(
            address,
            and_(
                col(address.person_id) == RecordLink.person_id,
                col(address.field) == "address",
            ),
        )
        .where(Person.status == "active")
    )


def _to_records(rows: Iterable[Any]) -> dict[int, list[_Record]]:
    by_person: dict[int, list[_Record]] = defaultdict(list)
    for row in rows:
        *fields, address_record_id = row
        by_person[row[0]].append(_Record(*fields, address_record=address_record_id == row[1]))
    # A person whose golden address is not known by record ties by their latest record.
    for records in by_person.values():
        if not any(r.address_record for r in records):
            max(records, key=lambda r: r.record_id).address_record = True
    return by_person


def _address_key(r: _Record) -> str | None:
    """The building + unit (or, without a unit, building + home phone) of an address record."""
    building = r.road_building or r.lot
    if building is None:
        return None
    if r.unit:
        return f"{r.gu or ''}|{building}|{r.unit}"[:200]
    return f"{r.gu or ''}|{building}|-"[:200]


def _ties(r: _Record) -> list[tuple[str | None, ...]]:
    """The keys two records must share to put their persons in one household."""
    keys: list[tuple[str | None, ...]] = []
    if r.household_key:
        keys.append(("household", r.facility_code, r.household_key))
    if not r.address_record:
        return keys
    for kind, building in (("road", r.road_building), ("lot", r.lot)):
        if building is None:
            continue
        if r.unit:
            keys.append((kind, r.gu, building, r.unit))
        elif r.home_last8:
            # Same building and no unit on either side: only a shared home phone says so.
            keys.append((kind + "+phone", r.gu, building, r.home_last8))
    return keys


def _fixed_persons(session: Session, person_ids: Iterable[int] | None) -> set[int]:
    """Persons a caseworker placed (manual members, or anyone in a manual household)."""
    query = (
        select(HouseholdMember.person_id)
        .join(Household, col(Household.id) == HouseholdMember.household_id)
        .where(or_(col(HouseholdMember.manual), Household.origin == "manual"))
    )
    if person_ids is None:
        return set(session.exec(query))
    fixed: set[int] = set()
    for chunk in _chunks(person_ids):
        fixed.update(session.exec(query.where(col(HouseholdMember.person_id).in_(chunk))))
    return fixed


def _co_members(session: Session, person_ids: set[int]) -> set[int]:
    """Everyone sharing an automatic household with these persons."""
    found: set[int] = set()
    for chunk in _chunks(person_ids):
        households = (
            select(HouseholdMember.household_id)
            .join(Household, col(Household.id) == HouseholdMember.household_id)
            .where(col(HouseholdMember.person_id).in_(chunk), Household.origin == "auto")
        )
        query = select(HouseholdMember.person_id).where(
            col(HouseholdMember.household_id).in_(households)
        )
        found.update(session.exec(query))
    return found


def _load(session: Session, person_ids: set[int]) -> dict[int, list[_Record]]:
    rows: list[Any] = []
    for chunk in _chunks(person_ids):
        rows.extend(session.exec(_records_query().where(col(RecordLink.person_id).in_(chunk))))
    return _to_records(rows)


def _candidates(session: Session, keys: set[tuple[str | None, ...]]) -> set[int]:
    """Persons with a record that may carry one of these keys (checked exactly afterwards)."""
    pairs = {(k[1], k[2]) for k in keys if k[0] == "household"}
    roads = {k[2] for k in keys if k[0].startswith("road")}
    lots = {k[2] for k in keys if k[0].startswith("lot")}
    found: set[int] = set()
    by_record = select(RecordLink.person_id).join(
        SourceRecord, col(SourceRecord.id) == RecordLink.record_id
    )
    for chunk in _chunks(pairs):
        pair = tuple_(col(SourceRecord.facility_code), col(SourceRecord.household_key))
        found.update(session.exec(by_record.where(pair.in_(chunk))))
    for column, values in ((RecordLink.road_building, roads), (RecordLink.lot, lots)):
        for chunk in _chunks(values):
            found.update(session.exec(select(RecordLink.person_id).where(col(column).in_(chunk))))
    return found


def _closure(
    session: Session, start: set[int], fixed: set[int]
) -> tuple[set[int], dict[int, list[_Record]]]:
    """The persons to form again: the given ones, whoever shares an automatic household with
    them and whoever is tied to any of those, transitively; with their records."""
    persons = set(start) - fixed
    records = _load(session, persons)
    keys = {k for rs in records.values() for r in rs for k in _ties(r)}
    while True:
        sharing = _co_members(session, persons) - persons - fixed
        maybe = _candidates(session, keys) - persons - fixed - sharing
        loaded = _load(session, sharing | maybe)
        # A neighbour in the same building with another unit shares no key: left alone.
        tied = {p for p in maybe if keys & {k for r in loaded.get(p, []) for k in _ties(r)}}
        added = sharing | tied
        if not added:
            return persons, records
        persons |= added
        for person_id in added & loaded.keys():
            records[person_id] = loaded[person_id]
            keys.update(k for r in loaded[person_id] for k in _ties(r))


def _people(session: Session, person_ids: set[int] | None) -> dict[int, Person]:
    if person_ids is None:
        return {p.id: p for p in session.exec(select(Person)) if p.id is not None}
    found: dict[int, Person] = {}
    for chunk in _chunks(person_ids):
        found.update(
            (p.id, p) for p in session.exec(select(Person).where(col(Person.id).in_(chunk)))
        )  # type: ignore[misc]
    return found


def _oldest(people: Iterable[Person]) -> Person:
    return min(people, key=lambda p: (p.birth_date is None, p.birth_date or date.max, p.id or 0))


def _components(active: set[int], records: dict[int, list[_Record]]) -> list[list[int]]:
    """Union-find over the persons' shared keys."""
    parent = {p: p for p in active}

    def find(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    first: dict[tuple[str | None, ...], int] = {}
    for person_id in sorted(active):
        for record in records.get(person_id, []):
            for key in _ties(record):
                other = first.setdefault(key, person_id)
                a, b = find(person_id), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for person_id in sorted(active):
        groups[find(person_id)].append(person_id)
    return list(groups.values())


@dataclass
class _Shape:
    members: list[int]
    head: Person
    relations: dict[int, str]
    address_key: str | None


def _shape(
    members: list[int], people: dict[int, Person], records: dict[int, list[_Record]]
) -> _Shape:
    """Head (the facility's 본인, else the oldest) and each member's relation to the head."""
    heads_of: dict[tuple[str, str], set[int]] = defaultdict(set)
    for person_id in members:
        for r in records.get(person_id, []):
            if r.household_key and r.relation == HEAD:
                heads_of[(r.facility_code, r.household_key)].add(person_id)
    said_head = {p for ids in heads_of.values() for p in ids}
    head = _oldest(people[p] for p in (said_head or set(members)))
    relations = {}
    for person_id in members:
        relation = "기타"
        for r in records.get(person_id, []):
            source_heads = heads_of.get((r.facility_code, r.household_key or ""), set())
            if r.relation in RELATIONS and r.relation != HEAD and head.id in source_heads:
                relation = r.relation
                break
        relations[person_id] = HEAD if person_id == head.id else relation
    address = next((r for r in records.get(head.id or 0, []) if r.address_record), None)
    return _Shape(members, head, relations, _address_key(address) if address else None)


def _assign(shapes: list[_Shape], current: dict[int, HouseholdMember]) -> dict[int, int]:
    """Which existing household each shape keeps (by most members already there): ids stay
    put, so a second run changes nothing."""
    overlaps = []
    for index, shape in enumerate(shapes):
        counts: dict[int, int] = defaultdict(int)
        for person_id in shape.members:
            if person_id in current:
                counts[current[person_id].household_id] += 1
        overlaps.extend((-n, household_id, index) for household_id, n in counts.items())
    kept: dict[int, int] = {}
    taken: set[int] = set()
    for _, household_id, index in sorted(overlaps):
        if index not in kept and household_id not in taken:
            kept[index] = household_id
            taken.add(household_id)
    return kept


def _drop_empty(session: Session, household_ids: set[int], result: FormResult) -> None:
    """Delete the automatic households left without members; their cases follow the person."""
    for chunk in _chunks(household_ids):
        occupied = select(HouseholdMember.household_id).where(
            col(HouseholdMember.household_id).in_(chunk)
        )
        empty = list(
            session.exec(
                select(Household.id).where(
                    col(Household.id).in_(chunk), col(Household.id).not_in(occupied)
                )
            )
        )
        if not empty:
            continue
        moved_to = (
            select(HouseholdMember.household_id)
            .where(HouseholdMember.person_id == Case.person_id)
            .scalar_subquery()
        )
        session.exec(
            update(Case).where(col(Case.household_id).in_(empty)).values(household_id=moved_to)  # type: ignore[call-overload]
        )
        session.exec(delete(Household).where(col(Household.id).in_(empty)))  # type: ignore[call-overload]
        result.deleted += len(empty)


def _leave_retired(session: Session, person_ids: set[int] | None) -> set[int]:
    """Take persons merged away out of their households; the households they left."""
    query = (
        select(HouseholdMember)
        .join(Person, col(Person.id) == HouseholdMember.person_id)
        .where(Person.status != "active")
    )
    rows: list[HouseholdMember] = []
    if person_ids is None:
        rows = list(session.exec(query))
    else:
        for chunk in _chunks(person_ids):
            rows.extend(session.exec(query.where(col(HouseholdMember.person_id).in_(chunk))))
    left = {m.household_id for m in rows}
    for member in rows:
        session.delete(member)
    session.flush()
    # A hand-made household that lost its head takes its oldest remaining member.
    for household in session.exec(select(Household).where(col(Household.id).in_(left))):
        remaining = session.exec(
            select(HouseholdMember, Person)
            .join(Person, col(Person.id) == HouseholdMember.person_id)
            .where(HouseholdMember.household_id == household.id)
        ).all()
        if remaining and household.head_person_id not in {p.id for _, p in remaining}:
            head = _oldest(p for _, p in remaining)
            household.head_person_id = head.id
            next(m for m, p in remaining if p.id == head.id).relation = HEAD
            household.updated_at = utcnow()
    return left


def form_households(session: Session, *, person_ids: Iterable[int] | None = None) -> FormResult:
    """Form households from the source data: persons sharing a facility's household number,
    or the same building and unit (or building and home phone where there is no unit), live
    together. Hand-placed members and hand-made households are left as they are. Only the
    households touching `person_ids` are formed again (None: everyone). Idempotent."""
    result = FormResult()
    start = None if person_ids is None else set(person_ids)
    left = _leave_retired(session, start)
    fixed = _fixed_persons(session, start)
    if start is None:
        persons = set(session.exec(select(Person.id).where(Person.status == "active"))) - fixed
        records = _to_records(session.exec(_records_query()))
    else:
        persons, records = _closure(session, start, fixed)
    people = _people(session, persons)
    active = {p for p in persons if p in people and people[p].status == "active"}
    result.persons = len(active)
    current: dict[int, HouseholdMember] = {}
    for chunk in _chunks(active):
        query = select(HouseholdMember).where(col(HouseholdMember.person_id).in_(chunk))
        current.update((m.person_id, m) for m in session.exec(query))
    shapes = [_shape(c, people, records) for c in _components(active, records)]
    kept = _assign(shapes, current)
    households: dict[int, Household] = {}
    for chunk in _chunks(set(kept.values())):
        query = select(Household).where(col(Household.id).in_(chunk))
        households.update((h.id, h) for h in session.exec(query) if h.id is not None)
    before = {m.household_id for m in current.values()} | left
    now = utcnow()
    targets: list[Household] = []
    for index, shape in enumerate(shapes):
        values = {
            "dong_code": shape.head.dong_code,
            "address": shape.head.address,
            "address_key": shape.address_key,
            "head_person_id": shape.head.id,
        }
        household = households.get(kept.get(index, -1))
        if household is None:
            household = Household(origin="auto", **values)
            session.add(household)
            result.created += 1
        elif any(getattr(household, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(household, key, value)
            household.updated_at = now
            result.updated += 1
        targets.append(household)
    session.flush()
    for shape, household in zip(shapes, targets, strict=True):
        for person_id in shape.members:
            relation = shape.relations[person_id]
            member = current.get(person_id)
            if member is None:
                session.add(
                    HouseholdMember(
                        person_id=person_id, household_id=household.id, relation=relation
                    )
                )
                result.placed += 1
            elif (member.household_id, member.relation) != (household.id, relation):
                member.household_id, member.relation = household.id or 0, relation
                member.updated_at = now
                result.placed += 1
    session.flush()
    _drop_empty(session, before - {h.id for h in targets}, result)
    session.flush()
    return result


# --- the household page and a caseworker's edits -----------------------------------------

NOT_FOUND = "가구를 찾을 수 없습니다"
# Stages of welfare_case, as the household page names them.
STAGE_LABELS = {
    "identified": "발굴",
    "consulting": "초기상담",
    "intake": "접수",
    "assessment": "욕구조사",
    "conference": "사례회의",
    "classified": "대상자 구분",
    "planned": "서비스 계획",
    "monitoring": "제공·점검",
    "closed": "종결",
}
CATEGORY_LABELS = {"intensive": "집중", "general": "일반", "simple": "단순"}
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


def _get_scoped(session: Session, *, actor: Actor, household_id: int, action: str) -> Household:
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
    household = _get_scoped(
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
            row.manual, row.updated_by_label = True, actor.label[:60]


def set_relation(
    session: Session, *, actor: Actor, household_id: int, person_id: int, relation: str
) -> HouseholdMember:
    """Record a member's relation to the head. Raises NotFound, InvalidInput (unknown
    relation, a second 본인, the head's relation)."""
    household = _get_scoped(
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
    household = _get_scoped(
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
    household = _get_scoped(
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
        target = _get_scoped(
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

"""Forming households from the source data: persons sharing a facility's household number,
or the same building and unit (or building and home phone), live together. Stable ids,
idempotent, and a caseworker's edits (see households) are never moved again."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, or_, tuple_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bigcare.cases import households
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.db import utcnow
from bigcare.facilities.models import SourceRecord
from bigcare.linkage.models import Person, PersonField, RecordLink

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
        in_auto = (
            select(HouseholdMember.household_id)
            .join(Household, col(Household.id) == HouseholdMember.household_id)
            .where(col(HouseholdMember.person_id).in_(chunk), Household.origin == "auto")
        )
        query = select(HouseholdMember.person_id).where(
            col(HouseholdMember.household_id).in_(in_auto)
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
            if r.household_key and r.relation == households.HEAD:
                heads_of[(r.facility_code, r.household_key)].add(person_id)
    said_head = {p for ids in heads_of.values() for p in ids}
    head = _oldest(people[p] for p in (said_head or set(members)))
    relations = {}
    for person_id in members:
        relation = "기타"
        for r in records.get(person_id, []):
            source_heads = heads_of.get((r.facility_code, r.household_key or ""), set())
            if (
                r.relation in households.RELATIONS
                and r.relation != households.HEAD
                and head.id in source_heads
            ):
                relation = r.relation
                break
        relations[person_id] = households.HEAD if person_id == head.id else relation
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
            next(m for m, p in remaining if p.id == head.id).relation = households.HEAD
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
    kept_rows: dict[int, Household] = {}
    for chunk in _chunks(set(kept.values())):
        query = select(Household).where(col(Household.id).in_(chunk))
        kept_rows.update((h.id, h) for h in session.exec(query) if h.id is not None)
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
        household = kept_rows.get(kept.get(index, -1))
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

"""People deciding who is who by hand: merging two persons, splitting a person back into
chosen source records, and the constraints that keep such decisions (must-link, cannot-link)
for every later linking run; plus what the person page shows of it. Each change is a link
event and is access-logged; persons are scoped to the actor's dongs. The review queue that
asks these questions is `review.py`."""

from dataclasses import dataclass

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.db import utcnow
from bigcare.errors import FieldError, InvalidInput, NotFound
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage import golden
from bigcare.linkage.models import (
    LinkConstraint,
    LinkEvent,
    Person,
    PersonField,
    RecordLink,
)
from bigcare.linkage.service import person_records, refresh_golden
from bigcare.privacy import phone as phones

REASON_MIN = 5
PERSON_NOT_FOUND = "대상자를 찾을 수 없습니다"


def require_reason(text: str, field: str = "note") -> str:
    """The typed reason, tidied; InvalidInput (in Korean, for `field`) when too short."""
    text = " ".join(text.split())
    if len(text) < REASON_MIN:
        raise InvalidInput(
            "사유를 입력하세요",
            [FieldError(field=field, message=f"사유를 {REASON_MIN}자 이상 입력하세요")],
        )
    return text[:500]


def constrain(session: Session, actor: Actor, a: int, b: int, kind: str, reason: str) -> None:
    """Record a manual decision; it replaces the opposite decision on the same pair."""
    a, b = min(a, b), max(a, b)
    opposite = "cannot" if kind == "must" else "must"
    session.exec(  # type: ignore[call-overload]
        delete(LinkConstraint).where(
            col(LinkConstraint.record_id) == a,
            col(LinkConstraint.other_record_id) == b,
            col(LinkConstraint.kind) == opposite,
        )
    )
    exists = session.exec(
        select(LinkConstraint).where(
            LinkConstraint.record_id == a,
            LinkConstraint.other_record_id == b,
            LinkConstraint.kind == kind,
        )
    ).first()
    if exists is None:
        session.add(
            LinkConstraint(
                record_id=a,
                other_record_id=b,
                kind=kind,
                reason=reason[:500],
                created_by=actor.user_id,
                created_by_label=actor.label[:60],
            )
        )


def node_records(session: Session, node_id: int) -> list[int]:
    return list(session.exec(select(RecordLink.record_id).where(RecordLink.node_id == node_id)))


# --- merge and split ---------------------------------------------------------------------


def _scoped_person(session: Session, *, actor: Actor, person_id: int, action: str) -> Person:
    person = session.exec(
        select(Person).where(
            Person.id == person_id,
            Person.status == "active",
            actor.dong_clause(col(Person.dong_code)),
        )
    ).first()
    if person is None:
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=Person,
            key=person_id,
            target=f"person:{person_id}",
            subject=person_id,
        )
        raise NotFound(PERSON_NOT_FOUND)
    return person


def merge_persons(
    session: Session, *, actor: Actor, person_id: int, other_id: int, reason: str
) -> Person:
    """Merge `other_id` into `person_id` by hand (both in scope). The smaller id survives so
    a person's number never moves to a newer one."""
    reason = require_reason(reason, "reason")
    if person_id == other_id:
        raise InvalidInput(
            "같은 대상자끼리는 합칠 수 없습니다",
            [FieldError(field="other_id", message="다른 대상자 번호를 입력하세요")],
        )
    _scoped_person(session, actor=actor, person_id=person_id, action="person.merge")
    _scoped_person(session, actor=actor, person_id=other_id, action="person.merge")
    keep, gone = min(person_id, other_id), max(person_id, other_id)
    first = _first_record(session, keep)
    second = _first_record(session, gone)
    if first is not None and second is not None:
        constrain(session, actor, first, second, "must", reason)
    merge_into(session, actor, keep=keep, gone=gone, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="person.merge",
        subject=keep,
        target=f"person:{gone} → person:{keep}",
        reason=reason,
    )
    session.flush()
    return session.get(Person, keep)  # type: ignore[return-value]


def _first_record(session: Session, person_id: int) -> int | None:
    return session.exec(
        select(func.min(RecordLink.record_id)).where(RecordLink.person_id == person_id)
    ).one()


def merge_into(session: Session, actor: Actor, *, keep: int, gone: int, reason: str) -> None:
    moved = list(session.exec(select(RecordLink).where(RecordLink.person_id == gone)))
    for link in moved:
        link.person_id = keep
        link.decision = "manual"
        session.add(link)
    # Earlier "different" decisions between the two are overruled by this one.
    keep_records = list(
        session.exec(select(RecordLink.record_id).where(RecordLink.person_id == keep))
    )
    moved_ids = [link.record_id for link in moved]
    _drop_constraints(session, keep_records, moved_ids, "cannot")
    retired = session.get(Person, gone)
    assert retired is not None
    retired.status = "merged"
    retired.merged_into_id = keep
    retired.updated_at = utcnow()
    session.add(retired)
    session.add(
        LinkEvent(
            kind="merge",
            person_id=keep,
            other_person_id=gone,
            record_ids=sorted(moved_ids),
            actor_id=actor.user_id,
            actor_label=actor.label[:60],
            reason=reason[:500],
        )
    )
    session.flush()
    refresh_golden(session, [keep])


def _drop_constraints(session: Session, side_a: list[int], side_b: list[int], kind: str) -> None:
    if not side_a or not side_b:
        return
    session.exec(  # type: ignore[call-overload]
        delete(LinkConstraint).where(
            col(LinkConstraint.kind) == kind,
            or_(
                col(LinkConstraint.record_id).in_(side_a)
                & col(LinkConstraint.other_record_id).in_(side_b),
                col(LinkConstraint.record_id).in_(side_b)
                & col(LinkConstraint.other_record_id).in_(side_a),
            ),
        )
    )


def split_person(
    session: Session, *, actor: Actor, person_id: int, record_ids: list[int], reason: str
) -> Person:
    """Split the chosen source records (with the rows of their facility client) off into a
    person of their own — the one they were merged from, if there is one — and keep them
    apart on every later run. Returns the person they now belong to."""
    reason = require_reason(reason, "reason")
    _scoped_person(session, actor=actor, person_id=person_id, action="person.split")
    links = {
        link.record_id: link
        for link in session.exec(select(RecordLink).where(RecordLink.person_id == person_id))
    }
    chosen_nodes = {links[r].node_id for r in record_ids if r in links}
    chosen = sorted(r for r, link in links.items() if link.node_id in chosen_nodes)
    if not chosen:
        raise InvalidInput(
            "분리할 기록을 고르세요",
            [FieldError(field="record_ids", message="분리할 기록을 하나 이상 고르세요")],
        )
    if len(chosen) == len(links):
        raise InvalidInput(
            "모든 기록을 분리할 수는 없습니다",
            [FieldError(field="record_ids", message="남길 기록을 하나 이상 두세요")],
        )
    new_person = split_off(session, actor, person_id, chosen, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="person.split",
        subject=person_id,
        target=f"person:{person_id} → person:{new_person.id} ({len(chosen)}건)",
        reason=reason,
    )
    session.flush()
    return new_person


def split_off(
    session: Session, actor: Actor, person_id: int, chosen: list[int], *, reason: str
) -> Person:
    rest = list(
        session.exec(
            select(RecordLink.record_id).where(
                RecordLink.person_id == person_id, col(RecordLink.record_id).not_in(chosen)
            )
        )
    )
    target = _merged_from(session, person_id, chosen)
    if target is None:
        first = session.get(RecordLink, chosen[0])
        record = session.get(SourceRecord, chosen[0])
        assert first is not None and record is not None
        holder = session.get(Person, person_id)
        assert holder is not None
        target = Person(name=record.name or "", dong_code=record.dong_code or holder.dong_code)
        session.add(target)
        session.flush()
    else:
        target.status = "active"
        target.merged_into_id = None
        session.add(target)
    for record_id in chosen:
        link = session.get(RecordLink, record_id)
        assert link is not None
        link.person_id = target.id or 0
        link.decision = "manual"
        session.add(link)
    _drop_constraints(session, chosen, rest, "must")
    # Keep them apart: one cannot-link per pair of facility clients across the split.
    chosen_nodes = _representatives(session, chosen)
    rest_nodes = _representatives(session, rest)
    for a in chosen_nodes:
        for b in rest_nodes:
            constrain(session, actor, a, b, "cannot", reason)
    session.add(
        LinkEvent(
            kind="split",
            person_id=person_id,
            other_person_id=target.id,
            record_ids=chosen,
            actor_id=actor.user_id,
            actor_label=actor.label[:60],
            reason=reason[:500],
        )
    )
    session.flush()
    refresh_golden(session, [person_id, target.id or 0])
    return target


def _representatives(session: Session, record_ids: list[int]) -> list[int]:
    if not record_ids:
        return []
    nodes = session.exec(
        select(RecordLink.node_id).where(col(RecordLink.record_id).in_(record_ids)).distinct()
    )
    return sorted(nodes)


def _merged_from(session: Session, person_id: int, chosen: list[int]) -> Person | None:
    """The retired person whose records were merged in and are exactly the ones chosen."""
    events = session.exec(
        select(LinkEvent)
        .where(LinkEvent.kind == "merge", LinkEvent.person_id == person_id)
        .order_by(col(LinkEvent.id).desc())
    )
    for event in events:
        if sorted(event.record_ids) == sorted(chosen) and event.other_person_id:
            retired = session.get(Person, event.other_person_id)
            if retired is not None and retired.status == "merged":
                return retired
    return None


# --- the person page's linkage section ----------------------------------------------------


@dataclass
class SourceRow:
    """One of a person's source records as the person page lists it (phone masked; the
    record itself holds the RRN only sealed and masked)."""

    record: SourceRecord
    link: RecordLink
    facility: Facility
    phone: str


def sources(session: Session, person_id: int) -> list[SourceRow]:
    """The person's source records from every facility, oldest first."""
    return [
        SourceRow(
            r.record,
            r.link,
            r.facility,
            phones.mask_phone(r.record.phone) if r.record.phone else "",
        )
        for r in person_records(session, person_id)
    ]


def get_person_sources(
    session: Session, *, actor: Actor, person_id: int
) -> tuple[Person, list[SourceRow]]:
    """An active person in scope and their source records, for the merge and split forms
    shown again with an input error; logged as a read. Raises NotFound."""
    person = _scoped_person(session, actor=actor, person_id=person_id, action="person.read")
    audit.record(session, actor=actor, action="person.read", subject=person_id)
    return person, sources(session, person_id)


@dataclass
class Provenance:
    field: str
    label: str
    value: str
    facility: str
    record_id: int
    rule: str
    support: int


def provenance(session: Session, person_id: int) -> list[Provenance]:
    rows = session.exec(
        select(PersonField, Facility.name)
        .join(Facility, col(Facility.code) == PersonField.facility_code)
        .where(PersonField.person_id == person_id)
    ).all()
    order = list(golden.FIELD_LABELS)
    out = [
        Provenance(
            pf.field,
            golden.FIELD_LABELS.get(pf.field, pf.field),
            pf.value,
            name,
            pf.record_id,
            golden.RULE_LABELS.get(pf.rule, pf.rule),
            pf.support,
        )
        for pf, name in rows
    ]
    return sorted(out, key=lambda p: order.index(p.field) if p.field in order else 99)


def history(session: Session, person_id: int) -> list[LinkEvent]:
    return list(
        session.exec(
            select(LinkEvent)
            .where(or_(LinkEvent.person_id == person_id, LinkEvent.other_person_id == person_id))
            .order_by(col(LinkEvent.id).desc())
        )
    )

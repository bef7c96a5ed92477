"""People deciding who is who: the clerical review queue, merging two persons by hand and
splitting a person back into chosen source records. Each decision is kept as a must-link or
cannot-link constraint that every later linking run honours, and as a link event; each read
and change is access-logged and scoped to the actor's dongs."""

from dataclasses import dataclass

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.db import utcnow
from bigcare.districts.models import Dong
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage import golden
from bigcare.linkage.models import (
    LinkConstraint,
    LinkEvent,
    Person,
    PersonField,
    RecordLink,
    ReviewItem,
)
from bigcare.linkage.service import person_records, refresh_golden
from bigcare.privacy import phone as phones

PER_PAGE = 30
REASON_MIN = 5
REVIEW_NOT_FOUND = "검토 항목을 찾을 수 없습니다"
PERSON_NOT_FOUND = "대상자를 찾을 수 없습니다"
DECISIONS = {"same": "같은 사람", "different": "다른 사람", "deferred": "보류"}
# Why the linker did not decide a pair itself (ReviewItem.reason), as the reviewer reads it.
REASON_LABELS = {
    "uncertain": "일치 확률이 자동 연계 기준에 못 미칩니다",
    "uncorroborated": "이름과 생년월일 말고는 맞는 항목이 없습니다 (번호·전화·주소로 확인 필요)",
    "conflict": "자동으로 이으면 한 대상자 안에 서로 다른 주민등록번호 같은 모순이 생깁니다",
}
STATUS_LABELS = {
    "open": "검토 대기",
    "same": "같은 사람",
    "different": "다른 사람",
    "deferred": "보류",
    "resolved": "다른 결정으로 정리됨",
}


def _reason(text: str, field: str = "note") -> str:
    text = " ".join(text.split())
    if len(text) < REASON_MIN:
        raise InvalidInput(
            "사유를 입력하세요",
            [FieldError(field=field, message=f"사유를 {REASON_MIN}자 이상 입력하세요")],
        )
    return text[:500]


# --- the review queue ---------------------------------------------------------------------


@dataclass
class ReviewRow:
    item: ReviewItem
    name: str | None
    other_name: str | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.item.status, self.item.status)

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.item.reason, self.item.reason)


def list_reviews(
    session: Session, *, actor: Actor, status: str = "open", page: int = 1
) -> tuple[list[ReviewRow], int]:
    """One page of review items in the actor's dongs, most probable first."""
    other = SourceRecord.__table__.alias("other")  # type: ignore[attr-defined]
    query = (
        select(ReviewItem, SourceRecord.name, other.c.name)
        .join(SourceRecord, col(SourceRecord.id) == ReviewItem.record_id)
        .join(other, other.c.id == ReviewItem.other_record_id)
        .where(actor.dong_clause(col(ReviewItem.dong_code)), ReviewItem.status == status)
    )
    total = int(session.exec(select(func.count()).select_from(query.subquery())).one())
    rows = session.exec(
        query.order_by(col(ReviewItem.probability).desc(), col(ReviewItem.id))
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    audit.record(
        session,
        actor=actor,
        action="linkage.review.list",
        target=f"{len(rows)}건 표시 ({STATUS_LABELS.get(status, status)}, {page}쪽)",
    )
    return [ReviewRow(item, a, b) for item, a, b in rows], total


def count_open(session: Session, *, actor: Actor) -> int:
    query = select(func.count()).where(
        ReviewItem.status == "open", actor.dong_clause(col(ReviewItem.dong_code))
    )
    return int(session.exec(query).one())


def next_open(session: Session, *, actor: Actor) -> int | None:
    """The open item the queue lists first: where a reviewer goes on to after a decision."""
    return session.exec(
        select(ReviewItem.id)
        .where(ReviewItem.status == "open", actor.dong_clause(col(ReviewItem.dong_code)))
        .order_by(col(ReviewItem.probability).desc(), col(ReviewItem.id))
    ).first()


@dataclass
class Side:
    """One record of the pair as the review page shows it: masked where it must be."""

    record: SourceRecord
    facility: Facility
    person_id: int | None
    values: dict[str, str]


@dataclass
class ReviewView:
    item: ReviewItem
    left: Side
    right: Side
    differs: set[str]
    max_weight: float

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.item.status, self.item.status)

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.item.reason, self.item.reason)


SIDE_FIELDS = {
    "name": "성명",
    "rrn": "주민등록번호",
    "birth_date": "생년월일",
    "sex": "성별",
    "phone": "휴대전화",
    "home_phone": "집 전화",
    "address": "주소",
    "unit": "상세주소",
    "dong": "행정동",
    "client_id": "시설 관리번호",
}


def _side(session: Session, record: SourceRecord) -> Side:
    facility = session.get(Facility, record.facility_code)
    assert facility is not None
    link = session.get(RecordLink, record.id)
    dong = session.get(Dong, record.dong_code) if record.dong_code else None
    values = {
        "name": record.name or "",
        "rrn": record.rrn_masked or "",
        "birth_date": record.birth_date.isoformat() if record.birth_date else "",
        "sex": {"M": "남", "F": "여"}.get(record.sex or "", ""),
        "phone": phones.mask_phone(record.phone) if record.phone else "",
        "home_phone": phones.mask_phone(record.home_phone) if record.home_phone else "",
        "address": record.address or "",
        "unit": record.unit or "",
        "dong": dong.name if dong else "",
        "client_id": record.client_id or "",
    }
    return Side(record, facility, link.person_id if link else None, values)


def _scoped_item(session: Session, *, actor: Actor, item_id: int, action: str) -> ReviewItem:
    item = session.exec(
        select(ReviewItem).where(
            ReviewItem.id == item_id, actor.dong_clause(col(ReviewItem.dong_code))
        )
    ).first()
    if item is None:
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=ReviewItem,
            key=item_id,
            target=f"review:{item_id}",
        )
        raise NotFound(REVIEW_NOT_FOUND)
    return item


def get_review(session: Session, *, actor: Actor, item_id: int) -> ReviewView:
    """The pair side by side, masked; reading it logs both persons."""
    item = _scoped_item(session, actor=actor, item_id=item_id, action="linkage.review.read")
    left = _side(session, session.get(SourceRecord, item.record_id))  # type: ignore[arg-type]
    right = _side(session, session.get(SourceRecord, item.other_record_id))  # type: ignore[arg-type]
    differs = {k for k in SIDE_FIELDS if left.values[k] and right.values[k]}
    differs = {
        k for k in differs if left.values[k].replace(" ", "") != right.values[k].replace(" ", "")
    }
    for side in (left, right):
        audit.record(
            session,
            actor=actor,
            action="linkage.review.read",
            subject=side.person_id,
            target=f"review:{item.id} record:{side.record.id}",
        )
    weights = [abs(e["weight"]) for e in item.evidence] or [1.0]
    return ReviewView(item, left, right, differs, max(max(weights), 1.0))


def decide_review(
    session: Session, *, actor: Actor, item_id: int, decision: str, note: str
) -> ReviewItem:
    """같은 사람 merges the two persons (must-link); 다른 사람 keeps or makes them apart
    (cannot-link); 보류 leaves it for later. The note is required for the first two."""
    if decision not in DECISIONS:
        raise InvalidInput(
            "결정을 고르세요", [FieldError(field="decision", message="결정을 고르세요")]
        )
    item = _scoped_item(session, actor=actor, item_id=item_id, action="linkage.review.decide")
    if item.status in ("same", "different"):
        raise Conflict("이미 결정된 항목입니다")
    note = _reason(note) if decision != "deferred" else " ".join(note.split())[:1000]
    a = session.get(RecordLink, item.record_id)
    b = session.get(RecordLink, item.other_record_id)
    if decision == "same":
        _constrain(session, actor, item.record_id, item.other_record_id, "must", note)
        if a and b and a.person_id != b.person_id:
            _merge(
                session,
                actor,
                keep=min(a.person_id, b.person_id),
                gone=max(a.person_id, b.person_id),
                reason=f"검토 결정: {note}",
            )
    elif decision == "different":
        _constrain(session, actor, item.record_id, item.other_record_id, "cannot", note)
        if a and b and a.person_id == b.person_id:
            nodes = _node_records(session, a.node_id)
            _split(session, actor, a.person_id, nodes, reason=f"검토 결정: {note}")
    item.status = decision
    item.note = note
    item.decided_by = actor.user_id
    item.decided_by_label = actor.label[:60]
    item.decided_at = utcnow()
    session.add(item)
    if decision != "deferred":
        _resolve_between(session, item)
    audit.record(
        session,
        actor=actor,
        action="linkage.review.decide",
        subject=b.person_id if b else None,
        target=f"review:{item.id} {DECISIONS[decision]}",
        reason=note or None,
    )
    session.flush()
    return item


@dataclass
class Decided:
    item: ReviewItem
    person_id: int | None  # the person the record under review belongs to now
    next_id: int | None  # the next open item in the actor's queue


def decide_and_continue(
    session: Session, *, actor: Actor, item_id: int, decision: str, note: str
) -> Decided:
    """decide_review, then where its record now belongs and which item comes next."""
    item = decide_review(session, actor=actor, item_id=item_id, decision=decision, note=note)
    link = session.get(RecordLink, item.record_id)
    return Decided(item, link.person_id if link else None, next_open(session, actor=actor))


def _resolve_between(session: Session, decided: ReviewItem) -> None:
    """Other open items about the same two persons are answered by this decision."""
    a = session.get(RecordLink, decided.record_id)
    b = session.get(RecordLink, decided.other_record_id)
    if a is None or b is None:
        return
    persons = {a.person_id, b.person_id}
    for item in session.exec(
        select(ReviewItem).where(ReviewItem.status == "open", ReviewItem.id != decided.id)
    ):
        x = session.get(RecordLink, item.record_id)
        y = session.get(RecordLink, item.other_record_id)
        if x and y and x.person_id in persons and y.person_id in persons:
            item.status = "resolved"
            session.add(item)


def _constrain(session: Session, actor: Actor, a: int, b: int, kind: str, reason: str) -> None:
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


def _node_records(session: Session, node_id: int) -> list[int]:
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
    reason = _reason(reason, "reason")
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
        _constrain(session, actor, first, second, "must", reason)
    _merge(session, actor, keep=keep, gone=gone, reason=reason)
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


def _merge(session: Session, actor: Actor, *, keep: int, gone: int, reason: str) -> None:
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
    reason = _reason(reason, "reason")
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
    new_person = _split(session, actor, person_id, chosen, reason=reason)
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


def _split(
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
            _constrain(session, actor, a, b, "cannot", reason)
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

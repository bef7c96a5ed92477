"""The clerical review queue: pairs the linker left for a person, shown side by side with the
weight of each comparison, decided 같은 사람 / 다른 사람 / 보류. A decision merges or splits
through `decisions.py` and is kept as a constraint; every read and decision is access-logged
and scoped to the reviewer's dongs."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.db import utcnow
from bigcare.districts.models import Dong
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage import decisions
from bigcare.linkage.models import RecordLink, ReviewItem
from bigcare.privacy import phone as phones

PER_PAGE = 30
REVIEW_NOT_FOUND = "검토 항목을 찾을 수 없습니다"
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
    if decision == "deferred":
        note = " ".join(note.split())[:1000]
    else:
        note = decisions.require_reason(note)
    a = session.get(RecordLink, item.record_id)
    b = session.get(RecordLink, item.other_record_id)
    if decision == "same":
        decisions.constrain(session, actor, item.record_id, item.other_record_id, "must", note)
        if a and b and a.person_id != b.person_id:
            decisions.merge_into(
                session,
                actor,
                keep=min(a.person_id, b.person_id),
                gone=max(a.person_id, b.person_id),
                reason=f"검토 결정: {note}",
            )
    elif decision == "different":
        decisions.constrain(session, actor, item.record_id, item.other_record_id, "cannot", note)
        if a and b and a.person_id == b.person_id:
            nodes = decisions.node_records(session, a.node_id)
            decisions.split_off(session, actor, a.person_id, nodes, reason=f"검토 결정: {note}")
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
    records = select(RecordLink.record_id).where(
        col(RecordLink.person_id).in_({a.person_id, b.person_id})
    )
    for item in session.exec(
        select(ReviewItem).where(
            ReviewItem.status == "open",
            ReviewItem.id != decided.id,
            col(ReviewItem.record_id).in_(records),
            col(ReviewItem.other_record_id).in_(records),
        )
    ):
        item.status = "resolved"
        session.add(item)

"""통합사례관리 workflow: a case in scope, what every step shares, and the steps from opening
a case (발굴/의뢰) through 초기상담, 접수, 욕구·위기도 조사, 사례회의 and 대상자 구분, and 종결 from
any open stage (서비스 제공계획, 제공 및 점검 and 재사정 are in plans.py). Each step validates
its input, records its content, sets the stage's date, writes a CaseEvent and an access-log
row."""

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import User
from bigcare.auth.permissions import ROLE_PERMISSIONS, Role
from bigcare.auth.service import Actor
from bigcare.cases import households, stages
from bigcare.cases import service as cases_service
from bigcare.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    Conference,
    Monitoring,
)
from bigcare.db import utcnow
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound

NOT_FOUND = "사례를 찾을 수 없습니다"
TEXT_MAX = 4000


# --- reading a case in scope -------------------------------------------------------------


def get_scoped_case(session: Session, *, actor: Actor, case_id: int, action: str) -> Case:
    """The case if its dong is in the actor's scope (not logged: the caller logs what it
    does). Raises NotFound (out of scope too), and logs the attempt so the monthly review
    sees it."""
    case = session.exec(
        select(Case).where(Case.id == case_id, actor.dong_clause(col(Case.dong_code)))
    ).first()
    if case is None:
        target = f"case:{case_id}"
        existing = session.get(Case, case_id)
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=Case,
            key=case_id,
            target=target,
            subject=existing.person_id if existing else None,
        )
        raise NotFound(NOT_FOUND)
    return case


def get_case(session: Session, *, actor: Actor, case_id: int) -> Case:
    """One case in the actor's scope; access-logged. Raises NotFound (also out of scope)."""
    case = get_scoped_case(session, actor=actor, case_id=case_id, action="case.read")
    audit.record(session, actor=actor, action="case.read", subject=case.person_id)
    return case


def find_open_case(session: Session, *, person_id: int) -> Case | None:
    """The person's case that is not closed, or None (there is at most one)."""
    return session.exec(
        select(Case).where(Case.person_id == person_id, Case.stage != "closed")
    ).first()


def case_for_step(session: Session, *, actor: Actor, case_id: int, step: str) -> Case:
    """The open case in scope, if it may take this step now. Raises NotFound, Conflict."""
    case = get_scoped_case(session, actor=actor, case_id=case_id, action=f"case.{step}")
    if case.stage == "closed":
        raise Conflict(f"사례 #{case_id}는 이미 종결되어 더 기록할 수 없습니다")
    if step != "close" and step not in stages.next_steps(case):
        raise Conflict(stages.REFUSED[step])
    return case


# --- what every step shares (plans.py's steps too) ---------------------------------------


class FormErrors:
    """Field errors collected over a whole form, raised together."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, row: int | None = None) -> None:
        self.items.append(FieldError(field=field, message=message, row=row))

    def raise_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items[0].message, self.items)


def clean_text(value: str | None, *, limit: int = TEXT_MAX) -> str:
    """Typed text without surrounding blank space, cut at the limit."""
    return (value or "").strip()[:limit]


def last_date(session: Session, case: Case) -> date:
    """The latest date recorded on the case: no later step may be dated before it."""
    dates = [
        d
        for d in (
            case.identified_on,
            case.consulted_on,
            case.intake_on,
            case.assessed_on,
            case.conference_on,
            case.classified_on,
            case.planned_on,
        )
        if d is not None
    ]
    checked = session.exec(
        select(Monitoring.checked_on)
        .where(Monitoring.case_id == case.id)
        .order_by(col(Monitoring.checked_on).desc())
        .limit(1)
    ).first()
    if checked is not None:
        dates.append(checked)
    return max(dates)


def check_date(
    errors: FormErrors,
    field: str,
    value: date | None,
    *,
    today: date,
    after: date | None,
    what: str,
) -> None:
    """A step's date: required, not in the future, not before the previous step's date."""
    if value is None:
        errors.add(field, f"{what}을 입력하세요 (YYYY-MM-DD)")
    elif value > today:
        errors.add(field, f"{what}은 오늘({today.isoformat()}) 이후일 수 없습니다")
    elif after is not None and value < after:
        errors.add(field, f"{what}은 앞 단계 기록일({after.isoformat()})보다 앞설 수 없습니다")


def choice(
    errors: FormErrors, field: str, value: str | None, choices: Sequence[str], what: str
) -> str:
    """The chosen value, stripped; an error when it is not one of the choices."""
    value = (value or "").strip()
    if value not in choices:
        errors.add(field, f"{what}을(를) 고르세요")
    return value


def move(
    session: Session, case: Case, *, actor: Actor, to: str, action: str, note: str = ""
) -> None:
    """Set the new stage and write its event and access-log row."""
    event = CaseEvent(
        case_id=case.id or 0,
        from_stage=case.stage,
        to_stage=to,
        note=note[:1000],
        actor_id=actor.user_id,
        actor_label=actor.signature,
    )
    case.stage = to
    case.updated_at = utcnow()
    session.add(case)
    session.add(event)
    audit.record(session, actor=actor, action=action, subject=case.person_id)
    session.flush()


def _staff_in(session: Session, *, dong_code: str) -> list[User]:
    roles = [r.value for r in Role if "case.edit" in ROLE_PERMISSIONS[r]]
    return list(
        session.exec(
            select(User)
            .where(User.dong_code == dong_code, col(User.role).in_(roles), User.is_active)
            .order_by(User.display_name, col(User.id))
        ).all()
    )


def caseworker_choices(session: Session, *, dong_code: str) -> list[User]:
    """Staff of the dong's center who may carry a case (its caseworker choices)."""
    return _staff_in(session, dong_code=dong_code)


# --- the steps -----------------------------------------------------------------------------


def open_case(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    referral_source: str,
    detail: str,
    identified_on: date | None,
    today: date,
    caseworker_id: int | None = None,
) -> Case:
    """Open a case (발굴/의뢰) for a person in scope; one open case per person.
    Raises NotFound, Conflict, InvalidInput."""
    row = cases_service.get_person(session, actor=actor, person_id=person_id)
    person = row.person
    if person.status != "active":
        raise Conflict(f"병합된 대상자입니다. 대상자 #{person.merged_into_id}에서 사례를 여세요")
    existing = find_open_case(session, person_id=person_id)
    if existing is not None:
        raise Conflict(
            f"이 대상자에게는 이미 진행 중인 사례 #{existing.id}"
            f"({stages.STAGES[existing.stage]}, {existing.identified_on.isoformat()} 발굴)가 "
            "있습니다. "
            "그 사례에서 이어서 기록하세요"
        )
    errors = FormErrors()
    source = choice(
        errors, "referral_source", referral_source, stages.REFERRAL_SOURCES, "발굴 경로"
    )
    check_date(errors, "identified_on", identified_on, today=today, after=None, what="발굴일")
    worker = caseworker_id or actor.user_id
    if caseworker_id is not None:
        staff = {u.id for u in _staff_in(session, dong_code=person.dong_code)}
        if caseworker_id not in staff:
            errors.add("caseworker_id", "이 주민센터에서 사례를 맡을 수 있는 직원을 고르세요")
    errors.raise_any()
    assert identified_on is not None
    household = households.household_of(session, person_id=person_id)
    case = Case(
        person_id=person_id,
        household_id=household.household.id if household else None,
        dong_code=person.dong_code,
        stage="identified",
        caseworker_id=worker,
        referral_source=source,
        referral_detail=clean_text(detail, limit=500),
        identified_on=identified_on,
        created_by=actor.user_id,
    )
    session.add(case)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            from_stage=None,
            to_stage="identified",
            note=source,
            actor_id=actor.user_id,
            actor_label=actor.signature,
        )
    )
    audit.record(session, actor=actor, action="case.open", subject=person_id)
    session.flush()
    return case


def record_consultation(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    consulted_on: date | None,
    content: str,
    outcome: str,
    close_reason: str | None = None,
    today: date,
) -> Case:
    """초기상담: what was learned, and whether the case goes on to intake or closes here
    (e.g. 비해당). Raises NotFound, Conflict, InvalidInput."""
    case = case_for_step(session, actor=actor, case_id=case_id, step="consultation")
    errors = FormErrors()
    after = last_date(session, case)
    check_date(errors, "consulted_on", consulted_on, today=today, after=after, what="상담일")
    content = clean_text(content, limit=1000)
    if not content:
        errors.add("content", "상담 내용을 입력하세요")
    outcome = choice(errors, "outcome", outcome, tuple(stages.CONSULT_OUTCOMES), "상담 결과")
    reason = None
    if outcome == "close":
        reason = choice(errors, "close_reason", close_reason, stages.CLOSE_REASONS, "종결 사유")
    errors.raise_any()
    case.consulted_on = consulted_on
    move(session, case, actor=actor, to="consulting", action="case.consultation", note=content)
    if outcome == "close" and reason:
        case.closed_on, case.close_reason, case.close_note = consulted_on, reason, ""
        move(
            session,
            case,
            actor=actor,
            to="closed",
            action="case.close",
            note=f"초기상담 결과 종결: {reason}",
        )
    return case


def record_intake(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    intake_on: date | None,
    assessment_days: int,
    plan_days: int,
    today: date,
) -> Case:
    """접수: starts the deadlines (조사 intake + assessment_days, 계획 intake + plan_days).
    Raises NotFound, Conflict, InvalidInput."""
    case = case_for_step(session, actor=actor, case_id=case_id, step="intake")
    errors = FormErrors()
    after = last_date(session, case)
    check_date(errors, "intake_on", intake_on, today=today, after=after, what="접수일")
    errors.raise_any()
    assert intake_on is not None
    case.intake_on = intake_on
    case.assessment_due = intake_on + timedelta(days=assessment_days)
    case.plan_due = intake_on + timedelta(days=plan_days)
    move(session, case, actor=actor, to="intake", action="case.intake")
    return case


def record_assessment(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    assessed_on: date | None,
    scores: dict[str, int | None],
    crisis_level: str,
    summary: str,
    today: date,
) -> Assessment:
    """욕구·위기도 조사 (or 재사정): a score 0–3 for every domain and a crisis level.
    Raises NotFound, Conflict, InvalidInput."""
    case = case_for_step(session, actor=actor, case_id=case_id, step="assessment")
    errors = FormErrors()
    after = last_date(session, case)
    check_date(errors, "assessed_on", assessed_on, today=today, after=after, what="조사일")
    clean: dict[str, int] = {}
    for key, label in stages.DOMAINS.items():
        score = scores.get(key)
        if score not in stages.SCORES:
            errors.add(f"score_{key}", f"{label} 영역의 욕구 정도를 고르세요")
        else:
            clean[key] = int(score)
    level = choice(errors, "crisis_level", crisis_level, tuple(stages.CRISIS_LEVELS), "위기도")
    errors.raise_any()
    assert assessed_on is not None
    kind = "reassessment" if stages.is_reassessment(case) else "initial"
    assessment = Assessment(
        case_id=case.id or 0,
        kind=kind,
        assessed_on=assessed_on,
        scores=clean,
        crisis_level=level,
        summary=clean_text(summary),
        actor_id=actor.user_id,
        actor_label=actor.signature,
    )
    session.add(assessment)
    case.assessed_on = assessed_on
    case.crisis_level = level
    if kind == "reassessment":
        # Already at the assessment stage: record the event without a stage change.
        session.add(
            CaseEvent(
                case_id=case.id or 0,
                from_stage="assessment",
                to_stage="assessment",
                note="재사정 조사 기록",
                actor_id=actor.user_id,
                actor_label=actor.signature,
            )
        )
        session.add(case)
        audit.record(session, actor=actor, action="case.assessment", subject=case.person_id)
        session.flush()
    else:
        move(session, case, actor=actor, to="assessment", action="case.assessment")
    return assessment


def record_conference(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    held_on: date | None,
    kind: str,
    participants: str,
    decision: str,
    today: date,
) -> Conference:
    """사례회의: when, which kind, who took part (one per line) and what was decided.
    Raises NotFound, Conflict, InvalidInput."""
    case = case_for_step(session, actor=actor, case_id=case_id, step="conference")
    errors = FormErrors()
    after = last_date(session, case)
    check_date(errors, "held_on", held_on, today=today, after=after, what="회의일")
    kind = choice(errors, "kind", kind, tuple(stages.CONFERENCE_KINDS), "회의 종류")
    people = [" ".join(p.split())[:80] for p in (participants or "").splitlines() if p.strip()]
    if not people:
        errors.add("participants", "참석자를 한 줄에 한 명씩 한 명 이상 입력하세요")
    decision = clean_text(decision)
    if not decision:
        errors.add("decision", "결정 사항을 입력하세요")
    errors.raise_any()
    assert held_on is not None
    conference = Conference(
        case_id=case.id or 0,
        held_on=held_on,
        kind=kind,
        participants=people[:50],
        decision=decision,
        actor_id=actor.user_id,
        actor_label=actor.signature,
    )
    session.add(conference)
    case.conference_on = held_on
    move(session, case, actor=actor, to="conference", action="case.conference")
    return conference


def classify(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    category: str,
    classified_on: date | None,
    today: date,
) -> Case:
    """대상자 구분: 집중, 일반 or 단순 사례. Raises NotFound, Conflict, InvalidInput."""
    case = case_for_step(session, actor=actor, case_id=case_id, step="classification")
    errors = FormErrors()
    after = last_date(session, case)
    check_date(errors, "classified_on", classified_on, today=today, after=after, what="구분일")
    category = choice(errors, "category", category, tuple(stages.CATEGORIES), "대상자 구분")
    errors.raise_any()
    case.category = category
    case.classified_on = classified_on
    move(
        session,
        case,
        actor=actor,
        to="classified",
        action="case.classify",
        note=stages.CATEGORIES[category],
    )
    return case


def close_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    closed_on: date | None,
    reason: str,
    note: str,
    today: date,
) -> Case:
    """종결 from any open stage, with a reason (a note too for 기타).
    Raises NotFound, Conflict, InvalidInput."""
    case = case_for_step(session, actor=actor, case_id=case_id, step="close")
    errors = FormErrors()
    after = last_date(session, case)
    check_date(errors, "closed_on", closed_on, today=today, after=after, what="종결일")
    reason = choice(errors, "reason", reason, stages.CLOSE_REASONS, "종결 사유")
    note = clean_text(note, limit=1000)
    if reason == "기타" and not note:
        errors.add("close_note", "종결 사유가 기타이면 내용을 적어 주세요")
    errors.raise_any()
    case.closed_on, case.close_reason, case.close_note = closed_on, reason, note
    move(
        session,
        case,
        actor=actor,
        to="closed",
        action="case.close",
        note=reason + (f": {note}" if note else ""),
    )
    return case

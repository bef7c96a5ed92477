"""통합사례관리 workflow: open a case and move it through its stages (초기상담, 접수, 욕구·위기도
조사, 사례회의, 대상자 구분, 서비스 제공계획, 제공 및 점검, 재사정, 종결). Each step validates its
input, records its content, sets the stage's date, writes a CaseEvent and an access-log row."""

from collections.abc import Sequence
from dataclasses import dataclass
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
    PlanService,
    ServicePlan,
)
from bigcare.db import utcnow
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities.models import Facility

NOT_FOUND = "사례를 찾을 수 없습니다"
TEXT_MAX = 4000


# --- reading a case in scope -------------------------------------------------------------


def _scoped_case(session: Session, *, actor: Actor, case_id: int, action: str) -> Case:
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
    case = _scoped_case(session, actor=actor, case_id=case_id, action="case.read")
    audit.record(session, actor=actor, action="case.read", subject=case.person_id)
    return case


def find_open_case(session: Session, *, person_id: int) -> Case | None:
    """The person's case that is not closed, or None (there is at most one)."""
    return session.exec(
        select(Case).where(Case.person_id == person_id, Case.stage != "closed")
    ).first()


def _open_case_for_step(session: Session, *, actor: Actor, case_id: int, step: str) -> Case:
    case = _scoped_case(session, actor=actor, case_id=case_id, action=f"case.{step}")
    if case.stage == "closed":
        raise Conflict(f"사례 #{case_id}는 이미 종결되어 더 기록할 수 없습니다")
    if step != "close" and step not in stages.next_steps(case):
        raise Conflict(stages.REFUSED[step])
    return case


# --- validation helpers -----------------------------------------------------------------


class _Errors:
    """Field errors collected over a whole form, raised together."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, row: int | None = None) -> None:
        self.items.append(FieldError(field=field, message=message, row=row))

    def raise_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items[0].message, self.items)


def _text(value: str | None, *, limit: int = TEXT_MAX) -> str:
    return (value or "").strip()[:limit]


def _last_date(session: Session, case: Case) -> date:
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


def _check_date(
    errors: _Errors, field: str, value: date | None, *, today: date, after: date | None, what: str
) -> None:
    """A step's date: required, not in the future, not before the previous step's date."""
    if value is None:
        errors.add(field, f"{what}을 입력하세요 (YYYY-MM-DD)")
    elif value > today:
        errors.add(field, f"{what}은 오늘({today.isoformat()}) 이후일 수 없습니다")
    elif after is not None and value < after:
        errors.add(field, f"{what}은 앞 단계 기록일({after.isoformat()})보다 앞설 수 없습니다")


def _choice(
    errors: _Errors, field: str, value: str | None, choices: Sequence[str], what: str
) -> str:
    value = (value or "").strip()
    if value not in choices:
        errors.add(field, f"{what}을(를) 고르세요")
    return value


def _move(
    session: Session, case: Case, *, actor: Actor, to: str, action: str, note: str = ""
) -> None:
    """Set the new stage and write its event and access-log row."""
    event = CaseEvent(
        case_id=case.id or 0,
        from_stage=case.stage,
        to_stage=to,
        note=note[:1000],
        actor_id=actor.user_id,
        actor_label=actor.label[:60],
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
    errors = _Errors()
    source = _choice(
        errors, "referral_source", referral_source, stages.REFERRAL_SOURCES, "발굴 경로"
    )
    _check_date(errors, "identified_on", identified_on, today=today, after=None, what="발굴일")
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
        referral_detail=_text(detail, limit=500),
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
            actor_label=actor.label[:60],
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
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="consultation")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "consulted_on", consulted_on, today=today, after=after, what="상담일")
    content = _text(content, limit=1000)
    if not content:
        errors.add("content", "상담 내용을 입력하세요")
    outcome = _choice(errors, "outcome", outcome, tuple(stages.CONSULT_OUTCOMES), "상담 결과")
    reason = None
    if outcome == "close":
        reason = _choice(errors, "close_reason", close_reason, stages.CLOSE_REASONS, "종결 사유")
    errors.raise_any()
    case.consulted_on = consulted_on
    _move(session, case, actor=actor, to="consulting", action="case.consultation", note=content)
    if outcome == "close" and reason:
        case.closed_on, case.close_reason, case.close_note = consulted_on, reason, ""
        _move(
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
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="intake")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "intake_on", intake_on, today=today, after=after, what="접수일")
    errors.raise_any()
    assert intake_on is not None
    case.intake_on = intake_on
    case.assessment_due = intake_on + timedelta(days=assessment_days)
    case.plan_due = intake_on + timedelta(days=plan_days)
    _move(session, case, actor=actor, to="intake", action="case.intake")
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
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="assessment")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "assessed_on", assessed_on, today=today, after=after, what="조사일")
    clean: dict[str, int] = {}
    for key, label in stages.DOMAINS.items():
        score = scores.get(key)
        if score not in stages.SCORES:
            errors.add(f"score_{key}", f"{label} 영역의 욕구 정도를 고르세요")
        else:
            clean[key] = int(score)
    level = _choice(errors, "crisis_level", crisis_level, tuple(stages.CRISIS_LEVELS), "위기도")
    errors.raise_any()
    assert assessed_on is not None
    kind = "reassessment" if stages.is_reassessment(case) else "initial"
    assessment = Assessment(
        case_id=case.id or 0,
        kind=kind,
        assessed_on=assessed_on,
        scores=clean,
        crisis_level=level,
        summary=_text(summary),
        actor_id=actor.user_id,
        actor_label=actor.label[:60],
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
                actor_label=actor.label[:60],
            )
        )
        session.add(case)
        audit.record(session, actor=actor, action="case.assessment", subject=case.person_id)
        session.flush()
    else:
        _move(session, case, actor=actor, to="assessment", action="case.assessment")
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
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="conference")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "held_on", held_on, today=today, after=after, what="회의일")
    kind = _choice(errors, "kind", kind, tuple(stages.CONFERENCE_KINDS), "회의 종류")
    people = [" ".join(p.split())[:80] for p in (participants or "").splitlines() if p.strip()]
    if not people:
        errors.add("participants", "참석자를 한 줄에 한 명씩 한 명 이상 입력하세요")
    decision = _text(decision)
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
        actor_label=actor.label[:60],
    )
    session.add(conference)
    case.conference_on = held_on
    _move(session, case, actor=actor, to="conference", action="case.conference")
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
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="classification")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "classified_on", classified_on, today=today, after=after, what="구분일")
    category = _choice(errors, "category", category, tuple(stages.CATEGORIES), "대상자 구분")
    errors.raise_any()
    case.category = category
    case.classified_on = classified_on
    _move(
        session,
        case,
        actor=actor,
        to="classified",
        action="case.classify",
        note=stages.CATEGORIES[category],
    )
    return case


@dataclass
class ServiceInput:
    """One service row of a plan form, as typed."""

    service: str = ""
    provider: str = ""
    frequency: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    # The typed dates when they were not dates (kept to show the form again).
    starts_raw: str = ""
    ends_raw: str = ""

    @property
    def blank(self) -> bool:
        return not (
            self.service.strip()
            or self.provider.strip()
            or self.frequency.strip()
            or self.starts_raw.strip()
            or self.ends_raw.strip()
        )


def record_plan(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    planned_on: date | None,
    goals: str,
    starts_on: date | None,
    ends_on: date | None,
    services: list[ServiceInput],
    today: date,
) -> ServicePlan:
    """서비스 제공계획: goals, period and at least one service; a new version each time.
    Raises NotFound, Conflict, InvalidInput."""
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="plan")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "planned_on", planned_on, today=today, after=after, what="계획 수립일")
    goals = _text(goals)
    if not goals:
        errors.add("goals", "목표를 입력하세요")
    if starts_on is None:
        errors.add("starts_on", "계획 시작일을 입력하세요 (YYYY-MM-DD)")
    if ends_on is None:
        errors.add("ends_on", "계획 종료일을 입력하세요 (YYYY-MM-DD)")
    elif starts_on is not None and ends_on < starts_on:
        errors.add("ends_on", "계획 종료일은 시작일보다 앞설 수 없습니다")
    rows = [(i, s) for i, s in enumerate(services) if not s.blank]
    if not rows:
        errors.add("service", "서비스를 한 가지 이상 입력하세요", row=0)
    for i, s in rows:
        if not s.service.strip():
            errors.add("service", "서비스 이름을 입력하세요", row=i)
        code = s.provider.strip()
        if code and session.get(Facility, code) is None:
            errors.add("provider", f"시설 코드 {code[:20]}인 기관이 없습니다", row=i)
        if s.starts_on is None:
            errors.add("service_starts_on", "시작일을 입력하세요 (YYYY-MM-DD)", row=i)
        if s.ends_on is None:
            errors.add("service_ends_on", "종료일을 입력하세요 (YYYY-MM-DD)", row=i)
        elif s.starts_on is not None and s.ends_on < s.starts_on:
            errors.add("service_ends_on", "종료일은 시작일보다 앞설 수 없습니다", row=i)
    errors.raise_any()
    assert starts_on is not None and ends_on is not None
    latest = session.exec(
        select(ServicePlan.version)
        .where(ServicePlan.case_id == case.id)
        .order_by(col(ServicePlan.version).desc())
        .limit(1)
    ).first()
    plan = ServicePlan(
        case_id=case.id or 0,
        version=(latest or 0) + 1,
        goals=goals,
        starts_on=starts_on,
        ends_on=ends_on,
        actor_id=actor.user_id,
        actor_label=actor.label[:60],
    )
    session.add(plan)
    session.flush()
    for _, s in rows:
        assert s.starts_on is not None and s.ends_on is not None
        session.add(
            PlanService(
                plan_id=plan.id or 0,
                service=s.service.strip()[:100],
                facility_code=s.provider.strip() or None,
                frequency=s.frequency.strip()[:40],
                starts_on=s.starts_on,
                ends_on=s.ends_on,
            )
        )
    case.planned_on = planned_on
    _move(
        session,
        case,
        actor=actor,
        to="planned",
        action="case.plan",
        note=f"제공계획 {plan.version}판",
    )
    return plan


def record_monitoring(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    checked_on: date | None,
    method: str,
    content: str,
    next_on: date | None,
    today: date,
) -> Monitoring:
    """제공 및 점검: one check and when the next is due; the first moves the case to
    monitoring. Raises NotFound, Conflict, InvalidInput."""
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="monitoring")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "checked_on", checked_on, today=today, after=after, what="점검일")
    method = _choice(errors, "method", method, tuple(stages.MONITORING_METHODS), "점검 방법")
    content = _text(content)
    if not content:
        errors.add("content", "점검 내용을 입력하세요")
    if next_on is not None and checked_on is not None and next_on <= checked_on:
        errors.add("next_on", "다음 점검일은 점검일 뒤여야 합니다")
    errors.raise_any()
    assert checked_on is not None
    entry = Monitoring(
        case_id=case.id or 0,
        checked_on=checked_on,
        method=method,
        content=content,
        next_on=next_on,
        actor_id=actor.user_id,
        actor_label=actor.label[:60],
    )
    session.add(entry)
    if case.stage == "planned":
        _move(session, case, actor=actor, to="monitoring", action="case.monitoring")
    else:
        case.updated_at = utcnow()
        session.add(case)
        audit.record(session, actor=actor, action="case.monitoring", subject=case.person_id)
        session.flush()
    return entry


def reassess(session: Session, *, actor: Actor, case_id: int, note: str) -> Case:
    """재사정: back to 욕구·위기도 조사 for a new assessment, conference and plan version.
    Raises NotFound, Conflict, InvalidInput."""
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="reassess")
    note = _text(note, limit=1000)
    if not note:
        raise InvalidInput(
            "재사정 사유를 입력하세요",
            [FieldError(field="note", message="재사정 사유를 입력하세요")],
        )
    # The pending assessment is a 재사정: the earlier ones stay in the history.
    case.assessed_on = None
    _move(
        session, case, actor=actor, to="assessment", action="case.reassess", note=f"재사정: {note}"
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
    case = _open_case_for_step(session, actor=actor, case_id=case_id, step="close")
    errors = _Errors()
    after = _last_date(session, case)
    _check_date(errors, "closed_on", closed_on, today=today, after=after, what="종결일")
    reason = _choice(errors, "reason", reason, stages.CLOSE_REASONS, "종결 사유")
    note = _text(note, limit=1000)
    if reason == "기타" and not note:
        errors.add("close_note", "종결 사유가 기타이면 내용을 적어 주세요")
    errors.raise_any()
    case.closed_on, case.close_reason, case.close_note = closed_on, reason, note
    _move(
        session,
        case,
        actor=actor,
        to="closed",
        action="case.close",
        note=reason + (f": {note}" if note else ""),
    )
    return case

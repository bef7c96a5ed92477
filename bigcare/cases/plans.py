"""서비스 제공계획 and what follows it: a new plan version with its services, 제공 및 점검 (the
checks, the first moving the case to monitoring) and 재사정 back to a new assessment. The
steps before it, opening and closing a case are in workflow.py."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases import stages, workflow
from bigcare.cases.models import Case, Monitoring, PlanService, ServicePlan
from bigcare.db import utcnow
from bigcare.errors import FieldError, InvalidInput
from bigcare.facilities.models import Facility


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
    case = workflow.case_for_step(session, actor=actor, case_id=case_id, step="plan")
    errors = workflow.FormErrors()
    after = workflow.last_date(session, case)
    workflow.check_date(
        errors, "planned_on", planned_on, today=today, after=after, what="계획 수립일"
    )
    goals = workflow.clean_text(goals)
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
        actor_label=actor.signature,
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
    workflow.move(
        session,
        case,
        actor=actor,
        to="planned",
        action="case.plan",
        note=f"제{plan.version}차 제공계획",
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
    case = workflow.case_for_step(session, actor=actor, case_id=case_id, step="monitoring")
    errors = workflow.FormErrors()
    after = workflow.last_date(session, case)
    workflow.check_date(errors, "checked_on", checked_on, today=today, after=after, what="점검일")
    method = workflow.choice(
        errors, "method", method, tuple(stages.MONITORING_METHODS), "점검 방법"
    )
    content = workflow.clean_text(content)
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
        actor_label=actor.signature,
    )
    session.add(entry)
    if case.stage == "planned":
        workflow.move(session, case, actor=actor, to="monitoring", action="case.monitoring")
    else:
        case.updated_at = utcnow()
        session.add(case)
        audit.record(session, actor=actor, action="case.monitoring", subject=case.person_id)
        session.flush()
    return entry


def reassess(session: Session, *, actor: Actor, case_id: int, note: str) -> Case:
    """재사정: back to 욕구·위기도 조사 for a new assessment, conference and plan version.
    Raises NotFound, Conflict, InvalidInput."""
    case = workflow.case_for_step(session, actor=actor, case_id=case_id, step="reassess")
    note = workflow.clean_text(note, limit=1000)
    if not note:
        raise InvalidInput(
            "재사정 사유를 입력하세요",
            [FieldError(field="note", message="재사정 사유를 입력하세요")],
        )
    # The pending assessment is a 재사정: the earlier ones stay in the history.
    case.assessed_on = None
    workflow.move(
        session, case, actor=actor, to="assessment", action="case.reassess", note=f"재사정: {note}"
    )
    return case

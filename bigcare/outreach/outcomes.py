"""What happened at the door, and what follows: 완료 lands on the person's timeline, 부재
books a re-visit within 3 working days, 거부 stops visits for a while, 이사 moves the
household to its new center, 연락두절 flags it, 사망 closes the person's targets and cases."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases import timeline_sources as ts
from bigcare.cases import workflow
from bigcare.cases.models import Case, Household, HouseholdMember
from bigcare.cases.stages import OPEN_STAGES
from bigcare.cases.workflow import FormErrors
from bigcare.db import utcnow
from bigcare.districts.models import Dong
from bigcare.errors import Conflict, InvalidInput, NotFound
from bigcare.linkage.models import Person
from bigcare.outreach import calendar, crisis, service
from bigcare.outreach.models import Visit, VisitRule, VisitTarget, WeekPlan

OUTCOME_LABELS = {
    "done": "완료",
    "absent": "부재",
    "refused": "거부",
    "moved": "이사",
    "unreachable": "연락두절",
    "deceased": "사망",
}
STATUS_LABELS = {"planned": "예정", "cancelled": "취소", **OUTCOME_LABELS}
REVISIT_RULE = "revisit"
REFUSAL_SNOOZE_DAYS = 180
UNREACHABLE_RETRY_DAYS = 7
CARD_LEFT = "방문 안내문(연락 카드)을 남김"
NOTE_LIMIT = 1000


def record_outcome(
    session: Session,
    *,
    visit_id: int,
    outcome: str,
    note: str,
    actor: Actor,
    today: date,
    new_address: str | None = None,
    new_dong_code: str | None = None,
) -> Visit:
    """Record one visit's outcome and apply what follows from it. Raises InvalidInput,
    NotFound, Conflict."""
    visit = service.get_visit(session, visit_id)
    plan = service.get_plan(session, visit.plan_id)
    service.check_center_scope(session, actor=actor, dong_code=plan.dong_code)
    errors = FormErrors()
    if outcome not in OUTCOME_LABELS:
        errors.add("outcome", "방문 결과를 고르세요")
    if visit.day > today:
        errors.add("outcome", f"{visit.day:%m월 %d일} 방문은 아직 하지 않았습니다")
    note = workflow.clean_text(note, limit=NOTE_LIMIT)
    if outcome == "done" and not note:
        errors.add("note", "완료한 방문은 무엇을 확인했는지 짧게 적어 주세요")
    if outcome == "moved":
        if not new_dong_code or session.get(Dong, new_dong_code) is None:
            errors.add("new_dong_code", "이사 간 행정동을 고르세요")
        if not (new_address or "").strip():
            errors.add("new_address", "새 주소를 적어 주세요")
    errors.raise_any()
    if visit.status not in ("planned",):
        raise Conflict(
            f"이미 결과({STATUS_LABELS.get(visit.status, visit.status)})가 입력된 방문입니다"
        )
    target = session.get(VisitTarget, visit.target_id)
    if target is None:
        raise NotFound("방문 대상을 찾을 수 없습니다")
    if outcome == "absent" and CARD_LEFT not in note:
        note = f"{CARD_LEFT}. {note}".strip(" .") if note else CARD_LEFT
    visit.status = outcome
    visit.outcome_note = note
    visit.outcome_at = utcnow()
    visit.outcome_by_label = actor.signature
    visit.locked = True
    _apply[outcome](
        session,
        visit=visit,
        target=target,
        actor=actor,
        today=today,
        new_address=new_address,
        new_dong_code=new_dong_code,
    )
    target.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="outreach.outcome",
        subject=target.person_id,
        target=f"visit:{visit.id} {OUTCOME_LABELS[outcome]}",
    )
    session.flush()
    return visit


def record_outcomes(
    session: Session, *, entries: list[tuple[int, str, str]], actor: Actor, today: date
) -> int:
    """Many outcomes at once (a day's sheets in visit order): (visit id, outcome, note).
    Rows with no outcome chosen are skipped. Every row is checked; if any is refused, none
    is kept, and each error carries its row number."""
    errors = FormErrors()
    done = 0
    entry = session.begin_nested()
    for i, (visit_id, outcome, note) in enumerate(entries, start=1):
        if not outcome:
            continue
        try:
            with session.begin_nested():
                record_outcome(
                    session,
                    visit_id=visit_id,
                    outcome=outcome,
                    note=note,
                    actor=actor,
                    today=today,
                )
            done += 1
        except InvalidInput as exc:
            for e in exc.errors:
                errors.add(e.field, f"{i}번째 방문: {e.message}", row=i)
        except Conflict as exc:
            errors.add("outcome", f"{i}번째 방문: {exc}", row=i)
    if errors.items:
        entry.rollback()
    errors.raise_any()
    return done


def _done(session: Session, *, visit: Visit, target: VisitTarget, today: date, **_: Any) -> None:
    target.status, target.closed_on, target.close_reason = "done", today, "완료"
    if target.rule_code == "crisis":
        crisis.mark_assessed(session, person_id=target.person_id, on=today)


def _absent(session: Session, *, visit: Visit, target: VisitTarget, today: date, **_: Any) -> None:
    target.status, target.closed_on, target.close_reason = "closed", today, "부재(재방문)"
    rule = session.get(VisitRule, REVISIT_RULE)
    if rule is None:
        raise NotFound("재방문 규칙(revisit)이 없습니다. bigcare seed 로 방문 규칙을 넣으세요")
    session.add(
        VisitTarget(
            rule_code=REVISIT_RULE,
            person_id=target.person_id,
            household_id=target.household_id,
            dong_code=target.dong_code,
            cycle=f"visit-{visit.id}",
            priority=min(rule.priority, target.priority),
            must_visit=True,
            # The revisit rule's due days and wait count working days from today.
            due_on=calendar.add_working_days(today, max(1, rule.due_days)),
            earliest_on=calendar.add_working_days(today, int(rule.params.get("wait_days", 1))),
            reason=f"{visit.day:%m/%d} 부재 후 재방문",
            windows=target.windows,
            avoid_days=target.avoid_days,
            known_staff_id=visit.staff_id,
            origin_visit_id=visit.id,
        )
    )


def _refused(session: Session, *, visit: Visit, target: VisitTarget, today: date, **_: Any) -> None:
    target.status, target.closed_on, target.close_reason = "refused", today, "거부"
    target.snooze_until = today + timedelta(days=REFUSAL_SNOOZE_DAYS)
    target.flagged = True


def _unreachable(
    session: Session, *, visit: Visit, target: VisitTarget, today: date, **_: Any
) -> None:
    # Still owed a visit: try again next week, flagged for the center manager.
    target.status = "open"
    target.flagged = True
    target.earliest_on = today + timedelta(days=UNREACHABLE_RETRY_DAYS)


def _moved(
    session: Session,
    *,
    visit: Visit,
    target: VisitTarget,
    actor: Actor,
    today: date,
    new_address: str | None,
    new_dong_code: str | None,
    **_: Any,
) -> None:
    """The household moved: new address and dong; its open targets go to the new center."""
    assert new_dong_code and new_address
    address = " ".join(new_address.split())[:300]
    household = session.get(Household, target.household_id) if target.household_id else None
    members = [target.person_id]
    if household is not None:
        household.address, household.dong_code = address, new_dong_code
        household.address_key = None
        household.lat = household.lon = None  # placed again in the new dong
        household.updated_at = utcnow()
        members = (
            list(
                session.exec(
                    select(HouseholdMember.person_id).where(
                        HouseholdMember.household_id == household.id
                    )
                ).all()
            )
            or members
        )
    for person in session.exec(select(Person).where(col(Person.id).in_(members))).all():
        person.dong_code, person.address = new_dong_code, address
        person.updated_at = utcnow()
    moving = session.exec(
        select(VisitTarget).where(
            col(VisitTarget.person_id).in_(members),
            col(VisitTarget.status).in_(["open", "planned"]),
        )
    ).all()
    for t in _with(moving, target):
        t.dong_code, t.status, t.known_staff_id = new_dong_code, "open", None
        t.earliest_on = max(t.earliest_on, today)
    _cancel_planned(session, target_ids=[t.id or 0 for t in moving if t.id != target.id])
    audit.record(
        session,
        actor=actor,
        action="person.move",
        subject=target.person_id,
        target=f"{target.dong_code}→{new_dong_code}",
    )


def _deceased(
    session: Session, *, visit: Visit, target: VisitTarget, actor: Actor, today: date, **_: Any
) -> None:
    """Close every target and open case of the person; they are no longer selected."""
    person = session.get(Person, target.person_id)
    if person is not None:
        person.status, person.updated_at = "deceased", utcnow()
    open_targets = session.exec(
        select(VisitTarget).where(
            VisitTarget.person_id == target.person_id,
            col(VisitTarget.status).in_(["open", "planned", "refused"]),
        )
    ).all()
    for t in _with(open_targets, target):
        t.status, t.closed_on, t.close_reason = "closed", today, "사망"
    _cancel_planned(session, target_ids=[t.id or 0 for t in open_targets if t.id != target.id])
    cases = session.exec(
        select(Case).where(
            Case.person_id == target.person_id, col(Case.stage).in_(list(OPEN_STAGES))
        )
    ).all()
    for case in cases:
        case.closed_on, case.close_reason, case.close_note = today, "사망", "방문 결과: 사망"
        workflow.move(session, case, actor=actor, to="closed", action="case.close", note="사망")


def _with(targets: Sequence[VisitTarget], target: VisitTarget) -> list[VisitTarget]:
    return [*[t for t in targets if t.id != target.id], target]


def _cancel_planned(session: Session, *, target_ids: list[int]) -> None:
    if not target_ids:
        return
    for v in session.exec(
        select(Visit).where(col(Visit.target_id).in_(target_ids), Visit.status == "planned")
    ).all():
        v.status = "cancelled"


_apply = {
    "done": _done,
    "absent": _absent,
    "refused": _refused,
    "moved": _moved,
    "unreachable": _unreachable,
    "deceased": _deceased,
}


# --- the person's timeline ------------------------------------------------------------------


def visit_entries(session: Session, query: ts.Query) -> list[ts.Entry]:
    """Home visits with an outcome, on the visited person's timeline."""
    stmt = (
        select(Visit, VisitTarget.person_id, VisitRule.name, WeekPlan.dong_code)
        .join(VisitTarget, col(VisitTarget.id) == Visit.target_id)
        .join(VisitRule, col(VisitRule.code) == VisitTarget.rule_code)
        .join(WeekPlan, col(WeekPlan.id) == Visit.plan_id)
        .where(
            col(VisitTarget.person_id).in_(query.person_ids),
            col(Visit.outcome_at).is_not(None),
            and_(Visit.status != "cancelled"),
        )
    )
    stmt = ts.keyset(stmt, at=col(Visit.outcome_at), row_id=col(Visit.id), query=query)
    return [
        ts.Entry(
            at=ts.when(v.outcome_at),
            rank=query.rank,
            id=v.id or 0,
            kind="visit",
            title=f"방문 {OUTCOME_LABELS.get(v.status, v.status)} ({rule_name})",
            detail=ts.first_line(v.outcome_note),
            source=f"찾아가는 동주민센터: {v.outcome_by_label or ''}",
            person_id=person_id,
            link=f"/outreach/centers/{dong_code}/days/{v.day.isoformat()}/staff/{v.staff_id}",
        )
        for v, person_id, rule_name, dong_code in session.exec(stmt).all()
    ]


ts.register(ts.Source("outreach_visits", "visit", visit_entries))

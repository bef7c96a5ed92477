"""The centers' visiting staff: who they are, when they work, their leave; and the generated
staff of the demo and benchmark city."""

import random
from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from bigcare.auth import audit
from bigcare.auth.models import User
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor
from bigcare.cases.workflow import FormErrors
from bigcare.errors import NotFound
from bigcare.outreach.calendar import LEAVE_LABELS
from bigcare.outreach.models import OutreachStaff, StaffLeave
from bigcare.synth import names

ROLE_OF_USER = {Role.WELFARE_PLANNER.value: "planner", Role.VISITING_NURSE.value: "nurse"}


def list_staff(session: Session, *, dong_code: str) -> list[OutreachStaff]:
    """A center's active visiting staff, planners first."""
    rows = session.exec(
        select(OutreachStaff)
        .where(OutreachStaff.dong_code == dong_code, col(OutreachStaff.active))
        .order_by(col(OutreachStaff.role).desc(), col(OutreachStaff.id))
    ).all()
    return list(rows)


def get_staff(session: Session, staff_id: int) -> OutreachStaff:
    """One staff member. Raises NotFound."""
    staff = session.get(OutreachStaff, staff_id)
    if staff is None:
        raise NotFound("방문 직원을 찾을 수 없습니다")
    return staff


def list_leave(
    session: Session, *, staff_ids: Iterable[int], start: date, end: date
) -> list[StaffLeave]:
    """Leave of these staff members overlapping start..end."""
    ids = list(staff_ids)
    if not ids:
        return []
    return list(
        session.exec(
            select(StaffLeave).where(
                col(StaffLeave.staff_id).in_(ids),
                StaffLeave.starts_on <= end,
                StaffLeave.ends_on >= start,
            )
        ).all()
    )


def add_leave(
    session: Session,
    *,
    staff_id: int,
    starts_on: date,
    ends_on: date,
    kind: str,
    half: str | None,
    actor: Actor,
    dong_code: str | None = None,
) -> StaffLeave:
    """Record leave (sick leave on the day included); the week's plan is then re-planned by
    the caller. `dong_code`: the center the form was on (the staff member must be its own).
    Raises InvalidInput, NotFound."""
    staff = get_staff(session, staff_id)
    if dong_code is not None and staff.dong_code != dong_code:
        raise NotFound("방문 직원을 찾을 수 없습니다")
    errors = FormErrors()
    if kind not in LEAVE_LABELS:
        errors.add("kind", "휴가 종류를 고르세요")
    if ends_on < starts_on:
        errors.add("ends_on", "끝나는 날이 시작하는 날보다 앞섭니다")
    if half not in (None, "am", "pm"):
        errors.add("half", "오전 또는 오후를 고르세요")
    if half is not None and ends_on != starts_on:
        errors.add("half", "반차는 하루만 지정할 수 있습니다")
    errors.raise_any()
    leave = StaffLeave(
        staff_id=staff_id,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        half=half,
        recorded_by_label=actor.signature,
    )
    session.add(leave)
    audit.record(
        session, actor=actor, action="outreach.leave", target=f"staff:{staff.id} {starts_on}"
    )
    session.flush()
    return leave


def cancel_leave(session: Session, *, leave_id: int, dong_code: str, actor: Actor) -> StaffLeave:
    """Take back leave entered by mistake (the week is then re-planned by the caller).
    Raises NotFound (also for another center's staff)."""
    leave = session.get(StaffLeave, leave_id)
    staff = session.get(OutreachStaff, leave.staff_id) if leave else None
    if leave is None or staff is None or staff.dong_code != dong_code:
        raise NotFound("휴가 기록을 찾을 수 없습니다")
    session.delete(leave)
    audit.record(
        session,
        actor=actor,
        action="outreach.leave.cancel",
        target=f"staff:{staff.id} {leave.starts_on}",
    )
    session.flush()
    return leave


def staff_for_users(session: Session, *, dong_code: str) -> list[OutreachStaff]:
    """Make sure every planner and nurse account of the center has its staff row."""
    users = session.exec(
        select(User).where(
            User.dong_code == dong_code,
            col(User.role).in_(list(ROLE_OF_USER)),
            col(User.is_active),
        )
    ).all()
    known = {
        s.user_id
        for s in session.exec(
            select(OutreachStaff).where(col(OutreachStaff.user_id).in_([u.id for u in users]))
        ).all()
    }
    # An account takes over a generated staff row of its role first (the demo's accounts
    # become members of the generated team), else gets a row of its own.
    spare = list(
        session.exec(
            select(OutreachStaff).where(
                OutreachStaff.dong_code == dong_code, col(OutreachStaff.user_id).is_(None)
            )
        ).all()
    )
    made: list[OutreachStaff] = []
    for u in users:
        if u.id in known:
            continue
        role = ROLE_OF_USER[u.role]
        row = next((s for s in spare if s.role == role), None)
        if row is None:
            row = OutreachStaff(dong_code=dong_code, name=u.display_name, role=role)
        else:
            spare.remove(row)
        row.user_id, row.name = u.id, u.display_name
        made.append(row)
    session.add_all(made)
    session.flush()
    return made


def generate_staff(session: Session, *, dong_codes: Iterable[str], seed: int = 7) -> int:
    """Generated visiting staff for centers that have none: two or three welfare planners and
    one or two visiting nurses, as a 찾아가는 동주민센터 has; some part-time (four days)."""
    have = set(session.exec(select(OutreachStaff.dong_code).distinct()).all())
    made: list[OutreachStaff] = []
    for code in sorted(set(dong_codes) - have):
        rng = random.Random(f"{seed}:{code}")  # noqa: S311 (generated demo staff)
        roles = ["planner"] * rng.choice((2, 2, 3)) + ["nurse"] * rng.choice((1, 1, 2))
        for role in roles:
            sex = "F" if rng.random() < 0.75 else "M"
            year = rng.randint(1970, 1998)
            name = names.surname(rng) + names.given_name(rng, sex=sex, birth_year=year)
            days = [0, 1, 2, 3, 4]
            if rng.random() < 0.15:
                days.remove(rng.randrange(5))
            made.append(
                OutreachStaff(
                    dong_code=code,
                    name=name,
                    role=role,
                    work_days=days,
                    max_visits_per_day=6 if role == "planner" else 5,
                )
            )
    session.add_all(made)
    session.flush()
    return len(made)

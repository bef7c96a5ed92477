"""The demo's outreach: generated visiting staff for every center (the demo accounts join
개포1동's team), residents' visiting hours for some households, targets from the rules, this
week planned for the demo gu's centers, and a few of today's visits already recorded and
re-planned, so a new user sees every step."""

import random
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.districts.models import Dong
from bigcare.outreach import outcomes, service, staffing
from bigcare.outreach.models import (
    HouseholdPreference,
    OutreachStaff,
    StaffLeave,
    Visit,
    VisitTarget,
)

DEMO_DONG = "1123068"  # 개포1동
DEMO_GU = "11230"  # 강남구
# Typical things residents say about when to come.
PREFERENCES = (
    ([[13 * 60, 17 * 60]], [], "오후에만 집에 있음"),
    ([[9 * 60, 12 * 60]], [], "오전에 방문 희망"),
    ([], [2], "수요일은 병원 진료"),
    ([[10 * 60, 16 * 60]], [0], "월요일은 자녀 집"),
)


@dataclass
class DemoOutreach:
    """What the demo's outreach step made, for the terminal."""

    staff: int = 0
    week: str = ""
    centers: int = 0
    visits: int = 0
    must_total: int = 0
    must_planned: int = 0
    recorded: int = 0
    moved: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)


def seed_staff(session: Session) -> int:
    """Staff for every center; the demo's planner and nurse accounts join 개포1동's team,
    and one planner of the demo dong is on leave on Friday."""
    codes = session.exec(select(Dong.code)).all()
    made = staffing.generate_staff(session, dong_codes=codes)
    staffing.staff_for_users(session, dong_code=DEMO_DONG)
    return made


def seed_preferences(session: Session, *, dong_codes: list[str], seed: int = 11) -> int:
    """Visiting hours for about one household in six with a target."""
    rng = random.Random(seed)  # noqa: S311 (generated demo data)
    households = session.exec(
        select(VisitTarget.household_id)
        .where(
            col(VisitTarget.dong_code).in_(dong_codes), col(VisitTarget.household_id).is_not(None)
        )
        .distinct()
        .order_by(col(VisitTarget.household_id))
    ).all()
    have = set(session.exec(select(HouseholdPreference.household_id)).all())
    made = 0
    for hid in households:
        if hid in have or rng.random() > 1 / 6:
            continue
        windows, avoid, note = rng.choice(PREFERENCES)
        session.add(
            HouseholdPreference(
                household_id=hid,
                windows=windows,
                avoid_days=avoid,
                note=note,
                updated_by_label="demo",
            )
        )
        made += 1
    session.flush()
    return made


def leave_on_friday(session: Session, *, week: str) -> None:
    """A generated planner of the demo dong takes Friday off (연차)."""
    planner = session.exec(
        select(OutreachStaff).where(
            OutreachStaff.dong_code == DEMO_DONG,
            OutreachStaff.role == "planner",
            col(OutreachStaff.user_id).is_(None),
        )
    ).first()
    if planner is None:
        return
    friday = service.workdays(week)[4]
    session.add(
        StaffLeave(
            staff_id=planner.id or 0,
            starts_on=friday,
            ends_on=friday,
            kind="annual",
            recorded_by_label="demo",
        )
    )
    session.flush()


def record_today(session: Session, *, plan_id: int, today: date) -> dict[str, int]:
    """The demo planner's visits of today: the first done, the second not at home."""
    user = auth_service.find_user(session, "planner.gaepo1")
    if user is None:
        return {}
    actor = auth_service.actor_for(user)
    visits = session.exec(
        select(Visit)
        .where(Visit.plan_id == plan_id, Visit.day == today, Visit.status == "planned")
        .order_by(col(Visit.staff_id), col(Visit.seq))
    ).all()
    counts: dict[str, int] = {}
    for visit, (outcome, note) in zip(
        visits,
        (
            ("done", "안부 확인, 기초연금 신청 안내. 다음 달 재방문 필요 없음"),
            ("absent", ""),
        ),
        strict=False,
    ):
        outcomes.record_outcome(
            session, visit_id=visit.id or 0, outcome=outcome, note=note, actor=actor, today=today
        )
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts

"""Door-to-door outreach (찾아가는 동주민센터): visit rules, the households they select
(targets), the center's visiting staff and their leave, crisis signals from agencies, and the
week's plan per center with its visits and their outcomes."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bigcare import db


def _at() -> Any:
    return Field(default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class VisitRule(SQLModel, table=True):
    """Who must be visited, how soon, how often, by whom and for how long. Seeded from
    seed_data/visit_rules.yaml; a city manager edits them (each save bumps `version`)."""

    __tablename__ = "visit_rule"

    code: str = Field(primary_key=True, max_length=30)
    name: str = Field(max_length=60)
    # The selector that finds its households (rules.SELECTORS) and that selector's settings.
    selector: str = Field(max_length=30)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # 1 is the most urgent; a lower-priority visit never displaces a higher one.
    priority: int
    must_visit: bool = False
    # Days from the triggering event to the visit's due date.
    due_days: int
    # Days between repeat visits while the household still qualifies (None: once).
    frequency_days: int | None = None
    # "planner", "nurse" or both (a visit the two make together).
    roles: list[str] = _json_list()
    duration_min: int
    # What the visit must cover (the sheet's checklist).
    covers: list[str] = _json_list()
    active: bool = True
    version: int = 1
    updated_by_label: str = Field(default="seed", max_length=60)
    updated_at: datetime = _at()


class CrisisSignal(SQLModel, table=True):
    """A crisis indicator an agency sent (단전·단수·단가스, 건강보험료 체납), read from the
    agency's source record once it is linked to a person, with the risk score it gives."""

    __tablename__ = "crisis_signal"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="source_record.id", unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=10)  # 단전, 단수, 단가스, 건보체납
    months: int = 0
    amount: int = 0
    reported_on: date
    score: float
    # Set when a visit assessed the household: the weekly visits stop.
    assessed_on: date | None = None


class OutreachStaff(SQLModel, table=True):
    """A welfare planner (복지플래너) or visiting nurse (방문간호사) of a center, with the hours
    they visit in. Times are minutes after midnight (Seoul)."""

    __tablename__ = "outreach_staff"

    id: int | None = Field(default=None, primary_key=True)
    dong_code: str = Field(foreign_key="dong.code", index=True, max_length=7)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    name: str = Field(max_length=40)
    role: str = Field(max_length=10)  # planner, nurse
    # Weekdays worked, Monday = 0.
    work_days: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], sa_column=Column(JSON, nullable=False)
    )
    day_start: int = 9 * 60
    day_end: int = 18 * 60
    lunch_start: int = 12 * 60
    lunch_end: int = 13 * 60
    max_visits_per_day: int = 6
    active: bool = True


class StaffLeave(SQLModel, table=True):
    """Leave (연차, 병가, 교육): no visits on these days, or on that half of the day."""

    __tablename__ = "staff_leave"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="outreach_staff.id", index=True)
    starts_on: date
    ends_on: date
    kind: str = Field(max_length=10)  # annual, sick, training
    half: str | None = Field(default=None, max_length=2)  # am, pm; None = whole days
    recorded_by_label: str = Field(default="", max_length=60)
    recorded_at: datetime = _at()


class VisitTarget(SQLModel, table=True):
    """A household a rule says must (or should) be visited, for one person and one cycle."""

    __tablename__ = "visit_target"
    __table_args__ = (
        # One target per rule, person and cycle: re-running the rules adds nothing twice.
        UniqueConstraint("rule_code", "person_id", "cycle"),
        Index("ix_visit_target_dong_status", "dong_code", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_code: str = Field(foreign_key="visit_rule.code", max_length=30)
    person_id: int = Field(foreign_key="person.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    # The center that visits: the household's dong (moves with the household on 이사).
    dong_code: str = Field(foreign_key="dong.code", max_length=7)
    # What makes this target distinct from the same rule's earlier ones: the event date or
    # the period (e.g. "2026-12" for a monthly visit).
    cycle: str = Field(max_length=20)
    priority: int
    must_visit: bool = False
    due_on: date
    # Not before this day (a re-visit waits a day; a new cycle starts on its period).
    earliest_on: date
    reason: str = Field(default="", max_length=200)
    # open → planned by a week plan → done; closed (사망, 이사 out, rule no longer applies),
    # refused (no visit until snooze_until).
    status: str = Field(default="open", max_length=10)
    # Resident availability: [[start_min, end_min], ...] on any day; weekdays to avoid.
    windows: list[list[int]] = _json_list()
    avoid_days: list[int] = _json_list()
    # The staff member who knows the household (continuity): last visitor or case worker.
    known_staff_id: int | None = Field(default=None, foreign_key="outreach_staff.id")
    origin_visit_id: int | None = None  # the failed visit a re-visit follows
    snooze_until: date | None = None
    flagged: bool = False
    closed_on: date | None = None
    close_reason: str | None = Field(default=None, max_length=20)
    created_at: datetime = _at()
    updated_at: datetime = _at()


class WeekPlan(SQLModel, table=True):
    """A center's visit plan for one ISO week, as the solver left it and people changed it."""

    __tablename__ = "week_plan"
    __table_args__ = (UniqueConstraint("dong_code", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    dong_code: str = Field(foreign_key="dong.code", max_length=7)
    week: str = Field(max_length=8, index=True)  # ISO week, e.g. 2026-W49
    status: str = Field(default="draft", max_length=10)  # draft, approved
    revision: int = 0
    solver_seconds: float = 0.0
    visits_planned: int = 0
    must_total: int = 0
    must_planned: int = 0
    targets_unplanned: int = 0
    travel_min: int = 0
    work_min: int = 0
    # How many visits the last re-plan moved (another staff member, day or time).
    moved_last: int | None = None
    planned_at: datetime = _at()
    planned_by_label: str = Field(default="", max_length=60)
    approved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    approved_by_label: str | None = Field(default=None, max_length=60)


class Visit(SQLModel, table=True):
    """One planned home visit: who, which day, when, in what order, and what happened."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_plan_day", "plan_id", "day"),
        Index("ix_visit_staff_day", "staff_id", "day"),
        # Who knows the household (its last done visit), per household.
        Index("ix_visit_household_status", "household_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="week_plan.id")
    target_id: int = Field(foreign_key="visit_target.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    staff_id: int = Field(foreign_key="outreach_staff.id")
    # A planner-and-nurse visit: the second member of the pair.
    partner_staff_id: int | None = Field(default=None, foreign_key="outreach_staff.id")
    day: date
    start_min: int
    end_min: int
    seq: int  # order in that staff member's day
    travel_min: int = 0  # travel from the previous stop
    locked: bool = False
    # planned, done (완료), absent (부재), refused (거부), moved (이사), unreachable
    # (연락두절), deceased (사망), cancelled (dropped by a re-plan)
    status: str = Field(default="planned", max_length=12)
    outcome_note: str = Field(default="", max_length=1000)
    outcome_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    outcome_by_label: str | None = Field(default=None, max_length=60)


class HouseholdPreference(SQLModel, table=True):
    """When the household can be visited: time windows on any day and weekdays to avoid, as
    the residents told a visitor (e.g. "오후만", "수요일은 병원"). Copied into each plan."""

    __tablename__ = "household_preference"

    household_id: int = Field(primary_key=True, foreign_key="household.id")
    # [[start_min, end_min], ...] in minutes after midnight; empty = any working hour.
    windows: list[list[int]] = _json_list()
    avoid_days: list[int] = _json_list()  # Monday = 0
    note: str = Field(default="", max_length=200)
    updated_by_label: str = Field(default="", max_length=60)
    updated_at: datetime = _at()

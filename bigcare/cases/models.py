"""Households, integrated case management (통합사례관리) and what a case is made of: stage
events, assessments, case conferences, service plans, monitoring, referrals, consents, notes
and attachments. The person (golden record) lives in linkage; everything here hangs off it."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from bigcare import db


def _at() -> Any:
    return Field(default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False)


class Household(SQLModel, table=True):
    """People living together at one address. Formed from the facilities' household numbers,
    relations and shared addresses; a caseworker may move members and set the head."""

    __tablename__ = "household"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    dong_code: str = Field(foreign_key="dong.code", index=True, max_length=7)
    address: str | None = Field(default=None, max_length=300)
    # The building + unit key the household was formed on (None once edited by hand).
    address_key: str | None = Field(default=None, max_length=200, index=True)
    head_person_id: int | None = Field(default=None, foreign_key="person.id")
    # Where the household lives (WGS84), for visit routes: placed by the outreach domain
    # from the address (a geocoder, or a point inside the dong for generated data).
    lat: float | None = None
    lon: float | None = None
    # auto (formed from source data) or manual (created or changed by a caseworker)
    origin: str = Field(default="auto", max_length=6)
    created_at: datetime = _at()
    updated_at: datetime = _at()


class HouseholdMember(SQLModel, table=True):
    """A person's place in one household and their relation to its head."""

    __tablename__ = "household_member"

    person_id: int = Field(primary_key=True, foreign_key="person.id")
    household_id: int = Field(foreign_key="household.id", index=True)
    # 본인 (the head), 배우자, 자녀, 부모, 손자녀, 형제자매, 기타 — relation to the head
    relation: str = Field(default="기타", max_length=8)
    # Placed or edited by a caseworker: automatic forming never moves this member again.
    manual: bool = False
    updated_by_label: str = Field(default="", max_length=60)
    updated_at: datetime = _at()


class Case(SQLModel, table=True):
    """One integrated case-management case of a person (and their household), moving through
    the stages from 발굴/의뢰 to 종결. Deadlines are set at intake and kept on the row so the
    home page and reports find overdue cases by index."""

    __tablename__ = "welfare_case"
    __table_args__ = (
        Index("ix_welfare_case_caseworker_id_stage", "caseworker_id", "stage"),
        Index("ix_welfare_case_dong_code_stage", "dong_code", "stage"),
        # One open case per person, held by the database too (two clerks opening at once).
        Index(
            "uq_welfare_case_open_person",
            "person_id",
            unique=True,
            sqlite_where=text("stage <> 'closed'"),
            postgresql_where=text("stage <> 'closed'"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    dong_code: str = Field(foreign_key="dong.code", max_length=7)
    # identified, consulting, intake, assessment, conference, classified, planned,
    # monitoring, closed
    stage: str = Field(max_length=12)
    caseworker_id: int | None = Field(default=None, foreign_key="app_user.id")
    # How the case came in: 자체발굴, 이웃신고, 기관의뢰, 본인신청, 위기정보
    referral_source: str = Field(max_length=12)
    referral_detail: str = Field(default="", max_length=500)
    identified_on: date
    consulted_on: date | None = None
    intake_on: date | None = None
    assessment_due: date | None = Field(default=None, index=True)
    plan_due: date | None = Field(default=None, index=True)
    assessed_on: date | None = None
    conference_on: date | None = None
    classified_on: date | None = None
    planned_on: date | None = None
    closed_on: date | None = None
    # intensive (집중), general (일반), simple (단순)
    category: str | None = Field(default=None, max_length=10)
    crisis_level: str | None = Field(default=None, max_length=10)
    close_reason: str | None = Field(default=None, max_length=20)
    close_note: str = Field(default="", max_length=1000)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _at()
    updated_at: datetime = _at()


class CaseEvent(SQLModel, table=True):
    """A stage change of a case: who moved it, when, from where to where, and why."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    from_stage: str | None = Field(default=None, max_length=12)
    to_stage: str = Field(max_length=12)
    note: str = Field(default="", max_length=1000)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    at: datetime = _at()


class Assessment(SQLModel, table=True):
    """욕구·위기도 조사: a score per domain of need and a crisis level (initial or 재사정)."""

    __tablename__ = "case_assessment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    kind: str = Field(default="initial", max_length=14)  # initial, reassessment
    assessed_on: date
    # {"health": 0..3, "daily_living": ..., ...}: the domains in cases.stages.DOMAINS
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    crisis_level: str = Field(max_length=10)  # high, medium, low
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    created_at: datetime = _at()


class Conference(SQLModel, table=True):
    """사례회의: when, who took part, and what was decided."""

    __tablename__ = "case_conference"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    held_on: date
    kind: str = Field(default="internal", max_length=10)  # internal (내부), joint (통합)
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decision: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    created_at: datetime = _at()


class ServicePlan(SQLModel, table=True):
    """서비스 제공계획: the goals and the period; a new version on 재사정."""

    __tablename__ = "case_plan"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    version: int = 1
    goals: str = Field(default="", sa_column=Column(Text, nullable=False))
    starts_on: date
    ends_on: date
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    created_at: datetime = _at()


class PlanService(SQLModel, table=True):
    """One service in a plan: what, by which facility, how often, for how long."""

    __tablename__ = "case_plan_service"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="case_plan.id", index=True)
    service: str = Field(max_length=100)
    facility_code: str | None = Field(default=None, foreign_key="facility.code", max_length=20)
    frequency: str = Field(default="", max_length=40)
    starts_on: date
    ends_on: date


class Monitoring(SQLModel, table=True):
    """제공 및 점검: one check on how the plan is going, and when the next one is due."""

    __tablename__ = "case_monitoring"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    checked_on: date
    method: str = Field(max_length=10)  # visit, phone, office, facility
    content: str = Field(default="", sa_column=Column(Text, nullable=False))
    next_on: date | None = Field(default=None, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    created_at: datetime = _at()


class Consent(SQLModel, table=True):
    """A person's consent: to what, for which facility, given by whom, when; and its
    withdrawal. A referral needs one that is in force."""

    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="welfare_case.id", index=True)
    # collect (개인정보 수집·이용), share (제3자 제공), referral (서비스 의뢰)
    purpose: str = Field(max_length=10)
    # None: any facility; else the one facility the consent names
    facility_code: str | None = Field(default=None, foreign_key="facility.code", max_length=20)
    given_by: str = Field(max_length=10)  # self (본인), guardian (법정대리인), family (가족)
    given_by_name: str | None = Field(default=None, max_length=40)
    method: str = Field(max_length=10)  # written, verbal, electronic
    given_on: date
    expires_on: date | None = None
    withdrawn_on: date | None = None
    withdrawn_reason: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_by_label: str = Field(max_length=60)
    recorded_at: datetime = _at()


class Referral(SQLModel, table=True):
    """A case's referral to a facility for a service, under a consent in force."""

    __tablename__ = "case_referral"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    facility_code: str = Field(foreign_key="facility.code", index=True, max_length=20)
    service: str = Field(max_length=100)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    consent_id: int = Field(foreign_key="consent.id")
    status: str = Field(default="sent", max_length=10)  # sent, accepted, declined, done
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    created_at: datetime = _at()


class CaseNote(SQLModel, table=True):
    """A case note in Markdown, shown as sanitised HTML (never raw HTML). Notes are not edited
    in place: a correction is a new note."""

    __tablename__ = "case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    created_at: datetime = _at()


class Attachment(SQLModel, table=True):
    """A file attached to a case, stored sealed outside the web root under a random name."""

    __tablename__ = "case_attachment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="welfare_case.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=80)
    size: int
    sha256: str = Field(max_length=64)
    stored_as: str = Field(max_length=80, unique=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    uploaded_at: datetime = _at()

"""outreach: visit rules, targets, staff and leave, crisis signals, week plans and visits

Also household.lat/lon (where visit routes go). New tables only: nothing to backfill.

Revision ID: 7e1f3a9c2d55
Revises: 3c7d9a2e4b10
Create Date: 2026-12-02 16:19:37.912040+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7e1f3a9c2d55"
down_revision: str | None = "3c7d9a2e4b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_rule",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("selector", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("must_visit", sa.Boolean(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("frequency_days", sa.Integer(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("covers", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_visit_rule")),
    )
    op.create_table(
        "week_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("week", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("solver_seconds", sa.Float(), nullable=False),
        sa.Column("visits_planned", sa.Integer(), nullable=False),
        sa.Column("must_total", sa.Integer(), nullable=False),
        sa.Column("must_planned", sa.Integer(), nullable=False),
        sa.Column("targets_unplanned", sa.Integer(), nullable=False),
        sa.Column("travel_min", sa.Integer(), nullable=False),
        sa.Column("work_min", sa.Integer(), nullable=False),
        sa.Column("moved_last", sa.Integer(), nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_week_plan_dong_code_dong")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_week_plan")),
        sa.UniqueConstraint("dong_code", "week", name=op.f("uq_week_plan_dong_code_week")),
    )
    with op.batch_alter_table("week_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_week_plan_week"), ["week"], unique=False)

    op.create_table(
        "household_preference",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("avoid_days", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_household_preference_household_id_household"),
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_preference")),
    )
    op.create_table(
        "outreach_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("work_days", sa.JSON(), nullable=False),
        sa.Column("day_start", sa.Integer(), nullable=False),
        sa.Column("day_end", sa.Integer(), nullable=False),
        sa.Column("lunch_start", sa.Integer(), nullable=False),
        sa.Column("lunch_end", sa.Integer(), nullable=False),
        sa.Column("max_visits_per_day", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_outreach_staff_dong_code_dong")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_outreach_staff_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_staff")),
        sa.UniqueConstraint("user_id", name=op.f("uq_outreach_staff_user_id")),
    )
    with op.batch_alter_table("outreach_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_staff_dong_code"), ["dong_code"], unique=False
        )

    op.create_table(
        "staff_leave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("half", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("recorded_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["outreach_staff.id"], name=op.f("fk_staff_leave_staff_id_outreach_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_leave")),
    )
    with op.batch_alter_table("staff_leave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_leave_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "visit_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("cycle", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("must_visit", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("earliest_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("avoid_days", sa.JSON(), nullable=False),
        sa.Column("known_staff_id", sa.Integer(), nullable=True),
        sa.Column("origin_visit_id", sa.Integer(), nullable=True),
        sa.Column("snooze_until", sa.Date(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_visit_target_dong_code_dong")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_visit_target_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["known_staff_id"],
            ["outreach_staff.id"],
            name=op.f("fk_visit_target_known_staff_id_outreach_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_visit_target_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["rule_code"], ["visit_rule.code"], name=op.f("fk_visit_target_rule_code_visit_rule")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_target")),
        sa.UniqueConstraint(
            "rule_code",
            "person_id",
            "cycle",
            name=op.f("uq_visit_target_rule_code_person_id_cycle"),
        ),
    )
    with op.batch_alter_table("visit_target", schema=None) as batch_op:
        batch_op.create_index("ix_visit_target_dong_status", ["dong_code", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_visit_target_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visit_target_person_id"), ["person_id"], unique=False)

    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("partner_staff_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_min", sa.Integer(), nullable=False),
        sa.Column("end_min", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("travel_min", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("outcome_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_visit_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["partner_staff_id"],
            ["outreach_staff.id"],
            name=op.f("fk_visit_partner_staff_id_outreach_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["week_plan.id"], name=op.f("fk_visit_plan_id_week_plan")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["outreach_staff.id"], name=op.f("fk_visit_staff_id_outreach_staff")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["visit_target.id"], name=op.f("fk_visit_target_id_visit_target")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_plan_day", ["plan_id", "day"], unique=False)
        batch_op.create_index("ix_visit_staff_day", ["staff_id", "day"], unique=False)
        batch_op.create_index("ix_visit_household_status", ["household_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_target_id"), ["target_id"], unique=False)

    op.create_table(
        "crisis_signal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_crisis_signal_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_record.id"],
            name=op.f("fk_crisis_signal_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_signal")),
        sa.UniqueConstraint("record_id", name=op.f("uq_crisis_signal_record_id")),
    )
    with op.batch_alter_table("crisis_signal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crisis_signal_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_column("lon")
        batch_op.drop_column("lat")

    with op.batch_alter_table("crisis_signal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_signal_person_id"))

    op.drop_table("crisis_signal")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_target_id"))
        batch_op.drop_index("ix_visit_staff_day")
        batch_op.drop_index("ix_visit_household_status")
        batch_op.drop_index("ix_visit_plan_day")

    op.drop_table("visit")
    with op.batch_alter_table("visit_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_target_person_id"))
        batch_op.drop_index(batch_op.f("ix_visit_target_household_id"))
        batch_op.drop_index("ix_visit_target_dong_status")

    op.drop_table("visit_target")
    with op.batch_alter_table("staff_leave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_leave_staff_id"))

    op.drop_table("staff_leave")
    with op.batch_alter_table("outreach_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_staff_dong_code"))

    op.drop_table("outreach_staff")
    op.drop_table("household_preference")
    with op.batch_alter_table("week_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_week_plan_week"))

    op.drop_table("week_plan")
    op.drop_table("visit_rule")

"""cases: households, case workflow, consents, notes, attachments, person search

Person search: trigram (GIN) indexes on PostgreSQL (pg_trgm) and, on SQLite, an FTS5 trigram
table person_fts kept in step by triggers. A later batch migration that recreates the person
table on SQLite drops those triggers and must create them again (see _create_fts).

Revision ID: fed33e431ddf
Revises: f298879484e6
Create Date: 2026-11-25 15:29:15.492814+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "fed33e431ddf"
down_revision: str | None = "f298879484e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FTS_TRIGGERS = {
    "person_fts_insert": "AFTER INSERT ON person BEGIN "
    "INSERT INTO person_fts(rowid, name_jamo, address) "
    "VALUES (new.id, new.name_jamo, new.address); END",
    "person_fts_delete": "AFTER DELETE ON person BEGIN "
    "INSERT INTO person_fts(person_fts, rowid, name_jamo, address) "
    "VALUES ('delete', old.id, old.name_jamo, old.address); END",
    "person_fts_update": "AFTER UPDATE OF name_jamo, address ON person BEGIN "
    "INSERT INTO person_fts(person_fts, rowid, name_jamo, address) "
    "VALUES ('delete', old.id, old.name_jamo, old.address); "
    "INSERT INTO person_fts(rowid, name_jamo, address) "
    "VALUES (new.id, new.name_jamo, new.address); END",
}


def _create_fts() -> None:
    """SQLite: the external-content FTS5 trigram index over person's jamo name and address."""
    op.execute(
        "CREATE VIRTUAL TABLE person_fts USING fts5(name_jamo, address, "
        "content='person', content_rowid='id', tokenize='trigram')"
    )
    for name, body in FTS_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO person_fts(person_fts) VALUES ('rebuild')")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        # Trusted since PostgreSQL 13: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("address_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("head_person_id", sa.Integer(), nullable=True),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_household_dong_code_dong")
        ),
        sa.ForeignKeyConstraint(
            ["head_person_id"], ["person.id"], name=op.f("fk_household_head_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_address_key"), ["address_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_household_dong_code"), ["dong_code"], unique=False)

    op.create_table(
        "household_member",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("relation", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("updated_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_household_member_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_household_member_person_id_person")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_household_member")),
    )
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_member_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "welfare_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("caseworker_id", sa.Integer(), nullable=True),
        sa.Column("referral_source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("referral_detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("consulted_on", sa.Date(), nullable=True),
        sa.Column("intake_on", sa.Date(), nullable=True),
        sa.Column("assessment_due", sa.Date(), nullable=True),
        sa.Column("plan_due", sa.Date(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("conference_on", sa.Date(), nullable=True),
        sa.Column("classified_on", sa.Date(), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("crisis_level", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("close_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("close_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["caseworker_id"], ["app_user.id"], name=op.f("fk_welfare_case_caseworker_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_welfare_case_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_welfare_case_dong_code_dong")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_welfare_case_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_welfare_case_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_welfare_case")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("welfare_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_welfare_case_assessment_due"), ["assessment_due"], unique=False
        )
        batch_op.create_index(
            "ix_welfare_case_caseworker_id_stage", ["caseworker_id", "stage"], unique=False
        )
        batch_op.create_index(
            "ix_welfare_case_dong_code_stage", ["dong_code", "stage"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_welfare_case_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_welfare_case_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_welfare_case_plan_due"), ["plan_due"], unique=False)

    op.create_table(
        "case_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("crisis_level", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_assessment_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_assessment_case_id_welfare_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assessment")),
    )
    with op.batch_alter_table("case_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_assessment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("stored_as", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_attachment_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_attachment_case_id_welfare_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachment")),
        sa.UniqueConstraint("stored_as", name=op.f("uq_case_attachment_stored_as")),
    )
    with op.batch_alter_table("case_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_attachment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_conference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_conference_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_conference_case_id_welfare_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_conference")),
    )
    with op.batch_alter_table("case_conference", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_conference_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("to_stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_event_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_event_case_id_welfare_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_monitoring",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_monitoring_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_monitoring_case_id_welfare_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_monitoring")),
    )
    with op.batch_alter_table("case_monitoring", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_monitoring_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_monitoring_next_on"), ["next_on"], unique=False)

    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_note_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_note_case_id_welfare_case")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_case_note_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    with op.batch_alter_table("case_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_note_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_note_person_id"), ["person_id"], unique=False)

    op.create_table(
        "case_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_plan_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_plan_case_id_welfare_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_plan")),
    )
    with op.batch_alter_table("case_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_plan_case_id"), ["case_id"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("given_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("given_by_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_consent_case_id_welfare_case")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"], ["facility.code"], name=op.f("fk_consent_facility_code_facility")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_consent_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_consent_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_person_id"), ["person_id"], unique=False)

    op.create_table(
        "case_plan_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("frequency", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facility.code"],
            name=op.f("fk_case_plan_service_facility_code_facility"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["case_plan.id"], name=op.f("fk_case_plan_service_plan_id_case_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_plan_service")),
    )
    with op.batch_alter_table("case_plan_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_plan_service_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "case_referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_case_referral_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["welfare_case.id"], name=op.f("fk_case_referral_case_id_welfare_case")
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consent.id"], name=op.f("fk_case_referral_consent_id_consent")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facility.code"],
            name=op.f("fk_case_referral_facility_code_facility"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_referral")),
    )
    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_referral_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_referral_facility_code"), ["facility_code"], unique=False
        )

    with op.batch_alter_table(
        "person", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("name_jamo", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True)
        )
        batch_op.add_column(
            sa.Column("name_chosung", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("phone_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True)
        )
        batch_op.create_index(
            "ix_person_address_trgm",
            ["address"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        )
        batch_op.create_index(batch_op.f("ix_person_birth_date"), ["birth_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_name_chosung"), ["name_chosung"], unique=False)
        batch_op.create_index(
            "ix_person_name_jamo_trgm",
            ["name_jamo"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name_jamo": "gin_trgm_ops"},
        )
        batch_op.create_index(batch_op.f("ix_person_phone_last4"), ["phone_last4"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_rrn_masked"), ["rrn_masked"], unique=False)
    op.create_index(
        "uq_welfare_case_open_person",
        "welfare_case",
        ["person_id"],
        unique=True,
        sqlite_where=sa.text("stage <> 'closed'"),
        postgresql_where=sa.text("stage <> 'closed'"),
    )
    op.create_index("ix_record_link_road_building", "record_link", ["road_building"])
    op.create_index("ix_record_link_lot", "record_link", ["lot"])
    op.create_index(
        "ix_source_record_facility_code_household_key",
        "source_record",
        ["facility_code", "household_key"],
    )
    if sqlite:
        _create_fts()


def downgrade() -> None:
    op.drop_index("ix_source_record_facility_code_household_key", table_name="source_record")
    op.drop_index("ix_record_link_lot", table_name="record_link")
    op.drop_index("ix_record_link_road_building", table_name="record_link")
    op.drop_index("uq_welfare_case_open_person", table_name="welfare_case")
    if op.get_bind().dialect.name == "sqlite":
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS person_fts")
    with op.batch_alter_table(
        "person", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_rrn_masked"))
        batch_op.drop_index(batch_op.f("ix_person_phone_last4"))
        batch_op.drop_index(
            "ix_person_name_jamo_trgm",
            postgresql_using="gin",
            postgresql_ops={"name_jamo": "gin_trgm_ops"},
        )
        batch_op.drop_index(batch_op.f("ix_person_name_chosung"))
        batch_op.drop_index(batch_op.f("ix_person_birth_date"))
        batch_op.drop_index(
            "ix_person_address_trgm",
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        )
        batch_op.drop_column("phone_last4")
        batch_op.drop_column("name_chosung")
        batch_op.drop_column("name_jamo")

    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_referral_facility_code"))
        batch_op.drop_index(batch_op.f("ix_case_referral_case_id"))

    op.drop_table("case_referral")
    with op.batch_alter_table("case_plan_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_plan_service_plan_id"))

    op.drop_table("case_plan_service")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_person_id"))
        batch_op.drop_index(batch_op.f("ix_consent_case_id"))

    op.drop_table("consent")
    with op.batch_alter_table("case_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_plan_case_id"))

    op.drop_table("case_plan")
    with op.batch_alter_table("case_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_note_person_id"))
        batch_op.drop_index(batch_op.f("ix_case_note_case_id"))

    op.drop_table("case_note")
    with op.batch_alter_table("case_monitoring", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_monitoring_next_on"))
        batch_op.drop_index(batch_op.f("ix_case_monitoring_case_id"))

    op.drop_table("case_monitoring")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_event_case_id"))

    op.drop_table("case_event")
    with op.batch_alter_table("case_conference", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_conference_case_id"))

    op.drop_table("case_conference")
    with op.batch_alter_table("case_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_attachment_case_id"))

    op.drop_table("case_attachment")
    with op.batch_alter_table("case_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_assessment_case_id"))

    op.drop_table("case_assessment")
    with op.batch_alter_table("welfare_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_welfare_case_plan_due"))
        batch_op.drop_index(batch_op.f("ix_welfare_case_person_id"))
        batch_op.drop_index(batch_op.f("ix_welfare_case_household_id"))
        batch_op.drop_index("ix_welfare_case_dong_code_stage")
        batch_op.drop_index("ix_welfare_case_caseworker_id_stage")
        batch_op.drop_index(batch_op.f("ix_welfare_case_assessment_due"))

    op.drop_table("welfare_case")
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_member_household_id"))

    op.drop_table("household_member")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_dong_code"))
        batch_op.drop_index(batch_op.f("ix_household_address_key"))

    op.drop_table("household")

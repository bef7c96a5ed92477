"""linkage: persons as golden records, record links, model, events, reviews, constraints

Revision ID: f298879484e6
Revises: a1fc9519c852
Create Date: 2026-11-25 12:25:56.330563+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f298879484e6"
down_revision: str | None = "a1fc9519c852"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_model")),
        sa.UniqueConstraint("version", name=op.f("uq_link_model_version")),
    )
    op.create_table(
        "link_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("other_person_id", sa.Integer(), nullable=True),
        sa.Column("record_ids", sa.JSON(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_link_event_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["other_person_id"], ["person.id"], name=op.f("fk_link_event_other_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_link_event_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_event")),
    )
    with op.batch_alter_table("link_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_event_other_person_id"), ["other_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_link_event_person_id"), ["person_id"], unique=False)

    op.create_table(
        "link_constraint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("other_record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_link_constraint_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["other_record_id"],
            ["source_record.id"],
            name=op.f("fk_link_constraint_other_record_id_source_record"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_record.id"],
            name=op.f("fk_link_constraint_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_constraint")),
        sa.UniqueConstraint(
            "record_id",
            "other_record_id",
            "kind",
            name=op.f("uq_link_constraint_record_id_other_record_id_kind"),
        ),
    )
    with op.batch_alter_table("link_constraint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_constraint_other_record_id"), ["other_record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_link_constraint_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "person_field",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facility.code"],
            name=op.f("fk_person_field_facility_code_facility"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_field_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_record.id"],
            name=op.f("fk_person_field_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("person_id", "field", name=op.f("pk_person_field")),
    )
    op.create_table(
        "record_link",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_jamo", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("surname", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("rrn_index", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("rrn_front7", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("birth_date", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("phone_last8", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("home_last8", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("dong", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("road_building", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("lot", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("gu", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_record_link_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["source_record.id"], name=op.f("fk_record_link_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_link")),
    )
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.create_index("ix_record_link_node", ["node_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_link_person_id"), ["person_id"], unique=False)

    op.create_table(
        "review_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("other_record_id", sa.Integer(), nullable=False),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_review_item_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_review_item_dong_code_dong")
        ),
        sa.ForeignKeyConstraint(
            ["other_record_id"],
            ["source_record.id"],
            name=op.f("fk_review_item_other_record_id_source_record"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["source_record.id"], name=op.f("fk_review_item_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
        sa.UniqueConstraint(
            "record_id", "other_record_id", name=op.f("uq_review_item_record_id_other_record_id")
        ),
    )
    with op.batch_alter_table("review_item", schema=None) as batch_op:
        batch_op.create_index("ix_review_item_status_dong", ["status", "dong_code"], unique=False)

    with op.batch_alter_table(
        "person", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="active",
            )
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch_op.alter_column(
            "address",
            existing_type=sa.VARCHAR(length=200),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=True,
        )
        batch_op.create_index(batch_op.f("ix_person_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_person_merged_into_id_person"), "person", ["merged_into_id"], ["id"]
        )
    # The defaults only fill the rows that exist; new rows get theirs from the application.
    with op.batch_alter_table(
        "person", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("updated_at", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table(
        "person", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_person_merged_into_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_person_status"))
        batch_op.alter_column(
            "address",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=300),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("status")

    with op.batch_alter_table("review_item", schema=None) as batch_op:
        batch_op.drop_index("ix_review_item_status_dong")

    op.drop_table("review_item")
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_link_person_id"))
        batch_op.drop_index("ix_record_link_node")

    op.drop_table("record_link")
    op.drop_table("person_field")
    with op.batch_alter_table("link_constraint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_constraint_record_id"))
        batch_op.drop_index(batch_op.f("ix_link_constraint_other_record_id"))

    op.drop_table("link_constraint")
    with op.batch_alter_table("link_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_event_person_id"))
        batch_op.drop_index(batch_op.f("ix_link_event_other_person_id"))

    op.drop_table("link_event")
    op.drop_table("link_model")

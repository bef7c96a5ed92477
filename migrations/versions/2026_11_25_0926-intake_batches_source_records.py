"""intake: facility types, batches, source records, mappings

Revision ID: a1fc9519c852
Revises: 19dcb9d274a7
Create Date: 2026-11-25 09:26:22.596046+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a1fc9519c852"
down_revision: str | None = "19dcb9d274a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_type",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_facility_type")),
    )
    op.create_table(
        "column_mapping",
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column(
            "confirmed_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["app_user.id"], name=op.f("fk_column_mapping_confirmed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facility.code"],
            name=op.f("fk_column_mapping_facility_code_facility"),
        ),
        sa.PrimaryKeyConstraint("facility_code", name=op.f("pk_column_mapping")),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("file_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("file_format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("encoding", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("encoding_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("sheet", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_warned", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("rows_pending", sa.Integer(), nullable=False),
        sa.Column("rows_blank", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facility.code"],
            name=op.f("fk_import_batch_facility_code_facility"),
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_import_batch_token_id_api_token")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["app_user.id"], name=op.f("fk_import_batch_uploaded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
        sa.UniqueConstraint(
            "facility_code",
            "idempotency_key",
            name=op.f("uq_import_batch_facility_code_idempotency_key"),
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_batch_facility_code"), ["facility_code"], unique=False
        )
        batch_op.create_index(
            "ix_import_batch_facility_sha256", ["facility_code", "file_sha256"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_import_batch_status"), ["status"], unique=False)

    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("facility_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("raw_sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("rrn_sealed", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("rrn_index", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("rrn_masked", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("foreigner", sa.Boolean(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("home_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("address_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("gu_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("dong_source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("legal_dong", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("road", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("building_no", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("lot_no", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("relation", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("household_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("service_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_source_record_batch_id_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["dong_code"], ["dong.code"], name=op.f("fk_source_record_dong_code_dong")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facility.code"],
            name=op.f("fk_source_record_facility_code_facility"),
        ),
        sa.ForeignKeyConstraint(["gu_code"], ["gu.code"], name=op.f("fk_source_record_gu_code_gu")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
        sa.UniqueConstraint(
            "batch_id", "row_number", name=op.f("uq_source_record_batch_id_row_number")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_source_record_batch_id_status", ["batch_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_source_record_dong_code"), ["dong_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_source_record_facility_code"), ["facility_code"], unique=False
        )
        batch_op.create_index(
            "ix_source_record_facility_code_client_id", ["facility_code", "client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_source_record_gu_code"), ["gu_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_record_rrn_index"), ["rrn_index"], unique=False)

    op.create_table(
        "source_record_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("raw_sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("dong_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_by_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["app_user.id"],
            name=op.f("fk_source_record_revision_changed_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_record.id"],
            name=op.f("fk_source_record_revision_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record_revision")),
    )
    with op.batch_alter_table("source_record_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_record_revision_record_id"), ["record_id"], unique=False
        )

    # facility.kind (a free label) becomes facility.type_code, a key into the catalog. Rows that
    # already exist keep their label as a catalog entry of its own, so nothing is lost;
    # `bigcare seed` adds the real catalog beside them.
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("type_code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
        )
    op.execute(
        "INSERT INTO facility_type (code, name, description) "
        "SELECT DISTINCT substr(kind, 1, 30), substr(kind, 1, 40), '' FROM facility"
    )
    op.execute("UPDATE facility SET type_code = substr(kind, 1, 30)")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.alter_column(
            "type_code", existing_type=sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False
        )
        batch_op.create_index(batch_op.f("ix_facility_type_code"), ["type_code"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_facility_type_code_facility_type"),
            "facility_type",
            ["type_code"],
            ["code"],
        )
        batch_op.drop_column("kind")


def downgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.VARCHAR(length=40), nullable=True))
    op.execute(
        "UPDATE facility SET kind = "
        "(SELECT name FROM facility_type WHERE facility_type.code = facility.type_code)"
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_facility_type_code_facility_type"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_facility_type_code"))
        batch_op.drop_column("type_code")

    with op.batch_alter_table("source_record_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_record_revision_record_id"))

    op.drop_table("source_record_revision")
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_record_rrn_index"))
        batch_op.drop_index(batch_op.f("ix_source_record_gu_code"))
        batch_op.drop_index("ix_source_record_facility_code_client_id")
        batch_op.drop_index(batch_op.f("ix_source_record_facility_code"))
        batch_op.drop_index(batch_op.f("ix_source_record_dong_code"))
        batch_op.drop_index("ix_source_record_batch_id_status")

    op.drop_table("source_record")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batch_status"))
        batch_op.drop_index("ix_import_batch_facility_sha256")
        batch_op.drop_index(batch_op.f("ix_import_batch_facility_code"))

    op.drop_table("import_batch")
    op.drop_table("column_mapping")
    op.drop_table("facility_type")

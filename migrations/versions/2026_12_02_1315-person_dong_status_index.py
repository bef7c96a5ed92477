"""person: one index on (dong_code, status) instead of dong_code alone

Counting a dong's active persons (the home page) and comparing their names for a typo
(search) now read the index only: on PostgreSQL it carries id, name_jamo and name_chosung
(INCLUDE). The dong-only lookups use its first column.

Revision ID: 3c7d9a2e4b10
Revises: 5b2e8c1f0a77
Create Date: 2026-12-02 13:15:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c7d9a2e4b10"
down_revision: str | None = "5b2e8c1f0a77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_person_dong_status",
        "person",
        ["dong_code", "status"],
        postgresql_include=["id", "name_jamo", "name_chosung"],
    )
    op.drop_index("ix_person_dong_code", table_name="person")


def downgrade() -> None:
    op.create_index("ix_person_dong_code", "person", ["dong_code"])
    op.drop_index("ix_person_dong_status", table_name="person")

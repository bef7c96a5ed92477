"""access log: chain order seq, given at commit

Revision ID: 9901838b55b5
Revises: 3c1d7e2a9b40
Create Date: 2026-11-25 16:30:58.320036+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "9901838b55b5"
down_revision: str | None = "3c1d7e2a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_access_log_seq"), ["seq"])


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_access_log_seq"), type_="unique")
        batch_op.drop_column("seq")

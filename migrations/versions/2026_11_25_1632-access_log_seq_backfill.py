"""access log: existing rows keep their chain order (seq = id)

Revision ID: 5b2e8c1f0a77
Revises: 9901838b55b5
Create Date: 2026-11-25 16:32:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b2e8c1f0a77"
down_revision: str | None = "9901838b55b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows chained before this revision were chained in id order.
    op.execute("UPDATE access_log SET seq = id WHERE seq IS NULL")


def downgrade() -> None:
    # The column goes in the previous revision's downgrade.
    pass

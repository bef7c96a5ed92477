"""person search keys: fill name_jamo, name_chosung and phone_last4 of existing persons

Revision ID: 3c1d7e2a9b40
Revises: fed33e431ddf
Create Date: 2026-11-25 15:35:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bigcare.linkage.models import search_keys

revision: str = "3c1d7e2a9b40"
down_revision: str | None = "fed33e431ddf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def upgrade() -> None:
    bind = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("phone", sa.String),
        sa.column("name_jamo", sa.String),
        sa.column("name_chosung", sa.String),
        sa.column("phone_last4", sa.String),
    )
    update = (
        sa.update(person)
        .where(person.c.id == sa.bindparam("pid"))
        .values(
            name_jamo=sa.bindparam("name_jamo"),
            name_chosung=sa.bindparam("name_chosung"),
            phone_last4=sa.bindparam("phone_last4"),
        )
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(person.c.id, person.c.name, person.c.phone)
            .where(person.c.id > last)
            .order_by(person.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            update, [{"pid": pid, **search_keys(name, phone)} for pid, name, phone in rows]
        )
        last = rows[-1][0]


def downgrade() -> None:
    # The columns themselves go in the previous revision's downgrade.
    pass

"""termijnbewaking: schema for Issue 4 (termijnbewaking en escalatie).

A partial index on the deadline of open terms (not met, not suspended): the overview of terms
over time ("termijnen over tijd") reads only those, however many met terms history holds.
The watch itself uses ix_termijn_open_volgende_actie from 0001.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OPEN = sa.text("voldaan_op IS NULL AND opgeschort_op IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("termijn", schema=None) as batch_op:
        batch_op.create_index(
            "ix_termijn_open_vervalt_op", ["vervalt_op"], unique=False, sqlite_where=_OPEN, postgresql_where=_OPEN
        )


def downgrade() -> None:
    with op.batch_alter_table("termijn", schema=None) as batch_op:
        batch_op.drop_index("ix_termijn_open_vervalt_op", sqlite_where=_OPEN, postgresql_where=_OPEN)

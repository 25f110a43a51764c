"""bezorging per adres: schema for issue 11 item 4 (a long mail outage).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- notificatie.bezorgd_aan: the addresses (fingerprints of their Apprise URLs) that already have
  the message, so a retry goes only to the addresses that failed;
- brief.ronde, notificatie.ronde: how often staff queued the row again; part of the key of its
  escalation, so a requeued row that fails again is escalated again, once.

Plain ADD COLUMN with a constant default (no table rebuild on SQLite, which would have to copy
the partial queue indexes).
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notificatie", sa.Column("bezorgd_aan", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.add_column("notificatie", sa.Column("ronde", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("brief", sa.Column("ronde", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("brief", schema=None) as batch_op:
        batch_op.drop_column("ronde")
    with op.batch_alter_table("notificatie", schema=None) as batch_op:
        batch_op.drop_column("ronde")
        batch_op.drop_column("bezorgd_aan")

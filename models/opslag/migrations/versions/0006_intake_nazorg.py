"""intake_nazorg: per melding, whether the intake's follow-ups (crisis alert, letter) are done.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

An intake that crashed after registering its melding left its crisis alert and its letter
'melding ontvangen' undone; the lifecycle run now completes them, and the sentinel 'casussen in
beeld' sees them open. Existing meldingen are marked done: the old intake made them, and imported
or demo meldingen never get them.
"""
from alembic import op
import sqlalchemy as sa
import models.opslag.typen

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("melding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_nazorg_klaar_op", models.opslag.typen.UTCDateTime(), nullable=True))
    op.execute("UPDATE melding SET intake_nazorg_klaar_op = geregistreerd_op")


def downgrade() -> None:
    with op.batch_alter_table("melding", schema=None) as batch_op:
        batch_op.drop_column("intake_nazorg_klaar_op")

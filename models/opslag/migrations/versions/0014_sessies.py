"""sessies: the gateway's sessions in the case store, shared by every gateway process.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

- poortsessie: one row per logged-in person, keyed by the SHA-256 of the session id (never the
  id itself); `laatst` indexed for the clean-up of expired rows.
A new table only: nothing existing is rebuilt.
"""
from alembic import op
import sqlalchemy as sa
import models.opslag.typen

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poortsessie",
        sa.Column("sleutel", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("naam", sa.String(length=120), nullable=False),
        sa.Column("rollen", sa.JSON(), nullable=False),
        sa.Column("gemeente", sa.String(length=16), nullable=True),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("aangemaakt", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("laatst", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sleutel"),
    )
    op.create_index(op.f("ix_poortsessie_laatst"), "poortsessie", ["laatst"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_poortsessie_laatst"), table_name="poortsessie")
    op.drop_table("poortsessie")

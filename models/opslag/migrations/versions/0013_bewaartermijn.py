"""bewaartermijn: legal holds and the destruction of personal data (issue 17 item 2).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

- bewaarblokkade: a legal hold on a casus (at most one active: partial unique index);
- vernietiging: the record of a destroyed casus, written before anything is deleted.
New tables only: nothing existing is rebuilt.
"""
from alembic import op
import sqlalchemy as sa
import models.opslag.typen

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ACTIEF = sa.text("opgeheven_op IS NULL")


def upgrade() -> None:
    op.create_table(
        "bewaarblokkade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("reden", sa.String(length=500), nullable=False),
        sa.Column("door", sa.String(length=120), nullable=False),
        sa.Column("geplaatst_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("opgeheven_op", models.opslag.typen.UTCDateTime(), nullable=True),
        sa.Column("opgeheven_door", sa.String(length=120), nullable=True),
        sa.Column("opheffingsreden", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_bewaarblokkade_casus_id"), "bewaarblokkade", ["casus_id"], unique=False)
    op.create_index("uq_bewaarblokkade_actief", "bewaarblokkade", ["casus_id"], unique=True,
                    sqlite_where=_ACTIEF, postgresql_where=_ACTIEF)
    op.create_table(
        "vernietiging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("gestart_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("voltooid_op", models.opslag.typen.UTCDateTime(), nullable=True),
        sa.Column("gemeld_op", models.opslag.typen.UTCDateTime(), nullable=True),
        sa.Column("door", sa.String(length=120), nullable=False),
        sa.Column("aantallen", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("casus_id"),
    )
    op.create_index(op.f("ix_vernietiging_gemeld_op"), "vernietiging", ["gemeld_op"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_vernietiging_gemeld_op"), "vernietiging")
    op.drop_table("vernietiging")
    op.drop_index("uq_bewaarblokkade_actief", "bewaarblokkade")
    op.drop_index(op.f("ix_bewaarblokkade_casus_id"), "bewaarblokkade")
    op.drop_table("bewaarblokkade")

"""plustaken en overdrachtstafel (issue 16 items 1 and 2).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- samenoptrekken: an onderzoek started together with a sociaal team (plustaak samen optrekken);
- plustaakactiviteit: voorlichting and deskundigheidsbevordering given for a gemeente;
- overdracht.overdrachtstafel_op: the overdrachtstafel where a V&V casus is discussed in the
  continuity plan (a plain nullable ADD COLUMN, no table rebuild).
"""
from alembic import op
import sqlalchemy as sa
import models.opslag.typen

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "samenoptrekken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("beslissing_id", sa.Integer(), nullable=False),
        sa.Column("gemeente_code", sa.String(length=6), nullable=False),
        sa.Column("lokaal_team_code", sa.String(length=32), nullable=False),
        sa.Column("start_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("vastgelegd_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["beslissing_id"], ["beslissing.id"]),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.ForeignKeyConstraint(["lokaal_team_code"], ["lokaalteam.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("beslissing_id"),
    )
    op.create_index(op.f("ix_samenoptrekken_casus_id"), "samenoptrekken", ["casus_id"], unique=False)
    op.create_table(
        "plustaakactiviteit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sleutel", sa.String(length=64), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("gemeente_code", sa.String(length=6), nullable=False),
        sa.Column("soort", sa.String(length=32), nullable=False),
        sa.Column("doelgroep", sa.String(length=120), nullable=False),
        sa.Column("uren", sa.Numeric(precision=7, scale=2, asdecimal=False), nullable=False),
        sa.Column("deelnemers", sa.Integer(), nullable=False),
        sa.Column("door", sa.String(length=120), nullable=False),
        sa.Column("vastgelegd_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["gemeente_code"], ["gemeente.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sleutel"),
    )
    op.create_index("ix_plustaakactiviteit_gemeente_datum", "plustaakactiviteit", ["gemeente_code", "datum"],
                    unique=False)
    op.add_column("overdracht", sa.Column("overdrachtstafel_op", models.opslag.typen.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("overdracht", schema=None) as batch_op:
        batch_op.drop_column("overdrachtstafel_op")
    op.drop_index("ix_plustaakactiviteit_gemeente_datum", table_name="plustaakactiviteit")
    op.drop_table("plustaakactiviteit")
    op.drop_index(op.f("ix_samenoptrekken_casus_id"), table_name="samenoptrekken")
    op.drop_table("samenoptrekken")

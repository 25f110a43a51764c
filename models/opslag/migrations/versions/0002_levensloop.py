"""levensloop: schema for Issue 3 (levensloop van een casus in Prefect).

Decisions taken in the lifecycle forms, the safety conditions of Voorwaarden & Vervolg
(encrypted) and handovers to the lokaal team.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import models.opslag.typen

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "beslissing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sleutel", sa.String(length=120), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("moment", sa.String(length=32), nullable=False),
        sa.Column("keuze", sa.String(length=48), nullable=False),
        sa.Column("van_status", sa.String(length=32), nullable=False),
        sa.Column("naar_status", sa.String(length=32), nullable=True),
        sa.Column("gepland", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("door", sa.String(length=120), nullable=False),
        sa.Column("genomen_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("nazorg_klaar_op", models.opslag.typen.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sleutel"),
    )
    with op.batch_alter_table("beslissing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_beslissing_casus_id"), ["casus_id"], unique=False)

    op.create_table(
        "veiligheidsvoorwaarden",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("beslissing_id", sa.Integer(), nullable=False),
        sa.Column("tekst", models.opslag.typen.Versleuteld(), nullable=False),
        sa.Column("vastgesteld_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["beslissing_id"], ["beslissing.id"]),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("veiligheidsvoorwaarden", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_veiligheidsvoorwaarden_casus_id"), ["casus_id"], unique=False)

    op.create_table(
        "overdracht",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("lokaal_team_code", sa.String(length=32), nullable=False),
        sa.Column("regie", sa.String(length=32), nullable=False),
        sa.Column("driegesprek_op", models.opslag.typen.UTCDateTime(), nullable=True),
        sa.Column("locatie", sa.String(length=32), nullable=True),
        sa.Column("deelnemers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("aangemaakt_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("afgerond_op", models.opslag.typen.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.ForeignKeyConstraint(["lokaal_team_code"], ["lokaalteam.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("overdracht", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_overdracht_casus_id"), ["casus_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("overdracht", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overdracht_casus_id"))
    op.drop_table("overdracht")
    with op.batch_alter_table("veiligheidsvoorwaarden", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_veiligheidsvoorwaarden_casus_id"))
    op.drop_table("veiligheidsvoorwaarden")
    with op.batch_alter_table("beslissing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beslissing_casus_id"))
    op.drop_table("beslissing")

"""rapportage: schema for Issue 6 (tweewekelijkse rapportage).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

- werkdag: the calendar with a running count of working days, so the database counts waits in
  working days (filled by models.opslag.werkdagen.synchroniseer_werkdagen, not by this migration:
  the calendar depends on the settings);
- knelpunt: bottlenecks staff enter for a report period;
- rapport: version (a resend is a new version), the published figures and the archived files;
- indexes for the report's queries on casus, termijn and the status events of the audit trail
  (partial: the trail is append-only, the report reads its status events from the index alone).
"""
from alembic import op
import sqlalchemy as sa
import models.opslag.typen

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "werkdag",
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("begin_utc", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("werkdag", sa.Boolean(), nullable=False),
        sa.Column("volgnummer", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("datum"),
        sa.UniqueConstraint("begin_utc"),
    )
    op.create_table(
        "knelpunt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente_code", sa.String(length=6), nullable=True),
        sa.Column("periode_eind", sa.Date(), nullable=False),
        sa.Column("tekst", sa.String(length=1000), nullable=False),
        sa.Column("door", sa.String(length=120), nullable=False),
        sa.Column("aangemaakt_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["gemeente_code"], ["gemeente.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("knelpunt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knelpunt_periode_eind"), ["periode_eind"], unique=False)

    with op.batch_alter_table("rapport", schema=None) as batch_op:
        batch_op.add_column(sa.Column("versie", sa.Integer(), server_default=sa.text("1"), nullable=False))
        batch_op.add_column(sa.Column("cijfers", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column("bestanden", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))

    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.create_index("ix_casus_afgesloten_op", ["afgesloten_op"], unique=False)
    with op.batch_alter_table("termijn", schema=None) as batch_op:
        batch_op.create_index("ix_termijn_soort_voldaan_op", ["soort", "voldaan_op"], unique=False)
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.create_index("ix_auditevent_statusspoor", ["casus_id", "tijdstip", "van_status", "naar_status", "id"],
                              unique=False, sqlite_where=sa.text("actie = 'status'"),
                              postgresql_where=sa.text("actie = 'status'"))


def downgrade() -> None:
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_index("ix_auditevent_statusspoor")
    with op.batch_alter_table("termijn", schema=None) as batch_op:
        batch_op.drop_index("ix_termijn_soort_voldaan_op")
    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.drop_index("ix_casus_afgesloten_op")
    with op.batch_alter_table("rapport", schema=None) as batch_op:
        batch_op.drop_column("bestanden")
        batch_op.drop_column("cijfers")
        batch_op.drop_column("versie")
    with op.batch_alter_table("knelpunt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knelpunt_periode_eind"))
    op.drop_table("knelpunt")
    op.drop_table("werkdag")

"""toegang: local accounts and the access log (issue 14).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

The access log (`inzage`) is append-only like the audit trail (migration 0001): database
triggers refuse UPDATE and DELETE, whatever client writes to the database.
"""
from alembic import op
import sqlalchemy as sa

import models.opslag.typen

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE = [
    """CREATE TRIGGER inzage_geen_wijziging BEFORE UPDATE ON inzage
       BEGIN SELECT RAISE(ABORT, 'inzagelog is alleen-toevoegen: wijzigen is niet toegestaan'); END""",
    """CREATE TRIGGER inzage_geen_verwijdering BEFORE DELETE ON inzage
       BEGIN SELECT RAISE(ABORT, 'inzagelog is alleen-toevoegen: verwijderen is niet toegestaan'); END""",
]
_POSTGRESQL = [
    """CREATE FUNCTION inzage_alleen_toevoegen() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'inzagelog is alleen-toevoegen: % is niet toegestaan', TG_OP; END $$""",
    """CREATE TRIGGER inzage_alleen_toevoegen BEFORE UPDATE OR DELETE ON inzage
       FOR EACH ROW EXECUTE FUNCTION inzage_alleen_toevoegen()""",
]


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("naam", sa.String(length=120), nullable=False),
        sa.Column("rollen", sa.JSON(), nullable=False),
        sa.Column("gemeente", sa.String(length=16), nullable=True),
        sa.Column("wachtwoord_hash", sa.String(length=200), nullable=False),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("aangemaakt", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    op.create_table(
        "inzage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tijdstip", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("wat", sa.String(length=32), nullable=False),
        sa.Column("casus_referentie", sa.String(length=32), nullable=True),
        sa.Column("adres", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inzage_casus_tijdstip", "inzage", ["casus_referentie", "tijdstip"])
    for statement in _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS inzage_alleen_toevoegen ON inzage")
        op.execute("DROP FUNCTION IF EXISTS inzage_alleen_toevoegen()")
    op.drop_index("ix_inzage_casus_tijdstip", table_name="inzage")
    op.drop_table("inzage")
    op.drop_table("account")

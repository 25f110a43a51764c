"""auditketen: every audit event gets its place in its casus's chain and its hashes (issue 17 item 1).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Adds auditbreuk (the breaks the check found, each alerted once) and volgnummer, vorige_hash and hash to auditevent, hashes the existing events per casus in the
order they were appended (their id), so an upgraded store verifies, and then makes the columns
required and (casus, volgnummer) unique. The append-only triggers are bypassed for the backfill
as in 0008; on SQLite the table is rebuilt to make the columns NOT NULL, which drops its
triggers, so they are created again from their stored definition.

Downgrade drops the columns (and with them the chain).
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

import models.opslag.typen
from models.regels.auditketen import schakels

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_audit = sa.table(
    "auditevent",
    sa.column("id", sa.Integer), sa.column("casus_id", sa.Integer),
    sa.column("tijdstip", models.opslag.typen.UTCDateTime()), sa.column("actor", sa.String),
    sa.column("actie", sa.String), sa.column("van_status", sa.String), sa.column("naar_status", sa.String),
    sa.column("reden", sa.String), sa.column("details", sa.JSON),
    sa.column("volgnummer", sa.Integer), sa.column("vorige_hash", sa.String), sa.column("hash", sa.String),
)
_KOLOMMEN = ("volgnummer", "vorige_hash", "hash")


def upgrade() -> None:
    op.add_column("auditevent", sa.Column("volgnummer", sa.Integer(), nullable=True))
    op.add_column("auditevent", sa.Column("vorige_hash", sa.String(length=64), nullable=True))
    op.add_column("auditevent", sa.Column("hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    with zonder_alleen_toevoegen(bind):
        _hash_bestaande(bind)
        if bind.dialect.name == "postgresql":
            for kolom in _KOLOMMEN:
                op.alter_column("auditevent", kolom, nullable=False)
        else:
            with op.batch_alter_table("auditevent", schema=None, recreate="always") as batch_op:
                for kolom in _KOLOMMEN:
                    batch_op.alter_column(kolom, nullable=False)
    op.create_index("uq_auditevent_keten", "auditevent", ["casus_id", "volgnummer"], unique=True)
    op.create_index("uq_auditevent_keten_zonder_casus", "auditevent", ["volgnummer"], unique=True,
                    sqlite_where=sa.text("casus_id IS NULL"), postgresql_where=sa.text("casus_id IS NULL"))
    op.create_table(
        "auditbreuk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sleutel", sa.String(length=200), nullable=False),
        sa.Column("casus_referentie", sa.String(length=40), nullable=True),
        sa.Column("soort", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("volgnummer", sa.Integer(), nullable=False),
        sa.Column("toelichting", sa.String(length=300), nullable=False),
        sa.Column("gevonden_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sleutel"),
    )


def _hash_bestaande(bind) -> None:
    """Chain the events casus by casus, in id order (the order they were appended)."""
    kolommen = [c for c in _audit.c if c.name not in _KOLOMMEN]
    keten, rijen = object(), []
    for rij in bind.execute(sa.select(*kolommen).order_by(_audit.c.casus_id, _audit.c.id)).mappings():
        if rij["casus_id"] != keten and rijen:
            _schrijf(bind, rijen)
            rijen = []
        keten = rij["casus_id"]
        rijen.append(dict(rij))
    _schrijf(bind, rijen)


def _schrijf(bind, rijen: list[dict]) -> None:
    if not rijen:
        return
    bind.execute(
        sa.update(_audit).where(_audit.c.id == sa.bindparam("_id"))
        .values(volgnummer=sa.bindparam("volgnummer"), vorige_hash=sa.bindparam("vorige_hash"), hash=sa.bindparam("hash")),
        [{"_id": r["id"], **{k: r[k] for k in _KOLOMMEN}} for r in schakels(rijen, {})],
    )


def downgrade() -> None:
    op.drop_table("auditbreuk")
    op.drop_index("uq_auditevent_keten_zonder_casus", table_name="auditevent")
    op.drop_index("uq_auditevent_keten", table_name="auditevent")
    bind = op.get_bind()
    with zonder_alleen_toevoegen(bind):
        with op.batch_alter_table("auditevent", schema=None) as batch_op:
            for kolom in reversed(_KOLOMMEN):
                batch_op.drop_column(kolom)


@contextmanager
def zonder_alleen_toevoegen(bind):
    """Bypass the append-only triggers of auditevent inside the block (as in 0008, of which a
    migration must not import: each stays as it was run)."""
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE auditevent DISABLE TRIGGER auditevent_alleen_toevoegen")
        try:
            yield
        finally:
            op.execute("ALTER TABLE auditevent ENABLE TRIGGER auditevent_alleen_toevoegen")
        return
    triggers = bind.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'auditevent'")).all()
    for naam, _ in triggers:
        op.execute(f'DROP TRIGGER IF EXISTS "{naam}"')
    try:
        yield
    finally:
        for _, sql in triggers:
            op.execute(sql)

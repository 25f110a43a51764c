"""dossier zoeksleutels: blind indexes staff search a dossier by (issue 14 item 4).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- huishouden.adres_zoeksleutel: keyed hash of postcode + house number (the existing
  `zoeksleutel` covers postcode + the whole 'straat huisnummer', which staff do not type);
- persoon.bsn_zoeksleutel: keyed hash of the BSN.

Both are filled for existing rows here, which needs VT_ENCRYPTION_KEY (the values are encrypted);
a store without rows needs no key. Plain ADD COLUMN + index (no table rebuild on SQLite).
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BLOK = 1000


def upgrade() -> None:
    op.add_column("huishouden", sa.Column("adres_zoeksleutel", sa.String(64), nullable=True))
    op.add_column("persoon", sa.Column("bsn_zoeksleutel", sa.String(64), nullable=True))
    op.create_index("ix_huishouden_adres_zoeksleutel", "huishouden", ["adres_zoeksleutel"])
    op.create_index("ix_persoon_bsn_zoeksleutel", "persoon", ["bsn_zoeksleutel"])
    _vul(op.get_bind())


def _vul(verbinding) -> None:
    """Hash the values of existing rows, a block at a time (decrypting needs the key)."""
    from models.opslag.casus import adres_zoeksleutel, bsn_zoeksleutel
    from models.opslag.typen import ontsleutel

    huishoudens = sa.table("huishouden", sa.column("id"), sa.column("postcode"), sa.column("straat_huisnummer"),
                           sa.column("adres_zoeksleutel"))
    personen = sa.table("persoon", sa.column("id"), sa.column("bsn"), sa.column("bsn_zoeksleutel"))
    laatste = 0
    while rijen := verbinding.execute(
            sa.select(huishoudens.c.id, huishoudens.c.postcode, huishoudens.c.straat_huisnummer)
            .where(huishoudens.c.id > laatste).order_by(huishoudens.c.id).limit(_BLOK)).all():
        waarden = [{"i": r.id, "s": adres_zoeksleutel(ontsleutel(r.postcode), ontsleutel(r.straat_huisnummer))}
                   for r in rijen]
        verbinding.execute(huishoudens.update().where(huishoudens.c.id == sa.bindparam("i"))
                           .values(adres_zoeksleutel=sa.bindparam("s")), waarden)
        laatste = rijen[-1].id
    laatste = 0
    while rijen := verbinding.execute(
            sa.select(personen.c.id, personen.c.bsn).where(personen.c.id > laatste).order_by(personen.c.id)
            .limit(_BLOK)).all():
        waarden = [{"i": r.id, "s": bsn_zoeksleutel(ontsleutel(r.bsn))} for r in rijen if r.bsn]
        if waarden:
            verbinding.execute(personen.update().where(personen.c.id == sa.bindparam("i"))
                               .values(bsn_zoeksleutel=sa.bindparam("s")), waarden)
        laatste = rijen[-1].id


def downgrade() -> None:
    op.drop_index("ix_persoon_bsn_zoeksleutel", "persoon")
    op.drop_index("ix_huishouden_adres_zoeksleutel", "huishouden")
    # Plain DROP COLUMN (SQLite >= 3.35): a batch rebuild of these tables trips their foreign keys.
    op.drop_column("persoon", "bsn_zoeksleutel")
    op.drop_column("huishouden", "adres_zoeksleutel")

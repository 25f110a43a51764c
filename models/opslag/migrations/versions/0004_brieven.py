"""brieven: schema for Issue 5 (brieven en zorg voor de werkvoorraad).

- brief: the occasion (aanleiding, part of the letter's key) and, for a letter to a melder,
  which melder it is for;
- huishouden: the family's e-mail address (encrypted) and its consent to get letters by e-mail;
- melder: consent to e-mail and a postal address (encrypted) for the terugkoppeling letter;
- contactmoment: contacts with families on the werkvoorraad.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.opslag.typen

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("brief", schema=None) as batch_op:
        # Letters made before this migration get the occasion "onbekend".
        batch_op.add_column(sa.Column("aanleiding", sa.String(length=64), nullable=False, server_default="onbekend"))
        batch_op.add_column(sa.Column("melder_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_brief_melder_id_melder", "melder", ["melder_id"], ["id"])
    with op.batch_alter_table("brief", schema=None) as batch_op:
        batch_op.alter_column("aanleiding", server_default=None)

    with op.batch_alter_table("huishouden", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", models.opslag.typen.Versleuteld(), nullable=True))
        batch_op.add_column(sa.Column("brief_per_email", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("melder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brief_per_email", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("straat_huisnummer", models.opslag.typen.Versleuteld(), nullable=True))
        batch_op.add_column(sa.Column("postcode", models.opslag.typen.Versleuteld(), nullable=True))
        batch_op.add_column(sa.Column("woonplaats", models.opslag.typen.Versleuteld(), nullable=True))

    op.create_table(
        "contactmoment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("casus_id", sa.Integer(), nullable=False),
        sa.Column("tijdstip", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.Column("vorm", sa.String(length=16), nullable=False),
        sa.Column("bereikt", sa.Boolean(), nullable=False),
        sa.Column("medewerker", sa.String(length=120), nullable=False),
        sa.Column("notitie", models.opslag.typen.Versleuteld(), nullable=True),
        sa.Column("geregistreerd_op", models.opslag.typen.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["casus_id"], ["casus.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contactmoment", schema=None) as batch_op:
        batch_op.create_index("ix_contactmoment_casus_tijdstip", ["casus_id", "tijdstip"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contactmoment", schema=None) as batch_op:
        batch_op.drop_index("ix_contactmoment_casus_tijdstip")
    op.drop_table("contactmoment")

    with op.batch_alter_table("melder", schema=None) as batch_op:
        batch_op.drop_column("woonplaats")
        batch_op.drop_column("postcode")
        batch_op.drop_column("straat_huisnummer")
        batch_op.drop_column("brief_per_email")

    with op.batch_alter_table("huishouden", schema=None) as batch_op:
        batch_op.drop_column("brief_per_email")
        batch_op.drop_column("email")

    with op.batch_alter_table("brief", schema=None) as batch_op:
        batch_op.drop_constraint("fk_brief_melder_id_melder", type_="foreignkey")
        batch_op.drop_column("melder_id")
        batch_op.drop_column("aanleiding")

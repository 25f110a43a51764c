"""audit details: repair the stored 'termijn_verlengd' events (issue 12 item 4).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Up to now `models.dossier.wijzigingen.audit()` took its columns and its free details as keyword arguments
in one namespace, so extending a term (`verleng`, details `van=`/`naar=`) wrote the old and the
new deadline into the `van_status`/`naar_status` columns: `vt casus` showed two timestamps as a
status change. This moves them into the details (`van`, `naar`) and empties the columns.

The audit trail is append-only through database triggers (migration 0001). For this one repair,
inside the migration's transaction, they are bypassed: on PostgreSQL the trigger is disabled and
enabled again; SQLite cannot disable a trigger, so its triggers are dropped and created again
from their own stored definition. Only these rows change; nothing else can write meanwhile.

Downgrade leaves the rows repaired: the old layout was the defect.
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_audit = sa.table(
    "auditevent",
    sa.column("id", sa.Integer),
    sa.column("actie", sa.String),
    sa.column("van_status", sa.String),
    sa.column("naar_status", sa.String),
    sa.column("details", sa.JSON),
)


def upgrade() -> None:
    bind = op.get_bind()
    kapot = bind.execute(
        sa.select(_audit.c.id, _audit.c.van_status, _audit.c.naar_status, _audit.c.details)
        .where(_audit.c.actie == "termijn_verlengd",
               sa.or_(_audit.c.van_status.is_not(None), _audit.c.naar_status.is_not(None)))
    ).all()
    if not kapot:
        return
    with _zonder_alleen_toevoegen(bind):
        for id_, van, naar, details in kapot:
            bind.execute(
                sa.update(_audit).where(_audit.c.id == id_)
                .values(van_status=None, naar_status=None, details={**(details or {}), "van": van, "naar": naar})
            )


def downgrade() -> None:
    pass


@contextmanager
def _zonder_alleen_toevoegen(bind):
    """Bypass the append-only triggers of auditevent for the statements inside the block."""
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
        op.execute(f'DROP TRIGGER "{naam}"')
    try:
        yield
    finally:
        for _, sql in triggers:
            op.execute(sql)

"""Retention: legal holds on a casus and the destruction of its personal data.

- `Bewaarblokkade`: a legal hold (an ongoing complaint, a court case). While one is active
  (`opgeheven_op` empty) the casus is never destroyed; at most one active hold per casus.
- `Vernietiging`: one row per destroyed casus, written *before* anything is deleted, so a crash
  halfway leaves a record of what must still go; `voltooid_op` is set in the transaction that
  empties the last field, `gemeld_op` in the one that queues the report to beheer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, String, text
from sqlmodel import Field, SQLModel

from models.opslag.typen import UTCDateTime, nu


class Bewaarblokkade(SQLModel, table=True):
    __table_args__ = (
        Index("uq_bewaarblokkade_actief", "casus_id", unique=True,
              sqlite_where=text("opgeheven_op IS NULL"), postgresql_where=text("opgeheven_op IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    # Why, as beheer names it (a complaint's or court case's number): no personal data.
    reden: str = Field(sa_type=String(500))
    door: str = Field(sa_type=String(120))
    geplaatst_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    opgeheven_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    opgeheven_door: str | None = Field(default=None, sa_type=String(120))
    opheffingsreden: str | None = Field(default=None, sa_type=String(500))


class Vernietiging(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id", unique=True)
    gestart_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    voltooid_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    gemeld_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    door: str = Field(sa_type=String(120))
    # What went, as counts (letters, print-queue copies, meldingen, people...): no values.
    aantallen: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def wis_grondig(session) -> None:
    """SQLite leaves an overwritten value in the file's free space: have it zero that space for
    the rest of this connection (PostgreSQL: see docs/beheer.md, vacuum)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def leeg_logboek(session) -> None:
    """SQLite's write-ahead log still holds earlier copies of the changed pages: copy it into the
    file and empty it. Best effort: a reader that holds an old snapshot leaves it for the next run."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

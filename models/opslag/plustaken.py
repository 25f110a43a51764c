"""What the plustaken (seed 003) leave in the case store.

- `SamenOptrekken`: an onderzoek that VT and a sociaal team started together; one row per
  decision that started it (the report counts them per gemeente).
- `PlustaakActiviteit`: a voorlichting or deskundigheidsbevordering VT gave for a gemeente. Not
  about a family: date, gemeente, kind, audience (a kind of organisation or team, never a
  person), hours and the number of participants. `sleutel` makes the same registration sent
  twice one row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, Numeric, String
from sqlmodel import Field, SQLModel

from models.opslag.typen import UTCDateTime, nu


class SamenOptrekken(SQLModel, table=True):
    __tablename__ = "samenoptrekken"

    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    beslissing_id: int = Field(foreign_key="beslissing.id", unique=True)
    gemeente_code: str = Field(sa_type=String(6))
    lokaal_team_code: str = Field(sa_type=String(32), foreign_key="lokaalteam.code")
    start_op: dt.datetime = Field(sa_type=UTCDateTime)
    vastgelegd_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)


class PlustaakActiviteit(SQLModel, table=True):
    __tablename__ = "plustaakactiviteit"
    __table_args__ = (Index("ix_plustaakactiviteit_gemeente_datum", "gemeente_code", "datum"),)

    id: int | None = Field(default=None, primary_key=True)
    sleutel: str = Field(sa_type=String(64), unique=True)
    datum: dt.date = Field(sa_type=Date)
    gemeente_code: str = Field(sa_type=String(6), foreign_key="gemeente.code")
    soort: str = Field(sa_type=String(32))  # a Plustaak: voorlichting or deskundigheidsbevordering
    doelgroep: str = Field(sa_type=String(120))
    uren: float = Field(sa_type=Numeric(7, 2, asdecimal=False))
    deelnemers: int
    door: str = Field(sa_type=String(120))
    vastgelegd_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)

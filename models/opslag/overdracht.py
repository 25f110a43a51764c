"""What people decided about a casus, and its handovers to the lokaal team.

- `Beslissing`: every decision taken in a lifecycle form, once per decision occurrence (its
  `sleutel` is unique): who, what, codes only. Its follow-ups (letters, e-mails) are done
  after it is stored and marked with `nazorg_klaar_op`, so a crash in between repeats nothing
  and loses nothing.
- `Veiligheidsvoorwaarden`: the safety conditions of Voorwaarden & Vervolg (free text: encrypted).
- `Overdracht`: the handover to a lokaal team, its driegesprek or overdrachtstafel and who holds regie.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from models.opslag.typen import UTCDateTime, Versleuteld, nu


class OverdrachtStatus(StrEnum):
    gepland = "gepland"
    driegesprek_gepland = "driegesprek_gepland"
    afgerond = "afgerond"
    terug_naar_vt = "terug_naar_vt"  # the overdrachtstafel sent the casus back to VT: not taken over


AFGESLOTEN_OVERDRACHT = (OverdrachtStatus.afgerond, OverdrachtStatus.terug_naar_vt)


class Beslissing(SQLModel, table=True):
    __tablename__ = "beslissing"

    id: int | None = Field(default=None, primary_key=True)
    sleutel: str = Field(sa_type=String(120), unique=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    moment: str = Field(sa_type=String(32))
    keuze: str = Field(sa_type=String(48))
    van_status: str = Field(sa_type=String(32))
    naar_status: str | None = Field(default=None, sa_type=String(32))
    # For a casus sent to the werkvoorraad: the step that starts when it leaves it.
    gepland: str | None = Field(default=None, sa_type=String(32))
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    door: str = Field(sa_type=String(120))
    genomen_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    nazorg_klaar_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Veiligheidsvoorwaarden(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    beslissing_id: int = Field(foreign_key="beslissing.id")
    tekst: str = Field(sa_type=Versleuteld)
    vastgesteld_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)


class Overdracht(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    type: str = Field(sa_type=String(16))
    lokaal_team_code: str = Field(sa_type=String(32), foreign_key="lokaalteam.code")
    regie: str = Field(sa_type=String(32))
    driegesprek_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    locatie: str | None = Field(default=None, sa_type=String(32))
    deelnemers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: OverdrachtStatus = Field(sa_type=String(24), default=OverdrachtStatus.gepland)
    aangemaakt_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    afgerond_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Continuity plan (seed 004): the start of the overdrachtstafel where this casus is discussed.
    overdrachtstafel_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

"""The `werkdag` table: every calendar day with the running count of working days, mirrored from
the settings' calendar so the report's queries count working days by subtracting."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlmodel import Field, Session, SQLModel

from models.opslag.typen import UTCDateTime
from models.regels.instellingen import Instellingen
from models.regels.kalender import Werkkalender, werkkalender
from models.regels.perioden import middernacht


class Werkdag(SQLModel, table=True):
    """One calendar day with the running count of working days up to and including it, so the
    database counts working days between two dates by subtracting (the same count as
    `Werkkalender.werkdagen_tussen`). Filled from the settings by `synchroniseer_werkdagen`."""

    datum: dt.date = Field(primary_key=True)
    begin_utc: dt.datetime = Field(sa_type=UTCDateTime, unique=True)  # local midnight, in UTC
    werkdag: bool
    volgnummer: int


def _werkdagrijen(instellingen: Instellingen) -> list[dict]:
    kalender: Werkkalender = werkkalender(instellingen)
    r = instellingen.rapportage
    dag, laatste = dt.date(r.werkdagen_vanaf_jaar, 1, 1), dt.date(r.werkdagen_tot_en_met_jaar, 12, 31)
    rijen, volgnummer = [], 0
    while dag <= laatste:
        werkdag = kalender.is_werkdag(dag)
        volgnummer += werkdag
        rijen.append(dict(datum=dag, begin_utc=middernacht(dag), werkdag=werkdag, volgnummer=volgnummer))
        dag += dt.timedelta(days=1)
    return rijen


def synchroniseer_werkdagen(session: Session, instellingen: Instellingen) -> int:
    """Bring the `werkdag` table in line with the settings' calendar (feestdagen plus the extra
    non-working days). Writes only when something changed; returns the number of rows written."""
    gewenst = _werkdagrijen(instellingen)
    huidig = session.execute(
        select(Werkdag.datum, Werkdag.werkdag, Werkdag.volgnummer).order_by(Werkdag.datum)
    ).all()
    if [tuple(r) for r in huidig] == [(r["datum"], r["werkdag"], r["volgnummer"]) for r in gewenst]:
        return 0
    session.execute(delete(Werkdag))
    session.execute(insert(Werkdag), gewenst)
    return len(gewenst)

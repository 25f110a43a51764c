"""Human-readable case references (VT-2026-000123), allocated from a counter per year.

A counter row is bumped with one UPDATE ... RETURNING, so concurrent intakes and bulk imports
never hand out the same number."""

from __future__ import annotations

from sqlalchemy import String, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel


class Teller(SQLModel, table=True):
    soort: str = Field(sa_type=String(16), primary_key=True)
    jaar: int = Field(primary_key=True)
    waarde: int = 0


def _reserveer(session: Session, soort: str, jaar: int, aantal: int) -> range:
    opgehoogd = session.execute(
        update(Teller)
        .where(Teller.soort == soort, Teller.jaar == jaar)
        .values(waarde=Teller.waarde + aantal)
        .returning(Teller.waarde)
    ).scalar_one_or_none()
    if opgehoogd is None:
        try:
            with session.begin_nested():
                session.execute(insert(Teller).values(soort=soort, jaar=jaar, waarde=aantal))
            opgehoogd = aantal
        except IntegrityError:  # someone else created the counter first
            return _reserveer(session, soort, jaar, aantal)
    return range(opgehoogd - aantal + 1, opgehoogd + 1)


def nieuwe_casusreferenties(session: Session, jaar: int, aantal: int = 1) -> list[str]:
    return [f"VT-{jaar}-{n:06d}" for n in _reserveer(session, "casus", jaar, aantal)]


def meldingreferentie(casusreferentie: str, volgnummer: int) -> str:
    return f"{casusreferentie}-M{volgnummer}"

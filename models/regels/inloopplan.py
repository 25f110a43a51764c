"""Inloopplan (seed 004): when is the wachtlijst back at its usual level, and what extra capacity
would get it there by a target date. Pure arithmetic on counts; no storage, no Prefect.

Method, in one sentence (the report prints `METHODE`): over the last `venster_weken` weeks we
count how many casussen came onto the wachtlijst (instroom) and how many left it (doorstroom),
and assume both go on at that weekly pace; the wachtlijst then shrinks by doorstroom minus
instroom per week until it reaches its usual level.

The usual level is the wachtlijst at which a newly waiting family waits the usual time
(`gebruikelijke_wachttijd_werkdagen`, five working days a week): instroom per week times that
wait (Little's law: length = arrivals x wait). It comes from the settings the region already
keeps for the wachtlijst letter, follows each gemeente's size, and needs no history from
before a summer the system may not have seen.

All arithmetic is exact (fractions): a plan never flips between "gelijk" and "groeit" on a
rounding error. Dates count whole days up from the peildatum; extra capacity rounds up to whole
casussen per week (fewer would miss the target).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel

from models.regels.onderdrukking import Cel

WERKDAGEN_PER_WEEK = 5


class Verloop(StrEnum):
    op_niveau = "op_niveau"  # already at or below the usual level
    slinkt = "slinkt"  # shrinks: a date
    gelijk = "gelijk"  # as many leave as come in: no date
    groeit = "groeit"  # more come in than leave: no date


@dataclass(frozen=True)
class Doorstroom:
    """The counts of one area (a gemeente or the region) a plan is computed from."""

    gebied: str
    stand: int  # casussen on the wachtlijst at the peildatum
    instroom: int  # came onto the wachtlijst in the window
    uitstroom: int  # left it in the window (started, handed over, closed)


@dataclass(frozen=True)
class Plan:
    gebied: str
    peildatum: dt.date
    venster_weken: int
    stand: int
    instroom_per_week: Fraction
    uitstroom_per_week: Fraction
    extra_capaciteit: int  # casussen per week on top of the measured doorstroom
    gebruikelijk_niveau: Fraction
    verloop: Verloop
    weken: Fraction | None  # until the usual level (None: never at this pace)
    datum: dt.date | None  # the day it is back at the usual level
    doel: dt.date
    extra_voor_doel: int  # extra casussen per week (beyond extra_capaciteit) to be there by `doel`

    @property
    def afname_per_week(self) -> Fraction:
        return self.uitstroom_per_week + self.extra_capaciteit - self.instroom_per_week


class OngeldigDoel(ValueError):
    pass


def gebruikelijk_niveau(instroom_per_week: Fraction, gebruikelijke_wachttijd_werkdagen: int) -> Fraction:
    return instroom_per_week * Fraction(gebruikelijke_wachttijd_werkdagen, WERKDAGEN_PER_WEEK)


def bereken(
    doorstroom: Doorstroom, *, peildatum: dt.date, venster_weken: int, gebruikelijke_wachttijd_werkdagen: int,
    doel: dt.date, extra_capaciteit: int = 0,
) -> Plan:
    """The plan of one area. `extra_capaciteit`: casussen per week VT would handle on top of the
    measured doorstroom; `extra_voor_doel` is what it takes beyond that to be at the usual
    level on `doel`."""
    if doel <= peildatum:
        raise OngeldigDoel(f"de doeldatum {doel:%d-%m-%Y} ligt niet na de peildatum {peildatum:%d-%m-%Y}")
    if extra_capaciteit < 0:
        raise OngeldigDoel("extra capaciteit kan niet negatief zijn")
    instroom = Fraction(doorstroom.instroom, venster_weken)
    uitstroom = Fraction(doorstroom.uitstroom, venster_weken)
    niveau = gebruikelijk_niveau(instroom, gebruikelijke_wachttijd_werkdagen)
    teveel = doorstroom.stand - niveau
    afname = uitstroom + extra_capaciteit - instroom
    if teveel <= 0:
        verloop, weken = Verloop.op_niveau, Fraction(0)
    elif afname > 0:
        verloop, weken = Verloop.slinkt, teveel / afname
    else:
        verloop, weken = (Verloop.gelijk if afname == 0 else Verloop.groeit), None
    datum = None if weken is None else peildatum + dt.timedelta(days=math.ceil(weken * 7))
    doelweken = Fraction((doel - peildatum).days, 7)
    extra = max(0, math.ceil(teveel / doelweken - afname)) if teveel > 0 else 0
    return Plan(
        gebied=doorstroom.gebied, peildatum=peildatum, venster_weken=venster_weken, stand=doorstroom.stand,
        instroom_per_week=instroom, uitstroom_per_week=uitstroom, extra_capaciteit=extra_capaciteit,
        gebruikelijk_niveau=niveau, verloop=verloop, weken=weken, datum=datum, doel=doel, extra_voor_doel=extra,
    )


# --- the published plan (the report and `vt inloopplan`) ---------------------------------------


class Inloopregel(BaseModel):
    """The plan of one area as published: counts suppressed like the report's, and the plan
    itself only where every count it is derived from is shown (a date computed from a small
    count would give that count away, so it is a small count too)."""

    code: str  # CBS code, or "regio"
    naam: str
    stand: Cel
    instroom: Cel  # in the window
    uitstroom: Cel
    instroom_per_week: float | None
    uitstroom_per_week: float | None
    gebruikelijk_niveau: int | None  # rounded up: whole casussen
    verloop: Verloop | None  # None: not shown (suppressed counts)
    weken: float | None
    datum: dt.date | None
    extra_voor_doel: int | None

    @property
    def getoond(self) -> bool:
        return self.verloop is not None


class Inloopplanrapport(BaseModel):
    peildatum: dt.date
    venster_weken: int
    # The report's window is the latest block of `venster_weken` that is over: it ends on this
    # day. None: it ends at the peildatum (`vt inloopplan`, and reports archived before blocks).
    venster_eind: dt.date | None = None
    doel: dt.date
    extra_capaciteit: int
    gebruikelijke_wachttijd_werkdagen: int
    minimum_aantal: int
    gemeenten: list[Inloopregel]
    regio: Inloopregel

    @property
    def gebieden(self) -> list[Inloopregel]:
        return [*self.gemeenten, self.regio]


def doeldatum(peildatum: dt.date, doeldatum_instelling: dt.date | None, doel_weken: int) -> dt.date:
    """The target of the report: the fixed date in the settings while it lies ahead, else
    `doel_weken` after the peildatum."""
    if doeldatum_instelling is not None and doeldatum_instelling > peildatum:
        return doeldatum_instelling
    return peildatum + dt.timedelta(weeks=doel_weken)

"""The plustaken in figures (seed 003): what a gemeente bought and what VT gave, for the
biweekly report and the yearly overview for the contract talks.

Suppression: the activities (voorlichting, deskundigheidsbevordering) are VT's own work for
professionals: a date, a kind of audience, hours and a head count of participants. No household
is in them, so no count can single a family out, and the small-count rule does not apply; the
hours must be exact to be set against the purchased hours. Joint onderzoeken (samen optrekken)
are onderzoeken of families: that count is suppressed like every count about casussen
(models/regels/onderdrukking.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session

from models.opslag.plustaken import PlustaakActiviteit, SamenOptrekken
from models.regels.instellingen import Instellingen, Plustaak
from models.regels.kalender import AMSTERDAM
from models.regels.onderdrukking import REGIO, Cel, kolomlijnen, onderdruk

ACTIVITEITEN = (Plustaak.voorlichting, Plustaak.deskundigheidsbevordering)


def activiteiten(session: Session, codes: Sequence[str], van: dt.date, tot_en_met: dt.date) -> dict:
    """(gemeente, soort) -> (activities, hours, participants) with a date in [van, tot_en_met]."""
    a = PlustaakActiviteit
    rijen = session.execute(
        select(a.gemeente_code, a.soort, func.count(), func.coalesce(func.sum(a.uren), 0),
               func.coalesce(func.sum(a.deelnemers), 0))
        .where(a.datum >= van, a.datum <= tot_en_met, a.gemeente_code.in_(codes))
        .group_by(a.gemeente_code, a.soort)
    )
    return {(g, s): (int(n), float(u), int(d)) for g, s, n, u, d in rijen}


def samen_opgetrokken(session: Session, codes: Sequence[str], van: dt.datetime, tot: dt.datetime) -> dict[str, int]:
    """Joint onderzoeken started (decided) in [van, tot), per gemeente."""
    s = SamenOptrekken
    rijen = session.execute(
        select(s.gemeente_code, func.count())
        .where(s.vastgelegd_op >= van, s.vastgelegd_op < tot, s.gemeente_code.in_(codes))
        .group_by(s.gemeente_code)
    )
    return {g: int(n) for g, n in rijen}


def onderdrukte_samen(per_gemeente: dict[str, int], codes: Sequence[str], minimum: int) -> dict[str, Cel]:
    """Joint onderzoeken per gemeente and for the region, suppressed (counts about families)."""
    waarden = {(g, "samen"): per_gemeente.get(g, 0) for g in codes}
    waarden[(REGIO, "samen")] = sum(per_gemeente.get(g, 0) for g in codes)
    cellen = onderdruk(waarden, kolomlijnen([*codes, REGIO], ["samen"]), minimum)
    return {g: cellen[(g, "samen")] for g in [*codes, REGIO]}


class Plustaakregel(BaseModel):
    """One bought activity task of a gemeente: given against purchased (hours, not suppressed)."""

    soort: str  # voorlichting | deskundigheidsbevordering
    activiteiten: int
    uren: float
    deelnemers: int
    ingekocht_uren: float
    aandeel: float  # percent of the purchased hours used


def _procent(uren: float, ingekocht: float) -> float:
    """One decimal, half up as people round (2.5 of 40 hours is 6.3%, not 6.2%): the hours are
    typed as decimals, so computed in decimals."""
    return float((100 * Decimal(str(uren)) / Decimal(str(ingekocht))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def regels(gemeente, gegeven: dict) -> list[Plustaakregel]:
    """The rows of the tasks `gemeente` buys, from `activiteiten(...)`."""
    uit = []
    for soort in ACTIVITEITEN:
        if not gemeente.neemt_af(soort):
            continue
        n, uren, deelnemers = gegeven.get((gemeente.code, soort.value), (0, 0.0, 0))
        ingekocht = gemeente.plustaken.uren_per_jaar(soort)
        uit.append(Plustaakregel(soort=soort.value, activiteiten=n, uren=uren, deelnemers=deelnemers,
                                 ingekocht_uren=ingekocht, aandeel=_procent(uren, ingekocht)))
    return uit


class PlustaakInRapport(BaseModel):
    """One bought activity task in the biweekly report: the period, and the year so far against
    the purchased hours."""

    soort: str
    activiteiten: int
    uren: float
    deelnemers: int
    uren_jaar: float
    ingekocht_uren: float
    aandeel_jaar: float  # percent of the year's purchased hours used so far


def rapportregels(gemeente, periode: dict, jaar: dict) -> list[PlustaakInRapport]:
    """The report's rows of `gemeente` from `activiteiten(...)` over the period and the year."""
    jaarregels = {r.soort: r for r in regels(gemeente, jaar)}
    return [PlustaakInRapport(soort=r.soort, activiteiten=r.activiteiten, uren=r.uren, deelnemers=r.deelnemers,
                              uren_jaar=jaarregels[r.soort].uren, ingekocht_uren=r.ingekocht_uren,
                              aandeel_jaar=jaarregels[r.soort].aandeel)
            for r in regels(gemeente, periode)]


class GemeenteJaar(BaseModel):
    code: str
    naam: str
    afgenomen: list[str]
    taken: list[Plustaakregel]
    samen_optrekken: Cel | None  # joint onderzoeken in the year (suppressed); None: not bought


class Jaaroverzicht(BaseModel):
    """The plustaken of one calendar year per gemeente that buys any, for the contract talks."""

    regio_naam: str
    jaar: int
    tot_en_met: dt.date  # the year so far, or its last day
    minimum_aantal: int
    gemeenten: list[GemeenteJaar]


def jaaroverzicht(session: Session, instellingen: Instellingen, jaar: int, vandaag: dt.date) -> Jaaroverzicht:
    """Every gemeente with plustaken: per activity task the activities, hours and participants of
    `jaar` (up to `vandaag` in the running year) against its purchased hours per year, and the
    joint onderzoeken started that year (suppressed over the gemeenten of the region)."""
    eerste, laatste = dt.date(jaar, 1, 1), min(dt.date(jaar, 12, 31), vandaag)
    codes = [g.code for g in instellingen.gemeenten]
    gegeven = activiteiten(session, codes, eerste, laatste)
    van = dt.datetime.combine(eerste, dt.time(0), tzinfo=AMSTERDAM)
    tot = dt.datetime.combine(dt.date(jaar + 1, 1, 1), dt.time(0), tzinfo=AMSTERDAM)
    samen = onderdrukte_samen(samen_opgetrokken(session, codes, van, tot), codes, instellingen.rapportage.minimum_aantal)
    return Jaaroverzicht(
        regio_naam=instellingen.regio.naam, jaar=jaar, tot_en_met=laatste,
        minimum_aantal=instellingen.rapportage.minimum_aantal,
        gemeenten=[
            GemeenteJaar(code=g.code, naam=g.naam, afgenomen=[t.value for t in g.plustaken.afgenomen],
                         taken=regels(g, gegeven),
                         samen_optrekken=samen[g.code] if g.neemt_af(Plustaak.samen_optrekken) else None)
            for g in instellingen.gemeenten if g.plustaken is not None
        ],
    )

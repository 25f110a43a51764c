"""The plustaken in figures (seed 003): what a gemeente bought and what VT gave, for the
biweekly report and the yearly overview for the contract talks.

Suppression: the activities (voorlichting, deskundigheidsbevordering) are VT's own work for
professionals: a date, a kind of audience, hours and a head count of participants. No household
is in them, so no count can single a family out, and the small-count rule does not apply; the
hours must be exact to be set against the purchased hours. Joint onderzoeken (samen optrekken)
are onderzoeken of families: that count is suppressed like every count about casussen
(models/regels/onderdrukking.py), and the yearly overview's count also against the biweekly
reports that showed it per period (`samen_in_jaaroverzicht`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session

from models.opslag.communicatie import Rapport
from models.opslag.plustaken import PlustaakActiviteit, SamenOptrekken
from models.regels.instellingen import Instellingen, Plustaak
from models.regels.onderdrukking import REGIO, VERBORGEN, Cel, klein, kolomlijnen, onderdruk
from models.regels.perioden import Periode

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


# --- the joint onderzoeken of the yearly overview -------------------------------------------------
#
# Each biweekly report shows the joint onderzoeken of its period, suppressed. A year-to-date count
# beside them gives a hidden one away (6 in the year, 5 in the one period shown: the other had 1),
# and so do two overviews made on different days. So the overview counts only whole periods whose
# report went out (from the start of the first report of the year to the end of the last one so
# far: the count changes only when a report goes out), and is suppressed together with those
# reports as sent and with every overview that could have been made before it. Those earlier
# overviews are not archived: they are worked out again here, in order, by this same rule. Only
# this overview's own figures are ever hidden; an "x" of an earlier overview counts as not
# shown (a small count behind it stays protected), a report's "x" as hidden by that report.


@dataclass(frozen=True)
class Stuk:
    """A stretch of the overview's span: a period whose report went out, or a stretch between
    two such periods that no sent report covers."""

    periode: Periode
    waarden: Mapping[str, int]  # joint onderzoeken per gemeente code (the true counts)
    getoond: Mapping[str, Cel | None] | None  # per gemeente code and REGIO as the report showed it; None: no report


def samen_in_jaaroverzicht(stukken: Sequence[Stuk], codes: Sequence[str], minimum: int) -> list[dict[str, Cel]]:
    """Per stretch with a sent report, in order: the joint onderzoeken from the first stretch up to
    it per gemeente code and REGIO as the overview made then shows them, suppressed so that,
    together with the reports as sent and the overviews before it, no hidden or small count can
    be worked out."""
    gebieden = [*codes, REGIO]
    # The region's figure is not in the overview, but counted as shown: a reader adds the
    # gemeenten up, and it keeps the overview safe should it ever be shown.
    waarden, lijnen, onzichtbaar, verborgen, getoond = {}, [], set(), set(), {}
    for i, stuk in enumerate(stukken):
        for g in codes:
            waarden[("stuk", i, g)] = stuk.waarden.get(g, 0)
        waarden[("stuk", i, REGIO)] = sum(stuk.waarden.get(g, 0) for g in codes)
        lijnen.append([("stuk", i, g) for g in gebieden])
        for g in gebieden:
            _als_getoond(("stuk", i, g), None if stuk.getoond is None else stuk.getoond.get(g), waarden, minimum,
                         onzichtbaar, verborgen, getoond)
    overzichten, vorige = [], None
    for k, stuk in enumerate(stukken):
        if stuk.getoond is None:
            continue
        nieuw = [("jaar", k, g) for g in gebieden]
        for g in gebieden:  # the previous overview plus the stretches since (the same as the sum of all)
            eerder = [("jaar", vorige, g)] if vorige is not None else []
            sinds = [("stuk", i, g) for i in range(0 if vorige is None else vorige + 1, k + 1)]
            waarden[("jaar", k, g)] = sum(waarden[c] for c in [*eerder, *sinds])
            lijnen.append([*eerder, *sinds, ("jaar", k, g)])
        lijnen.append(nieuw)
        vorige = k

        gewenst = {c: klein(minimum) if 0 < waarden[c] < minimum else waarden[c] for c in nieuw}

        def veilig(toon: dict, nieuw=nieuw) -> bool:
            """Nothing hidden or small can be worked out with these new figures shown (the rest
            of this overview not) beside everything shown before: suppressing it all changes nothing."""
            cellen = onderdruk(waarden, lijnen, minimum, onzichtbaar=onzichtbaar | (set(nieuw) - set(toon)),
                               verborgen=verborgen)
            return all(cellen[c] == zo for c, zo in (getoond | toon).items())

        # Mostly the suppression of this overview's figures beside the rest leaves the rest as
        # it went out. Otherwise (it would hide a cell shown before) each figure in turn, the
        # gemeenten before the region, where it is safe beside those shown already. A figure
        # not shown is "x".
        voorstel = onderdruk(waarden, lijnen, minimum, onzichtbaar=onzichtbaar, verborgen=verborgen,
                             rang=lambda c, nieuw=set(nieuw): 10 * (c not in nieuw) + (c[2] == REGIO))
        if all(voorstel[c] == zo for c, zo in getoond.items()):
            toon = {c: voorstel[c] for c in nieuw if voorstel[c] != VERBORGEN}
        else:
            toon = {c: 0 for c in nieuw if waarden[c] == 0}
            for cel in nieuw:
                if cel not in toon and veilig(toon | {cel: gewenst[cel]}):
                    toon[cel] = gewenst[cel]
        overzichten.append({g: toon.get(("jaar", k, g), VERBORGEN) for g in gebieden})
        getoond |= toon
        onzichtbaar |= set(nieuw) - set(toon)  # "x": what a reader may not know, a small count still protected
    return overzichten


def _als_getoond(cel, zo: Cel | None, waarden: dict, minimum: int, onzichtbaar: set, verborgen: set,
                 getoond: dict) -> None:
    """Record how a reader saw `cel`: not at all, as a number, as "<minimum" (it is small:
    1 to minimum - 1), or as hidden ("x", or a "<minimum" whose count has changed since)."""
    if zo is None:
        onzichtbaar.add(cel)
    elif isinstance(zo, str) and not (zo == klein(minimum) and 0 < waarden[cel] < minimum):
        verborgen.add(cel)
        getoond[cel] = VERBORGEN
    else:
        getoond[cel] = zo if isinstance(zo, str) else waarden[cel]


def _verzonden_rapporten(session: Session, jaar: int, tot_en_met: dt.date) -> list[Rapport]:
    """Per period ending in `jaar` up to `tot_en_met` whose report went out, its latest sent version
    (one archived but not sent yet: that one), oldest period first."""
    rapporten = session.execute(
        select(Rapport).where(Rapport.periode_eind >= dt.date(jaar, 1, 1), Rapport.periode_eind <= tot_en_met)
        .order_by(Rapport.periode_eind, Rapport.verzonden_op.is_(None), Rapport.versie.desc())
    ).scalars()
    per_periode: dict[dt.date, Rapport] = {}
    for rapport in rapporten:
        per_periode.setdefault(rapport.periode_eind, rapport)
    return list(per_periode.values())


def _getoond(cijfers: dict) -> dict[str, Cel | None]:
    """The joint onderzoeken per gemeente code and REGIO as a report's published figures show them."""
    return {g["code"]: g.get("samen_optrekken") for g in [*cijfers["gemeenten"], cijfers["regio"]]}


def stukken(session: Session, codes: Sequence[str], jaar: int, tot_en_met: dt.date) -> list[Stuk]:
    """The overview's span in stretches: every period of `jaar` whose report went out, and between
    two of them what no sent report covers."""
    uit: list[Stuk] = []
    for rapport in _verzonden_rapporten(session, jaar, tot_en_met):
        periode = Periode(rapport.periode_start, rapport.periode_eind)
        if uit and periode.start > uit[-1].periode.eind + dt.timedelta(days=1):
            tussen = Periode(uit[-1].periode.eind + dt.timedelta(days=1), periode.start - dt.timedelta(days=1))
            uit.append(Stuk(tussen, samen_opgetrokken(session, codes, tussen.begin_utc, tussen.eind_utc), None))
        uit.append(Stuk(periode, samen_opgetrokken(session, codes, periode.begin_utc, periode.eind_utc),
                        _getoond(rapport.cijfers)))
    return uit


class GemeenteJaar(BaseModel):
    code: str
    naam: str
    afgenomen: list[str]
    taken: list[Plustaakregel]
    # Joint onderzoeken from samen_van to samen_tot_en_met (suppressed; "x" before the year's
    # first report went out); None: not bought.
    samen_optrekken: Cel | None


class Jaaroverzicht(BaseModel):
    """The plustaken of one calendar year per gemeente that buys any, for the contract talks."""

    regio_naam: str
    jaar: int
    tot_en_met: dt.date  # the year so far, or its last day
    minimum_aantal: int
    gemeenten: list[GemeenteJaar]
    # The span of the joint onderzoeken: the whole periods of the year's sent reports (None: none yet).
    samen_van: dt.date | None = None
    samen_tot_en_met: dt.date | None = None


def jaaroverzicht(session: Session, instellingen: Instellingen, jaar: int, vandaag: dt.date) -> Jaaroverzicht:
    """Every gemeente with plustaken: per activity task the activities, hours and participants of
    `jaar` (up to `vandaag` in the running year) against its purchased hours per year, and the
    joint onderzoeken in the periods of that year whose biweekly report went out (suppressed with
    those reports, `samen_in_jaaroverzicht`)."""
    eerste, laatste = dt.date(jaar, 1, 1), min(dt.date(jaar, 12, 31), vandaag)
    codes = [g.code for g in instellingen.gemeenten]
    gegeven = activiteiten(session, codes, eerste, laatste)
    minimum = instellingen.rapportage.minimum_aantal
    delen = stukken(session, codes, jaar, laatste)
    overzichten = samen_in_jaaroverzicht(delen, codes, minimum)
    samen = overzichten[-1] if overzichten else {g: VERBORGEN for g in codes}
    return Jaaroverzicht(
        regio_naam=instellingen.regio.naam, jaar=jaar, tot_en_met=laatste, minimum_aantal=minimum,
        samen_van=delen[0].periode.start if delen else None, samen_tot_en_met=delen[-1].periode.eind if delen else None,
        gemeenten=[
            GemeenteJaar(code=g.code, naam=g.naam, afgenomen=[t.value for t in g.plustaken.afgenomen],
                         taken=regels(g, gegeven),
                         samen_optrekken=samen[g.code] if g.neemt_af(Plustaak.samen_optrekken) else None)
            for g in instellingen.gemeenten if g.plustaken is not None
        ],
    )

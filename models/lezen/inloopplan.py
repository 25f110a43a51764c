"""The counts the inloopplan is computed from (models/regels/inloopplan.py), per gemeente and for
the region: the wachtlijst at the peildatum and how many casussen came onto it and left it in the
window. One grouped statement over the report's own spells per dienst
(`models.lezen.rapportage._intervallen`), so the plan and the report's werkvoorraad agree.

The window covers the local days (peildatum - venster_weken weeks, peildatum]; "at the
peildatum" is local midnight after it, as in the report.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

from sqlalchemy import and_, literal, or_, select
from sqlmodel import Session

from models.lezen.rapportage import Dienst, Rapportcijfers, _intervallen, _open_op, _per_gemeente, _som
from models.opslag.typen import UTCDateTime
from models.regels.inloopplan import Doorstroom, Inloopplanrapport, Inloopregel, bereken, doeldatum
from models.regels.instellingen import Instellingen
from models.regels.onderdrukking import REGIO, VERBORGEN, Cel, kolomlijnen, marge_rang, onderdruk
from models.regels.perioden import Periode


def venster(peildatum: dt.date, weken: int) -> tuple[Periode, Periode]:
    """(the day before the window, the peildatum) as report periods: the spells `_intervallen`
    keeps are those that reach either end, so every spell that touches the window."""
    voor = peildatum - dt.timedelta(weeks=weken)
    return Periode(voor, voor), Periode(peildatum, peildatum)


def doorstroom(session: Session, codes: Sequence[str], peildatum: dt.date, weken: int) -> dict[str, Doorstroom]:
    """Per gemeente code and REGIO: stand, instroom and uitstroom of the wachtlijst."""
    voor, peil = venster(peildatum, weken)
    begin, eind = literal(voor.eind_utc, UTCDateTime()), literal(peil.eind_utc, UTCDateTime())
    i = _intervallen([voor, peil], codes).c
    op_wachtlijst = i.dienst == Dienst.wachtlijst.value
    # A spell ends when the casus changes dienst (tot) or, should no status event say so, closes.
    einde = or_(and_(i.tot.is_not(None), i.tot >= begin, i.tot < eind),
                and_(i.tot.is_(None), i.afgesloten_op >= begin, i.afgesloten_op < eind))
    gegroepeerd = (
        select(i.gemeente_code,
               _som(and_(op_wachtlijst, _open_op(i, peil.eind_utc))).label("stand"),
               _som(and_(op_wachtlijst, i.sinds >= begin, i.sinds < eind)).label("instroom"),
               _som(and_(op_wachtlijst, einde)).label("uitstroom"))
        .group_by(i.gemeente_code)
    )
    tellingen = _per_gemeente(session, gegroepeerd)
    return {g: Doorstroom(g, **tellingen.get(g, dict(stand=0, instroom=0, uitstroom=0))) for g in [*codes, REGIO]}


# --- the published plan ---------------------------------------------------------------------


def _afgerond(waarde: Fraction, decimalen: int) -> float:
    """Half up, as people round (2.125 -> 2.13), not to the nearest even float."""
    schaal = 10 ** decimalen
    return math.floor(waarde * schaal + Fraction(1, 2)) / schaal


def _cellen(per_gebied: dict[str, dict[str, int]], minimum: int) -> dict[tuple[str, str], Cel]:
    """Suppress counts whose columns add up to the region's figure."""
    gebieden, namen = list(per_gebied), list(next(iter(per_gebied.values())))
    waarden = {(g, n): v for g, rij in per_gebied.items() for n, v in rij.items()}
    return onderdruk(waarden, kolomlijnen(gebieden, namen), minimum, rang=marge_rang(None))


_STANDEN = ("voor", "stand")  # the wachtlijst at the window's start and at the peildatum
_STROMEN = ("instroom", "uitstroom")


def _stromen(tellingen: Mapping[str, Doorstroom], gebieden: Sequence[str], minimum: int,
             getoond: Mapping[tuple[str, str], Cel | None]) -> dict[tuple[str, str], Cel]:
    """Instroom and uitstroom suppressed together with what a reader knows beside them: per
    area the wachtlijst at the window's start plus the instroom is the wachtlijst at the
    peildatum plus the uitstroom, and every column adds up to the region. So a report that
    showed both wachtlijsten cannot be set beside a shown instroom to give a hidden uitstroom
    away, nor a wachtlijst a report hid be worked out from the flows.

    `getoond`: each wachtlijst as published (None: never published). A wachtlijst a report hid
    stays hidden here; one it showed stays shown: should protecting the flows need to hide it
    (its area's flows are 0 or hidden already), that area's flows are hidden instead."""
    waarden, onzichtbaar, verborgen = {}, [], set()
    for g in gebieden:
        t = tellingen[g]
        waarden |= {(g, "voor"): t.stand - t.instroom + t.uitstroom, (g, "instroom"): t.instroom,
                    (g, "uitstroom"): t.uitstroom, (g, "stand"): t.stand}
        for naam in _STANDEN:
            cel = getoond[(g, naam)]
            if cel is None:
                onzichtbaar.append((g, naam))
            elif isinstance(cel, str):
                verborgen.add((g, naam))
    lijnen = [*kolomlijnen(list(gebieden), [*_STANDEN, *_STROMEN]),
              *({(g, "voor"): 1, (g, "instroom"): 1, (g, "stand"): -1, (g, "uitstroom"): -1} for g in gebieden)]

    def rang(k) -> int:  # hide a flow before a wachtlijst, a municipality before the region
        return 2 * (k[1] in _STANDEN) + (k[0] == REGIO)

    for _ in gebieden:
        cellen = onderdruk(waarden, lijnen, minimum, onzichtbaar=onzichtbaar, rang=rang, verborgen=verborgen)
        geraakt = {g for g in gebieden for n in _STANDEN
                   if isinstance(cellen.get((g, n)), str) and isinstance(getoond[(g, n)], int)}
        if not geraakt:
            return cellen
        verborgen |= {(g, n) for g in geraakt for n in _STROMEN}
    return {(g, n): VERBORGEN for g in gebieden for n in _STROMEN}


def publiceer(
    tellingen: Mapping[str, Doorstroom], instellingen: Instellingen, peildatum: dt.date, doel: dt.date,
    extra_capaciteit: int = 0, stand: Mapping[str, Cel] | None = None, stand_voor: Mapping[str, Cel] | None = None,
) -> Inloopplanrapport:
    """`stand`: the wachtlijst as another table already published it (the report's werkvoorraad):
    the same count must be hidden the same way everywhere, or one table gives away what the
    other hid. Without it the stand is suppressed here on its own. `stand_voor`: the wachtlijst
    at the window's start as an earlier report published it (None: not published)."""
    minimum = instellingen.rapportage.minimum_aantal
    weken = instellingen.inloopplan.venster_weken
    namen = {g.code: g.naam for g in instellingen.gemeenten}
    gebieden = [*namen, REGIO]
    if stand is None:
        stand = {g: c for (g, _), c in _cellen({g: {"stand": tellingen[g].stand} for g in gebieden}, minimum).items()}
    getoond = {(g, "stand"): stand[g] for g in gebieden} | {
        (g, "voor"): stand_voor[g] if stand_voor is not None else None for g in gebieden}
    cellen = _stromen(tellingen, gebieden, minimum, getoond)

    def regel(g: str) -> Inloopregel:
        getoond = {"stand": stand[g], "instroom": cellen[(g, "instroom")], "uitstroom": cellen[(g, "uitstroom")]}
        basis = dict(code=g, naam=namen.get(g, instellingen.regio.naam), **getoond)
        if not all(isinstance(c, int) for c in getoond.values()):
            return Inloopregel(**basis, instroom_per_week=None, uitstroom_per_week=None, gebruikelijk_niveau=None,
                               verloop=None, weken=None, datum=None, extra_voor_doel=None)
        plan = bereken(tellingen[g], peildatum=peildatum, venster_weken=weken, doel=doel,
                       gebruikelijke_wachttijd_werkdagen=instellingen.gebruikelijke_wachttijd_werkdagen,
                       extra_capaciteit=extra_capaciteit)
        return Inloopregel(
            **basis, instroom_per_week=_afgerond(plan.instroom_per_week, 2),
            uitstroom_per_week=_afgerond(plan.uitstroom_per_week, 2),
            gebruikelijk_niveau=math.ceil(plan.gebruikelijk_niveau), verloop=plan.verloop,
            weken=None if plan.weken is None else _afgerond(plan.weken, 1), datum=plan.datum,
            extra_voor_doel=plan.extra_voor_doel,
        )

    return Inloopplanrapport(
        peildatum=peildatum, venster_weken=weken, doel=doel, extra_capaciteit=extra_capaciteit,
        gebruikelijke_wachttijd_werkdagen=instellingen.gebruikelijke_wachttijd_werkdagen, minimum_aantal=minimum,
        gemeenten=[regel(g) for g in namen], regio=regel(REGIO),
    )


def voor_rapport(session: Session, instellingen: Instellingen, cijfers: Rapportcijfers,
                 stand_voor: Mapping[str, Cel] | None = None) -> Inloopplanrapport:
    """The report's inloopplan as of its period end, with the wachtlijst exactly as the report's
    werkvoorraad table published it, and at the window's start as the report of that day did
    (`stand_voor`; None: no report ends that day); the target from the settings."""
    peildatum = cijfers.periode_eind
    plan = instellingen.inloopplan
    tellingen = doorstroom(session, [g.code for g in instellingen.gemeenten], peildatum, plan.venster_weken)
    stand = {g.code: next(r.aantal for r in g.werkvoorraad if r.dienst == Dienst.wachtlijst.value)
             for g in cijfers.gebieden}
    return publiceer(tellingen, instellingen, peildatum, doeldatum(peildatum, plan.doeldatum, plan.doel_weken),
                     stand=stand, stand_voor=stand_voor)

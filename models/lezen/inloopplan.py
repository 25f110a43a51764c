"""The counts the inloopplan is computed from (models/regels/inloopplan.py), per gemeente and for
the region: the wachtlijst at the peildatum and how many casussen came onto it and left it in the
window. One grouped statement over the report's own spells per dienst
(`models.lezen.rapportage._intervallen`), so the plan and the report's werkvoorraad agree.

The window covers the local days (peildatum - venster_weken weeks, peildatum]; "at the
peildatum" is local midnight after it, as in the report. The report counts its block of weeks
(`bij_rapport`) one report period at a time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction

from sqlalchemy import and_, literal, or_, select
from sqlmodel import Session

from models.lezen.rapportage import (
    Dienst, Rapportcijfers, _intervallen, _open_op, _per_gemeente, _som, gepubliceerde_wachtlijst,
)
from models.opslag.typen import UTCDateTime
from models.regels.inloopplan import Doorstroom, Inloopplanrapport, Inloopregel, bereken, doeldatum
from models.regels.instellingen import Instellingen
from models.regels.onderdrukking import REGIO, VERBORGEN, Cel, kolomlijnen, marge_rang, onderdruk
from models.regels.perioden import Periode, blokeind, periode


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


_STROMEN = ("instroom", "uitstroom")


def _stromen(perioden: Sequence[Mapping[str, Doorstroom]], gebieden: Sequence[str], minimum: int,
             getoond: Sequence[Mapping[str, Cel | None]], verborgen: Iterable[tuple[str, str]] = ()
             ) -> dict[tuple[str, str], Cel]:
    """The window's instroom and uitstroom suppressed together with what a reader knows beside
    them. `perioden`: the window's report periods, oldest first (per area the wachtlijst at the
    period end and the flows in the period; one: the window as a whole); `getoond`: the
    wachtlijst at the window's start and at each period end as published (None: never).

    Per area and period the wachtlijst at its start plus the instroom is the wachtlijst at its
    end plus the uitstroom, the window's flows are the sum of its periods', and every column
    adds up to the region. So shown flows beside two shown wachtlijsten cannot give a hidden
    flow or wachtlijst away, and a period's own flows, never published, do not follow either
    (e.g. nobody left in the window: then each period's instroom is its change in wachtlijst).
    A wachtlijst a report hid stays hidden here; one it showed stays shown: should protecting
    the flows need to hide it (its area's flows are 0 or hidden already), that area's flows are
    hidden instead. `verborgen`: flows hidden from the start, zero or not, and shown as "x"
    even when small ("<5" would tell a reader they are 1 to 4)."""
    n = len(perioden)

    def cel(naam: str, t: int):  # a period's flow; with one period, the window's
        return naam if n == 1 else (naam, t)

    stand = [("stand", t) for t in range(n + 1)]
    namen = [*stand, *_STROMEN, *(cel(m, t) for m in _STROMEN for t in range(1, n + 1) if n > 1)]
    vooraf = set(verborgen)
    waarden, onzichtbaar, verborgen, lijnen = {}, [], set(vooraf), kolomlijnen(list(gebieden), namen)
    for g in gebieden:
        eerste = perioden[0][g]
        waarden[(g, stand[0])] = eerste.stand - eerste.instroom + eerste.uitstroom
        for t, periode in enumerate(perioden, 1):
            waarden |= {(g, stand[t]): periode[g].stand, (g, cel("instroom", t)): periode[g].instroom,
                        (g, cel("uitstroom", t)): periode[g].uitstroom}
            lijnen.append({(g, stand[t - 1]): 1, (g, cel("instroom", t)): 1, (g, stand[t]): -1,
                           (g, cel("uitstroom", t)): -1})
        if n > 1:
            for m in _STROMEN:
                waarden[(g, m)] = sum(waarden[(g, (m, t))] for t in range(1, n + 1))
                onzichtbaar += [(g, (m, t)) for t in range(1, n + 1)]
                lijnen.append({**{(g, (m, t)): 1 for t in range(1, n + 1)}, (g, m): -1})
        for t, zo in enumerate(getoond):
            if zo[g] is None:
                onzichtbaar.append((g, stand[t]))
            elif isinstance(zo[g], str):
                verborgen.add((g, stand[t]))

    def rang(k) -> int:  # hide a flow before a wachtlijst, a municipality before the region
        return 2 * (k[1] in stand) + (k[0] == REGIO)

    for _ in gebieden:
        cellen = onderdruk(waarden, lijnen, minimum, onzichtbaar=onzichtbaar, rang=rang, verborgen=verborgen)
        geraakt = {g for g in gebieden for t, zo in enumerate(getoond)
                   if isinstance(cellen.get((g, stand[t])), str) and isinstance(zo[g], int)}
        if not geraakt:
            return {(g, m): VERBORGEN if (g, m) in vooraf else cellen[(g, m)] for g in gebieden for m in _STROMEN}
        verborgen |= {(g, m) for g in geraakt for m in _STROMEN}
    return {(g, m): VERBORGEN for g in gebieden for m in _STROMEN}


def publiceer(
    tellingen: Mapping[str, Doorstroom], instellingen: Instellingen, peildatum: dt.date, doel: dt.date,
    extra_capaciteit: int = 0, stand: Mapping[str, Cel] | None = None, stand_voor: Mapping[str, Cel] | None = None,
) -> Inloopplanrapport:
    """The plan of the window that ends at the peildatum (`vt inloopplan`). `stand`: the
    wachtlijst as another table already published it (the report's werkvoorraad): the same
    count must be hidden the same way everywhere, or one table gives away what the other hid.
    Without it the stand is suppressed here on its own. `stand_voor`: the wachtlijst at the
    window's start as an earlier report published it (None: not published)."""
    minimum = instellingen.rapportage.minimum_aantal
    gebieden = [*(g.code for g in instellingen.gemeenten), REGIO]
    if stand is None:
        stand = {g: c for (g, _), c in _cellen({g: {"stand": tellingen[g].stand} for g in gebieden}, minimum).items()}
    voor = stand_voor if stand_voor is not None else dict.fromkeys(gebieden)
    stromen = _stromen([tellingen], gebieden, minimum, [voor, stand])
    return _plan(instellingen, peildatum, doel, extra_capaciteit, stand, stromen)


def _plan(instellingen: Instellingen, peildatum: dt.date, doel: dt.date, extra_capaciteit: int,
          stand: Mapping[str, Cel], stromen: Mapping[tuple[str, str], Cel],
          venster_eind: dt.date | None = None) -> Inloopplanrapport:
    """Each area's plan from its published counts alone, and only where all three are shown."""
    minimum = instellingen.rapportage.minimum_aantal
    weken = instellingen.inloopplan.venster_weken
    namen = {g.code: g.naam for g in instellingen.gemeenten}

    def regel(g: str) -> Inloopregel:
        getoond = {"stand": stand[g], "instroom": stromen[(g, "instroom")], "uitstroom": stromen[(g, "uitstroom")]}
        basis = dict(code=g, naam=namen.get(g, instellingen.regio.naam), **getoond)
        if not all(isinstance(c, int) for c in getoond.values()):
            return Inloopregel(**basis, instroom_per_week=None, uitstroom_per_week=None, gebruikelijk_niveau=None,
                               verloop=None, weken=None, datum=None, extra_voor_doel=None)
        plan = bereken(Doorstroom(g, **getoond), peildatum=peildatum, venster_weken=weken, doel=doel,
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
        peildatum=peildatum, venster_weken=weken, venster_eind=venster_eind, doel=doel,
        extra_capaciteit=extra_capaciteit,
        gebruikelijke_wachttijd_werkdagen=instellingen.gebruikelijke_wachttijd_werkdagen, minimum_aantal=minimum,
        gemeenten=[regel(g) for g in namen], regio=regel(REGIO),
    )


# --- the report's plan ----------------------------------------------------------------------------


def vensterperioden(instellingen: Instellingen, peildatum: dt.date) -> list[Periode]:
    """The earlier report periods whose published figures the report's inloopplan reads: every
    period end from its window's start up to the peildatum (not included)."""
    r = instellingen.rapportage
    begin = blokeind(r, peildatum, instellingen.inloopplan.venster_weken) - dt.timedelta(
        weeks=instellingen.inloopplan.venster_weken)
    aantal = (peildatum - begin).days // (7 * r.interval_weken)
    return [periode(r, begin + dt.timedelta(weeks=r.interval_weken * i)) for i in range(aantal)]


def voor_rapport(session: Session, instellingen: Instellingen, cijfers: Rapportcijfers,
                 gepubliceerd: Mapping[dt.date, Rapportcijfers]) -> Inloopplanrapport:
    """The report's inloopplan, counted in the case store (see `bij_rapport`)."""
    codes = [g.code for g in instellingen.gemeenten]
    return bij_rapport(instellingen, cijfers, gepubliceerd,
                       lambda eind: doorstroom(session, codes, eind, instellingen.rapportage.interval_weken))


def bij_rapport(instellingen: Instellingen, cijfers: Rapportcijfers, gepubliceerd: Mapping[dt.date, Rapportcijfers],
                tellen: Callable[[dt.date], Mapping[str, Doorstroom]]) -> Inloopplanrapport:
    """The report's inloopplan: the wachtlijst exactly as the report's werkvoorraad table
    published it, and the instroom and uitstroom of the latest block of `venster_weken` that is
    over (`blokeind`; `tellen(eind)`: the counts of the report period ending then).

    Why blocks, and why only between published wachtlijsten: a reader who subtracts two windows
    that overlap gets the flows of the weeks in between, and a window beside a wachtlijst at
    its start or end the reader does not know ties that wachtlijst to the one at its other end,
    and so to the windows before and after it. Blocks lie end to end, so two reports' windows
    are the same or share no week; and an area's flows are shown only where the sent reports
    (and this one) published its wachtlijst at the block's start and end as a number. So a block
    shares nothing unknown with another block, and its suppression (`_stromen`, with every
    period it covers and the wachtlijsten in between as published) covers what it tells. A block
    an earlier sent report showed is shown as that report did (`gepubliceerd`: the sent reports
    by period end)."""
    peildatum = cijfers.periode_eind
    weken, stap = instellingen.inloopplan.venster_weken, instellingen.rapportage.interval_weken
    gebieden = [*(g.code for g in instellingen.gemeenten), REGIO]
    eind = blokeind(instellingen.rapportage, peildatum, weken)

    stand = gepubliceerde_wachtlijst(cijfers, gebieden)
    eerder = [c.inloopplan for d, c in sorted(gepubliceerd.items())
              if eind <= d < peildatum and c.inloopplan is not None and c.inloopplan.venster_eind == eind]
    if eerder:
        stromen = {(r.code, m): getattr(r, m) for r in eerder[-1].gebieden for m in _STROMEN}
    else:
        eindes = [eind - dt.timedelta(weeks=stap * i) for i in reversed(range(weken // stap + 1))]
        getoond = [stand if d == peildatum else gepubliceerde_wachtlijst(gepubliceerd[d], gebieden) if d in gepubliceerd
                   else dict.fromkeys(gebieden) for d in eindes]
        onbekend = {g for g in gebieden if not (isinstance(getoond[0][g], int) and isinstance(getoond[-1][g], int))}
        stromen = _stromen([tellen(d) for d in eindes[1:]], gebieden, instellingen.rapportage.minimum_aantal,
                           getoond, verborgen=[(g, m) for g in onbekend for m in _STROMEN])
    plan = instellingen.inloopplan
    return _plan(instellingen, peildatum, doeldatum(peildatum, plan.doeldatum, plan.doel_weken), 0, stand, stromen,
                 venster_eind=eind)

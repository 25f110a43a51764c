"""No report gives away a count it, or an earlier report, hid: across periods (the change since
the previous report, the chart of earlier periods), across tables (row and column totals, the
region as the sum of its municipalities), within the bounds a reader knows ("<5" is 1 to 4, "x"
is never 0, a wait is only shown for 5 families or more); and no text in the CSV is read as a
formula by a spreadsheet.

The property test works at the level `publiceer` takes: random raw figures with many small
counts for a series of consecutive reports, each published with the archive of the reports
before it. Every cell of every period is an unknown; every figure any report published and every
identity between cells the reader knows is an equation. Exact linear algebra (fractions) shows
that no hidden cell is determined by them, and an integer program (bounds included) that no
hidden cell has only one possible value.

The inloopplan is part of the series: its wachtlijst and its window's instroom and uitstroom.
The wachtlijst of every period is the one before plus what came onto it minus what left it in
the period; those flows are cells too (never published, so a small one must not follow), and a
window is the sum of the flows of the periods it covers. So consecutive reports' windows can be
subtracted and set beside the wachtlijsten, as a reader would.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from fractions import Fraction
from functools import cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from models.regels.instellingen import DEMO_INSTELLINGEN, CapaciteitsModus, laad_instellingen
from models.regels.perioden import blokeind, eerdere_perioden, periode
from models.regels.onderdrukking import REGIO, TOTAAL
from models.lezen import inloopplan
from models.lezen.rapportage import Dienst, MedewerkerKnelpunt, RuweCijfers, Wachttijd, publiceer
from models.regels.inloopplan import Doorstroom
from templates import render

DIENSTEN = [d.value for d in Dienst]
STAND = [*DIENSTEN, TOTAAL, "boven", "binnen"]  # boven: on the wachtlijst longer than usual; binnen = the rest
NORMEN = ("veiligheidsbeoordeling", "onderzoek_en_venv")
STROOM = [f"{n}_{m}" for n in NORMEN for m in ("op_tijd", "te_laat", TOTAAL)] + [
    "meldingen", "acuut", "niet_acuut", "hermeldingen", "eerste", "overdrachten", "warm", "anders",
    "buiten_beeld", "escalaties", "overdracht_over_tijd", "zonder_contact"]
W = Dienst.wachtlijst.value
WACHTSTROMEN = ("erbij", "eraf")  # onto and off the wachtlijst in a period (the inloopplan's instroom, uitstroom)
RAPPORTEN, GRAFIEK = 5, 3  # consecutive reports; periods in each chart
LAATSTE_EIND = dt.date(2025, 12, 7)  # the last day of an inloopplan block: the series shows a whole one


@cache
def regio():
    """The demo region cut down to three municipalities, charts of three periods (fast)."""
    volledig = laad_instellingen(DEMO_INSTELLINGEN)
    return volledig.model_copy(update={
        "gemeenten": volledig.gemeenten[:3],
        "rapportage": volledig.rapportage.model_copy(update={"grafiek_perioden": GRAFIEK}),
    })


def gemeenten() -> list[str]:
    return [g.code for g in regio().gemeenten]


INTERVAL = regio().rapportage.interval_weken
VENSTER = regio().inloopplan.venster_weken // INTERVAL  # periods in the inloopplan's window
_EERSTE_EIND = LAATSTE_EIND - dt.timedelta(weeks=INTERVAL * (RAPPORTEN - 1))  # report 0's period end
# Period index of report 0: its chart, and the window (block) it shows, start at or after period 0.
EERSTE = max(GRAFIEK - 1, VENSTER + (_EERSTE_EIND - blokeind(regio().rapportage, _EERSTE_EIND,
                                                             regio().inloopplan.venster_weken)).days // (7 * INTERVAL))
PERIODEN = EERSTE + RAPPORTEN  # periods of raw figures: 0 .. the last report's


def nu(j: int) -> int:
    """Period index of report j (0 oldest)."""
    return EERSTE + j


def index(eind: dt.date) -> int:
    """Period index of the period ending on `eind`."""
    return PERIODEN - 1 - (LAATSTE_EIND - eind).days // (7 * INTERVAL)


def venster(eind: int) -> range:
    """The periods an inloopplan window ending at period `eind` covers."""
    return range(eind - VENSTER + 1, eind + 1)


def rapportperioden(j: int):
    """Report j (0 oldest) of the series: its period first, then the earlier ones of its chart."""
    eind = LAATSTE_EIND - dt.timedelta(weeks=INTERVAL * (RAPPORTEN - 1 - j))
    return eerdere_perioden(regio().rapportage, periode(regio().rapportage, eind), GRAFIEK)


# --- raw figures -------------------------------------------------------------------------------------

klein_of_niet = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 12))


@st.composite
def stand_van_gemeente(draw, vorige: dict[str, int] | None = None) -> dict[str, int]:
    """A municipality's werkvoorraad at a period end; after the first period its wachtlijst is the
    previous one plus what came onto it (erbij) minus what left it (eraf) in the period."""
    rij = {d: draw(klein_of_niet) for d in DIENSTEN}
    if vorige is not None:
        rij["erbij"] = draw(klein_of_niet)
        rij["eraf"] = draw(st.integers(0, vorige[W] + rij["erbij"]))
        rij[W] = vorige[W] + rij["erbij"] - rij["eraf"]
    rij["boven"] = draw(st.integers(0, rij[W]))
    return rij


def stroom_namen() -> list[str]:
    """The raw flow counts per municipality (what `bereken` counts; the rest follows)."""
    return [*[f"{n}_{m}" for n in NORMEN for m in (TOTAAL, "op_tijd")], "meldingen", "acuut", "hermeldingen",
            "overdrachten", "warm", "buiten_beeld", "escalaties", "overdracht_over_tijd", "zonder_contact"]


@st.composite
def stroom_van_gemeente(draw) -> dict[str, int]:
    rij = {}
    for naam in NORMEN:
        rij[f"{naam}_totaal"] = draw(klein_of_niet)
        rij[f"{naam}_op_tijd"] = draw(st.integers(0, rij[f"{naam}_totaal"]))
    for geheel, delen in [("meldingen", ["acuut", "hermeldingen"]), ("overdrachten", ["warm"])]:
        rij[geheel] = draw(klein_of_niet)
        rij.update({deel: draw(st.integers(0, rij[geheel])) for deel in delen})
    rij.update({n: draw(klein_of_niet) for n in ("buiten_beeld", "escalaties", "overdracht_over_tijd", "zonder_contact")})
    return rij


@st.composite
def reeks(draw):
    """Raw figures of every period the series shows, the flows of each report's period, and
    which reports were made (the last one always)."""
    standen = []
    for _ in range(PERIODEN):
        standen.append({g: draw(stand_van_gemeente(standen[-1][g] if standen else None)) for g in gemeenten()})
    stromen = [{g: draw(stroom_van_gemeente()) for g in gemeenten()} for _ in range(RAPPORTEN)]
    gemaakt = [*draw(st.lists(st.booleans(), min_size=RAPPORTEN - 1, max_size=RAPPORTEN - 1)), True]
    return standen, stromen, gemaakt


def met_regio(per_gemeente: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    namen = next(iter(per_gemeente.values())).keys()
    return {**per_gemeente, REGIO: {n: sum(rij[n] for rij in per_gemeente.values()) for n in namen}}


def ruwe_cijfers(j: int, standen, stromen) -> RuweCijfers:
    """What `bereken` returns for report j (period index `nu(j)` in `standen`)."""
    werkvoorraad, lang = {}, {}
    for k in range(GRAFIEK):
        stand = met_regio(standen[nu(j) - k])
        werkvoorraad[k] = {(g, d): rij[d] for g, rij in stand.items() for d in DIENSTEN if rij[d]}
        werkvoorraad[k].update({(g, TOTAAL): sum(rij[d] for d in DIENSTEN) for g, rij in stand.items()})
        lang[k] = {g: rij["boven"] for g, rij in stand.items()}
    wachttijden = {
        sleutel: Wachttijd(aantal, 3.0, 9, lang[0][sleutel[0]] if sleutel[1] == Dienst.wachtlijst.value else 0)
        for sleutel, aantal in werkvoorraad[0].items() if sleutel[1] != TOTAAL
    }
    stroom = met_regio(stromen[j])

    def sectie(*namen):
        return {g: {n: rij[n] for n in namen} for g, rij in stroom.items()}

    return RuweCijfers(
        perioden=rapportperioden(j), werkvoorraad=werkvoorraad, langer_dan_gebruikelijk=lang,
        wachttijden=wachttijden,
        termijnen=sectie(*[f"{n}_{m}" for n in NORMEN for m in (TOTAAL, "op_tijd")]),
        achterstanden=sectie("overdracht_over_tijd", "zonder_contact"),
        instroom=sectie("meldingen", "acuut", "hermeldingen"),
        gebeurtenissen=sectie("overdrachten", "warm", "buiten_beeld", "escalaties"),
    )


def doorstroom(standen, eind: dt.date) -> dict[str, Doorstroom]:
    """What `models.lezen.inloopplan.doorstroom` counts for the report period ending on `eind`."""
    p = index(eind)
    return {code: Doorstroom(code, **{n: sum(standen[p][c][f] for c in (gemeenten() if code == REGIO else [code]))
                                      for n, f in (("stand", W), ("instroom", "erbij"), ("uitstroom", "eraf"))})
            for code in [*gemeenten(), REGIO]}


def publiceer_reeks(standen, stromen, gemaakt):
    """The reports made, oldest first, each with the archive of the ones before it, and its
    inloopplan as `tasks.rapportage.rapportcijfers` adds it."""
    archief, rapporten = {}, []
    for j in range(RAPPORTEN):
        if gemaakt[j]:
            ruw = ruwe_cijfers(j, standen, stromen)
            cijfers = publiceer(ruw, regio(), CapaciteitsModus.normaal, [], archief)
            plan = inloopplan.bij_rapport(regio(), cijfers, archief, lambda eind: doorstroom(standen, eind))
            cijfers = cijfers.model_copy(update={"inloopplan": plan})
            archief[cijfers.periode_eind] = cijfers
            rapporten.append((j, cijfers))
    return rapporten


# --- what a reader knows --------------------------------------------------------------------------------


def waarheid(standen, stromen) -> dict[tuple, int]:
    """Every cell's true value: ("stand", period, area, name), ("wacht", period, area, erbij|eraf)
    (the wachtlijst's flows in a period), ("venster", last period, area, erbij|eraf) (an
    inloopplan window's) and ("stroom", report, area, name)."""
    cellen = {}
    for p, stand in enumerate(standen):
        for g, rij in met_regio({g: {**rij, TOTAAL: sum(rij[d] for d in DIENSTEN), "binnen": rij[W] - rij["boven"]}
                                 for g, rij in stand.items()}).items():
            cellen.update({("wacht" if n in WACHTSTROMEN else "stand", p, g, n): v for n, v in rij.items()})
    for eind in range(VENSTER, len(standen)):
        for g in [*gemeenten(), REGIO]:
            cellen.update({("venster", eind, g, n): sum(cellen[("wacht", p, g, n)] for p in venster(eind))
                           for n in WACHTSTROMEN})
    for j, stroom in enumerate(stromen):
        for g, rij in met_regio(stroom).items():
            volledig = {**rij, "niet_acuut": rij["meldingen"] - rij["acuut"],
                        "eerste": rij["meldingen"] - rij["hermeldingen"], "anders": rij["overdrachten"] - rij["warm"]}
            for naam in NORMEN:
                volledig[f"{naam}_te_laat"] = rij[f"{naam}_totaal"] - rij[f"{naam}_op_tijd"]
            cellen.update({("stroom", j, g, n): v for n, v in volledig.items()})
    return cellen


def wachtperioden(vensters: set[int]) -> set[int]:
    """The periods whose flows the published windows cover."""
    return {p for eind in vensters for p in venster(eind)}


def identiteiten(perioden: set[int], rapporten: set[int], vensters: set[int] = frozenset()) -> list[tuple[dict, int]]:
    """The sums every reader knows, as (coefficients, right-hand side). `vensters`: the last
    periods of the inloopplan windows published: a window is the sum of its periods' flows, and
    in each period the wachtlijst at its start plus erbij is the wachtlijst at its end plus eraf."""
    gebieden = [*gemeenten(), REGIO]
    vergelijkingen = []

    def som(delen, geheel):
        vergelijkingen.append(({**{d: 1 for d in delen}, geheel: -1}, 0))

    for eind in vensters:
        for g in gebieden:
            for n in WACHTSTROMEN:
                som([("wacht", p, g, n) for p in venster(eind)], ("venster", eind, g, n))
    for p in wachtperioden(vensters):
        for g in gebieden:
            vergelijkingen.append(({("stand", p - 1, g, W): 1, ("wacht", p, g, "erbij"): 1, ("stand", p, g, W): -1,
                                    ("wacht", p, g, "eraf"): -1}, 0))
        for n in WACHTSTROMEN:
            som([("wacht", p, g, n) for g in gemeenten()], ("wacht", p, REGIO, n))
    for p in {q for p in wachtperioden(vensters) for q in (p - 1, p)} - perioden:
        som([("stand", p, g, W) for g in gemeenten()], ("stand", p, REGIO, W))

    for p in perioden:
        for g in gebieden:
            som([("stand", p, g, d) for d in DIENSTEN], ("stand", p, g, TOTAAL))
            som([("stand", p, g, "boven"), ("stand", p, g, "binnen")], ("stand", p, g, Dienst.wachtlijst.value))
        for n in STAND:
            som([("stand", p, g, n) for g in gemeenten()], ("stand", p, REGIO, n))
    for j in rapporten:
        for g in gebieden:
            for delen, geheel in [*[([f"{n}_op_tijd", f"{n}_te_laat"], f"{n}_totaal") for n in NORMEN],
                                  (["acuut", "niet_acuut"], "meldingen"), (["hermeldingen", "eerste"], "meldingen"),
                                  (["warm", "anders"], "overdrachten")]:
                som([("stroom", j, g, d) for d in delen], ("stroom", j, g, geheel))
        for n in STROOM:
            som([("stroom", j, g, n) for g in gemeenten()], ("stroom", j, REGIO, n))
    return vergelijkingen


KNELPUNT_STROOM = ("veiligheidsbeoordeling_te_laat", "onderzoek_en_venv_te_laat", "overdracht_over_tijd",
                   "zonder_contact")  # derived knelpunten that are a flow cell of the same name


class Lezer:
    """Everything the reports put in front of a reader, as cells."""

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        self.getallen: dict[tuple, int] = {}  # cell -> published number
        self.tekens: dict[tuple, str] = {}  # cell -> "<5" or "x"
        self.vergelijkingen: list[tuple[dict, int]] = []  # published changes
        self.ondergrens: dict[tuple, int] = {}  # a wait was shown: at least `minimum`
        self.vensters: set[int] = set()  # last periods of the inloopplan windows shown
        self.onjuist: list[str] = []

    def cel(self, cel: tuple, waarde) -> None:
        if isinstance(waarde, str):
            self.tekens[cel] = waarde
        elif self.getallen.setdefault(cel, waarde) != waarde:
            self.onjuist.append(f"{cel} twee keer gepubliceerd: {self.getallen[cel]} en {waarde}")

    def lees(self, j: int, c) -> None:
        for g in c.gebieden:
            for r in g.werkvoorraad:
                self.cel(("stand", nu(j), g.code, r.dienst), r.aantal)
                if isinstance(r.verschil, int):
                    self.vergelijkingen.append(
                        ({("stand", nu(j), g.code, r.dienst): 1, ("stand", nu(j) - 1, g.code, r.dienst): -1}, r.verschil))
                if r.mediaan_werkdagen is not None or r.langste_werkdagen is not None:
                    self.ondergrens[("stand", nu(j), g.code, r.dienst)] = self.minimum
            self.cel(("stand", nu(j), g.code, "boven"), g.langer_dan_gebruikelijk)
            for naam, n in [("veiligheidsbeoordeling", g.veiligheidsbeoordeling), ("onderzoek_en_venv", g.onderzoek_en_venv)]:
                for maat in ("op_tijd", "te_laat", TOTAAL):
                    self.cel(("stroom", j, g.code, f"{naam}_{maat}"), getattr(n, maat))
                if not isinstance(n.percentage, str) and n.percentage is not None:
                    if not (isinstance(n.op_tijd, int) and isinstance(n.totaal, int)):
                        self.onjuist.append(f"percentage {naam} {g.code} getoond naast een verborgen aantal")
            for naam in ("meldingen", "acuut", "hermeldingen", "overdrachten", "warm", "anders", "buiten_beeld",
                         "escalaties", "overdracht_over_tijd", "zonder_contact"):
                self.cel(("stroom", j, g.code, naam), getattr(g, naam))
            # A derived knelpunt is listed when its count is above zero: its absence publishes a zero.
            getoond = {k.soort: k.aantal for k in g.knelpunten if k.soort != "medewerker"}
            for soort in KNELPUNT_STROOM:
                self.cel(("stroom", j, g.code, soort), getoond.get(soort, 0))
            self.cel(("stand", nu(j), g.code, "boven"), getoond.get("langer_dan_gebruikelijk", 0))
        for i, _ in enumerate(c.grafiek.perioden):
            for code, waarden in c.grafiek.reeksen.items():
                self.cel(("stand", nu(j) - GRAFIEK + 1 + i, code, TOTAAL), waarden[i])
        self.lees_inloopplan(j, c.inloopplan)

    def lees_inloopplan(self, j: int, plan) -> None:
        """The wachtlijst and the window's instroom and uitstroom. The plan's other figures (per
        week, usual level, date, extra capacity) are computed from these three counts alone
        (`models.regels.inloopplan.bereken`), so they tell a reader nothing more, provided they
        are only shown beside all three."""
        eind = index(plan.venster_eind or plan.peildatum)
        self.vensters.add(eind)
        for r in plan.gebieden:
            self.cel(("stand", nu(j), r.code, W), r.stand)
            self.cel(("venster", eind, r.code, "erbij"), r.instroom)
            self.cel(("venster", eind, r.code, "eraf"), r.uitstroom)
            getoond = [v is not None for v in (r.instroom_per_week, r.uitstroom_per_week, r.gebruikelijk_niveau,
                                               r.verloop, r.datum, r.weken, r.extra_voor_doel)]
            if any(getoond) and not all(isinstance(v, int) for v in (r.stand, r.instroom, r.uitstroom)):
                self.onjuist.append(f"inloopplan {r.code} getoond naast een verborgen aantal")


def onbepaald(vergelijkingen: list[tuple[dict, int]], onbekend: list[tuple], doelen: list[tuple]) -> dict[tuple, bool]:
    """Per target cell: True when the equations (over the unknown cells only) leave it free.
    Exact: reduced row echelon form over the rationals; a cell is determined exactly when its
    unit vector lies in the row space, i.e. its column is a pivot whose row has no other entry."""
    kolom = {c: i for i, c in enumerate(onbekend)}
    rijen = [[Fraction(0)] * len(onbekend) for _ in vergelijkingen]
    for rij, (coef, _) in zip(rijen, vergelijkingen):
        for c, a in coef.items():
            if c in kolom:
                rij[kolom[c]] += a
    rijen = [r for r in rijen if any(r)]
    pivots, rang = {}, 0
    for k in range(len(onbekend)):
        p = next((i for i in range(rang, len(rijen)) if rijen[i][k] != 0), None)
        if p is None:
            continue
        rijen[rang], rijen[p] = rijen[p], rijen[rang]
        spil = rijen[rang][k]
        rijen[rang] = [a / spil for a in rijen[rang]]
        for i in range(len(rijen)):
            if i != rang and rijen[i][k] != 0:
                f = rijen[i][k]
                rijen[i] = [a - f * b for a, b in zip(rijen[i], rijen[rang])]
        pivots[k] = rang
        rang += 1
    uit = {}
    for doel in doelen:
        k = kolom[doel]
        uit[doel] = k not in pivots or sum(1 for a in rijen[pivots[k]] if a != 0) > 1
    return uit


def uitersten(vergelijkingen, onbekend, grenzen, doel) -> tuple[float, float]:
    """Smallest and largest integer value of `doel` the published figures and bounds allow."""
    kolom = {c: i for i, c in enumerate(onbekend)}
    a = np.zeros((len(vergelijkingen), len(onbekend)))
    b = np.zeros(len(vergelijkingen))
    for i, (coef, rechts) in enumerate(vergelijkingen):
        for c, w in coef.items():
            a[i, kolom[c]] += w
        b[i] = rechts
    doelvector = np.zeros(len(onbekend))
    doelvector[kolom[doel]] = 1
    waarden = []
    for teken in (1, -1):
        uit = linprog(teken * doelvector, A_eq=a, b_eq=b, bounds=[grenzen[c] for c in onbekend],
                      integrality=np.ones(len(onbekend)), method="highs")
        # The true figures are a solution: a program without an optimum is unbounded.
        waarden.append(teken * uit.fun if uit.status == 0 else teken * np.inf)
    return waarden[0], waarden[1]


def lekken(standen, stromen, gemaakt) -> list[str]:
    """Every way the series of reports gives away a hidden or small count (empty: none)."""
    rapporten = publiceer_reeks(standen, stromen, gemaakt)
    minimum = regio().rapportage.minimum_aantal
    lezer = Lezer(minimum)
    for j, c in rapporten:
        lezer.lees(j, c)
    perioden = {nu(j) - k for j, _ in rapporten for k in range(GRAFIEK)}
    stroomperioden = wachtperioden(lezer.vensters)
    wachtlijsten = {q for p in stroomperioden for q in (p - 1, p)}
    waar = waarheid(standen, stromen)
    cellen = {c for c in waar if (c[0] == "stand" and (c[1] in perioden or (c[1] in wachtlijsten and c[3] == W)))
              or (c[0] == "stroom" and c[1] in {j for j, _ in rapporten})
              or (c[0] == "wacht" and c[1] in stroomperioden) or (c[0] == "venster" and c[1] in lezer.vensters)}
    fouten = list(lezer.onjuist)
    fouten += [f"{c} gepubliceerd als {v}, is {waar[c]}" for c, v in lezer.getallen.items() if waar[c] != v]
    fouten += [f"{c} gepubliceerd als klein getal {v}" for c, v in lezer.getallen.items() if 0 < v < minimum]
    fouten += [f"{c} verborgen ({lezer.tekens[c]}) en elders getoond ({lezer.getallen[c]})"
               for c in lezer.tekens.keys() & lezer.getallen.keys()]

    # Substitute the published numbers: what is left are the unknowns.
    vergelijkingen = []
    for coef, rechts in identiteiten(perioden, {j for j, _ in rapporten}, lezer.vensters) + lezer.vergelijkingen:
        rest = {c: a for c, a in coef.items() if c not in lezer.getallen}
        vergelijkingen.append((rest, rechts - sum(a * lezer.getallen[c] for c, a in coef.items() if c not in rest)))
    onbekend = cellen - lezer.getallen.keys()
    doelen = {c for c in lezer.tekens if c not in lezer.getallen} | {c for c in onbekend if 0 < waar[c] < minimum}
    grenzen = {}
    for c in onbekend:
        teken = lezer.tekens.get(c)
        laag, hoog = (1, minimum - 1) if teken == f"<{minimum}" else (1, None) if teken else (0, None)
        grenzen[c] = (max(laag, lezer.ondergrens.get(c, 0)), hoog)
    for cellen_deel, vergelijkingen_deel in samenhangend(vergelijkingen, onbekend):
        deel_doelen = sorted(doelen & set(cellen_deel))
        for doel, vrij in onbepaald(vergelijkingen_deel, cellen_deel, deel_doelen).items():
            if not vrij:
                fouten.append(f"{doel} (verborgen, {waar[doel]}) volgt uit de gepubliceerde cijfers")
        for doel in deel_doelen:
            laag, hoog = uitersten(vergelijkingen_deel, cellen_deel, grenzen, doel)
            if abs(hoog - laag) < 0.5:
                fouten.append(f"{doel} (verborgen, {waar[doel]}) heeft maar één mogelijke waarde: {round(laag)}")
    return fouten


def samenhangend(vergelijkingen, onbekend):
    """The unknown cells in groups no equation links, each with its equations (faster to solve)."""
    ouder = {c: c for c in onbekend}

    def wortel(c):
        while ouder[c] != c:
            ouder[c] = ouder[ouder[c]]
            c = ouder[c]
        return c

    for coef, _ in vergelijkingen:
        cellen = [c for c in coef if c in ouder]
        for c in cellen[1:]:
            ouder[wortel(c)] = wortel(cellen[0])
    groepen: dict = {}
    for c in sorted(onbekend):
        groepen.setdefault(wortel(c), []).append(c)
    per_groep: dict = {w: [] for w in groepen}
    for coef, rechts in vergelijkingen:
        cellen = [c for c in coef if c in ouder and coef[c] != 0]
        if cellen:
            per_groep[wortel(cellen[0])].append((coef, rechts))
    return [(groepen[w], per_groep[w]) for w in groepen]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reeks())
def test_no_hidden_count_of_any_report_follows_from_it_and_the_reports_before(gegevens):
    standen, stromen, gemaakt = gegevens
    assert lekken(standen, stromen, gemaakt) == []


# --- the inloopplan's windows of consecutive reports ------------------------------------------------


def stille_reeks(erbij: dict[int, int]):
    """Raw figures where nothing is small except what the first municipality's wachtlijst takes
    in: 10 waiting at first, none leaving, `erbij` per period index (0 where not given). The
    others take in and let go 10 a period."""
    eerste, *andere = gemeenten()
    standen = []
    for p in range(PERIODEN):
        vorige = standen[-1] if standen else None
        rij = {}
        for g in gemeenten():
            bij = erbij.get(p, 0) if g == eerste else 10
            af = 0 if g == eerste else 10
            wacht = vorige[g][W] + bij - af if vorige else 10
            rij[g] = {**{d: 20 for d in DIENSTEN}, W: wacht, "boven": 0, **({"erbij": bij, "eraf": af} if p else {})}
        standen.append(rij)
    stromen = [{g: {n: 20 for n in stroom_namen()} for g in gemeenten()} for _ in range(RAPPORTEN)]
    return standen, stromen


def test_two_consecutive_inloopplan_windows_do_not_give_away_the_newest_periods_instroom():
    """Gennep's wachtlijst takes in nobody for eight weeks (the first report's window: 0), then 6,
    then 3 in two weeks. The next reports' windows would show 6 and 9: a reader subtracts them
    and, knowing the two weeks that left the window took in 0, finds the 3."""
    standen, stromen = stille_reeks({nu(1): 6, nu(2): 3})
    assert lekken(standen, stromen, [True] * RAPPORTEN) == []


def test_a_window_in_which_nobody_left_does_not_turn_the_changes_in_wachtlijst_into_counts():
    """Gennep's wachtlijst goes 10, 13, 19, 24, 30 over the four periods of a window and nobody
    leaves it. The reports show each wachtlijst; a window with "0 eraf" beside them says that
    each rise is what came in: 3 in the first period, a small count."""
    eind = index(blokeind(regio().rapportage, rapportperioden(RAPPORTEN - 1)[0].eind, regio().inloopplan.venster_weken))
    standen, stromen = stille_reeks(dict(zip(venster(eind), (3, 6, 5, 6))))
    assert lekken(standen, stromen, [True] * RAPPORTEN) == []


# --- the case seen: a wachtlijst hidden in one report, revealed by the next ---------------------------


def test_a_werkvoorraad_hidden_in_one_report_stays_hidden_in_the_next_reports_change_chart_and_files(
    engine, instellingen, tmp_path
):
    """Gennep, 21 December: 7 on the wachtlijst, 5 of them longer than usual. That report shows
    the 5 and hides the 7 ("x"), since 7 - 5 = 2 families would follow. By 4 January the two
    others have left: 5 on the wachtlijst. The change (5 - 7 = -2) and the chart's point for 21
    December (7) would give away the 7, and with it the 2."""
    from sqlmodel import Session

    from models.dossier.wijzigingen import wijzig_status
    from models.regels.levensloop import Status
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.lezen.rapportage import archiveer
    from models.opslag.regio import synchroniseer
    from tasks.rapportage import rapportcijfers
    from tests.test_rapportage import GENNEP, Regio, op

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        r = Regio(session, instellingen)
        for _ in range(5):
            r.wachtlijst(GENNEP, "2025-10-27", "2025-11-03")
        for casus in [r.wachtlijst(GENNEP, "2025-12-10", "2025-12-15") for _ in range(2)]:
            wijzig_status(session, casus, Status.afgesloten, "test", tijdstip=op("2025-12-29"))
        synchroniseer_werkdagen(session, instellingen)

    def rapport(eind: dt.date):
        with Session(engine) as session, session.begin():
            return rapportcijfers(session, instellingen, periode(instellingen.rapportage, eind),
                                  CapaciteitsModus.normaal)

    def rij(cijfers, code=GENNEP):
        [gebied] = [g for g in cijfers.gebieden if g.code == code]
        return gebied, {r.dienst: r for r in gebied.werkvoorraad}

    vorige = rapport(dt.date(2025, 12, 21))
    gebied, diensten = rij(vorige)
    assert (diensten["wachtlijst"].aantal, diensten[TOTAAL].aantal, gebied.langer_dan_gebruikelijk) == ("x", "x", 5)

    def controleer(cijfers):
        gebied, diensten = rij(cijfers)
        assert (diensten["wachtlijst"].aantal, gebied.langer_dan_gebruikelijk) == (5, 5)
        for code in (GENNEP, REGIO):
            _, diensten = rij(cijfers, code)
            assert diensten["wachtlijst"].verschil == diensten[TOTAAL].verschil == "x"
            assert cijfers.grafiek.reeksen[code][-2] == "x"  # the chart leaves 21 December out
        csv_gennep = render("rapport/gebied.csv.j2", c=cijfers, g=gebied)
        assert "werkvoorraad;Totaal;verschil t.o.v. 2025-12-21;x" in csv_gennep and ";-2\n" not in csv_gennep
        markdown = render("rapport/rapport.md.j2", c=cijfers, versie=1)
        assert "| Gennep | 0 | 5 | 0 | 0 | 0 | 0 | 5 | x |" in markdown

    # Never sent: 21 December as its own report would have shown it.
    controleer(rapport(dt.date(2026, 1, 4)))
    # Sent: exactly what went out.
    with Session(engine) as session, session.begin():
        archiveer(session, vorige, 1, tmp_path, {"rapport.pdf": "0" * 64}, "rapport.pdf")
    controleer(rapport(dt.date(2026, 1, 4)))


def test_an_earlier_period_shows_what_its_sent_report_published_not_a_recount():
    """Figures can change afterwards (a status recorded late): the chart and the change keep to
    what the overleg received."""
    standen = [{g: {**{d: 0 for d in DIENSTEN}, "onderzoek": 9, "boven": 0} for g in gemeenten()}
               for _ in range(PERIODEN)]
    stromen = [{g: {n: 0 for n in stroom_namen()} for g in gemeenten()} for _ in range(RAPPORTEN)]
    eerder = publiceer(ruwe_cijfers(RAPPORTEN - 2, standen, stromen), regio(), CapaciteitsModus.normaal)
    code = gemeenten()[0]
    standen[-2][code]["onderzoek"] = 12  # recounted later: 12, the report said 9
    nu = publiceer(ruwe_cijfers(RAPPORTEN - 1, standen, stromen), regio(), CapaciteitsModus.normaal,
                   [], {eerder.periode_eind: eerder})
    assert nu.grafiek.reeksen[code][-2] == 9
    [gebied] = [g for g in nu.gemeenten if g.code == code]
    assert {r.dienst: r.verschil for r in gebied.werkvoorraad}["onderzoek"] == 0


# --- CSV: text is never a formula -------------------------------------------------------------------


def test_a_knelpunt_that_looks_like_a_formula_is_plain_text_in_the_csv_and_a_negative_change_stays_a_number():
    standen = [{g: {**{d: 0 for d in DIENSTEN}, "onderzoek": 30 - 2 * p, "boven": 0} for g in gemeenten()}
               for p in range(PERIODEN)]
    stromen = [{g: {n: 0 for n in stroom_namen()} for g in gemeenten()} for _ in range(RAPPORTEN)]
    teksten = ['=HYPERLINK("http://x","klik")', "+31 vacatures", "-1 medewerker", "@SUM(A1)", "\tTab", "\rCR",
               "Gewone tekst; met puntkomma"]
    cijfers = publiceer(ruwe_cijfers(RAPPORTEN - 1, standen, stromen), regio(), CapaciteitsModus.normaal,
                        [MedewerkerKnelpunt(None, t) for t in teksten])
    rijen = list(csv.reader(io.StringIO(render("rapport/gebied.csv.j2", c=cijfers, g=cijfers.regio)), delimiter=";"))
    assert [r[3] for r in rijen if r[2] == "tekst"] == [
        "'=HYPERLINK(\"http://x\",\"klik\")", "'+31 vacatures", "'-1 medewerker", "'@SUM(A1)", "'\tTab", "'\rCR",
        "Gewone tekst; met puntkomma"]
    # 30 - 2 * period: the onderzoek of every municipality went down by 2; a number, not text.
    assert ["werkvoorraad", "Onderzoek", "verschil t.o.v. 2025-11-23", "-6"] in rijen

"""Suppression of the published report figures: counts below the minimum become "<5", and any
other count that would let such a count be derived becomes "x" (secondary suppression, checked
against every relation together and the bounds a reader knows). Pure: no storage, no Prefect.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

REGIO = "regio"  # key of the region-wide figures, beside the municipality codes
TOTAAL = "totaal"

# --- suppression (pure) ------------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)
Cel = int | str  # a published count, or the marker of a suppressed one
VERBORGEN = "x"  # secondary suppression: hidden so that a small count cannot be derived


def klein(minimum: int) -> str:
    return f"<{minimum}"


def onderdruk(
    waarden: Mapping[K, int],
    lijnen: Iterable[Sequence[K]],
    minimum: int,
    *,
    onzichtbaar: Iterable[K] = (),
    rang: Callable[[K], int] = lambda _: 0,
) -> dict[K, Cel]:
    """Suppress small counts in a table and what would give them away.

    `lijnen` are the table's additive relations: in each, the last cell is the sum of the others
    (a municipality's row and its total, a column and the region's figure). `onzichtbaar` cells
    take part in the relations but are never published (e.g. "not acute" beside "acute" and
    "total"). Primary: a published count with 0 < count < minimum is shown as "<minimum".
    Secondary: a relation that pins down a cell that must stay hidden (a suppressed count, or an
    unpublished small one) would give it away, so one more cell of that relation is hidden
    ("x"): preferably a cell inside the table (`rang` 0) over totals, then a count above the
    minimum (so the pair cannot be pinned down from "<5" and "x" alone), then the smallest.
    A relation pins its hidden cells down when it has only one, or when the reader's bounds
    leave one solution ("<5" is 1 to 4 and "x" never 0: "<5" + "<5" = 8 means 4 and 4). An
    unpublished cell that is not small and that one relation gives away counts as known in the
    others. Then the bounds are carried from relation to relation (what a reader can work out
    from all of them together); a hidden cell they pin down gets one more hidden cell beside it.
    Zero is always shown: it identifies nobody. Repeats until nothing gives anything away.
    """
    lijnen = [list(lijn) for lijn in lijnen]
    onzichtbaar = set(onzichtbaar)
    gevoelig = {k for k, v in waarden.items() if 0 < v < minimum}
    primair = gevoelig - onzichtbaar
    verborgen = set(primair)
    afgeleid: set = set()  # unpublished, not small, and given away by a relation: fine, but known
    verzwegen: set = set()  # small counts shown as "x" rather than "<5" (no upper bound)
    teken = [{k: -1 if i == len(lijn) - 1 else 1 for i, k in enumerate(lijn)} for lijn in lijnen]

    def grenzen(k) -> tuple[float, float]:
        """What a reader knows of a cell that is not shown."""
        if k in primair and k not in verzwegen:
            return 1, minimum - 1
        return (1 if k in verborgen else 0), math.inf

    def onbekend_in(lijn) -> list:
        return [k for k in lijn if (k in onzichtbaar and k not in afgeleid) or k in verborgen]

    def bereik(n: int, onbekend, grens) -> tuple[float, float, float]:
        """The relation's known part (as the value its unknown part must take) and the unknown
        part's smallest and largest value within the bounds."""
        doel = -sum(teken[n][k] * waarden[k] for k in lijnen[n] if k not in onbekend)
        laag = sum(grens[k][0] if teken[n][k] > 0 else -grens[k][1] for k in onbekend)
        hoog = sum(grens[k][1] if teken[n][k] > 0 else -grens[k][0] for k in onbekend)
        return doel, laag, hoog

    def verberg_naast(cel, in_lijnen) -> bool:
        """Hide the best known cell of a relation holding `cel` (of `in_lijnen`); when those have
        none, of the relations one step further (through their unknown cells), and so on.
        False when there is none at all."""
        rand, gezien, ringen = {cel}, {cel}, []
        while rand:
            ringen.append(rand)
            kandidaten = [(rang(k), waarden[k] <= minimum, waarden[k], lijnen[n].index(k), n, k)
                          for n in in_lijnen if rand & set(lijnen[n]) for k in lijnen[n]
                          if k not in verborgen and k not in onzichtbaar and waarden[k] > 0]
            if kandidaten:
                verborgen.add(min(kandidaten, key=lambda t: t[:5])[-1])
                return True
            in_lijnen = range(len(lijnen))
            rand = {k for lijn in lijnen if rand & set(lijn) for k in onbekend_in(lijn)} - gezien
            gezien |= rand
        # Nothing left to hide (every other count is 0 or hidden): a "<5" nearby becomes "x",
        # which has no upper bound, so small counts no longer add up to a known total.
        for ring in ringen:
            klein_ = sorted((k for k in ring if k in primair and k not in verzwegen), key=lambda k: -rang(k))
            if klein_:
                verzwegen.add(klein_[0])
                return True
        return False

    def lokaal() -> None:
        """One relation at a time, until none pins down a hidden cell."""
        veranderd = True
        while veranderd:
            veranderd = False
            for n, lijn in enumerate(lijnen):
                onbekend = onbekend_in(lijn)
                if not onbekend:
                    continue
                doel, laag, hoog = bereik(n, onbekend, {k: grenzen(k) for k in onbekend})
                if len(onbekend) > 1 and doel not in (laag, hoog):
                    continue
                if all(k in onzichtbaar and k not in gevoelig for k in onbekend):
                    afgeleid.update(onbekend)
                    veranderd = True
                elif verberg_naast(onbekend[0], [n]):
                    veranderd = True

    def vastgelegd():
        """A hidden or small cell whose bounds, carried through every relation, leave one value."""
        grens = {k: list(grenzen(k)) for lijn in lijnen for k in onbekend_in(lijn)}
        for _ in range(50):  # bounds can creep up one at a time: enough for a report's tables
            smaller = False
            for n, lijn in enumerate(lijnen):
                onbekend = onbekend_in(lijn)
                doel = -sum(teken[n][k] * waarden[k] for k in lijn if k not in onbekend)
                # Each unknown's share in the relation: (smallest, largest), as +cell or -cell.
                deel = {k: (grens[k][0], grens[k][1]) if teken[n][k] > 0 else (-grens[k][1], -grens[k][0])
                        for k in onbekend}
                laag = [sum(d[0] for d in deel.values() if d[0] > -math.inf), sum(d[0] == -math.inf for d in deel.values())]
                hoog = [sum(d[1] for d in deel.values() if d[1] < math.inf), sum(d[1] == math.inf for d in deel.values())]
                for k, (eigen_laag, eigen_hoog) in deel.items():
                    # The rest of the relation, without this cell: between rest_laag and rest_hoog.
                    oneindig = eigen_laag == -math.inf
                    rest_laag = -math.inf if laag[1] - oneindig else laag[0] - (0 if oneindig else eigen_laag)
                    oneindig = eigen_hoog == math.inf
                    rest_hoog = math.inf if hoog[1] - oneindig else hoog[0] - (0 if oneindig else eigen_hoog)
                    van, tot = doel - rest_hoog, doel - rest_laag  # this cell's share
                    if teken[n][k] < 0:
                        van, tot = -tot, -van
                    if van > grens[k][0]:
                        grens[k][0], smaller = van, True
                    if tot < grens[k][1]:
                        grens[k][1], smaller = tot, True
            if not smaller:
                break
        return [k for k, (laag, hoog) in grens.items() if laag == hoog and (k in verborgen or k in gevoelig)]

    def vastgelegd_lp():
        """The same with every relation at once (a sum of relations can pin cells down that no
        single one does), by linear programs: the hidden or small cells that cannot take another
        value."""
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import lil_matrix

        cellen = list(dict.fromkeys(k for lijn in lijnen for k in onbekend_in(lijn)))
        doelen = [k for k in cellen if k in verborgen or k in gevoelig]
        if not doelen:
            return []
        kolom = {k: i for i, k in enumerate(cellen)}
        a = lil_matrix((len(lijnen), len(cellen)))
        b = np.zeros(len(lijnen))
        for n, lijn in enumerate(lijnen):
            onbekend = onbekend_in(lijn)
            for k in onbekend:
                a[n, kolom[k]] = teken[n][k]
            b[n] = -sum(teken[n][k] * waarden[k] for k in lijn if k not in onbekend)
        # A cap far above any count keeps every program bounded (a cell that reaches it is free).
        plafond = 2 * sum(abs(v) for v in waarden.values()) + 2 * minimum
        grens = [(laag, min(hoog, plafond)) for laag, hoog in map(grenzen, cellen)]
        a = a.tocsr()

        def anders(richting: dict) -> set:
            """Cells that take another value than the true one at the optimum in `richting`."""
            c = np.zeros(len(cellen))
            for k, w in richting.items():
                c[kolom[k]] = w
            x = linprog(c, A_eq=a, b_eq=b, bounds=grens, method="highs").x
            return {k for k in doelen if abs(x[kolom[k]] - waarden[k]) > 0.5}

        open_ = set(doelen)
        for teken_ in (1, -1):  # all at once first: most cells move in one of these two
            if open_:
                open_ -= anders({k: teken_ for k in open_})
        # Then mixed directions, while they still free cells: far fewer programs than two per
        # cell below. A cell only leaves `open_` when it is shown to move, so the answer is the
        # same; the fixed seed keeps a report reproducible.
        toeval = random.Random(len(cellen))
        while len(open_) > 2:
            vrij = anders({k: toeval.choice((1, -1)) for k in open_}) & open_
            if not vrij:
                break
            open_ -= vrij
        vast = []
        for k in doelen:
            if k in open_:
                open_ -= anders({k: 1}) | anders({k: -1})
                if k in open_:
                    vast.append(k)
        return vast

    lokaal()
    while any(verberg_naast(cel, range(len(lijnen))) for cel in vastgelegd() or vastgelegd_lp()):
        lokaal()
    return {
        k: klein(minimum) if k in primair and k not in verzwegen else VERBORGEN if k in verborgen else int(v)
        for k, v in waarden.items() if k not in onzichtbaar
    }


def kolomlijnen(gebieden: Sequence[str], namen: Sequence[str]) -> list[list[tuple[str, str]]]:
    """The columns of a table whose rows are the municipalities and then the region (last in
    `gebieden`): each column adds up to the region's figure."""
    *gemeenten, regio = gebieden
    return [[(g, n) for g in gemeenten] + [(regio, n)] for n in namen]


def marge_rang(totaal: str | None = TOTAAL) -> Callable[[tuple[str, str]], int]:
    return lambda k: (k[0] == REGIO) + (k[1] == totaal)


def percentage(deel: Cel, geheel: Cel) -> float | str | None:
    """Share in percent (one decimal); None without a whole; "x" when either count is hidden."""
    if isinstance(deel, str) or isinstance(geheel, str):
        return VERBORGEN
    return None if geheel == 0 else round(100 * deel / geheel, 1)


def verschil(nu: Cel, vorige: Cel) -> Cel:
    return nu - vorige if isinstance(nu, int) and isinstance(vorige, int) else VERBORGEN

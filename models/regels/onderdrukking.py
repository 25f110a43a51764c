"""Suppression of the published report figures: counts below the minimum become "<5", and any
other count that would let such a count be derived becomes "x" (secondary suppression, checked
against every relation together and the bounds a reader knows). Pure: no storage, no Prefect.
"""

from __future__ import annotations

import bisect
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
    lijnen: Iterable[Sequence[K] | Mapping[K, int]],
    minimum: int,
    *,
    onzichtbaar: Iterable[K] = (),
    rang: Callable[[K], int] = lambda _: 0,
    verborgen: Iterable[K] = (),
) -> dict[K, Cel]:
    """Suppress small counts in a table and what would give them away.

    `lijnen` are the table's additive relations: in each, the last cell is the sum of the others
    (a municipality's row and its total, a column and the region's figure), or, given as a
    mapping cell -> +1 or -1, the signed cells add up to zero. `onzichtbaar` cells
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
    from all of them together), and finally every relation is taken at once (linear programs);
    a hidden cell they pin down gets one more hidden cell beside it.
    Zero is always shown: it identifies nobody. Repeats until nothing gives anything away.
    `verborgen` cells are hidden from the start and protected like a secondary suppression
    (another table already hid them, or they must not be shown here), zero or not.
    """
    return _Onderdrukking(waarden, lijnen, minimum, set(onzichtbaar), rang, set(verborgen)).uitkomst()


class _Onderdrukking:
    """The state of one table's suppression, kept up to date per change rather than recounted.
    The one-relation check only looks again at the relations whose cells changed since it last
    looked (a relation that gave nothing away then gives nothing away now), and a cell the linear
    programs once showed to be free stays free: hiding a cell, or showing "x" for a "<5", only
    widens what a reader must consider, and a cell that becomes known was pinned down at its true
    value already. So the answer is the one a check of everything from scratch after every
    change gives, at a fraction of the work."""

    def __init__(self, waarden, lijnen, minimum: int, onzichtbaar: set, rang, verborgen: set = frozenset()) -> None:
        import numpy as np  # here, not at the top: most processes that import this never suppress

        self.waarden, self.minimum, self.onzichtbaar = waarden, minimum, onzichtbaar
        lijnen = list(lijnen)
        self.lijnen = [list(lijn) for lijn in lijnen]
        self.rang = {k: rang(k) for k in waarden}
        self.gevoelig = {k for k, v in waarden.items() if 0 < v < minimum}
        self.primair = self.gevoelig - onzichtbaar
        self.verborgen = set(self.primair) | (set(verborgen) - onzichtbaar)
        self.afgeleid: set = set()  # unpublished, not small, and given away by a relation: fine, but known
        self.verzwegen: set = set()  # small counts shown as "x" rather than "<5" (no upper bound)
        self.teken = [dict(lijn) if isinstance(lijn, Mapping) else
                      {k: -1 if i == len(lijn) - 1 else 1 for i, k in enumerate(lijn)} for lijn in lijnen]
        self.plek = [{} for _ in self.lijnen]  # cell -> its first position in the relation
        self.in_lijnen: dict = {}  # cell -> the relations holding it, in order
        for n, lijn in enumerate(self.lijnen):
            for i, k in enumerate(lijn):
                if k not in self.plek[n]:
                    self.plek[n][k] = i
                    self.in_lijnen.setdefault(k, []).append(n)
        # Every cell of a relation numbered in order of first appearance, and per cell what the
        # numpy checks need: unknown or not, its bounds, whether it must stay hidden.
        self.volgorde = {k: i for i, k in enumerate(dict.fromkeys(k for lijn in self.lijnen for k in lijn))}
        self.cellen = list(self.volgorde)
        self.e_rij = np.array([n for n, lijn in enumerate(self.lijnen) for _ in self.plek[n]], dtype=int)
        self.e_cel = np.array([self.volgorde[k] for plek in self.plek for k in plek], dtype=int)
        self.e_plus = np.array([self.teken[n][k] > 0 for n, plek in enumerate(self.plek) for k in plek], dtype=bool)
        self.is_onbekend = np.zeros(len(self.cellen), dtype=bool)
        self.is_doel = np.zeros(len(self.cellen), dtype=bool)
        self.laag = np.zeros(len(self.cellen))
        self.hoog = np.zeros(len(self.cellen))
        self.waar = np.array([waarden[k] for k in self.cellen], dtype=float)
        # A cap far above any count keeps every linear program bounded (a cell that reaches it is free).
        self.plafond = 2 * sum(abs(v) for v in waarden.values()) + 2 * minimum
        self.onbekend = [[] for _ in self.lijnen]  # per relation: its unknown cells, in order
        self.doel = [0] * len(self.lijnen)  # per relation: the value its unknown part must take
        self.lokaal_te_doen = set(range(len(self.lijnen)))  # relations `lokaal` must look at again
        self.vastgelopen: set[int] = set()  # relations where nothing could be hidden: look again always
        self.vrij: set = set()  # cells a linear program showed can take another value
        self._herzie(range(len(self.lijnen)))
        self._cijfers(self.cellen)

    # --- the state ---------------------------------------------------------------------------------

    def _is_onbekend(self, k) -> bool:
        return (k in self.onzichtbaar and k not in self.afgeleid) or k in self.verborgen

    def _herzie(self, relaties) -> None:
        """The unknown cells and known part of these relations, from scratch."""
        for n in relaties:
            lijn, teken = self.lijnen[n], self.teken[n]
            self.onbekend[n] = [k for k in lijn if self._is_onbekend(k)]
            self.doel[n] = -sum(teken[k] * self.waarden[k] for k in lijn if not self._is_onbekend(k))
            self.lokaal_te_doen.add(n)

    def _cijfers(self, cellen) -> None:
        for k in cellen:
            if k in self.volgorde:
                i = self.volgorde[k]
                self.is_onbekend[i] = self._is_onbekend(k)
                self.is_doel[i] = k in self.verborgen or k in self.gevoelig
                self.laag[i], self.hoog[i] = self.grenzen(k)

    def _gewijzigd(self, cellen) -> None:
        """After these cells were hidden, given away or shown as "x": their relations' unknown
        cells and known part follow, and `lokaal` looks at those relations again."""
        self._cijfers(cellen)
        for k in cellen:
            nu = self._is_onbekend(k)
            for n in self.in_lijnen.get(k, ()):
                self.lokaal_te_doen.add(n)
                onbekend = self.onbekend[n]
                if nu and k not in onbekend:
                    bisect.insort(onbekend, k, key=self.plek[n].__getitem__)
                    self.doel[n] += self.teken[n][k] * self.waarden[k]
                elif not nu and k in onbekend:
                    onbekend.remove(k)
                    self.doel[n] -= self.teken[n][k] * self.waarden[k]

    def grenzen(self, k) -> tuple[float, float]:
        """What a reader knows of a cell that is not shown."""
        if k in self.primair and k not in self.verzwegen:
            return 1, self.minimum - 1
        # "x" is never 0 to a reader, except a cell hidden from the start whatever its value.
        return (1 if k in self.verborgen and self.waarden[k] > 0 else 0), math.inf

    def _relaties_met(self, cellen) -> list[int]:
        return sorted({n for k in cellen for n in self.in_lijnen.get(k, ())})

    # --- hiding one more cell ---------------------------------------------------------------------

    def verberg_naast(self, cel, in_lijnen=None) -> bool:
        """Hide the best known cell of a relation holding `cel` (of `in_lijnen`, default all);
        when those have none, of the relations one step further (through their unknown cells),
        and so on. False when there is none at all."""
        w, verborgen, onzichtbaar = self.waarden, self.verborgen, self.onzichtbaar
        rand, gezien, ringen = {cel}, {cel}, []
        while rand:
            ringen.append(rand)
            relaties = self._relaties_met(rand)
            if in_lijnen is not None:
                relaties = [n for n in relaties if n in in_lijnen]
            kandidaten = [(self.rang[k], w[k] <= self.minimum, w[k], self.plek[n][k], n, k)
                          for n in relaties for k in self.lijnen[n]
                          if k not in verborgen and k not in onzichtbaar and w[k] > 0]
            if kandidaten:
                beste = min(kandidaten, key=lambda t: t[:5])[-1]
                verborgen.add(beste)
                self._gewijzigd([beste])
                return True
            in_lijnen = None
            rand = {k for n in self._relaties_met(rand) for k in self.onbekend[n]} - gezien
            gezien |= rand
        # Nothing left to hide (every other count is 0 or hidden): a "<5" nearby becomes "x",
        # which has no upper bound, so small counts no longer add up to a known total.
        for ring in ringen:
            klein_ = sorted((k for k in ring if k in self.primair and k not in self.verzwegen),
                            key=lambda k: (-self.rang[k], self.volgorde[k]))
            if klein_:
                self.verzwegen.add(klein_[0])
                self._gewijzigd([klein_[0]])
                return True
        return False

    # --- the checks -------------------------------------------------------------------------------

    def bereik(self, n: int, grens) -> tuple[float, float, float]:
        """The relation's known part (as the value its unknown part must take) and the unknown
        part's smallest and largest value within the bounds."""
        teken = self.teken[n]
        laag = sum(grens[k][0] if teken[k] > 0 else -grens[k][1] for k in self.onbekend[n])
        hoog = sum(grens[k][1] if teken[k] > 0 else -grens[k][0] for k in self.onbekend[n])
        return self.doel[n], laag, hoog

    def lokaal(self) -> None:
        """One relation at a time, until none pins down a hidden cell."""
        veranderd = True
        while veranderd:
            veranderd = False
            for n in range(len(self.lijnen)):
                if n not in self.lokaal_te_doen and n not in self.vastgelopen:
                    continue
                self.lokaal_te_doen.discard(n)
                self.vastgelopen.discard(n)
                onbekend = self.onbekend[n]
                if not onbekend:
                    continue
                doel, laag, hoog = self.bereik(n, {k: self.grenzen(k) for k in onbekend})
                if len(onbekend) > 1 and doel not in (laag, hoog):
                    continue
                if all(k in self.onzichtbaar and k not in self.gevoelig for k in onbekend):
                    self.afgeleid.update(onbekend)
                    self._gewijzigd(list(onbekend))
                    veranderd = True
                elif self.verberg_naast(onbekend[0], {n}):
                    veranderd = True
                else:
                    self.vastgelopen.add(n)  # the answer depends on the whole table: ask again next round

    def vastgelegd(self) -> list:
        """A hidden or small cell whose bounds, carried through every relation, leave one value:
        every relation narrows the bounds of its unknown cells from the others' bounds, all at
        once (numpy), until nothing narrows any more."""
        import numpy as np

        bekeken = self.is_onbekend[self.e_cel]  # the entries of unknown cells
        if not bekeken.any():
            return []
        rij, cel, plus = self.e_rij[bekeken], self.e_cel[bekeken], self.e_plus[bekeken]
        doel = np.array(self.doel, dtype=float)[rij]
        laag, hoog = self.laag.copy(), self.hoog.copy()
        relaties = len(self.lijnen)

        def zonder_eigen(delen, oneindig):
            """Per entry: the sum of the other entries of its relation (±inf when one of them is)."""
            eindig = np.where(oneindig, 0.0, delen)
            som = np.bincount(rij, weights=eindig, minlength=relaties)[rij] - eindig
            aantal = np.bincount(rij, weights=oneindig, minlength=relaties)[rij] - oneindig
            return som, aantal > 0

        # Bounds can creep one at a time round a cycle of relations: stop after a hundred rounds
        # (the linear programs below miss nothing this stops short of).
        for _ in range(100):
            # Each entry's share in its relation, (smallest, largest), as +cell or -cell.
            deel_laag = np.where(plus, laag[cel], -hoog[cel])
            deel_hoog = np.where(plus, hoog[cel], -laag[cel])
            rest_laag, laag_open = zonder_eigen(deel_laag, deel_laag == -math.inf)
            rest_hoog, hoog_open = zonder_eigen(deel_hoog, deel_hoog == math.inf)
            van = np.where(hoog_open, -math.inf, doel - rest_hoog)  # this entry's share
            tot = np.where(laag_open, math.inf, doel - rest_laag)
            nieuw_laag, nieuw_hoog = laag.copy(), hoog.copy()
            np.maximum.at(nieuw_laag, cel, np.where(plus, van, -tot))
            np.minimum.at(nieuw_hoog, cel, np.where(plus, tot, -van))
            if np.array_equal(nieuw_laag, laag) and np.array_equal(nieuw_hoog, hoog):
                break
            laag, hoog = nieuw_laag, nieuw_hoog
        # In order of first appearance, as the cells are numbered.
        return [self.cellen[i] for i in np.flatnonzero((laag == hoog) & self.is_onbekend & self.is_doel)]

    def vastgelegd_lp(self):
        """The same with every relation at once (a sum of relations can pin cells down that no
        single one does), by linear programs: the hidden or small cells that cannot take another
        value, in order, found one by one (the caller mostly needs only the first)."""
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import csc_matrix

        bekeken = self.is_onbekend[self.e_cel]  # the entries of unknown cells
        relaties, rij = np.unique(self.e_rij[bekeken], return_inverse=True)
        nummers, kolom = np.unique(self.e_cel[bekeken], return_inverse=True)  # in order of first appearance
        doel_kolom = np.flatnonzero(self.is_doel[nummers])
        if not len(doel_kolom):
            return
        doelen = [self.cellen[i] for i in nummers[doel_kolom]]
        a = csc_matrix((np.where(self.e_plus[bekeken], 1.0, -1.0), (rij, kolom)), shape=(len(relaties), len(nummers)))
        b = np.array(self.doel, dtype=float)[relaties]
        grens = np.column_stack([self.laag[nummers], np.minimum(self.hoog[nummers], self.plafond)])
        waar = self.waar[nummers]
        # A cell at a bound can only move away from it: push it that way (+1 pushes down).
        kant = {k: -1 if waar[i] <= grens[i, 0] else 1 if waar[i] >= grens[i, 1] else 0
                for k, i in zip(doelen, doel_kolom)}
        kolom_van = dict(zip(doelen, doel_kolom))

        def anders(richting: dict) -> set:
            """Cells that take another value than the true one at the optimum in `richting`."""
            c = np.zeros(len(nummers))
            for k, w in richting.items():
                c[kolom_van[k]] = w
            # Without presolve: the programs are small and sparse, and presolving each costs more
            # than it saves.
            x = linprog(c, A_eq=a, b_eq=b, bounds=grens, method="highs", options={"presolve": False}).x
            verschoven = np.abs(x[doel_kolom] - waar[doel_kolom]) > 0.5
            vrij = {doelen[i] for i in np.flatnonzero(verschoven)}
            self.vrij |= vrij
            return vrij

        open_ = set(doelen) - self.vrij
        for teken_ in (1, -1):  # all at once first: most cells move in one of these two
            if open_:
                open_ -= anders({k: kant[k] or teken_ for k in open_})
        # Then mixed directions, while they still free cells: far fewer programs than one or two
        # per cell below. A cell only leaves `open_` when it is shown to move, so the answer is
        # the same; the fixed seed keeps a report reproducible.
        toeval = random.Random(len(nummers))
        while len(open_) > 2:
            vrij = anders({k: kant[k] or toeval.choice((1, -1)) for k in open_}) & open_
            if not vrij:
                break
            open_ -= vrij
        for k in doelen:
            for teken_ in (1, -1):  # down, then up; not towards a bound it sits at
                if k in open_ and kant[k] != -teken_:
                    open_ -= anders({k: teken_})
            if k in open_:
                yield k

    def uitkomst(self) -> dict:
        self.lokaal()
        while any(self.verberg_naast(cel) for cel in self.vastgelegd() or self.vastgelegd_lp()):
            self.lokaal()
        m = self.minimum
        return {
            k: klein(m) if k in self.primair and k not in self.verzwegen else VERBORGEN if k in self.verborgen else int(v)
            for k, v in self.waarden.items() if k not in self.onzichtbaar
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

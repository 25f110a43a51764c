"""The legal working-day calendar (Algemene termijnenwet) used for every working-day term.

Not a working day: Saturday, Sunday, the algemeen erkende feestdagen of art. 3 (from the
`holidays` package, including Goede Vrijdag and 5 mei every year) and the extra days in the
region's settings (bridge days equated by decree, regional closures). No dates live in code.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

from models.regels.instellingen import TIJDZONE, KalenderInstellingen

if TYPE_CHECKING:
    from models.regels.instellingen import Instellingen

AMSTERDAM = ZoneInfo(TIJDZONE)

# "public" alone drops Bevrijdingsdag outside lustrum years; the Algemene termijnenwet counts
# 5 mei (and Goede Vrijdag) every year.
_CATEGORIEEN = ("public", "optional")
_WEEKEND = {5: "zaterdag", 6: "zondag"}


def _weekdagen_t_m(ordinaal: int) -> int:
    """Number of Mon-Fri days with ordinal 1..ordinaal (ordinal 1, 0001-01-01, is a Monday)."""
    weken, rest = divmod(ordinaal, 7)
    return weken * 5 + min(rest, 5)


def _ordinaal_van_weekdag(k: int) -> int:
    """Inverse of `_weekdagen_t_m`: the ordinal of the k-th Mon-Fri day (k >= 1)."""
    weken, rest = divmod(k, 5)
    return weken * 7 - 2 if rest == 0 else weken * 7 + rest


def eis_tijdzone(moment: dt.datetime, naam: str = "tijdstip") -> None:
    """Naive datetimes are ambiguous (local? UTC?); a wrong guess shifts a legal deadline."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{naam} {moment.isoformat()} heeft geen tijdzone; geef een tijdzonebewust tijdstip "
            "(bijvoorbeeld in UTC of Europe/Amsterdam)."
        )


class Werkkalender:
    """Working days of one region. Holidays are loaded per year, lazily, and indexed once."""

    def __init__(self, instellingen: KalenderInstellingen) -> None:
        self.instellingen = instellingen
        self._jaren: range = range(0)  # years whose feestdagen are loaded (contiguous)
        # non-working day -> reden; the settings' days for all years, feestdagen added per year
        self._vrij: dict[dt.date, str] = {d.datum: d.reden for d in instellingen.extra_niet_werkdagen}
        self._vrije_weekdagen: list[int] = []  # sorted ordinals of non-working Mon-Fri days
        self._slot = threading.Lock()
        self._indexeer()

    # -- index -----------------------------------------------------------------------------

    def _zorg_voor_jaren(self, van: int, tot: int) -> None:
        if van in self._jaren and tot in self._jaren:
            return
        with self._slot:
            huidig = self._jaren
            if huidig:  # stay contiguous, so werkdagen_tussen never sees a gap
                van, tot = min(van, huidig.start), max(tot, huidig.stop - 1)
            nieuw = range(van, tot + 1)
            ontbrekend = [j for j in nieuw if j not in huidig]
            if not ontbrekend:
                return
            feestdagen = holidays.NL(categories=_CATEGORIEEN, language="nl", years=ontbrekend)
            vrij = dict(self._vrij)
            for datum, naam in feestdagen.items():
                vrij[datum] = naam  # the legal name wins over a region's reden for the same day
            self._vrij = vrij
            self._indexeer()
            self._jaren = nieuw

    def _indexeer(self) -> None:
        self._vrije_weekdagen = sorted(d.toordinal() for d in self._vrij if d.weekday() < 5)

    # -- single days -----------------------------------------------------------------------

    def reden_niet_werkdag(self, d: dt.date) -> str | None:
        """Why `d` is not a working day: feestdag, the settings' reden, or "zaterdag"/"zondag".
        None for a working day."""
        self._zorg_voor_jaren(d.year, d.year)
        return self._vrij.get(d) or _WEEKEND.get(d.weekday())

    def is_werkdag(self, d: dt.date) -> bool:
        return self.reden_niet_werkdag(d) is None

    def volgende_werkdag(self, d: dt.date) -> dt.date:
        """The first working day strictly after `d`."""
        return self.plus_werkdagen(d, 1)

    def werkdag_op_of_na(self, d: dt.date) -> dt.date:
        return d if self.is_werkdag(d) else self.volgende_werkdag(d)

    # -- counting --------------------------------------------------------------------------

    def werkdagen_tussen(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]; 0 if b <= a. Weekday arithmetic plus a bisect on the holidays."""
        if b <= a:
            return 0
        self._zorg_voor_jaren(a.year, b.year)
        oa, ob = a.toordinal(), b.toordinal()
        index = self._vrije_weekdagen
        vrij = bisect.bisect_right(index, ob) - bisect.bisect_right(index, oa)
        return _weekdagen_t_m(ob) - _weekdagen_t_m(oa) - vrij

    def plus_werkdagen(self, d: dt.date, n: int) -> dt.date:
        """The n-th working day after `d` (n=0: `d` itself)."""
        if n < 0:
            raise ValueError(f"aantal werkdagen moet >= 0 zijn, niet {n}")
        # Jump n weekdays ahead, then make up for the feestdagen skipped on the way; stops
        # when a jump contains no feestdag, so its last day is a working day.
        while n > 0:
            sprong = dt.date.fromordinal(_ordinaal_van_weekdag(_weekdagen_t_m(d.toordinal()) + n))
            n -= self.werkdagen_tussen(d, sprong)
            d = sprong
        return d

    # -- receipt ---------------------------------------------------------------------------

    def startdag(self, ontvangen_op: dt.datetime) -> dt.date:
        """Day 0 of a working-day term: the local receipt date, or the next working day when
        received on a non-working day or (if configured) after office hours."""
        eis_tijdzone(ontvangen_op, "ontvangen_op")
        lokaal = ontvangen_op.astimezone(AMSTERDAM)
        dag = lokaal.date()
        na_kantoortijd = (
            self.instellingen.na_kantoortijd_volgende_werkdag
            and lokaal.time() >= self.instellingen.kantoortijd_einde
        )
        if not self.is_werkdag(dag) or na_kantoortijd:
            return self.volgende_werkdag(dag)
        return dag


# Keyed by id() with the settings object kept alive alongside, so an id is never reused while
# cached; the settings models are frozen, so a cached calendar never goes stale.
_kalenders: dict[int, tuple[KalenderInstellingen, Werkkalender]] = {}


def werkkalender(instellingen: Instellingen) -> Werkkalender:
    """The (cached) working-day calendar of these settings."""
    kal = instellingen.kalender
    gevonden = _kalenders.get(id(kal))
    if gevonden is None or gevonden[0] is not kal:
        if len(_kalenders) >= 32:
            _kalenders.clear()
        gevonden = _kalenders[id(kal)] = (kal, Werkkalender(kal))
    return gevonden[1]

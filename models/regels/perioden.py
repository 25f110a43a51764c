"""The periods of the biweekly report: which local days a report covers, which period is the
last one closed, a period end as staff type it, and the schedule. Pure: no storage, no Prefect.

Report for period end E covers the local days (E - interval, E]; "as of the end" is local
midnight after E. `rapportage.anker` is one report moment: it fixes the weekday and time, and
reports go out every interval before and after it (an anchor in the future still gives a
report within one interval from now).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.regels.instellingen import Rapportage
from models.regels.kalender import AMSTERDAM

UTC = dt.timezone.utc

# --- periods ----------------------------------------------------------------------------------


class OngeldigePeriode(ValueError):
    """A date that is not the last day of a report period, or a period not over yet."""


@dataclass(frozen=True)
class Periode:
    start: dt.date  # first local day
    eind: dt.date  # last local day (the period end the report is named after)

    @property
    def begin_utc(self) -> dt.datetime:
        return middernacht(self.start)

    @property
    def eind_utc(self) -> dt.datetime:
        """Local midnight after the last day: the moment "as of the period end"."""
        return middernacht(self.eind + dt.timedelta(days=1))


def middernacht(dag: dt.date) -> dt.datetime:
    return dt.datetime.combine(dag, dt.time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def _anker(rapportage: Rapportage) -> dt.datetime:
    """The anchor as local time: a time without zone in the settings means Europe/Amsterdam."""
    anker = rapportage.anker
    return anker.replace(tzinfo=AMSTERDAM) if anker.tzinfo is None else anker.astimezone(AMSTERDAM)


def _lengte(rapportage: Rapportage) -> dt.timedelta:
    return dt.timedelta(weeks=rapportage.interval_weken)


def _eerste_eind(rapportage: Rapportage) -> dt.date:
    # The report sent at the anchor covers the days up to and including the day before it.
    return _anker(rapportage).date() - dt.timedelta(days=1)


def periode(rapportage: Rapportage, eind: dt.date) -> Periode:
    """The period ending on `eind`, which must lie on the schedule's grid (before or after the anchor)."""
    lengte = _lengte(rapportage)
    if not rapportage.werkdagen_vanaf_jaar <= eind.year <= rapportage.werkdagen_tot_en_met_jaar:
        raise OngeldigePeriode(
            f"{eind:%d-%m-%Y} valt buiten de jaren waarvoor het systeem werkdagen kent "
            f"({rapportage.werkdagen_vanaf_jaar} t/m {rapportage.werkdagen_tot_en_met_jaar}); vraag beheer dit "
            "in de instellingen uit te breiden."
        )
    rest = (eind - _eerste_eind(rapportage)).days % lengte.days
    if rest:
        ervoor = eind - dt.timedelta(days=rest)
        raise OngeldigePeriode(
            f"{eind:%d-%m-%Y} is geen laatste dag van een rapportageperiode; de dichtstbijzijnde zijn "
            f"{ervoor:%d-%m-%Y} en {ervoor + lengte:%d-%m-%Y} (een periode duurt {rapportage.interval_weken} "
            "weken)."
        )
    return Periode(eind - lengte + dt.timedelta(days=1), eind)


def afgesloten_periode(rapportage: Rapportage, eind: dt.date, vandaag: dt.date) -> Periode:
    """Like `periode`, and the period must be over (its last day before `vandaag`)."""
    gevraagd = periode(rapportage, eind)
    if gevraagd.eind >= vandaag:
        raise OngeldigePeriode(
            f"De periode tot en met {eind:%d-%m-%Y} is nog niet voorbij; de laatste afgesloten periode "
            f"eindigt op {laatste_periode(rapportage, vandaag).eind:%d-%m-%Y}."
        )
    return gevraagd


def laatste_periode(rapportage: Rapportage, vandaag: dt.date) -> Periode:
    """The most recent period that is over on `vandaag` (local date)."""
    lengte = _lengte(rapportage).days
    stappen = ((vandaag - dt.timedelta(days=1)) - _eerste_eind(rapportage)).days // lengte
    return periode(rapportage, _eerste_eind(rapportage) + dt.timedelta(days=stappen * lengte))


def eerdere_perioden(rapportage: Rapportage, laatste: Periode, aantal: int) -> list[Periode]:
    """`aantal` periods ending with `laatste`, newest first."""
    return [periode(rapportage, laatste.eind - i * _lengte(rapportage)) for i in range(aantal)]


def blokeind(rapportage: Rapportage, eind: dt.date, weken: int) -> dt.date:
    """The last day of the latest block of `weken` weeks that is over at period end `eind`:
    blocks lie end to end on the schedule's grid (a period end every `weken` weeks from the
    first one), so two reports' blocks are the same or do not overlap."""
    rest = (eind - _eerste_eind(rapportage)).days % (7 * weken)
    return eind - dt.timedelta(days=rest)


def interval_en_anker(rapportage: Rapportage) -> tuple[dt.timedelta, dt.datetime]:
    """The schedule: every interval from the anchor, in local time (Prefect's interval schedule
    keeps 08:00 across daylight saving time and reaches back from an anchor in the future)."""
    return _lengte(rapportage), _anker(rapportage)


LAATSTE = "laatste"  # what staff type (the form's default) for the latest period that is over
_DATUMVORMEN = ("%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y")


def lees_dag(tekst: str, leeg: tuple[str, ...]) -> dt.date | None:
    """A day as staff type it in a run form: "22-11-2026" (or 2026-11-22, 22/11/2026); one of the
    words in `leeg` (the form's default, e.g. "laatste") or nothing: None. Not a day: ValueError."""
    tekst = tekst.strip().lower()
    if tekst in ("", *leeg):
        return None
    for vorm in _DATUMVORMEN:
        try:
            return dt.datetime.strptime(tekst, vorm).date()
        except ValueError:
            continue
    raise ValueError(f"'{tekst}' is geen datum")


def lees_periode_eind(tekst: str) -> dt.date | None:
    """A period end as staff type it: "22-11-2026" (or 2026-11-22); "laatste" or empty: None,
    the latest period that is over. Raises OngeldigePeriode in Dutch."""
    try:
        return lees_dag(tekst, (LAATSTE,))
    except ValueError:
        raise OngeldigePeriode(
            f"'{tekst.strip()}' is geen datum. Vul de laatste dag van de periode in als dag-maand-jaar, "
            f"bijvoorbeeld 22-11-2026, of '{LAATSTE}' voor de laatste afgesloten periode."
        ) from None

"""The periods of the biweekly report: which local days a report covers, which period is the
last one closed, and the schedule as an RRule. Pure: no storage, no Prefect.

Report for period end E covers the local days (E - interval, E]; "as of the end" is local
midnight after E. The schedule's first report moment is `rapportage.anker`.
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
            f"{eind.isoformat()} valt buiten de werkdagentabel ({rapportage.werkdagen_vanaf_jaar} t/m "
            f"{rapportage.werkdagen_tot_en_met_jaar}; rapportage.werkdagen_vanaf_jaar en _tot_en_met_jaar)."
        )
    rest = (eind - _eerste_eind(rapportage)).days % lengte.days
    if rest:
        ervoor = eind - dt.timedelta(days=rest)
        raise OngeldigePeriode(
            f"{eind.isoformat()} is geen laatste dag van een rapportageperiode; de dichtstbijzijnde zijn "
            f"{ervoor.isoformat()} en {(ervoor + lengte).isoformat()} (elke {rapportage.interval_weken} "
            f"weken vanaf het anker {_anker(rapportage):%Y-%m-%d %H:%M})."
        )
    return Periode(eind - lengte + dt.timedelta(days=1), eind)


def afgesloten_periode(rapportage: Rapportage, eind: dt.date, vandaag: dt.date) -> Periode:
    """Like `periode`, and the period must be over (its last day before `vandaag`)."""
    gevraagd = periode(rapportage, eind)
    if gevraagd.eind >= vandaag:
        raise OngeldigePeriode(
            f"De periode tot en met {eind.isoformat()} is nog niet voorbij; de laatste afgesloten periode "
            f"eindigt op {laatste_periode(rapportage, vandaag).eind.isoformat()}."
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


def rrule(rapportage: Rapportage) -> str:
    """The schedule as an RRule with an explicit DTSTART (local time; PREFECT_NOTES)."""
    anker = _anker(rapportage)
    dag = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][anker.weekday()]
    return (f"DTSTART:{anker:%Y%m%dT%H%M%S}\n"
            f"RRULE:FREQ=WEEKLY;INTERVAL={rapportage.interval_weken};BYDAY={dag}")

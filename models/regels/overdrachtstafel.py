"""The overdrachtstafel (seed 004): when a casus registered with the lokaal team is discussed.

A pure rule on the Amsterdam calendar: a casus goes to the first tafel whose agenda has not gone
out yet at the moment of the besluit, so every casus is on the agenda its participants get. On
the tafel's own day before the agenda (its start minus `agenda_minuten_vooraf`) that is the same
day; from the agenda on, a week later. A tafel that falls on a day that is not a working day (a
feestdag of the Algemene termijnenwet or a day in `kalender.extra_niet_werkdagen`) does not take
place: the casus goes to the tafel of the week after. Not moved to another day, because a tafel
is a standing meeting of several teams that a feestdag cancels rather than shifts.
"""

from __future__ import annotations

import datetime as dt

from models.regels.instellingen import Overdrachtstafel, Weekdag
from models.regels.kalender import AMSTERDAM, Werkkalender, eis_tijdzone

WEEKDAGNUMMER = {dag: nummer for nummer, dag in enumerate(Weekdag)}  # maandag = 0, as date.weekday()
_MAX_WEKEN = 8  # a tafel cancelled this many weeks in a row is a settings mistake, not a calendar


def tafelmoment(tafel: Overdrachtstafel, dag: dt.date) -> dt.datetime:
    """The start of the tafel on `dag`, Amsterdam time."""
    return dt.datetime.combine(dag, tafel.tijd, tzinfo=AMSTERDAM)


def volgende_tafel(tafel: Overdrachtstafel, moment: dt.datetime, kalender: Werkkalender) -> dt.datetime:
    """The start of the first tafel strictly after `moment` that takes place (a working day)."""
    eis_tijdzone(moment, "moment")
    lokaal = moment.astimezone(AMSTERDAM)
    dag = lokaal.date() + dt.timedelta(days=(WEEKDAGNUMMER[tafel.weekdag] - lokaal.weekday()) % 7)
    if tafelmoment(tafel, dag) <= lokaal:
        dag += dt.timedelta(weeks=1)
    for _ in range(_MAX_WEKEN):
        if kalender.is_werkdag(dag):
            return tafelmoment(tafel, dag)
        dag += dt.timedelta(weeks=1)
    raise ValueError(f"de overdrachtstafel op {tafel.weekdag.value} valt {_MAX_WEKEN} weken op rij op een vrije dag")


def agenda_moment(tafel: Overdrachtstafel, dag: dt.date) -> dt.datetime:
    """When the agenda of the tafel on `dag` goes out."""
    return tafelmoment(tafel, dag) - dt.timedelta(minutes=tafel.agenda_minuten_vooraf)


def tafel_voor_besluit(tafel: Overdrachtstafel, moment: dt.datetime, kalender: Werkkalender) -> dt.datetime:
    """The start of the tafel a casus decided at `moment` goes to: the first that takes place
    whose agenda goes out after `moment` (a casus added after its tafel's agenda went out would
    be on no agenda)."""
    vooraf = dt.timedelta(minutes=tafel.agenda_minuten_vooraf)
    return volgende_tafel(tafel, moment + vooraf, kalender)


def agenda_cron(tafel: Overdrachtstafel) -> str:
    """The schedule (cron, Amsterdam time) of the agenda: the tafel's weekday, its lead time
    before the start. A lead time that crosses midnight runs the day before."""
    start = dt.datetime.combine(dt.date(2026, 1, 5) + dt.timedelta(days=WEEKDAGNUMMER[tafel.weekdag]), tafel.tijd)
    uit = start - dt.timedelta(minutes=tafel.agenda_minuten_vooraf)
    return f"{uit.minute} {uit.hour} * * {(uit.weekday() + 1) % 7}"  # cron: zondag = 0

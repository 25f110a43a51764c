"""When a term falls due and when the team is warned, from the settings' `TermijnRegel`s.

All results are aware UTC datetimes. Arithmetic on elapsed time is done in UTC: Python adds a
timedelta to an Europe/Amsterdam datetime in wall-clock time, which is wrong across DST.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from models.regels.instellingen import (
    Eenheid,
    Instellingen,
    TermijnRegel,
    TermijnSoort,
    TermijnStart,
    Urgentie,
)
from models.regels.kalender import AMSTERDAM, Werkkalender, eis_tijdzone, werkkalender

__all__ = ["TermijnBerekening", "bereken_termijn", "contactregel", "eenheid_van", "monitoringregel", "na_opschorting",
           "termijnen_bij_ontvangst", "werkkalender"]

UTC = dt.timezone.utc

# Terms measured in calendar time; a due date on a non-working day moves to the next working
# day (Algemene termijnenwet art. 1).
_KALENDERPERIODE = {
    Eenheid.kalenderdagen: lambda n: relativedelta(days=n),
    Eenheid.weken: lambda n: relativedelta(weeks=n),
    Eenheid.maanden: lambda n: relativedelta(months=n),
}
# Acute terms run day and night.
_VERSTREKEN_TIJD = {
    Eenheid.minuten: lambda n: dt.timedelta(minutes=n),
    Eenheid.uren: lambda n: dt.timedelta(hours=n),
}

# Monitoring moments are set in months (`monitoring_momenten_maanden`) and waiting-list contact
# in working days per urgency (`contact_interval_werkdagen`), whatever unit their regel names.
_VASTE_EENHEID = {TermijnSoort.monitoring: Eenheid.maanden, TermijnSoort.werkvoorraad_contact: Eenheid.werkdagen}


def eenheid_van(soort: TermijnSoort, instellingen: Instellingen) -> Eenheid:
    """The unit a term of `soort` is counted in."""
    return _VASTE_EENHEID.get(soort, instellingen.termijnen[soort].eenheid)


@dataclass(frozen=True)
class TermijnBerekening:
    soort: TermijnSoort
    start: dt.datetime
    vervalt_op: dt.datetime
    waarschuw_op: dt.datetime
    omschrijving: str


def _vervaldag(regel: TermijnRegel, start: dt.datetime, kalender: Werkkalender) -> dt.date:
    if regel.eenheid == Eenheid.werkdagen:
        return kalender.plus_werkdagen(kalender.startdag(start), regel.aantal)
    lokale_dag = start.astimezone(AMSTERDAM).date()
    return kalender.werkdag_op_of_na(lokale_dag + _KALENDERPERIODE[regel.eenheid](regel.aantal))


def _vervalt_op(
    regel: TermijnRegel, start: dt.datetime, kalender: Werkkalender, eindtijd: dt.time
) -> dt.datetime:
    if regel.eenheid in _VERSTREKEN_TIJD:
        return start + _VERSTREKEN_TIJD[regel.eenheid](regel.aantal)
    # combine() with the zone (not a fixed offset) picks CET or CEST for that very day.
    lokaal = dt.datetime.combine(_vervaldag(regel, start, kalender), eindtijd, tzinfo=AMSTERDAM)
    return lokaal.astimezone(UTC)


def bereken_termijn(
    soort: TermijnSoort, regel: TermijnRegel, start: dt.datetime, kalender: Werkkalender, eindtijd: dt.time
) -> TermijnBerekening:
    """The deadline of one term starting at `start` (aware), due at `eindtijd` local time on
    its last day unless it is measured in minutes or hours."""
    eis_tijdzone(start, "start")
    start = start.astimezone(UTC)
    vervalt_op = _vervalt_op(regel, start, kalender, eindtijd)
    # Whole seconds: a warning moment is read by people, not by a stopwatch.
    waarschuw_op = (start + (vervalt_op - start) * regel.waarschuwing_aandeel).replace(microsecond=0)
    return TermijnBerekening(soort, start, vervalt_op, waarschuw_op, regel.omschrijving)


def na_opschorting(
    eenheid: Eenheid, vervalt_op: dt.datetime, opgeschort_op: dt.datetime, hervat_op: dt.datetime,
    kalender: Werkkalender,
) -> dt.datetime:
    """The deadline after a suspension (opschorting) from `opgeschort_op` to `hervat_op`.

    Terms in minutes or hours run day and night: they move by the elapsed time. Day terms move
    by whole days, counted from the suspension day to the resumption day (Europe/Amsterdam), and
    keep their time of day: a working-day term by the working days in that span (a weekend does
    not lengthen it), a calendar term by the calendar days and then to the next working day if it
    lands on a weekend or feestdag (Algemene termijnenwet art. 1)."""
    for moment, naam in ((vervalt_op, "vervalt_op"), (opgeschort_op, "opgeschort_op"), (hervat_op, "hervat_op")):
        eis_tijdzone(moment, naam)
    if eenheid in _VERSTREKEN_TIJD:
        return (vervalt_op + (hervat_op - opgeschort_op)).astimezone(UTC)
    van, tot = opgeschort_op.astimezone(AMSTERDAM).date(), hervat_op.astimezone(AMSTERDAM).date()
    lokaal = vervalt_op.astimezone(AMSTERDAM)
    if eenheid == Eenheid.werkdagen:
        dag = kalender.plus_werkdagen(lokaal.date(), kalender.werkdagen_tussen(van, tot))
    else:
        dag = kalender.werkdag_op_of_na(lokaal.date() + dt.timedelta(days=max((tot - van).days, 0)))
    return dt.datetime.combine(dag, lokaal.time(), tzinfo=AMSTERDAM).astimezone(UTC)


def monitoringregel(regel: TermijnRegel, maanden: int) -> TermijnRegel:
    """The term of one monitoring moment, labelled 'Monitoring na N maanden': the moments list
    sets the length; the regel keeps its warning share."""
    label = f"Monitoring na {maanden} {'maand' if maanden == 1 else 'maanden'}"
    return regel.model_copy(
        update={"aantal": maanden, "eenheid": _VASTE_EENHEID[TermijnSoort.monitoring], "omschrijving": label}
    )


def contactregel(regel: TermijnRegel, werkdagen: int) -> TermijnRegel:
    """How often VT contacts a waiting family depends on the urgentie, not on the regel."""
    return regel.model_copy(update={"aantal": werkdagen, "eenheid": _VASTE_EENHEID[TermijnSoort.werkvoorraad_contact]})


def termijnen_bij_ontvangst(
    instellingen: Instellingen, ontvangen_op: dt.datetime, urgentie: Urgentie
) -> list[TermijnBerekening]:
    """Every deadline a melding received at `ontvangen_op` would get, in protocol order,
    assuming each step finishes exactly at its deadline (planning view of `vt termijnen`)."""
    kalender = werkkalender(instellingen)
    eindtijd = instellingen.kalender.termijn_eindigt_om
    regels = instellingen.termijnen
    urgentieregel = instellingen.urgenties[urgentie]

    def termijn(soort: TermijnSoort, start: dt.datetime, regel: TermijnRegel | None = None):
        return bereken_termijn(soort, regel or regels[soort], start, kalender, eindtijd)

    def vanaf(soort: TermijnSoort, aanvang: dt.datetime) -> dt.datetime:
        return ontvangen_op if regels[soort].start == TermijnStart.ontvangst else aanvang

    intake = [termijn(soort, ontvangen_op) for soort in urgentieregel.termijnen_bij_intake]
    vb_klaar = termijn(TermijnSoort.veiligheidsbeoordeling, ontvangen_op).vervalt_op
    onderzoek = termijn(TermijnSoort.onderzoek, vanaf(TermijnSoort.onderzoek, vb_klaar))
    venv = termijn(
        TermijnSoort.voorwaarden_en_vervolg, vanaf(TermijnSoort.voorwaarden_en_vervolg, vb_klaar)
    )
    overdracht = termijn(TermijnSoort.overdracht, vb_klaar)
    monitoring = [
        termijn(TermijnSoort.monitoring, overdracht.vervalt_op, monitoringregel(regels[TermijnSoort.monitoring], m))
        for m in instellingen.monitoring_momenten_maanden
    ]
    contact_regel = contactregel(
        regels[TermijnSoort.werkvoorraad_contact], urgentieregel.contact_interval_werkdagen
    )
    # Only urgencies that may wait on the werkvoorraad get waiting-list contact moments.
    contact = (
        [termijn(TermijnSoort.werkvoorraad_contact, vb_klaar, contact_regel)]
        if urgentieregel.werkvoorraad_toegestaan
        else []
    )
    return [*intake, onderzoek, venv, overdracht, *monitoring, *contact]

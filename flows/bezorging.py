"""Delivery of queued messages: every minute, everything due is sent; what failed before is
retried with backoff until it arrives or is escalated. A run that could not deliver everything
ends Failed ("2 berichten nog niet bezorgd; volgende poging om ..."), not Completed.
Staff queue a message again with "bericht opnieuw versturen"."""

from __future__ import annotations

from prefect import flow
from prefect.states import Failed

from tasks.bezorging import BezorgResultaat, bezorg_notificaties, bezorgstand, zet_bericht_opnieuw_klaar
from tasks.levensloop import publiceer_casusoverzicht
from models.regels.toegang import SYSTEEM


def toon_in_casussen(resultaat: BezorgResultaat) -> None:
    """The case overview shows what did not arrive (yet), and stops showing it once it did."""
    for referentie in resultaat.casussen:
        publiceer_casusoverzicht(referentie)


@flow(name="berichten-bezorgen", log_prints=False)
def berichten_bezorgen() -> BezorgResultaat:
    resultaat = bezorg_notificaties()
    toon_in_casussen(resultaat)
    return bezorgstand(resultaat)


@flow(name="bericht-opnieuw-versturen", log_prints=False)
def bericht_opnieuw_versturen(berichtnummer: int, door: str = SYSTEEM) -> BezorgResultaat:
    """Zet een mislukt bericht opnieuw klaar en verstuur het meteen, nadat de oorzaak is verholpen.
    The form: flows.acties.BerichtOpnieuwFormulier."""
    if (weigering := zet_bericht_opnieuw_klaar(berichtnummer, door)) is not None:
        return Failed(name="Niet klaargezet", message=weigering)
    resultaat = bezorg_notificaties(alleen=[berichtnummer])
    toon_in_casussen(resultaat)
    return bezorgstand(resultaat)

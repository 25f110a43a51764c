"""Delivery of letters to families and melders: every five minutes, each due letter goes to the
print queue or by e-mail; a failed delivery is retried with backoff until it succeeds or, after
the configured attempts, is escalated to staff. Never dropped, never sent twice. A run that
could not deliver everything ends Failed, not Completed. Staff queue a letter again with
"brief opnieuw versturen"."""

from __future__ import annotations

from prefect import flow
from prefect.states import Failed

from flows.bezorging import toon_in_casussen
from tasks.bezorging import BezorgResultaat, bezorgstand
from tasks.brieven import bezorg_brieven, zet_brief_opnieuw_klaar
from models.regels.toegang import SYSTEEM


@flow(name="brieven-bezorgen", log_prints=False)
def brieven_bezorgen() -> BezorgResultaat:
    resultaat = bezorg_brieven()
    toon_in_casussen(resultaat)
    return bezorgstand(resultaat, wat=("brief", "brieven"))


@flow(name="brief-opnieuw-versturen", log_prints=False)
def brief_opnieuw_versturen(briefnummer: int, door: str = SYSTEEM) -> BezorgResultaat:
    """Zet een mislukte brief opnieuw klaar en bezorg hem meteen, nadat de oorzaak is verholpen.
    The form: flows.acties.BriefOpnieuwFormulier."""
    if (weigering := zet_brief_opnieuw_klaar(briefnummer, door)) is not None:
        return Failed(name="Niet klaargezet", message=weigering)
    resultaat = bezorg_brieven(alleen=[briefnummer])
    toon_in_casussen(resultaat)
    return bezorgstand(resultaat, wat=("brief", "brieven"))

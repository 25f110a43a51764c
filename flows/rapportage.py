"""The biweekly report to the regional overleg: the werkvoorraad per municipality with its
knelpunten, by e-mail with the PDF, a CSV per municipality and the chart; archived, and shown
in the Prefect UI. The same period again sends nothing, unless staff ask for a resend."""

from __future__ import annotations

import datetime as dt

from prefect import flow
from prefect.states import Completed, Failed
from pydantic import BaseModel, Field

from models.regels.perioden import LAATSTE
from models.regels.ontvangers import RAPPORTAGE
from models.regels.toegang import SYSTEEM
from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tasks.rapportage import (
    archiveer_rapport,
    bepaal_periode,
    bereken_rapportcijfers,
    leg_verzending_vast,
    maak_rapportbestanden,
    publiceer_artefacten,
    sla_knelpunt_op,
    werk_werkdagen_bij,
    zoek_laatste_versie,
)


class Verzending(BaseModel):
    periode_eind: dt.date
    versie: int
    nieuw_gemaakt: bool = Field(description="False: deze periode was al gemaakt; er is niets opnieuw verstuurd.")
    verzonden: bool


@flow(name="rapportage-versturen", log_prints=False)
def rapportage_versturen(periode_eind: str = LAATSTE, opnieuw_versturen: bool = False) -> Verzending:
    """Stuur de rapportage van de werkvoorraad per gemeente naar het regionaal overleg.
    The form: flows.acties.RapportFormulier (a period end as staff type it, or "laatste")."""
    periode = bepaal_periode(periode_eind)
    if isinstance(periode, str):  # not a period: the run ends with why, no traceback
        return Failed(name="Ongeldige datum", message=periode)
    werk_werkdagen_bij()
    versie = zoek_laatste_versie(periode)
    nieuw = versie is None or opnieuw_versturen
    if nieuw:
        volgnummer = 1 if versie is None else versie.versie + 1
        cijfers = bereken_rapportcijfers(periode)
        bestanden = maak_rapportbestanden(cijfers, volgnummer)
        versie = archiveer_rapport(cijfers, volgnummer, bestanden)
        publiceer_artefacten(versie)
    # Placing the same version's e-mail again is a no-op: a run that stopped halfway completes.
    notificatie_id = plaats_notificatie(
        sleutel=versie.sleutel, soort="rapportage", ontvanger=RAPPORTAGE, template="rapport/email.html.j2",
        context={"c": versie.cijfers, "versie": versie.versie}, bijlagen=versie.bijlagen, opmaak="html",
    )
    bezorg_notificaties(alleen=[notificatie_id])
    verzonden = leg_verzending_vast(versie, notificatie_id)
    return Verzending(periode_eind=periode.eind, versie=versie.versie, nieuw_gemaakt=nieuw, verzonden=verzonden)


@flow(name="knelpunt-toevoegen", log_prints=False)
def knelpunt_toevoegen(periode_eind: str, tekst: str, gemeente: str, door: str = SYSTEEM):
    """Voeg een knelpunt toe aan de rapportage van een periode. Alleen organisatorische tekst:
    nooit iets over een gezin (geen namen, adressen, BSN's, casusreferenties).
    The form: flows.acties.KnelpuntFormulier."""
    opgeslagen, weigering = sla_knelpunt_op(periode_eind, tekst, gemeente, door)
    if weigering is not None:
        return Failed(name="Niet opgeslagen", message=weigering)
    return Completed(name="Opgeslagen", message=opgeslagen)

"""Switch over a running werkvoorraad: take the open casussen of another system over in their
current state (models/dossier/overstap.py), all or nothing. One flow run per file. Parameters,
logs, results and artifacts carry the file path, counts, row numbers and case references only.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow

from models.dossier.importformaat import ImportAfgekeurd
from models.dossier.overstap import OverstapResultaat
from models.opslag.typen import nu
from tasks.overstap import (
    controleer_overstapbestand,
    neem_casussen_over,
    publiceer_afkeuring,
    publiceer_overstapverslag,
)

__all__ = ["ImportAfgekeurd", "werkvoorraad_overnemen"]


@flow(name="werkvoorraad-overnemen", log_prints=False)
def werkvoorraad_overnemen(bestand: str, door: str, stand_op: dt.datetime | None = None) -> OverstapResultaat:
    """Neem de open casussen uit een overstapbestand over, elk in zijn huidige stap. Bevat één rij
    een fout, dan wordt niets opgeslagen en noemt de foutmelding elke rij met de reden.

    Args:
        bestand: pad naar het overstapbestand (JSON) op de machine waar de flow draait.
        door: wie de overstap doet (komt in de audittrail).
        stand_op: het moment waarop het bronsysteem stopte (de export); leeg = nu. Ladderstappen tot
            dat moment gelden als verstuurd vóór de overstap; de termijnbewaking stuurt alleen wat daarna komt.
    """
    moment = stand_op or nu()
    gecontroleerd = controleer_overstapbestand(bestand, moment)
    if not gecontroleerd.in_orde:
        publiceer_afkeuring(gecontroleerd)
        raise ImportAfgekeurd(bestand, gecontroleerd.fouten)
    uitkomst = neem_casussen_over(bestand, door, moment)
    publiceer_overstapverslag(uitkomst, moment)
    return uitkomst

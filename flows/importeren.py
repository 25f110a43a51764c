"""Import a file of meldingen (a legacy export): check every row, then store all or nothing.

One flow run per file, never one per row. Parameters, logs, results and artifacts carry the
file path, counts, row numbers and case references only.
"""

from __future__ import annotations

from prefect import flow

from models.dossier.importformaat import ImportAfgekeurd, ImportResultaat
from tasks.importeren import (
    importeer_meldingen,
    publiceer_afkeuring,
    publiceer_importverslag,
    valideer_importbestand,
)

__all__ = ["ImportAfgekeurd", "meldingen_importeren"]


@flow(name="meldingen-importeren", log_prints=False)
def meldingen_importeren(bestand: str, door: str) -> ImportResultaat:
    """Importeer een CSV- of JSON-bestand met meldingen. Bevat één rij een fout, dan wordt niets
    opgeslagen en noemt de foutmelding elke rij met de reden.

    Args:
        bestand: pad naar het importbestand op de machine waar de flow draait.
        door: wie de import start (komt in de audittrail).
    """
    gecontroleerd = valideer_importbestand(bestand)
    if not gecontroleerd.in_orde:
        publiceer_afkeuring(gecontroleerd)
        raise ImportAfgekeurd(bestand, gecontroleerd.fouten)
    uitkomst = importeer_meldingen(bestand, door)
    publiceer_importverslag(uitkomst)
    return uitkomst

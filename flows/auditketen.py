"""The audit chain, every day: anchor its heads outside the case store (archive and e-mail), and
check every chain and the newest anchors; a break alerts beheer once."""

from __future__ import annotations

from prefect import flow
from prefect.states import Completed, Failed

from tasks.auditketen import ankerbericht_klaarzetten, anker_schrijven, keten_controleren
from tasks.bezorging import bezorg_notificaties


@flow(name="auditanker", log_prints=False)
def auditanker():
    """Leg de koppen van alle ketens van de audittrail vast in het rapportarchief en stuur het
    anker naar de ingestelde ontvanger. Opnieuw starten op dezelfde dag verstuurt niets dubbel."""
    anker = anker_schrijven()
    bezorg_notificaties(alleen=[ankerbericht_klaarzetten(anker)])
    return Completed(message=f"Anker {anker.datum}: {anker.ketens} ketens, {anker.gebeurtenissen} "
                             f"gebeurtenissen, controlegetal {anker.digest}")


@flow(name="auditcontrole", log_prints=False)
def auditcontrole():
    """Controleer elke keten van de audittrail en de nieuwste ankers. Een breuk gaat eenmaal naar beheer."""
    verslag = keten_controleren()
    if verslag.notificatie_id is not None:
        bezorg_notificaties(alleen=[verslag.notificatie_id])
    if verslag.breuken:
        return Failed(name="Audittrail veranderd", message=(
            f"{len(verslag.breuken)} breuken in de audittrail ({verslag.nieuwe_breuken} nieuw); "
            "zie vt audit controleer"))
    return Completed(message=f"Audittrail in orde: {verslag.ketens} ketens, {verslag.gebeurtenissen} "
                             f"gebeurtenissen, ankers {', '.join(verslag.ankers) or '(nog geen)'}")

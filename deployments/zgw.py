"""The ZGW export (Zaken API 1.5.1): every night all casussen, and on request (Run) the casussen
changed since a day or one casus. Only when the settings have a `zgw` block."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from deployments import met_formulier


def deployments() -> list[RunnerDeployment]:
    from flows.acties import ZgwExportFormulier
    from flows.zgw import zgw_exporteren
    from models.regels.instellingen import TIJDZONE, instellingen

    if instellingen().zgw is None:
        return []
    return [
        met_formulier(zgw_exporteren.to_deployment(
            name="zgw-export",
            description=(
                "Schrijft elke nacht alle casussen als ZGW-zaken (Zaken API 1.5.1: zaak, statussen, resultaat, "
                "rollen) naar de exportmap van de beheerder, voor een zaaksysteem zoals Open Zaak. Op verzoek: "
                "'Run', 'Custom run', en vul een dag (alleen casussen gewijzigd vanaf die dag) of één "
                "casusnummer in. Past één zaak niet op de specificatie, dan wordt niets geschreven en noemt het "
                "artefact 'zgw-export' de casus en het veld. Opnieuw starten schrijft dezelfde inhoud."
            ),
            schedules=[Cron("30 2 * * *", timezone=TIJDZONE)],
            tags=["zgw", "export"],
        ), zgw_exporteren, ZgwExportFormulier),
    ]

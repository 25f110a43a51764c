"""The audit chain: its anchor every night at 00:30, its check every morning at 06:00 (Europe/Amsterdam)."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron


def deployments() -> list[RunnerDeployment]:
    from flows.auditketen import auditanker, auditcontrole
    from models.regels.instellingen import TIJDZONE

    return [
        auditanker.to_deployment(
            name="auditanker",
            description=(
                "Legt elke nacht de koppen van alle ketens van de audittrail vast (casusnummers en hashes) in het "
                "rapportarchief en stuurt het controlegetal naar de ingestelde ontvanger buiten het systeem. "
                "Opnieuw starten op dezelfde dag verstuurt niets dubbel."
            ),
            schedules=[Cron("30 0 * * *", timezone=TIJDZONE)],
            tags=["audit"],
        ),
        auditcontrole.to_deployment(
            name="auditcontrole",
            description=(
                "Controleert elke ochtend of de audittrail buiten het systeem om is gewijzigd, ingekort of aangevuld "
                "(elke keten en de nieuwste ankers). Een breuk gaat eenmaal per e-mail naar beheer; de run "
                "eindigt dan als mislukt. Zelf controleren: vt audit controleer."
            ),
            schedules=[Cron("0 6 * * *", timezone=TIJDZONE)],
            tags=["audit"],
        ),
    ]

"""Daily care for families on the werkvoorraad, every morning at 07:00 (Europe/Amsterdam)."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron


def deployments() -> list[RunnerDeployment]:
    from flows.werkvoorraad import werkvoorraad_zorg
    from models.regels.instellingen import TIJDZONE

    return [
        werkvoorraad_zorg.to_deployment(
            name="werkvoorraad-zorg",
            description=(
                "Zorgt elke ochtend dat geen wachtend gezin uit beeld raakt. Gezinnen die langer wachten dan "
                "gebruikelijk krijgen de brief 'u staat op de wachtlijst; het duurt langer dan gebruikelijk' "
                "(en na de ingestelde periode opnieuw). Het artefact 'werkvoorraad-contact' en een e-mail per "
                "team tonen welke gezinnen vandaag gebeld of bezocht moeten worden (alleen casusnummers). "
                "Gezinnen zonder contact na de ingestelde grens worden gemeld aan de teamleider. Opnieuw "
                "starten op dezelfde dag verstuurt niets dubbel. Parameter peildatum: leeg = vandaag."
            ),
            schedules=[Cron("0 7 * * *", timezone=TIJDZONE)],
            tags=["werkvoorraad", "brieven", "contact"],
        ),
    ]

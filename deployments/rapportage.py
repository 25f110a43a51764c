"""The biweekly report to the regional overleg (schedule from the settings) and staff-entered knelpunten."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import RRule


def deployments() -> list[RunnerDeployment]:
    from flows.rapportage import knelpunt_toevoegen, rapportage_versturen
    from models.regels.instellingen import TIJDZONE, instellingen
    from models.regels.perioden import rrule

    regio = instellingen()
    return [
        rapportage_versturen.to_deployment(
            name="rapportage regionaal overleg",
            description=(
                f"Stuurt elke {regio.rapportage.interval_weken} weken de werkvoorraad per gemeente, met "
                "knelpunten, naar het regionaal overleg: e-mail met de PDF, een CSV per gemeente en de grafiek. "
                "Op verzoek: kies bij 'Custom run' de laatste dag (zondag) van een eerdere periode. Een periode "
                "die al verstuurd is, wordt alleen opnieuw verstuurd met 'opnieuw versturen' aan."
            ),
            schedule=RRule(rrule(regio.rapportage), timezone=TIJDZONE),
            tags=["rapportage", "regionaal-overleg"],
        ),
        knelpunt_toevoegen.to_deployment(
            name="knelpunt toevoegen",
            description=(
                "Voeg een knelpunt toe aan de rapportage van een periode (gemeente leeg: de hele regio). "
                "Alleen organisatorische tekst, zoals 'twee vacatures in het onderzoeksteam': nooit iets over "
                "een gezin (geen namen, adressen, BSN's, geboortedata of casusreferenties)."
            ),
            tags=["rapportage", "knelpunten"],
        ),
    ]

"""Retention: every night at 02:30 Dutch time, outside office hours."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from deployments import met_formulier

NACHTELIJK = "30 2 * * *"


def deployments() -> list[RunnerDeployment]:
    from flows.acties import BewaartermijnFormulier
    from flows.bewaartermijn import bewaartermijn
    from models.regels.instellingen import TIJDZONE

    return [
        met_formulier(bewaartermijn.to_deployment(
            name="bewaartermijn",
            description=(
                "Vernietigt elke nacht de persoonsgegevens van afgesloten casussen waarvan de bewaartermijn "
                "(instelling bewaartermijn_jaren, vanaf de dag van afsluiten) voorbij is: namen, adressen, "
                "BSN's, omschrijvingen, notities en de brieven in archief en printwachtrij. Het kenmerk, de "
                "data, stappen en besluiten blijven. Een casus met een blokkade (vt bewaartermijn blokkeer) "
                "blijft heel. Beheer krijgt een bericht met de kenmerken en aantallen. Op verzoek: 'Run', "
                "'Custom run'; met 'Proefdraai' aan "
                "toont het artefact 'bewaartermijn-proefdraai' wat er zou gaan; er wordt niets gewijzigd."
            ),
            schedules=[Cron(NACHTELIJK, timezone=TIJDZONE)],
            parameters={"proefdraai": False},  # the nightly run destroys; a dry run is asked for by hand
            tags=["bewaartermijn", "privacy"],
        ), bewaartermijn, BewaartermijnFormulier),
    ]

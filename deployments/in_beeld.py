"""The sentinel "casussen in beeld", on the interval from the settings."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment

from models.regels.instellingen import instellingen


def deployments() -> list[RunnerDeployment]:
    from flows.in_beeld import casussen_in_beeld

    regio = instellingen()
    return [
        casussen_in_beeld.to_deployment(
            name="casussen in beeld",
            description=(
                f"Kijkt elke {regio.levensloop.bewaking_interval_seconden} seconden of elke open casus bij zijn "
                "besluit wacht (Suspended). Een casus waarvan de run gecrasht, mislukt, geannuleerd of klaar is, "
                "vastloopt, bij een ander besluit wacht of brieven en berichten liet liggen, krijgt een nieuwe "
                "levensloop-run: die maakt eerst af wat openstond (niets gaat twee keer) en wacht dan weer bij "
                "het besluit. De tijdlijn van de casus toont 'levensloop_hersteld'. Lukt herstellen niet, dan "
                "krijgt de teamleider direct een e-mail met het casusnummer."
            ),
            interval=regio.levensloop.bewaking_interval_seconden,
            tags=["levensloop", "bewaking"],
        ),
    ]

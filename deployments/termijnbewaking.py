"""The deadline watch, every five minutes."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment


def deployments() -> list[RunnerDeployment]:
    from flows.termijnbewaking import termijnbewaking

    return [
        termijnbewaking.to_deployment(
            name="termijnbewaking",
            description=(
                "Bewaakt elke vijf minuten alle open termijnen. Het behandelteam krijgt een waarschuwing "
                "voordat een termijn verloopt, de teamleider bericht als hij verloopt en de manager en "
                "regiocoördinator als hij een aantal werkdagen overschreden is (rollen en momenten uit de "
                "instellingen). Elke stap gaat één keer uit en staat in de audittrail van de casus. Het "
                "artefact 'termijnen-over-tijd' toont alle termijnen over tijd per gemeente. Een peildatum in "
                "de toekomst is een proefdraai: het artefact 'termijnbewaking-proefdraai' toont wat er dan zou "
                "uitgaan, er wordt niets verstuurd of vastgelegd."
            ),
            interval=300,
            tags=["termijnen", "escalatie"],
        ),
    ]

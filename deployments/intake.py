"""Deployments for getting meldingen into the case store."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment


def deployments() -> list[RunnerDeployment]:
    from flows.importeren import meldingen_importeren

    return [
        meldingen_importeren.to_deployment(
            name="meldingen importeren",
            description=(
                "Leest een CSV- of JSON-bestand met meldingen in (bijvoorbeeld een export van een ander "
                "systeem). Het hele bestand wordt eerst gecontroleerd: bij één foute rij wordt niets "
                "opgeslagen. Start met het pad van het bestand en uw naam (voor de audittrail)."
            ),
            tags=["intake", "import"],
        ),
    ]

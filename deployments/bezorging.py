"""Delivery of queued messages, every minute."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment


def deployments() -> list[RunnerDeployment]:
    from flows.bezorging import berichten_bezorgen

    return [
        berichten_bezorgen.to_deployment(
            name="berichten bezorgen",
            description=(
                "Verstuurt alle klaarstaande e-mails aan medewerkers, lokale teams en het regionaal "
                "overleg. Mislukte berichten worden later opnieuw geprobeerd; na het ingestelde aantal "
                "pogingen krijgt de teamleider bericht. Er gaat nooit een bericht verloren."
            ),
            interval=60,
            tags=["bezorging"],
        ),
    ]

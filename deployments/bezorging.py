"""Delivery of queued messages, every minute."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment

from deployments import met_formulier


def deployments() -> list[RunnerDeployment]:
    from flows.acties import BerichtOpnieuwFormulier
    from flows.bezorging import bericht_opnieuw_versturen, berichten_bezorgen
    from models.opslag.communicatie import Notificatie

    return [
        berichten_bezorgen.to_deployment(
            name="berichten bezorgen",
            description=(
                "Verstuurt alle klaarstaande e-mails aan medewerkers, lokale teams en het regionaal "
                "overleg. Mislukte berichten worden later opnieuw geprobeerd; na het ingestelde aantal "
                "pogingen krijgt de teamleider bericht, ook via het tweede kanaal (buiten de mailserver "
                "om). Een crisisbericht wordt nooit opgegeven. Er gaat nooit een bericht verloren. Een run "
                "die niet alles kon bezorgen, eindigt als 'Niet bezorgd' met de volgende poging."
            ),
            interval=60,
            tags=["bezorging"],
        ),
        met_formulier(bericht_opnieuw_versturen.to_deployment(
            name=Notificatie.opnieuw_versturen,
            description=(
                "Zet een bericht dat niet kon worden bezorgd opnieuw klaar en verstuurt het meteen, nadat "
                "u de oorzaak hebt verholpen (ontvanger, mailserver). Vul het berichtnummer in uit de "
                "e-mail 'Bericht kon niet worden bezorgd'. Ontvangers die het al kregen, krijgen het niet "
                "nog eens."
            ),
            tags=["bezorging"],
        ), bericht_opnieuw_versturen, BerichtOpnieuwFormulier),
    ]

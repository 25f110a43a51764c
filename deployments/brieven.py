"""Delivery of letters to families and melders, every five minutes."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment

from deployments import met_formulier


def deployments() -> list[RunnerDeployment]:
    from flows.acties import BriefOpnieuwFormulier
    from flows.brieven import brief_opnieuw_versturen, brieven_bezorgen
    from models.opslag.communicatie import Brief

    return [
        brieven_bezorgen.to_deployment(
            name="brieven bezorgen",
            description=(
                "Bezorgt klaarstaande brieven aan gezinnen en melders: per post (een kopie in de "
                "printwachtrij die de postkamer leegt) of per e-mail met de brief als bijlage, als de "
                "ontvanger daarmee instemde. Een mislukte bezorging wordt later opnieuw geprobeerd; na het "
                "ingestelde aantal pogingen krijgt de teamleider bericht. Er gaat nooit een brief verloren "
                "en geen brief gaat twee keer. Namen en adressen staan alleen in de brief en het dossier."
            ),
            interval=300,
            tags=["brieven", "bezorging"],
        ),
        met_formulier(brief_opnieuw_versturen.to_deployment(
            name=Brief.opnieuw_versturen,
            description=(
                "Zet een brief die niet kon worden bezorgd opnieuw klaar en bezorgt hem meteen, nadat u de "
                "oorzaak hebt verholpen (adres of toestemming voor e-mail in het dossier, mailserver, "
                "printwachtrij). Vul het briefnummer in uit de e-mail 'Brief kon niet worden bezorgd'."
            ),
            tags=["brieven", "bezorging"],
        ), brief_opnieuw_versturen, BriefOpnieuwFormulier),
    ]

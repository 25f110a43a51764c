"""The biweekly report to the regional overleg (schedule from the settings) and staff-entered knelpunten."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Interval

from deployments import met_formulier


def deployments() -> list[RunnerDeployment]:
    from flows.acties import KnelpuntFormulier, RapportFormulier
    from flows.rapportage import knelpunt_toevoegen, rapportage_versturen
    from models.regels.instellingen import TIJDZONE, instellingen
    from models.regels.perioden import interval_en_anker
    from tasks.rapportage import HELE_REGIO

    regio = instellingen()
    interval, anker = interval_en_anker(regio.rapportage)
    gemeenten = [HELE_REGIO, *(g.naam for g in regio.gemeenten)]
    return [
        met_formulier(rapportage_versturen.to_deployment(
            name="rapportage regionaal overleg",
            description=(
                f"Stuurt elke {regio.rapportage.interval_weken} weken de werkvoorraad per gemeente, met "
                "knelpunten, naar het regionaal overleg: e-mail met de PDF, een CSV per gemeente en de grafiek. "
                "Op verzoek: kies bij 'Run' de optie 'Custom run' en vul de laatste dag (zondag) van een eerdere "
                "periode in. Een periode die al verstuurd is, wordt alleen opnieuw verstuurd met 'Opnieuw "
                "versturen' aan. De rapportage staat daarna in het artefact 'rapportage' (tabblad Artifacts "
                "van de run)."
            ),
            # An interval from the anchor, not an RRule: both UIs show "every 2 weeks", and the
            # schedule reaches back from an anchor in the future (the demo's lies in 2027).
            schedule=Interval(interval, anchor_date=anker, timezone=TIJDZONE),
            tags=["rapportage", "regionaal-overleg"],
        ), rapportage_versturen, RapportFormulier),
        met_formulier(knelpunt_toevoegen.to_deployment(
            name="knelpunt toevoegen",
            description=(
                "Voeg een knelpunt toe aan de rapportage van een periode, voor een gemeente of de hele regio. "
                "Alleen organisatorische tekst, zoals 'twee vacatures in het onderzoeksteam': nooit iets over "
                "een gezin (geen namen, adressen, BSN's, geboortedata of casusreferenties)."
            ),
            tags=["rapportage", "knelpunten"],
        ), knelpunt_toevoegen, KnelpuntFormulier, keuzes={"gemeente": gemeenten}),
    ]

"""Staff actions that need no command line: switching the continuity plan, recording a contact
with a waiting family, extending, suspending or resuming a term, recording a plustaak activity
and the yearly plustaken overview (the resend and knelpunt actions sit with their areas)."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment

from deployments import met_formulier
from tasks.acties import ACTIVITEIT, CAPACITEIT, CONTACT, TERMIJN


def deployments() -> list[RunnerDeployment]:
    from flows.acties import (
        ActiviteitFormulier,
        CapaciteitFormulier,
        ContactFormulier,
        JaaroverzichtFormulier,
        TermijnFormulier,
        capaciteitsmodus_wisselen,
        contact_vastleggen,
        plustaak_activiteit_vastleggen,
        termijn_aanpassen,
    )
    from flows.plustaken import plustaken_jaaroverzicht
    from models.regels.instellingen import instellingen

    plustaakgemeenten = [g.naam for g in instellingen().gemeenten if g.plustaken]

    return [
        met_formulier(capaciteitsmodus_wisselen.to_deployment(
            name=CAPACITEIT,
            description=(
                "Zet het continuïteitsplan aan of uit, zonder herstart. In het continuïteitsplan gaat een besluit "
                "voor een regulier onderzoek of V&V naar de werkvoorraad in plaats van te starten. Klik op Run, "
                "kies de werkwijze en geef de reden. Het besluitformulier zegt bovenaan welke werkwijze "
                "geldt. De wissel staat in de audittrail."
            ),
            tags=["capaciteit", "actie"],
        ), capaciteitsmodus_wisselen, CapaciteitFormulier),
        met_formulier(contact_vastleggen.to_deployment(
            name=CONTACT,
            description=(
                "Leg een contact (of een poging) met een gezin op de werkvoorraad vast: klik op Run en vul het "
                "casusnummer uit de lijst 'Contact met wachtende gezinnen' in, of u het gezin sprak, hoe, wanneer "
                "(uw naam zet het systeem erbij). Alleen een contact waarin u het gezin sprak, telt als contact. Hetzelfde formulier "
                "twee keer versturen legt het contact één keer vast."
            ),
            tags=["werkvoorraad", "contact", "actie"],
        ), contact_vastleggen, ContactFormulier),
        met_formulier(termijn_aanpassen.to_deployment(
            name=TERMIJN,
            description=(
                "Verleng een termijn van een casus, schort hem op of hervat hem, met een reden: klik op Run en vul "
                "het casusnummer, de termijn, wat u doet, bij verlengen de nieuwe vervaldatum en de reden "
                "in. Een verlengde of opgeschorte termijn escaleert niet meer voor de oude vervaldatum. De wijziging "
                "staat in de audittrail."
            ),
            tags=["termijnen", "actie"],
        ), termijn_aanpassen, TermijnFormulier),
        met_formulier(plustaak_activiteit_vastleggen.to_deployment(
            name=ACTIVITEIT,
            description=(
                "Leg een voorlichting of deskundigheidsbevordering vast die Veilig Thuis als plustaak voor een "
                "gemeente gaf: klik op Run en vul de datum, gemeente, soort, doelgroep (welke professionals), "
                "uren en het aantal deelnemers in. Hetzelfde formulier twee keer versturen legt de "
                "activiteit één keer vast. De rapportage zet de uren af tegen de ingekochte uren."
            ),
            tags=["plustaken", "actie"],
        ), plustaak_activiteit_vastleggen, ActiviteitFormulier, keuzes={"gemeente": plustaakgemeenten}),
        met_formulier(plustaken_jaaroverzicht.to_deployment(
            name="plustaken jaaroverzicht",
            description=(
                "Het jaaroverzicht van de plustaken per gemeente, voor het contractgesprek: activiteiten en uren "
                "tegen de ingekochte uren, en de samen opgetrokken onderzoeken in de perioden van de verzonden "
                "tweewekelijkse rapportages. Klik op Run en kies het jaar; het "
                "overzicht staat daarna in het artefact 'plustaken-<jaar>' en als bestand in de rapportenmap."
            ),
            tags=["plustaken", "rapportage", "actie"],
        ), plustaken_jaaroverzicht, JaaroverzichtFormulier),
    ]

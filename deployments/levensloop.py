"""The lifecycle deployments: intake form, one lifecycle run per casus, the weekly case agenda and
the agenda of each overdrachtstafel."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule

from models.regels.instellingen import TIJDZONE, instellingen


def deployments() -> list[RunnerDeployment]:
    from flows.casusagenda import casusagenda
    from flows.overdrachtstafel import overdrachtstafel_agenda
    from flows.intake import melding_registreren
    from flows.levensloop import casus_levensloop

    regio = instellingen()
    return [
        melding_registreren.to_deployment(
            name="melding registreren",
            description=(
                "Registreer een nieuwe melding: klik op Run (zonder parameters), wacht tot de run op "
                "'Suspended' staat en klik op Resume. Vul het formulier in. De gegevens gaan versleuteld "
                "naar het dossier en worden daarna uit Prefect verwijderd. Bij een acute melding krijgt de "
                "crisisdienst direct een e-mail. Daarna start de levensloop van de casus."
            ),
            tags=["intake"],
        ),
        casus_levensloop.to_deployment(
            name="casus levensloop",
            description=(
                "Eén run per casus (naam = casusnummer). De run wacht (Suspended) bij elk besluit op een "
                "formulier: eerste actie bij acuut, besluit na de veiligheidsbeoordeling, werkvoorraad, "
                "uitkomst van onderzoek, V&V of RvdK-verzoek, overdracht (driegesprek bij warm), de uitkomst van de "
                "overdrachtstafel (continuïteitsplan) en de "
                "controlemomenten van de monitoring. Filter de runs op 'Suspended' en op de tags "
                "gemeente:, stap: of urgentie: voor de werklijst van uw team. Start hem niet zelf: de "
                "intake doet dat."
            ),
            tags=["levensloop"],
        ),
        casusagenda.to_deployment(
            name="casusagenda",
            description=(
                "Elke week: de vaste contactpersoon van elke gemeente met wekelijks casusoverleg krijgt "
                "de lijst van casussen in of na de overdracht (casusnummer, stap, lokaal team, regie)."
            ),
            schedules=[Cron(regio.levensloop.casusagenda_cron, timezone=TIJDZONE)],
            tags=["overdracht", "casusagenda"],
        ),
        overdrachtstafel_agenda.to_deployment(
            name="overdrachtstafel agenda",
            description=(
                "Voor elke overdrachtstafel (continuïteitsplan): de deelnemers krijgen de casussen die Veilig "
                "Thuis bij hun lokale teams aanmeldde (alleen casusnummers), ook die waarvoor de vorige tafel "
                "nog geen uitkomst vastlegde. Gaat vanzelf uit voor de tafel; een casus die daarna wordt "
                "aangemeld, gaat naar de tafel een week later. Run stuurt de agenda opnieuw als de lijst "
                "veranderde (dezelfde lijst gaat nooit twee keer)."
            ),
            schedules=_tafelschema(regio),
            tags=["overdracht", "overdrachtstafel"],
        ),
    ]


def _tafelschema(regio) -> list[Schedule]:
    """One schedule per distinct agenda moment of the gemeenten's overdrachtstafels."""
    from models.regels.overdrachtstafel import agenda_cron

    crons = sorted({agenda_cron(g.overdrachtstafel) for g in regio.gemeenten if g.overdrachtstafel})
    return [Cron(cron, timezone=TIJDZONE) for cron in crons]

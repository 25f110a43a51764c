"""Intake of a melding through a form in the Prefect UI (deployment "melding registreren").

Started without parameters. The run waits with a form; staff fill in the melding and submit.
The melding goes encrypted into the case store (joining an open casus of the same household as
a hermelding) and is then deleted from Prefect. The front-door check follows: an acute melding
alerts the crisis service by e-mail at once. Last, the casus's lifecycle run is started.
A rerun of the same run registers nothing twice and sends nothing twice.
"""

from __future__ import annotations

from prefect import flow

from flows.formulieren import intakeformulier, vraag_invoer
from models.storingspunt import storingspunt
from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tasks.brieven import bezorg_brieven, maak_brief
from tasks.intake import crisisbericht, intakevraag, markeer_intake_klaar, registreer_intake, zoek_intake
from tasks.levensloop import ruim_formulieren_op, start_levensloop, zet_automatische_stap


@flow(name="melding-registreren", log_prints=False)
def melding_registreren() -> str:
    """Registreer een nieuwe melding via het formulier. Geeft het casusnummer terug."""
    intake = zoek_intake()
    fouten: list[str] = []
    while intake is None:
        vraag = intakevraag(fouten)
        sleutel = vraag_invoer(intakeformulier(vraag.gemeenten), "melding", vraag.beschrijving, **vraag.beginwaarden)
        uitkomst = registreer_intake(sleutel)
        intake, fouten = uitkomst.intake, uitkomst.fouten

    storingspunt("intake_geregistreerd")
    zet_automatische_stap(intake.casus_referentie)
    levensloop_run = start_levensloop(intake.casus_referentie)
    storingspunt("intake_levensloop_gestart")
    # The lifecycle run does these too when they are still open (after a crash here): each is keyed.
    if (alarm := crisisbericht(intake, levensloop_run)) is not None:
        bericht = plaats_notificatie(**alarm)
        storingspunt("intake_crisisbericht_geplaatst")
        bezorg_notificaties(alleen=[bericht])
    brieven = maak_brief(intake.casus_referentie, "melding_ontvangen", intake.melding_referentie,
                         {"melding_referentie": intake.melding_referentie})
    bezorg_brieven(alleen=brieven)
    markeer_intake_klaar(intake.melding_referentie)
    ruim_formulieren_op()
    return intake.casus_referentie

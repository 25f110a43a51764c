"""Intake of a melding through a form in the Prefect UI (deployment "melding registreren").

Started without parameters. The run waits with a form; staff fill in the melding and submit.
The melding goes encrypted into the case store (joining an open casus of the same household as
a hermelding) and is then deleted from Prefect. The front-door check follows: an acute melding
alerts the crisis service by e-mail at once. Last, the casus's lifecycle run is started. When
the crisis alert or the letter could not go out yet (mail outage), the run ends Failed with a
Dutch message; the delivery run keeps trying (a crisis alert is never given up).
A rerun of the same run registers nothing twice and sends nothing twice.
"""

from __future__ import annotations

from prefect import flow

from flows.formulieren import intakeformulier, vraag_invoer, wachtend_antwoord
from models.opslag.storingspunt import storingspunt
from tasks.bezorging import GEEN_BEZORGING, bezorg_notificaties, bezorgstand, plaats_notificatie
from tasks.brieven import bezorg_brieven, maak_brief
from tasks.intake import crisisbericht, intakevraag, markeer_intake_klaar, registreer_intake, zoek_intake
from tasks.levensloop import publiceer_casusoverzicht, ruim_formulieren_op, start_levensloop, zet_automatische_stap


@flow(name="melding-registreren", log_prints=False)
def melding_registreren() -> str:
    """Registreer een nieuwe melding via het formulier. Geeft het casusnummer terug."""
    intake = zoek_intake()
    fouten: list[str] = []
    while intake is None:
        sleutel = wachtend_antwoord("melding")  # resumed: the filled-in form waits, no need to build it
        if sleutel is None:
            vraag = intakevraag(fouten)
            formulier = intakeformulier(vraag.gemeenten, vraag.beginwaarden, vraag.kop, vraag.toelichting)
            sleutel = vraag_invoer(formulier, "melding", vraag.beschrijving)
        uitkomst = registreer_intake(sleutel)
        intake, fouten = uitkomst.intake, uitkomst.fouten

    storingspunt("intake_geregistreerd")
    zet_automatische_stap(intake.casus_referentie)
    levensloop_run = start_levensloop(intake.casus_referentie)
    storingspunt("intake_levensloop_gestart")
    # The lifecycle run does these too when they are still open (after a crash here): each is keyed.
    bezorging = GEEN_BEZORGING
    if (alarm := crisisbericht(intake, levensloop_run)) is not None:
        bericht = plaats_notificatie(**alarm)
        storingspunt("intake_crisisbericht_geplaatst")
        bezorging = bezorg_notificaties(alleen=[bericht])
    brieven = maak_brief(intake.casus_referentie, "melding_ontvangen", intake.melding_referentie,
                         {"melding_referentie": intake.melding_referentie})
    bezorging += bezorg_brieven(alleen=brieven)
    markeer_intake_klaar(intake.melding_referentie)
    ruim_formulieren_op()
    if bezorging.casussen:  # the case overview shows what did not go out yet
        publiceer_casusoverzicht(intake.casus_referentie)
    # Registered either way; a crisis alert or letter that could not go out yet makes the run
    # 'Niet bezorgd' (Failed) with when it is tried next, instead of a green run.
    return bezorgstand(bezorging, intake.casus_referentie)

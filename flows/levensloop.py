"""The lifecycle of one casus (deployment "casus levensloop", parameter: the case reference).

One run per casus. Each time it runs (at the start, and again after every resume) it reads
where the casus stands in the case store and carries on from there:

1. finish the follow-ups of decisions already stored (letters, e-mails), each made once (one
   task reads them, or else the step: `lees_casus`);
2. closed: show it and stop. A step without a person (the front-door check): take it and look
   again;
3. otherwise the decision of this step: when its answer already waits (the run was resumed),
   check it and carry it out; else show the casus in the UI (run tags for gemeente, step and
   urgency, a markdown artifact) and wait for the form (the run is Suspended: the run list
   filtered on Suspended is the team's work list). Look again. A refused form is shown again
   with the reasons.

The store is the source of truth and every side effect is keyed, so resuming, rerunning or a
crash in between never repeats one.
"""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from flows.formulieren import beslisformulier, vraag_invoer, wachtend_antwoord
from models.regels.besluiten import Beslismoment
from models.opslag.storingspunt import storingspunt
from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tasks.brieven import bezorg_brieven, maak_brief
from tasks.intake import crisisbericht, markeer_intake_klaar
from tasks.levensloop import (
    Openstaand,
    lees_casus,
    markeer_nazorg_klaar,
    publiceer_casusoverzicht,
    ruim_formulieren_op,
    verwerk_beslissing,
    werk_runlabels_bij,
    zet_automatische_stap,
)


def rond_intakes_af(casus_referentie: str, intakes: list) -> None:
    """The crisis alert and the letter of an intake that stopped after registering its melding
    (the intake flow normally does them itself first); the same keys, so each goes out once."""
    for intake in intakes:
        if (alarm := crisisbericht(intake, str(flow_run.id))) is not None:
            bezorg_notificaties(alleen=[plaats_notificatie(**alarm)])
        brieven = maak_brief(casus_referentie, "melding_ontvangen", intake.melding_referentie,
                             {"melding_referentie": intake.melding_referentie})
        bezorg_brieven(alleen=brieven)
        markeer_intake_klaar(intake.melding_referentie)


def toon_casus(casus_referentie: str, labels: list[str]) -> None:
    """The run's tags and the case artifact as the casus stands, both at once. Only when the run
    is about to wait or end: a resumed run that finds its answer waiting has nothing new to show."""
    for klaar in [werk_runlabels_bij.submit(labels), publiceer_casusoverzicht.submit(casus_referentie)]:
        klaar.result()


def rond_nazorg_af(casus_referentie: str, open_: Openstaand) -> None:
    """Letters and e-mails that stored decisions owe; each decision's follow-up once."""
    rond_intakes_af(casus_referentie, open_.intakes)
    for opdracht in open_.nazorg:
        brieven = [brief for b in opdracht.brieven
                   for brief in maak_brief(casus_referentie, b.soort, opdracht.aanleiding, b.gegevens)]
        berichten = [plaats_notificatie(**bericht) for bericht in opdracht.berichten]
        storingspunt("nazorg_brieven_gemaakt")
        bezorg_notificaties(alleen=berichten)
        bezorg_brieven(alleen=brieven)
        storingspunt("nazorg_bezorgd")
        markeer_nazorg_klaar(opdracht.beslissing_id)


@flow(name="casus-levensloop", flow_run_name="{casus_referentie}", log_prints=False)
def casus_levensloop(casus_referentie: str) -> str:
    """Voer casus `casus_referentie` door de levensloop: wacht bij elk besluit op een formulier."""
    fouten: list[str] = []
    while True:
        open_ = lees_casus(casus_referentie, fouten)
        if (stap := open_.stap) is None:  # follow-ups first, then look again
            rond_nazorg_af(casus_referentie, open_)
            continue
        if stap.afgesloten:
            toon_casus(casus_referentie, stap.labels)
            ruim_formulieren_op()
            return stap.status
        if stap.automatisch:
            zet_automatische_stap(casus_referentie)
            continue
        pauze = wachtend_antwoord(stap.sleutel)
        if pauze is None:  # the form is about to be shown: first the casus as it stands now
            toon_casus(casus_referentie, stap.labels)
            formulier = beslisformulier(Beslismoment(stap.moment), stap.teams, stap.beginwaarden, stap.kop,
                                        stap.toelichting)
            pauze = vraag_invoer(formulier, stap.sleutel, stap.beschrijving)
        fouten = verwerk_beslissing(casus_referentie, stap.moment, stap.sleutel, pauze)

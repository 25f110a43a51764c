"""A decision is all or nothing, and it is taken for one occurrence only.

- On both databases a decision (its row, its effect on the casus, its audit event) is one
  transaction: a process killed between the statements, or a hermelding that changes the casus
  while the decision is carried out, leaves none of it, and the casus can be decided as usual.
- A form answered for a decision occurrence that is already decided (a second browser tab) is
  refused with a Dutch message naming what changed and who changed it, and changes nothing.
- Every kind of decision is one class (question, form, rules, follow-ups) and one effect, each
  found by its moment in one table.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus
from models.regels.instellingen import CapaciteitsModus
from models.regels.levensloop import Status
from models.opslag.overdracht import Beslissing

REPO = Path(__file__).resolve().parent.parent
DOOR = "Medewerker Testbeslisser"
COLLEGA = "Medewerker Collega"


@pytest.fixture
def casus_bij_besluit(engine, instellingen):
    """A regular melding in Gennep, registered as intake does, waiting for the decision after
    the veiligheidsbeoordeling."""
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.regio import synchroniseer
    from models.dossier.registratie import registreer_meldingen
    from tests.helpers import melding

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding()], instellingen, actor="intake")
        casus = casus_op_referentie(session, geregistreerd.casus_referentie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "test", instellingen)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "test", instellingen)
    return geregistreerd.casus_referentie


def _stand_van(engine, referentie: str) -> tuple[str, list[str], list[str]]:
    """(status, decision keys, audit actions about decisions) of the casus as stored."""
    with Session(engine) as session:
        casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one()
        sleutels = session.exec(select(Beslissing.sleutel).where(Beslissing.casus_id == casus.id)).all()
        acties = session.exec(select(AuditEvent.actie).where(AuditEvent.casus_id == casus.id,
                                                             AuditEvent.actie.like("besluit%"))).all()
        return casus.status, list(sleutels), list(acties)


def _beslis(engine, instellingen, referentie, invoer, sleutel):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie

    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, referentie)
        ctx = voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal)
        voortgang.leg_beslissing_vast(session, casus, sleutel, invoer, ctx, instellingen)


# --- item: a decision is one class and one row ------------------------------------------------


def test_every_kind_of_decision_has_its_question_form_follow_ups_and_effect_in_one_row_of_each_table():
    """Adding a kind of decision is one class in models.regels.besluiten.BESLISSINGEN and one row in
    models.dossier.voortgang.EFFECTEN: a moment missing from either table fails here, not when a casus
    reaches it."""
    from flows.formulieren import beslisformulier
    from models.regels.besluiten import BESLISSINGEN, Beslismoment, Gevolgd, Nazorg
    from models.dossier.voortgang import EFFECTEN

    assert sorted(BESLISSINGEN) == sorted(EFFECTEN) == sorted(Beslismoment)
    assert len(set(BESLISSINGEN.values())) == len(Beslismoment)  # one class per kind
    vragen = [soort.vraag for soort in BESLISSINGEN.values()]
    assert len(set(vragen)) == len(vragen) and all(vragen)
    overdracht = {"lokaal_team_code": "GEN-SD", "regie": "lokaal_team", "driegesprek_op": "2026-12-01T10:00:00+01:00",
                  "locatie": "online", "deelnemers": ["gezin", "veilig_thuis", "lokaal_team"]}
    for moment, soort in BESLISSINGEN.items():
        assert soort.moment is moment
        formulier = beslisformulier(moment, ["GEN-SD"], {}).model_json_schema()["properties"]
        assert "door" not in formulier, moment  # the gateway fills in who decided (web.toegang)
        # Whatever its own follow-ups, a decision that closes the casus sends the closure letter.
        gevolg = soort.nazorg(Gevolgd(moment, "afsluiten", Status.monitoring, Status.afgesloten, overdracht=overdracht))
        assert isinstance(gevolg, Nazorg) and gevolg.brieven[-1].soort == "afsluiting", moment
        assert callable(EFFECTEN[moment]), moment


# --- item: a decision is one transaction --------------------------------------------------------

_BESLIS_IN_EEN_ANDER_PROCES = """
import sys
from sqlmodel import Session
from models.dossier import voortgang
from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling
from models.opslag.db import maak_engine
from models.dossier.wijzigingen import casus_op_referentie
from models.regels.instellingen import DEMO_INSTELLINGEN, CapaciteitsModus, laad_instellingen

url, referentie, sleutel = sys.argv[1:]
regio = laad_instellingen(DEMO_INSTELLINGEN)
with Session(maak_engine(url)) as session, session.begin():
    casus = casus_op_referentie(session, referentie)
    ctx = voortgang.context(session, casus, regio, CapaciteitsModus.normaal)
    invoer = BesluitNaVeiligheidsbeoordeling(door="Medewerker Testbeslisser", besluit="afsluiten")
    voortgang.leg_beslissing_vast(session, casus, sleutel, invoer, ctx, regio)
"""


def test_a_process_killed_between_the_decision_and_its_effect_leaves_nothing_and_the_casus_can_be_decided(
        engine, database_url, instellingen, casus_bij_besluit, tmp_path):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling

    punten = tmp_path / "storingspunten"
    punten.mkdir()
    (punten / "beslissing_half_vastgelegd.actief").touch()
    sleutel = f"{casus_bij_besluit.lower()}-besluit-1"
    proces = subprocess.Popen(
        [sys.executable, "-c", _BESLIS_IN_EEN_ANDER_PROCES, database_url, casus_bij_besluit, sleutel],
        cwd=REPO, env={**os.environ, "VT_STORINGSPUNTEN": str(punten), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        geraakt = punten / "beslissing_half_vastgelegd.geraakt"
        einde = time.monotonic() + 120
        while not geraakt.exists() and proces.poll() is None and time.monotonic() < einde:
            time.sleep(0.05)
        assert geraakt.exists(), f"the decision never reached its fault point:\n{proces.stdout.read().decode()}"
    finally:
        os.killpg(proces.pid, signal.SIGKILL)
        proces.wait(timeout=30)

    assert _stand_van(engine, casus_bij_besluit) == ("veiligheidsbeoordeling", [], [])
    afsluiten = BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="afsluiten")
    _beslis(engine, instellingen, casus_bij_besluit, afsluiten, sleutel)
    assert _stand_van(engine, casus_bij_besluit) == ("afgesloten", [sleutel], ["besluit"])


def test_a_hermelding_during_a_decision_leaves_it_whole_or_absent_and_the_retry_carries_it_out(
        engine, database_url, instellingen, casus_bij_besluit, monkeypatch):
    """The hermelding bumps the casus's version between reading and writing it: the decision
    fails as a whole with GelijktijdigeWijziging, and the retry (as the lifecycle task does)
    carries it out once."""
    from models.dossier import voortgang
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling
    from models.opslag.db import sessie
    from models.dossier.wijzigingen import casus_op_referentie
    from models.dossier.registratie import registreer_meldingen
    from tasks.levensloop import met_herhaling
    from tests.helpers import melding

    monkeypatch.setenv("DATABASE_URL", database_url)
    sleutel = f"{casus_bij_besluit.lower()}-besluit-1"
    invoer = BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="onderzoek")
    pogingen = []

    def werk():
        with sessie(database_url) as session:
            casus = casus_op_referentie(session, casus_bij_besluit)
            ctx = voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal)
            if not pogingen:  # the first time: a hermelding arrives between reading and writing
                with Session(engine) as ander, ander.begin():
                    [herhaald] = registreer_meldingen(ander, [melding(bron="test", extern_id="hermelding")],
                                                      instellingen, actor="intake")
                    assert herhaald.casus_referentie == casus_bij_besluit
            pogingen.append(casus.versie)
            voortgang.leg_beslissing_vast(session, casus, sleutel, invoer, ctx, instellingen)

    met_herhaling(werk)

    assert len(pogingen) == 2
    assert _stand_van(engine, casus_bij_besluit) == ("onderzoek", [sleutel], ["besluit"])
    with Session(engine) as session:
        [casus] = session.exec(select(Casus).where(Casus.referentie == casus_bij_besluit)).all()
        assert casus.aantal_meldingen == 2


def test_a_decision_stored_without_its_effect_by_an_older_version_is_asked_again_not_followed_up(
        engine, instellingen, casus_bij_besluit):
    """What the SQLite savepoint of older versions could leave behind: a decision row without
    its status change and audit event. It is withdrawn (with an audit event saying whose
    decision it was), its follow-ups are not made, and the casus waits for that decision again."""
    from models.dossier import voortgang
    from models.regels.besluiten import Beslismoment, sleutel
    from models.dossier.wijzigingen import casus_op_referentie

    halve = f"{casus_bij_besluit.lower()}-besluit-1"
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, casus_bij_besluit)
        session.add(Beslissing(sleutel=halve, casus_id=casus.id, moment="besluit", keuze="afsluiten",
                               van_status="veiligheidsbeoordeling", details={"met_advies": False}, door=COLLEGA))
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, casus_bij_besluit)
        [weg] = voortgang.trek_onuitgevoerde_in(session, casus)
        assert weg.sleutel == halve
        assert voortgang.open_nazorg(session, casus) == []
        assert sleutel(casus.referentie, Beslismoment.besluit,
                       voortgang.volgnummer(session, casus, Beslismoment.besluit)) == halve
    with Session(engine) as session:
        casus = casus_op_referentie(session, casus_bij_besluit)
        [event] = session.exec(select(AuditEvent).where(AuditEvent.actie == "besluit_niet_uitgevoerd")).all()
        assert event.reden.startswith(f"Besluit van {COLLEGA} door een storing niet uitgevoerd")
        assert event.details["beslissing"] == halve and COLLEGA not in str(event.details)
        assert casus.status == "veiligheidsbeoordeling"


# --- item: a stale form is refused --------------------------------------------------------------


def test_a_monitoring_form_for_a_moment_a_colleague_already_decided_is_refused_naming_who_and_what(
        engine, instellingen, casus_bij_besluit):
    """The store side of a form left open in a second tab: the form carries the occurrence it
    was made for; once a colleague decided that occurrence, the form is out of date, and the
    refusal names the decision, the colleague, the choice and when."""
    from models.regels import besluiten as b
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie
    from tasks.levensloop import _verouderd_formulier

    referentie = casus_bij_besluit.lower()
    _beslis(engine, instellingen, casus_bij_besluit,
            b.BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="overdracht", lokaal_team="GEN-SD",
                                              overdracht_type="telefonisch", regie="lokaal_team"),
            f"{referentie}-besluit-1")
    _beslis(engine, instellingen, casus_bij_besluit, b.OverdrachtAfronden(door=DOOR, regie="lokaal_team"),
            f"{referentie}-overdracht-afronden-1")
    eerste = f"{referentie}-monitoring-1"
    _beslis(engine, instellingen, casus_bij_besluit, b.MonitoringBeslissing(door=COLLEGA, uitkomst="veilig"), eerste)

    with Session(engine) as session:
        casus = casus_op_referentie(session, casus_bij_besluit)
        nu = b.sleutel(casus.referentie, b.Beslismoment.monitoring,
                       voortgang.volgnummer(session, casus, b.Beslismoment.monitoring))
        assert nu == f"{referentie}-monitoring-2" and casus.status == "monitoring"
        assert voortgang.formulier_is_verouderd(eerste, nu)
        assert not voortgang.formulier_is_verouderd(nu, nu)
        assert not voortgang.formulier_is_verouderd(None, nu)  # a form from before this check
        melding = _verouderd_formulier(session, casus, eerste)
    assert melding.startswith(f"Dit formulier was voor een eerder besluit: 'Controlemoment monitoring' ({eerste}). "
                              f"Intussen heeft {COLLEGA} op ")
    assert "'veilig' besloten; uw formulier is daarom niet verwerkt." in melding
    assert melding.endswith("Bekijk de casus hierboven en vul zo nodig dit nieuwe formulier in.")


def test_every_decision_form_carries_the_occurrence_it_was_made_for_in_a_dutch_labelled_field():
    from flows.formulieren import beslisformulier
    from models.regels.besluiten import Beslismoment

    for moment in Beslismoment:
        formulier = beslisformulier(moment, ["GEN-SD"], {"formulier_voor": "vt-2026-000001-monitoring-2"},
                                    "Niet verwerkt: pas het formulier aan", "Kies bij een overdracht het lokaal team.")
        velden = formulier.model_json_schema()["properties"]
        veld = velden["formulier_voor"]
        assert veld["default"] == "vt-2026-000001-monitoring-2" and veld["type"] == "string", moment
        # The first field: its title and help text are what both UIs show without scrolling.
        assert min(velden, key=lambda naam: velden[naam]["position"]) == "formulier_voor", moment
        assert veld["title"] == "Niet verwerkt: pas het formulier aan"
        assert veld["description"] == "Kies bij een overdracht het lokaal team."


def test_decision_forms_offer_dutch_words_names_and_a_dutch_time_never_codes_or_type_names():
    import json

    from flows.formulieren import beslisformulier
    from models.regels.besluiten import Beslismoment

    for moment in Beslismoment:
        schema = beslisformulier(moment, ["Consulenten Sociaal Domein Gennep"], {}).model_json_schema()
        tekst = json.dumps(schema, ensure_ascii=False)
        assert "anyOf" not in tekst and "date-time" not in tekst and "null" not in tekst, moment
        assert set(schema["required"]) == set(schema["properties"]), moment  # no "(Optional)"
        keuzes = [w for d in schema.get("$defs", {}).values() for w in d.get("enum", [])]
        assert not [w for w in keuzes if "_" in w], moment
    schema = beslisformulier(Beslismoment.acute_actie, [], {}).model_json_schema()
    assert "Crisisdienst ter plaatse" in schema["$defs"]["AcuteActie"]["enum"]
    velden = beslisformulier(Beslismoment.driegesprek, [], {}).model_json_schema()["properties"]
    assert velden["datum_tijd_datum"]["format"] == "date" and velden["datum_tijd_tijd"]["type"] == "string"


# --- item: a warm handover is completed after its driegesprek -----------------------------------


def _warme_overdracht(engine, instellingen, referentie: str, driegesprek_op: dt.datetime) -> None:
    from models.regels import besluiten as b

    sleutel = referentie.lower()
    _beslis(engine, instellingen, referentie,
            b.BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="overdracht", lokaal_team="GEN-SD",
                                              overdracht_type="warm", regie="lokaal_team"), f"{sleutel}-besluit-1")
    _beslis(engine, instellingen, referentie,
            b.DriegesprekPlannen(door=DOOR, datum_tijd=driegesprek_op, locatie="gemeentehuis"),
            f"{sleutel}-driegesprek-1")


def _context_van(engine, instellingen, referentie: str, moment: dt.datetime | None = None):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie

    with Session(engine) as session:
        casus = casus_op_referentie(session, referentie)
        return voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal, moment)


def test_a_warm_handover_cannot_be_completed_before_its_driegesprek_and_the_family_hears_nothing_yet(
        engine, instellingen, casus_bij_besluit):
    from models.regels import besluiten as b
    from models.regels.kalender import AMSTERDAM

    driegesprek = (dt.datetime.now(AMSTERDAM) + dt.timedelta(days=9)).replace(hour=14, minute=0, second=0,
                                                                                microsecond=0)
    _warme_overdracht(engine, instellingen, casus_bij_besluit, driegesprek)
    afronden = b.OverdrachtAfronden(door=DOOR, regie="lokaal_team")

    [reden] = afronden.fouten(_context_van(engine, instellingen, casus_bij_besluit))
    assert reden.startswith(f"Het driegesprek is gepland op {driegesprek:%d-%m-%Y} om 14:00 en heeft nog niet "
                            "plaatsgevonden.")
    # Once the driegesprek has taken place, the handover can be completed; the family gets the confirmation.
    na_afloop = _context_van(engine, instellingen, casus_bij_besluit, driegesprek + dt.timedelta(hours=1))
    assert afronden.fouten(na_afloop) == [] and afronden.naar(na_afloop) is Status.monitoring
    overdracht = {"lokaal_team_code": "GEN-SD", "regie": "lokaal_team"}
    gevolg = b.OverdrachtAfronden.nazorg(b.Gevolgd(b.Beslismoment.overdracht_afronden, "afgerond", Status.overdracht,
                                                   Status.monitoring, overdracht=overdracht))
    assert [brief.soort for brief in gevolg.brieven] == ["overdracht_bevestiging"]


def test_a_moved_driegesprek_is_recorded_with_its_new_moment_and_the_handover_waits_for_it(
        engine, instellingen, casus_bij_besluit):
    from models.regels import besluiten as b
    from models.regels.kalender import AMSTERDAM
    from models.opslag.overdracht import Overdracht

    driegesprek = (dt.datetime.now(AMSTERDAM) + dt.timedelta(days=2)).replace(hour=14, minute=0, second=0,
                                                                                microsecond=0)
    _warme_overdracht(engine, instellingen, casus_bij_besluit, driegesprek)
    ctx = _context_van(engine, instellingen, casus_bij_besluit)
    zonder_moment = b.OverdrachtAfronden(door=DOOR, regie="lokaal_team", driegesprek_verplaatst=True)
    assert zonder_moment.fouten(ctx) == ["Vul bij een verplaatst driegesprek de nieuwe datum en tijd in."]

    later = driegesprek + dt.timedelta(days=7)
    verplaatst = b.OverdrachtAfronden(door=DOOR, regie="lokaal_team", driegesprek_verplaatst=True,
                                      nieuw_driegesprek_op=later)
    assert verplaatst.fouten(ctx) == [] and verplaatst.naar(ctx) is None
    # The family and the lokaal team are invited again for the new moment; no confirmation yet.
    overdracht = {"lokaal_team_code": "GEN-SD", "regie": "lokaal_team", "driegesprek_op": later.isoformat(),
                  "locatie": "gemeentehuis", "deelnemers": ["gezin", "veilig_thuis", "lokaal_team"]}
    gevolg = b.OverdrachtAfronden.nazorg(b.Gevolgd(b.Beslismoment.overdracht_afronden, verplaatst.keuze,
                                                   Status.overdracht, None, overdracht=overdracht))
    assert [brief.soort for brief in gevolg.brieven] == ["uitnodiging_driegesprek"]
    assert gevolg.brieven[0].gegevens["datum"] == later.isoformat()
    _beslis(engine, instellingen, casus_bij_besluit, verplaatst, f"{casus_bij_besluit.lower()}-overdracht-afronden-1")

    status, _, _ = _stand_van(engine, casus_bij_besluit)
    with Session(engine) as session:
        [overdracht] = session.exec(select(Overdracht)).all()
        [event] = session.exec(select(AuditEvent).where(AuditEvent.actie == "driegesprek_verplaatst")).all()
    assert status == "overdracht" and overdracht.driegesprek_op == later
    assert event.actor == DOOR and event.details["naar"] == later.isoformat()
    # Still before the new moment: completing is refused, naming the new moment.
    [reden] = b.OverdrachtAfronden(door=DOOR, regie="lokaal_team").fouten(
        _context_van(engine, instellingen, casus_bij_besluit, driegesprek + dt.timedelta(hours=1)))
    assert f"{later:%d-%m-%Y} om 14:00" in reden


def _formulier_zoals_getoond(api_url: str, run_id) -> dict:
    """The values a form shows when it is opened (its defaults), as a second tab keeps them."""
    import json
    from uuid import UUID

    from prefect.client.orchestration import SyncPrefectClient

    with SyncPrefectClient(api_url) as client:
        run = client.read_flow_run(UUID(str(run_id)))
        schema = json.loads(client.read_flow_run_input(run.id, run.state.state_details.run_input_keyset["schema"]))
    return {naam: veld["default"] for naam, veld in schema["properties"].items() if "default" in veld}


@pytest.mark.prefect
def test_a_form_left_open_in_a_second_tab_is_refused_after_a_colleague_decided_and_the_casus_stays_open(systeem):
    """Two tabs show the first monitoring form. A colleague decides 'veilig' in one; the run
    waits at the next monitoring moment. The other tab's form, sent afterwards, is accepted by
    Prefect (same form) but refused by the lifecycle with a Dutch message naming the colleague,
    and the casus is not closed (with two moments, a second 'veilig' would close it)."""
    from uuid import UUID

    from prefect.client.orchestration import SyncPrefectClient

    from models.opslag.referenties import nieuwe_casusreferenties
    from tests.served import hervat, wacht_op_run
    from tests.test_levensloop_flows import (
        eerste_veld_van_formulier,
        beslis,
        casus_van_intake,
        formulier,
        start_intake,
        vul_intake_in,
        wacht_op_status,
    )

    # The Prefect server is shared by the test session, and a lifecycle run is started with an
    # idempotency key per casus reference: skip the references other modules' stores hand out.
    with Session(systeem.engine) as session, session.begin():
        nieuwe_casusreferenties(session, dt.datetime.now(dt.timezone.utc).year, 900)
    run_id = start_intake(systeem)
    vul_intake_in(systeem, run_id, formulier(31, "GM0983"))
    referentie = casus_van_intake(systeem, run_id)
    beslis(systeem, referentie, {"besluit": "overdracht", "overdracht_type": "telefonisch"})
    beslis(systeem, referentie, {"regie": "lokaal_team"})
    wacht_op_status(systeem, referentie, "monitoring")
    levensloop = systeem.casus(referentie).flow_run_id
    wacht_op_run(systeem.api_url, levensloop, "PAUSED", served=systeem.served)
    tweede_tab = _formulier_zoals_getoond(systeem.api_url, levensloop)
    assert tweede_tab["formulier_voor"] == f"{referentie.lower()}-monitoring-1"

    hervat(systeem.api_url, levensloop, {"door": COLLEGA, "uitkomst": "veilig"})
    wacht_op_run(systeem.api_url, levensloop, "PAUSED", served=systeem.served)
    assert _formulier_zoals_getoond(systeem.api_url, levensloop)["formulier_voor"] == f"{referentie.lower()}-monitoring-2"

    with SyncPrefectClient(systeem.api_url) as client:
        antwoord = client.resume_flow_run(UUID(levensloop), run_input={**tweede_tab, "door": DOOR, "uitkomst": "Veilig"})
    assert antwoord.status.value == "ACCEPT"  # Prefect cannot tell: the form is the same
    wacht_op_run(systeem.api_url, levensloop, "PAUSED", served=systeem.served)

    uitleg = eerste_veld_van_formulier(systeem, levensloop)
    assert "Niet verwerkt" in uitleg
    assert f"Dit formulier was voor een eerder besluit: 'Controlemoment monitoring' ({referentie.lower()}-monitoring-1)" in uitleg
    assert f"Intussen heeft {COLLEGA} op " in uitleg and "'veilig' besloten" in uitleg
    assert systeem.casus(referentie).status == "monitoring"
    besluiten = [e for e in systeem.audit(referentie) if e.actie == "besluit" and e.details["moment"] == "monitoring"]
    assert [e.actor for e in besluiten] == [COLLEGA]

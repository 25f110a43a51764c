"""Care for families on the werkvoorraad: the 'langer dan gebruikelijk' letter once the wait
passes the usual time (and again later), due contact moments shown to staff, families not
reached in time flagged and escalated once, and a daily run that can be repeated safely."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, LogFilter, LogFilterFlowRunId, TaskRunFilter,
)
from prefect.client.schemas.sorting import ArtifactSort
from prefect.logging.handlers import APILogHandler
from sqlalchemy import Engine, event, update
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from models.dossier import werkvoorraad as wv
from models.brieven.inhoud import printwachtrij
from models.opslag.casus import AuditEvent, Casus, Termijn
from models.opslag.communicatie import Brief, Notificatie
from models.opslag.db import sessie
from models.regels.instellingen import TermijnSoort, instellingen
from models.dossier.registratie import registreer_meldingen
from models.opslag.regio import synchroniseer
from models.regels.termijnbeleid import werkkalender
from tasks.werkvoorraad import beoordeel_werkvoorraad
from tests.helpers import (
    AMS, FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, gebruik_database, melding, regio_voor_test,
)

PEILDATUM = dt.date(2026, 11, 23)  # a Monday
LANG_GELEDEN = dt.datetime(2026, 10, 1, 9, tzinfo=AMS)  # 37 working days before PEILDATUM
PERSOONSGEGEVENS = [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, FICTIEVE_OMSCHRIJVING, "9999 A", "gezin@example.org"]


# --- the rules (no database) ---------------------------------------------------------------------------


def wachtend(wacht_sinds: dt.datetime, urgentie="regulier", poging=None, bereikt=None) -> wv.WachtendeCasus:
    return wv.WachtendeCasus(1, "VT-2026-000001", "GM0907", urgentie, wacht_sinds, poging, bereikt)


def test_the_first_waiting_list_letter_is_due_when_the_usual_wait_is_reached_and_repeats_later():
    sinds = dt.date(2026, 10, 1)
    assert wv.wachtlijstbrief_aanleiding(sinds, 19, gebruikelijk=20, herhaal=15) is None
    assert wv.wachtlijstbrief_aanleiding(sinds, 20, gebruikelijk=20, herhaal=15) == "wachtlijst-20261001-1"
    assert wv.wachtlijstbrief_aanleiding(sinds, 34, gebruikelijk=20, herhaal=15) == "wachtlijst-20261001-1"
    assert wv.wachtlijstbrief_aanleiding(sinds, 35, gebruikelijk=20, herhaal=15) == "wachtlijst-20261001-2"
    # A family that already waited very long gets the latest letter only, not a stack of them.
    assert wv.wachtlijstbrief_aanleiding(sinds, 200, gebruikelijk=20, herhaal=15) == "wachtlijst-20261001-13"


def test_contact_is_due_after_the_interval_of_the_urgency_and_only_a_reached_family_counts(instellingen):
    kalender = werkkalender(instellingen)
    sinds = dt.datetime(2026, 11, 9, 9, tzinfo=AMS)  # Monday; regulier: every 10 working days

    zorg = wv.beoordeel(wachtend(sinds), PEILDATUM, instellingen, kalender)
    assert (zorg.contact_uiterlijk, zorg.contact_nodig, zorg.werkdagen_te_laat) == (dt.date(2026, 11, 23), True, 0)
    assert zorg.wachtlijstbrief is None and zorg.buiten_beeld_sinds is None

    # A call that did not reach the family is recorded but leaves the contact due.
    poging = dt.datetime(2026, 11, 20, 10, tzinfo=AMS)
    zorg = wv.beoordeel(wachtend(sinds, poging=poging), PEILDATUM, instellingen, kalender)
    assert zorg.contact_nodig and zorg.laatste_poging == dt.date(2026, 11, 20)

    zorg = wv.beoordeel(wachtend(sinds, poging=poging, bereikt=poging), PEILDATUM, instellingen, kalender)
    assert (zorg.contact_uiterlijk, zorg.contact_nodig) == (dt.date(2026, 12, 4), False)

    # Spoed waits are watched every 5 working days.
    zorg = wv.beoordeel(wachtend(sinds, urgentie="spoed"), PEILDATUM, instellingen, kalender)
    assert (zorg.contact_uiterlijk, zorg.werkdagen_te_laat) == (dt.date(2026, 11, 16), 5)


def test_a_family_not_reached_for_twice_the_interval_risks_going_out_of_sight(instellingen):
    kalender = werkkalender(instellingen)
    sinds = dt.datetime(2026, 10, 23, 9, tzinfo=AMS)  # exactly 21 working days before PEILDATUM
    assert wv.beoordeel(wachtend(sinds), PEILDATUM, instellingen, kalender).buiten_beeld_sinds == dt.date(2026, 10, 23)
    nog_net = dt.datetime(2026, 10, 26, 9, tzinfo=AMS)  # 20 working days: at the limit, not past it
    assert wv.beoordeel(wachtend(nog_net), PEILDATUM, instellingen, kalender).buiten_beeld_sinds is None
    bereikt = dt.datetime(2026, 11, 2, 11, tzinfo=AMS)
    assert wv.beoordeel(wachtend(sinds, bereikt=bereikt), PEILDATUM, instellingen, kalender).buiten_beeld_sinds is None


# --- the daily flow ------------------------------------------------------------------------------------


@pytest.fixture
def regio(engine, database_url, smtp_server, tmp_path, monkeypatch):
    gebruik_database(monkeypatch, database_url)
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    ingesteld = regio_voor_test(tmp_path, monkeypatch, smtp_server)
    with sessie() as session:
        synchroniseer(session, ingesteld)
    return ingesteld


def op_werkvoorraad(*wachtenden: tuple[str, dt.datetime], eerste_per_email: bool = False) -> list[str]:
    """Register one casus per (postcode, wait start) and put it on the werkvoorraad since then."""
    invoer = [melding(postcode=postcode) for postcode, _ in wachtenden]
    if eerste_per_email:
        invoer[0] = invoer[0].model_copy(update={"gezin_email": "gezin@example.org", "gezin_brief_per_email": True})
    with sessie() as session:
        referenties = [g.casus_referentie for g in registreer_meldingen(session, invoer, instellingen(), "test")]
        for referentie, (_, sinds) in zip(referenties, wachtenden):
            session.execute(update(Casus).where(Casus.referentie == referentie)
                            .values(status="werkvoorraad", status_sinds=sinds))
    return referenties


def contact(referentie: str, tijdstip: dt.datetime, bereikt: bool = True):
    return CliRunner().invoke(app, [
        "contact", "registreren", referentie, "--vorm", "telefoon", "--bereikt" if bereikt else "--niet-bereikt",
        "--door", "medewerker-test", "--tijdstip", tijdstip.isoformat(), "--notitie", "Moeder klonk rustig",
        "--json",
    ])


def alle(engine, model, *voorwaarden):
    with Session(engine) as session:
        return session.exec(select(model).where(*voorwaarden)).all()


@pytest.mark.prefect
def test_running_the_care_flow_three_times_sends_each_letter_and_escalation_once(regio, engine, smtp_server):
    from flows.werkvoorraad import werkvoorraad_zorg

    lang, kort, gebeld = op_werkvoorraad(
        ("9999 AA", LANG_GELEDEN), ("9999 AB", dt.datetime(2026, 11, 16, 9, tzinfo=AMS)), ("9999 AC", LANG_GELEDEN),
        eerste_per_email=True,
    )
    assert contact(gebeld, dt.datetime(2026, 11, 20, 10, tzinfo=AMS)).exit_code == 0

    resultaten = [werkvoorraad_zorg(peildatum=PEILDATUM) for _ in range(3)]

    assert [r.wachtend for r in resultaten] == [3, 3, 3]
    assert [len(r.brieven.gemaakt) for r in resultaten] == [2, 0, 0]
    assert [r.brieven.al_gemaakt for r in resultaten] == [0, 2, 2]
    assert [r.bezorging.verzonden for r in resultaten] == [2, 0, 0]
    brieven = alle(engine, Brief, Brief.soort == "wachtlijst")
    assert sorted(b.aanleiding for b in brieven) == ["wachtlijst-20261001-1"] * 2
    assert len({b.casus_id for b in brieven}) == 2 and all(b.status == "verzonden" for b in brieven)
    # The family that agreed to e-mail got it once by e-mail, the other one is in the print queue once.
    [email] = smtp_server.wacht_op_berichten(1)
    assert email["To"] == "gezin@example.org"
    assert len(list(printwachtrij(regio).iterdir())) == 1

    # The family not reached since 1 October is flagged and escalated once; the others are not.
    [risico] = alle(engine, AuditEvent, AuditEvent.actie == "buiten_beeld_risico")
    assert risico.details["sinds"] == "2026-10-01"
    [escalatie] = alle(engine, Notificatie, Notificatie.soort == "werkvoorraad_buiten_beeld")
    assert escalatie.ontvanger == "rol:teamleider" and lang in escalatie.inhoud and gebeld not in escalatie.inhoud
    # One contact list per team per day, listing only the casus whose contact is due.
    [lijst] = alle(engine, Notificatie, Notificatie.soort == "werkvoorraad_contactlijst")
    assert lijst.ontvanger == "rol:behandelteam" and lang in lijst.inhoud
    assert kort not in lijst.inhoud and gebeld not in lijst.inhoud
    for tekst in (lijst.inhoud, lijst.onderwerp, escalatie.inhoud):
        assert not any(geheim in tekst for geheim in PERSOONSGEGEVENS)

    # Twenty working days later everyone still waits: a second letter for the two long waits and a
    # first one for the short wait; the two now without contact for too long are escalated, the
    # family escalated before is not escalated again for the same period without contact.
    later = werkkalender(regio).plus_werkdagen(PEILDATUM, 20)
    vervolg = werkvoorraad_zorg(peildatum=later)
    assert len(vervolg.brieven.gemaakt) == 3 and vervolg.buiten_beeld_gemeld == 2
    assert sorted(b.aanleiding for b in alle(engine, Brief, Brief.soort == "wachtlijst")) == [
        "wachtlijst-20261001-1", "wachtlijst-20261001-1", "wachtlijst-20261001-2", "wachtlijst-20261001-2",
        "wachtlijst-20261116-1",
    ]
    risico = alle(engine, AuditEvent, AuditEvent.actie == "buiten_beeld_risico")
    assert sorted(e.details["sinds"] for e in risico) == ["2026-10-01", "2026-11-16", "2026-11-20"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_recording_a_contact_is_audited_encrypted_and_takes_the_family_off_the_due_list(regio, engine):
    [referentie] = op_werkvoorraad(("9999 AA", LANG_GELEDEN))
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one()
        from models.dossier.wijzigingen import voeg_termijn_toe
        from models.regels.termijnbeleid import bereken_termijn

        regel = instellingen().termijnen[TermijnSoort.werkvoorraad_contact]
        voeg_termijn_toe(session, casus, bereken_termijn(TermijnSoort.werkvoorraad_contact, regel, LANG_GELEDEN,
                                                         werkkalender(regio), dt.time(23, 59, 59)), "test")
    assert beoordeel_werkvoorraad.fn(PEILDATUM).contact_nodig

    poging = contact(referentie, dt.datetime(2026, 11, 23, 9, tzinfo=AMS), bereikt=False)
    assert poging.exit_code == 0, poging.output
    assert beoordeel_werkvoorraad.fn(PEILDATUM).contact_nodig, "an attempt alone is not contact"

    gelukt = contact(referentie, dt.datetime(2026, 11, 23, 11, tzinfo=AMS))
    assert gelukt.exit_code == 0, gelukt.output
    assert json.loads(gelukt.stdout)["bereikt"] is True
    beeld = beoordeel_werkvoorraad.fn(PEILDATUM)
    assert not beeld.contact_nodig and not beeld.buiten_beeld and beeld.brieven

    events = alle(engine, AuditEvent, AuditEvent.actie == "contactmoment")
    assert [(e.actor, e.details["bereikt"], e.details["vorm"]) for e in events] == [
        ("medewerker-test", False, "telefoon"), ("medewerker-test", True, "telefoon")]
    assert all("rustig" not in json.dumps(e.details) for e in events)
    with engine.connect() as verbinding:
        assert "rustig" not in str(verbinding.exec_driver_sql("SELECT notitie FROM contactmoment").all())
    # The deadline watch's contact term is met, and the next one runs from this contact.
    termijnen = sorted(alle(engine, Termijn, Termijn.soort == TermijnSoort.werkvoorraad_contact.value), key=lambda t: t.id)
    assert [t.voldaan_op is not None for t in termijnen] == [True, False]
    assert termijnen[1].start_op == dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_contact_registration_refuses_bad_input_in_dutch(regio):
    [referentie] = op_werkvoorraad(("9999 AA", LANG_GELEDEN))
    runner = CliRunner()
    for argumenten, fout in [
        (["--vorm", "postduif"], "--vorm moet een van deze zijn"),
        (["--tijdstip", "gisteren"], "--tijdstip is geen geldige datum"),
        (["--tijdstip", "2099-01-01T10:00"], "het tijdstip ligt in de toekomst"),
    ]:
        uit = runner.invoke(app, ["contact", "registreren", referentie, "--bereikt", "--door", "x", *argumenten])
        assert uit.exit_code == 1 and fout in uit.output
    uit = runner.invoke(app, ["contact", "registreren", "VT-2026-999999", "--bereikt", "--door", "x"])
    assert uit.exit_code == 1 and "bestaat niet" in uit.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_care_round_queries_in_batches_never_per_casus(regio, engine, monkeypatch):
    import tasks.werkvoorraad

    monkeypatch.setattr(tasks.werkvoorraad, "BATCH", 100)
    op_werkvoorraad(*[(f"{1000 + n} AB", LANG_GELEDEN) for n in range(250)])
    statements = []

    def tel(conn, cursor, sql, *args):
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append(sql)

    event.listen(Engine, "before_cursor_execute", tel)
    try:
        beeld = beoordeel_werkvoorraad.fn(PEILDATUM)
    finally:
        event.remove(Engine, "before_cursor_execute", tel)
    assert beeld.wachtend == 250 and len(beeld.brieven) == 250
    # 3 batches of (casussen + their contacts), plus the empty page that ends the loop.
    assert len(statements) <= 8, statements


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_prefect_sees_case_references_but_no_personal_data(regio):
    from flows.werkvoorraad import werkvoorraad_zorg

    [referentie, _] = op_werkvoorraad(("9999 AA", LANG_GELEDEN), ("9999 AB", LANG_GELEDEN))

    state = werkvoorraad_zorg(peildatum=PEILDATUM, return_state=True)

    assert state.is_completed(), state
    flow_run_id = state.state_details.flow_run_id
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
                                limit=200, offset=0)
        [artefact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])),
            flow_run_filter=FlowRunFilter(), task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC, limit=50, offset=0,
        )
    alles = "\n".join([json.dumps(run.parameters), repr(state.result()), *(l.message for l in logs), str(artefact.data)])
    assert artefact.key == "werkvoorraad-contact" and referentie in str(artefact.data)
    for geheim in PERSOONSGEGEVENS:
        assert geheim not in alles, f"{geheim!r} is visible in Prefect"


def test_the_care_flow_runs_daily_at_seven_in_amsterdam_and_letters_are_delivered_every_five_minutes():
    from deployments.serve import deployments

    per_naam = {d.name: d for d in deployments()}
    [zorg_schema] = per_naam["werkvoorraad-zorg"].schedules
    assert (zorg_schema.schedule.cron, zorg_schema.schedule.timezone) == ("0 7 * * *", "Europe/Amsterdam")
    [bezorg_schema] = per_naam["brieven bezorgen"].schedules
    assert bezorg_schema.schedule.interval == dt.timedelta(minutes=5)

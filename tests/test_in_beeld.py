"""'Every open casus is in sight': the sentinel's rules (pure), and bringing casussen back."""

from __future__ import annotations

import datetime as dt

import pytest

from models.regels.in_beeld import Bevinding, CasusStand, RunStand, beoordeel, te_vaak_hersteld, wacht_bij

NU = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
STAP_MAX = dt.timedelta(minutes=10)
SLEUTEL = "vt-2026-000001-besluit-1"


def casus(run_id="run-1", wacht_op=SLEUTEL, nazorg_open_sinds=None) -> CasusStand:
    return CasusStand("VT-2026-000001", run_id, wacht_op, nazorg_open_sinds)


def run(staat, minuten_geleden=0, pauzesleutel=None) -> RunStand:
    return RunStand(staat, NU - dt.timedelta(minutes=minuten_geleden), pauzesleutel)


def test_a_casus_whose_run_waits_at_its_decision_is_in_sight():
    assert beoordeel(casus(), run("PAUSED", 600, SLEUTEL), NU, STAP_MAX) is None
    # A refused form is asked again under the same decision.
    assert beoordeel(casus(), run("PAUSED", 1, f"{SLEUTEL}-poging-2"), NU, STAP_MAX) is None


def test_a_run_busy_for_a_moment_between_two_forms_is_left_alone():
    for staat in ("RUNNING", "PENDING", "SCHEDULED", "CANCELLING"):
        assert beoordeel(casus(), run(staat, 9), NU, STAP_MAX) is None


@pytest.mark.parametrize("staat, bevinding", [
    ("RUNNING", Bevinding.loopt_te_lang),  # its process was killed: Prefect keeps it Running
    ("PENDING", Bevinding.start_hangt),
    ("SCHEDULED", Bevinding.start_hangt),
    ("CANCELLING", Bevinding.annuleren_hangt),
])
def test_a_run_busy_longer_than_a_step_takes_has_stopped(staat, bevinding):
    assert beoordeel(casus(), run(staat, 11), NU, STAP_MAX) is bevinding


def test_a_running_run_without_heartbeat_has_stopped_at_once_and_a_waiting_one_is_left_alone():
    """The heartbeat automation names a run; only one still Running is treated as gone."""
    from dataclasses import replace

    stil = replace(run("RUNNING", 1), zonder_hartslag=True)
    assert beoordeel(casus(), stil, NU, STAP_MAX) is Bevinding.hartslag_gemist
    wacht = replace(run("PAUSED", 600, SLEUTEL), zonder_hartslag=True)
    assert beoordeel(casus(), wacht, NU, STAP_MAX) is None


@pytest.mark.parametrize("staat, bevinding", [
    ("CRASHED", Bevinding.gecrasht), ("FAILED", Bevinding.mislukt), ("CANCELLED", Bevinding.geannuleerd),
    ("COMPLETED", Bevinding.voltooid_terwijl_open),
])
def test_an_ended_run_of_an_open_casus_is_out_of_sight_at_once(staat, bevinding):
    assert beoordeel(casus(), run(staat, 0), NU, STAP_MAX) is bevinding


def test_a_casus_without_a_run_or_with_a_run_prefect_does_not_know_is_out_of_sight():
    assert beoordeel(casus(run_id=None), None, NU, STAP_MAX) is Bevinding.geen_run
    assert beoordeel(casus(), None, NU, STAP_MAX) is Bevinding.run_onbekend


def test_an_intake_that_just_registered_its_melding_gets_time_to_start_the_run():
    net = casus(run_id=None, nazorg_open_sinds=NU - dt.timedelta(seconds=5))
    assert beoordeel(net, None, NU, STAP_MAX) is None
    lang = casus(run_id=None, nazorg_open_sinds=NU - dt.timedelta(minutes=11))
    assert beoordeel(lang, None, NU, STAP_MAX) is Bevinding.geen_run


def test_a_run_waiting_at_another_decision_than_the_casus_is_out_of_sight():
    assert beoordeel(casus(), run("PAUSED", 1, "vt-2026-000001-besluit-2"), NU, STAP_MAX) \
        is Bevinding.wacht_bij_ander_besluit
    # The casus needs no person (an automatic step) but the run waits for one.
    assert beoordeel(casus(wacht_op=None), run("PAUSED", 1, SLEUTEL), NU, STAP_MAX) \
        is Bevinding.wacht_bij_ander_besluit
    assert not wacht_bij(f"{SLEUTEL}0", SLEUTEL)


def test_a_waiting_run_whose_decision_left_letters_undone_is_out_of_sight():
    lang = casus(nazorg_open_sinds=NU - dt.timedelta(minutes=11))
    assert beoordeel(lang, run("PAUSED", 1, SLEUTEL), NU, STAP_MAX) is Bevinding.nazorg_blijft_liggen
    # A hermelding registered a moment ago: its intake is still sending them.
    net = casus(nazorg_open_sinds=NU - dt.timedelta(seconds=20))
    assert beoordeel(net, run("PAUSED", 1, SLEUTEL), NU, STAP_MAX) is None


def test_a_closed_casus_is_out_of_sight_only_while_its_closing_letters_are_not_done():
    def gesloten(nazorg_open_sinds=None):
        return CasusStand("VT-2026-000001", "run-1", None, nazorg_open_sinds, afgesloten=True)

    assert beoordeel(gesloten(), run("COMPLETED"), NU, STAP_MAX) is None
    assert beoordeel(gesloten(), run("CRASHED"), NU, STAP_MAX) is None
    # Killed after the decision 'afsluiten' was stored, before its letters were made.
    open_ = gesloten(NU - dt.timedelta(minutes=11))
    assert beoordeel(open_, run("RUNNING", 11), NU, STAP_MAX) is Bevinding.loopt_te_lang
    assert beoordeel(open_, run("CRASHED"), NU, STAP_MAX) is Bevinding.gecrasht
    assert beoordeel(open_, run("COMPLETED"), NU, STAP_MAX) is Bevinding.nazorg_blijft_liggen


def test_a_casus_restarted_too_often_in_the_window_is_not_restarted_again():
    venster = dt.timedelta(hours=1)
    recent = [NU - dt.timedelta(minutes=m) for m in (5, 20)]
    assert not te_vaak_hersteld(recent, NU, 3, venster)
    assert te_vaak_hersteld([*recent, NU - dt.timedelta(minutes=50)], NU, 3, venster)
    assert not te_vaak_hersteld([*recent, NU - dt.timedelta(minutes=70)], NU, 3, venster)


# --- in the store: which meldingen owe an intake's follow-ups -------------------------------------


def _registreer(engine, instellingen, straat: str, **extra) -> str:
    from sqlmodel import Session

    from models.opslag.regio import synchroniseer
    from models.dossier.registratie import registreer_meldingen
    from tests.helpers import melding

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding(straat_huisnummer=straat, **extra)], instellingen,
                                               actor="test")
    return geregistreerd.melding_referentie


def test_only_a_melding_from_the_intake_form_owes_a_crisis_alert_and_a_letter(engine, instellingen):
    from sqlmodel import Session, select

    from models.opslag.casus import INTAKE_BRON, Melding

    via_formulier = _registreer(engine, instellingen, "Formulierstraat 1", bron=INTAKE_BRON, extern_id="run-1")
    geimporteerd = _registreer(engine, instellingen, "Importstraat 2", bron="oud-systeem", extern_id="42")
    demo = _registreer(engine, instellingen, "Demostraat 3")
    with Session(engine) as session:
        klaar = {m.referentie: m.intake_nazorg_klaar_op for m in session.exec(select(Melding))}
    assert klaar[via_formulier] is None
    assert klaar[geimporteerd] is not None and klaar[demo] is not None


# --- the sentinel against a real Prefect server, store and SMTP server ----------------------------


@pytest.mark.prefect
def test_the_team_leader_hears_at_once_when_a_casus_cannot_be_brought_back(
        engine, database_url, tmp_path, monkeypatch, smtp_server):
    """No lifecycle deployment is served, so starting a run fails; another casus was restarted
    too often already. Each gives one e-mail to the team leader (reference, no personal data)
    and a line in the casus's timeline; the next pass sends nothing again."""
    import uuid

    from sqlmodel import Session, select

    from flows.in_beeld import casussen_in_beeld
    from models.opslag.casus import AuditEvent, Casus
    from models.dossier.wijzigingen import audit
    from tests.helpers import FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, gebruik_database, regio_voor_test

    regio = regio_voor_test(tmp_path, monkeypatch, smtp_server)
    gebruik_database(monkeypatch, database_url)
    # Other test modules serve the lifecycle deployment on the same Prefect server: ask for one
    # that nobody serves, so starting a run fails whatever ran before.
    monkeypatch.setattr("tasks.levensloop.LEVENSLOOP_DEPLOYMENT", "casus-levensloop/niet geserveerd")
    _registreer(engine, regio, "Zonderrunstraat 1")
    _registreer(engine, regio, "Vastloopstraat 2")
    with Session(engine) as session, session.begin():
        zonder_run, vastgelopen = session.exec(select(Casus).order_by(Casus.id)).all()
        vastgelopen.flow_run_id = str(uuid.uuid4())  # a run Prefect does not know
        session.add(vastgelopen)
        for _ in range(regio.levensloop.max_herstarts):
            audit(session, vastgelopen, "bewaking", "levensloop_hersteld", details={"bevinding": "gecrasht"})
        referenties = (zonder_run.referentie, vastgelopen.referentie)

    assert casussen_in_beeld() == {"gemeld": 2}
    assert casussen_in_beeld() == {"al_gemeld": 2}

    mails = smtp_server.berichten
    assert sorted(m["To"] for m in mails) == ["teamleider@vt-test.example.org"] * 2
    teksten = {ref: next(m.get_body(preferencelist=("plain",)).get_content() for m in mails if ref in m["Subject"])
               for ref in referenties}
    assert "geen levensloop-run" in teksten[referenties[0]] and "opnieuw starten lukte niet" in teksten[referenties[0]]
    assert "bestaat niet (meer) in Prefect" in teksten[referenties[1]]
    assert "3 keer opnieuw gestart" in teksten[referenties[1]]
    for tekst in teksten.values():
        assert not any(geheim in tekst for geheim in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES])
    with Session(engine) as session:
        gemeld = session.exec(select(AuditEvent.details).where(AuditEvent.actie == "levensloop_niet_hersteld")).all()
    assert sorted(d["bevinding"] for d in gemeld) == ["geen_run", "run_onbekend"]


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_run_named_by_the_heartbeat_automation_is_restored_only_when_prefect_heard_nothing_of_it(
        engine, database_url, tmp_path, monkeypatch, smtp_server):
    """The automation 'levensloop zonder hartslag' names two runs, both Running for longer than the
    heartbeat window. One is slow but alive: Prefect heard its heartbeat within the window (the
    trigger came late, or the machine was busy); the sentinel leaves it running and its casus
    alone. The other was silent for the whole window (its machine is gone): it is marked Crashed
    and its casus gets a new run."""
    import uuid

    from prefect import get_client
    from prefect.events import emit_event
    from prefect.states import Running
    from sqlmodel import Session, select

    from flows.in_beeld import casussen_in_beeld
    from flows.levensloop import casus_levensloop
    from models.opslag.casus import AuditEvent, Casus
    from models.opslag.typen import nu
    from tests.helpers import gebruik_database, regio_voor_test

    regio = regio_voor_test(tmp_path, monkeypatch, smtp_server, levensloop={"hartslag_venster_seconden": 120})
    gebruik_database(monkeypatch, database_url)
    # A lifecycle deployment nobody serves: the restored casus's new run is created, not run.
    naam = f"hartslag-{uuid.uuid4().hex[:8]}"
    deployment_id = casus_levensloop.to_deployment(name=naam).apply()
    monkeypatch.setattr("tasks.levensloop.LEVENSLOOP_DEPLOYMENT", f"casus-levensloop/{naam}")
    _registreer(engine, regio, "Traagstraat 1")
    _registreer(engine, regio, "Stilstraat 2")
    with Session(engine) as session:
        referenties = session.exec(select(Casus.referentie).order_by(Casus.id)).all()
    # Running since longer than the window, not yet longer than a step may take.
    sinds = nu() - dt.timedelta(seconds=regio.levensloop.hartslag_venster_seconden + 60)
    with get_client(sync_client=True) as client:
        traag, stil = (client.create_flow_run_from_deployment(deployment_id, parameters={"casus_referentie": ref})
                       for ref in referenties)
        for run in (traag, stil):
            client.set_flow_run_state(run.id, Running(), force=True)
            _running_sinds(run.id, sinds)
    with Session(engine) as session, session.begin():
        for ref, run in zip(referenties, (traag, stil)):
            casus = session.exec(select(Casus).where(Casus.referentie == ref)).one()
            casus.flow_run_id = str(run.id)
            session.add(casus)
    referentie = dict(zip((str(traag.id), str(stil.id)), referenties))
    hartslag = f"prefect.flow-run.{traag.id}"
    emit_event("prefect.flow-run.heartbeat", resource={"prefect.resource.id": hartslag})
    _wacht_tot_prefect_hoort(hartslag)

    assert casussen_in_beeld(zonder_hartslag=hartslag) == {}
    assert casussen_in_beeld(zonder_hartslag=f"prefect.flow-run.{stil.id}") == {"hersteld": 1}

    with get_client(sync_client=True) as client:
        assert client.read_flow_run(traag.id).state.is_running()
        assert client.read_flow_run(stil.id).state.is_crashed()
    with Session(engine) as session:
        hersteld = session.exec(select(AuditEvent).where(AuditEvent.actie == "levensloop_hersteld")).all()
        nieuw = session.exec(select(Casus.flow_run_id).where(Casus.referentie == referentie[str(stil.id)])).one()
        oud = session.exec(select(Casus.flow_run_id).where(Casus.referentie == referentie[str(traag.id)])).one()
    assert [(e.details["bevinding"], e.details["oude_run"]) for e in hersteld] == [("hartslag_gemist", str(stil.id))]
    assert nieuw != str(stil.id) and oud == str(traag.id)


def _running_sinds(run_id, sinds: dt.datetime) -> None:
    """As if the run had been Running since `sinds`: the API takes no state time from a client,
    so the moment is moved back in Prefect's own database."""
    import psycopg
    import prefect.settings

    url = prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value().replace("+asyncpg", "", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE flow_run_state SET timestamp = %s WHERE id = (SELECT state_id FROM flow_run WHERE id = %s)",
                     (sinds, run_id))
        conn.execute("UPDATE flow_run SET state_timestamp = %s WHERE id = %s", (sinds, run_id))


def _wacht_tot_prefect_hoort(resource_id: str) -> None:
    """Until Prefect stored the event (its event pipeline is asynchronous)."""
    import time

    from prefect import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    einde = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while time.monotonic() < einde:
            if client.read_events(EventFilter(event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                                              resource=EventResourceFilter(id=[resource_id])), limit=1).events:
                return
            time.sleep(0.5)
    raise AssertionError("Prefect bewaarde de hartslag niet")

"""The deadline watch: every term is warned about before it passes and escalated once it has,
each step of the ladder exactly once (also when runs overlap or the mail server is down),
counted in working days past weekends and feestdagen, at local time across daylight-saving
changes; suspended terms wait, extended terms get their steps again for the new deadline, and
met terms stop escalating. The clock is the `peildatum` / `nu` the tests pass in."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowRunFilter,
    TaskRunFilter,
)
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import event, text
from sqlmodel import Session, select
from typer.testing import CliRunner

from models.opslag.casus import AuditEvent, Termijn
from models.opslag.communicatie import Bezorgstatus, Notificatie
from models.dossier.wijzigingen import casus_op_referentie, hervat, markeer_voldaan, schort_op, verleng
from models.regels.instellingen import DEMO_INSTELLINGEN, Instellingen, TermijnSoort
from models.regels.kalender import werkkalender
from models.opslag.regio import synchroniseer
from models.dossier.registratie import registreer_meldingen
from models.dossier.termijnbewaking import (
    TeBewaken,
    achterstand,
    ladder_van,
    na_werkdagen,
    over_tijd,
    stapmomenten,
    te_bewaken,
    werkdagen_te_laat,
)
from tests.helpers import (
    AMS,
    FICTIEF_ADRES,
    FICTIEF_BSN,
    FICTIEVE_NAMEN,
    FICTIEVE_OMSCHRIJVING,
    gebruik_database,
    melding,
    regio_voor_test,
)

UTC = dt.timezone.utc
SEC = dt.timedelta(seconds=1)
VB = TermijnSoort.veiligheidsbeoordeling
LADDER = ["waarschuwing", "vervallen", "overschreden"]  # the demo region's ladder


def _lokaal(jaar, maand, dag, uur=23, minuut=59, seconde=59) -> dt.datetime:
    return dt.datetime(jaar, maand, dag, uur, minuut, seconde, tzinfo=AMS)


# --- the rules, without a database ----------------------------------------------------------------


@pytest.fixture
def kalender(instellingen):
    return werkkalender(instellingen)


def _vb_termijn(vervalt_op: dt.datetime) -> TeBewaken:
    start = vervalt_op - dt.timedelta(days=7)
    return TeBewaken(1, 1, VB.value, start, vervalt_op - dt.timedelta(days=2), vervalt_op, vervalt_op, 0,
                     "VT-2026-000001", "GM0907", None)


@pytest.mark.parametrize("vervalt_op, overschreden_op", [
    # Fri 1 May + 2 working days: weekend, Mon 4 May (1), 5 mei Bevrijdingsdag (every year), Wed 6 May (2).
    (_lokaal(2026, 5, 1), _lokaal(2026, 5, 6)),
    # Wed 13 May: Hemelvaartsdag Thu 14, brugdag Fri 15 (settings), weekend, Mon 18 (1), Tue 19 (2).
    (_lokaal(2026, 5, 13), _lokaal(2026, 5, 19)),
    # Thu 24 Dec: both Christmas days, weekend, Mon 28 (1), Tue 29 (2).
    (_lokaal(2026, 12, 24), _lokaal(2026, 12, 29)),
], ids=["bevrijdingsdag", "hemelvaart-en-brugdag", "kerst"])
def test_the_overdue_step_counts_working_days_past_weekends_feestdagen_and_brugdagen(
        instellingen, kalender, vervalt_op, overschreden_op):
    momenten = stapmomenten(_vb_termijn(vervalt_op), ladder_van(VB, instellingen), kalender)
    assert momenten[2] == overschreden_op


def test_the_overdue_step_keeps_its_local_time_across_the_end_of_daylight_saving(instellingen, kalender):
    # Due Fri 23 Oct 2026 23:59:59 CEST; summer time ends Sun 25 Oct; 2 working days later is
    # Tue 27 Oct 23:59:59 CET, which is 22:59:59 UTC (not 21:59:59, as 4 x 24 hours would give).
    vervalt_op = _lokaal(2026, 10, 23)
    overschreden = stapmomenten(_vb_termijn(vervalt_op), ladder_van(VB, instellingen), kalender)[2]
    assert overschreden == dt.datetime(2026, 10, 27, 22, 59, 59, tzinfo=UTC)
    stand = achterstand(vervalt_op, overschreden, kalender)
    assert (stand.te_laat, stand.werkdagen, stand.uren) == (True, 2, 97)  # 4 days and the extra hour


def test_the_overdue_step_keeps_its_local_time_across_the_start_of_daylight_saving(kalender):
    # Summer time starts on Easter Sunday, 28 Mar 2027. From 23:59:59 CET on Thu 25 Mar, 2 working
    # days (Goede Vrijdag, the weekend and Easter Monday do not count) is Wed 31 Mar 23:59:59 CEST.
    assert na_werkdagen(_lokaal(2027, 3, 25), 2, kalender) == dt.datetime(2027, 3, 31, 21, 59, 59, tzinfo=UTC)


def test_working_days_late_reach_n_exactly_at_the_moment_of_the_n_working_days_step(kalender):
    rng = random.Random(4)
    begin = dt.datetime(2026, 3, 1, tzinfo=UTC)
    for _ in range(400):
        vervalt_op = begin + dt.timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        moment = vervalt_op + dt.timedelta(minutes=rng.randrange(0, 20 * 24 * 60))
        n = werkdagen_te_laat(vervalt_op, moment, kalender)
        assert na_werkdagen(vervalt_op, n, kalender) <= moment < na_werkdagen(vervalt_op, n + 1, kalender)


def test_how_late_is_told_in_working_days_and_elapsed_hours(kalender):
    vervalt_op = _lokaal(2026, 11, 20)  # Friday
    maandagmiddag = _lokaal(2026, 11, 23, 14, 30, 0)
    assert achterstand(vervalt_op, maandagmiddag, kalender).werkdagen == 0  # Monday not over yet
    dinsdag = achterstand(vervalt_op, _lokaal(2026, 11, 24, 23, 59, 59), kalender)
    assert (dinsdag.werkdagen, dinsdag.uren, dinsdag.minuten) == (2, 96, 0)
    vooraf = achterstand(vervalt_op, _lokaal(2026, 11, 18, 12, 0, 0), kalender)
    assert (vooraf.te_laat, vooraf.werkdagen, vooraf.uren, vooraf.minuten) == (False, 2, 59, 59)


def _met_ladder(ladder: list[dict]) -> dict:
    import yaml

    ruw = yaml.safe_load(DEMO_INSTELLINGEN.read_text(encoding="utf-8"))
    ruw["escalatie"]["ladder"] = ladder
    return ruw


def test_a_ladder_in_the_wrong_order_or_with_a_step_name_twice_is_refused():
    uit_volgorde = [{"naam": "laat", "moment": "overschreden", "werkdagen_na_vervaldatum": 2, "rollen": ["manager"]},
                    {"naam": "vervallen", "moment": "vervaldatum", "rollen": ["teamleider"]}]
    with pytest.raises(ValueError, match="volgorde"):
        Instellingen.model_validate(_met_ladder(uit_volgorde))
    dubbel = [{"naam": "stap", "moment": "waarschuwing", "rollen": ["behandelteam"]},
              {"naam": "stap", "moment": "vervaldatum", "rollen": ["teamleider"]}]
    with pytest.raises(ValueError, match="eigen naam"):
        Instellingen.model_validate(_met_ladder(dubbel))


def test_the_demo_ladder_tells_the_teamleider_of_an_acute_melding_at_once_and_leaves_the_alert_to_intake(instellingen):
    eerste = instellingen.escalatie.acute_ladder[0]
    assert (eerste.moment.value, eerste.rollen) == ("direct", ["teamleider"])
    assert instellingen.levensloop.crisisdienst_rol == "crisisdienst"  # alerted by the intake flow


# --- the watch on a real database (task level) ----------------------------------------------------


@pytest.fixture
def regio(engine, database_url, smtp_server, tmp_path, monkeypatch) -> Instellingen:
    gebruik_database(monkeypatch, database_url)
    regio = regio_voor_test(
        tmp_path, monkeypatch, smtp_server,
        bezorging={"max_pogingen": 5, "eerste_wachttijd_seconden": 1, "maximale_wachttijd_seconden": 1},
    )
    with Session(engine) as session, session.begin():
        synchroniseer(session, regio)
    return regio


def _registreer(engine, regio, *meldingen) -> list[str]:
    with Session(engine) as session, session.begin():
        return [g.casus_referentie for g in registreer_meldingen(session, list(meldingen), regio, actor="intake-test")]


def _termijn(engine, referentie: str, soort: TermijnSoort = VB) -> Termijn:
    with Session(engine) as session:
        casus = casus_op_referentie(session, referentie)
        return session.exec(select(Termijn).where(Termijn.casus_id == casus.id, Termijn.soort == soort)).one()


def _escalatie_events(engine, referentie: str | None = None) -> list[AuditEvent]:
    """Every 'escalatie' audit event (of one casus), in the order written."""
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.actie == "escalatie").order_by(AuditEvent.id)
        if referentie:
            query = query.where(AuditEvent.casus_id == casus_op_referentie(session, referentie).id)
        return list(session.exec(query))


def _escalaties(engine, referentie: str | None = None) -> list[tuple[str, dt.datetime, str]]:
    """(stap, tijdstip, vervalt_op) of every 'escalatie' audit event."""
    return [(e.details["stap"], e.tijdstip, e.details["vervalt_op"]) for e in _escalatie_events(engine, referentie)]


def _stappen(engine, referentie: str | None = None) -> list[str]:
    return [stap for stap, _, _ in _escalaties(engine, referentie)]


def _notificaties(engine) -> list[Notificatie]:
    with Session(engine) as session:
        return list(session.exec(select(Notificatie).where(Notificatie.soort == "escalatie").order_by(Notificatie.id)))


def _bewaak(moment: dt.datetime):
    from tasks.termijnbewaking import bewaak_termijnen

    return bewaak_termijnen(moment)


@pytest.fixture
def vb_casus(engine, regio) -> str:
    """A regular melding of Mon 16 Nov 2026 10:00; its safety assessment is due Mon 23 Nov 23:59:59."""
    [referentie] = _registreer(engine, regio, melding())
    assert _termijn(engine, referentie).vervalt_op == _lokaal(2026, 11, 23)
    return referentie


@pytest.mark.prefect
def test_a_term_gets_its_warning_due_and_overdue_steps_each_exactly_once(engine, vb_casus):
    termijn = _termijn(engine, vb_casus)
    waarschuw_op, vervalt_op = termijn.waarschuw_op, termijn.vervalt_op
    overschreden_op = _lokaal(2026, 11, 25)  # Wed: 2 working days after Mon 23 Nov

    for moment, verwacht in [
        (waarschuw_op - SEC, []),
        (waarschuw_op, ["waarschuwing"]),
        (waarschuw_op + dt.timedelta(hours=1), ["waarschuwing"]),  # a later run fires nothing again
        (vervalt_op - SEC, ["waarschuwing"]),
        (vervalt_op, ["waarschuwing", "vervallen"]),
        (_lokaal(2026, 11, 24), ["waarschuwing", "vervallen"]),  # 1 working day late: nothing new
        (overschreden_op - SEC, ["waarschuwing", "vervallen"]),
        (overschreden_op, LADDER),
        (overschreden_op + dt.timedelta(days=30), LADDER),  # the ladder is done
    ]:
        _bewaak(moment)
        assert _stappen(engine, vb_casus) == verwacht, moment

    escalaties = _escalaties(engine, vb_casus)
    assert [tijdstip for _, tijdstip, _ in escalaties] == [waarschuw_op, vervalt_op, overschreden_op]
    assert [(n.ontvanger, n.sleutel.split(":")[2]) for n in _notificaties(engine)] == [
        ("rol:behandelteam", "waarschuwing"), ("rol:teamleider", "vervallen"),
        ("rol:manager", "overschreden"), ("rol:regiocoordinator", "overschreden"),
    ]
    assert _termijn(engine, vb_casus).volgende_actie_op is None


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_watch_that_was_down_fires_every_missed_step_once_in_ladder_order(engine, vb_casus):
    verslag = _bewaak(_lokaal(2026, 12, 3))
    assert _stappen(engine, vb_casus) == LADDER
    assert (verslag.gevuurd, verslag.per_stap, len(verslag.notificaties)) == (
        3, {"waarschuwing": 1, "vervallen": 1, "overschreden": 1}, 4)
    assert _bewaak(_lokaal(2026, 12, 3)).gevuurd == 0


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_weekends_feestdagen_and_a_brugdag_delay_the_overdue_escalation(engine, regio):
    # Received Wed 6 May 2026: due Wed 13 May; Hemelvaartsdag, the brugdag of 15 May and the
    # weekend do not count, so 2 working days late is Tue 19 May 23:59:59.
    [referentie] = _registreer(engine, regio, melding(ontvangen_op=_lokaal(2026, 5, 6, 10, 0, 0)))
    assert _termijn(engine, referentie).vervalt_op == _lokaal(2026, 5, 13)
    _bewaak(_lokaal(2026, 5, 18))  # five calendar days late, zero working days
    assert _stappen(engine, referentie) == ["waarschuwing", "vervallen"]
    _bewaak(_lokaal(2026, 5, 19) - SEC)
    assert _stappen(engine, referentie) == ["waarschuwing", "vervallen"]
    _bewaak(_lokaal(2026, 5, 19))
    assert _stappen(engine, referentie) == LADDER
    [laatste] = [n for n in _notificaties(engine) if n.ontvanger == "rol:manager"]
    assert "Te laat: 2 werkdagen (144 uur na de vervaldatum)" in laatste.inhoud


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_overdue_escalation_comes_at_local_time_after_summer_time_ends(engine, regio):
    # Received Fri 16 Oct 2026: due Fri 23 Oct 23:59:59 CEST; overdue Tue 27 Oct 23:59:59 CET.
    [referentie] = _registreer(engine, regio, melding(ontvangen_op=_lokaal(2026, 10, 16, 10, 0, 0)))
    _bewaak(dt.datetime(2026, 10, 27, 21, 59, 59, tzinfo=UTC))  # 23:59:59 had the clock not changed
    assert _stappen(engine, referentie) == ["waarschuwing", "vervallen"]
    _bewaak(dt.datetime(2026, 10, 27, 22, 59, 59, tzinfo=UTC))
    assert _stappen(engine, referentie) == LADDER


@pytest.mark.prefect
def test_a_suspended_term_is_not_escalated_and_resumes_moved_by_the_suspended_working_days(engine, vb_casus):
    termijn = _termijn(engine, vb_casus)
    _bewaak(termijn.waarschuw_op)
    opgeschort, hervat_op = _lokaal(2026, 11, 22, 9, 0, 0), _lokaal(2026, 11, 26, 9, 0, 0)
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, vb_casus)
        schort_op(session, casus, session.get(Termijn, termijn.id), "medewerker-1", "wacht op informatie",
                  tijdstip=opgeschort)
    _bewaak(_lokaal(2026, 11, 26, 8, 0, 0))  # past the deadline and the overdue step, but suspended
    assert _stappen(engine, vb_casus) == ["waarschuwing"]

    with Session(engine) as session, session.begin():
        hervat(session, casus_op_referentie(session, vb_casus), session.get(Termijn, termijn.id), "medewerker-1",
               tijdstip=hervat_op)
    # Suspended Sun 22 to Thu 26 Nov (four working days): due Mon 23 becomes Fri 27 Nov 23:59:59;
    # the warning, already sent, is not sent again; the next step waits for the new deadline.
    verschoven = _termijn(engine, vb_casus)
    assert verschoven.vervalt_op == _lokaal(2026, 11, 27)
    assert verschoven.waarschuw_op == termijn.waarschuw_op + (verschoven.vervalt_op - termijn.vervalt_op)
    assert verschoven.volgende_actie_op == verschoven.vervalt_op
    _bewaak(verschoven.vervalt_op - SEC)
    assert _stappen(engine, vb_casus) == ["waarschuwing"]
    _bewaak(verschoven.vervalt_op)
    assert _stappen(engine, vb_casus) == ["waarschuwing", "vervallen"]


@pytest.mark.prefect
def test_an_extension_lets_the_old_deadline_pass_quietly_and_warns_again_before_the_new_one(engine, vb_casus):
    termijn = _termijn(engine, vb_casus)
    _bewaak(termijn.waarschuw_op)
    nieuwe_vervaldatum = _lokaal(2026, 11, 30)  # 5 working days later
    with Session(engine) as session, session.begin():
        verleng(session, casus_op_referentie(session, vb_casus), session.get(Termijn, termijn.id),
                nieuwe_vervaldatum, "teamleider-1", "gezin pas volgende week bereikbaar",
                tijdstip=termijn.vervalt_op - dt.timedelta(hours=2))
    verlengd = _termijn(engine, vb_casus)
    assert verlengd.waarschuw_op == termijn.waarschuw_op + (nieuwe_vervaldatum - termijn.vervalt_op)
    assert (verlengd.escalatie_stap, verlengd.volgende_actie_op) == (0, verlengd.waarschuw_op)

    _bewaak(termijn.vervalt_op + dt.timedelta(hours=1))  # the old deadline
    assert _stappen(engine, vb_casus) == ["waarschuwing"]
    _bewaak(verlengd.waarschuw_op)
    _bewaak(nieuwe_vervaldatum)
    escalaties = _escalaties(engine, vb_casus)
    assert [(stap, vervalt) for stap, _, vervalt in escalaties] == [
        ("waarschuwing", termijn.vervalt_op.isoformat()),
        ("waarschuwing", nieuwe_vervaldatum.astimezone(UTC).isoformat()),
        ("vervallen", nieuwe_vervaldatum.astimezone(UTC).isoformat()),
    ]
    assert len({n.sleutel for n in _notificaties(engine)}) == 3
    assert "(verlengd; was ma 23-11-2026 23:59)" in _notificaties(engine)[-1].inhoud


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_extension_after_the_deadline_passed_escalates_again_when_the_new_one_passes(engine, vb_casus):
    termijn = _termijn(engine, vb_casus)
    _bewaak(_lokaal(2026, 11, 25))
    assert _stappen(engine, vb_casus) == LADDER
    with Session(engine) as session, session.begin():
        verleng(session, casus_op_referentie(session, vb_casus), session.get(Termijn, termijn.id),
                _lokaal(2026, 11, 27), "teamleider-1", "extra gesprek gepland", tijdstip=_lokaal(2026, 11, 26, 9, 0, 0))
    # The warning, shifted by the same 4 days, lies behind us (Tue 24 Nov): it does not fire again.
    # The new deadline (Fri 27 Nov) and 2 working days after it (Tue 1 Dec) escalate again.
    _bewaak(_lokaal(2026, 12, 1) - SEC)
    assert _stappen(engine, vb_casus) == [*LADDER, "vervallen"]
    _bewaak(_lokaal(2026, 12, 1))
    assert _stappen(engine, vb_casus) == [*LADDER, "vervallen", "overschreden"]


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_met_term_stops_escalating(engine, vb_casus):
    termijn = _termijn(engine, vb_casus)
    _bewaak(termijn.waarschuw_op)
    with Session(engine) as session, session.begin():
        markeer_voldaan(session, casus_op_referentie(session, vb_casus), VB, "medewerker-1",
                        tijdstip=termijn.vervalt_op - dt.timedelta(hours=3))
    _bewaak(_lokaal(2026, 12, 31))
    assert _stappen(engine, vb_casus) == ["waarschuwing"]
    assert _termijn(engine, vb_casus).volgende_actie_op is None


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_acute_melding_escalates_at_once_and_again_when_the_hour_passes(engine, regio):
    ontvangen = _lokaal(2026, 11, 21, 3, 15, 0)  # Saturday night
    [referentie] = _registreer(engine, regio, melding(urgentie="acuut", ontvangen_op=ontvangen))
    _bewaak(ontvangen)  # the watch's first run after registration
    assert _stappen(engine, referentie) == ["acuut_gemeld"]
    _bewaak(ontvangen + dt.timedelta(minutes=30))
    _bewaak(ontvangen + dt.timedelta(minutes=60))
    assert _stappen(engine, referentie) == ["acuut_gemeld", "acuut_herinnering", "acuut_vervallen"]
    assert [n.ontvanger for n in _notificaties(engine)] == [
        "rol:teamleider", "rol:crisisdienst", "rol:crisisdienst", "rol:teamleider", "rol:manager"]
    assert "minder dan een werkdag" in _notificaties(engine)[-1].inhoud


@pytest.mark.prefect
def test_two_watch_runs_at_the_same_time_fire_each_step_exactly_once(engine, regio):
    referenties = _registreer(engine, regio, *[
        melding(straat_huisnummer=f"Fictiestraat {n}", ontvangen_op=_lokaal(2026, 11, 2, 9, n, 0)) for n in range(40)
    ])
    moment = _lokaal(2026, 11, 20)  # each term is three steps behind
    start = threading.Barrier(3)

    def run(_):
        start.wait()
        return _bewaak(moment)

    with ThreadPoolExecutor(max_workers=3) as pool:
        verslagen = list(pool.map(run, range(3)))

    gevuurd = [(e.details["termijn_id"], e.details["stap"]) for e in _escalatie_events(engine)]
    assert len(gevuurd) == len(set(gevuurd)) == sum(v.gevuurd for v in verslagen) == len(referenties) * 3
    assert len(_notificaties(engine)) == sum(len(v.notificaties) for v in verslagen) == len(referenties) * 4


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_run_that_crashes_halfway_leaves_nothing_half_done_and_the_rerun_fires_each_step_once(
        engine, regio, monkeypatch):
    import tasks.termijnbewaking as taken

    referenties = _registreer(engine, regio, *[
        melding(straat_huisnummer=f"Fictiepad {n}", ontvangen_op=_lokaal(2026, 11, 2, 9, n, 0)) for n in range(5)
    ])
    echte_render, gerenderd = taken.render_onderwerp_en_inhoud, []

    def crash_bij_de_derde(*args, **kwargs):
        gerenderd.append(1)
        if len(gerenderd) == 3:
            raise RuntimeError("proces onderbroken")
        return echte_render(*args, **kwargs)

    monkeypatch.setattr(taken, "render_onderwerp_en_inhoud", crash_bij_de_derde)
    with pytest.raises(RuntimeError, match="onderbroken"):
        _bewaak(_lokaal(2026, 11, 20))
    assert _escalaties(engine) == [] and _notificaties(engine) == []
    assert {_termijn(engine, r).escalatie_stap for r in referenties} == {0}

    monkeypatch.setattr(taken, "render_onderwerp_en_inhoud", echte_render)
    _bewaak(_lokaal(2026, 11, 20))
    gevuurd = [(e.details["termijn_id"], e.details["stap"]) for e in _escalatie_events(engine)]
    assert len(gevuurd) == len(set(gevuurd)) == 5 * 3
    assert len(_notificaties(engine)) == 5 * 4


# --- the flow: e-mail, the overview artifact, a mail server outage --------------------------------


def _draai_flow(peildatum: dt.datetime):
    from flows.termijnbewaking import termijnbewaking

    state = termijnbewaking(peildatum=peildatum, return_state=True)
    assert state.is_completed(), state
    return state


def _tekst(bericht) -> str:
    return bericht.get_body(preferencelist=("plain",)).get_content()


def _artefact(flow_run_id) -> list[dict]:
    with get_client(sync_client=True) as client:
        [artefact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
                                           key=ArtifactFilterKey(any_=["termijnen-over-tijd"])),
            flow_run_filter=FlowRunFilter(), task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC, limit=5, offset=0,
        )
    assert "per gemeente" in artefact.description or "Geen open termijnen" in artefact.description
    return json.loads(artefact.data) if isinstance(artefact.data, str) else artefact.data


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_escalation_emails_carry_reference_term_deadline_lateness_and_link_but_no_personal_data(
        engine, regio, vb_casus, smtp_server):
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, vb_casus)
        casus.flow_run_id = "0b6d6a57-1f7e-4c5e-9d3a-2b8f7c1e9a10"
        session.add(casus)
    [venlo] = _registreer(engine, regio, melding(gemeente_code="GM0983", straat_huisnummer="Fictieweg 3",
                                                  ontvangen_op=_lokaal(2026, 11, 20, 9, 0, 0)))  # only warned

    state = _draai_flow(_lokaal(2026, 11, 26, 10, 0, 0))  # Thu: Gennep's term 2 working days late

    berichten = smtp_server.wacht_op_berichten(5)
    assert sorted(b["To"] for b in berichten) == sorted([
        "behandelteam@vt-test.example.org", "teamleider@vt-test.example.org", "manager@vt-test.example.org",
        "regiocoordinator@vt-test.example.org", "behandelteam@vt-test.example.org"])
    [aan_manager] = [b for b in berichten if b["To"] == "manager@vt-test.example.org"]
    inhoud = _tekst(aan_manager)
    assert aan_manager["Subject"] == f"[Veilig Thuis] Termijn overschreden: casus {vb_casus} (veiligheidsbeoordeling)"
    assert "Vervaldatum: ma 23-11-2026 23:59" in inhoud
    assert "Te laat: 2 werkdagen (58 uur na de vervaldatum)" in inhoud
    assert "http://127.0.0.1:4200/v2/runs/flow-run/0b6d6a57-1f7e-4c5e-9d3a-2b8f7c1e9a10" in inhoud
    [aan_venlo] = [b for b in berichten if venlo in b["Subject"]]
    assert "Nog:" in _tekst(aan_venlo) and "/runs/flow-run/" not in _tekst(aan_venlo)
    alles = "\n".join(b["Subject"] + _tekst(b) for b in berichten)
    for geheim in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, "Fictieweg", FICTIEVE_OMSCHRIJVING, "0600000000"]:
        assert geheim not in alles

    [regel] = _artefact(state.state_details.flow_run_id)
    # Dutch headers, a few narrow columns, the term named in words (a casus can have several rows).
    assert regel == {"Gemeente": "Gennep", "Casus": vb_casus, "Termijn": "Veiligheidsbeoordeling binnen 5 werkdagen na ontvangst",
                     "Verliep op": regel["Verliep op"], "Te laat": "2 werkdagen", "Laatste stap": "overschreden"}
    assert not any(geheim in json.dumps(regel) for geheim in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES])

    with Session(engine) as session:
        assert {n.status for n in session.exec(select(Notificatie))} == {Bezorgstatus.verzonden}


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_overview_is_refreshed_each_run_and_leaves_out_met_and_suspended_terms(engine, regio, vb_casus):
    andere = _registreer(engine, regio, *[
        melding(gemeente_code=code, straat_huisnummer=f"Fictielaan {n}", ontvangen_op=_lokaal(2026, 11, 2, 9, 0, 0))
        for n, code in enumerate(["GM0983", "GM0907", "GM0983"])
    ])
    moment = _lokaal(2026, 11, 26, 10, 0, 0)
    regels = _artefact(_draai_flow(moment).state_details.flow_run_id)
    assert [(r["Gemeente"], r["Casus"]) for r in regels] == [
        ("Gennep", andere[1]), ("Gennep", vb_casus), ("Venlo", andere[0]), ("Venlo", andere[2])]

    with Session(engine) as session, session.begin():
        markeer_voldaan(session, casus_op_referentie(session, andere[0]), VB, "medewerker-1", tijdstip=moment)
        casus = casus_op_referentie(session, andere[1])
        [termijn] = session.exec(select(Termijn).where(Termijn.casus_id == casus.id)).all()
        schort_op(session, casus, termijn, "medewerker-1", "wacht op informatie", tijdstip=moment)
    regels = _artefact(_draai_flow(moment).state_details.flow_run_id)
    assert [r["Casus"] for r in regels] == [vb_casus, andere[2]]


@pytest.mark.prefect
def test_a_mail_server_that_is_down_at_first_delivers_every_escalation_once_when_back(engine, vb_casus, smtp_server):
    from flows.bezorging import berichten_bezorgen

    smtp_server.stop()
    _draai_flow(_lokaal(2026, 11, 26))
    _draai_flow(_lokaal(2026, 11, 26, 23, 59, 59))  # the next watch run fires nothing again
    notificaties = _notificaties(engine)
    assert len(notificaties) == 4
    assert {(n.status, n.pogingen) for n in notificaties} == {(Bezorgstatus.wachtend, 1)}

    smtp_server.start()
    time.sleep(1.1)  # the retry wait of the test settings
    assert berichten_bezorgen().verzonden == 4
    assert berichten_bezorgen().verzonden == 0
    berichten = smtp_server.wacht_op_berichten(4)
    time.sleep(0.3)
    assert len(smtp_server.berichten) == 4
    assert sorted(b["To"].split("@")[0] for b in berichten) == [
        "behandelteam", "manager", "regiocoordinator", "teamleider"]


# --- the queries use their indexes ----------------------------------------------------------------


def _plan(engine, functie, *args) -> str:
    """The query plan of the SELECT a query function sends, with its real parameters."""
    postgres = engine.dialect.name == "postgresql"
    plannen = []

    def leg_uit(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
            plannen.extend(str(rij[0] if postgres else rij[-1]) for rij in cursor.fetchall())

    event.listen(engine, "before_cursor_execute", leg_uit)
    try:
        with Session(engine) as session, session.begin():
            if postgres:  # tiny test tables: ask whether the planner CAN use the index
                session.execute(text("SET LOCAL enable_seqscan = off"))
            functie(session, *args)
    finally:
        event.remove(engine, "before_cursor_execute", leg_uit)
    return "\n".join(plannen)


def test_the_watch_and_the_overview_read_only_open_terms_through_their_partial_indexes(engine):
    moment = dt.datetime(2026, 11, 23, tzinfo=UTC)
    assert "ix_termijn_open_volgende_actie" in _plan(engine, te_bewaken, moment, 200)
    assert "ix_termijn_open_vervalt_op" in _plan(engine, over_tijd, moment)


# --- the command line -----------------------------------------------------------------------------


runner = CliRunner()


def vt(*args: str):
    from cli import app

    return runner.invoke(app, list(args))


@pytest.fixture
def oude_casus(engine, regio) -> str:
    """A casus whose safety assessment is long overdue by the real clock the CLI uses."""
    from models.opslag.typen import nu

    ontvangen = (nu() - dt.timedelta(days=40)).astimezone(AMS).replace(hour=10, minute=0, second=0, microsecond=0)
    [referentie] = _registreer(engine, regio, melding(ontvangen_op=ontvangen, gemeente_code="GM0983"))
    return referentie


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_staff_suspend_resume_and_extend_a_term_with_a_reason_from_the_command_line(engine, regio, oude_casus):
    opgeschort = vt("termijn", "opschorten", oude_casus, "--soort", "veiligheidsbeoordeling",
                    "--reden", "wacht op informatie van de school", "--door", "medewerker-1", "--json")
    assert opgeschort.exit_code == 0, opgeschort.output
    assert json.loads(opgeschort.output)["opgeschort_op"]
    assert json.loads(vt("termijn", "over-tijd", "--json").output)["aantal"] == 0

    hervatten = vt("termijn", "hervatten", oude_casus, "--soort", "veiligheidsbeoordeling", "--door", "medewerker-1")
    assert hervatten.exit_code == 0 and "hervat" in hervatten.output
    overzicht = json.loads(vt("termijn", "over-tijd", "--gemeente", "GM0983", "--json").output)
    assert [r["casus"] for r in overzicht["termijnen"]] == [oude_casus]

    oud = _termijn(engine, oude_casus).vervalt_op
    verlengd = vt("termijn", "verlengen", oude_casus, "--soort", "veiligheidsbeoordeling", "--werkdagen", "60",
                  "--reden", "onderzoek door de politie loopt", "--door", "teamleider-1", "--json")
    assert verlengd.exit_code == 0, verlengd.output
    nieuw = _termijn(engine, oude_casus)
    assert nieuw.vervalt_op == na_werkdagen(oud, 60, werkkalender(regio))
    assert nieuw.verleng_reden == "onderzoek door de politie loopt"
    assert "Geen open termijnen over tijd" in vt("termijn", "over-tijd").output
    with Session(engine) as session:
        acties = [e.actie for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert acties[-3:] == ["termijn_opgeschort", "termijn_hervat", "termijn_verlengd"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("argumenten, fout", [
    (["opschorten", "VT-2026-999999", "--soort", "veiligheidsbeoordeling", "--reden", "x", "--door", "a"],
     "bestaat niet"),
    (["opschorten", "{casus}", "--soort", "vb", "--reden", "x", "--door", "a"], "--soort moet een van deze zijn"),
    (["opschorten", "{casus}", "--soort", "veiligheidsbeoordeling", "--reden", " ", "--door", "a"], "geef een reden op"),
    (["hervatten", "{casus}", "--soort", "veiligheidsbeoordeling", "--door", "a"], "is niet opgeschort"),
    (["verlengen", "{casus}", "--soort", "veiligheidsbeoordeling", "--reden", "x", "--door", "a"],
     "precies één van --tot en --werkdagen"),
    (["verlengen", "{casus}", "--soort", "veiligheidsbeoordeling", "--reden", "x", "--door", "a", "--tot", "2020-01-01"],
     "later vallen dan de huidige vervaldatum"),
    (["verlengen", "{casus}", "--soort", "onderzoek", "--reden", "x", "--door", "a", "--werkdagen", "2"],
     "geen open termijn onderzoek"),
    (["over-tijd", "--gemeente", "GM9999"], "Onbekende gemeente GM9999"),
], ids=["onbekende-casus", "onbekende-soort", "lege-reden", "niet-opgeschort", "geen-nieuwe-datum",
        "niet-later", "geen-open-termijn", "onbekende-gemeente"])
def test_bad_term_commands_get_a_dutch_error_and_exit_code_1(oude_casus, argumenten, fout):
    resultaat = vt("termijn", *[a.replace("{casus}", oude_casus) for a in argumenten])
    assert resultaat.exit_code == 1
    assert fout in resultaat.output
    assert "Traceback" not in resultaat.output


# --- a peildatum in the future is a dry run (issue 11, item 8) ------------------------------------


def _alle_rijen(engine) -> dict[str, list[tuple]]:
    """Every row of every table of the case store, to compare before and after."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        return {tabel: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{tabel}" ORDER BY 1'))]
                for tabel in inspect(conn).get_table_names()}


def _proefdraai_artefact(flow_run_id) -> str:
    with get_client(sync_client=True) as client:
        [artefact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
                                           key=ArtifactFilterKey(any_=["termijnbewaking-proefdraai"])),
            flow_run_filter=FlowRunFilter(), task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC, limit=5, offset=0,
        )
    return artefact.data


@pytest.mark.prefect
def test_a_peildatum_40_days_ahead_sends_and_records_nothing_and_shows_what_would_go_out(
        engine, regio, smtp_server):
    from models.opslag.typen import nu

    [referentie] = _registreer(engine, regio, melding(ontvangen_op=nu() - dt.timedelta(minutes=1)))
    peildatum = nu() + dt.timedelta(days=40)
    voor = _alle_rijen(engine)

    state = _draai_flow(peildatum)

    assert smtp_server.berichten == []
    assert _alle_rijen(engine) == voor  # no step used up, no outbox row, no audit event
    verslag = state.result()
    assert verslag.proefdraai and verslag.notificaties == []
    assert [(s.casus_referentie, s.stap, s.rollen) for s in verslag.voorgenomen] == [
        (referentie, "waarschuwing", ("behandelteam",)), (referentie, "vervallen", ("teamleider",)),
        (referentie, "overschreden", ("manager", "regiocoordinator"))]
    assert verslag.voorgenomen[-1].onderwerp == (
        f"[Veilig Thuis] Termijn overschreden: casus {referentie} (veiligheidsbeoordeling)")
    artefact = _proefdraai_artefact(state.state_details.flow_run_id)
    assert "niets verstuurd en niets" in artefact and "vastgelegd" in artefact
    assert f"| {referentie} | veiligheidsbeoordeling | overschreden | manager, regiocoordinator |" in artefact

    cli = vt("termijn", "proefdraai", "--peildatum", peildatum.astimezone(AMS).date().isoformat())
    assert cli.exit_code == 0, cli.output
    assert "er is niets verstuurd of vastgelegd" in cli.output
    assert f"Termijn overschreden: casus {referentie}" in cli.output
    assert _alle_rijen(engine) == voor and smtp_server.berichten == []

    # Nothing was used up: when the warning is really due, the watch still sends it.
    _bewaak(_termijn(engine, referentie).waarschuw_op)
    assert _stappen(engine, referentie) == ["waarschuwing"]


# --- a settings file broken while the system runs (issue 11, item 7) ------------------------------


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_settings_file_broken_while_running_keeps_the_watch_going_and_tells_beheer_once_per_version(
        engine, vb_casus, smtp_server, tmp_path, monkeypatch):
    from models.regels import instellingen as instellingen_module
    from models.regels.instellingen import Omgeving, instellingen

    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    assert instellingen().regio.code == "VT-DEMO"  # the running system read the valid file
    pad = Omgeving().instellingen_pad
    geldig = pad.read_text(encoding="utf-8")
    pad.write_bytes(geldig.replace("Demo-regio (fictief)", "Demo-regio (één)").encode("latin-1"))

    def aan_beheer():
        return [b for b in smtp_server.berichten if b["To"] == "beheer@vt-test.example.org"]

    _draai_flow(_lokaal(2026, 11, 26, 10, 0, 0))
    assert _stappen(engine, vb_casus) == LADDER  # escalated with the last valid settings
    smtp_server.wacht_op_berichten(5)
    [bericht] = aan_beheer()
    assert bericht["Subject"] == ("[Veilig Thuis] Instellingenbestand ongeldig: het systeem werkt met de "
                                  "vorige versie")
    assert f"Instellingenbestand {pad} is geen UTF-8-tekst" in _tekst(bericht)

    instellingen_module._cache.clear()  # a new process (each served flow run is one) ...
    _draai_flow(_lokaal(2026, 11, 26, 11, 0, 0))  # ... finds the last valid version on disk
    assert len(aan_beheer()) == 1  # the same broken version: not told again

    pad.write_text("regio: [\n", encoding="utf-8")  # another broken version
    _draai_flow(_lokaal(2026, 11, 26, 12, 0, 0))
    assert len(aan_beheer()) == 2 and "geen geldige YAML" in _tekst(aan_beheer()[-1])

    uitvoer = vt("instellingen")  # a command that checks the file shows the error itself
    assert uitvoer.exit_code == 1 and "geen geldige YAML" in uitvoer.output and "Traceback" not in uitvoer.output

    pad.write_text(geldig.replace("Demo-regio (fictief)", "Demo-regio (hersteld)"), encoding="utf-8")
    assert instellingen().regio.naam == "Veilig Thuis Demo-regio (hersteld)"  # a valid file is used at once
    assert vt("instellingen").exit_code == 0

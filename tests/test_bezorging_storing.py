"""A long mail outage (issue 11, item 4): a crisis alert is never given up, staff hear of an
undeliverable message over a second channel that does not need the dead mail server, a live
address gets a message once, staff can queue any message again, and runs and the case overview
show the outage instead of a green run."""

from __future__ import annotations

import time

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from models.opslag.casus import AuditEvent, Casus
from models.opslag.communicatie import Bezorgstatus, Notificatie
from models.opslag.db import sessie
from models.dossier.wijzigingen import casus_op_referentie
from models.regels.instellingen import instellingen
from models.regels.ontvangers import rol
from models.dossier.registratie import registreer_meldingen
from models.opslag.regio import synchroniseer
from models.opslag.typen import nu
from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tests.conftest import SmtpServer, vrije_poort
from tests.helpers import gebruik_database, melding, regio_voor_test

pytestmark = pytest.mark.prefect

WACHTEN = 1.1  # just over the test's one-second backoff
CRISISDIENST = "crisisdienst@vt-test.example.org"


@pytest.fixture
def tweede_kanaal():
    """The second channel: another mail relay (aiosmtpd) on another free port."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def instellen(tmp_path, monkeypatch, database_url, smtp_server, tweede_kanaal=None, max_pogingen=2, **extra):
    gebruik_database(monkeypatch, database_url)
    bezorging = {"max_pogingen": max_pogingen, "eerste_wachttijd_seconden": 1, "maximale_wachttijd_seconden": 1}
    if tweede_kanaal is not None:
        bezorging["tweede_kanaal"] = [tweede_kanaal.apprise_url("teamleider-sms@vt-test.example.org")]
    regio = regio_voor_test(tmp_path, monkeypatch, smtp_server, bezorging=bezorging, **extra)
    with sessie() as session:
        synchroniseer(session, regio)
    return regio


def casus() -> tuple[int, str]:
    with sessie() as session:
        [geregistreerd] = registreer_meldingen(session, [melding(urgentie="acuut")], instellingen(), "test")
        return casus_op_referentie(session, geregistreerd.casus_referentie).id, geregistreerd.casus_referentie


def crisisbericht(casus_id: int, referentie: str) -> int:
    return plaats_notificatie(
        sleutel=f"crisisdienst:{referentie}", soort="acuut", ontvanger=rol("crisisdienst"),
        template="notificaties/crisisdienst_acuut.txt.j2", casus_id=casus_id,
        context=dict(melding_referentie=f"{referentie}-M1", casus_referentie=referentie, hermelding=False,
                     gemeente_naam="Gennep", gemeente_code="GM0907", ontvangen_op=nu(), vervalt_op=nu(),
                     link="http://127.0.0.1:4200/runs"),
    )


def bericht(soort="proef", ontvanger=rol("teamleider"), sleutel="proef:1") -> int:
    return plaats_notificatie(
        sleutel=sleutel, soort=soort, ontvanger=ontvanger, template="notificaties/buiten_beeld.txt.j2",
        context=dict(casus_referentie="VT-2026-000001", gemeente_naam="Gennep", reden="niet bereikbaar",
                     link="http://127.0.0.1:4200/runs"),
    )


def rij(engine, notificatie_id: int) -> Notificatie:
    with Session(engine) as session:
        return session.get(Notificatie, notificatie_id)


def aan(server: SmtpServer, adres: str) -> list:
    return [b for b in server.berichten if b["To"] == adres]


def tekst(bericht) -> str:
    return bericht.get_body(preferencelist=("plain",)).get_content()


def bezorg_rondes(aantal: int) -> None:
    for _ in range(aantal):
        bezorg_notificaties()
        time.sleep(WACHTEN)


def test_a_crisis_alert_outlives_an_outage_longer_than_the_retry_window_and_arrives_once(
    engine, database_url, smtp_server, tweede_kanaal, tmp_path, monkeypatch
):
    instellen(tmp_path, monkeypatch, database_url, smtp_server, tweede_kanaal, max_pogingen=2)
    casus_id, referentie = casus()
    smtp_server.stop()
    alarm = crisisbericht(casus_id, referentie)

    bezorg_rondes(5)  # well past max_pogingen

    wachtend = rij(engine, alarm)
    assert (wachtend.status, wachtend.pogingen) == (Bezorgstatus.wachtend, 5), "a crisis alert is never given up"
    [sms] = tweede_kanaal.wacht_op_berichten(1)
    assert referentie in sms["Subject"] and "nog steeds niet bezorgd" in sms["Subject"]
    assert "blijft het proberen" in tekst(sms)

    smtp_server.start()
    bezorg_rondes(3)
    assert len(aan(smtp_server, CRISISDIENST)) == 1
    assert rij(engine, alarm).status == Bezorgstatus.verzonden
    assert len(tweede_kanaal.berichten) == 1, "the second channel was told once"


def test_a_live_address_of_a_role_with_a_dead_one_gets_the_message_once(
    engine, database_url, smtp_server, tmp_path, monkeypatch
):
    dood = smtp_server.apprise_url("teamleider-oud@vt-test.example.org").replace(
        f":{smtp_server.port}?", f":{vrije_poort()}?")
    levend = smtp_server.apprise_url("teamleider@vt-test.example.org")
    regio = instellen(tmp_path, monkeypatch, database_url, smtp_server, max_pogingen=3)
    rollen = {naam: urls for naam, urls in regio.escalatie.rollen.items()}
    rollen["teamleider"] = [dood, levend]
    instellen(tmp_path, monkeypatch, database_url, smtp_server, max_pogingen=3,
              escalatie={"rollen": rollen})
    notificatie_id = bericht()

    bezorg_rondes(7)  # the message's three attempts, then its escalation's three

    onderwerpen = [b["Subject"] for b in aan(smtp_server, "teamleider@vt-test.example.org")]
    assert len([o for o in onderwerpen if "niet worden bezorgd" not in o]) == 1, onderwerpen
    assert len([o for o in onderwerpen if "niet worden bezorgd" in o]) == 1, onderwerpen
    assert rij(engine, notificatie_id).status == Bezorgstatus.mislukt
    assert len(rij(engine, notificatie_id).bezorgd_aan) == 1


def test_staff_queue_a_failed_message_again_from_the_prefect_ui_or_the_command_line(
    engine, database_url, smtp_server, tweede_kanaal, tmp_path, monkeypatch
):
    from flows.bezorging import bericht_opnieuw_versturen

    instellen(tmp_path, monkeypatch, database_url, smtp_server, tweede_kanaal, max_pogingen=1)
    smtp_server.stop()
    eerste, tweede = bericht(sleutel="proef:1"), bericht(sleutel="proef:2")
    bezorg_notificaties()
    assert rij(engine, eerste).status == rij(engine, tweede).status == Bezorgstatus.mislukt
    uitleg = [tekst(b) for b in tweede_kanaal.wacht_op_berichten(2)]
    assert any('"bericht opnieuw versturen"' in t and f"Berichtnummer {eerste}" in t for t in uitleg)
    assert not any("vt " in t for t in uitleg), "staff are sent to the Prefect UI, not a shell"

    smtp_server.start()
    staat = bericht_opnieuw_versturen(berichtnummer=eerste, door="Anna (teamleider)", return_state=True)
    assert staat.is_completed()
    assert rij(engine, eerste).status == Bezorgstatus.verzonden
    assert len(aan(smtp_server, "teamleider@vt-test.example.org")) == 1

    nog_eens = bericht_opnieuw_versturen(berichtnummer=eerste, door="Anna (teamleider)", return_state=True)
    assert nog_eens.is_failed() and nog_eens.message == f"Bericht {eerste} is al verzonden."

    uit = CliRunner().invoke(app, ["bericht", "opnieuw", str(tweede)])
    assert uit.exit_code == 0 and f"Bericht {tweede} staat weer klaar" in uit.output
    assert (rij(engine, tweede).status, rij(engine, tweede).pogingen) == (Bezorgstatus.wachtend, 0)
    fout = CliRunner().invoke(app, ["bericht", "opnieuw", "999999"])
    assert fout.exit_code == 1 and "Bericht 999999 bestaat niet." in fout.output


async def _casusoverzicht(referentie: str) -> str:
    async with get_client() as client:
        [artefact] = await client.read_latest_artifacts(artifact_filter=ArtifactCollectionFilter(
            key=ArtifactCollectionFilterKey(any_=[f"casus-{referentie.lower()}"])))
        return artefact.data


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_during_an_outage_the_delivery_run_is_not_completed_and_the_case_overview_shows_the_alert(
    engine, database_url, smtp_server, tweede_kanaal, tmp_path, monkeypatch
):
    import asyncio

    from flows.bezorging import berichten_bezorgen

    instellen(tmp_path, monkeypatch, database_url, smtp_server, tweede_kanaal, max_pogingen=5)
    casus_id, referentie = casus()
    smtp_server.stop()
    alarm = crisisbericht(casus_id, referentie)

    staat = berichten_bezorgen(return_state=True)
    assert staat.is_failed() and staat.name == "Niet bezorgd"
    assert staat.message.startswith("1 bericht nog niet bezorgd; volgende poging om ")
    overzicht = asyncio.run(_casusoverzicht(referentie))
    assert "Nog niet bezorgd" in overzicht and f"Bericht {alarm}" in overzicht and "acuut" in overzicht

    smtp_server.start()
    time.sleep(WACHTEN)
    assert berichten_bezorgen(return_state=True).is_completed()
    assert "Nog niet bezorgd" not in asyncio.run(_casusoverzicht(referentie))
    with Session(engine) as session:
        assert session.exec(select(Notificatie).where(Notificatie.id == alarm)).one().status == "verzonden"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_undeliverable_letter_is_told_over_the_second_channel_at_once_and_queued_again_from_the_ui(
    engine, database_url, smtp_server, tweede_kanaal, tmp_path, monkeypatch
):
    from flows.brieven import brief_opnieuw_versturen
    from models.opslag.communicatie import Brief
    from tasks.brieven import bezorg_brieven
    from tests.test_brieven import GEZIN_EMAIL, maak, melding_met, registreer

    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    instellen(tmp_path, monkeypatch, database_url, smtp_server, tweede_kanaal, max_pogingen=1)
    [referentie] = registreer(melding_met(gezin_email=GEZIN_EMAIL))
    [brief_id] = maak(referentie, "wachtlijst", "wachtlijst-20261001-1", {"wacht_sinds": "2026-10-01"})
    smtp_server.stop()

    assert bezorg_brieven().opgegeven == 1
    [sms] = tweede_kanaal.wacht_op_berichten(1)  # in the same run, not behind the dead server
    assert referentie in sms["Subject"] and f"Briefnummer {brief_id}" in tekst(sms)
    assert GEZIN_EMAIL not in tekst(sms)

    smtp_server.start()
    assert brief_opnieuw_versturen(briefnummer=brief_id, door="Anna (teamleider)", return_state=True).is_completed()
    with Session(engine) as session:
        assert session.get(Brief, brief_id).status == Bezorgstatus.verzonden
        [wie] = session.exec(select(AuditEvent).where(AuditEvent.actie == "opnieuw_klaargezet")).all()
        assert (wie.actor, wie.details["nummer"]) == ("Anna (teamleider)", brief_id)
    assert len(aan(smtp_server, GEZIN_EMAIL)) == 1
    assert len(tweede_kanaal.berichten) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_acute_intake_during_a_mail_outage_ends_not_delivered_and_shows_the_waiting_alert(
    engine, database_url, smtp_server, tweede_kanaal, tmp_path, monkeypatch
):
    """As staff see it in the UI: the intake run is not green while its crisis alert waits."""
    import asyncio

    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    from tests.served import hervat, serveer, wacht_op_run
    from tests.test_levensloop_flows import formulier

    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    instellen(tmp_path, monkeypatch, database_url, smtp_server, tweede_kanaal, max_pogingen=5)
    smtp_server.stop()
    api_url = PREFECT_API_URL.value()
    with serveer(api_url, database_url, tmp_path) as served:
        run_id = run_deployment("melding-registreren/melding registreren", timeout=0).id
        wacht_op_run(api_url, run_id, "PAUSED", served=served)
        hervat(api_url, run_id, formulier(1, "GM0907", urgentie="acuut"))
        run = wacht_op_run(api_url, run_id, "FAILED", served=served)

    assert run.state.name == "Niet bezorgd"
    assert "nog niet bezorgd; volgende poging om" in run.state.message
    with Session(engine) as session:
        alarm = session.exec(select(Notificatie).where(Notificatie.soort == "acuut")).one()
        referentie = session.get(Casus, alarm.casus_id).referentie
    assert (alarm.status, alarm.pogingen) == (Bezorgstatus.wachtend, 1)
    overzicht = asyncio.run(_casusoverzicht(referentie))
    assert "Nog niet bezorgd" in overzicht and f"Bericht {alarm.id}" in overzicht

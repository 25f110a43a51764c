"""Delivery of notifications: each message arrives once, a failed delivery is retried until the
mail server is back, and a message that cannot be delivered is escalated, never dropped."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from models.opslag.communicatie import Bezorgstatus, Notificatie
from models.regels.ontvangers import adres, rol
from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tests.helpers import gebruik_database, regio_voor_test

pytestmark = pytest.mark.prefect


@pytest.fixture
def regio(engine, database_url, smtp_server, tmp_path, monkeypatch):
    gebruik_database(monkeypatch, database_url)
    return regio_voor_test(
        tmp_path, monkeypatch, smtp_server,
        bezorging={"max_pogingen": 3, "eerste_wachttijd_seconden": 1, "maximale_wachttijd_seconden": 1},
    )


def _plaats(sleutel="test:1", ontvanger=rol("teamleider")):
    return plaats_notificatie(
        sleutel=sleutel, soort="test", ontvanger=ontvanger, template="notificaties/onbestelbaar.txt.j2",
        context=dict(pogingen=1, soort="proef", ontvanger="x", casus_referentie="VT-2026-000001",
                     fout="geen", notificatie_id=0, blijft_proberen=False, deployment="bericht opnieuw versturen",
                     link="http://127.0.0.1:4200/deployments"),
    )


def _status(engine, notificatie_id):
    with Session(engine) as session:
        return session.get(Notificatie, notificatie_id)


def test_a_queued_message_arrives_once_even_when_delivery_runs_again(regio, smtp_server, engine):
    notificatie_id = _plaats()
    assert bezorg_notificaties().verzonden == 1
    assert bezorg_notificaties().verzonden == 0

    [bericht] = smtp_server.wacht_op_berichten(1)
    assert bericht["To"] == "teamleider@vt-test.example.org"
    assert "VT-2026-000001" in bericht["Subject"]
    assert _status(engine, notificatie_id).status == Bezorgstatus.verzonden


def test_a_text_message_arrives_as_plain_text_that_wraps_not_as_html_full_of_nbsp(regio, smtp_server):
    _plaats("tekst")
    bezorg_notificaties()
    [bericht] = smtp_server.wacht_op_berichten(1)
    assert [deel.get_content_type() for deel in bericht.walk()] == ["text/plain"]
    tekst = bericht.get_content()
    assert "&nbsp;" not in tekst and "Berichtnummer 0 en uw naam" in tekst
    assert "http://127.0.0.1:4200/deployments" in tekst


def test_queueing_the_same_message_twice_sends_it_once(regio, smtp_server):
    assert _plaats("dubbel") == _plaats("dubbel")
    bezorg_notificaties()
    time.sleep(0.5)
    assert len(smtp_server.berichten) == 1


def test_an_organisation_address_from_the_settings_receives_mail(regio, smtp_server):
    _plaats("adres", ontvanger=adres("sociaaldomein@gennep.example.org"))
    bezorg_notificaties()
    [bericht] = smtp_server.wacht_op_berichten(1)
    assert bericht["To"] == "sociaaldomein@gennep.example.org"


def test_a_mail_server_outage_delays_delivery_but_loses_nothing(regio, smtp_server, engine):
    smtp_server.stop()
    notificatie_id = _plaats()
    resultaat = bezorg_notificaties()
    assert (resultaat.verzonden, resultaat.mislukte_pogingen) == (0, 1)
    wachtend = _status(engine, notificatie_id)
    assert wachtend.status == Bezorgstatus.wachtend and wachtend.pogingen == 1 and wachtend.laatste_fout

    smtp_server.start()
    assert bezorg_notificaties().verzonden == 0  # not due yet: backoff
    time.sleep(1.1)
    assert bezorg_notificaties().verzonden == 1
    assert bezorg_notificaties().verzonden == 0
    assert len(smtp_server.wacht_op_berichten(1)) == 1
    assert _status(engine, notificatie_id).status == Bezorgstatus.verzonden


def test_an_undeliverable_message_is_kept_and_escalated_to_staff(regio, smtp_server, engine):
    smtp_server.stop()
    notificatie_id = _plaats()
    for _ in range(3):
        bezorg_notificaties()
        time.sleep(1.1)
    mislukt = _status(engine, notificatie_id)
    assert mislukt.status == Bezorgstatus.mislukt and mislukt.pogingen == 3

    smtp_server.start()
    bezorg_notificaties()
    [melding] = smtp_server.wacht_op_berichten(1)
    assert melding["To"] == "teamleider@vt-test.example.org"
    assert "niet worden bezorgd" in melding["Subject"]
    with Session(engine) as session:
        assert session.exec(select(Notificatie).where(Notificatie.soort == "onbestelbaar")).one().status == "verzonden"


def test_two_delivery_runs_at_the_same_time_send_each_message_once(regio, smtp_server):
    for n in range(10):
        _plaats(f"gelijktijdig:{n}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        resultaten = list(pool.map(lambda _: bezorg_notificaties(), range(2)))
    assert sum(r.verzonden for r in resultaten) == 10
    time.sleep(0.5)
    assert len(smtp_server.wacht_op_berichten(10)) == 10

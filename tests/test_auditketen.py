"""The audit chain (issue 17 item 1): whoever goes around the append-only triggers, as an
administrator could, and changes, deletes or inserts audit rows in SQL is caught and named, by
the chain itself or by the daily anchor; every writer (one event, the import, the deadline
watch) chains; an upgraded store verifies; a break alerts beheer once."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.dossier.registratie import registreer_meldingen
from models.dossier.wijzigingen import audit, casus_op_referentie
from models.lezen.auditketen import controleer, koppen, laatste_ankers
from models.opslag.casus import AuditEvent
from models.regels.auditketen import Soort, bereken_hash
from tests.helpers import AMS, melding, regio_in_opslag


def _casussen(engine, regio, aantal: int, events_per_casus: int) -> list[str]:
    """`aantal` casussen (the import's bulk path), each with more events one by one (the ORM path)."""
    invoer = [melding(straat_huisnummer=f"Fictiestraat {i}", postcode="9999 AB") for i in range(aantal)]
    with Session(engine) as session, session.begin():
        referenties = [g.casus_referentie for g in registreer_meldingen(session, invoer, regio, actor="test")]
        for referentie in referenties:
            casus = casus_op_referentie(session, referentie)
            for i in range(events_per_casus - 1):
                audit(session, casus, "medewerker-test", "notitie", details={"nummer": i})
    return referenties


def _controle(engine, ankers=(), casus=None):
    with Session(engine) as session:
        return controleer(session, list(ankers), casus)


def _benoemd(controle) -> set[tuple]:
    return {(b.casus, b.soort, b.event_id, b.volgnummer) for b in controle.breuken}


def _als_beheerder(engine, *statements: str) -> None:
    """Drop the append-only triggers and the chain's unique index, then run the statements: what
    someone with the database's owner account (or the SQLite file) can do."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as verbinding:
        if sqlite:
            verbinding.execute(text("DROP TRIGGER auditevent_geen_wijziging"))
            verbinding.execute(text("DROP TRIGGER auditevent_geen_verwijdering"))
        else:
            verbinding.execute(text("DROP TRIGGER auditevent_alleen_toevoegen ON auditevent"))
        verbinding.execute(text("DROP INDEX uq_auditevent_keten"))
        for statement in statements:
            verbinding.execute(text(statement))


def _event(engine, referentie: str, volgnummer: int) -> AuditEvent:
    with Session(engine) as session:
        casus = casus_op_referentie(session, referentie)
        return session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id,
                                                     AuditEvent.volgnummer == volgnummer)).one()


def test_every_writer_chains_its_events_and_an_untouched_trail_is_in_order(engine, regio):
    referenties = _casussen(engine, regio, 3, 4)
    controle = _controle(engine)
    assert controle.in_orde and controle.ketens == 3 and controle.gebeurtenissen == 12
    eerste = _event(engine, referenties[0], 1)
    assert eerste.actie == "melding_geregistreerd" and eerste.vorige_hash == "0" * 64
    assert _event(engine, referenties[0], 2).vorige_hash == eerste.hash


def test_a_changed_a_deleted_and_an_inserted_event_are_each_caught_and_named(engine, regio):
    gewijzigd, verwijderd, ingevoegd, heel = _casussen(engine, regio, 4, 5)
    doelwit, weg, voorbeeld = _event(engine, gewijzigd, 3), _event(engine, verwijderd, 2), _event(engine, ingevoegd, 3)
    _als_beheerder(
        engine,
        f"UPDATE auditevent SET reden = 'achteraf anders' WHERE id = {doelwit.id}",
        f"DELETE FROM auditevent WHERE id = {weg.id}",
        # a copy of event 3 that says something else, slipped in at its place in the chain
        "INSERT INTO auditevent (casus_id, tijdstip, actor, actie, details, volgnummer, vorige_hash, hash) "
        f"SELECT casus_id, tijdstip, 'iemand', 'besluit', '{{}}', volgnummer, vorige_hash, hash FROM auditevent "
        f"WHERE id = {voorbeeld.id}",
    )
    with Session(engine) as session:
        nieuw_id = session.exec(select(AuditEvent.id).where(AuditEvent.actor == "iemand")).one()
    controle = _controle(engine)
    assert _benoemd(controle) == {
        (gewijzigd, Soort.gewijzigd, doelwit.id, 3),
        (verwijderd, Soort.verwijderd, _event(engine, verwijderd, 3).id, 2),
        (ingevoegd, Soort.ingevoegd, nieuw_id, 3),
    }
    assert _controle(engine, casus=heel).in_orde
    assert [b.toelichting for b in _controle(engine, casus=verwijderd).breuken] == [
        f"nummer 2 ontbreekt (voor gebeurtenis {_event(engine, verwijderd, 3).id})"]


def test_an_event_changed_and_hashed_again_is_named_by_the_link_after_it():
    """Its own hash adds up again, but the next event still points at the old one."""
    from models.regels.auditketen import BEGIN, Schakel, controleer_keten, schakels

    rijen = schakels([dict(casus_id=7, tijdstip=dt.datetime(2026, 12, 1, 9, i, tzinfo=AMS), actor="a", actie="notitie",
                           details={"i": i}) for i in range(3)], {})
    rijen[1] = {**rijen[1], "actor": "b"}
    rijen[1]["hash"] = bereken_hash(rijen[1], 2, rijen[1]["vorige_hash"])
    keten = [Schakel(10 + i, r["volgnummer"], r["vorige_hash"], r["hash"], r) for i, r in enumerate(rijen)]
    assert rijen[0]["vorige_hash"] == BEGIN
    assert [(b.soort, b.event_id, b.volgnummer) for b in controleer_keten("VT-2026-000007", keten)] == [
        (Soort.gewijzigd, 11, 2)]


def test_the_anchor_names_a_chain_cut_back_or_rewritten_after_it(engine, regio):
    """What the chain alone cannot see: its last event deleted, or events rewritten with their
    hashes recomputed (by someone who knows how). The anchor of that day still knows the heads."""
    from tasks.auditketen import archief, schrijf_anker

    ingekort, herschreven, heel = _casussen(engine, regio, 3, 3)
    a = schrijf_anker(dt.datetime(2026, 12, 1, 0, 30, tzinfo=AMS))
    assert (a.datum, a.ketens, a.gebeurtenissen, a.nieuw) == ("2026-12-01", 3, 9, True)
    assert schrijf_anker(dt.datetime(2026, 12, 1, 9, 0, tzinfo=AMS)).digest == a.digest  # once per day
    laatste = _event(engine, herschreven, 3)
    nieuwe_hash = bereken_hash({**laatste.model_dump(), "reden": "herschreven"}, 3, laatste.vorige_hash)
    _als_beheerder(
        engine,
        f"DELETE FROM auditevent WHERE id = {_event(engine, ingekort, 3).id}",
        f"UPDATE auditevent SET reden = 'herschreven', hash = '{nieuwe_hash}' WHERE id = {laatste.id}",
    )
    assert _controle(engine).in_orde  # each chain on its own still adds up
    controle = _controle(engine, laatste_ankers(archief(), 7))
    assert _benoemd(controle) == {(ingekort, Soort.anker, None, 3), (herschreven, Soort.anker, None, 3)}
    assert sorted(b.toelichting for b in controle.breuken) == [
        "nummer 3 stond in het anker van 2026-12-01 en is weg",
        "nummer 3 wijkt af van het anker van 2026-12-01",
    ]


def test_an_anchor_holds_references_and_hashes_only(engine, regio):
    from tasks.auditketen import schrijf_anker

    [referentie] = _casussen(engine, regio, 1, 2)
    inhoud = json.loads(open(schrijf_anker().pad).read())
    assert set(inhoud) == {"datum", "moment", "ketens", "gebeurtenissen", "digest", "koppen"}
    assert inhoud["koppen"] == [[referentie, 2, _event(engine, referentie, 2).hash]]


def test_the_chain_survives_an_import_and_a_watch_run(engine, regio):
    """Several meldingen of one household in one import chain in order on one casus; the watch's
    bulk escalations chain onto them."""
    from tasks.termijnbewaking import bewaak

    invoer = [melding(straat_huisnummer=f"Fictiestraat {i % 150}",
                      ontvangen_op=dt.datetime(2026, 11, 16, 10, 0, tzinfo=AMS) + dt.timedelta(minutes=i))
              for i in range(400)]
    with Session(engine) as session, session.begin():
        registreer_meldingen(session, invoer, regio, actor="import-test")
    verslag = bewaak(dt.datetime(2026, 12, 10, 12, 0, tzinfo=AMS), regio)
    assert verslag.gevuurd >= 150
    controle = _controle(engine)
    assert controle.in_orde and controle.ketens == 150
    with Session(engine) as session:
        assert controle.gebeurtenissen == len(session.exec(select(AuditEvent.id)).all()) == 400 + verslag.gevuurd
        assert sum(k.volgnummer for k in koppen(session)) == controle.gebeurtenissen


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_writers_of_one_casus_never_chain_onto_the_same_event(engine, regio):
    [referentie] = _casussen(engine, regio, 1, 1)

    def schrijf(i: int) -> None:
        for j in range(5):
            with Session(engine) as session, session.begin():
                audit(session, casus_op_referentie(session, referentie), f"schrijver-{i}", "notitie", details={"j": j})
            with Session(engine) as session, session.begin():
                audit(session, None, f"schrijver-{i}", "zonder_casus", details={"j": j})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(schrijf, range(4)))
    controle = _controle(engine)
    assert controle.in_orde and controle.gebeurtenissen == 1 + 20 + 20


def test_an_upgraded_store_verifies(database_url, tmp_path):
    """Migration 0012 hashes the events already there, per casus in the order they were written."""
    from alembic import command

    from models.opslag.db import alembic_config, maak_engine, migreer

    command.upgrade(alembic_config(database_url), "0011")
    engine = maak_engine(database_url)
    try:
        with engine.begin() as verbinding:
            for i in range(3):
                verbinding.execute(text(
                    "INSERT INTO auditevent (tijdstip, actor, actie, details) VALUES (:t, 'beheer', 'instellingen', :d)"),
                    dict(t=dt.datetime(2026, 11, 18, 12, i), d=json.dumps({"versie": i})))
        migreer(database_url)
        controle = _controle(engine)
        assert controle.in_orde and controle.gebeurtenissen == 3
        with Session(engine) as session:
            assert [e.details["versie"] for e in session.exec(select(AuditEvent).order_by(AuditEvent.volgnummer))] == [0, 1, 2]
    finally:
        engine.dispose()


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_daily_flows_send_the_anchor_and_alert_beheer_once_per_break(
        engine, database_url, smtp_server, tmp_path, monkeypatch):
    from flows.auditketen import auditanker, auditcontrole

    # the anchor goes to fg@, beheer to beheer@
    regio = regio_in_opslag(engine, database_url, tmp_path, monkeypatch, smtp_server)
    referentie, _ = _casussen(engine, regio, 2, 3)

    auditanker()
    [anker] = smtp_server.wacht_op_berichten(1)
    assert anker["To"] == "fg@vt-test.example.org" and "Controlegetal" in anker.get_body().get_content()
    assert auditcontrole(return_state=True).is_completed()

    _als_beheerder(engine, f"UPDATE auditevent SET actor = 'iemand anders' WHERE id = {_event(engine, referentie, 2).id}")
    assert auditcontrole(return_state=True).is_failed()
    alarm = smtp_server.wacht_op_berichten(2)[1]
    assert alarm["To"] == "beheer@vt-test.example.org"
    assert f"casus {referentie}: gebeurtenis {_event(engine, referentie, 2).id} (nummer 2) is gewijzigd" in \
        alarm.get_body().get_content()
    assert auditcontrole(return_state=True).is_failed()  # still broken, but beheer heard it already
    assert len(smtp_server.berichten) == 2

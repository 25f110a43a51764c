"""The case store: migrations build the schema on SQLite and PostgreSQL, personal data is
unreadable without the key, and case references are unique under concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent
from models.opslag.db import migreer
from models.opslag.referenties import nieuwe_casusreferenties
from models.opslag.regio import synchroniseer
from models.dossier.registratie import registreer_meldingen
from models.opslag.typen import SleutelOntbreekt
from tests.helpers import AMS, FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, melding


def test_migrations_build_every_table_and_can_run_again(engine, database_url):
    migreer(database_url)  # a second run is a no-op
    tabellen = set(inspect(engine).get_table_names())
    assert {"regio", "gemeente", "lokaalteam", "huishouden", "persoon", "melder", "casus", "melding",
            "termijn", "auditevent", "brief", "notificatie", "rapport", "teller"} <= tabellen


def test_personal_data_is_encrypted_at_rest(engine, instellingen):
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        registreer_meldingen(session, [melding()], instellingen, actor="test")
    with engine.connect() as verbinding:
        ruw = " ".join(
            str(rij)
            for tabel in ("persoon", "huishouden", "melder", "melding")
            for rij in verbinding.execute(text(f"SELECT * FROM {tabel}"))
        )
    for geheim in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, FICTIEVE_OMSCHRIJVING, "9999 AB", "Demodorp"]:
        assert geheim not in ruw


def test_personal_data_cannot_be_read_without_the_key_but_the_rest_can(engine, instellingen, monkeypatch):
    from models.opslag.casus import Casus, Persoon
    from sqlmodel import select

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        registreer_meldingen(session, [melding()], instellingen, actor="test")
    monkeypatch.delenv("VT_ENCRYPTION_KEY")
    with Session(engine) as session:
        assert session.exec(select(Casus.referentie, Casus.status)).all()
        with pytest.raises(SleutelOntbreekt, match="VT_ENCRYPTION_KEY"):
            session.exec(select(Persoon)).all()


def test_a_wrong_key_is_refused_with_a_clear_message(engine, instellingen, monkeypatch):
    from cryptography.fernet import Fernet
    from models.opslag.casus import Persoon
    from sqlmodel import select

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        registreer_meldingen(session, [melding()], instellingen, actor="test")
    monkeypatch.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with Session(engine) as session, pytest.raises(SleutelOntbreekt, match="andere sleutel"):
        session.exec(select(Persoon)).all()


def test_an_old_key_still_decrypts_after_rotation(engine, instellingen, monkeypatch):
    import os

    from cryptography.fernet import Fernet
    from models.opslag.casus import Persoon
    from sqlmodel import select

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        registreer_meldingen(session, [melding()], instellingen, actor="test")
    monkeypatch.setenv("VT_ENCRYPTION_KEY", f"{Fernet.generate_key().decode()},{os.environ['VT_ENCRYPTION_KEY']}")
    with Session(engine) as session:
        assert {p.naam for p in session.exec(select(Persoon))} == set(FICTIEVE_NAMEN[:2])


def test_case_references_are_consecutive_per_year_and_never_reused(engine):
    with Session(engine) as session, session.begin():
        eerste = nieuwe_casusreferenties(session, 2026, 3)
    with Session(engine) as session, session.begin():
        tweede = nieuwe_casusreferenties(session, 2026, 2)
        ander_jaar = nieuwe_casusreferenties(session, 2027, 1)
    assert eerste == ["VT-2026-000001", "VT-2026-000002", "VT-2026-000003"]
    assert tweede == ["VT-2026-000004", "VT-2026-000005"]
    assert ander_jaar == ["VT-2027-000001"]


def test_concurrent_reservations_never_hand_out_the_same_reference(engine):
    from concurrent.futures import ThreadPoolExecutor

    def reserveer(_):
        with Session(engine) as session, session.begin():
            return nieuwe_casusreferenties(session, 2026, 5)

    with Session(engine) as session, session.begin():
        nieuwe_casusreferenties(session, 2026, 1)  # the counter row exists
    with ThreadPoolExecutor(max_workers=4) as pool:
        alle = [ref for deel in pool.map(reserveer, range(8)) for ref in deel]
    assert len(alle) == len(set(alle)) == 40


def test_the_migrations_describe_exactly_the_tables_the_code_uses(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as verbinding:
        verschillen = compare_metadata(MigrationContext.configure(verbinding), SQLModel.metadata)
    assert verschillen == [], "een modelwijziging zonder migratie (of andersom)"


@pytest.mark.parametrize("ontvangen_op", [
    dt.datetime(2026, 3, 29, 3, 30, 0, 250_000, tzinfo=AMS),  # the first hour of summer time
    dt.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=AMS),  # the repeated hour, second time round
    dt.datetime(2026, 11, 16, 10, 0, tzinfo=AMS),
])
def test_moments_come_back_as_the_same_instant_in_utc(engine, instellingen, ontvangen_op):
    from models.opslag.casus import Melding

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        registreer_meldingen(session, [melding(ontvangen_op=ontvangen_op)], instellingen, actor="test")
    with Session(engine) as session:
        [gelezen] = session.exec(select(Melding.ontvangen_op)).all()
    # timestamp(): Python never calls a fold=1 moment equal to one in another zone (PEP 495)
    assert gelezen.timestamp() == ontvangen_op.timestamp() and gelezen.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_moment_written_by_another_tool_with_its_own_offset_reads_as_the_same_instant(engine, instellingen):
    from models.opslag.casus import Melding

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        registreer_meldingen(session, [melding()], instellingen, actor="test")
    with engine.begin() as verbinding:  # e.g. a repair by hand in the sqlite3 shell
        verbinding.execute(text("UPDATE melding SET ontvangen_op = '2026-11-16 11:00:00+01:00'"))
    with Session(engine) as session:
        [gelezen] = session.exec(select(Melding.ontvangen_op)).all()
    assert gelezen == dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.timezone.utc)


# --- the audit trail: a status column only ever holds a lifecycle state --------------------------

def _status_kolommen(engine) -> set:
    with Session(engine) as session:
        rijen = session.exec(select(AuditEvent.actie, AuditEvent.van_status, AuditEvent.naar_status)).all()
    assert rijen
    return {(actie, waarde) for actie, van, naar in rijen for waarde in (van, naar)}


def test_every_audit_event_shows_a_lifecycle_state_or_nothing_as_its_status_change(engine, instellingen):
    """Extending, suspending and resuming a term and deciding leave their moments in the
    details; the status columns are what `vt casus` shows as a status change."""
    from models.dossier import voortgang
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling
    from models.dossier.wijzigingen import casus_op_referentie, hervat, open_termijnen, schort_op, verleng
    from models.regels.instellingen import CapaciteitsModus
    from models.regels.levensloop import Status

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding()], instellingen, actor="intake")
        casus = casus_op_referentie(session, geregistreerd.casus_referentie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "test", instellingen)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "test", instellingen)
        [termijn, *_] = open_termijnen(session, casus)
        verleng(session, casus, termijn, termijn.vervalt_op + dt.timedelta(days=7), "test", "wacht op de school")
        schort_op(session, casus, termijn, "test", "wacht op informatie")
        hervat(session, casus, termijn, "test")
        ctx = voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal)
        voortgang.leg_beslissing_vast(session, casus, f"{casus.referentie.lower()}-besluit-1",
                                      BesluitNaVeiligheidsbeoordeling(door="test", besluit="onderzoek"),
                                      ctx, instellingen)

    toegestaan = {None, *Status}
    assert {(actie, waarde) for actie, waarde in _status_kolommen(engine) if waarde not in toegestaan} == set()
    with Session(engine) as session:
        verlengd = session.exec(select(AuditEvent).where(AuditEvent.actie == "termijn_verlengd")).one()
    assert verlengd.details["naar"] > verlengd.details["van"]


def test_migration_0008_moves_the_moments_of_an_old_extension_out_of_the_status_columns(database_url):
    """An extension stored the old way had its two deadlines in van_status/naar_status."""
    from alembic import command

    from models.opslag.db import alembic_config, maak_engine

    command.upgrade(alembic_config(database_url), "0007")
    engine = maak_engine(database_url)
    van, naar = "2026-11-20T22:59:59+00:00", "2026-11-27T22:59:59+00:00"
    with engine.begin() as verbinding:
        verbinding.execute(text(
            "INSERT INTO auditevent (tijdstip, actor, actie, van_status, naar_status, reden, details) "
            "VALUES (:t, 'test', 'termijn_verlengd', :van, :naar, 'wacht op de school', :details)"),
            dict(t=dt.datetime(2026, 11, 18, 12), van=van, naar=naar, details='{"termijn_id": 1, "soort": "onderzoek"}'))
    try:
        migreer(database_url)
        with Session(engine) as session:
            event = session.exec(select(AuditEvent)).one()
        assert (event.van_status, event.naar_status) == (None, None)
        assert event.details == {"termijn_id": 1, "soort": "onderzoek", "van": van, "naar": naar}
        assert event.reden == "wacht op de school"
        with pytest.raises(Exception, match="alleen-toevoegen"), engine.begin() as verbinding:
            verbinding.execute(text("UPDATE auditevent SET reden = 'x'"))  # the trail is append-only again
    finally:
        engine.dispose()

"""The lifecycle of a casus: only protocol transitions are accepted, every accepted change is
audited, the audit trail cannot be altered, and two people changing one casus at once do not
overwrite each other silently."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus
from models.dossier.wijzigingen import GelijktijdigeWijziging, casus_op_referentie, wijzig_status
from models.regels.levensloop import OVERGANGEN, OngeldigeOvergang, Status
from models.opslag.regio import synchroniseer
from models.dossier.registratie import registreer_meldingen
from tests.helpers import melding

# The protocol path of a case that is handed over and then monitored.
PAD_OVERDRACHT = [
    Status.veiligheidscheck, Status.veiligheidsbeoordeling, Status.besluit,
    Status.overdracht, Status.monitoring, Status.afgesloten,
]


@pytest.fixture
def casus_referentie(engine, instellingen) -> str:
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding()], instellingen, actor="intake-test")
    return geregistreerd.casus_referentie


def _volg_pad(engine, referentie, pad, actor="medewerker-1"):
    for status in pad:
        with Session(engine) as session, session.begin():
            wijzig_status(session, casus_op_referentie(session, referentie), status, actor, reden=f"naar {status}")


def _audit(engine, referentie) -> list[AuditEvent]:
    with Session(engine) as session:
        casus = casus_op_referentie(session, referentie)
        return list(session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id).order_by(AuditEvent.id)))


def test_every_state_is_reachable_and_afgesloten_is_final():
    bereikbaar, te_doen = {Status.ontvangen}, [Status.ontvangen]
    while te_doen:
        for volgende in OVERGANGEN[te_doen.pop()]:
            if volgende not in bereikbaar:
                bereikbaar.add(volgende)
                te_doen.append(volgende)
    assert bereikbaar == set(Status)
    assert OVERGANGEN[Status.afgesloten] == frozenset()


def test_a_casus_follows_the_protocol_and_each_step_is_audited(engine, casus_referentie):
    _volg_pad(engine, casus_referentie, PAD_OVERDRACHT)

    overgangen = [(e.van_status, e.naar_status, e.actor) for e in _audit(engine, casus_referentie) if e.actie == "status"]
    verwacht_van = [Status.ontvangen, *PAD_OVERDRACHT[:-1]]
    assert overgangen == [(van, naar, "medewerker-1") for van, naar in zip(verwacht_van, PAD_OVERDRACHT)]
    with Session(engine) as session:
        casus = casus_op_referentie(session, casus_referentie)
        assert casus.status == Status.afgesloten and casus.afgesloten_op is not None


def test_an_illegal_transition_names_case_current_and_asked_state_and_changes_nothing(engine, casus_referentie):
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, casus_referentie)
        with pytest.raises(OngeldigeOvergang) as fout:
            wijzig_status(session, casus, Status.overdracht, "medewerker-1")
    bericht = str(fout.value)
    assert casus_referentie in bericht and "'ontvangen'" in bericht and "'overdracht'" in bericht
    assert "veiligheidscheck" in bericht  # tells what is allowed instead
    with Session(engine) as session:
        assert casus_op_referentie(session, casus_referentie).status == Status.ontvangen
    assert [e.actie for e in _audit(engine, casus_referentie)] == ["melding_geregistreerd"]


def test_nothing_leaves_a_closed_casus(engine, casus_referentie):
    _volg_pad(engine, casus_referentie, [Status.veiligheidscheck, Status.afgesloten])
    with Session(engine) as session, session.begin(), pytest.raises(OngeldigeOvergang, match="eindtoestand"):
        wijzig_status(session, casus_op_referentie(session, casus_referentie), Status.veiligheidsbeoordeling, "x")


def test_a_second_concurrent_writer_gets_a_conflict_instead_of_overwriting(engine, casus_referentie):
    with Session(engine) as eerste, Session(engine) as tweede:
        casus_a = casus_op_referentie(eerste, casus_referentie)
        casus_b = casus_op_referentie(tweede, casus_referentie)
        wijzig_status(eerste, casus_a, Status.veiligheidscheck, "medewerker-a")
        eerste.commit()

        with pytest.raises(GelijktijdigeWijziging, match=casus_referentie):
            wijzig_status(tweede, casus_b, Status.veiligheidscheck, "medewerker-b")
        tweede.rollback()

    acties = [(e.actor, e.naar_status) for e in _audit(engine, casus_referentie) if e.actie == "status"]
    assert acties == [("medewerker-a", Status.veiligheidscheck)]


@pytest.mark.parametrize("sql", ["UPDATE auditevent SET actor = 'iemand anders'", "DELETE FROM auditevent"])
def test_the_audit_trail_cannot_be_altered_or_deleted(engine, casus_referentie, sql):
    with pytest.raises(DatabaseError, match="alleen-toevoegen"):
        with engine.begin() as verbinding:
            verbinding.execute(text(sql))
    assert len(_audit(engine, casus_referentie)) == 1


def test_the_audit_trail_holds_no_personal_data(engine, casus_referentie):
    from tests.helpers import FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING

    _volg_pad(engine, casus_referentie, PAD_OVERDRACHT[:3])
    with engine.connect() as verbinding:
        inhoud = " ".join(str(rij) for rij in verbinding.execute(text("SELECT * FROM auditevent")))
    for geheim in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, FICTIEVE_OMSCHRIJVING]:
        assert geheim not in inhoud

"""A decision is all or nothing, and it is taken for one occurrence only.

- On both databases a decision (its row, its effect on the casus, its audit event) is one
  transaction: a process killed between the statements, or a hermelding that changes the casus
  while the decision is carried out, leaves none of it, and the casus can be decided as usual.
- A form answered for a decision occurrence that is already decided (a second browser tab) is
  refused with a Dutch message naming what changed and who changed it, and changes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models.casus import AuditEvent, Casus
from models.instellingen import CapaciteitsModus
from models.levensloop import Status
from models.overdracht import Beslissing

REPO = Path(__file__).resolve().parent.parent
DOOR = "Medewerker Testbeslisser"
COLLEGA = "Medewerker Collega"


@pytest.fixture
def casus_bij_besluit(engine, instellingen):
    """A regular melding in Gennep, registered as intake does, waiting for the decision after
    the veiligheidsbeoordeling."""
    from models import voortgang
    from models.dossier import casus_op_referentie
    from models.regio import synchroniseer
    from models.registratie import registreer_meldingen
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
    from models import voortgang
    from models.dossier import casus_op_referentie

    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, referentie)
        ctx = voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal)
        voortgang.leg_beslissing_vast(session, casus, sleutel, invoer, ctx, instellingen)


# --- item: a decision is one transaction --------------------------------------------------------

_BESLIS_IN_EEN_ANDER_PROCES = """
import sys
from sqlmodel import Session
from models import voortgang
from models.besluiten import BesluitNaVeiligheidsbeoordeling
from models.db import maak_engine
from models.dossier import casus_op_referentie
from models.instellingen import DEMO_INSTELLINGEN, CapaciteitsModus, laad_instellingen

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
    from models.besluiten import BesluitNaVeiligheidsbeoordeling

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
    from models import voortgang
    from models.besluiten import BesluitNaVeiligheidsbeoordeling
    from models.db import sessie
    from models.dossier import casus_op_referentie
    from models.registratie import registreer_meldingen
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
    from models import voortgang
    from models.besluiten import Beslismoment, sleutel
    from models.dossier import casus_op_referentie

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
        assert event.details["genomen_door"] == COLLEGA and event.details["beslissing"] == halve
        assert casus.status == "veiligheidsbeoordeling"

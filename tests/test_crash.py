"""A crash loses no step: `kill -9` of the process that serves the deployments while decisions
and acute intakes are carried out, at six moments at once; after a restart one pass of the
sentinel 'casussen in beeld' brings every casus back to its next decision, and every letter and
alert is delivered exactly once. Real Prefect server, real SMTP server, real SQLite store.

The moments are named fault points (models/opslag/storingspunt.py): a casus driven while
`<punt>.actief` exists freezes there; the test waits for `<punt>.geraakt` before the next one.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus, Melding
from models.opslag.communicatie import Bezorgstatus, Brief, Notificatie
from tests.helpers import gebruik_database, regio_voor_test
from tests.served import serveer, wacht_op_run
from tests.test_levensloop_flows import Systeem, beslis, casus_van_intake, formulier, start_intake, vul_intake_in

pytestmark = pytest.mark.prefect

BESLISPUNTEN = {  # fault point -> the decision that runs into it
    "beslissing_vastgelegd": {"besluit": "rvdk_verzoek"},  # stored, follow-ups not started
    "nazorg_brieven_gemaakt": {"besluit": "afsluiten"},  # closing letters made, not delivered
    "nazorg_bezorgd": {"besluit": "rvdk_verzoek"},  # delivered, not marked done
}
INTAKEPUNTEN = ("intake_geregistreerd", "intake_levensloop_gestart", "intake_crisisbericht_geplaatst")


def _formulier(n: int, **extra) -> dict:
    """An intake form whose melder wants terugkoppeling by e-mail (so every letter can go out)."""
    invoer = formulier(n, "GM0907", straat=f"Crashstraat {n}", **extra)
    invoer["melder"].update(email=f"melder{n}@vt-test.example.org", brief_per_email=True)
    return invoer


def _wacht_op_bestand(pad: Path, served, timeout: float = 120) -> None:
    einde = time.monotonic() + timeout
    while not pad.exists():
        if time.monotonic() > einde:
            raise AssertionError(f"{pad.name} niet geraakt\n{served.log()[-5000:]}")
        time.sleep(0.2)


def _bevries(punten: Path, punt: str, served, actie) -> None:
    (punten / f"{punt}.actief").touch()
    actie()
    _wacht_op_bestand(punten / f"{punt}.geraakt", served)


def _casus_van_run(systeem: Systeem, intake_run: UUID) -> str:
    with Session(systeem.engine) as session:
        return session.exec(select(Casus.referentie).join(Melding, Melding.casus_id == Casus.id)
                            .where(Melding.extern_id == str(intake_run))).one()


def _wacht_op_besluit(systeem: Systeem, referentie: str, sleutel: str | None):
    """Until the casus's current run waits at `sleutel` (None: the closed casus's run ended)."""
    einde = time.monotonic() + 180
    while time.monotonic() < einde:
        run_id = systeem.casus(referentie).flow_run_id
        run = wacht_op_run(systeem.api_url, run_id, "PAUSED" if sleutel else "COMPLETED", served=systeem.served)
        if sleutel is None or run.state.state_details.pause_key == sleutel:
            return run
        time.sleep(0.5)
    raise AssertionError(f"{referentie} wacht niet bij {sleutel}")


def _formulierantwoorden(api_url: str) -> list[str]:
    from prefect.client.orchestration import SyncPrefectClient

    with SyncPrefectClient(api_url) as client:
        runs = client.read_flow_runs(limit=200)
        return [f"{run.name}:{i.key}" for run in runs
                for i in client.filter_flow_run_input(flow_run_id=run.id, key_prefix="suspended-", limit=100,
                                                      exclude_keys=set())
                if i.key.endswith("-response")]


def test_a_kill_at_any_moment_of_a_decision_or_an_acute_intake_loses_no_step_and_repeats_none(
        prefect_server, tmp_path, monkeypatch, smtp_server):
    import prefect.settings
    from cryptography.fernet import Fernet

    from flows.in_beeld import casussen_in_beeld
    from models.opslag.db import maak_engine, migreer
    from models.regels.instellingen import instellingen
    from models.opslag.regio import synchroniseer

    punten = tmp_path / "storingspunten"
    punten.mkdir()
    monkeypatch.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    monkeypatch.setenv("VT_STORINGSPUNTEN", str(punten))
    regio_voor_test(tmp_path, monkeypatch, smtp_server)
    database_url = f"sqlite:///{tmp_path}/casussen.db"
    gebruik_database(monkeypatch, database_url)
    migreer(database_url)
    engine = maak_engine(database_url)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen())
    api_url = prefect.settings.PREFECT_API_URL.value()
    systeem = Systeem(api_url, database_url, engine, smtp_server, tmp_path)

    (tmp_path / "eerst").mkdir()
    with serveer(api_url, database_url, tmp_path / "eerst") as served:
        systeem.served = served
        beslissers = {}
        for n, punt in enumerate(BESLISPUNTEN, start=1):
            run_id = start_intake(systeem)
            vul_intake_in(systeem, run_id, _formulier(n))
            beslissers[punt] = casus_van_intake(systeem, run_id)
        for punt, invoer in BESLISPUNTEN.items():
            _bevries(punten, punt, served, lambda: beslis(systeem, beslissers[punt], invoer))
        intakes = {}
        for n, punt in enumerate(INTAKEPUNTEN, start=10):
            intakes[punt] = start_intake(systeem)
            _bevries(punten, punt, served, lambda: vul_intake_in(
                systeem, intakes[punt], _formulier(n, urgentie="acuut")))
        os.killpg(served.proces.pid, signal.SIGKILL)  # the serving process and every run it started
        served.proces.wait(timeout=30)
    acuut = {punt: _casus_van_run(systeem, run_id) for punt, run_id in intakes.items()}

    # Restart without fault points; a run that has not moved for longer than a step is stuck.
    monkeypatch.delenv("VT_STORINGSPUNTEN")
    regio_voor_test(tmp_path, monkeypatch, smtp_server, levensloop={"stap_max_seconden": 5, "gelijktijdige_starts": 10})
    time.sleep(6)
    (tmp_path / "daarna").mkdir()
    with serveer(api_url, database_url, tmp_path / "daarna") as served:
        systeem.served = served
        uitkomst = casussen_in_beeld()

        verwacht = {
            beslissers["beslissing_vastgelegd"]: "uitkomst-rvdk-1",
            beslissers["nazorg_brieven_gemaakt"]: None,  # closed: its run ends after the closing letters
            beslissers["nazorg_bezorgd"]: "uitkomst-rvdk-1",
            **{ref: "acute-actie-1" for ref in acuut.values()},
        }
        for ref, moment in verwacht.items():
            _wacht_op_besluit(systeem, ref, f"{ref.lower()}-{moment}" if moment else None)
        antwoorden = _formulierantwoorden(api_url)

    assert uitkomst.get("volgende_ronde") is None and uitkomst.get("gemeld") is None, uitkomst
    assert systeem.casus(beslissers["nazorg_brieven_gemaakt"]).status == "afgesloten"

    with Session(engine) as session:
        brieven = session.exec(select(Brief)).all()
        berichten = session.exec(select(Notificatie)).all()
        audit = session.exec(select(AuditEvent)).all()
        referentie = {c.id: c.referentie for c in session.exec(select(Casus))}
        meldingen = session.exec(select(Melding)).all()
    soorten = Counter((referentie[b.casus_id], b.soort) for b in brieven)
    for ref in verwacht:
        assert soorten[(ref, "melding_ontvangen")] >= 1, ref
    for punt in BESLISPUNTEN:
        assert soorten[(beslissers[punt], "terugkoppeling_veiligheidsbeoordeling")] >= 1, punt
    assert soorten[(beslissers["nazorg_brieven_gemaakt"], "afsluiting")] == 1
    assert all(m.intake_nazorg_klaar_op is not None for m in meldingen)

    # Every letter delivered, each exactly once.
    assert [(referentie[b.casus_id], b.soort, b.status, b.laatste_fout) for b in brieven
            if b.status != Bezorgstatus.verzonden] == []
    verzonden = Counter(e.details["brief_id"] for e in audit if e.actie == "brief_verzonden")
    assert sorted(verzonden) == sorted(b.id for b in brieven) and set(verzonden.values()) == {1}
    printwachtrij = [p.name.split("-")[0] for p in (tmp_path / "vt" / "printwachtrij").glob("*.pdf")]
    assert len(printwachtrij) == len(set(printwachtrij))

    # Every crisis alert and every e-mail to the college: one row, delivered, one mail.
    alarmen = [n for n in berichten if n.soort == "acuut"]
    assert sorted(referentie[n.casus_id] for n in alarmen) == sorted(acuut.values())
    college = [n for n in berichten if n.soort == "rvdk_college"]
    assert sorted(referentie[n.casus_id] for n in college) == sorted(
        [beslissers["beslissing_vastgelegd"], beslissers["nazorg_bezorgd"]])
    assert all(n.status == Bezorgstatus.verzonden for n in alarmen + college)
    mails = Counter((m["To"], ref) for m in smtp_server.berichten for ref in verwacht if ref in m["Subject"])
    for ref in acuut.values():
        assert mails[("crisisdienst@vt-test.example.org", ref)] == 1, ref
    for punt in ("beslissing_vastgelegd", "nazorg_bezorgd"):
        assert mails[("college@gennep.example.org", beslissers[punt])] == 1, punt

    # The timeline shows the restart; nothing happened twice.
    hersteld = Counter(referentie[e.casus_id] for e in audit if e.actie in ("levensloop_hersteld", "levensloop_gestart"))
    assert set(hersteld.values()) == {1}
    assert hersteld.keys() >= {beslissers["beslissing_vastgelegd"], beslissers["nazorg_bezorgd"],
                               acuut["intake_geregistreerd"]}
    besluiten = Counter(referentie[e.casus_id] for e in audit if e.actie == "besluit")
    assert all(besluiten[beslissers[punt]] == 1 for punt in BESLISPUNTEN)

    # No form answer (with what staff typed) left in Prefect.
    assert antwoorden == []
    engine.dispose()

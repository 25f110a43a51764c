"""The cluster layout (scripts/cluster.py, as `./start.sh --cluster` starts it) loses no casus when
a machine dies: two API replicas behind HAProxy, the background services, a private Redis, two
worker machines (each a process worker and the fork server its runs start from), Prefect and the
case store on PostgreSQL. Meldingen are registered and decisions taken through the API; while the
decisions are carried out, one API replica and the worker machine that runs one of them are
killed with `kill -9` (its worker, its fork server and every run of either). Prefect's heartbeats
stop, the automation 'levensloop zonder hartslag' hands the run to the sentinel, which finds it
silent for the window and restores it, and every casus ends at its next decision: nothing lost,
no letter, e-mail or audit event twice.

The Redis is private to the test (its own redis-server on a free port): other users of the
machine's Redis are not disturbed.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus, Melding
from models.opslag.communicatie import Bezorgstatus, Brief, Notificatie
from scripts.cluster import Opzet, cluster, vrije_poort
from tests.conftest import POSTGRES_HOST_URL, _postgres_beheer
from tests.helpers import gebruik_database, regio_voor_test
from tests.served import hervat, wacht_op_run
from tests.test_levensloop_flows import DOOR, formulier

CASUSSEN = 4
BESLUIT = {"besluit": "rvdk_verzoek"}  # a letter to the family, an e-mail to the college
VOLGENDE = "uitkomst-rvdk-1"
VENSTER = 120  # levensloop.hartslag_venster_seconden: short, so the test waits less, yet well above a warm start


@pytest.fixture
def casusdatabase():
    from psycopg import sql

    naam = f"vt_test_cluster_{uuid.uuid4().hex[:10]}"
    with _postgres_beheer() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))
    try:
        yield naam
    finally:
        with _postgres_beheer() as conn:
            for db in (naam, f"{naam}_prefect"):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


def _wacht_tot(voorwaarde, timeout: float, wat: str, logs: Path):
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        if (uitkomst := voorwaarde()) :
            return uitkomst
        time.sleep(0.5)
    staart = "\n".join(f"== {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-15:])
                       for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"{wat} niet binnen {timeout} s\n{staart}")


def _wacht_bij(api_url: str, engine, referentie: str, momenten: tuple[str, ...]) -> str:
    """Until the casus's current run waits at one of `momenten` (its run may be replaced
    meanwhile), its form stored; returns that moment."""
    from prefect.client.orchestration import SyncPrefectClient

    sleutels = {f"{referentie.lower()}-{m}": m for m in momenten}
    with SyncPrefectClient(api_url) as client:
        def klaar():
            run_id = _run_van(engine, referentie)
            run = client.read_flow_run(UUID(run_id)) if run_id else None
            if run is not None and run.state.is_paused() and run.state.state_details.pause_key in sleutels:
                return sleutels[run.state.state_details.pause_key]
        moment = _wacht_tot(klaar, 300, f"{referentie} bij {momenten}", Path(os.environ["VT_CLUSTER_LOGS"]))
    wacht_op_run(api_url, _run_van(engine, referentie), "PAUSED", timeout=60)  # and its form is saved
    return moment


def _run_van(engine, referentie: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Casus.flow_run_id).where(Casus.referentie == referentie)).one()


def _machine_van(pid: int, machines: dict[int, int]) -> int:
    """The worker machine whose worker or fork server started `pid` (walking up the parents in /proc)."""
    while pid > 1:
        if pid in machines:
            return machines[pid]
        pid = _ouder(pid)
    raise AssertionError("het bevroren proces hoort bij geen worker-machine")


def test_killing_an_api_replica_and_a_worker_mid_decision_loses_no_casus_and_repeats_nothing(
        tmp_path, monkeypatch, smtp_server, casusdatabase):
    import prefect.settings
    from cryptography.fernet import Fernet
    from prefect.deployments import run_deployment

    from models.opslag.db import maak_engine, migreer
    from models.opslag.regio import synchroniseer
    from models.regels.instellingen import instellingen

    punten = tmp_path / "storingspunten"
    punten.mkdir()
    monkeypatch.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    monkeypatch.setenv("VT_STORINGSPUNTEN", str(punten))
    monkeypatch.setenv("VT_CLUSTER_LOGS", str(tmp_path / "cluster" / "logs"))
    # The heartbeat window, shorter than the default: the test waits it out once.
    regio_voor_test(tmp_path, monkeypatch, smtp_server, levensloop={"hartslag_venster_seconden": VENSTER})
    database_url = f"{POSTGRES_HOST_URL}/{casusdatabase}"
    gebruik_database(monkeypatch, database_url)
    migreer(database_url)
    engine = maak_engine(database_url)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen())

    # No schedules: the deadline watch, the reports and the sentinel's own sweep would only add
    # runs here; what restores the casussen must be the heartbeat automation.
    opzet = Opzet(tmp_path / "cluster", vrije_poort(), prefect_database=f"{casusdatabase}_prefect",
                  omgeving={"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"})
    with cluster(opzet) as c, prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: c.api_url}):
        # Meldingen through the API, all at once: each intake run waits for its form, gets it, and
        # starts the casus's lifecycle run, which waits at the first decision.
        intakes = [run_deployment("melding-registreren/melding registreren", timeout=0).id for _ in range(CASUSSEN)]
        for n, run_id in enumerate(intakes, start=1):
            invoer = formulier(n, "GM0907", straat=f"Clusterstraat {n}")
            invoer["melder"].update(email=f"melder{n}@vt-test.example.org", brief_per_email=True)
            wacht_op_run(c.api_url, run_id, "PAUSED", timeout=240)
            hervat(c.api_url, run_id, invoer)
        referenties = []
        for run_id in intakes:
            wacht_op_run(c.api_url, run_id, "COMPLETED", timeout=240)
            with Session(engine) as session:
                referenties.append(session.exec(select(Casus.referentie).join(Melding, Melding.casus_id == Casus.id)
                                                .where(Melding.extern_id == str(run_id))).one())
        for ref in referenties:
            _wacht_bij(c.api_url, engine, ref, ("besluit-1",))

        # Every decision at once; the first run to store its decision freezes before its follow-ups.
        (punten / "beslissing_vastgelegd.actief").touch()
        for ref in referenties:
            hervat(c.api_url, _run_van(engine, ref), {"door": DOOR, **BESLUIT})
        geraakt = punten / "beslissing_vastgelegd.geraakt"
        pid = _wacht_tot(lambda: geraakt.exists() and geraakt.read_text().strip(), 240, "storingspunt",
                         opzet.map / "logs")
        # Warm: the run was forked from a fork server (its parent), not started by the worker.
        machines = {d.proces.pid: int(d.naam.rsplit("-", 1)[1]) - 1 for d in c.delen
                    if d.naam.startswith(("worker-", "vorkserver-"))}
        assert any(d.naam.startswith("vorkserver-") and d.proces.pid == _ouder(int(pid)) for d in c.delen)
        c.kill("api-1")
        c.kill_machine(_machine_van(int(pid), machines))

        # A run killed after storing its decision is restored at the next decision; one killed
        # before is restored at the same form (its answer never reached the case store), and the
        # member of staff sends it again.
        opnieuw = [ref for ref in referenties if _wacht_bij(c.api_url, engine, ref, ("besluit-1", VOLGENDE)) != VOLGENDE]
        for ref in opnieuw:
            hervat(c.api_url, _run_van(engine, ref), {"door": DOOR, **BESLUIT})
        for ref in opnieuw:
            _wacht_bij(c.api_url, engine, ref, (VOLGENDE,))
        artefact = _casusoverzicht(c.api_url, referenties)

    with Session(engine) as session:
        referentie = {cs.id: cs.referentie for cs in session.exec(select(Casus))}
        audit = session.exec(select(AuditEvent)).all()
        brieven = session.exec(select(Brief)).all()
        berichten = session.exec(select(Notificatie)).all()
    engine.dispose()

    # The dead worker's runs were found by their missing heartbeat and restored, once each.
    hersteld = [e for e in audit if e.actie == "levensloop_hersteld"]
    assert hersteld and {e.details["bevinding"] for e in hersteld} == {"hartslag_gemist"}
    assert max(Counter(e.casus_id for e in hersteld).values()) == 1
    # Each decision stored once; each letter and college e-mail made once and delivered once.
    assert Counter(referentie[e.casus_id] for e in audit if e.actie == "besluit") == dict.fromkeys(referenties, 1)
    soorten = Counter((referentie[b.casus_id], b.soort) for b in brieven)
    assert all(soorten[(ref, "terugkoppeling_veiligheidsbeoordeling")] == 1 for ref in referenties), soorten
    assert [b.id for b in brieven if b.status != Bezorgstatus.verzonden] == []
    verzonden = Counter(e.details["brief_id"] for e in audit if e.actie == "brief_verzonden")
    assert sorted(verzonden) == sorted(b.id for b in brieven) and set(verzonden.values()) == {1}
    college = Counter(referentie[n.casus_id] for n in berichten if n.soort == "rvdk_college")
    assert college == dict.fromkeys(referenties, 1)
    mails = Counter(m["Subject"] for m in smtp_server.berichten if m["To"] == "college@gennep.example.org")
    assert all(sum(v for s, v in mails.items() if ref in s) == 1 for ref in referenties), mails
    # Staff read in the case artifact what happened.
    hersteld_refs = {referentie[e.casus_id] for e in hersteld}
    assert set(opnieuw) <= hersteld_refs
    assert all("run hersteld na een onderbreking" in artefact[ref] for ref in hersteld_refs)


def _ouder(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _casusoverzicht(api_url: str, referenties: list[str]) -> dict[str, str]:
    """The newest case artifact of each casus, as staff see it on the run's page."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    uit = {}
    with SyncPrefectClient(api_url) as client:
        for ref in referenties:
            artefacten = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_=ref.lower())),
                                               sort=ArtifactSort.CREATED_DESC, limit=1)
            uit[ref] = artefacten[0].data if artefacten else ""
    return uit


def test_every_deployment_runs_from_its_entrypoint_on_a_worker_in_this_checkout(monkeypatch):
    """A process worker imports each flow from its deployment's entrypoint, in the deployment's
    folder: every deployment (schedules and forms as with serve()) names a flow that loads so."""
    from prefect.flows import load_flow_from_entrypoint

    from deployments.serve import deployments
    from deployments.werkpool import BEWAKING, REPO, hartslag_automation

    monkeypatch.chdir(REPO)
    alle = deployments()
    for deployment in alle:
        pad, naam = deployment.entrypoint.split(":")
        assert not Path(pad).is_absolute() and (REPO / pad).is_file(), deployment.entrypoint
        assert load_flow_from_entrypoint(deployment.entrypoint).name == deployment.flow_name, deployment.name
    assert BEWAKING in {d.full_name for d in alle}
    # The automation hands a run silent for the settings' window to the sentinel and leaves a
    # paused or ended run alone.
    automation = hartslag_automation(uuid.uuid4(), 300)
    assert automation.trigger.within.total_seconds() == 300
    assert {"prefect.flow-run.Suspended", "prefect.flow-run.Completed"} <= automation.trigger.expect
    assert automation.actions[0].parameters["zonder_hartslag"]["template"] == "{{ event.resource.id }}"

"""`vt levensloop start-open` over demo data, against a real Prefect server and the served
deployments: a casus that only waits for a decision gets its run created waiting at its form at
once (no process per casus), looking in Prefect exactly as a run that got there by itself;
resuming it carries the decision out; the other casussen start the normal way; starting again
changes nothing; and Prefect holds no personal data."""

from __future__ import annotations

import json
import os
import re
import time
from uuid import UUID

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from models.opslag.casus import AuditEvent, Casus
from models.opslag.overdracht import Beslissing
from models.regels.levensloop import OPEN_STATUSSEN, Status
from tests.conftest import SmtpServer
from tests.helpers import regio_voor_test
from tests.served import hervat, serveer, wacht_op_run

pytestmark = pytest.mark.prefect
DOOR = "Medewerker Bulkbeslisser"


def vt(*args: str) -> dict:
    from cli import app

    resultaat = CliRunner().invoke(app, [*args, "--json"])
    assert resultaat.exit_code == 0, resultaat.output
    return json.loads(resultaat.stdout)


@pytest.fixture(scope="module")
def systeem(prefect_server, tmp_path_factory):
    """Demo data (30 meldingen, every step) in a SQLite case store, every deployment served."""
    import prefect.settings
    from cryptography.fernet import Fernet

    from models.opslag.db import maak_engine, migreer

    map_ = tmp_path_factory.mktemp("massastart")
    smtp = SmtpServer()
    smtp.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
        mp.setenv("VT_DATA_MAP", str(map_ / "vt"))
        regio_voor_test(map_, mp, smtp)
        database_url = f"sqlite:///{map_}/casussen.db"
        mp.setenv("DATABASE_URL", database_url)
        migreer(database_url)
        vt("demo-data", "--aantal", "30")
        engine = maak_engine(database_url)
        api_url = prefect.settings.PREFECT_API_URL.value()
        with serveer(api_url, database_url, map_) as served:
            yield dict(engine=engine, api=api_url, served=served)
    engine.dispose()
    smtp.stop()


@pytest.fixture(autouse=True)
def encryption_key():
    return os.environ.get("VT_ENCRYPTION_KEY")


def casussen(engine) -> dict[str, Casus]:
    with Session(engine) as session:
        return {c.referentie: c for c in session.exec(select(Casus))}


def wacht_op(engine, referentie: str) -> str | None:
    """The pause key of the decision the casus waits for now (None: no person needs to act)."""
    from tasks.in_beeld import _wacht_op

    with Session(engine) as session:
        return _wacht_op(session, session.exec(select(Casus).where(Casus.referentie == referentie)).one())


def zoals_in_prefect(api: str, run_id: str) -> dict:
    """What staff see of a waiting run: state, form, text above it, tags, the case artifact."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with SyncPrefectClient(api) as client:
        run = client.read_flow_run(UUID(run_id))
        sleutels = run.state.state_details.run_input_keyset
        artefacten = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
        return dict(
            naam=run.name, staat=(run.state.type.value, run.state.name), pauzesleutel=run.state.state_details.pause_key,
            opnieuw_inplannen=run.state.state_details.pause_reschedule,
            pauzesleutels=run.empirical_policy.pause_keys, deployment=run.deployment_id, parameters=run.parameters,
            schema=json.loads(client.read_flow_run_input(run.id, sleutels["schema"])),
            beschrijving=json.loads(client.read_flow_run_input(run.id, sleutels["description"])),
            tags=sorted(run.tags), artefact=[(a.key, a.type, a.data, a.description) for a in artefacten],
        )


def aantal_runs(api: str) -> int:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with SyncPrefectClient(api) as client:
        return client.count_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["casus-levensloop"])))


def vergeet_run(api: str, run_id: str) -> None:
    """As after a lost Prefect database: the run and its artifacts are gone, the casus keeps the id."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with SyncPrefectClient(api) as client:
        for artefact in client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]))):
            client.delete_artifact(artefact.id)
        client.delete_flow_run(UUID(run_id))


@pytest.fixture(scope="module")
def gestart(systeem):
    """One casus at the safety assessment started the normal way and then 'lost' with its
    Prefect data; then `start-open` over everything."""
    from tasks.levensloop import start_levensloop_run

    engine, api = systeem["engine"], systeem["api"]
    alle = casussen(engine)
    vb = sorted(r for r, c in alle.items() if c.status == Status.veiligheidsbeoordeling.value)
    normaal_ref = vb[0]
    run_id, _ = start_levensloop_run(normaal_ref)
    normaal = zoals_in_prefect(api, str(wacht_op_run(api, run_id, "PAUSED", served=systeem["served"]).id))
    vergeet_run(api, run_id)
    # Open casussen at an automatic step (the front-door check): they need a process.
    automatisch = {r for r, c in alle.items() if Status(c.status) in OPEN_STATUSSEN and wacht_op(engine, r) is None}

    uitkomst = vt("levensloop", "start-open")
    return dict(uitkomst=uitkomst, normaal_ref=normaal_ref, normaal=normaal, vb=vb, automatisch=automatisch,
                na=casussen(engine), runs=aantal_runs(api))


def test_a_casus_waiting_for_a_decision_waits_at_once_exactly_as_a_normally_started_run(systeem, gestart):
    ref = gestart["normaal_ref"]
    bulk = zoals_in_prefect(systeem["api"], gestart["na"][ref].flow_run_id)
    normaal = gestart["normaal"]

    assert bulk["staat"] == ("PAUSED", "Suspended") and bulk["opnieuw_inplannen"] is True
    assert bulk["pauzesleutel"] == normaal["pauzesleutel"] == wacht_op(systeem["engine"], ref)
    assert bulk["pauzesleutels"] == {bulk["pauzesleutel"]}
    for wat in ("naam", "deployment", "parameters", "schema", "beschrijving", "tags", "artefact"):
        assert bulk[wat] == normaal[wat], wat
    assert bulk["artefact"] and bulk["artefact"][0][0] == f"casus-{ref.lower()}"


def test_every_open_casus_waits_at_its_own_form_and_only_automatic_steps_needed_a_process(systeem, gestart):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType, \
        FlowRunFilterTags

    engine, api = systeem["engine"], systeem["api"]
    open_ = {r: c for r, c in gestart["na"].items() if Status(c.status) in OPEN_STATUSSEN}
    automatisch = gestart["automatisch"]
    assert len(open_) >= 15 and automatisch
    assert gestart["uitkomst"]["in_bulk"] == len(open_) - len(automatisch)
    assert gestart["uitkomst"]["hersteld"] == len(open_)

    for ref, casus in open_.items():
        run = wacht_op_run(api, casus.flow_run_id, "PAUSED", served=systeem["served"])
        assert run.state.state_details.pause_key == wacht_op(engine, ref), ref
        zo = zoals_in_prefect(api, casus.flow_run_id)
        assert zo["naam"] == ref and zo["schema"]["properties"]["formulier_voor"]["default"] == zo["pauzesleutel"]
        assert {f"stap:{Status(systeem_status(engine, ref)).value.replace('_', ' ')}",
                f"urgentie:{casus.urgentie}"} <= set(zo["tags"])
        assert [a[0] for a in zo["artefact"]] == [f"casus-{ref.lower()}"]

    # The work list of a gemeente: Suspended runs with its tag, bulk-started ones among them.
    gemeente = next(t for t in zoals_in_prefect(api, open_[gestart["normaal_ref"]].flow_run_id)["tags"]
                    if t.startswith("gemeente:"))
    with SyncPrefectClient(api) as client:
        lijst = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["PAUSED"])),
            tags=FlowRunFilterTags(all_=[gemeente])), limit=200)
    assert str(open_[gestart["normaal_ref"]].flow_run_id) in {str(r.id) for r in lijst}

    with Session(engine) as session:
        acties = [e.details.get("in_bulk") for e in session.exec(
            select(AuditEvent).where(AuditEvent.actie.in_(["levensloop_gestart", "levensloop_hersteld"])))]
    assert acties.count(True) == gestart["uitkomst"]["in_bulk"]


def systeem_status(engine, referentie: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Casus.status).where(Casus.referentie == referentie)).one()


def test_resuming_a_bulk_started_run_carries_out_the_decision_and_shows_the_next_form(systeem, gestart):
    engine, api = systeem["engine"], systeem["api"]
    for ref in gestart["vb"][1:3]:
        run_id = gestart["na"][ref].flow_run_id
        eerste = wacht_op_run(api, run_id, "PAUSED", served=systeem["served"]).state.state_details.pause_key
        hervat(api, run_id, {"door": DOOR, "besluit": "overdracht"})
    for ref in gestart["vb"][1:3]:
        run_id = gestart["na"][ref].flow_run_id
        einde = time.monotonic() + 180
        while systeem_status(engine, ref) != Status.overdracht.value and time.monotonic() < einde:
            time.sleep(0.5)
        assert systeem_status(engine, ref) == Status.overdracht.value, systeem["served"].log()[-4000:]
        volgende = wacht_op_run(api, run_id, "PAUSED", served=systeem["served"])
        assert volgende.state.state_details.pause_key == wacht_op(engine, ref) != eerste
        with Session(engine) as session:
            casus = session.exec(select(Casus).where(Casus.referentie == ref)).one()
            assert [b.keuze for b in session.exec(select(Beslissing).where(Beslissing.casus_id == casus.id))] \
                == ["overdracht"]


def test_starting_again_changes_nothing(systeem, gestart):
    tweede = vt("levensloop", "start-open")
    assert (tweede["buiten_beeld"], tweede["hersteld"], tweede["in_bulk"]) == (0, 0, 0)
    assert aantal_runs(systeem["api"]) == gestart["runs"]
    assert {r: c.flow_run_id for r, c in casussen(systeem["engine"]).items()} == \
        {r: c.flow_run_id for r, c in gestart["na"].items()}


def test_prefect_holds_no_personal_data_of_the_demo_casussen(systeem, gestart):
    from models.dossier.demo import demo_meldingen
    from models.regels.instellingen import instellingen
    from models.opslag.typen import nu
    from tests.test_levensloop_flows import _prefect_database

    meldingen = demo_meldingen(instellingen(), 30, nu=nu())  # names and BSNs do not depend on the moment
    geheimen = {p.naam for m in meldingen for p in m.personen} | {p.bsn for m in meldingen for p in m.personen
                                                                         if p.bsn}
    geheimen |= {m.adres.straat_huisnummer for m in meldingen} | {m.omschrijving for m in meldingen}
    _, dump, _ = _prefect_database()
    assert gestart["normaal_ref"] in dump  # the scan reads what the runs stored
    # Whole values: "Fictiestraat 1" of the demo is not "Fictiestraat 12" of another test's data.
    assert sorted(g for g in geheimen if g and re.search(re.escape(g) + r"(?![0-9])", dump)) == []


def test_the_bulk_start_here_wrote_forms_and_artifacts_straight_into_the_servers_database(systeem, gestart):
    """The test server's database is in this process's settings, as for an operator on the
    services' machine: the comparisons above are of that path (the API path: the test below)."""
    import asyncio

    from prefect.client.orchestration import SyncPrefectClient

    from tasks.levensloop import LEVENSLOOP_DEPLOYMENT
    from tasks.prefect_database import database_van_server

    with SyncPrefectClient(systeem["api"]) as client:
        deployment = client.read_deployment_by_name(LEVENSLOOP_DEPLOYMENT)
    assert asyncio.run(database_van_server(deployment.id)) is not None


def test_after_a_crash_once_the_runs_were_created_a_rerun_hands_them_back_and_stores_their_forms(systeem, gestart):
    """Also the way without Prefect's database at hand (another machine): a request per form and
    artifact. Runs as the last test here: it replaces the runs of two casussen."""
    import asyncio

    from prefect import get_client

    from models.regels.instellingen import instellingen
    from tasks.capaciteit import capaciteitsmodus
    from tasks.in_beeld import zoek_buiten_beeld
    from tasks.massastart import Uitkomst, _maak_runs, bereid_voor, start_in_bulk
    from tasks.levensloop import LEVENSLOOP_DEPLOYMENT

    engine, api = systeem["engine"], systeem["api"]
    refs = sorted(r for r, c in gestart["na"].items() if Status(c.status) in OPEN_STATUSSEN
                  and r not in gestart["automatisch"] and r not in gestart["vb"][:3])[:2]
    assert len(refs) == 2
    voor = {ref: zoals_in_prefect(api, gestart["na"][ref].flow_run_id) for ref in refs}
    for ref in refs:
        vergeet_run(api, gestart["na"][ref].flow_run_id)
    gevallen = [g for g in zoek_buiten_beeld() if g.referentie in refs]
    regio = instellingen()
    klaar, _ = bereid_voor(gevallen, regio, capaciteitsmodus(regio))

    async def alleen_de_runs():  # the crash: after the runs, before their forms and the case store
        async with get_client() as client:
            deployment = await client.read_deployment_by_name(LEVENSLOOP_DEPLOYMENT)
            return await _maak_runs(client, deployment.id, klaar, Uitkomst([], []))

    eerst = {ref: str(run.id) for ref, run in asyncio.run(alleen_de_runs()).items()}
    uitkomst = start_in_bulk(gevallen, via_database=False)

    assert uitkomst.weg == "api" and sorted(uitkomst.gestart) == sorted(refs) and not uitkomst.anders
    assert {r: c.flow_run_id for r, c in casussen(engine).items() if r in refs} == eerst
    assert aantal_runs(api) == gestart["runs"]  # two forgotten, two made: no second run for a casus
    for k in klaar:
        ref = k.geval.referentie
        na = zoals_in_prefect(api, eerst[ref])
        for wat in ("naam", "staat", "pauzesleutel", "schema", "beschrijving", "tags"):
            assert na[wat] == voor[ref][wat], (ref, wat)
        # The overview of now: its timeline has grown by the restart since.
        assert na["artefact"] == [(voor[ref]["artefact"][0][0], "markdown", k.overzicht, voor[ref]["artefact"][0][3])]

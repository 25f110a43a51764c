"""Smoke test for the Prefect pin (PREFECT_NOTES.md): FastAPI minors have broken Prefect's server
before, so the server app must import and one flow must run against the test harness."""

import pytest
from prefect import flow, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort

def test_prefect_server_app_imports():
    from prefect.server.api.server import create_app

    assert callable(create_app)


@flow(name="vt-smoke")
def smoke_flow(waarde: int) -> int:
    return waarde * 2


@pytest.mark.usefixtures("prefect_server")
def test_flow_runs_under_harness_and_is_recorded():
    state = smoke_flow(21, return_state=True)

    assert state.is_completed(), state
    assert state.result() == 42

    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        # sort and limit explicitly: see the test below.
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=FlowRunSort.ID_DESC,
            limit=10,
        )
    assert len(runs) == 1
    assert runs[0].state is not None
    assert runs[0].state.type == StateType.COMPLETED
    assert runs[0].parameters == {"waarde": 21}


@pytest.mark.usefixtures("prefect_server")
def test_client_reads_with_default_arguments_are_accepted():
    """fastapi >= 0.151 turns the client's default nulls into 422s (hence the pin below 0.151)."""
    with get_client(sync_client=True) as client:
        client.read_flow_runs()
        client.read_flows()
        client.read_deployments()


@pytest.mark.usefixtures("prefect_server")
def test_the_server_schedules_runs_for_a_deployment_with_a_schedule():
    """The scheduler service inserts runs in bulk; on SQLAlchemy 2.1 that failed and no scheduled
    run was ever created (hence the pin below 2.1). The schedule endpoint uses the same path."""
    import datetime as dt

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    deployment_id = smoke_flow.to_deployment(
        name="smoke-gepland", interval=dt.timedelta(hours=1), parameters={"waarde": 1}
    ).apply()
    with get_client(sync_client=True) as client:
        antwoord = client.request("POST", f"/deployments/{deployment_id}/schedule", json={"max_runs": 3})
        assert antwoord.status_code < 300, antwoord.text
        gepland = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=10,
        )
    assert len(gepland) == 3
    assert all(run.state.type == StateType.SCHEDULED for run in gepland)


def test_served_runs_can_start_from_the_preloaded_forkserver():
    """deployments/serve.py relies on three facts of Prefect 3.8.8's runner: a deployment whose
    flow object is registered is started through `run_flow_in_subprocess`, that function takes
    its process context from `multiprocessing.get_context("spawn")` in prefect.flow_engine, and
    the runner keeps its registry in `_deployment_registry.register_flow`. If Prefect changes
    any of them, runs would silently start slow again (or serve.py would break): this fails."""
    import inspect
    import multiprocessing

    import prefect
    import prefect.flow_engine as engine
    from prefect.runner import Runner
    from prefect.runner import _starter_direct, runner as runner_module

    assert prefect.__version__ == "3.8.8", "check deployments/serve.py against this Prefect version"
    broncode = inspect.getsource(engine.run_flow_in_subprocess)
    assert broncode.count('multiprocessing.get_context("spawn")') == 1
    assert "run_flow_in_subprocess(" in inspect.getsource(_starter_direct.DirectSubprocessStarter.start)
    assert "DirectSubprocessStarter(" in inspect.getsource(runner_module)
    assert callable(Runner()._deployment_registry.register_flow)

    from deployments.serve import _RunsUitForkserver

    vervanger = _RunsUitForkserver(multiprocessing.get_context("forkserver"))
    assert vervanger.get_context("spawn").get_start_method() == "forkserver"
    assert vervanger.get_context("fork").get_start_method() == "fork"
    assert vervanger.context is multiprocessing.context


def test_every_deployment_names_the_flow_it_serves_by_module():
    """serve.py registers each deployment's flow by its entrypoint, imported by module name, and
    a run's process gets that same flow (Prefect 3.8.8 cloudpickles it into the process): its
    function whole, with every name its parameter annotations use, not a copy by value."""
    import cloudpickle

    from deployments.serve import deployments, flow_van

    for deployment in deployments():
        geserveerd = flow_van(deployment)
        assert geserveerd.name == deployment.flow_name
        in_het_proces = cloudpickle.loads(cloudpickle.dumps(geserveerd))
        assert in_het_proces.fn is geserveerd.fn, deployment.name


def test_the_prefect_internals_the_bulk_start_relies_on_are_unchanged():
    """`vt levensloop start-open` (tasks/massastart.py, tasks/prefect_database.py) uses Prefect's
    bulk create of runs, writes forms and artifacts with Prefect's ORM models straight into its
    database, and stores a form's schema as `RunInput.save` does (flows/formulieren.py). None of
    that is Prefect's documented client API: an upgrade must fail here first (docs/beheer.md)."""
    import inspect

    import prefect
    from prefect._internal.pydantic.v2_schema import create_v2_schema
    from prefect.input import run_input
    from prefect.server.api import deployments
    from prefect.server.database import orm_models
    from prefect.server.database.query_components import AioSqliteQueryComponents, AsyncPostgresQueryComponents

    from tasks.massastart import BULK

    assert prefect.__version__ == "3.8.8"
    assert deployments.BULK_CREATE_LIMIT == BULK
    assert "/deployments/{id:uuid}/create_flow_run/bulk" in {r.path for r in deployments.router.routes}
    assert list(inspect.signature(create_v2_schema).parameters)[:3] == ["name_", "model_cfg", "model_base"]
    assert run_input.create_v2_schema is create_v2_schema
    assert "create_v2_schema(cls.__name__, model_base=cls)" in inspect.getsource(run_input.RunInput.save)

    kolommen = {tabel: set(model.__table__.columns.keys()) for tabel, model in (
        ("input", orm_models.FlowRunInput), ("artefact", orm_models.Artifact),
        ("collectie", orm_models.ArtifactCollection))}
    basis = {"id", "created", "updated"}
    assert kolommen["input"] == basis | {"flow_run_id", "key", "value", "sender"}
    assert kolommen["artefact"] >= basis | {"key", "type", "data", "description", "flow_run_id"}
    assert kolommen["collectie"] >= basis | {"key", "latest_id", "type", "data", "description", "flow_run_id"}
    assert any({c.name for c in u.columns} == {"flow_run_id", "key"}
               for u in orm_models.FlowRunInput.__table__.constraints if u.__class__.__name__ == "UniqueConstraint")
    for orm in (orm_models.AioSqliteORMConfiguration(), orm_models.AsyncPostgresORMConfiguration()):
        assert [c.key for c in orm.artifact_collection_unique_upsert_columns] == ["key"]
    for queries in (AioSqliteQueryComponents(), AsyncPostgresQueryComponents()):
        assert hasattr(queries.insert(orm_models.FlowRunInput), "on_conflict_do_nothing")


def test_prefect_clients_of_a_run_share_one_tls_context():
    """deployments/_tls.py: Prefect 3.8.8 makes a TLS context per API client with
    `ssl.create_default_context(cafile=...)` in its client module; the forkserver's runs share one
    (five clients per run, 20-30 ms of CPU each). If Prefect changes how it makes them, runs would
    silently pay for it again: this fails."""
    import inspect

    import prefect.client.orchestration as orchestration
    from deployments._tls import een_tls_context

    for klasse in (orchestration.PrefectClient, orchestration.SyncPrefectClient):
        assert "ssl.create_default_context(cafile=cert_file)" in inspect.getsource(klasse.__init__)
    een_tls_context()
    eerste, tweede = (orchestration.SyncPrefectClient("http://127.0.0.1:1/api") for _ in range(2))
    assert eerste._client._transport._pool._ssl_context is tweede._client._transport._pool._ssl_context

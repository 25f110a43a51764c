"""The bulk start's writer into Prefect's own database (tasks/prefect_database.py), on a Prefect
database in a SQLite file as start.sh has it (the PostgreSQL side runs in tests/test_massastart.py
against the test server): it finds the server's database only where the deployment is, never
creates one, and writes forms and case artifacts as the API does, idempotently."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import sqlalchemy as sa


@pytest.fixture
def prefect_database(tmp_path):
    """A fresh Prefect database (Prefect's own tables) in a SQLite file, with one deployment and a
    run of it; this process's Prefect settings point at it."""
    import prefect.settings
    from prefect.server.database import provide_database_interface
    from prefect.server.database.dependencies import temporary_database_interface

    url = f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"
    with temporary_database_interface(), prefect.settings.temporary_settings(
            updates={prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: url}):
        db = provide_database_interface()

        async def maak():
            await db.create_db()
            async with db.session_context(begin_transaction=True) as session:
                flow = db.Flow(name="casus-levensloop")
                session.add(flow)
                await session.flush()
                deployment = db.Deployment(name="casus-levensloop", flow_id=flow.id)
                session.add(deployment)
                await session.flush()
                run = db.FlowRun(name="VT-1", flow_id=flow.id, deployment_id=deployment.id)
                session.add(run)
                await session.flush()
                return deployment.id, run.id

        deployment_id, run_id = asyncio.run(maak())
        yield dict(db=db, deployment=deployment_id, run=run_id)


def lees(db, run_id):
    async def lees_():
        async with db.session_context() as session:
            invoer = {i.key: json.loads(i.value) for i in (await session.scalars(
                sa.select(db.FlowRunInput).where(db.FlowRunInput.flow_run_id == run_id))).all()}
            artefacten = [(a.key, a.type, a.data, a.description) for a in (await session.scalars(
                sa.select(db.Artifact).order_by(db.Artifact.created))).all()]
            collectie = {c.key: (c.latest_id, c.data) for c in (await session.scalars(
                sa.select(db.ArtifactCollection))).all()}
            laatste = {a.id: a.data for a in (await session.scalars(sa.select(db.Artifact))).all()}
            return invoer, artefacten, {k: laatste[i] == d for k, (i, d) in collectie.items()}, collectie
    return asyncio.run(lees_())


def test_the_servers_database_is_the_one_holding_the_deployment(prefect_database, tmp_path):
    import prefect.settings

    from tasks.prefect_database import database_van_server

    assert asyncio.run(database_van_server(prefect_database["deployment"])) is not None
    assert asyncio.run(database_van_server(uuid.uuid4())) is None  # another server's database

    elders = tmp_path / "elders" / "prefect.db"
    with prefect.settings.temporary_settings(
            updates={prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{elders}"}):
        assert asyncio.run(database_van_server(prefect_database["deployment"])) is None
    assert not elders.exists()  # looking never creates an empty Prefect database


def test_forms_and_artifacts_are_written_as_the_api_writes_them_and_a_rerun_changes_nothing(prefect_database):
    from tasks.prefect_database import bewaar

    db, run_id = prefect_database["db"], prefect_database["run"]
    formulieren = [(run_id, "paused-stap-1-schema", json.dumps({"title": "Besluit"})),
                   (run_id, "paused-stap-1-description", json.dumps("**Casus VT-1**"))]
    asyncio.run(bewaar(db, formulieren, [(run_id, "casus-vt-1", "# VT-1\neerste", "Casus VT-1")]))
    # A rerun after a crash: the forms are there already; a newer overview becomes the latest.
    asyncio.run(bewaar(db, formulieren, [(run_id, "casus-vt-1", "# VT-1\ntweede", "Casus VT-1")]))

    invoer, artefacten, klopt, collectie = lees(db, run_id)
    assert invoer == {"paused-stap-1-schema": {"title": "Besluit"}, "paused-stap-1-description": "**Casus VT-1**"}
    assert artefacten == [("casus-vt-1", "markdown", "# VT-1\neerste", "Casus VT-1"),
                          ("casus-vt-1", "markdown", "# VT-1\ntweede", "Casus VT-1")]
    assert collectie["casus-vt-1"][1] == "# VT-1\ntweede" and klopt == {"casus-vt-1": True}

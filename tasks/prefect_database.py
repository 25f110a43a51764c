"""The forms and case artifacts of many waiting runs written straight into the Prefect server's
database, one transaction per page, with Prefect's own ORM models: the bulk start's fast path
(`tasks.massastart`). Through the API each of them is a request with its own transaction; here a
page of 500 casussen is a few statements.

Tied to Prefect's schema (3.8.8): tests/test_prefect_smoke.py guards every table, column and
helper used here, so an upgrade that changes them fails there first. Rows written here carry no
event (the API emits an "artifact collection created/updated" event; nothing of ours listens to
it). The runs themselves are created through the API (`tasks.massastart`), with their events.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from models.dossier.registratie import batched

_RIJEN = 100  # rows per statement (SQLite's limit on bound values)


def _verwijst_naar_bestaand_bestand(url: str) -> bool:
    """A SQLite URL whose file exists: connecting must not create an empty Prefect database."""
    database = make_url(url).database
    return bool(database) and database != ":memory:" and Path(database).is_file()


async def database_van_server(deployment_id: UUID):
    """Prefect's database as this process's settings name it (PREFECT_SERVER_DATABASE_CONNECTION_URL,
    or the SQLite file in PREFECT_HOME), if it is the server's: it holds the lifecycle deployment.
    None when it is not at hand (another machine, other settings): the API then does the work."""
    from prefect.server.database import provide_database_interface
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    url = PREFECT_API_DATABASE_CONNECTION_URL.value()
    if not url or (make_url(url).get_backend_name() == "sqlite" and not _verwijst_naar_bestaand_bestand(url)):
        return None
    try:
        db = provide_database_interface()
        async with db.session_context() as session:
            gevonden = await session.scalar(sa.select(db.Deployment.id).where(db.Deployment.id == deployment_id))
    except (OSError, SQLAlchemyError):  # no such host or database, no Prefect tables
        return None
    return db if gevonden else None


async def bewaar(db, formulieren: list[tuple[UUID, str, str]], overzichten: list[tuple[UUID, str, str, str]]) -> None:
    """In one transaction: the flow run inputs (run, key, JSON value) that are not there yet, and
    each case artifact (run, key, markdown, description) as the API stores one (a row in the
    artifact table, the collection's latest pointing at it). Asked again while SQLite is locked."""
    for poging in range(3):
        try:
            async with db.session_context(begin_transaction=True) as session:
                await _schrijf(db, session, formulieren, overzichten)
            return
        except OperationalError:
            if poging == 2:
                raise


async def _schrijf(db, session, formulieren, overzichten) -> None:
    moment = dt.datetime.now(dt.timezone.utc)
    for deel in batched(formulieren, _RIJEN):
        await session.execute(db.queries.insert(db.FlowRunInput).values([
            dict(id=uuid4(), created=moment, updated=moment, flow_run_id=run_id, key=sleutel, value=waarde)
            for run_id, sleutel, waarde in deel]).on_conflict_do_nothing(index_elements=["flow_run_id", "key"]))
    for deel in batched(overzichten, _RIJEN):
        artefacten = [dict(id=uuid4(), created=moment, updated=moment, key=sleutel, type="markdown", data=tekst,
                           description=omschrijving, flow_run_id=run_id)
                      for run_id, sleutel, tekst, omschrijving in deel]
        await session.execute(db.queries.insert(db.Artifact).values(artefacten))
        nieuw = db.queries.insert(db.ArtifactCollection).values([
            {**{k: v for k, v in a.items() if k != "id"}, "latest_id": a["id"]} for a in artefacten])
        await session.execute(nieuw.on_conflict_do_update(
            index_elements=db.orm.artifact_collection_unique_upsert_columns,
            set_={kolom: nieuw.excluded[kolom] for kolom in
                  ("latest_id", "updated", "type", "data", "description", "flow_run_id")}))

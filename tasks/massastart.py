"""Starting the lifecycle runs of many casussen at once, without a process per casus.

A lifecycle run that reaches a decision does three things before it waits: it sets its tags
(gemeente, step, urgency), publishes the case artifact, and suspends at the form. Prefect then
holds the run in state Suspended (pause key, the keys of its input, "reschedule on resume"), the
pause key in the run's `empirical_policy.pause_keys`, and the form's JSON schema and description
as flow run inputs. For a casus that needs nothing else first, this module computes all of that
in one process with the code the flow uses (`stap_van`, `beslisformulier`, `casusoverzicht`),
500 casussen a page, and creates the runs through Prefect's bulk create directly in that state
(100 a request, with the orchestration and events of a single create). Their forms and artifacts
go in one transaction per page straight into the server's database when this process can reach
it (`tasks.prefect_database`, Prefect's own ORM models), else a request each.

When staff resume such a run, Prefect schedules it and the served deployment runs the flow from
the top, as after any resume: `vraag_invoer` finds the pause key used and the answer stored, and
carries the decision out. The idempotency key is the one a normal start uses, so a second start
(or a crash halfway and a rerun) hands back the same run and never makes a second one.

Goes the normal way (`tasks.in_beeld.herstel`, a process per casus): a casus that owes
follow-ups first (letters or e-mails of a stored decision or of an intake), whose step is
automatic, that is closed, restarted too often, or that moved meanwhile.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

import httpx
import orjson
from prefect import get_client
from prefect.client.schemas.actions import ArtifactCreate, DeploymentFlowRunCreate
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.states import Suspended, to_state_create
from sqlalchemy import insert
from sqlmodel import select

from flows.formulieren import beslisformulier, opgeslagen_formulier
from models.dossier.auditketen import keten
from models.dossier.registratie import batched
from models.dossier.wijzigingen import audit_rij
from models.opslag.casus import AuditEvent, Casus
from models.opslag.db import sessie
from models.opslag.typen import nu
from models.regels.besluiten import Beslismoment
from models.regels.in_beeld import Bevinding, te_vaak_hersteld
from models.regels.instellingen import Instellingen, instellingen
from tasks.capaciteit import capaciteitsmodus
from tasks.in_beeld import ACTOR, GESTART, HERSTELD, Geval, _idempotentiesleutel, _logger, nazorg_open_sinds
from tasks.invoer import sleutelset
from tasks import levensloop, prefect_database
from tasks.levensloop import (
    artefactomschrijving,
    artefactsleutel,
    casusoverzicht,
    leg_run_vast,
    stap_van,
    volledige_sleutel,
)

PAGINA = 500  # casussen per case-store session, per Prefect transaction of forms and artifacts
BULK = 100  # runs per request: the most Prefect's bulk create takes (BULK_CREATE_LIMIT)
_BULK_WACHTTIJD = 600.0  # s: a busy server needs long for 100 runs; asking again meanwhile only queues
_POGINGEN = 6  # per casus, against a busy server


@dataclass(frozen=True)
class Klaar:
    """Everything Prefect holds for a run suspended at the first form of its casus (codes only)."""

    geval: Geval
    casus_id: int
    idempotentiesleutel: str
    pauzesleutel: str
    labels: list[str]
    schema: dict
    beschrijving: str
    overzicht: str


@dataclass
class Uitkomst:
    gestart: list[str]  # references of casussen whose run was created waiting at its form
    anders: list[Geval]  # the casussen that need a normal run
    herhaald: int = 0  # requests asked again because the server was busy
    weg: str = ""  # how forms and artifacts were stored: "database" (Prefect's, directly) or "api"


def kan_in_bulk(geval: Geval) -> bool:
    """Only a casus without a run Prefect knows: a crashed, failed or stuck run is brought back
    the normal way (its old run is ended first)."""
    return geval.bevinding in (Bevinding.geen_run, Bevinding.run_onbekend)


def bereid_voor(gevallen: list[Geval], regio: Instellingen, modus) -> tuple[list[Klaar], list[Geval]]:
    """The first form, tags and artifact of each casus that can wait at once; the others apart."""
    klaar, anders = [], []
    venster = dt.timedelta(minutes=regio.levensloop.herstart_venster_minuten)
    with sessie() as session:
        casussen = {c.referentie: c for c in session.exec(
            select(Casus).where(Casus.referentie.in_([g.referentie for g in gevallen])))}
        ids = [c.id for c in casussen.values()]
        nazorg = nazorg_open_sinds(session, ids)
        herstarts: dict[int, list[dt.datetime]] = {}
        for casus_id, tijdstip in session.exec(select(AuditEvent.casus_id, AuditEvent.tijdstip).where(
                AuditEvent.actie == HERSTELD, AuditEvent.casus_id.in_(ids))):
            herstarts.setdefault(casus_id, []).append(tijdstip)
        moment = nu()
        for geval in gevallen:
            casus = casussen.get(geval.referentie)
            if (casus is None or casus.flow_run_id != geval.oude_run or casus.id in nazorg
                    or te_vaak_hersteld(herstarts.get(casus.id, []), moment, regio.levensloop.max_herstarts, venster)):
                anders.append(geval)
                continue
            stap = stap_van(session, casus, regio, modus, [])
            if stap.afgesloten or stap.automatisch:
                anders.append(geval)
                continue
            formulier = beslisformulier(Beslismoment(stap.moment), stap.teams, stap.beginwaarden, stap.kop,
                                        stap.toelichting)
            schema, beschrijving = opgeslagen_formulier(formulier, stap.beschrijving)
            klaar.append(Klaar(
                geval, casus.id, volledige_sleutel(_idempotentiesleutel(geval), casus.geopend_op), stap.sleutel,
                stap.labels, schema, beschrijving, casusoverzicht(session, casus, regio),
            ))
    return klaar, anders


# --- Prefect ------------------------------------------------------------------------------------


def _aanvraag(k: Klaar) -> dict:
    """The run as `vraag_invoer` leaves it at a first attempt of the form (name as the flow
    names it, tags as `werk_runlabels_bij` sets them; the deployment adds its own)."""
    staat = Suspended(pause_key=k.pauzesleutel)
    staat.state_details.run_input_keyset = sleutelset(k.pauzesleutel)
    return DeploymentFlowRunCreate(
        name=k.geval.referentie, parameters={"casus_referentie": k.geval.referentie}, state=to_state_create(staat),
        tags=k.labels, idempotency_key=k.idempotentiesleutel,
        empirical_policy=FlowRunPolicy(pause_keys={k.pauzesleutel}),
    ).model_dump(mode="json", exclude_unset=True)


async def _opnieuw(verzoek, uitkomst: Uitkomst):
    """Every request here is idempotent: a busy server (SQLite: 503) is simply asked again."""
    for poging in range(1, _POGINGEN + 1):
        try:
            return await verzoek()
        except (httpx.TransportError, PrefectHTTPStatusError) as exc:
            tijdelijk = isinstance(exc, httpx.TransportError) or exc.response.status_code >= 500
            if not tijdelijk or poging == _POGINGEN:
                raise
            uitkomst.herhaald += 1
            await asyncio.sleep(min(10.0, 0.5 * 2 ** poging))


async def _bulk(client, deployment_id: UUID, deel: list[Klaar], uitkomst: Uitkomst) -> dict[str, str]:
    """One bulk create, {reference: run id}. The server reports a run it could not create as
    FAILED in an answer that is otherwise fine (SQLite: "database is locked" halfway its
    transaction): those are asked again, as a busy server is."""
    ids: dict[str, str] = {}
    for poging in range(1, _POGINGEN + 1):
        antwoord = await _opnieuw(lambda: client.request(
            "POST", "/deployments/{id}/create_flow_run/bulk", path_params={"id": deployment_id},
            json=[_aanvraag(k) for k in deel], timeout=_BULK_WACHTTIJD), uitkomst)
        resultaten = antwoord.json()["results"]
        ids |= {k.geval.referentie: r["flow_run_id"] for k, r in zip(deel, resultaten) if r["status"] == "CREATED"}
        fouten = [r.get("error") for r in resultaten if r["status"] != "CREATED"]
        deel = [k for k in deel if k.geval.referentie not in ids]
        if not deel:
            break
        if poging == _POGINGEN:
            _logger().warning("%d casussen niet in bulk klaargezet (Prefect: %s); ze gaan de normale weg.",
                              len(deel), (fouten[0] or "")[:200])
            break
        uitkomst.herhaald += 1
        await asyncio.sleep(min(10.0, 0.5 * 2 ** poging))
    return ids


async def _maak_runs(client, deployment_id: UUID, klaar: list[Klaar], uitkomst: Uitkomst) -> dict[str, FlowRun]:
    """The runs of one page, `BULK` per request (Prefect's bulk create: one transaction each,
    the same orchestration and events as a single create; the idempotency key hands back an
    existing run), two requests at once. Returns {reference: run} of those created or found."""
    grens = asyncio.Semaphore(2)  # the server works a bulk request on one core: more only queue

    async def groep(deel: list[Klaar]) -> dict[str, FlowRun]:
        async with grens:
            try:
                ids = await _bulk(client, deployment_id, deel, uitkomst)
                gevonden = [UUID(i) for i in ids.values()]
                runs = await _opnieuw(lambda: client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=gevonden)), limit=len(gevonden)), uitkomst) if gevonden else []
            except (httpx.TransportError, PrefectHTTPStatusError) as exc:
                _logger().warning("%d casussen niet in bulk klaargezet (%s); ze gaan de normale weg.",
                                  len(deel), type(exc).__name__)
                return {}
        per_id = {str(r.id): r for r in runs}
        return {ref: per_id[i] for ref, i in ids.items() if i in per_id}

    runs: dict[str, FlowRun] = {}
    for deel in await asyncio.gather(*(groep(list(d)) for d in batched(klaar, BULK))):
        runs.update(deel)
    return runs


def _wacht_hier(run: FlowRun, k: Klaar) -> bool:
    """Still waiting at this form: not a run that a second start found moved on meanwhile."""
    return bool(run.state and run.state.is_paused() and run.state.state_details.pause_key == k.pauzesleutel)


def _formulieren(runs: dict[str, FlowRun], klaar: list[Klaar]) -> list[tuple[UUID, str, str]]:
    """(run, key, value) of each form's schema and description, as `suspend_flow_run` stores them."""
    rijen = []
    for k in klaar:
        run = runs.get(k.geval.referentie)
        if run is not None and _wacht_hier(run, k):
            sleutels = sleutelset(k.pauzesleutel)
            rijen += [(run.id, sleutels["schema"], orjson.dumps(k.schema).decode()),
                      (run.id, sleutels["description"], orjson.dumps(k.beschrijving).decode())]
    return rijen


async def _nieuwe_overzichten(client, runs: dict[str, FlowRun], klaar: list[Klaar],
                              uitkomst: Uitkomst) -> list[tuple[UUID, str, str, str]]:
    """(run, key, text, description) of each case artifact whose latest version differs."""
    sleutels = [artefactsleutel(k.geval.referentie) for k in klaar if k.geval.referentie in runs]
    if not sleutels:
        return []
    gepubliceerd = {}
    for deel in batched(sleutels, BULK):  # the API reads at most 200 at once
        gepubliceerd |= {a.key: a.data for a in await _opnieuw(lambda: client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=list(deel))),
            limit=len(deel)), uitkomst)}
    return [(runs[k.geval.referentie].id, artefactsleutel(k.geval.referentie), k.overzicht,
             artefactomschrijving(k.geval.referentie))
            for k in klaar if k.geval.referentie in runs
            and gepubliceerd.get(artefactsleutel(k.geval.referentie)) != k.overzicht]


async def _bewaar_via_api(client, formulieren, overzichten, grens: asyncio.Semaphore, uitkomst: Uitkomst) -> set[UUID]:
    """Forms and artifacts a request each (when Prefect's database is not at hand). Returns the
    runs whose form or artifact could not be stored."""
    mislukt: set[UUID] = set()

    async def formulier(run_id, sleutel, waarde):
        async def verzoek():
            try:
                await client.create_flow_run_input(flow_run_id=run_id, key=sleutel, value=waarde)
            except PrefectHTTPStatusError as exc:
                if exc.response.status_code != 409:  # 409: stored before a crash, fine
                    raise
        await een(run_id, verzoek)

    async def overzicht(run_id, sleutel, tekst, omschrijving):
        await een(run_id, lambda: client.create_artifact(ArtifactCreate(
            key=sleutel, type="markdown", data=tekst, description=omschrijving, flow_run_id=run_id)))

    async def een(run_id, verzoek):
        async with grens:
            try:
                await _opnieuw(verzoek, uitkomst)
            except (httpx.TransportError, PrefectHTTPStatusError):
                mislukt.add(run_id)

    await asyncio.gather(*(formulier(*f) for f in formulieren), *(overzicht(*o) for o in overzichten))
    return mislukt


async def _zet_klaar(client, deployment_id: UUID, klaar: list[Klaar], grens: asyncio.Semaphore, uitkomst: Uitkomst,
                     db) -> dict[str, str | None]:
    """Create the runs of one page, their forms and artifacts: {reference: run id, None if not}."""
    runs = await _maak_runs(client, deployment_id, klaar, uitkomst)
    formulieren = _formulieren(runs, klaar)
    overzichten = await _nieuwe_overzichten(client, runs, klaar, uitkomst)
    if db is not None:
        await prefect_database.bewaar(db, formulieren, overzichten)
        mislukt = set()
    else:
        mislukt = await _bewaar_via_api(client, formulieren, overzichten, grens, uitkomst)
    return {k.geval.referentie: str(run.id) if (run := runs.get(k.geval.referentie)) and run.id not in mislukt
            else None for k in klaar}


def _leg_vast(klaar: list[Klaar], runs: dict[str, str | None]) -> list[str]:
    """Record each run on its casus (unless another caller recorded one meanwhile) with the
    audit event a normal start writes. Returns the references recorded."""
    vastgelegd, rijen = [], []
    with sessie() as session:
        for k in klaar:
            run_id = runs[k.geval.referentie]
            if run_id is None or not leg_run_vast(session, k.geval.referentie, run_id, k.geval.oude_run):
                continue
            vastgelegd.append(k.geval.referentie)
            actie = GESTART if k.geval.bevinding == Bevinding.geen_run else HERSTELD
            rijen.append(audit_rij(k.casus_id, ACTOR, actie, details=dict(
                bevinding=k.geval.bevinding, oude_staat=k.geval.oude_staat, oude_run=k.geval.oude_run,
                nieuwe_run=run_id, in_bulk=True)))
        if rijen:
            session.execute(insert(AuditEvent), keten(session, rijen))
    return vastgelegd


async def _start(gevallen: list[Geval], regio: Instellingen, modus, voortgang, via_database: bool) -> Uitkomst:
    uitkomst = Uitkomst([], [])
    pagina_s = list(batched(gevallen, PAGINA))
    if not pagina_s:
        return uitkomst
    grens = asyncio.Semaphore(regio.levensloop.gelijktijdige_verzoeken)
    async with get_client() as client:
        try:
            deployment = await client.read_deployment_by_name(levensloop.LEVENSLOOP_DEPLOYMENT)
        except ObjectNotFound:  # not served (yet): the normal way reports each casus
            return Uitkomst([], gevallen)
        db = await prefect_database.database_van_server(deployment.id) if via_database else None
        uitkomst.weg = "database" if db is not None else "api"
        # The next page is read and rendered (a thread) while this page's requests are out.
        volgende = asyncio.create_task(asyncio.to_thread(bereid_voor, list(pagina_s[0]), regio, modus))
        for n in range(len(pagina_s)):
            klaar, anders = await volgende
            if n + 1 < len(pagina_s):
                volgende = asyncio.create_task(asyncio.to_thread(bereid_voor, list(pagina_s[n + 1]), regio, modus))
            uitkomst.anders.extend(anders)
            if klaar:
                runs = await _zet_klaar(client, deployment.id, klaar, grens, uitkomst, db)
                uitkomst.anders.extend(k.geval for k in klaar if runs[k.geval.referentie] is None)
                uitkomst.gestart.extend(await asyncio.to_thread(_leg_vast, klaar, runs))
            if voortgang is not None:
                voortgang(len(uitkomst.gestart))
    return uitkomst


def start_in_bulk(gevallen: list[Geval], voortgang=None, via_database: bool = True) -> Uitkomst:
    """Create the runs of `gevallen` that can wait at their form at once; the rest (and every
    casus that cannot go in bulk) is returned in `anders` for a normal start. `voortgang` is
    called with the number created so far after each page. Forms and artifacts go straight into
    Prefect's database when it is at hand (`via_database`), else a request each."""
    bulk = [g for g in gevallen if kan_in_bulk(g)]
    regio = instellingen()
    modus = capaciteitsmodus(regio)
    # Its own event loop in its own thread (callable from anywhere, also where a loop runs),
    # with the caller's context: its Prefect settings (API URL) hold there too.
    with ThreadPoolExecutor(1) as uitvoerder:
        uitkomst = uitvoerder.submit(contextvars.copy_context().run, asyncio.run,
                                     _start(bulk, regio, modus, voortgang, via_database)).result()
    uitkomst.anders = [g for g in gevallen if not kan_in_bulk(g)] + uitkomst.anders
    return uitkomst


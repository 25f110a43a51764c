"""Starting the lifecycle runs of many casussen at once, without a process per casus.

A lifecycle run that reaches a decision does three things before it waits: it sets its tags
(gemeente, step, urgency), publishes the case artifact, and suspends at the form. Prefect then
holds the run in state Suspended (pause key, the keys of its input, "reschedule on resume"), the
pause key in the run's `empirical_policy.pause_keys`, and the form's JSON schema and description
as flow run inputs. For a casus that needs nothing else first, this module computes all of that
in one process with the code the flow uses (`stap_van`, `beslisformulier`, `casusoverzicht`)
and creates the run through the API directly in that state, many requests at once.

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
from prefect import get_client
from prefect.client.schemas.actions import ArtifactCreate, DeploymentFlowRunCreate
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
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
from tasks import levensloop
from tasks.levensloop import (
    artefactomschrijving,
    artefactsleutel,
    casusoverzicht,
    leg_run_vast,
    stap_van,
    volledige_sleutel,
)

PAGINA = 200  # casussen per database session and per read of artifacts
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


async def _maak_run(client, deployment_id: UUID, k: Klaar) -> FlowRun:
    """The run as `vraag_invoer` leaves it at a first attempt of the form (name as the flow
    names it, tags as `werk_runlabels_bij` sets them; the deployment adds its own)."""
    staat = Suspended(pause_key=k.pauzesleutel)
    staat.state_details.run_input_keyset = sleutelset(k.pauzesleutel)
    aanvraag = DeploymentFlowRunCreate(
        name=k.geval.referentie, parameters={"casus_referentie": k.geval.referentie}, state=to_state_create(staat),
        tags=k.labels, idempotency_key=k.idempotentiesleutel,
        empirical_policy=FlowRunPolicy(pause_keys={k.pauzesleutel}),
    )
    antwoord = await client.request("POST", "/deployments/{id}/create_flow_run", path_params={"id": deployment_id},
                                    json=aanvraag.model_dump(mode="json", exclude_unset=True))
    return FlowRun.model_validate(antwoord.json())


async def _bewaar_formulier(client, run: FlowRun, k: Klaar) -> None:
    """Schema and description, unless the run moved on (resumed meanwhile: a second start finds
    it past this pause); already stored (a rerun after a crash) is fine."""
    if not (run.state and run.state.is_paused() and run.state.state_details.pause_key == k.pauzesleutel):
        return
    import orjson

    sleutels = sleutelset(k.pauzesleutel)
    for sleutel, waarde in ((sleutels["schema"], k.schema), (sleutels["description"], k.beschrijving)):
        try:
            await client.create_flow_run_input(flow_run_id=run.id, key=sleutel, value=orjson.dumps(waarde).decode())
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code != 409:
                raise


async def _laatste_overzichten(client, sleutels: list[str]) -> dict[str, str]:
    laatste = await client.read_latest_artifacts(
        artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=sleutels)), limit=len(sleutels))
    return {a.key: a.data for a in laatste}


async def _zet_klaar(client, deployment_id: UUID, klaar: list[Klaar], grens: asyncio.Semaphore,
                     uitkomst: Uitkomst) -> dict[str, str | None]:
    """Create the runs of one page, their forms and artifacts: {reference: run id}."""
    gepubliceerd = await _laatste_overzichten(client, [artefactsleutel(k.geval.referentie) for k in klaar])

    async def een(k: Klaar) -> tuple[str, str | None]:
        async with grens:
            for poging in range(1, _POGINGEN + 1):
                try:
                    run = await _maak_run(client, deployment_id, k)
                    await _bewaar_formulier(client, run, k)
                    sleutel = artefactsleutel(k.geval.referentie)
                    if gepubliceerd.get(sleutel) != k.overzicht:
                        await client.create_artifact(ArtifactCreate(
                            key=sleutel, type="markdown", data=k.overzicht,
                            description=artefactomschrijving(k.geval.referentie), flow_run_id=run.id))
                        gepubliceerd[sleutel] = k.overzicht
                    return k.geval.referentie, str(run.id)
                except (httpx.TransportError, PrefectHTTPStatusError) as exc:
                    # Every step is idempotent: a busy server (SQLite: 503) is simply asked again.
                    tijdelijk = isinstance(exc, httpx.TransportError) or exc.response.status_code >= 500
                    if not tijdelijk or poging == _POGINGEN:
                        _logger().warning("Casus %s niet in bulk klaargezet (%s); gaat de normale weg.",
                                          k.geval.referentie, type(exc).__name__)
                        return k.geval.referentie, None
                    uitkomst.herhaald += 1
                    await asyncio.sleep(min(10.0, 0.5 * 2 ** poging))
        return k.geval.referentie, None

    return dict(await asyncio.gather(*(een(k) for k in klaar)))


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


async def _start(gevallen: list[Geval], regio: Instellingen, modus, voortgang=None) -> Uitkomst:
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
        # The next page is read and rendered (a thread) while this page's requests are out.
        volgende = asyncio.create_task(asyncio.to_thread(bereid_voor, list(pagina_s[0]), regio, modus))
        for n in range(len(pagina_s)):
            klaar, anders = await volgende
            if n + 1 < len(pagina_s):
                volgende = asyncio.create_task(asyncio.to_thread(bereid_voor, list(pagina_s[n + 1]), regio, modus))
            uitkomst.anders.extend(anders)
            if klaar:
                runs = await _zet_klaar(client, deployment.id, klaar, grens, uitkomst)
                uitkomst.anders.extend(k.geval for k in klaar if runs[k.geval.referentie] is None)
                uitkomst.gestart.extend(await asyncio.to_thread(_leg_vast, klaar, runs))
            if voortgang is not None:
                voortgang(len(uitkomst.gestart))
    return uitkomst


def start_in_bulk(gevallen: list[Geval], voortgang=None) -> Uitkomst:
    """Create the runs of `gevallen` that can wait at their form at once; the rest (and every
    casus that cannot go in bulk) is returned in `anders` for a normal start. `voortgang` is
    called with the number created so far after each page."""
    bulk = [g for g in gevallen if kan_in_bulk(g)]
    regio = instellingen()
    modus = capaciteitsmodus(regio)
    # Its own event loop in its own thread (callable from anywhere, also where a loop runs),
    # with the caller's context: its Prefect settings (API URL) hold there too.
    with ThreadPoolExecutor(1) as uitvoerder:
        uitkomst = uitvoerder.submit(contextvars.copy_context().run, asyncio.run,
                                     _start(bulk, regio, modus, voortgang)).result()
    uitkomst.anders = [g for g in gevallen if not kan_in_bulk(g)] + uitkomst.anders
    return uitkomst


"""Tasks of the sentinel "casussen in beeld": find every open casus whose lifecycle run is not
waiting at its decision (rules in models.regels.in_beeld) and bring it back.

Bringing back: the old run is forced to Crashed (Prefect refuses to retry a Running run and a
cancel can hang in Cancelling), its leftover form answers are deleted, and a fresh lifecycle run
starts; that run first finishes every open follow-up (keyed: nothing goes out twice) and then
waits at the casus's decision again. When that cannot be done, the team leader hears at once.
Plain functions do the work (the CLI calls them too); the tasks wrap them for the flow.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed
from sqlalchemy import exists, func, or_
from sqlmodel import Session, select

from models.dossier import voortgang
from models.regels.besluiten import automatische_stap, sleutel, volgend_beslismoment
from models.opslag.casus import AuditEvent, Casus, Melding
from models.opslag.communicatie import Notificatie
from models.opslag.db import sessie
from models.dossier.wijzigingen import audit
from models.regels.in_beeld import (
    EINDSTATEN, OMSCHRIJVING, Bevinding, CasusStand, RunStand, beoordeel, te_vaak_hersteld,
)
from models.regels.instellingen import Instellingen, instellingen
from models.regels.levensloop import OPEN_STATUSSEN, Status
from models.regels.ontvangers import rol
from models.opslag.overdracht import Beslissing
from models.dossier.registratie import batched
from models.opslag.typen import nu
from tasks.invoer import verwijder_alle_antwoorden
from tasks.levensloop import nieuwe_levensloop_run, runlink

ACTOR = "bewaking"
HERSTELD = "levensloop_hersteld"
GESTART = "levensloop_gestart"
NIET_HERSTELD = "levensloop_niet_hersteld"
_PAGINA = 200  # run ids per API call


def _logger() -> logging.Logger | logging.LoggerAdapter:
    from prefect.context import TaskRunContext
    from prefect.logging import get_run_logger

    return get_run_logger() if TaskRunContext.get() else logging.getLogger(__name__)


@dataclass(frozen=True)
class Geval:
    """An open casus out of sight (codes only)."""

    referentie: str
    bevinding: str
    oude_run: str | None
    oude_staat: str | None


@dataclass(frozen=True)
class Herstel:
    uitkomst: str  # hersteld | in_orde | gemeld | al_gemeld
    nieuwe_run: str | None = None
    bericht: dict | None = None  # keyword arguments for plaats_notificatie (the team leader's e-mail)


# --- what Prefect and the case store say --------------------------------------------------------


def _uuid(run_id: str | None) -> UUID | None:
    try:
        return UUID(run_id) if run_id else None
    except ValueError:
        return None


def _runstand(run) -> RunStand | None:
    if run is None or run.state is None:
        return None
    return RunStand(staat=run.state.type.value, sinds=run.state.timestamp,
                    pauzesleutel=run.state.state_details.pause_key)


def runstanden(run_ids: list[str]) -> dict[str, RunStand]:
    """The state of each run Prefect knows, read in pages of ids (not one call per casus)."""
    ids = sorted({u for r in run_ids if (u := _uuid(r)) is not None})
    standen: dict[str, RunStand] = {}
    with get_client(sync_client=True) as client:
        for pagina in batched(ids, _PAGINA):
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(pagina))),
                                         limit=len(pagina))
            standen.update({str(run.id): stand for run in runs if (stand := _runstand(run)) is not None})
    return standen


def _runstand_nu(run_id: str | None) -> RunStand | None:
    if (uuid := _uuid(run_id)) is None:
        return None
    with get_client(sync_client=True) as client:
        try:
            return _runstand(client.read_flow_run(uuid))
        except ObjectNotFound:
            return None


def _wacht_op(session: Session, casus: Casus) -> str | None:
    """The pause key of the decision the casus waits for (None: no person needs to act)."""
    stand = voortgang.stand(session, casus)
    if stand.status is Status.afgesloten or automatische_stap(stand) is not None:
        return None
    moment = volgend_beslismoment(stand)
    return sleutel(casus.referentie, moment, voortgang.volgnummer(session, casus, moment))


def nazorg_open_sinds(session: Session, casus_ids: list[int]) -> dict[int, dt.datetime]:
    """Per casus: since when the oldest open follow-up (of a decision or an intake) waits."""
    sinds: dict[int, dt.datetime] = {}
    for kolom, tijd, open_ in ((Beslissing.casus_id, Beslissing.genomen_op, Beslissing.nazorg_klaar_op.is_(None)),
                               (Melding.casus_id, Melding.geregistreerd_op, Melding.intake_nazorg_klaar_op.is_(None))):
        for pagina in batched(casus_ids, 500):
            for casus_id, oudste in session.exec(select(kolom, func.min(tijd)).where(open_, kolom.in_(pagina))
                                                 .group_by(kolom)):
                sinds[casus_id] = min(oudste, sinds.get(casus_id, oudste))
    return sinds


def zonder_hartslag(run_ids: list[str], standen: dict[str, RunStand], venster: dt.timedelta) -> set[str]:
    """Of the runs the heartbeat automation named (`prefect.flow-run.<id>` or `<id>`), those still
    Running (or Pending: claimed by a worker that never started it) for longer than `venster`
    (levensloop.hartslag_venster_seconden: a start or any other state change within it counts as
    a sign of life) and from which Prefect recorded no heartbeat within it: their process is gone.
    Checked here, not taken from the automation: a trigger that arrives late must not restart a
    working run. A run that paused or ended meanwhile is not one of them."""
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    moment = nu()
    ids = {r.removeprefix("prefect.flow-run.") for r in run_ids}
    verdacht = {r for r in ids if (s := standen.get(r)) and s.staat in ("RUNNING", "PENDING")
                and moment - s.sinds > venster}
    if not verdacht:
        return set()
    with get_client(sync_client=True) as client:
        pagina = client.read_events(EventFilter(
            occurred=EventOccurredFilter(since=moment - venster, until=moment + dt.timedelta(minutes=1)),
            event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{r}" for r in verdacht])), limit=50)
    gehoord = {e.resource.id.removeprefix("prefect.flow-run.") for e in pagina.events}
    return verdacht - gehoord


def _markeer(standen: dict[str, RunStand], run_ids: list[str], regio: Instellingen) -> dict[str, RunStand]:
    venster = dt.timedelta(seconds=regio.levensloop.hartslag_venster_seconden)
    dood = zonder_hartslag(run_ids, standen, venster) if run_ids else set()
    return {r: replace(s, zonder_hartslag=True) if r in dood else s for r, s in standen.items()}


def _casusstand(session: Session, casus: Casus, run: RunStand | None, nazorg: dt.datetime | None) -> CasusStand:
    # The decision key only matters for a paused run: skip those queries for the others.
    wacht_op = _wacht_op(session, casus) if run is not None and run.staat == "PAUSED" else None
    return CasusStand(casus.referentie, casus.flow_run_id, wacht_op, nazorg,
                      afgesloten=Status(casus.status) is Status.afgesloten)


def _te_bewaken():
    """Open casussen, and closed ones whose follow-ups are not done (a crash right after the
    decision 'afsluiten' must still send the closing letter)."""
    nazorg_open = or_(
        exists().where(Beslissing.casus_id == Casus.id, Beslissing.nazorg_klaar_op.is_(None)),
        exists().where(Melding.casus_id == Casus.id, Melding.intake_nazorg_klaar_op.is_(None)),
    )
    return or_(Casus.status.in_([s.value for s in OPEN_STATUSSEN]), nazorg_open)


def _stap_max(regio: Instellingen) -> dt.timedelta:
    return dt.timedelta(seconds=regio.levensloop.stap_max_seconden)


def zoek_buiten_beeld(zonder_hartslag_ids: list[str] | None = None) -> list[Geval]:
    """Every open casus whose lifecycle run is not waiting at its decision, oldest casus first.
    `zonder_hartslag_ids`: runs the heartbeat automation named (checked here, not trusted)."""
    regio = instellingen()
    with sessie() as session:
        run_ids = session.exec(select(Casus.flow_run_id).where(_te_bewaken(), Casus.flow_run_id.is_not(None))).all()
    # Prefect first: a casus closed meanwhile is then read as closed
    standen = _markeer(runstanden(list(run_ids)), zonder_hartslag_ids or [], regio)
    moment = nu()
    gevallen = []
    with sessie() as session:
        casussen = session.exec(select(Casus).where(_te_bewaken()).order_by(Casus.id)).all()
        nazorg = nazorg_open_sinds(session, [c.id for c in casussen])
        for casus in casussen:
            run = standen.get(casus.flow_run_id)
            stand = _casusstand(session, casus, run, nazorg.get(casus.id))
            if (bevinding := beoordeel(stand, run, moment, _stap_max(regio))) is not None:
                gevallen.append(Geval(casus.referentie, bevinding.value, casus.flow_run_id,
                                      run.staat if run else None))
    return gevallen


# --- bringing a casus back ----------------------------------------------------------------------


def _opnieuw_beoordeeld(referentie: str, regio: Instellingen, zonder_hartslag_ids: list[str]) -> Geval | None:
    """The casus as it is now (a run may have moved on since the sweep read it)."""
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one()
        run_id = casus.flow_run_id
    run = _runstand_nu(run_id)
    if run is not None and run_id in zonder_hartslag_ids:
        run = _markeer({run_id: run}, [run_id], regio)[run_id]
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one()
        if casus.flow_run_id != run_id:
            return None  # someone else (another pass, the intake) gave it a run meanwhile
        stand = _casusstand(session, casus, run, nazorg_open_sinds(session, [casus.id]).get(casus.id))
        bevinding = beoordeel(stand, run, nu(), _stap_max(regio))
    return Geval(referentie, bevinding.value, run_id, run.staat if run else None) if bevinding else None


def _herstarts(session: Session, casus: Casus) -> list[dt.datetime]:
    return list(session.exec(select(AuditEvent.tijdstip).where(AuditEvent.casus_id == casus.id,
                                                               AuditEvent.actie == HERSTELD)))


def _beeindig(run_id: str | None, staat: str | None) -> None:
    """Force the old run into a final state (Prefect refuses a retry of a Running run, and a
    cancel of a run whose process died hangs in Cancelling), then delete its form answers."""
    if (uuid := _uuid(run_id)) is None or staat is None:
        return
    if staat not in EINDSTATEN:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(uuid, Crashed(message="Opnieuw gestart door de bewaking 'casussen in beeld'."),
                                      force=True)
    verwijder_alle_antwoorden(uuid)


def _idempotentiesleutel(geval: Geval) -> str:
    """A new key per restart, derived from the run it replaces. A casus without a (known) run
    gets the key the intake uses, so a sweep racing the intake never starts a second run."""
    if geval.bevinding in (Bevinding.geen_run, Bevinding.run_onbekend):
        return f"levensloop-{geval.referentie}-{geval.oude_run or 'eerste'}"
    return f"levensloop-{geval.referentie}-herstart-{geval.oude_run}"


def _bericht(geval: Geval, reden: str, regio: Instellingen, casus: Casus) -> dict:
    return dict(
        sleutel=f"levensloop_buiten_beeld:{geval.referentie}:{geval.oude_run or 'geen'}", soort="levensloop_buiten_beeld",
        ontvanger=rol(regio.levensloop.bewaking_rol), template="notificaties/levensloop_buiten_beeld.txt.j2",
        context=dict(casus_referentie=geval.referentie, wat=OMSCHRIJVING[Bevinding(geval.bevinding)], reden=reden,
                     link=runlink(regio, geval.oude_run) if geval.oude_run else None,
                     telefoon=regio.afzender.telefoon),
        casus_id=casus.id,
    )


def _meld(geval: Geval, reden_code: str, reden: str, regio: Instellingen) -> Herstel:
    """Tell the team leader (once per stuck run) and note it in the casus's audit trail."""
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == geval.referentie)).one()
        bericht = _bericht(geval, reden, regio, casus)
        if session.exec(select(Notificatie.id).where(Notificatie.sleutel == bericht["sleutel"])).first():
            return Herstel("al_gemeld")
        audit(session, casus, ACTOR, NIET_HERSTELD, reden=reden_code, details=dict(
            bevinding=geval.bevinding, oude_staat=geval.oude_staat, oude_run=geval.oude_run))
    _logger().error("Casus %s is buiten beeld (%s) en is niet hersteld: %s.", geval.referentie, geval.bevinding,
                    reden_code)
    return Herstel("gemeld", bericht=bericht)


def herstel(geval: Geval) -> Herstel:
    """Bring one casus back to its decision, or say whom to tell."""
    regio = instellingen()
    stil = [geval.oude_run] if geval.bevinding == Bevinding.hartslag_gemist and geval.oude_run else []
    if (geval := _opnieuw_beoordeeld(geval.referentie, regio, stil)) is None:
        return Herstel("in_orde")
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == geval.referentie)).one()
        herstarts = _herstarts(session, casus)
    if te_vaak_hersteld(herstarts, nu(), regio.levensloop.max_herstarts,
                        dt.timedelta(minutes=regio.levensloop.herstart_venster_minuten)):
        return _meld(geval, "te_vaak_hersteld", f"de levensloop is al {len(herstarts)} keer opnieuw gestart en "
                     "loopt steeds weer vast", regio)
    try:
        _beeindig(geval.oude_run, geval.oude_staat)
        nieuwe_run, vastgelegd = nieuwe_levensloop_run(geval.referentie, _idempotentiesleutel(geval), geval.oude_run)
    except Exception as exc:  # noqa: BLE001 - whatever failed, a person must hear of it now
        _logger().warning("Herstarten van casus %s mislukt: %s", geval.referentie, type(exc).__name__)
        return _meld(geval, "herstarten_mislukt", "opnieuw starten lukte niet", regio)
    if not vastgelegd:
        return Herstel("in_orde")  # another pass (or the intake) recorded this same run first
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == geval.referentie)).one()
        # A casus that never had a run (demo data, an import) is started, not restored.
        actie = GESTART if geval.bevinding == Bevinding.geen_run else HERSTELD
        audit(session, casus, ACTOR, actie, details=dict(
            bevinding=geval.bevinding, oude_staat=geval.oude_staat, oude_run=geval.oude_run, nieuwe_run=nieuwe_run))
    if actie == GESTART:
        _logger().info("Casus %s: levensloop gestart (run %s).", geval.referentie, nieuwe_run)
    else:
        _logger().warning("Casus %s was buiten beeld (%s); levensloop opnieuw gestart: run %s.", geval.referentie,
                          geval.bevinding, nieuwe_run)
    return Herstel("hersteld", nieuwe_run=nieuwe_run)


# --- tasks for the flow ---------------------------------------------------------------------------


@task(name="casussen buiten beeld zoeken", cache_policy=NO_CACHE)
def zoek_casussen_buiten_beeld(zonder_hartslag_ids: list[str] | None = None) -> list[Geval]:
    return zoek_buiten_beeld(zonder_hartslag_ids)


@task(name="casus terug in beeld brengen", cache_policy=NO_CACHE)
def breng_terug_in_beeld(geval: Geval) -> Herstel:
    return herstel(geval)

"""Tasks of the lifecycle flow: each reads or changes one thing in the case store (or in
Prefect) and returns references, codes and Dutch messages only.

None of these tasks is cached: the case store is the source of truth, and a flow that runs
again after a resume must see the casus as it is now, not as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from uuid import UUID

from prefect import get_client, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, select

from models.dossier import uitgaand
from models.dossier import voortgang
from models.regels.besluiten import (
    BESLISSINGEN,
    DEELNEMER_OMSCHRIJVING,
    LOCATIE_OMSCHRIJVING,
    Bericht,
    Beslismoment,
    BriefOpdracht,
    Deelnemer,
    Gevolgd,
    Locatie,
    automatische_stap,
    sleutel,
    volgend_beslismoment,
    voorstel_warme_overdracht,
)
from models.opslag.casus import AuditEvent, Casus, Termijn
from models.opslag.communicatie import Brief, Notificatie
from models.opslag.db import sessie
from models.dossier.wijzigingen import GelijktijdigeWijziging, casus_op_referentie, open_termijnen
from models.regels.fouten import beschrijf_validatiefouten
from models.regels.weergave import naar_codes, plek
from models.regels.instellingen import CapaciteitsModus, Instellingen, Plustaak, TermijnSoort, instellingen
from models.regels.levensloop import Status, stap_in_woorden
from models.regels.ontvangers import adres, rol
from models.opslag.overdracht import Beslissing, Overdracht
from models.opslag.storingspunt import storingspunt
from models.opslag.typen import nu
from models.regels.locaties import adres_van
from tasks.artefacten import markdown_als_gewijzigd
from tasks.capaciteit import capaciteitsmodus
from tasks.invoer import bewaar_geweigerd, lees_invoer, verwijder_alle_antwoorden, verwijder_invoer
from templates import render

LEVENSLOOP_DEPLOYMENT = "casus-levensloop/casus levensloop"
# Tags of a lifecycle run that describe the casus; replaced whenever the casus moves.
_LABEL_VOORVOEGSELS = ("gemeente:", "stap:", "urgentie:", "buiten-beeld")


def runlink(regio: Instellingen, flow_run_id: str | UUID | None) -> str:
    return f"{regio.regio.ui_basis_url.rstrip('/')}/runs/flow-run/{flow_run_id}"


def dossierlink(regio: Instellingen, referentie: str) -> str:
    """The dossier page of a casus (web/dossier behind the gateway): the reference only."""
    return f"{regio.regio.dossier_basis_url.rstrip('/')}/casus/{referentie}"


def met_herhaling(werk, pogingen: int = 3):
    """Run a unit of work again when someone else changed the casus in between (optimistic
    lock): the work reads the casus afresh each time."""
    for poging in range(1, pogingen + 1):
        try:
            return werk()
        except GelijktijdigeWijziging:
            if poging == pogingen:
                raise


# --- where is the casus -------------------------------------------------------------------------


@dataclass(frozen=True)
class Stap:
    """What the lifecycle does next for a casus (codes and Dutch text without personal data)."""

    referentie: str
    status: str
    labels: list[str]
    afgesloten: bool = False
    automatisch: str | None = None  # the next state when no person needs to decide
    moment: str | None = None  # the decision the casus waits for
    sleutel: str | None = None  # unique per decision occurrence
    beschrijving: str = ""  # short markdown shown above the form
    kop: str = ""  # title and help text of the form's first field: what must be seen without scrolling
    toelichting: str = ""
    beginwaarden: dict = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)  # names of the lokale teams of the casus's gemeente


def _labels(casus: Casus, regio: Instellingen) -> list[str]:
    # Words, not codes: the step without underscores ("stap:voorwaarden en vervolg").
    labels = [f"gemeente:{regio.gemeente(casus.gemeente_code).naam}", f"stap:{stap_in_woorden(casus.status)}",
              f"urgentie:{casus.urgentie}"]
    return labels + (["buiten-beeld"] if casus.buiten_beeld else [])


def _overdracht_feiten(overdracht: Overdracht | None) -> dict | None:
    if overdracht is None:
        return None
    return {
        "lokaal_team_code": overdracht.lokaal_team_code,
        "type": overdracht.type,
        "regie": overdracht.regie,
        "driegesprek_op": overdracht.driegesprek_op.isoformat() if overdracht.driegesprek_op else None,
        "locatie": overdracht.locatie,
        "deelnemers": list(overdracht.deelnemers),
        "overdrachtstafel_op": overdracht.overdrachtstafel_op.isoformat() if overdracht.overdrachtstafel_op else None,
    }


def _uitleg(session: Session, casus: Casus, moment: Beslismoment, regio: Instellingen,
            modus: CapaciteitsModus, overdracht: Overdracht | None, fouten: list[str]) -> tuple[str, str, str]:
    """(short markdown above the form, title and help text of its first field). The Classic UI
    squeezes the markdown of a long form to nothing, and the new UI shows only its top: what a
    person must see (refusal reasons, deadlines, the lists the form refers to) goes into the
    first field, which both show at once."""
    gemeente = regio.gemeente(casus.gemeente_code)
    ctx = voortgang.context(session, casus, regio, modus)
    monitoring = None
    if moment is Beslismoment.monitoring:
        monitoring = {"momenten": regio.monitoring_momenten_maanden,
                      "vervalt_op": [t.vervalt_op for t in open_termijnen(session, casus, TermijnSoort.monitoring)]}
    teams = _teamnamen(gemeente)
    samen = voortgang.samen_optrekken_van_onderzoek(session, casus)
    feiten = dict(
        vraag=BESLISSINGEN[moment].vraag, moment=moment.value, referentie=casus.referentie, gemeente_naam=gemeente.naam,
        urgentie=casus.urgentie, status=casus.status, buiten_beeld=casus.buiten_beeld,
        continuiteitsplan=modus is CapaciteitsModus.continuiteitsplan,
        termijnen=open_termijnen(session, casus), gepland=ctx.gepland.value if ctx.gepland else None,
        overdracht=dict(_overdracht_feiten(overdracht), driegesprek_op=overdracht.driegesprek_op,
                        overdrachtstafel_op=overdracht.overdrachtstafel_op,
                        team_naam=teams.get(overdracht.lokaal_team_code, overdracht.lokaal_team_code))
        if overdracht else None,
        samen_met=teams.get(samen.lokaal_team_code) if samen else None,
        samen_mogelijk=moment is Beslismoment.besluit and gemeente.neemt_af(Plustaak.samen_optrekken),
        overdrachtstafel=gemeente.overdrachtstafel if moment is Beslismoment.besluit else None,
        locaties=LOCATIE_OMSCHRIJVING, monitoring=monitoring, teams=list(teams.values()),
        toon_teams="lokaal_team" in BESLISSINGEN[moment].model_fields, fouten=fouten,
        dossier=dossierlink(regio, casus.referentie),
    )
    return (render("casus/vraag.md.j2", **feiten), render("casus/vraag_kop.txt.j2", **feiten).strip(),
            een_regel(render("casus/vraag_toelichting.txt.j2", **feiten)))


def een_regel(tekst: str) -> str:
    """Plain-text lines as one help text (the UIs join lines anyway)."""
    return " ".join(regel.strip() for regel in tekst.splitlines() if regel.strip())


@task(name="casus lezen", cache_policy=NO_CACHE)
def lees_stap(casus_referentie: str, fouten: list[str] | None = None) -> Stap:
    """Where the casus is and what it waits for; `fouten` are shown above the form again."""
    regio = instellingen()
    with sessie() as session:
        return stap_van(session, casus_op_referentie(session, casus_referentie), regio, capaciteitsmodus(regio),
                        fouten or [])


def stap_van(session: Session, casus: Casus, regio: Instellingen, modus: CapaciteitsModus,
             fouten: list[str]) -> Stap:
    """`lees_stap` for a casus already read (the bulk start reads many in one session)."""
    stand = voortgang.stand(session, casus)
    basis = dict(referentie=casus.referentie, status=casus.status, labels=_labels(casus, regio))
    if stand.status is Status.afgesloten:
        return Stap(**basis, afgesloten=True)
    if (naar := automatische_stap(stand)) is not None:
        return Stap(**basis, automatisch=naar.value)
    moment = volgend_beslismoment(stand)
    overdracht = voortgang.open_overdracht(session, casus)
    gemeente = regio.gemeente(casus.gemeente_code)
    sleutel_nu = sleutel(casus.referentie, moment, voortgang.volgnummer(session, casus, moment))
    beschrijving, kop, toelichting = _uitleg(session, casus, moment, regio, modus, overdracht, fouten)
    beginwaarden = BESLISSINGEN[moment].beginwaarden(gemeente, overdracht.regie if overdracht else None)
    if moment is Beslismoment.uitkomst_onderzoek and (samen := voortgang.samen_optrekken_van_onderzoek(session, casus)):
        beginwaarden |= voorstel_warme_overdracht(samen.lokaal_team_code)  # seed 003: warm by itself
    if "lokaal_team" in beginwaarden:  # the form shows teams by name
        beginwaarden["lokaal_team"] = _teamnamen(gemeente).get(beginwaarden["lokaal_team"])
    return Stap(
        **basis, moment=moment.value, sleutel=sleutel_nu, beschrijving=beschrijving, kop=kop,
        toelichting=toelichting,
        # The form says which occurrence it is for: a stale form is refused (verwerk_beslissing).
        beginwaarden=beginwaarden | {"formulier_voor": sleutel_nu},
        teams=list(_teamnamen(gemeente).values()),
    )


def _teamnamen(gemeente) -> dict[str, str]:
    return {t.code: t.naam for t in gemeente.lokale_teams}


# --- moving the casus ---------------------------------------------------------------------------


@task(name="automatische stap", cache_policy=NO_CACHE)
def zet_automatische_stap(casus_referentie: str) -> str:
    """The front-door check: ontvangen -> veiligheidscheck -> veiligheidsbeoordeling, as far
    as no person needs to act (an acute melding waits for its first action)."""
    regio = instellingen()

    def werk() -> str:
        with sessie() as session:
            casus = casus_op_referentie(session, casus_referentie)
            while (naar := automatische_stap(voortgang.stand(session, casus))) is not None:
                voortgang.zet_automatische_stap(session, casus, naar, regio)
            return casus.status

    return met_herhaling(werk)


@task(name="beslissing verwerken", cache_policy=NO_CACHE)
def verwerk_beslissing(casus_referentie: str, moment: str, beslissleutel: str, pauzesleutel: str) -> list[str]:
    """Read the form staff submitted, check it, and carry it out in one transaction. Returns
    the Dutch reasons it was refused (empty: done). A form made for another occurrence than
    `beslissleutel` (a second tab, answered after a colleague decided) is refused, naming
    what changed and who changed it. The form's content is deleted from Prefect whatever happens."""
    run_id = flow_run.id
    model = BESLISSINGEN[Beslismoment(moment)]
    try:
        ruw = lees_invoer(run_id, pauzesleutel)
        if ruw is None:
            return ["Er kwam geen ingevuld formulier binnen; vul het opnieuw in."]
        regio = instellingen()
        modus = capaciteitsmodus(regio)
        titels = {naam: info.title for naam, info in model.model_fields.items() if info.title}
        with sessie() as session:
            gemeente = regio.gemeente(casus_op_referentie(session, casus_referentie).gemeente_code)
        gegevens, fouten = naar_codes(model, ruw, {"lokaal_team": {n: c for c, n in _teamnamen(gemeente).items()}},
                                      titels)
        try:
            invoer = model.model_validate(gegevens)
        except ValidationError as exc:
            fouten += beschrijf_validatiefouten(exc, lambda loc: plek(loc, titels))
        if fouten:
            bewaar_geweigerd(run_id, pauzesleutel, ruw)
            return fouten

        def werk() -> list[str]:
            with sessie() as session:
                casus = casus_op_referentie(session, casus_referentie)
                if voortgang.formulier_is_verouderd(invoer.formulier_voor, beslissleutel):
                    return [_verouderd_formulier(session, casus, invoer.formulier_voor)]
                if volgend_beslismoment(voortgang.stand(session, casus)) is not invoer.moment:
                    return []  # the casus moved on meanwhile (a rerun): nothing left to decide here
                ctx = voortgang.context(session, casus, regio, modus)
                if fouten := invoer.fouten(ctx):
                    bewaar_geweigerd(run_id, pauzesleutel, ruw)  # the next form starts with what was typed
                    return fouten
                try:
                    voortgang.leg_beslissing_vast(session, casus, beslissleutel, invoer, ctx, regio)
                except voortgang.BeslissingAlVastgelegd:
                    get_run_logger().info("Beslissing %s was al vastgelegd; niets herhaald.", beslissleutel)
                return []

        fouten = met_herhaling(werk)
        if not fouten:
            get_run_logger().info("Casus %s: %s vastgelegd (%s).", casus_referentie, moment, invoer.keuze)
            storingspunt("beslissing_vastgelegd")
        return fouten
    finally:
        verwijder_invoer(run_id, pauzesleutel)


def _verouderd_formulier(session: Session, casus: Casus, formulier_voor: str) -> str:
    """Dutch: this form was for an earlier occurrence; what changed since, and who changed it."""
    beslissing, laatste = voortgang.wat_veranderde(session, casus, formulier_voor)
    return render(
        "casus/verouderd_formulier.md.j2", formulier_voor=formulier_voor,
        vraag=BESLISSINGEN[Beslismoment(beslissing.moment)].vraag if beslissing else None, beslissing=beslissing,
        laatste=laatste, status=casus.status,
    ).strip().replace("\n", " ")


# --- follow-ups: letters and e-mails ------------------------------------------------------------


@dataclass(frozen=True)
class NazorgOpdracht:
    beslissing_id: int
    aanleiding: str  # the decision's key: letters and e-mails are made once per occasion
    brieven: list[BriefOpdracht]
    berichten: list[dict]  # keyword arguments for tasks.bezorging.plaats_notificatie


def _bericht(soort: Bericht, beslissing: Beslissing, casus: Casus, regio: Instellingen,
             overdracht: dict | None) -> dict:
    gemeente = regio.gemeente(casus.gemeente_code)
    basis = dict(casus_referentie=casus.referentie, gemeente_naam=gemeente.naam,
                 telefoon=regio.afzender.telefoon, afzender=regio.afzender.naam)
    if soort is Bericht.rvdk_college:
        ontvanger, context = adres(str(gemeente.college_email)), dict(basis, besluit_op=beslissing.genomen_op)
    elif soort is Bericht.samen_optrekken_uitnodiging:
        team = next(t for t in gemeente.lokale_teams if t.code == beslissing.details["samen_met"])
        ontvanger = adres(str(team.email))
        context = dict(basis, lokaal_team_naam=team.naam,
                       datum=dt.datetime.fromisoformat(beslissing.details["samen_start_op"]))
    elif soort is Bericht.driegesprek_uitnodiging:
        team = next(t for t in gemeente.lokale_teams if t.code == overdracht["lokaal_team_code"])
        ontvanger = adres(str(team.email))
        context = dict(basis, lokaal_team_naam=team.naam,
                       datum=dt.datetime.fromisoformat(overdracht["driegesprek_op"]),
                       plaats=LOCATIE_OMSCHRIJVING[Locatie(overdracht["locatie"])],
                       adres=adres_van(overdracht["locatie"], regio, casus.gemeente_code, team.code),
                       deelnemers=[DEELNEMER_OMSCHRIJVING[Deelnemer(d)] for d in overdracht["deelnemers"]],
                       regie="het lokaal team" if overdracht["regie"] == "lokaal_team" else "Veilig Thuis")
    else:
        ontvanger = rol(regio.levensloop.buiten_beeld_rol)
        context = dict(basis, reden=beslissing.details.get("reden", "onbekend"), link=runlink(regio, casus.flow_run_id))
    return dict(sleutel=f"{soort.value}:{beslissing.sleutel}", soort=soort.value, ontvanger=ontvanger,
                template=f"notificaties/{soort.value}.txt.j2", context=context, casus_id=casus.id)


def open_nazorg(casus_referentie: str) -> list[NazorgOpdracht]:
    """The letters and e-mails of stored decisions whose follow-up is not done yet. A decision
    that never took effect (possible in stores of older versions) is withdrawn first. Read in the
    task `lees_casus`."""
    regio = instellingen()
    opdrachten = []
    with sessie() as session:
        casus = casus_op_referentie(session, casus_referentie)
        for weg in voortgang.trek_onuitgevoerde_in(session, casus):
            get_run_logger().warning("Casus %s: besluit %s (%s) was door een storing niet uitgevoerd; het wordt "
                                     "opnieuw gevraagd.", casus_referentie, weg.sleutel, weg.keuze)
        for beslissing in voortgang.open_nazorg(session, casus):
            overdracht = _overdracht_feiten(_overdracht_van(session, casus))
            moment = Beslismoment(beslissing.moment)
            gevolg = BESLISSINGEN[moment].nazorg(Gevolgd(
                moment=moment, keuze=beslissing.keuze, van=Status(beslissing.van_status),
                naar=Status(beslissing.naar_status) if beslissing.naar_status else None,
                details=beslissing.details, overdracht=overdracht,
            ))
            opdrachten.append(NazorgOpdracht(
                beslissing.id, beslissing.sleutel, gevolg.brieven,
                [_bericht(b, beslissing, casus, regio, overdracht) for b in gevolg.berichten],
            ))
    return opdrachten


def _overdracht_van(session: Session, casus: Casus) -> Overdracht | None:
    """The handover the follow-ups are about: the newest one (follow-ups run right after the
    decision, before a later decision can start another handover)."""
    return session.exec(
        select(Overdracht).where(Overdracht.casus_id == casus.id).order_by(Overdracht.id.desc())
    ).first()


@dataclass(frozen=True)
class Openstaand:
    """What the lifecycle does next: the follow-ups still open, or else (`stap`) the casus's step."""

    intakes: list = field(default_factory=list)  # tasks.intake.Intake
    nazorg: list[NazorgOpdracht] = field(default_factory=list)
    stap: Stap | None = None


@task(name="casus lezen", cache_policy=NO_CACHE)
def lees_casus(casus_referentie: str, fouten: list[str] | None = None) -> Openstaand:
    """`open_intakes`, `open_nazorg` and, when neither finds anything, `lees_stap`, as one task:
    every task run is three state events the Prefect server records, and a step read the casus
    three times over (six task runs of the fourteen of a decision)."""
    from tasks.intake import open_intakes  # tasks.intake builds on this module

    intakes, nazorg = open_intakes(casus_referentie), open_nazorg(casus_referentie)
    if intakes or nazorg:
        return Openstaand(intakes=intakes, nazorg=nazorg)
    return Openstaand(stap=lees_stap.fn(casus_referentie, fouten))


@task(name="nazorg afgerond", cache_policy=NO_CACHE)
def markeer_nazorg_klaar(beslissing_id: int) -> None:
    with sessie() as session:
        voortgang.markeer_nazorg_klaar(session, beslissing_id)


# --- what the UI shows --------------------------------------------------------------------------


@task(name="runlabels bijwerken", cache_policy=NO_CACHE)
def werk_runlabels_bij(labels: list[str]) -> None:
    """Tags of this run = its own tags + the casus's gemeente, step and urgency, so the run
    list filtered on 'Suspended' and a tag is a team's work list."""
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run.id)
        eigen = [t for t in run.tags if not t.startswith(_LABEL_VOORVOEGSELS)]
        nieuw = eigen + [label for label in labels if label not in eigen]
        if sorted(nieuw) != sorted(run.tags):
            client.update_flow_run(flow_run.id, tags=nieuw)


def _tijdlijn(session: Session, casus: Casus) -> list[dict]:
    events = session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id).order_by(AuditEvent.id))
    return [dict(tijdstip=e.tijdstip, actie=e.actie, van=e.van_status, naar=e.naar_status, details=e.details)
            for e in events]


@task(name="casusoverzicht publiceren", cache_policy=NO_CACHE)
def publiceer_casusoverzicht(casus_referentie: str) -> None:
    """A markdown artifact per casus (key `casus-vt-2026-000123`): step, deadlines, timeline; a
    new version only when it changed (not one per step of a run).
    Who did what stays in the audit trail: the artifact holds no names at all."""
    regio = instellingen()
    with sessie() as session:
        markdown = casusoverzicht(session, casus_op_referentie(session, casus_referentie), regio)
    markdown_als_gewijzigd(artefactsleutel(casus_referentie), markdown, artefactomschrijving(casus_referentie))


def artefactsleutel(casus_referentie: str) -> str:
    return f"casus-{casus_referentie.lower()}"


def artefactomschrijving(casus_referentie: str) -> str:
    return f"Casus {casus_referentie}: stap, termijnen en tijdlijn"


def casusoverzicht(session: Session, casus: Casus, regio: Instellingen) -> str:
    """The markdown of the case artifact as the casus stands."""
    moment = volgend_beslismoment(voortgang.stand(session, casus))
    gemeente = regio.gemeente(casus.gemeente_code)
    return render(
        "casus/overzicht.md.j2", referentie=casus.referentie, gemeente_naam=gemeente.naam,
        gemeente_code=gemeente.code, urgentie=casus.urgentie, status=casus.status,
        status_sinds=casus.status_sinds, wacht_op=BESLISSINGEN[moment].vraag if moment else None,
        lokaal_team=casus.lokaal_team_code, regie=casus.regie, buiten_beeld=casus.buiten_beeld,
        aantal_meldingen=casus.aantal_meldingen, termijnen=_termijnstanden(session, casus),
        tijdlijn=_tijdlijn(session, casus), onbezorgd=_onbezorgd(session, casus),
        dossier=dossierlink(regio, casus.referentie),
    )


def _onbezorgd(session: Session, casus: Casus) -> list[dict]:
    """Letters and messages of the casus that did not arrive yet (mail outage) or were given up."""
    return [dict(wat=f"{tabel.weergavenaam} {rij.id}", deployment=tabel.opnieuw_versturen, soort=rij.soort, status=rij.status, pogingen=rij.pogingen,
                 volgende_poging=rij.volgende_poging_op)
            for tabel in (Notificatie, Brief) for rij in uitgaand.onbezorgd(session, tabel, casus.id)]


def _termijnstanden(session: Session, casus: Casus) -> list[dict]:
    moment = nu()
    standen = []
    for t in session.exec(select(Termijn).where(Termijn.casus_id == casus.id).order_by(Termijn.vervalt_op)):
        if t.voldaan_op:
            stand = "voldaan" + ("" if t.voldaan_op <= t.vervalt_op else " (te laat)")
        elif t.opgeschort_op:
            stand = "opgeschort"
        else:
            stand = "VERLOPEN" if t.vervalt_op < moment else "loopt"
        standen.append(dict(soort=t.soort, vervalt_op=t.vervalt_op, stand=stand))
    return standen


@task(name="formulierresten opruimen", cache_policy=NO_CACHE)
def ruim_formulieren_op() -> int:
    """Delete any form response of this run still in Prefect (left by a crash)."""
    return verwijder_alle_antwoorden(flow_run.id)


# --- starting lifecycle runs ---------------------------------------------------------------------


def _run_bestaat(client, flow_run_id: str | None) -> bool:
    from prefect.exceptions import ObjectNotFound

    if not flow_run_id:
        return False
    try:
        client.read_flow_run(UUID(flow_run_id))
    except ObjectNotFound:
        return False
    return True


def start_levensloop_run(casus_referentie: str) -> tuple[str, bool]:
    """Start the lifecycle run of a casus unless it has one: (run id, newly started). The
    idempotency key makes Prefect hand back the same run when asked twice."""
    with sessie() as session:
        bekend = casus_op_referentie(session, casus_referentie).flow_run_id
    with get_client(sync_client=True) as client:
        if _run_bestaat(client, bekend):
            return bekend, False
    run_id, _ = nieuwe_levensloop_run(casus_referentie, f"levensloop-{casus_referentie}-{bekend or 'eerste'}", bekend)
    return run_id, True


def nieuwe_levensloop_run(casus_referentie: str, idempotentiesleutel: str, vorige: str | None) -> tuple[str, bool]:
    """Start a lifecycle run under this key and record it on the casus in place of `vorige`.
    Returns (run id, recorded here): False when another caller recorded a run meanwhile (with
    the same key Prefect hands back the same run, so nothing runs twice)."""
    from prefect.deployments import run_deployment

    with sessie() as session:
        casus = casus_op_referentie(session, casus_referentie)
        gemeente, urgentie, geopend_op = casus.gemeente_code, casus.urgentie, casus.geopend_op
    gemeente = instellingen().gemeente(gemeente).naam  # tags name the gemeente as staff know it
    run = run_deployment(
        LEVENSLOOP_DEPLOYMENT, parameters={"casus_referentie": casus_referentie}, timeout=0, as_subflow=False,
        idempotency_key=volledige_sleutel(idempotentiesleutel, geopend_op),
        tags=[f"gemeente:{gemeente}", f"urgentie:{urgentie}"],
    )
    with sessie() as session:
        return str(run.id), leg_run_vast(session, casus_referentie, str(run.id), vorige)


def volledige_sleutel(idempotentiesleutel: str, geopend_op: dt.datetime) -> str:
    """The moment the casus was opened makes the key unique to this case store: a Prefect server
    that outlived its case store (a demo reset, a restore) never hands back another casus's run
    that happens to carry the same reference."""
    return f"{idempotentiesleutel}@{geopend_op:%Y%m%dT%H%M%S%f}"


def leg_run_vast(session: Session, casus_referentie: str, run_id: str, vorige: str | None) -> bool:
    """Record `run_id` on the casus in place of `vorige`; False when another caller recorded a
    run meanwhile. A pointer to the orchestration, not a change of the casus: no version bump,
    no race with the run that starts right now."""
    vorig = Casus.flow_run_id.is_(None) if vorige is None else Casus.flow_run_id == vorige
    resultaat = session.execute(update(Casus).where(Casus.referentie == casus_referentie, vorig)
                                .values(flow_run_id=run_id).execution_options(synchronize_session=False))
    return resultaat.rowcount == 1


@task(name="levensloop starten", cache_policy=NO_CACHE)
def start_levensloop(casus_referentie: str) -> str:
    run_id, nieuw = start_levensloop_run(casus_referentie)
    get_run_logger().info("Levensloop van casus %s: run %s (%s).", casus_referentie, run_id,
                          "gestart" if nieuw else "liep al")
    return run_id

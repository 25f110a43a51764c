"""Tasks that make letters to families and melders and deliver them.

Interface for the lifecycle (issue 3):

    maak_brief(casus_referentie, soort, aanleiding, gegevens=None) -> list[int]
        Renders, archives and queues the letter(s) one occasion asks for; returns their ids.
        Idempotent: the key is (casus, soort, aanleiding), so asking again returns the same ids
        and never makes or sends a second letter. A family letter gives one id; a letter to the
        melder gives one id per melder who asked for terugkoppeling (an empty list when the only
        melder is anonymous or asked for none). `aanleiding` names the occasion: 1-64 characters
        from [A-Za-z0-9._-], e.g. "intake", "vb-1", "overdracht", "onderzoek", "afsluiting".

    bezorg_brieven(alleen=None) -> BezorgResultaat(verzonden, mislukte_pogingen, opgegeven)
        Delivers due letters (or only the given ids, if due): post = a copy in the print queue
        folder, e-mail = the PDF attached (only with the recipient's consent).

`soort` and the `gegevens` each needs (non-personal facts; names and addresses are read from
the case store here). Fields marked (casus) fall back to the casus when left out; a value that
is still missing fails with OngeldigeBriefgegevens and no letter is made:

    to the family
    - melding_ontvangen        melding_referentie (optional; default the casus' latest melding)
    - wachtlijst               wacht_sinds: date (sent by the werkvoorraad-zorg flow)
    - overdracht_bevestiging   lokaal_team_code (casus), regie: "veilig_thuis" | "lokaal_team" (casus)
    - uitnodiging_driegesprek  lokaal_team_code (casus), datum: datetime with timezone, plaats: str,
                               deelnemers: list[str] of roles, optional (no names)
    - afsluiting               reden: "einde_bemoeienis" (default) | "overgedragen" | "na_monitoring",
                               lokaal_team_code (casus; needed for "overgedragen")
    to the melder
    - terugkoppeling_veiligheidsbeoordeling
                               besluit: afsluiten | overdracht | voorwaarden_en_vervolg | onderzoek |
                               werkvoorraad | rvdk_verzoek (casus: from its status),
                               lokaal_team_code (casus; needed for overdracht and V&V)
    - terugkoppeling_onderzoek as above, without onderzoek and werkvoorraad

Task results carry letter ids and counts only; names, addresses and e-mail addresses never
reach Prefect (parameters, results, logs).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import apprise
from jinja2 import UndefinedError
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session, select

from models.brieven import inhoud as b
from models.dossier import uitgaand
from models.opslag.bestanden import PRIVE, Toegang, beperk_bestand, maak_map, printwachtrij_toegang
from models.opslag.casus import Casus
from models.opslag.communicatie import Brief
from models.opslag.db import sessie
from models.dossier.wijzigingen import audit, casus_op_referentie
from models.regels.instellingen import Instellingen, instellingen
from models.opslag.typen import nu
from tasks.acties import actielink
from tasks.bezorging import BezorgResultaat, Bezorgwijze, bezorg, escaleer, zet_klaar
from templates import render_onderwerp_en_inhoud

ACTOR = "orkestratie"
GEEN_ADRES = "Geen postadres en geen toestemming voor e-mail bekend."


# --- making letters ------------------------------------------------------------------------------


def soort_van(soort: str) -> b.BriefSoort:
    try:
        return b.BriefSoort(soort)
    except ValueError:
        raise b.OngeldigeBriefgegevens(
            f"onbekende briefsoort '{soort}' (kies uit: {', '.join(s.value for s in b.BriefSoort)})"
        ) from None


def schrijf_atomisch(pad: Path, inhoud: bytes, toegang: Toegang = PRIVE, basis: Path | None = None) -> None:
    """Write via a temporary file and rename: a reader (the mail room) never sees half a PDF.
    The folders from `basis` down and the file get `toegang` (models/opslag/bestanden.py)."""
    maak_map(pad.parent, toegang, basis)
    fd, tijdelijk = tempfile.mkstemp(dir=pad.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            beperk_bestand(f.fileno(), toegang)
            f.write(inhoud)
        os.replace(tijdelijk, pad)
    except BaseException:
        Path(tijdelijk).unlink(missing_ok=True)
        raise


@dataclass
class Voorbereid:
    """A letter with its HTML ready. Nothing is written until its key is reserved (`brief`)."""

    verzoek: b.Briefverzoek
    html: str
    kanaal: b.BriefKanaal
    brief: Brief | None = None


def bereid_voor(
    session: Session, casus: Casus, soort: b.BriefSoort, aanleiding: str, gegevens: dict | None, regio: Instellingen
) -> tuple[list[Voorbereid], list[int]]:
    """(letters of one occasion still to make, with their HTML; ids of those that exist).
    Only reads: a missing fact or template value fails here, before any letter of the occasion
    is reserved, so there is nothing to undo."""
    verzoeken, bestaand = nieuwe_verzoeken(session, casus, soort, aanleiding, gegevens)
    datum = nu().astimezone(b.AMSTERDAM).date()
    voorbereid = []
    for verzoek in verzoeken:
        brief_inhoud = b.inhoud(session, verzoek, regio, datum)
        voorbereid.append(Voorbereid(verzoek, b.render_html(brief_inhoud), brief_inhoud.ontvanger.kanaal))
    return voorbereid, bestaand


def reserveer(session: Session, voorbereid: Voorbereid) -> bool:
    """Reserve the letter's key. False if the key was taken meanwhile: a concurrent run made
    this letter, and `voorbereid.brief` is that one."""
    voorbereid.brief, nieuw = b.reserveer(session, voorbereid.verzoek, voorbereid.kanaal)
    return nieuw


def rond_af(session: Session, voorbereid: Voorbereid, pdf: bytes, regio: Instellingen) -> int:
    """Archive the PDF with its checksum, audit it and queue it for delivery."""
    brief, verzoek = voorbereid.brief, voorbereid.verzoek
    relatief = b.archiefpad(brief.sleutel, verzoek.casus.referentie, verzoek.soort, verzoek.aanleiding)
    schrijf_atomisch(b.archiefmap() / relatief, pdf, PRIVE, b.archiefmap())
    brief.pad, brief.checksum = relatief, b.checksum(pdf)
    session.add(brief)
    session.flush()
    audit(session, verzoek.casus, ACTOR, "brief_aangemaakt", details=dict(
        brief_id=brief.id, soort=brief.soort, aanleiding=brief.aanleiding, ontvanger=brief.ontvanger,
        kanaal=brief.kanaal, template_versie=brief.template_versie))
    if voorbereid.kanaal is b.BriefKanaal.geen:
        # No postal address and no e-mail consent: retrying cannot help, staff must act now.
        uitgaand.geef_op(brief, GEEN_ADRES)
        _meld_onbestelbaar(session, brief, verzoek.casus, regio)
    else:
        brief.volgende_poging_op = nu()
    session.add(brief)
    return brief.id


def maak_brieven(
    casus_referentie: str, soort: b.BriefSoort, aanleiding: str, gegevens: dict | None, regio: Instellingen
) -> list[int]:
    """Every letter one occasion asks for. Letters that exist are returned as they are, without
    checking the facts again (the casus may have moved on since). The PDFs are made between a
    reading and a short writing transaction: on SQLite the case store has one writer, and a
    first PDF in a fresh process takes seconds that would otherwise stall every intake and alert."""
    with sessie(expire_on_commit=False) as session:
        voorbereid, ids = bereid_voor(session, casus_op_referentie(session, casus_referentie), soort, aanleiding,
                                      gegevens, regio)
    nieuw, intussen = leg_vast(voorbereid, [b.render_pdf(v.html) for v in voorbereid], regio)
    return sorted(ids + nieuw + intussen)  # ids in creation order


def leg_vast(voorbereid: list[Voorbereid], pdfs: list[bytes], regio: Instellingen) -> tuple[list[int], list[int]]:
    """Reserve, archive and queue rendered letters in one transaction: (ids of the letters made
    now, ids of those a concurrent run made meanwhile)."""
    nieuw, intussen = [], []
    if voorbereid:
        with sessie() as session:
            for v, pdf in zip(voorbereid, pdfs):
                if reserveer(session, v):
                    nieuw.append(rond_af(session, v, pdf, regio))
                else:
                    intussen.append(v.brief.id)
    return nieuw, intussen


def nieuwe_verzoeken(
    session: Session, casus: Casus, soort: b.BriefSoort, aanleiding: str, gegevens: dict | None
) -> tuple[list[b.Briefverzoek], list[int]]:
    """(letters still to make, ids of those that exist) for one occasion."""
    b.controleer_aanleiding(aanleiding)
    doelen = b.ontvangers_voor(session, casus, soort)
    sleutels = [b.sleutel(casus.referentie, soort, aanleiding, m.referentie if m else None) for m, _ in doelen]
    bestaand = b.bestaande_brieven(session, sleutels)
    if len(bestaand) == len(sleutels):
        return [], [bestaand[s] for s in sleutels]
    feiten = b.valideer_gegevens(soort, gegevens, casus)
    nieuw = [b.Briefverzoek(casus, soort, aanleiding, feiten, melding, melder)
             for (melding, melder), s in zip(doelen, sleutels) if s not in bestaand]
    return nieuw, list(bestaand.values())


@dataclass
class Brievenreeks:
    gemaakt: list[int]  # ids of letters made now
    al_gemaakt: int  # asked for, but an earlier run made them
    fouten: list[str]  # casus references whose letter could not be made (facts missing)


def maak_reeks(
    verzoeken: list[tuple[int, b.BriefSoort, str, dict | None]], regio: Instellingen, per_transactie: int = 50,
    parallel: int | None = None,
) -> Brievenreeks:
    """Many letters at once (casus id, soort, aanleiding, gegevens), e.g. the waiting-list round.
    Per group: read the facts and render the HTML in one reading transaction, make the PDFs on
    every core (WeasyPrint is CPU-bound) outside any transaction, then reserve, archive and commit
    in one short writing transaction. The next group goes to the pool before a group is written,
    so the pool keeps working. A letter whose facts are missing is skipped and named in
    `fouten`; the others go on."""
    parallel = parallel or os.cpu_count() or 1
    reeks = Brievenreeks([], 0, [])
    pool = _pdf_pool(parallel) if parallel > 1 and len(verzoeken) > per_transactie // 2 else None
    try:
        wachtend: list[tuple[Voorbereid, Future | None]] = []
        for start in range(0, len(verzoeken), per_transactie):
            volgende = _bereid_groep_voor(verzoeken[start:start + per_transactie], regio, pool, reeks)
            _leg_groep_vast(wachtend, regio, reeks)
            wachtend = volgende
        _leg_groep_vast(wachtend, regio, reeks)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return reeks


def _bereid_groep_voor(
    deel: list[tuple[int, b.BriefSoort, str, dict | None]], regio: Instellingen, pool: ProcessPoolExecutor | None,
    reeks: Brievenreeks,
) -> list[tuple[Voorbereid, Future | None]]:
    klaar = []
    with sessie(expire_on_commit=False) as session:
        casussen = {c.id: c for c in session.exec(select(Casus).where(Casus.id.in_({v[0] for v in deel})))}
        for casus_id, soort, aanleiding, gegevens in deel:
            casus = casussen[casus_id]
            try:
                voorbereid, bestaand = bereid_voor(session, casus, soort, aanleiding, gegevens, regio)
            except (b.OngeldigeBriefgegevens, UndefinedError):
                reeks.fouten.append(casus.referentie)
                continue
            reeks.al_gemaakt += len(bestaand)
            klaar += [(v, pool.submit(b.render_pdf, v.html) if pool else None) for v in voorbereid]
    return klaar


def _leg_groep_vast(klaar: list[tuple[Voorbereid, Future | None]], regio: Instellingen, reeks: Brievenreeks) -> None:
    pdfs = [pdf.result() if pdf else b.render_pdf(v.html) for v, pdf in klaar]
    nieuw, intussen = leg_vast([v for v, _ in klaar], pdfs, regio)
    reeks.gemaakt.extend(nieuw)
    reeks.al_gemaakt += len(intussen)


def _pdf_pool(processen: int) -> ProcessPoolExecutor:
    # spawn, not fork: the parent may run threads (Prefect, database pools).
    return ProcessPoolExecutor(max_workers=processen, mp_context=multiprocessing.get_context("spawn"))


@task(name="brief maken")
def maak_brief(casus_referentie: str, soort: str, aanleiding: str, gegevens: dict | None = None) -> list[int]:
    """Make (once) the letter(s) for this occasion: see the module docstring."""
    regio = instellingen()
    ids = maak_brieven(casus_referentie, soort_van(soort), aanleiding, gegevens, regio)
    get_run_logger().info("Brief %s voor casus %s (%s): %s", soort, casus_referentie, aanleiding, ids or "geen ontvanger")
    return ids


# --- delivering letters ------------------------------------------------------------------------------


def _zonder_adres(fout: str, email: str | None) -> str:
    """Delivery errors may quote the recipient's address: keep it out of what we store."""
    if email:
        fout = fout.replace(email, "<e-mailadres>").replace(quote(email, safe="@"), "<e-mailadres>")
    return fout


def naar_printwachtrij(brief: Brief, casus_referentie: str, regio: Instellingen) -> None:
    map_ = b.printwachtrij(regio)
    doel = map_ / b.printwachtrij_naam(brief.id, casus_referentie, brief.soort)
    schrijf_atomisch(doel, (b.archiefmap() / brief.pad).read_bytes(),
                     printwachtrij_toegang(regio.brieven.printwachtrij_groep), map_)


def per_email(brief: Brief, email: str, kenmerk: str, regio: Instellingen) -> str | None:
    """Send the archived PDF as an attachment. Returns None on success, else why it failed
    (Apprise never raises: notify() returns False)."""
    onderwerp, tekst = render_onderwerp_en_inhoud("brieven/email.txt.j2", afzender=regio.afzender, kenmerk=kenmerk)
    basis = regio.bezorging.smtp_url
    bericht = apprise.Apprise()
    bericht.add(f"{basis}{'&' if '?' in basis else '?'}to={quote(email, safe='@')}")
    bijlage = apprise.AppriseAttachment(str(b.archiefmap() / brief.pad))
    with apprise.LogCapture(level=logging.WARNING) as log:
        if bericht.notify(title=onderwerp, body=tekst, attach=bijlage, body_format=apprise.NotifyFormat.TEXT):
            return None
        return (log.getvalue().strip().splitlines() or ["onbekende fout"])[-1]


def bezorg_een(brief: Brief, ontvanger: b.Geadresseerde, kenmerk: str, casus_referentie: str,
               regio: Instellingen) -> str | None:
    """Deliver one letter by the channel the recipient chose (as the case store says now)."""
    pad = b.archiefmap() / brief.pad
    if not pad.is_file() or b.checksum(pad.read_bytes()) != brief.checksum:
        return f"Het archiefbestand {brief.pad} ontbreekt of is gewijzigd (checksum klopt niet)."
    try:
        if ontvanger.kanaal is b.BriefKanaal.email:
            return per_email(brief, ontvanger.email, kenmerk, regio)
        if ontvanger.kanaal is b.BriefKanaal.post:
            naar_printwachtrij(brief, casus_referentie, regio)
            return None
        return GEEN_ADRES
    except OSError as exc:
        return f"Printwachtrij niet beschikbaar: {exc.strerror or type(exc).__name__}"


@task(name="brief opnieuw klaarzetten", cache_policy=NO_CACHE)
def zet_brief_opnieuw_klaar(briefnummer: int, door: str | None = None) -> str | None:
    """Queue a letter again: None, or why not in Dutch (see tasks.bezorging.zet_klaar)."""
    return zet_klaar(Brief, briefnummer, door)


def _meld_onbestelbaar(session: Session, brief: Brief, casus: Casus, regio: Instellingen,
                       blijft_proberen: bool = False) -> int | None:
    """Escalate a letter that cannot be delivered: staff hear the case reference and the kind only.
    Returns the id of the second channel's message, to send right away (see `escaleer`)."""
    tweede_kanaal = escaleer(
        session, sleutel=f"brief-onbestelbaar:{brief.id}:{brief.ronde}", soort="brief_onbestelbaar",
        template="notificaties/brief_onbestelbaar.txt.j2", casus_id=casus.id, regio=regio,
        context=dict(casus_referentie=casus.referentie, soort=brief.soort, kanaal=brief.kanaal,
                     pogingen=brief.pogingen, fout=brief.laatste_fout, brief_id=brief.id, blijft_proberen=blijft_proberen,
                     deployment=Brief.opnieuw_versturen, link=actielink(Brief.opnieuw_versturen, regio)),
    )
    audit(session, casus, ACTOR, "brief_onbestelbaar",
          details=dict(brief_id=brief.id, soort=brief.soort, pogingen=brief.pogingen))
    return tweede_kanaal


@dataclass
class _Adres:
    """What delivering a letter needs, read when it is claimed (the case store as it is now)."""

    ontvanger: b.Geadresseerde
    kenmerk: str
    casus_referentie: str


class Briefbezorging(Bezorgwijze):
    tabel = Brief

    def lees(self, session: Session, brief: Brief) -> _Adres:
        casus = session.get(Casus, brief.casus_id)
        return _Adres(b.ontvanger_opnieuw(session, brief), b.kenmerk_van(session, brief, casus), casus.referentie)

    def verstuur(self, brief: Brief, adres: _Adres, regio: Instellingen) -> tuple[dict, str | None]:
        fout = bezorg_een(brief, adres.ontvanger, adres.kenmerk, adres.casus_referentie, regio)
        if fout is not None:
            return {}, _zonder_adres(fout, adres.ontvanger.email)
        # The channel it actually went by: the recipient may have changed their choice since.
        return {"kanaal": adres.ontvanger.kanaal.value}, None

    def na_verzending(self, session: Session, brief: Brief, adres: _Adres) -> None:
        audit(session, session.get(Casus, brief.casus_id), ACTOR, "brief_verzonden", details=dict(
            brief_id=brief.id, soort=brief.soort, ontvanger=brief.ontvanger, kanaal=adres.ontvanger.kanaal.value))

    def escaleer(self, session: Session, brief: Brief, regio: Instellingen, blijft_proberen: bool) -> int | None:
        return _meld_onbestelbaar(session, brief, session.get(Casus, brief.casus_id), regio, blijft_proberen)


@task(name="brieven bezorgen")
def bezorg_brieven(alleen: list[int] | None = None) -> BezorgResultaat:
    """Deliver every due letter (or only the given ones, if due) through the shared delivery
    loop (tasks.bezorging.bezorg): claimed first, so never sent twice; retried with backoff;
    after the last attempt 'mislukt' and escalated to staff, also over the second channel."""
    moment = nu()
    with sessie() as session:
        ids = alleen if alleen is not None else uitgaand.te_bezorgen(session, Brief, moment)
    return bezorg(Briefbezorging(), ids, moment, instellingen())

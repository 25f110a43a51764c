"""Tasks that queue and deliver notifications through Apprise, and the one delivery loop
(`bezorg`) that letters (tasks/brieven.py) share: claim, send per address, back off, give up or
keep trying (the crisis alert), escalate also over the second channel."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from dataclasses import dataclass

import apprise
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from sqlmodel import Session, select

from models.dossier import uitgaand
from models.opslag.communicatie import Notificatie, Uitgaand
from models.opslag.db import sessie
from models.dossier.wijzigingen import audit
from models.opslag.casus import Casus
from models.regels.instellingen import Instellingen, instellingen
from models.regels.ontvangers import TWEEDE_KANAAL, apprise_urls, rol
from models.opslag.typen import nu
from tasks.acties import actielink
from templates import render, render_onderwerp_en_inhoud


@task(name="notificatie klaarzetten")
def plaats_notificatie(
    sleutel: str, soort: str, ontvanger: str, template: str, context: dict,
    casus_id: int | None = None, bijlagen: list[str] | None = None, opmaak: str = "text",
) -> int:
    """Render a notification template and queue it under its key (idempotent)."""
    onderwerp, inhoud = render_onderwerp_en_inhoud(template, **context)
    with sessie() as session:
        notificatie, nieuw = uitgaand.plaats(
            session, sleutel=sleutel, soort=soort, ontvanger=ontvanger, onderwerp=onderwerp,
            inhoud=inhoud, casus_id=casus_id, opmaak=opmaak, bijlagen=bijlagen or [],
        )
        session.flush()
        if not nieuw:
            get_run_logger().info("Bericht %s stond al klaar; niet opnieuw geplaatst.", sleutel)
        return notificatie.id


@dataclass(frozen=True)
class BezorgResultaat:
    verzonden: int
    mislukte_pogingen: int
    opgegeven: int
    # When the earliest row that failed in this run is tried again (None: nothing failed).
    volgende_poging: dt.datetime | None = None
    # Casussen whose delivery state changed (first failure, escalated, arrived after a failure):
    # their case overview is published again.
    casussen: tuple[str, ...] = ()

    def __add__(self, ander: BezorgResultaat) -> BezorgResultaat:
        momenten = [m for m in (self.volgende_poging, ander.volgende_poging) if m is not None]
        return BezorgResultaat(
            self.verzonden + ander.verzonden, self.mislukte_pogingen + ander.mislukte_pogingen,
            self.opgegeven + ander.opgegeven, min(momenten, default=None),
            tuple(dict.fromkeys(self.casussen + ander.casussen)),
        )


GEEN_BEZORGING = BezorgResultaat(0, 0, 0)
# Escalations about undeliverable messages and letters: never escalated themselves.
ESCALATIES = frozenset({"onbestelbaar", "brief_onbestelbaar"})


def als_tekst(url: str) -> str:
    """The Apprise URL with `format=text`: a text message goes out as plain text only. Otherwise
    Apprise's e-mail plugin (HTML by default) turns every space into &nbsp; in an HTML part that
    mail clients show as one long line that never wraps."""
    delen = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(delen.query, keep_blank_values=True) if k != "format"]
    return urlunsplit(delen._replace(query=urlencode([*query, ("format", "text")], safe="@:/")))


def stuur(url: str, notificatie: Notificatie) -> str | None:
    """Send to one address. Returns None on success, else the reason it failed.
    Apprise never raises on a failed delivery: notify() returns False and logs why."""
    bericht = apprise.Apprise()
    bericht.add(url if notificatie.opmaak == "html" else als_tekst(url))
    bijlagen = apprise.AppriseAttachment(notificatie.bijlagen) if notificatie.bijlagen else None
    with apprise.LogCapture(level=logging.WARNING) as log:
        gelukt = bericht.notify(
            title=notificatie.onderwerp, body=notificatie.inhoud, attach=bijlagen,
            body_format=apprise.NotifyFormat.HTML if notificatie.opmaak == "html" else apprise.NotifyFormat.TEXT,
        )
        if gelukt:
            return None
        return (log.getvalue().strip().splitlines() or ["onbekende fout"])[-1]


def verstuur(notificatie: Notificatie, regio: Instellingen) -> tuple[list[str], str | None]:
    """Send one notification to each of its addresses that does not have it yet.
    Returns (fingerprints of the addresses reached now, the first failure or None)."""
    urls = apprise_urls(notificatie.ontvanger, regio)
    if not urls:  # nobody to send to is not delivered
        return [], f"Geen adres ingesteld voor ontvanger '{notificatie.ontvanger}'."
    bereikt, fouten = [], []
    for url in urls:
        vinger = uitgaand.vingerafdruk(url)
        if vinger in notificatie.bezorgd_aan or vinger in bereikt:
            continue
        fout = stuur(url, notificatie)
        if fout is None:
            bereikt.append(vinger)
        else:
            fouten.append(fout)
    return bereikt, (fouten[0] if fouten else None)


def escaleer(session: Session, *, sleutel: str, soort: str, template: str, context: dict, casus_id: int | None,
             regio: Instellingen) -> int | None:
    """Tell staff that something cannot be delivered: the escalation role by the usual way, and
    the second channel (outside the own mail server, which may be the very cause) at once.
    Keyed: asked again, nothing is placed twice. Returns the id of the second channel's message,
    for the caller to send right away (None: no second channel set, or it has it already)."""
    onderwerp, inhoud = render_onderwerp_en_inhoud(template, **context)
    uitgaand.plaats(session, sleutel=sleutel, soort=soort, ontvanger=rol(regio.bezorging.escalatie_rol),
                    onderwerp=onderwerp, inhoud=inhoud, casus_id=casus_id)
    if not regio.bezorging.tweede_kanaal:
        return None
    alarm, nieuw = uitgaand.plaats(session, sleutel=f"{sleutel}:tweede-kanaal", soort=soort, ontvanger=TWEEDE_KANAAL,
                                   onderwerp=onderwerp, inhoud=inhoud, casus_id=casus_id)
    session.flush()
    return alarm.id if nieuw else None


def _meld_onbestelbaar(session: Session, notificatie: Notificatie, regio: Instellingen, blijft_proberen: bool) -> int | None:
    casus = session.get(Casus, notificatie.casus_id) if notificatie.casus_id else None
    tweede_kanaal = escaleer(
        session, sleutel=f"onbestelbaar:{notificatie.id}:{notificatie.ronde}", soort="onbestelbaar",
        template="notificaties/onbestelbaar.txt.j2", casus_id=notificatie.casus_id, regio=regio,
        context=dict(pogingen=notificatie.pogingen, soort=notificatie.soort, ontvanger=notificatie.ontvanger,
                     casus_referentie=casus.referentie if casus else None, fout=notificatie.laatste_fout,
                     notificatie_id=notificatie.id, blijft_proberen=blijft_proberen,
                     deployment=Notificatie.opnieuw_versturen, link=actielink(Notificatie.opnieuw_versturen, regio)),
    )
    if casus is not None:
        audit(session, casus, "orkestratie", "bericht_onbestelbaar", details=dict(
            notificatie_id=notificatie.id, soort=notificatie.soort, pogingen=notificatie.pogingen))
    return tweede_kanaal


class Bezorgwijze:
    """How one outbox table is delivered; `bezorg` is the one loop (claim, send, record, back
    off, give up or keep trying, escalate) that letters and notifications share."""

    tabel: type[Uitgaand]

    def lees(self, session: Session, rij: Uitgaand) -> object:
        """What sending needs, read in the claiming transaction."""
        return None

    def verstuur(self, rij: Uitgaand, gelezen: object, regio: Instellingen) -> tuple[dict, str | None]:
        """Send once: (columns to record with the attempt, the reason it failed or None)."""
        raise NotImplementedError

    def na_verzending(self, session: Session, rij: Uitgaand, gelezen: object) -> None:
        """Record what else a delivery means (the audit trail of a letter)."""

    def escaleer(self, session: Session, rij: Uitgaand, regio: Instellingen, blijft_proberen: bool) -> int | None:
        """Tell staff (see `escaleer`); returns the second channel's message to send now."""
        raise NotImplementedError


class Berichtbezorging(Bezorgwijze):
    tabel = Notificatie

    def verstuur(self, rij: Notificatie, gelezen: object, regio: Instellingen) -> tuple[dict, str | None]:
        bereikt, fout = verstuur(rij, regio)
        return {"bezorgd_aan": [*rij.bezorgd_aan, *bereikt]}, fout

    def escaleer(self, session: Session, rij: Notificatie, regio: Instellingen, blijft_proberen: bool) -> int | None:
        if rij.soort in ESCALATIES:  # an escalation that cannot be delivered is not escalated again
            return None
        return _meld_onbestelbaar(session, rij, regio, blijft_proberen)


BERICHTEN = Berichtbezorging()


def bezorg(wijze: Bezorgwijze, ids: list[int], moment: dt.datetime, regio: Instellingen) -> BezorgResultaat:
    """Deliver the due rows among `ids`. Each is claimed first, so concurrent runs never send the
    same row; a failure is retried later with backoff; when the attempts run out the row is
    given up and escalated, or, for a kind that is never given up, escalated once and tried on.
    Escalations over the second channel go out at once, not at the next run."""
    logger = get_run_logger()
    tabel = wijze.tabel
    verzonden = mislukt = opgegeven = 0
    volgende: list[dt.datetime] = []
    casus_ids: list[int] = []
    direct: list[int] = []
    for rij_id in ids:
        with sessie() as session:
            if not uitgaand.claim(session, tabel, rij_id, moment):
                continue
            rij = session.get(tabel, rij_id)
            gelezen = wijze.lees(session, rij)
            session.expunge(rij)
        vastleggen, fout = wijze.verstuur(rij, gelezen, regio)
        with sessie() as session:
            rij = session.get(tabel, rij_id)
            if fout is None:
                if rij.pogingen and rij.casus_id:  # arrived after all
                    casus_ids.append(rij.casus_id)
                uitgaand.markeer_verzonden(session, tabel, rij_id, nu(), **vastleggen)
                wijze.na_verzending(session, rij, gelezen)
                verzonden += 1
                continue
            mislukt += 1
            # The reason holds no address of a citizen: a letter's `verstuur` takes it out.
            logger.warning("%s %s (%s) niet bezorgd (poging %s): %s", tabel.weergavenaam, rij_id, rij.soort,
                           rij.pogingen + 1, fout)
            for kolom, waarde in vastleggen.items():
                setattr(rij, kolom, waarde)
            uitkomst = uitgaand.markeer_poging_mislukt(session, rij, fout, nu(), regio.bezorging,
                                                       nooit_opgeven=rij.soort in regio.bezorging.nooit_opgeven)
            if uitkomst is uitgaand.Uitkomst.opgegeven:
                opgegeven += 1
            else:
                volgende.append(rij.volgende_poging_op)
            if rij.casus_id and (rij.pogingen == 1 or uitkomst is not uitgaand.Uitkomst.opnieuw):
                casus_ids.append(rij.casus_id)
            if uitkomst is not uitgaand.Uitkomst.opnieuw:
                if (alarm := wijze.escaleer(session, rij, regio, uitkomst is uitgaand.Uitkomst.escaleren)) is not None:
                    direct.append(alarm)
    resultaat = BezorgResultaat(verzonden, mislukt, opgegeven, min(volgende, default=None), _referenties(casus_ids))
    if not direct:
        return resultaat
    escalaties = bezorg(BERICHTEN, direct, nu(), regio)
    # A letter run counts letters; a message run also the escalations it sent.
    return resultaat + escalaties if tabel is Notificatie else resultaat


def _referenties(casus_ids: list[int]) -> tuple[str, ...]:
    if not casus_ids:
        return ()
    with sessie() as session:
        return tuple(session.exec(select(Casus.referentie).where(Casus.id.in_(set(casus_ids))).order_by(Casus.id)))


@task(name="berichten bezorgen")
def bezorg_notificaties(alleen: list[int] | None = None) -> BezorgResultaat:
    """Send every due notification (or only the given ones, if due). Each is claimed first, so
    concurrent runs never send the same message; failures are retried later with backoff, and
    each address gets a message once. An undeliverable message is escalated, also over the
    second channel at once; a kind that is never given up (the crisis alert) keeps being tried."""
    moment = nu()
    with sessie() as session:
        ids = alleen if alleen is not None else uitgaand.te_bezorgen(session, Notificatie, moment)
    return bezorg(BERICHTEN, ids, moment, instellingen())


def zet_klaar(tabel: type[Uitgaand], nummer: int, door: str | None = None) -> str | None:
    """Queue a message or letter again (staff fixed the cause). Returns None, or why not in
    Dutch for staff ("Bericht 7 is al verzonden.")."""
    try:
        with sessie() as session:
            uitgaand.zet_opnieuw_klaar(session, tabel, nummer, door)
    except (LookupError, ValueError) as exc:
        return str(exc)
    return None


@task(name="bericht opnieuw klaarzetten", cache_policy=NO_CACHE)
def zet_bericht_opnieuw_klaar(berichtnummer: int, door: str | None = None) -> str | None:
    """See `zet_klaar`: the deployment "bericht opnieuw versturen" and `vt bericht opnieuw`."""
    return zet_klaar(Notificatie, berichtnummer, door)


def bezorgstand(resultaat: BezorgResultaat, waarde=None, wat: tuple[str, str] = ("bericht", "berichten")):
    """What a flow that delivered returns: `waarde` (default the result itself, so the run is
    Completed) when everything tried arrived; otherwise a Failed state with a
    Dutch message saying how many are not delivered yet and when the next attempt is, so
    staff see an outage in the run list instead of a green run and WARNING lines."""
    waarde = resultaat if waarde is None else waarde
    if not resultaat.mislukte_pogingen:
        return waarde
    bericht = render("bezorging/nog_niet_bezorgd.txt.j2", aantal=resultaat.mislukte_pogingen, wat=wat,
                     opgegeven=resultaat.opgegeven, volgende_poging=resultaat.volgende_poging).strip()
    # Failed, not a custom state: Prefect shows it red in every list and runs no retry (the flows
    # that return it have none); the delivery schedule tries again by itself.
    return Failed(name="Niet bezorgd", message=bericht, data=waarde)

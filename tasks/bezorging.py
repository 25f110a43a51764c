"""Tasks that queue and deliver notifications through Apprise."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import apprise
from prefect import get_run_logger, task
from sqlmodel import Session

from models import uitgaand
from models.communicatie import Notificatie
from models.db import sessie
from models.dossier import audit
from models.casus import Casus
from models.instellingen import Instellingen, instellingen
from models.ontvangers import apprise_urls, rol
from models.typen import nu
from templates import render_onderwerp_en_inhoud


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


def verstuur(notificatie: Notificatie, regio: Instellingen) -> str | None:
    """Send one notification. Returns None on success, else the reason it failed.
    Apprise never raises on a failed delivery: notify() returns False and logs why."""
    bericht = apprise.Apprise()
    for url in apprise_urls(notificatie.ontvanger, regio):
        bericht.add(url)
    bijlagen = apprise.AppriseAttachment(notificatie.bijlagen) if notificatie.bijlagen else None
    with apprise.LogCapture(level=logging.WARNING) as log:
        gelukt = bericht.notify(
            title=notificatie.onderwerp, body=notificatie.inhoud, attach=bijlagen,
            body_format=apprise.NotifyFormat.HTML if notificatie.opmaak == "html" else apprise.NotifyFormat.TEXT,
        )
        if gelukt:
            return None
        return (log.getvalue().strip().splitlines() or ["onbekende fout"])[-1]


def _meld_onbestelbaar(session: Session, notificatie: Notificatie, regio: Instellingen) -> None:
    casus = session.get(Casus, notificatie.casus_id) if notificatie.casus_id else None
    onderwerp, inhoud = render_onderwerp_en_inhoud(
        "notificaties/onbestelbaar.txt.j2", pogingen=notificatie.pogingen, soort=notificatie.soort,
        ontvanger=notificatie.ontvanger, casus_referentie=casus.referentie if casus else None,
        fout=notificatie.laatste_fout, notificatie_id=notificatie.id,
    )
    uitgaand.plaats(
        session, sleutel=f"onbestelbaar:{notificatie.id}:{notificatie.pogingen}", soort="onbestelbaar",
        ontvanger=rol(regio.bezorging.escalatie_rol), onderwerp=onderwerp, inhoud=inhoud,
        casus_id=notificatie.casus_id,
    )
    if casus is not None:
        audit(session, casus, "orkestratie", "bericht_onbestelbaar", notificatie_id=notificatie.id,
              soort=notificatie.soort, pogingen=notificatie.pogingen)


@task(name="berichten bezorgen")
def bezorg_notificaties(alleen: list[int] | None = None) -> BezorgResultaat:
    """Send every due notification (or only the given ones, if due). Each is claimed first, so
    concurrent runs never send the same message; failures are retried later with backoff."""
    regio = instellingen()
    logger = get_run_logger()
    moment = nu()
    with sessie() as session:
        ids = alleen if alleen is not None else uitgaand.te_bezorgen(session, Notificatie, moment)
    verzonden = mislukt = opgegeven = 0
    for notificatie_id in ids:
        with sessie() as session:
            if not uitgaand.claim(session, Notificatie, notificatie_id, moment):
                continue
            notificatie = session.get(Notificatie, notificatie_id)
            session.expunge(notificatie)
        fout = verstuur(notificatie, regio)
        with sessie() as session:
            if fout is None:
                uitgaand.markeer_verzonden(session, Notificatie, notificatie_id, nu())
                verzonden += 1
                continue
            mislukt += 1
            logger.warning("Bericht %s (%s) niet bezorgd: %s", notificatie_id, notificatie.soort, fout)
            notificatie = session.get(Notificatie, notificatie_id)
            if uitgaand.markeer_poging_mislukt(session, notificatie, fout, nu(), regio.bezorging):
                opgegeven += 1
                if notificatie.soort != "onbestelbaar":
                    _meld_onbestelbaar(session, notificatie, regio)
    return BezorgResultaat(verzonden, mislukt, opgegeven)

"""The outbox for notifications: placed once per key, claimed before sending so two delivery
runs never send the same message, retried with exponential backoff, and marked 'mislukt'
(and escalated by the caller) when the attempts run out - never dropped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.communicatie import Bezorgstatus, Notificatie
from models.instellingen import Bezorging
from models.typen import nu

CLAIM_DUUR = dt.timedelta(minutes=5)


def plaats(
    session: Session,
    *,
    sleutel: str,
    soort: str,
    ontvanger: str,
    onderwerp: str,
    inhoud: str,
    casus_id: int | None = None,
    opmaak: str = "text",
    bijlagen: Sequence[str] = (),
) -> tuple[Notificatie, bool]:
    """Queue a notification under `sleutel`; the same key again returns the queued one.
    Returns (notification, newly placed)."""
    bestaand = session.exec(select(Notificatie).where(Notificatie.sleutel == sleutel)).one_or_none()
    if bestaand is not None:
        return bestaand, False
    notificatie = Notificatie(
        sleutel=sleutel, soort=soort, ontvanger=ontvanger, onderwerp=onderwerp, inhoud=inhoud,
        casus_id=casus_id, opmaak=opmaak, bijlagen=list(bijlagen), volgende_poging_op=nu(),
    )
    try:
        with session.begin_nested():
            session.add(notificatie)
    except IntegrityError:  # placed concurrently by another run
        return session.exec(select(Notificatie).where(Notificatie.sleutel == sleutel)).one(), False
    return notificatie, True


def te_bezorgen(session: Session, moment: dt.datetime, limiet: int = 500) -> list[int]:
    return list(session.exec(
        select(Notificatie.id)
        .where(Notificatie.status == Bezorgstatus.wachtend, Notificatie.volgende_poging_op <= moment)
        .order_by(Notificatie.volgende_poging_op)
        .limit(limiet)
    ))


def claim(session: Session, notificatie_id: int, moment: dt.datetime) -> bool:
    """Take a due notification for sending. Only one concurrent run wins the claim; a run that
    crashes mid-send leaves the claim to expire so a later run retries it."""
    resultaat = session.execute(
        update(Notificatie)
        .where(
            Notificatie.id == notificatie_id,
            Notificatie.status == Bezorgstatus.wachtend,
            Notificatie.volgende_poging_op <= moment,
        )
        .values(volgende_poging_op=moment + CLAIM_DUUR)
        .execution_options(synchronize_session=False)
    )
    return resultaat.rowcount == 1


def markeer_verzonden(session: Session, notificatie_id: int, moment: dt.datetime) -> None:
    session.execute(
        update(Notificatie).where(Notificatie.id == notificatie_id)
        .values(status=Bezorgstatus.verzonden, verzonden_op=moment, pogingen=Notificatie.pogingen + 1,
                volgende_poging_op=None, laatste_fout=None)
        .execution_options(synchronize_session=False)
    )


def wachttijd(pogingen: int, beleid: Bezorging) -> dt.timedelta:
    seconden = beleid.eerste_wachttijd_seconden * 2 ** max(pogingen - 1, 0)
    return dt.timedelta(seconds=min(seconden, beleid.maximale_wachttijd_seconden))


def markeer_poging_mislukt(
    session: Session, notificatie_id: int, fout: str, moment: dt.datetime, beleid: Bezorging
) -> bool:
    """Record a failed attempt. Returns True when the attempts are used up (status 'mislukt')."""
    notificatie = session.get(Notificatie, notificatie_id)
    notificatie.pogingen += 1
    notificatie.laatste_fout = fout[:1000]
    opgegeven = notificatie.pogingen >= beleid.max_pogingen
    notificatie.status = Bezorgstatus.mislukt if opgegeven else Bezorgstatus.wachtend
    notificatie.volgende_poging_op = None if opgegeven else moment + wachttijd(notificatie.pogingen, beleid)
    session.add(notificatie)
    return opgegeven


def zet_opnieuw_klaar(session: Session, notificatie_id: int) -> Notificatie:
    """Staff fixed the cause of a 'mislukt' message: queue it again."""
    notificatie = session.get(Notificatie, notificatie_id)
    if notificatie is None:
        raise LookupError(f"Bericht {notificatie_id} bestaat niet.")
    if notificatie.status == Bezorgstatus.verzonden:
        raise ValueError(f"Bericht {notificatie_id} is al verzonden.")
    notificatie.status = Bezorgstatus.wachtend
    notificatie.pogingen = 0
    notificatie.volgende_poging_op = nu()
    session.add(notificatie)
    return notificatie

"""The outbox shared by letters (Brief) and notifications (Notificatie): a row is placed once per
key, claimed before sending so two delivery runs never send it twice, retried with exponential
backoff, and marked 'mislukt' (and escalated by the caller) when the attempts run out - never
dropped. A kind of message that must never be given up (the crisis alert) is escalated once,
early, and keeps being retried (at most a few minutes apart) until it arrives.
Every function works on any table with the `Uitgaand` delivery columns."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models.dossier.auditketen import keten
from models.dossier.wijzigingen import audit_rij
from models.opslag.casus import AuditEvent
from models.opslag.communicatie import Bezorgstatus, Notificatie, Uitgaand
from models.regels.instellingen import Bezorging
from models.opslag.typen import nu

CLAIM_DUUR = dt.timedelta(minutes=5)

R = TypeVar("R", bound=Uitgaand)


def plaats_eenmalig(session: Session, rij: R) -> tuple[R, bool]:
    """Insert `rij` unless a row with its key exists; that one is returned instead. A concurrent
    run placing the same key waits on the unique key and gets the first one's row.
    Returns (row, newly placed).

    INSERT ... ON CONFLICT DO NOTHING rather than a savepoint: on SQLite a savepoint opened
    before the transaction's first write commits on release, which would take the row out of
    the caller's transaction."""
    tabel = type(rij)
    bestaand = session.exec(select(tabel).where(tabel.sleutel == rij.sleutel)).one_or_none()
    if bestaand is not None:  # the usual case when asked again: no insert attempt
        return bestaand, False
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    geplaatst = session.scalars(
        dialect.insert(tabel).values(**rij.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=["sleutel"]).returning(tabel)
    ).one_or_none()
    if geplaatst is not None:
        return geplaatst, True
    return session.exec(select(tabel).where(tabel.sleutel == rij.sleutel)).one(), False  # placed concurrently


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
    return plaats_eenmalig(session, Notificatie(
        sleutel=sleutel, soort=soort, ontvanger=ontvanger, onderwerp=onderwerp, inhoud=inhoud,
        casus_id=casus_id, opmaak=opmaak, bijlagen=list(bijlagen), volgende_poging_op=nu(),
    ))


def te_bezorgen(session: Session, tabel: type[Uitgaand], moment: dt.datetime, limiet: int = 500) -> list[int]:
    """Due rows, found through the partial index on the open queue."""
    return list(session.exec(
        select(tabel.id)
        .where(tabel.status == Bezorgstatus.wachtend, tabel.volgende_poging_op <= moment)
        .order_by(tabel.volgende_poging_op)
        .limit(limiet)
    ))


def claim(session: Session, tabel: type[Uitgaand], rij_id: int, moment: dt.datetime) -> bool:
    """Take a due row for sending (compare-and-set). Only one concurrent run wins the claim; a
    run that crashes mid-send leaves the claim to expire so a later run retries it."""
    resultaat = session.execute(
        update(tabel)
        .where(tabel.id == rij_id, tabel.status == Bezorgstatus.wachtend, tabel.volgende_poging_op <= moment)
        .values(volgende_poging_op=moment + CLAIM_DUUR)
        .execution_options(synchronize_session=False)
    )
    return resultaat.rowcount == 1


def markeer_verzonden(session: Session, tabel: type[Uitgaand], rij_id: int, moment: dt.datetime, **extra) -> None:
    """Sent. `extra`: table columns to record with it (a letter's actual channel)."""
    session.execute(
        update(tabel).where(tabel.id == rij_id)
        .values(status=Bezorgstatus.verzonden, verzonden_op=moment, pogingen=tabel.pogingen + 1,
                volgende_poging_op=None, laatste_fout=None, **extra)
        .execution_options(synchronize_session=False)
    )


def wachttijd(pogingen: int, beleid: Bezorging, nooit_opgeven: bool = False) -> dt.timedelta:
    langste = beleid.maximale_wachttijd_seconden
    if nooit_opgeven:  # a crisis alert must arrive soon after the mail server is back
        langste = min(langste, beleid.nooit_opgeven_wachttijd_seconden)
    seconden = beleid.eerste_wachttijd_seconden * 2 ** max(pogingen - 1, 0)
    return dt.timedelta(seconds=min(seconden, langste))


def geef_op(rij: Uitgaand, fout: str) -> None:
    """No further attempt: 'mislukt' stays visible with its reason; the caller escalates it."""
    rij.status = Bezorgstatus.mislukt
    rij.laatste_fout = fout[:1000]
    rij.volgende_poging_op = None


class Uitkomst(StrEnum):
    """What a failed attempt means for the row."""

    opnieuw = "opnieuw"  # retried later
    escaleren = "escaleren"  # never given up, but failed often enough that staff must hear now, once
    opgegeven = "opgegeven"  # 'mislukt': no further attempt, the caller escalates


def markeer_poging_mislukt(
    session: Session, rij: Uitgaand, fout: str, moment: dt.datetime, beleid: Bezorging, nooit_opgeven: bool = False
) -> Uitkomst:
    """Record a failed attempt and schedule the next one with backoff. When the attempts are
    used up the row is 'mislukt' and must be escalated, never dropped. A row that is never given
    up stays 'wachtend', is retried at most `nooit_opgeven_wachttijd_seconden` apart and is
    escalated once, after `nooit_opgeven_melden_na` attempts (or max_pogingen, if fewer)."""
    rij.pogingen += 1
    rij.laatste_fout = fout[:1000]
    if nooit_opgeven:  # still 'wachtend': only claimed waiting rows are sent
        rij.volgende_poging_op = moment + wachttijd(rij.pogingen, beleid, nooit_opgeven=True)
        melden_na = min(beleid.max_pogingen, beleid.nooit_opgeven_melden_na)
        uitkomst = Uitkomst.escaleren if rij.pogingen == melden_na else Uitkomst.opnieuw
    elif rij.pogingen < beleid.max_pogingen:
        rij.volgende_poging_op = moment + wachttijd(rij.pogingen, beleid)
        uitkomst = Uitkomst.opnieuw
    else:
        geef_op(rij, fout)
        uitkomst = Uitkomst.opgegeven
    session.add(rij)
    return uitkomst


def vingerafdruk(url: str) -> str:
    """How a delivered address is recorded: a hash, as the URL may hold credentials."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def onbezorgd(session: Session, tabel: type[R], casus_id: int) -> list[R]:
    """A casus's rows that did not arrive yet after an attempt, or were given up: for staff."""
    return list(session.exec(
        select(tabel)
        .where(tabel.casus_id == casus_id,
               or_(tabel.status == Bezorgstatus.mislukt, (tabel.status == Bezorgstatus.wachtend) & (tabel.pogingen > 0)))
        .order_by(tabel.id)
    ))


def zet_opnieuw_klaar(session: Session, tabel: type[R], rij_id: int, door: str | None = None) -> R:
    """Staff fixed the cause (address, mail server, folder): queue the row again. A new round:
    its attempts count afresh and, if it fails again, it is escalated again. A row still queued
    is only tried now (asking twice starts no second round). `door`: who asked, in the audit
    trail of its casus."""
    rij = session.get(tabel, rij_id)
    if rij is None:
        raise LookupError(f"{tabel.weergavenaam} {rij_id} bestaat niet.")
    if rij.status == Bezorgstatus.verzonden:
        raise ValueError(f"{tabel.weergavenaam} {rij_id} is al verzonden.")
    if rij.status != Bezorgstatus.wachtend:
        rij.status = Bezorgstatus.wachtend
        rij.pogingen = 0
        rij.ronde += 1
        if door and getattr(rij, "casus_id", None):
            session.add(AuditEvent(**keten(session, [audit_rij(
                rij.casus_id, door.strip(), "opnieuw_klaargezet",
                details={"wat": tabel.weergavenaam.lower(), "nummer": rij_id, "ronde": rij.ronde})])[0]))
    rij.volgende_poging_op = nu()
    session.add(rij)
    return rij

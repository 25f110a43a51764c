"""Read model of the ZGW export: which casussen to export, and what the mapping
(models/regels/zgw.py) needs of each, read from the case store in batches with a fixed number of
queries per batch. The melder's name is only read (and decrypted) when `zgw.personen` is on."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus, Melder, Melding, Termijn
from models.dossier.registratie import batched
from models.dossier.wijzigingen import OnbekendeCasus
from models.regels.levensloop import Status
from models.regels.zgw import MelderGegevens, Statusovergang, TermijnStand, Termijnverlenging, ZaakGegevens

DEEL = 500


def te_exporteren(session: Session, *, sinds: dt.datetime | None = None, referentie: str | None = None) -> list[int]:
    """Ids of the casussen to export, oldest first: one casus by reference, those with any change
    (an audit event) from `sinds` on, or all."""
    query = select(Casus.id).order_by(Casus.id)
    if referentie is not None:
        ids = list(session.exec(query.where(Casus.referentie == referentie)))
        if not ids:
            raise OnbekendeCasus(referentie)
        return ids
    if sinds is not None:
        gewijzigd = select(AuditEvent.casus_id).where(AuditEvent.tijdstip >= sinds, AuditEvent.casus_id.is_not(None))
        query = query.where(Casus.id.in_(gewijzigd))
    return list(session.exec(query))


def zaakgegevens(session: Session, casus_ids: Sequence[int], *, personen: bool) -> Iterator[ZaakGegevens]:
    """What the mapping needs of each casus, in the order of `casus_ids`, DEEL at a time."""
    for deel in batched(casus_ids, DEEL):
        yield from _deel(session, list(deel), personen)


def _deel(session: Session, ids: list[int], personen: bool) -> list[ZaakGegevens]:
    casussen = session.exec(select(Casus).where(Casus.id.in_(ids))).all()
    overgangen, verlengingen = _uit_audittrail(session, ids)
    termijnen = defaultdict(list)
    for t in session.exec(select(Termijn).where(Termijn.casus_id.in_(ids)).order_by(Termijn.id)):
        termijnen[t.casus_id].append(TermijnStand(t.soort, t.vervalt_op, t.voldaan_op, t.opgeschort_op, t.opschort_reden))
    melders = _melders(session, ids) if personen else {}
    per_id = {c.id: c for c in casussen}
    return [ZaakGegevens(
        referentie=c.referentie, gemeente_code=c.gemeente_code, urgentie=c.urgentie, geopend_op=c.geopend_op,
        afgesloten_op=c.afgesloten_op, overgangen=tuple(overgangen[c.id]), termijnen=tuple(termijnen[c.id]),
        verlengingen=tuple(verlengingen[c.id]), melder=melders.get(c.id),
    ) for c in (per_id[i] for i in ids if i in per_id)]


def _uit_audittrail(session: Session, ids: list[int]):
    """Status changes and term extensions per casus, oldest first."""
    overgangen, verlengingen = defaultdict(list), defaultdict(list)
    rijen = session.exec(
        select(AuditEvent.casus_id, AuditEvent.actie, AuditEvent.tijdstip, AuditEvent.naar_status,
               AuditEvent.reden, AuditEvent.details)
        .where(AuditEvent.casus_id.in_(ids), AuditEvent.actie.in_(["status", "termijn_verlengd"]))
        .order_by(AuditEvent.tijdstip, AuditEvent.id)
    )
    for casus_id, actie, tijdstip, naar, reden, details in rijen:
        if actie == "status" and naar:
            overgangen[casus_id].append(Statusovergang(tijdstip, Status(naar)))
        elif actie == "termijn_verlengd" and {"van", "naar"} <= set(details):
            verlengingen[casus_id].append(Termijnverlenging(
                tijdstip, reden or "", dt.datetime.fromisoformat(details["van"]), dt.datetime.fromisoformat(details["naar"])))
    return overgangen, verlengingen


def _melders(session: Session, ids: list[int]) -> dict[int, MelderGegevens]:
    """The melder of each casus's first melding (the one that opened it)."""
    rijen = session.exec(
        select(Melding.casus_id, Melder.soort, Melder.naam)
        .join(Melder, Melder.id == Melding.melder_id)
        .where(Melding.casus_id.in_(ids), Melding.hermelding.is_(False))
        .order_by(Melding.ontvangen_op, Melding.id)
    )
    eerste: dict[int, MelderGegevens] = {}
    for casus_id, soort, naam in rijen:
        eerste.setdefault(casus_id, MelderGegevens(soort, naam if soort != "anoniem" else None))
    return eerste

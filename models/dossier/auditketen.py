"""Appending to the audit chain, and recording the breaks its check found: every way an audit event is written (one event through
`wijzigingen.audit`, many at once by the import, the deadline watch and the bulk start) goes
through `keten`, which gives each row its place in its casus's chain and its hashes.

Two writers must never chain onto the same predecessor. On PostgreSQL the chains are locked
first: the casus rows (FOR NO KEY UPDATE, in id order so two writers cannot deadlock; a row lock
costs no shared memory, unlike one advisory lock per casus) and one advisory lock for the chain
without casus; the heads are read only after that, so they include what the previous holder
committed. SQLite has one writer at a time: a transaction whose snapshot went stale before its
first write is refused (database is locked) rather than chaining onto an old head. The unique
index on (casus, volgnummer) is the backstop on both."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.opslag.casus import AuditBreuk, AuditEvent, Casus
from models.opslag.typen import nu
from models.regels.auditketen import Breuk, schakels

_DEEL = 500  # ids per IN list
_ZONDER_CASUS_SLOT = 0x617564  # the advisory lock of the chain without casus ("aud")


def keten(session: Session, rijen: Sequence[dict]) -> list[dict]:
    """The rows (column values of audit events, in append order) chained onto their heads, in
    this transaction. Insert them in this order, in this transaction."""
    if not rijen:
        return []
    casus_ids = sorted({r["casus_id"] for r in rijen if r["casus_id"] is not None})
    zonder_casus = any(r["casus_id"] is None for r in rijen)
    _vergrendel(session, casus_ids, zonder_casus)
    koppen = _koppen(session, casus_ids, zonder_casus)
    koppen.update(_nog_niet_weggeschreven(session, set(casus_ids) | ({None} if zonder_casus else set())))
    return schakels(rijen, koppen)


def _vergrendel(session: Session, casus_ids: list[int], zonder_casus: bool) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for start in range(0, len(casus_ids), _DEEL):
        session.execute(select(Casus.id).where(Casus.id.in_(casus_ids[start:start + _DEEL]))
                        .order_by(Casus.id).with_for_update(key_share=True))
    if zonder_casus:
        session.execute(text("SELECT pg_advisory_xact_lock(:slot)"), {"slot": _ZONDER_CASUS_SLOT})


def _nog_niet_weggeschreven(session: Session, ketens: set[int | None]) -> dict[int | None, tuple[int, str]]:
    """Heads among the events added to this session but not flushed yet (the queries above do not
    flush: flushing here would move a caller's own flush, and the errors it turns into Dutch)."""
    koppen: dict[int | None, tuple[int, str]] = {}
    for e in session.new:
        if isinstance(e, AuditEvent) and e.casus_id in ketens and e.volgnummer > koppen.get(e.casus_id, (0, ""))[0]:
            koppen[e.casus_id] = (e.volgnummer, e.hash)
    return koppen


def _koppen(session: Session, casus_ids: list[int], zonder_casus: bool) -> dict[int | None, tuple[int, str]]:
    """casus_id -> (volgnummer, hash) of the last event of its chain; a chain without events is absent."""
    a = AuditEvent.__table__.c
    koppen: dict[int | None, tuple[int, str]] = {}
    for start in range(0, len(casus_ids), _DEEL):
        hoogste = (select(a.casus_id, func.max(a.volgnummer).label("n"))
                   .where(a.casus_id.in_(casus_ids[start:start + _DEEL])).group_by(a.casus_id).subquery())
        for casus_id, volgnummer, hash_ in session.execute(
                select(a.casus_id, a.volgnummer, a.hash).join(
                    hoogste, and_(a.casus_id == hoogste.c.casus_id, a.volgnummer == hoogste.c.n))):
            koppen[casus_id] = (volgnummer, hash_)
    if zonder_casus:
        kop = session.execute(select(a.volgnummer, a.hash).where(a.casus_id.is_(None))
                              .order_by(a.volgnummer.desc()).limit(1)).first()
        if kop is not None:
            koppen[None] = tuple(kop)
    return koppen


def leg_breuken_vast(session: Session, breuken: Sequence[Breuk]) -> list[Breuk]:
    """Record the breaks not recorded before; returns those (the ones beheer has not heard of).
    INSERT ... ON CONFLICT DO NOTHING on the key: two checks at once record each break once."""
    if not breuken:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    nieuw: set[str] = set()
    for start in range(0, len(breuken), _DEEL):
        deel = breuken[start:start + _DEEL]
        nieuw |= set(session.execute(
            dialect.insert(AuditBreuk.__table__).values([
                dict(sleutel=b.sleutel, casus_referentie=b.casus, soort=b.soort.value, event_id=b.event_id,
                     volgnummer=b.volgnummer, toelichting=b.toelichting[:300], gevonden_op=nu()) for b in deel])
            .on_conflict_do_nothing(index_elements=["sleutel"]).returning(AuditBreuk.sleutel)).scalars())
    return [b for b in breuken if b.sleutel in nieuw]

"""Appending to the audit chain, and recording the breaks its check found: every way an audit event is written (one event through
`wijzigingen.audit`, many at once by the import, the deadline watch and the bulk start) goes
through `keten`, which gives each row its place in its casus's chain and its hashes.

Two writers must never chain onto the same predecessor. On PostgreSQL the chains are locked
first, with transaction-level advisory locks: one per chain (casus id; 0 for the chain without
casus), in id order, under a shared lock on all chains; a writer of more than `_VEEL` chains at
once (an import, an overstap) takes that lock exclusively instead, as one lock, because each
advisory lock takes a slot in the server's shared lock table. Advisory locks, not the casus
rows: the deadline watch holds term rows when it chains, and a lifecycle writer holds its casus
row when it updates its terms; locking the casus from the watch would deadlock with it. The
heads are read only after the lock, so they include what the previous holder committed (READ
COMMITTED). SQLite has one writer at a time, but its driver begins a transaction only at the
first write, so a head read before that could be overtaken: `keten` first takes SQLite's write
lock with a statement that changes nothing, and reads the heads after it. The unique indexes on
(casus, volgnummer) are the backstop on both."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.opslag.casus import AuditBreuk, AuditEvent
from models.opslag.typen import nu
from models.regels.auditketen import Breuk, schakels

_DEEL = 500  # ids per IN list
_VEEL = 500  # more chains at once than this: one exclusive lock on all chains
_KETENS = 0x617564  # the advisory lock on all chains (one bigint key: "aud")
_KETEN = 17  # the key space of the advisory locks per chain (two int keys: 17, casus id)


def keten(session: Session, rijen: Sequence[dict], nieuwe_casussen: Collection[int] = ()) -> list[dict]:
    """The rows (column values of audit events, in append order) chained onto their heads, in
    this transaction. Insert them in this order, in this transaction. `nieuwe_casussen`: created
    in this transaction and without events yet (the import): their chains start here, unseen by
    anyone else, so they are neither locked nor looked up."""
    if not rijen:
        return []
    casus_ids = sorted({r["casus_id"] for r in rijen if r["casus_id"] is not None} - set(nieuwe_casussen))
    zonder_casus = any(r["casus_id"] is None for r in rijen)
    _vergrendel(session, casus_ids, zonder_casus)
    koppen = _koppen(session, casus_ids, zonder_casus)
    koppen.update(_nog_niet_weggeschreven(session, set(casus_ids) | ({None} if zonder_casus else set())))
    return schakels(rijen, koppen)


def vergrendel(session: Session, casus_ids: Collection[int]) -> None:
    """Take the chain locks of these casussen now, before any row lock: a writer that locks rows
    first and its chains after could deadlock with one that does it the other way round (a
    status change audits before it flushes, so the deadline watch locks its chains before its terms)."""
    _vergrendel(session, sorted(set(casus_ids)), zonder_casus=False)


def _vergrendel(session: Session, casus_ids: list[int], zonder_casus: bool) -> None:
    """Wait until no one else appends to these chains; held until commit."""
    if session.get_bind().dialect.name == "sqlite":  # the write lock (RESERVED): one writer, this one
        session.execute(text("UPDATE auditevent SET id = id WHERE 0 = 1"))
        return
    if not (casus_ids or zonder_casus):
        return
    ketens = ([0] if zonder_casus else []) + casus_ids  # sorted: two writers lock in the same order
    if len(ketens) > _VEEL:
        session.execute(text("SELECT pg_advisory_xact_lock(:alle)"), {"alle": _KETENS})
        return
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:alle)"), {"alle": _KETENS})
    session.execute(text("SELECT count(pg_advisory_xact_lock(:ruimte, k)) FROM unnest(CAST(:ketens AS integer[])) AS k"),
                    {"ruimte": _KETEN, "ketens": ketens})


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

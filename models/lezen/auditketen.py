"""Reading the audit chain: its heads (for the daily anchor), the check of every chain against
its hashes and against the newest anchors, and the anchors in the report archive
(<archive>/auditankers/<date>.json, beside the reports; models/lezen/rapportarchief.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from sqlalchemy import and_, func, select
from sqlmodel import Session

from models.opslag.casus import AuditEvent, Casus
from models.regels.auditketen import Breuk, Kop, Schakel, controleer_anker, controleer_keten, koppen_van

ANKERMAP = "auditankers"  # in the report archive
_a = AuditEvent.__table__.c
_INHOUD = (_a.casus_id, _a.tijdstip, _a.actor, _a.actie, _a.van_status, _a.naar_status, _a.reden, _a.details)


def koppen(session: Session) -> list[Kop]:
    """The head of every chain: casus reference (None: events without a casus), last place, its hash."""
    hoogste = select(_a.casus_id, func.max(_a.volgnummer).label("n")).group_by(_a.casus_id).subquery()
    rijen = session.execute(
        select(Casus.referentie, _a.volgnummer, _a.hash)
        .select_from(AuditEvent.__table__)
        .join(hoogste, and_(_a.casus_id.is_not_distinct_from(hoogste.c.casus_id), _a.volgnummer == hoogste.c.n))
        .outerjoin(Casus, Casus.id == _a.casus_id))
    return [Kop(referentie, volgnummer, hash_) for referentie, volgnummer, hash_ in rijen]


@dataclass
class Controle:
    ketens: int = 0
    gebeurtenissen: int = 0
    breuken: list[Breuk] = field(default_factory=list)
    ankers: list[str] = field(default_factory=list)  # the dates of the anchors compared

    @property
    def in_orde(self) -> bool:
        return not self.breuken


def controleer(session: Session, ankers: Sequence[dict], casus: str | None = None) -> Controle:
    """Check every chain (or the one of `casus`) link by link, then against each anchor."""
    gevraagd = {(k.casus, k.volgnummer) for a in ankers for k in koppen_van(a) if casus is None or k.casus == casus}
    hash_op: dict[tuple[str | None, int], str] = {}
    controle = Controle()
    for referentie, keten in groupby(_schakels(session, casus), key=lambda rs: rs[0]):
        schakels = [s for _, s in keten]
        controle.ketens += 1
        controle.gebeurtenissen += len(schakels)
        controle.breuken += controleer_keten(referentie, schakels)
        hash_op.update(((referentie, s.volgnummer), s.hash) for s in schakels if (referentie, s.volgnummer) in gevraagd)
    gemeld = {b.casus for b in controle.breuken}
    for anker in ankers:  # newest first; a chain already named is not named again per anchor
        nieuw = [b for b in controleer_anker(anker, hash_op, casus) if b.casus not in gemeld]
        gemeld |= {b.casus for b in nieuw}
        controle.breuken += nieuw
        controle.ankers.append(anker["datum"])
    return controle


def _schakels(session: Session, casus: str | None) -> Iterator[tuple[str | None, Schakel]]:
    """Every event as (casus reference, Schakel), chain by chain, in chain order; streamed."""
    query = (select(Casus.referentie, _a.id, _a.volgnummer, _a.vorige_hash, _a.hash, *_INHOUD)
             .select_from(AuditEvent.__table__).outerjoin(Casus, Casus.id == _a.casus_id)
             .order_by(_a.casus_id, _a.volgnummer, _a.id))
    if casus is not None:
        query = query.where(Casus.referentie == casus)
    for rij in session.execute(query.execution_options(yield_per=5000)).mappings():
        yield rij["referentie"], Schakel(rij["id"], rij["volgnummer"], rij["vorige_hash"], rij["hash"],
                                         {c.name: rij[c.name] for c in _INHOUD})


# --- anchors in the archive ------------------------------------------------------------------------


def ankerpad(archief: Path, datum: str) -> Path:
    return archief / ANKERMAP / f"{datum}.json"


def laatste_ankers(archief: Path, aantal: int) -> list[dict]:
    """The newest `aantal` anchors, newest first."""
    map_ = archief / ANKERMAP
    paden = sorted(map_.glob("????-??-??.json"), reverse=True)[:aantal] if map_.is_dir() else []
    return [json.loads(p.read_text()) for p in paden]

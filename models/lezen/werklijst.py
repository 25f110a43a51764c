"""The work list: the open casussen that wait for a person's decision, most urgent first, a page
at a time (the page /werklijst, web/werklijst).

Read from the case store, the source of truth, not from Prefect: which casussen wait comes from
the lifecycle's own rule (`besluiten.wachtend_op_een_persoon`, derived from
`automatische_stap`). Codes and dates only, nothing personal: what staff already see in
Prefect's run list.

Order: the nearest deadline first (the earliest open, not suspended term), then urgentie (acuut,
spoed, regulier) and the longest waiting; the casussen without a running term after all those,
by urgentie and waiting time. The casussen with a deadline are read along the open terms'
deadline index (`ix_termijn_open_vervalt_op`), so a page near the top costs a count and a few
dozen rows at any volume; a page far down reads up to its place (benchmarks/werklijst_benchmark.py).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, null, or_, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from models.opslag.casus import Casus, Termijn
from models.opslag.regio import Gemeente
from models.regels.besluiten import wachtend_op_een_persoon
from models.regels.instellingen import TermijnSoort, Urgentie
from models.regels.levensloop import Status

PAGINAGROOTTE = 50
# Most urgent first: the order of the enum (acuut, spoed, regulier).
_URGENTIE_VOLGORDE = {u.value: i for i, u in enumerate(Urgentie)}


@dataclass(frozen=True)
class Filter:
    """What the person chose; None is "alle"."""

    gemeente: str | None = None  # CBS code
    stap: Status | None = None
    urgentie: Urgentie | None = None
    pagina: int = 1


@dataclass(frozen=True)
class Rij:
    referentie: str
    gemeente: str  # the name
    status: str
    urgentie: str
    wacht_sinds: dt.datetime  # since the casus entered this step
    termijn: dt.datetime | None  # the nearest deadline of an open term
    flow_run_id: str | None


@dataclass(frozen=True)
class Werklijst:
    rijen: list[Rij]
    totaal: int
    pagina: int  # the page shown (a page past the end shows the last one)
    paginas: int


def stappen() -> list[Status]:
    """The steps a casus can wait in, in lifecycle order: the choices of the stap filter."""
    wachtend = wachtend_op_een_persoon()
    return [s for s in Status if s in wachtend.altijd | wachtend.met_acute_termijn]


def gemeenten(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the region's gemeenten, by name: the choices of the gemeente filter."""
    return [(code, naam) for code, naam in session.exec(select(Gemeente.code, Gemeente.naam).order_by(Gemeente.naam))]


def _open_termijn(termijn=Termijn):
    return and_(termijn.voldaan_op.is_(None), termijn.opgeschort_op.is_(None))


def _wacht_op_een_persoon():
    wachtend = wachtend_op_een_persoon()
    acuut = aliased(Termijn)  # the page's own query reads Termijn too
    acute_termijn = exists().where(acuut.casus_id == Casus.id, acuut.soort == TermijnSoort.acute_reactie.value,
                                   _open_termijn(acuut))
    return or_(Casus.status.in_(sorted(wachtend.altijd)),
               and_(Casus.status.in_(sorted(wachtend.met_acute_termijn)), acute_termijn))


def _voorwaarden(filter_: Filter) -> list:
    voorwaarden = [_wacht_op_een_persoon()]
    if filter_.gemeente:
        voorwaarden.append(Casus.gemeente_code == filter_.gemeente)
    if filter_.stap:
        voorwaarden.append(Casus.status == filter_.stap.value)
    if filter_.urgentie:
        voorwaarden.append(Casus.urgentie == filter_.urgentie.value)
    return voorwaarden


_KOLOMMEN = (Casus.referentie, Gemeente.naam, Casus.status, Casus.urgentie, Casus.status_sinds)
_URGENTIE = case(_URGENTIE_VOLGORDE, value=Casus.urgentie, else_=len(_URGENTIE_VOLGORDE))


def _met_termijn(voorwaarden: list):
    """The casussen with a running term, each once at its nearest deadline: read along the open
    terms' deadline index, so a page near the top stops after a few rows instead of sorting all."""
    eerder = aliased(Termijn)
    nog_eerder = exists().where(eerder.casus_id == Termijn.casus_id, _open_termijn(eerder), or_(
        eerder.vervalt_op < Termijn.vervalt_op, and_(eerder.vervalt_op == Termijn.vervalt_op, eerder.id < Termijn.id)))
    return (select(*_KOLOMMEN, Termijn.vervalt_op, Casus.flow_run_id)
            .select_from(Termijn).join(Casus, Casus.id == Termijn.casus_id)
            .join(Gemeente, Gemeente.code == Casus.gemeente_code)
            .where(_open_termijn(), ~nog_eerder, *voorwaarden)
            .order_by(Termijn.vervalt_op, _URGENTIE, Casus.status_sinds, Casus.id))


def _heeft_termijn():
    open_ = aliased(Termijn)
    return exists().where(open_.casus_id == Casus.id, _open_termijn(open_))


def _zonder_termijn(voorwaarden: list):
    return (select(*_KOLOMMEN, null().label("termijn"), Casus.flow_run_id)
            .join(Gemeente, Gemeente.code == Casus.gemeente_code)
            .where(~_heeft_termijn(), *voorwaarden)
            .order_by(_URGENTIE, Casus.status_sinds, Casus.id))


def werklijst(session: Session, filter_: Filter) -> Werklijst:
    """One page: the casussen with a deadline first, then those without (a page may hold both)."""
    if session.get_bind().dialect.name == "postgresql":
        # Its JIT would compile the count (an estimated cost far above its threshold) for longer
        # than the count takes; as for the report (rapportage.py). For this transaction only.
        session.execute(text("SET LOCAL jit = off"))
    voorwaarden = _voorwaarden(filter_)
    totaal = session.exec(select(func.count()).select_from(Casus).where(*voorwaarden)).one()
    paginas = max(1, math.ceil(totaal / PAGINAGROOTTE))
    pagina = min(max(1, filter_.pagina), paginas)
    begin = (pagina - 1) * PAGINAGROOTTE
    # The first page, which most people open, needs no more: it starts among the casussen with a
    # deadline. Another page first counts those, to read each group only where the page lies.
    met = totaal if begin == 0 else session.exec(
        select(func.count()).select_from(Casus).where(_heeft_termijn(), *voorwaarden)).one()
    rijen = []
    if begin < met:
        rijen = session.exec(_met_termijn(voorwaarden).offset(begin).limit(PAGINAGROOTTE)).all()
    if len(rijen) < PAGINAGROOTTE:
        rijen += session.exec(_zonder_termijn(voorwaarden).offset(max(0, begin + len(rijen) - met))
                              .limit(PAGINAGROOTTE - len(rijen))).all()
    return Werklijst([Rij(*rij) for rij in rijen], totaal, pagina, paginas)

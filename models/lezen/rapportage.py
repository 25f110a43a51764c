"""The biweekly report to the regional overleg: its figures, their publication and the archive
(periods: models/regels/perioden.py; suppression: models/regels/onderdrukking.py).

Every figure is computed by the database with grouped queries over the case store (never by
loading cases into Python), per municipality of the settings and for the region. What the
report shows is the *published* version: counts below `rapportage.minimum_aantal` become
"<5", and any other count that would let such a count be derived becomes "x" (secondary
suppression, checked against every relation together and the bounds a reader knows). Earlier
periods (the chart, the base of a change) show what their sent report published, from the
archive. Only published figures leave `publiceer`; the raw figures stay in the process.

Definitions (the README section spells them out for staff):
- Period: report for period end E covers the local days (E - interval, E]; "as of the end" is
  local midnight after E. The schedule's first report moment is `rapportage.anker`.
- Werkvoorraad per dienst as of E: every open casus, by the dienst of its status at E, which
  the audit trail gives (the last status event before E that changed the dienst). The wait is
  counted in working days from the day the casus entered that dienst to E, with the `werkdag`
  table (running count of working days) so the database can subtract.
- Terms: legal terms that fell due in the period; on time when met at or before the deadline,
  late otherwise (also when still open). Suspended terms are left out until they resume.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import (
    Float, Index, Integer, and_, case, cast, func, literal, literal_column, null, or_, select, text, union_all,
)
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from models.lezen import plustaken
from models.lezen.plustaken import PlustaakInRapport
from models.opslag.casus import STATUS_ACTIE, AuditEvent, Casus, Melding, Termijn
from models.opslag.communicatie import Rapport
from models.opslag.typen import UTCDateTime
from models.opslag.werkdagen import Werkdag
from models.regels.inloopplan import Inloopplanrapport
from models.regels.instellingen import CapaciteitsModus, Instellingen, TermijnSoort, Urgentie
from models.regels.levensloop import Status
from models.regels.onderdrukking import REGIO, TOTAAL, VERBORGEN, Cel, kolomlijnen, marge_rang, onderdruk, percentage, verschil
from models.regels.perioden import Periode, eerdere_perioden


# The status events of the audit trail (the constant is shared with the partial index
# `ix_auditevent_statusspoor` in models/opslag/casus.py, which SQLite only uses for it).
_STATUS = STATUS_ACTIE


# --- what the report counts -----------------------------------------------------------------------


class Dienst(StrEnum):
    """The services of the continuity plan (seed 004) the werkvoorraad is reported by."""

    veiligheidsbeoordeling = "veiligheidsbeoordeling"
    wachtlijst = "wachtlijst"  # status werkvoorraad: onderzoek or V&V not started yet
    onderzoek = "onderzoek"
    voorwaarden_en_vervolg = "voorwaarden_en_vervolg"
    overdracht = "overdracht"
    monitoring = "monitoring"


_AFGESLOTEN = "afgesloten"
_BOVEN = "langer_dan_gebruikelijk"  # the query's rows of the wachtlijst's long waiters
DIENST_VAN_STATUS: dict[Status, Dienst] = {
    Status.ontvangen: Dienst.veiligheidsbeoordeling,
    Status.veiligheidscheck: Dienst.veiligheidsbeoordeling,
    Status.veiligheidsbeoordeling: Dienst.veiligheidsbeoordeling,
    Status.besluit: Dienst.veiligheidsbeoordeling,
    Status.werkvoorraad: Dienst.wachtlijst,
    Status.onderzoek: Dienst.onderzoek,
    Status.rvdk_verzoek: Dienst.onderzoek,  # an onderzoek by the Raad voor de Kinderbescherming
    Status.voorwaarden_en_vervolg: Dienst.voorwaarden_en_vervolg,
    Status.overdracht: Dienst.overdracht,
    Status.monitoring: Dienst.monitoring,
}
assert set(DIENST_VAN_STATUS) | {Status.afgesloten} == set(Status), "elke open status hoort bij een dienst"

_NORMTERMIJNEN = {
    "veiligheidsbeoordeling": [TermijnSoort.veiligheidsbeoordeling],
    "onderzoek_en_venv": [TermijnSoort.onderzoek, TermijnSoort.voorwaarden_en_vervolg],
}


def _dienst_van(kolom):
    return case({s.value: d.value for s, d in DIENST_VAN_STATUS.items()}, value=kolom, else_=_AFGESLOTEN)


def _som(voorwaarde):
    return func.coalesce(func.sum(case((voorwaarde, 1), else_=0)), 0)


def _met_regio(gegroepeerd: Select) -> Select:
    """A query grouped by gemeente_code, plus the region's row (gemeente_code NULL) that the
    database sums from it."""
    g = gegroepeerd.cte()
    tellers = [c for c in g.c if c.name != "gemeente_code"]
    return union_all(select(g), select(null().label("gemeente_code"),
                                       *[func.coalesce(func.sum(c), 0).label(c.name) for c in tellers]))


def _aantal_waar(voorwaarden) -> ColumnElement:
    """How many of the conditions hold (a sum of CASEs)."""
    return reduce(operator.add, [case((v, 1), else_=0) for v in voorwaarden])


def _intervallen(perioden: Sequence[Periode], codes: Sequence[str]):
    """The spells in which a casus stayed in one dienst, as far as they may reach a period end:
    municipality, opening and closing of the casus, dienst, from (`sinds`) and until (`tot`,
    NULL while it lasts).

    From the audit trail: each status event that changes the dienst starts an interval that
    lasts until the casus's next such event (LEAD, one window over the events of the cases
    concerned); a casus is at the veiligheidsbeoordeling from its opening until its first one.
    The interval that holds at a period end gives the dienst then."""
    vroegste = min(p.eind_utc for p in perioden)
    laatste = max(p.eind_utc for p in perioden)
    # Cases open at some period end: still open, or closed after the earliest end (two index
    # range scans rather than one OR over every casus).
    kandidaat = union_all(*[
        select(Casus.id, Casus.geopend_op)
        .where(open_, Casus.geopend_op < laatste, Casus.gemeente_code.in_(codes))
        for open_ in (Casus.afgesloten_op.is_(None), Casus.afgesloten_op >= vroegste)
    ]).cte("kandidaat")
    k = kandidaat.c
    # The window sorts every event of these cases: only the columns it needs (narrow rows sort
    # faster); the casus's other columns are joined back on the intervals that remain.
    wissels = union_all(
        select(k.id, AuditEvent.tijdstip, AuditEvent.id.label("volgorde"),
               _dienst_van(AuditEvent.naar_status).label("dienst"))
        .join_from(kandidaat, AuditEvent, AuditEvent.casus_id == k.id)
        .where(AuditEvent.actie == _STATUS, AuditEvent.tijdstip < laatste,
               _dienst_van(AuditEvent.van_status) != _dienst_van(AuditEvent.naar_status)),
        # Opening: id 0 sorts before a real event at the same moment.
        select(k.id, k.geopend_op, literal(0), literal(Dienst.veiligheidsbeoordeling.value)),
    ).subquery("wissels")
    w = wissels.c
    alle_intervallen = select(
        w.id, w.dienst, w.tijdstip.label("sinds"),
        func.lead(w.tijdstip, type_=UTCDateTime())
        .over(partition_by=w.id, order_by=(w.tijdstip, w.volgorde)).label("tot"),
    ).subquery("alle_intervallen")
    a = alle_intervallen.c
    # Only intervals open at one of the ends are kept (most intervals of these cases ended long
    # before). MATERIALIZED: the result is read twice, and SQLite would otherwise redo the window.
    return (
        select(Casus.gemeente_code, Casus.geopend_op, Casus.afgesloten_op, a.dienst, a.sinds, a.tot)
        .join_from(alle_intervallen, Casus, Casus.id == a.id)
        .where(a.dienst != _AFGESLOTEN, a.sinds < laatste, or_(a.tot.is_(None), a.tot >= vroegste))
        .cte("intervallen").prefix_with("MATERIALIZED")
    )


def _open_op(i, eind: dt.datetime) -> ColumnElement:
    """Interval `i` holds at moment `eind` (and its casus was open then)."""
    eind = literal(eind, UTCDateTime())
    return and_(i.sinds < eind, or_(i.tot.is_(None), i.tot >= eind), i.geopend_op < eind,
                or_(i.afgesloten_op.is_(None), i.afgesloten_op >= eind))


@dataclass(frozen=True)
class Wachttijd:
    aantal: int
    mediaan: float
    langste: int
    boven_gebruikelijk: int


def _werkvoorraad(session: Session, perioden: Sequence[Periode], codes: Sequence[str], gebruikelijk: int):
    """One statement (the intervals are computed once): the open casussen per (period end k,
    municipality, dienst) with totals and the region, per period end the families on the
    wachtlijst longer than `gebruikelijk` working days (each period's suppression protects that
    part of its wachtlijst), and for the newest period the median and longest wait in working
    days, with a window-function median that works on SQLite and PostgreSQL alike."""
    intervallen = _intervallen(perioden, codes)
    i = intervallen.c
    # An interval holds at a contiguous run of the period ends (k = 0 newest): van_k counts the
    # ends it (or its casus) was already over by, which are the newest ones; tot_k the ends it had
    # begun by. It holds at each k with van_k <= k < tot_k. Counting per (van_k, tot_k) and then
    # per k avoids joining every interval with every end (a range join on timestamps, six rows
    # out for each row in).
    eindes = [literal(p.eind_utc, UTCDateTime()) for p in perioden]
    per_interval = select(
        i.gemeente_code, i.dienst,
        _aantal_waar(or_(i.tot < e, i.afgesloten_op < e) for e in eindes).label("van_k"),
        _aantal_waar(and_(i.sinds < e, i.geopend_op < e) for e in eindes).label("tot_k"),
    ).subquery("per_interval")
    r = per_interval.c
    bereik = (
        select(r.gemeente_code, r.dienst, r.van_k, r.tot_k, func.count().label("aantal"))
        .group_by(r.gemeente_code, r.dienst, r.van_k, r.tot_k)
        .cte("bereik")
    )
    ks = union_all(*[select(literal(k, Integer).label("k")) for k in range(len(perioden))]).cte("ks")
    b = bereik.c
    per_dienst = (
        select(ks.c.k, b.gemeente_code, b.dienst, func.sum(b.aantal).label("aantal"))
        .join_from(bereik, ks, and_(ks.c.k >= b.van_k, ks.c.k < b.tot_k))
        .group_by(ks.c.k, b.gemeente_code, b.dienst)
        .cte("per_dienst")
    )
    p = per_dienst.c
    geen = (cast(null(), Float), cast(null(), Integer), cast(null(), Integer))
    tellingen = [
        select(p.k, p.gemeente_code, p.dienst, p.aantal, *geen),
        select(p.k, p.gemeente_code, literal(TOTAAL), func.sum(p.aantal), *geen).group_by(p.k, p.gemeente_code),
        select(p.k, null(), p.dienst, func.sum(p.aantal), *geen).group_by(p.k, p.dienst),
        select(p.k, null(), literal(TOTAAL), func.sum(p.aantal), *geen).group_by(p.k),
    ]
    # A casus in its dienst since before the werkdag table starts counts from the table's start.
    volgnummer_sinds = func.coalesce(
        select(Werkdag.volgnummer).where(Werkdag.begin_utc <= i.sinds)
        .order_by(Werkdag.begin_utc.desc()).limit(1).scalar_subquery(), 0,
    )

    def volgnummer_op(p: Periode):
        return select(Werkdag.volgnummer).where(Werkdag.datum == p.eind).scalar_subquery()

    boven = union_all(*[
        select(literal(k, Integer).label("k"), i.gemeente_code, func.count().label("aantal"))
        .where(i.dienst == Dienst.wachtlijst.value, _open_op(i, p.eind_utc),
               volgnummer_op(p) - volgnummer_sinds > gebruikelijk)
        .group_by(i.gemeente_code)
        for k, p in enumerate(perioden)
    ]).cte("boven")
    tellingen += [
        select(boven.c.k, boven.c.gemeente_code, literal(_BOVEN), boven.c.aantal, *geen),
        select(boven.c.k, null(), literal(_BOVEN), func.sum(boven.c.aantal), *geen).group_by(boven.c.k),
    ]
    volgnummer_eind = volgnummer_op(perioden[0])
    wacht = (
        select(i.gemeente_code, i.dienst, (volgnummer_eind - volgnummer_sinds).label("wacht"))
        .where(_open_op(i, perioden[0].eind_utc))
        .cte("wacht")
    )
    met_regio = union_all(
        select(wacht.c.gemeente_code, wacht.c.dienst, wacht.c.wacht),
        select(null(), wacht.c.dienst, wacht.c.wacht),
    ).subquery("met_regio")
    groep = (met_regio.c.gemeente_code, met_regio.c.dienst)
    gerangschikt = select(
        *groep, met_regio.c.wacht,
        func.row_number().over(partition_by=groep, order_by=met_regio.c.wacht).label("rn"),
        func.count().over(partition_by=groep).label("n"),
    ).subquery("gerangschikt")
    g = gerangschikt.c
    # The middle row (odd n) or the mean of the two middle rows (even n).
    midden = or_(g.rn == (g.n + 1) // 2, g.rn == (g.n + 2) // 2)
    wachttijden = (
        select(literal(-1), g.gemeente_code, g.dienst, func.max(g.n), cast(func.avg(case((midden, g.wacht))), Float),
               func.max(g.wacht), _som(g.wacht > gebruikelijk))
        .group_by(g.gemeente_code, g.dienst)
    )
    aantallen: dict[int, dict[tuple[str, str], int]] = {k: {} for k in range(len(perioden))}
    lang: dict[int, dict[str, int]] = {k: {} for k in range(len(perioden))}
    wachten: dict[tuple[str, str], Wachttijd] = {}
    for k, gemeente, dienst, aantal, mediaan, langste, boven in session.execute(union_all(*tellingen, wachttijden)):
        if k == -1:  # a row of the waits (of period 0)
            wachten[(gemeente or REGIO, dienst)] = Wachttijd(int(aantal), float(mediaan), int(langste), int(boven))
        elif dienst == _BOVEN:
            lang[k][gemeente or REGIO] = int(aantal)
        else:
            aantallen[k][(gemeente or REGIO, dienst)] = int(aantal)
    return aantallen, lang, wachten


def _termijnen(session: Session, huidig: Periode, codes: Sequence[str]) -> dict:
    """Legal terms that fell due in the period, and how many were met in time."""
    op_tijd = and_(Termijn.voldaan_op.is_not(None), Termijn.voldaan_op <= Termijn.vervalt_op)
    kolommen = []
    for naam, soorten in _NORMTERMIJNEN.items():
        deze = Termijn.soort.in_([s.value for s in soorten])
        kolommen += [_som(deze).label(f"{naam}_totaal"), _som(and_(deze, op_tijd)).label(f"{naam}_op_tijd")]
    alle_soorten = [s.value for soorten in _NORMTERMIJNEN.values() for s in soorten]
    gegroepeerd = (
        select(Casus.gemeente_code, *kolommen)
        .join_from(Termijn, Casus, Casus.id == Termijn.casus_id)
        .where(Termijn.vervalt_op >= huidig.begin_utc, Termijn.vervalt_op < huidig.eind_utc,
               Termijn.soort.in_(alle_soorten), Termijn.opgeschort_op.is_(None), Casus.gemeente_code.in_(codes))
        .group_by(Casus.gemeente_code)
    )
    return _per_gemeente(session, gegroepeerd)


def _achterstanden(session: Session, huidig: Periode, codes: Sequence[str]) -> dict:
    """Open cases with an overdue handover term or an overdue contact moment at the period end."""
    eind = huidig.eind_utc
    soorten = {"overdracht_over_tijd": TermijnSoort.overdracht, "zonder_contact": TermijnSoort.werkvoorraad_contact}
    # Two index range scans (never met, met after the end) instead of one OR over the whole table.
    open_op_eind = [Termijn.voldaan_op.is_(None), Termijn.voldaan_op >= eind]
    over_tijd = union_all(*[
        select(Termijn.casus_id, Termijn.soort)
        .where(Termijn.soort.in_([s.value for s in soorten.values()]), voorwaarde,
               Termijn.start_op < eind, Termijn.vervalt_op < eind, Termijn.opgeschort_op.is_(None))
        for voorwaarde in open_op_eind
    ]).subquery("over_tijd")
    gegroepeerd = (
        select(Casus.gemeente_code, *[
            func.count(func.distinct(case((over_tijd.c.soort == soort.value, over_tijd.c.casus_id)))).label(naam)
            for naam, soort in soorten.items()
        ])
        .join_from(over_tijd, Casus, Casus.id == over_tijd.c.casus_id)
        .where(Casus.gemeente_code.in_(codes), or_(Casus.afgesloten_op.is_(None), Casus.afgesloten_op >= eind))
        .group_by(Casus.gemeente_code)
    )
    return _per_gemeente(session, gegroepeerd)


def _instroom(session: Session, huidig: Periode, codes: Sequence[str]) -> dict:
    gegroepeerd = (
        select(Melding.gemeente_code, func.count().label("meldingen"),
               _som(Melding.urgentie == Urgentie.acuut.value).label("acuut"),
               _som(Melding.hermelding.is_(True)).label("hermeldingen"))
        .where(Melding.ontvangen_op >= huidig.begin_utc, Melding.ontvangen_op < huidig.eind_utc,
               Melding.gemeente_code.in_(codes))
        .group_by(Melding.gemeente_code)
    )
    return _per_gemeente(session, gegroepeerd)


_GEBEURTENISSEN = ("overdracht_afgerond", "status", "buiten_beeld", "escalatie")


def _gebeurtenissen(session: Session, huidig: Periode, codes: Sequence[str]) -> dict:
    """Handovers done (warm or otherwise), cases out of sight and escalations in the period. A
    handover counts once per casus: an `overdracht_afgerond` event (with its type) or, for flows
    that only record the status, leaving `overdracht` for monitoring or afgesloten."""
    a = AuditEvent
    afgerond = a.actie == "overdracht_afgerond"
    uit_overdracht = and_(a.actie == "status", a.van_status == Status.overdracht.value,
                          a.naar_status.in_([Status.monitoring.value, Status.afgesloten.value]))
    per_casus = (
        select(a.casus_id,
               func.max(case((or_(afgerond, uit_overdracht), 1), else_=0)).label("overdracht"),
               func.max(case((and_(afgerond, a.details["type"].as_string() == "warm"), 1), else_=0)).label("warm"),
               func.max(case((a.actie == "buiten_beeld", 1), else_=0)).label("buiten_beeld"),
               _som(a.actie == "escalatie").label("escalaties"))
        .where(a.actie.in_(_GEBEURTENISSEN), a.tijdstip >= huidig.begin_utc, a.tijdstip < huidig.eind_utc,
               or_(a.actie != "status", a.van_status == Status.overdracht.value))
        .group_by(a.casus_id)
        .subquery("per_casus")
    )
    c = per_casus.c
    gegroepeerd = (
        select(Casus.gemeente_code, func.sum(c.overdracht).label("overdrachten"), func.sum(c.warm).label("warm"),
               func.sum(c.buiten_beeld).label("buiten_beeld"), func.sum(c.escalaties).label("escalaties"))
        .join_from(per_casus, Casus, Casus.id == c.casus_id)
        .where(Casus.gemeente_code.in_(codes))
        .group_by(Casus.gemeente_code)
    )
    return _per_gemeente(session, gegroepeerd)


def _per_gemeente(session: Session, gegroepeerd: Select) -> dict[str, dict[str, int]]:
    resultaat = session.execute(_met_regio(gegroepeerd))
    namen = [n for n in resultaat.keys() if n != "gemeente_code"]
    return {
        rij.gemeente_code or REGIO: {n: int(getattr(rij, n) or 0) for n in namen}
        for rij in resultaat
    }


@dataclass
class RuweCijfers:
    """The exact figures, straight from the database. Never published as such: see `publiceer`."""

    perioden: list[Periode]  # newest first: the report's period, the previous one, ... (chart)
    werkvoorraad: dict[int, dict[tuple[str, str], int]]  # k -> (gemeente|regio, dienst|totaal) -> aantal
    langer_dan_gebruikelijk: dict[int, dict[str, int]]  # k -> gemeente|regio -> on the wachtlijst > usual
    wachttijden: dict[tuple[str, str], Wachttijd]
    termijnen: dict[str, dict[str, int]]
    achterstanden: dict[str, dict[str, int]]
    instroom: dict[str, dict[str, int]]
    gebeurtenissen: dict[str, dict[str, int]]
    # Plustaken (seed 003): joint onderzoeken decided in the period per gemeente (about families:
    # suppressed), and the activities of the period and of the year so far (not: models/lezen/plustaken.py).
    samen_optrekken: dict[str, int] = field(default_factory=dict)
    activiteiten: dict = field(default_factory=dict)
    activiteiten_jaar: dict = field(default_factory=dict)

    def aantal(self, sectie: str, gebied: str, naam: str) -> int:
        """A count of a per-municipality section; 0 for a municipality without any."""
        return getattr(self, sectie).get(gebied, {}).get(naam, 0)


def bereken(session: Session, instellingen: Instellingen, huidig: Periode) -> RuweCijfers:
    """Every figure of the report for `huidig`, by grouped queries (a handful of statements)."""
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL's JIT compiles these statements (a hundred-odd expressions) in 1 to 1.4 s at
        # a million meldingen, longer than they then run: off, for this transaction only.
        session.execute(text("SET LOCAL jit = off"))
    codes = [g.code for g in instellingen.gemeenten]
    perioden = eerdere_perioden(instellingen.rapportage, huidig, instellingen.rapportage.grafiek_perioden)
    werkvoorraad, lang, wachttijden = _werkvoorraad(session, perioden, codes,
                                                    instellingen.gebruikelijke_wachttijd_werkdagen)
    return RuweCijfers(
        perioden=perioden,
        werkvoorraad=werkvoorraad,
        langer_dan_gebruikelijk=lang,
        wachttijden=wachttijden,
        termijnen=_termijnen(session, huidig, codes),
        achterstanden=_achterstanden(session, huidig, codes),
        instroom=_instroom(session, huidig, codes),
        gebeurtenissen=_gebeurtenissen(session, huidig, codes),
        samen_optrekken=plustaken.samen_opgetrokken(session, codes, huidig.begin_utc, huidig.eind_utc),
        activiteiten=plustaken.activiteiten(session, codes, huidig.start, huidig.eind),
        activiteiten_jaar=plustaken.activiteiten(session, codes, dt.date(huidig.eind.year, 1, 1), huidig.eind),
    )


# --- the published report -----------------------------------------------------------------------------


class Dienstregel(BaseModel):
    dienst: str
    aantal: Cel
    verschil: Cel  # since the previous period's report
    mediaan_werkdagen: float | None
    langste_werkdagen: int | None


class Normregel(BaseModel):
    totaal: Cel
    op_tijd: Cel
    te_laat: Cel
    percentage: float | str | None
    norm: float  # percent
    onder_norm: bool | None


class Knelpuntregel(BaseModel):
    soort: str  # a derived kind (see KNELPUNT_SOORTEN) or "medewerker"
    aantal: Cel | None = None
    tekst: str | None = None  # staff-entered knelpunten only


KNELPUNT_SOORTEN = ("veiligheidsbeoordeling_te_laat", "onderzoek_en_venv_te_laat", "langer_dan_gebruikelijk",
                    "overdracht_over_tijd", "zonder_contact")


class Gebiedcijfers(BaseModel):
    code: str  # CBS code, or "regio"
    naam: str
    werkvoorraad: list[Dienstregel]  # every dienst, then the total
    langer_dan_gebruikelijk: Cel  # on the wachtlijst longer than the usual wait
    veiligheidsbeoordeling: Normregel
    onderzoek_en_venv: Normregel
    meldingen: Cel
    acuut: Cel
    hermeldingen: Cel
    overdrachten: Cel
    warm: Cel
    anders: Cel
    buiten_beeld: Cel
    escalaties: Cel
    overdracht_over_tijd: Cel
    zonder_contact: Cel
    knelpunten: list[Knelpuntregel]
    # Plustaken (seed 003); empty in reports archived before they were counted.
    samen_optrekken: Cel | None = None  # joint onderzoeken decided in the period (suppressed)
    plustaken: list[PlustaakInRapport] = []  # bought activity tasks: hours against purchased


class Grafiek(BaseModel):
    perioden: list[dt.date]  # period ends, oldest first
    reeksen: dict[str, list[Cel]]  # municipality code -> werkvoorraad total per period (published)


class Rapportcijfers(BaseModel):
    """Everything the report shows: published figures only, safe for e-mail, artifacts and logs."""

    regio_code: str
    regio_naam: str
    periode_start: dt.date
    periode_eind: dt.date
    vorige_periode_eind: dt.date
    capaciteit: CapaciteitsModus
    minimum_aantal: int
    gebruikelijke_wachttijd_werkdagen: int
    gemeenten: list[Gebiedcijfers]
    regio: Gebiedcijfers
    grafiek: Grafiek
    # Issue 16; None in reports archived before it (their figures are read back from the archive).
    inloopplan: Inloopplanrapport | None = None

    @property
    def gebieden(self) -> list[Gebiedcijfers]:
        return [*self.gemeenten, self.regio]


@dataclass(frozen=True)
class MedewerkerKnelpunt:
    gemeente_code: str | None  # None: the whole region
    tekst: str


_DIENSTEN = [d.value for d in Dienst]


def _tabel(
    per_gebied: Mapping[str, Mapping[str, int]],
    minimum: int,
    relaties: Sequence[Sequence[str]] = (),
    onzichtbaar: Sequence[str] = (),
    totaal: str | None = None,
) -> dict[tuple[str, str], Cel]:
    """Suppress one table: rows are the municipalities and then the region (each column adds
    up to the region's figure), `relaties` are sums within a row (last name = sum of the
    others), `onzichtbaar` names take part in them without being published."""
    gebieden = list(per_gebied)
    namen = list(per_gebied[gebieden[0]])
    waarden = {(g, n): v for g, rij in per_gebied.items() for n, v in rij.items()}
    lijnen = kolomlijnen(gebieden, namen)
    lijnen += [[(g, n) for n in relatie] for g in gebieden for relatie in relaties]
    return onderdruk(waarden, lijnen, minimum, onzichtbaar=[(g, n) for g in gebieden for n in onzichtbaar],
                     rang=marge_rang(totaal))


def _werkvoorraadtabel(ruw: RuweCijfers, k: int, gebieden: Sequence[str], minimum: int) -> dict:
    """The werkvoorraad at period end k suppressed as that period's own report does, whichever
    report shows it: "waiting longer than usual" is a part of the wachtlijst, so its complement
    is protected too."""
    per_gebied = {g: {d: ruw.werkvoorraad[k].get((g, d), 0) for d in [*_DIENSTEN, TOTAAL]} for g in gebieden}
    for g, rij in per_gebied.items():
        rij["boven"] = ruw.langer_dan_gebruikelijk[k].get(g, 0)
        rij["binnen"] = rij[Dienst.wachtlijst.value] - rij["boven"]
    relaties = [[*_DIENSTEN, TOTAAL], ["boven", "binnen", Dienst.wachtlijst.value]]
    return _tabel(per_gebied, minimum, relaties, ["binnen"], totaal=TOTAAL)


def _zoals_gepubliceerd(rapport: Rapportcijfers, gebieden: Sequence[str]) -> dict[tuple[str, str], Cel]:
    """The werkvoorraad a sent report published for its own period; a municipality or dienst it
    did not show stays hidden."""
    getoond = {(g.code, r.dienst): r.aantal for g in rapport.gebieden for r in g.werkvoorraad}
    return {(g, d): getoond.get((g, d), VERBORGEN) for g in gebieden for d in [*_DIENSTEN, TOTAAL]}


def _normtabel(ruw: RuweCijfers, naam: str, gebieden: Sequence[str], minimum: int) -> dict:
    per_gebied = {}
    for g in gebieden:
        totaal = ruw.aantal("termijnen", g, f"{naam}_totaal")
        op_tijd = ruw.aantal("termijnen", g, f"{naam}_op_tijd")
        per_gebied[g] = {"op_tijd": op_tijd, "te_laat": totaal - op_tijd, TOTAAL: totaal}
    return _tabel(per_gebied, minimum, [["op_tijd", "te_laat", TOTAAL]], totaal=TOTAAL)


def _instroomtabel(ruw: RuweCijfers, gebieden: Sequence[str], minimum: int) -> dict:
    per_gebied = {}
    for g in gebieden:
        meldingen, acuut, her = (ruw.aantal("instroom", g, n) for n in ("meldingen", "acuut", "hermeldingen"))
        per_gebied[g] = {"meldingen": meldingen, "acuut": acuut, "niet_acuut": meldingen - acuut,
                         "hermeldingen": her, "eerste": meldingen - her}
    return _tabel(per_gebied, minimum, [["acuut", "niet_acuut", "meldingen"], ["hermeldingen", "eerste", "meldingen"]],
                  onzichtbaar=["niet_acuut", "eerste"], totaal="meldingen")


def _overdrachttabel(ruw: RuweCijfers, gebieden: Sequence[str], minimum: int) -> dict:
    per_gebied = {}
    for g in gebieden:
        totaal, warm = ruw.aantal("gebeurtenissen", g, "overdrachten"), ruw.aantal("gebeurtenissen", g, "warm")
        per_gebied[g] = {"warm": warm, "anders": totaal - warm, "overdrachten": totaal}
    return _tabel(per_gebied, minimum, [["warm", "anders", "overdrachten"]], totaal="overdrachten")


def _kolomtabel(ruw: RuweCijfers, sectie: str, namen: Sequence[str], gebieden: Sequence[str], minimum: int) -> dict:
    """Counts that only add up over the municipalities."""
    return _tabel({g: {n: ruw.aantal(sectie, g, n) for n in namen} for g in gebieden}, minimum)


def publiceer(
    ruw: RuweCijfers,
    instellingen: Instellingen,
    capaciteit: CapaciteitsModus,
    knelpunten: Sequence[MedewerkerKnelpunt] = (),
    gepubliceerd: Mapping[dt.date, Rapportcijfers] = {},
) -> Rapportcijfers:
    """The report as published: every count suppressed where needed, percentages and changes
    only where both counts are shown, and the knelpunten derived from the figures.

    `gepubliceerd`: the reports already sent, by period end. An earlier period (the base of a
    change, a point of the chart) shows exactly what its report published, so no report
    reveals a count an earlier one hid; a period without a sent report is suppressed as its
    report would have been."""
    r = instellingen.rapportage
    minimum = r.minimum_aantal
    namen = {g.code: g.naam for g in instellingen.gemeenten}
    gebieden = [*namen, REGIO]
    huidig, vorige = ruw.perioden[0], ruw.perioden[1]

    werkvoorraad = [
        _zoals_gepubliceerd(gepubliceerd[p.eind], gebieden) if k and p.eind in gepubliceerd
        else _werkvoorraadtabel(ruw, k, gebieden, minimum)
        for k, p in enumerate(ruw.perioden)
    ]
    normen = {naam: _normtabel(ruw, naam, gebieden, minimum) for naam in _NORMTERMIJNEN}
    normwaarde = {"veiligheidsbeoordeling": r.norm_veiligheidsbeoordeling,
                  "onderzoek_en_venv": r.norm_onderzoek_en_venv}
    instroom = _instroomtabel(ruw, gebieden, minimum)
    overdrachten = _overdrachttabel(ruw, gebieden, minimum)
    losse = _kolomtabel(ruw, "gebeurtenissen", ["buiten_beeld", "escalaties"], gebieden, minimum)
    achterstand = _kolomtabel(ruw, "achterstanden", ["overdracht_over_tijd", "zonder_contact"], gebieden, minimum)
    samen = plustaken.onderdrukte_samen(ruw.samen_optrekken, list(namen), minimum)

    def normregel(naam: str, g: str) -> Normregel:
        cel = normen[naam]
        pct = percentage(cel[(g, "op_tijd")], cel[(g, TOTAAL)])
        norm = round(100 * normwaarde[naam], 1)
        return Normregel(totaal=cel[(g, TOTAAL)], op_tijd=cel[(g, "op_tijd")], te_laat=cel[(g, "te_laat")],
                         percentage=pct, norm=norm, onder_norm=pct < norm if isinstance(pct, float) else None)

    def dienstregels(g: str) -> list[Dienstregel]:
        regels = []
        for d in [*_DIENSTEN, TOTAAL]:
            wacht = ruw.wachttijden.get((g, d))
            # A single family's wait is not an aggregate: only shown for a group of `minimum` or
            # more, and only beside its count (beside an "x" it would tell that count is >= minimum).
            toon = wacht is not None and wacht.aantal >= minimum and isinstance(werkvoorraad[0][(g, d)], int)
            regels.append(Dienstregel(
                dienst=d, aantal=werkvoorraad[0][(g, d)], verschil=verschil(werkvoorraad[0][(g, d)], werkvoorraad[1][(g, d)]),
                mediaan_werkdagen=wacht.mediaan if toon else None, langste_werkdagen=wacht.langste if toon else None,
            ))
        return regels

    def knelpuntregels(g: str) -> list[Knelpuntregel]:
        getoond = {
            "veiligheidsbeoordeling_te_laat": normen["veiligheidsbeoordeling"][(g, "te_laat")],
            "onderzoek_en_venv_te_laat": normen["onderzoek_en_venv"][(g, "te_laat")],
            "langer_dan_gebruikelijk": werkvoorraad[0][(g, "boven")],
            "overdracht_over_tijd": achterstand[(g, "overdracht_over_tijd")],
            "zonder_contact": achterstand[(g, "zonder_contact")],
        }
        # A knelpunt is there when its count is above zero; a suppressed count is never zero.
        afgeleid = [Knelpuntregel(soort=s, aantal=getoond[s]) for s in KNELPUNT_SOORTEN if getoond[s] != 0]
        eigen = [Knelpuntregel(soort="medewerker", tekst=k.tekst) for k in knelpunten
                 if (k.gemeente_code or REGIO) == g]
        return afgeleid + eigen

    def gebied(g: str) -> Gebiedcijfers:
        return Gebiedcijfers(
            code=g, naam=namen.get(g, instellingen.regio.naam), werkvoorraad=dienstregels(g),
            langer_dan_gebruikelijk=werkvoorraad[0][(g, "boven")],
            veiligheidsbeoordeling=normregel("veiligheidsbeoordeling", g),
            onderzoek_en_venv=normregel("onderzoek_en_venv", g),
            meldingen=instroom[(g, "meldingen")], acuut=instroom[(g, "acuut")],
            hermeldingen=instroom[(g, "hermeldingen")],
            overdrachten=overdrachten[(g, "overdrachten")], warm=overdrachten[(g, "warm")],
            anders=overdrachten[(g, "anders")],
            buiten_beeld=losse[(g, "buiten_beeld")], escalaties=losse[(g, "escalaties")],
            overdracht_over_tijd=achterstand[(g, "overdracht_over_tijd")],
            zonder_contact=achterstand[(g, "zonder_contact")],
            knelpunten=knelpuntregels(g),
            samen_optrekken=samen[g],
            plustaken=plustaken.rapportregels(instellingen.gemeente(g), ruw.activiteiten, ruw.activiteiten_jaar)
            if g != REGIO else [],
        )

    return Rapportcijfers(
        regio_code=instellingen.regio.code, regio_naam=instellingen.regio.naam,
        periode_start=huidig.start, periode_eind=huidig.eind, vorige_periode_eind=vorige.eind,
        capaciteit=capaciteit, minimum_aantal=minimum,
        gebruikelijke_wachttijd_werkdagen=instellingen.gebruikelijke_wachttijd_werkdagen,
        gemeenten=[gebied(g) for g in namen], regio=gebied(REGIO),
        grafiek=Grafiek(
            perioden=[p.eind for p in reversed(ruw.perioden)],
            reeksen={g: [tabel[(g, TOTAAL)] for tabel in reversed(werkvoorraad)] for g in gebieden},
        ),
    )


def gepubliceerde_wachtlijst(rapport: Rapportcijfers, gebieden: Sequence[str]) -> dict[str, Cel]:
    """The wachtlijst per area as a report published it; an area it did not show stays hidden."""
    tabel = _zoals_gepubliceerd(rapport, gebieden)
    return {g: tabel[(g, Dienst.wachtlijst.value)] for g in gebieden}


# --- the archive --------------------------------------------------------------------------------------


def rapportsleutel(periode_eind: dt.date, versie: int) -> str:
    """Key of one version of a period's report: the archive row and its e-mail share it, so
    asking again for the same version sends nothing twice."""
    return f"rapportage:{periode_eind.isoformat()}:v{versie}"


@dataclass(frozen=True)
class Rapportversie:
    """One archived version of a report: what the e-mail needs, and safe to persist."""

    rapport_id: int
    periode_eind: dt.date
    versie: int
    sleutel: str
    bijlagen: list[str]
    cijfers: Rapportcijfers


def _versie(rapport) -> Rapportversie:
    return Rapportversie(
        rapport_id=rapport.id, periode_eind=rapport.periode_eind, versie=rapport.versie, sleutel=rapport.sleutel,
        bijlagen=[str(Path(rapport.pad) / naam) for naam in rapport.bestanden],
        cijfers=Rapportcijfers.model_validate(rapport.cijfers),
    )


def laatste_versie(session: Session, periode_eind: dt.date) -> Rapportversie | None:
    rapport = session.execute(
        select(Rapport).where(Rapport.periode_eind == periode_eind).order_by(Rapport.versie.desc()).limit(1)
    ).scalars().first()
    return _versie(rapport) if rapport else None


def archiveer(session: Session, cijfers: Rapportcijfers, versie: int, map_: Path, bestanden: Mapping[str, str],
              hoofdbestand: str) -> Rapportversie:
    """Record a version of the report: its folder, every file with its sha256, the published
    figures (history), and the checksum of the report itself (the PDF)."""
    rapport = Rapport(
        sleutel=rapportsleutel(cijfers.periode_eind, versie), periode_start=cijfers.periode_start,
        periode_eind=cijfers.periode_eind, versie=versie, pad=str(map_), checksum=bestanden[hoofdbestand],
        bestanden=dict(bestanden), cijfers=cijfers.model_dump(mode="json"),
    )
    session.add(rapport)
    session.flush()
    return _versie(rapport)


def gepubliceerde_rapporten(session: Session, perioden: Iterable[Periode]) -> dict[dt.date, Rapportcijfers]:
    """The published figures of the report of each of these periods that went out: its latest
    sent version (a version archived but not sent yet is what the next run sends, so that one
    when none was sent)."""
    eindes = {p.eind for p in perioden}
    rapporten = session.execute(
        select(Rapport).where(Rapport.periode_eind.in_(eindes))
        .order_by(Rapport.periode_eind, Rapport.verzonden_op.is_(None), Rapport.versie.desc())
    ).scalars()
    gepubliceerd: dict[dt.date, Rapportcijfers] = {}
    for rapport in rapporten:
        gepubliceerd.setdefault(rapport.periode_eind, Rapportcijfers.model_validate(rapport.cijfers))
    return gepubliceerd


def markeer_verzonden(session: Session, rapport_id: int, moment: dt.datetime) -> None:
    rapport = session.get(Rapport, rapport_id)
    if rapport.verzonden_op is None:
        rapport.verzonden_op = moment
        session.add(rapport)

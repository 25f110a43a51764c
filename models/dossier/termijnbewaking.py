"""Deadline watch (termijnbewaking): when each step of a term's escalation ladder is due, how
late a term is, and the queries and commands of the watch. Rules and functions that take a
Session; no Prefect.

State of a term (columns of `Termijn`):
- `escalatie_stap`: index, in the term's ladder, of the next step to fire;
- `volgende_actie_op`: when the watch looks at the term again (the moment of that step); NULL
  once the ladder is done, and cleared when the term is met.

The watch reads `voldaan_op IS NULL AND opgeschort_op IS NULL AND volgende_actie_op <= now`
(partial index `ix_termijn_open_volgende_actie`): its cost follows the terms that need action,
never the number of open cases. It fires a step with a compare-and-set on (id, escalatie_stap,
vervalt_op): only the run whose update hits the row places the step's notifications and its
audit event, in the same transaction, so concurrent or repeated runs fire each step once.

A term that is several steps behind (the watch was down, or a term was registered late) gets
every missed step once, in ladder order, in the same run: each role on the ladder hears of it,
and each message states how late the term is at that moment, so a late warning reads right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from sqlalchemy import Boolean, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from models.opslag.casus import AuditEvent, Casus, Termijn
from models.opslag.communicatie import Notificatie
from models.dossier.auditketen import keten, vergrendel
from models.dossier.wijzigingen import audit_rij
from models.regels.instellingen import EscalatieMoment, EscalatieStap, Instellingen, TermijnSoort, instellingen
from models.regels.kalender import AMSTERDAM, Werkkalender, werkkalender
from models.regels.ontvangers import rol
from models.opslag.typen import UTCDateTime, nu

UTC = dt.timezone.utc
ACTOR = "termijnbewaking"
SOORT_NOTIFICATIE = "escalatie"

_OPEN = (Termijn.voldaan_op.is_(None), Termijn.opgeschort_op.is_(None))


class zelden_waar(FunctionElement):
    """A condition that holds for few rows. SQLite's planner cannot see that a range on a
    partial index of open terms is small (after ANALYZE it preferred (soort, voldaan_op) and
    read every open term, 10x slower at 100,000 cases): `likelihood(x, 0.001)` tells it.
    Other databases get the plain condition."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition itself: no "= 1" around it on SQLite


@compiles(zelden_waar)
def _zelden_waar(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(zelden_waar, "sqlite")
def _zelden_waar_sqlite(element, compiler, **kw):
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.001)"


# --- rules -----------------------------------------------------------------------------------


class Termijnmomenten(Protocol):
    start_op: dt.datetime
    waarschuw_op: dt.datetime
    vervalt_op: dt.datetime


def ladder_van(soort: str, regio: Instellingen) -> list[EscalatieStap]:
    """Acute terms have their own, short ladder."""
    return regio.escalatie.acute_ladder if soort == TermijnSoort.acute_reactie else regio.escalatie.ladder


def na_werkdagen(moment: dt.datetime, werkdagen: int, kalender: Werkkalender) -> dt.datetime:
    """`werkdagen` working days after `moment`, at the same Amsterdam wall-clock time: a deadline
    at 23:59:59 stays at 23:59:59 across a daylight-saving change."""
    lokaal = moment.astimezone(AMSTERDAM)
    dag = kalender.plus_werkdagen(lokaal.date(), werkdagen)
    return dt.datetime.combine(dag, lokaal.time(), tzinfo=AMSTERDAM).astimezone(UTC)


def stapmoment(stap: EscalatieStap, termijn: Termijnmomenten, kalender: Werkkalender) -> dt.datetime:
    """In UTC: Python compares two datetimes of the same zone by wall clock, wrong in the hour
    that repeats when daylight saving ends."""
    if stap.moment is EscalatieMoment.direct:
        return termijn.start_op.astimezone(UTC)
    if stap.moment is EscalatieMoment.waarschuwing:
        return termijn.waarschuw_op.astimezone(UTC)
    if stap.moment is EscalatieMoment.vervaldatum:
        return termijn.vervalt_op.astimezone(UTC)
    return na_werkdagen(termijn.vervalt_op, stap.werkdagen_na_vervaldatum, kalender)


def stapmomenten(termijn: Termijnmomenten, ladder: Sequence[EscalatieStap], kalender: Werkkalender) -> list[dt.datetime]:
    return [stapmoment(stap, termijn, kalender) for stap in ladder]


def werkdagen_te_laat(vervalt_op: dt.datetime, moment: dt.datetime, kalender: Werkkalender) -> int:
    """Whole working days past the deadline: the largest n with `na_werkdagen(vervalt_op, n) <=
    moment`, so an 'overschreden + N werkdagen' step fires exactly when this reaches N."""
    vervalt, lokaal = vervalt_op.astimezone(AMSTERDAM), moment.astimezone(AMSTERDAM)
    dagen = kalender.werkdagen_tussen(vervalt.date(), lokaal.date())
    if dagen and kalender.is_werkdag(lokaal.date()) and lokaal.time() < vervalt.time():
        dagen -= 1  # today's working day has not reached the deadline's time of day yet
    return dagen


@dataclass(frozen=True)
class Achterstand:
    """How far a term is past its deadline (te_laat) or still before it, at one moment."""

    te_laat: bool
    werkdagen: int  # whole working days late, or working days left after today up to the last day
    uren: int  # whole hours of elapsed time (real time, also across daylight-saving changes)
    minuten: int  # the minutes after those hours


def achterstand(vervalt_op: dt.datetime, moment: dt.datetime, kalender: Werkkalender) -> Achterstand:
    verschil = moment.astimezone(UTC) - vervalt_op.astimezone(UTC)  # elapsed time, not wall clock
    te_laat = verschil >= dt.timedelta(0)
    uren, minuten = divmod(int(abs(verschil).total_seconds()) // 60, 60)
    if te_laat:
        werkdagen = werkdagen_te_laat(vervalt_op, moment, kalender)
    else:
        werkdagen = kalender.werkdagen_tussen(
            moment.astimezone(AMSTERDAM).date(), vervalt_op.astimezone(AMSTERDAM).date()
        )
    return Achterstand(te_laat, werkdagen, uren, minuten)


def herplan(termijn: Termijn, tijdstip: dt.datetime, *, opnieuw: bool = True) -> None:
    """The deadline moved: the watch looks again at the moment of the next step. Verlengd
    (`opnieuw`): steps whose moment now lies after `tijdstip` fire again for the new deadline.
    Hervat after a suspension (not `opnieuw`): steps that fired stay fired. A step that has not
    fired yet is never skipped."""
    regio = instellingen()
    ladder = ladder_van(termijn.soort, regio)
    momenten = stapmomenten(termijn, ladder, werkkalender(regio))
    if opnieuw:
        eerste_toekomstige = next((i for i, m in enumerate(momenten) if m > tijdstip), len(ladder))
        termijn.escalatie_stap = min(termijn.escalatie_stap, eerste_toekomstige)
    termijn.volgende_actie_op = momenten[termijn.escalatie_stap] if termijn.escalatie_stap < len(ladder) else None


# --- the watch -------------------------------------------------------------------------------


class TeBewaken(NamedTuple):
    """One open term whose next action is due, with the case fields its messages need.
    References and codes only. A NamedTuple: built from each row several times faster than a
    frozen dataclass, which counts when a thousand terms are due at once."""

    termijn_id: int
    casus_id: int
    soort: str
    start_op: dt.datetime
    waarschuw_op: dt.datetime
    vervalt_op: dt.datetime
    oorspronkelijk_vervalt_op: dt.datetime
    escalatie_stap: int
    casus_referentie: str
    gemeente_code: str
    flow_run_id: str | None


def te_bewaken(session: Session, moment: dt.datetime, limiet: int | None) -> list[TeBewaken]:
    """Open terms whose next action is due at `moment`, oldest first (index range scan);
    `limiet` None: all of them."""
    rijen = session.execute(
        select(Termijn.id, Termijn.casus_id, Termijn.soort, Termijn.start_op, Termijn.waarschuw_op,
               Termijn.vervalt_op, Termijn.oorspronkelijk_vervalt_op, Termijn.escalatie_stap,
               Casus.referentie, Casus.gemeente_code, Casus.flow_run_id)
        .join(Casus, Casus.id == Termijn.casus_id)
        .where(*_OPEN, zelden_waar(Termijn.volgende_actie_op <= moment))
        .order_by(Termijn.volgende_actie_op)
        .limit(limiet)
    )
    return [TeBewaken(*rij) for rij in rijen]


@dataclass(frozen=True)
class Stapbesluit:
    """What the watch does with one term now: fire `stap` (then wait for the next one), or,
    without a step, only look again at `volgende_actie_op` (None: nothing left to fire)."""

    termijn: TeBewaken
    stap: EscalatieStap | None
    naar_stap: int
    volgende_actie_op: dt.datetime | None


def beslis(termijn: TeBewaken, ladder: Sequence[EscalatieStap], kalender: Werkkalender,
           moment: dt.datetime) -> Stapbesluit:
    k = termijn.escalatie_stap
    if k >= len(ladder):  # the ladder was shortened in the settings
        return Stapbesluit(termijn, None, k, None)
    momenten = stapmomenten(termijn, ladder, kalender)
    if momenten[k] > moment:  # the stored moment is early (deadline moved): wait for the real one
        return Stapbesluit(termijn, None, k, momenten[k])
    return Stapbesluit(termijn, ladder[k], k + 1, momenten[k + 1] if k + 1 < len(ladder) else None)


def sleutel(termijn: TeBewaken, stap: EscalatieStap, rolnaam: str) -> str:
    """One message per term, step, role and deadline: after an extension a step can fire again
    for the new deadline."""
    return (f"{SOORT_NOTIFICATIE}:{termijn.termijn_id}:{stap.naam}:{rolnaam}:"
            f"{termijn.vervalt_op.astimezone(UTC):%Y%m%dT%H%M%SZ}")


@dataclass(frozen=True)
class VoorgenomenStap:
    """A step a dry run found due: what would go out, to whom. References and codes only."""

    casus_referentie: str
    termijn: str
    stap: str
    rollen: tuple[str, ...]
    stapmoment: dt.datetime
    onderwerp: str


@dataclass
class Bewakingsverslag:
    """What one watch run did (or, as a dry run, would do). Counts, outbox ids and case
    references only: safe to store in Prefect."""

    gevuurd: int = 0
    herpland: int = 0
    per_stap: dict[str, int] = field(default_factory=dict)
    notificaties: list[int] = field(default_factory=list)
    proefdraai: bool = False
    voorgenomen: list[VoorgenomenStap] = field(default_factory=list)

    def voeg_toe(self, ander: Bewakingsverslag) -> None:
        self.gevuurd += ander.gevuurd
        self.herpland += ander.herpland
        for stap, aantal in ander.per_stap.items():
            self.per_stap[stap] = self.per_stap.get(stap, 0) + aantal
        self.notificaties.extend(ander.notificaties)


_T = Termijn.__table__.c
# Compare-and-set: a term moves on only if nobody fired, moved or met it since it was read.
# SQLite runs in-process and lets one writer in at a time: one statement per term, compiled once.
_ZET_STAP = (
    update(Termijn.__table__)
    .where(_T.id == bindparam("t_id"), _T.escalatie_stap == bindparam("van_stap"),
           _T.vervalt_op == bindparam("gelezen_vervalt_op", type_=UTCDateTime()),
           _T.voldaan_op.is_(None), _T.opgeschort_op.is_(None))
    .values(escalatie_stap=bindparam("naar_stap"),
            volgende_actie_op=bindparam("nieuwe_actie_op", type_=UTCDateTime()))
)


# PostgreSQL: the same compare-and-set for a whole batch in one statement, where a round trip
# per term would cost more than everything else the watch does. The rows are locked in id
# order first, so two runs wait for each other and never deadlock.
_VERGRENDEL_PG = text("SELECT id FROM termijn WHERE id = ANY(CAST(:ids AS integer[])) ORDER BY id FOR UPDATE")
_ZET_STAPPEN_PG = text("""
    UPDATE termijn AS t SET escalatie_stap = v.naar_stap, volgende_actie_op = v.nieuwe_actie_op
    FROM unnest(CAST(:ids AS integer[]), CAST(:van AS integer[]), CAST(:gelezen AS timestamptz[]),
                CAST(:naar AS integer[]), CAST(:nieuw AS timestamptz[]))
         AS v(id, van_stap, gelezen_vervalt_op, naar_stap, nieuwe_actie_op)
    WHERE t.id = v.id AND t.escalatie_stap = v.van_stap AND t.vervalt_op = v.gelezen_vervalt_op
      AND t.voldaan_op IS NULL AND t.opgeschort_op IS NULL
    RETURNING t.id
""")


def _zet_stappen(session: Session, besluiten: Sequence[Stapbesluit]) -> set[int]:
    """Carry out the compare-and-sets; returns the ids of the terms this run moved on."""
    besluiten = sorted(besluiten, key=lambda b: b.termijn.termijn_id)
    if session.bind.dialect.name != "postgresql":  # SQLite: in-process, one writer at a time
        return {b.termijn.termijn_id for b in besluiten if session.connection().execute(_ZET_STAP, dict(
            t_id=b.termijn.termijn_id, van_stap=b.termijn.escalatie_stap, gelezen_vervalt_op=b.termijn.vervalt_op,
            naar_stap=b.naar_stap, nieuwe_actie_op=b.volgende_actie_op,
        )).rowcount == 1}
    ids = [b.termijn.termijn_id for b in besluiten]
    session.execute(_VERGRENDEL_PG, {"ids": ids}).all()
    return set(session.execute(_ZET_STAPPEN_PG, {
        "ids": ids, "van": [b.termijn.escalatie_stap for b in besluiten],
        "gelezen": [b.termijn.vervalt_op for b in besluiten], "naar": [b.naar_stap for b in besluiten],
        "nieuw": [b.volgende_actie_op for b in besluiten],
    }).scalars())


def voer_uit(session: Session, besluiten: Sequence[Stapbesluit], moment: dt.datetime,
             tekst: Callable[[Stapbesluit], tuple[str, str]]) -> Bewakingsverslag:
    """Carry out the decisions in this transaction. A fired step places one notification per
    role (subject and body from `tekst`) and one audit event `escalatie`; a decision whose
    compare-and-set misses (another run was first) does nothing."""
    verslag = Bewakingsverslag()
    vergrendel(session, [b.termijn.casus_id for b in besluiten if b.stap is not None])  # chains before terms
    gezet = _zet_stappen(session, besluiten)
    gevuurd = [b for b in besluiten if b.termijn.termijn_id in gezet and b.stap is not None]
    verslag.herpland = sum(1 for b in besluiten if b.termijn.termijn_id in gezet and b.stap is None)
    for besluit in gevuurd:
        verslag.per_stap[besluit.stap.naam] = verslag.per_stap.get(besluit.stap.naam, 0) + 1
    verslag.gevuurd = len(gevuurd)
    verslag.notificaties = _plaats_berichten(session, gevuurd, tekst)
    _audit(session, gevuurd, moment)
    return verslag


def _plaats_berichten(session: Session, gevuurd: Sequence[Stapbesluit],
                      tekst: Callable[[Stapbesluit], tuple[str, str]]) -> list[int]:
    """Queue the messages in the outbox (models.dossier.uitgaand) in one statement. The key is unique:
    a message that is already there is left alone, as uitgaand.plaats does."""
    if not gevuurd:
        return []
    # The outbox's own defaults (status, attempts ...), from one model instance: building one
    # per message costs more than the insert. Delivery runs on the real clock.
    basis = Notificatie(sleutel="", soort=SOORT_NOTIFICATIE, ontvanger="", onderwerp="", inhoud="",
                        volgende_poging_op=nu()).model_dump(exclude={"id"})
    rijen = []
    for besluit in gevuurd:
        onderwerp, inhoud = tekst(besluit)
        rijen.extend(
            {**basis, "sleutel": sleutel(besluit.termijn, besluit.stap, rolnaam), "ontvanger": rol(rolnaam),
             "onderwerp": onderwerp, "inhoud": inhoud, "casus_id": besluit.termijn.casus_id}
            for rolnaam in besluit.stap.rollen
        )
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    # A plain executemany (one pipeline on PostgreSQL), then the ids in one indexed query: an
    # INSERT ... RETURNING of many rows is several times slower here.
    session.execute(dialect.insert(Notificatie.__table__).on_conflict_do_nothing(index_elements=["sleutel"]), rijen)
    return list(session.execute(
        select(Notificatie.id).where(Notificatie.sleutel.in_([r["sleutel"] for r in rijen])).order_by(Notificatie.id)
    ).scalars())


def _audit(session: Session, gevuurd: Sequence[Stapbesluit], moment: dt.datetime) -> None:
    if not gevuurd:
        return
    session.execute(insert(AuditEvent.__table__), keten(session, [
        audit_rij(b.termijn.casus_id, ACTOR, "escalatie", tijdstip=moment, details=dict(
            termijn_id=b.termijn.termijn_id, soort=b.termijn.soort, stap=b.stap.naam,
            rollen=list(b.stap.rollen), vervalt_op=b.termijn.vervalt_op.isoformat()))
        for b in gevuurd
    ]))


def gemeentenaam(regio: Instellingen, code: str) -> str:
    """A municipality that left the settings keeps its cases: show its code then."""
    try:
        return regio.gemeente(code).naam
    except KeyError:
        return code


def berichtcontext(besluit: Stapbesluit, regio: Instellingen, kalender: Werkkalender,
                   moment: dt.datetime) -> dict:
    """Everything an escalation e-mail shows: references, codes and moments, never personal data."""
    t, stap = besluit.termijn, besluit.stap
    return dict(
        casus_referentie=t.casus_referentie,
        gemeente=gemeentenaam(regio, t.gemeente_code),
        soort=t.soort,
        omschrijving=regio.termijnen[TermijnSoort(t.soort)].omschrijving,
        stap=stap.naam,
        moment=stap.moment.value,
        werkdagen_na_vervaldatum=stap.werkdagen_na_vervaldatum,
        rollen=list(stap.rollen),
        vervalt_op=t.vervalt_op,
        oorspronkelijk_vervalt_op=t.oorspronkelijk_vervalt_op,
        peilmoment=moment,
        achterstand=achterstand(t.vervalt_op, moment, kalender),
        ui_basis_url=regio.regio.ui_basis_url.rstrip("/"),
        flow_run_id=t.flow_run_id,
    )


# --- a peildatum in the future: a dry run ---------------------------------------------------

# A peildatum this little ahead is "now" on a scheduler whose clock runs slightly ahead.
PROEF_MARGE = dt.timedelta(minutes=1)


def is_proefdraai(moment: dt.datetime) -> bool:
    """A watch run for a moment in the future only shows what would go out: the steps of that
    day are not due yet, and sending them would tell a manager a term is overdue that is not."""
    return moment > nu() + PROEF_MARGE


def vooruitblik(session: Session, moment: dt.datetime, regio: Instellingen,
                onderwerp: Callable[[Stapbesluit], str]) -> Bewakingsverslag:
    """What a watch run at `moment` would fire, in the order it would, without writing anything:
    a term several steps behind gets each missed step, as in the real run."""
    kalender = werkkalender(regio)
    verslag = Bewakingsverslag(proefdraai=True)
    for termijn in te_bewaken(session, moment, None):
        ladder = ladder_van(termijn.soort, regio)
        while (besluit := beslis(termijn, ladder, kalender, moment)).stap is not None:
            verslag.gevuurd += 1
            verslag.per_stap[besluit.stap.naam] = verslag.per_stap.get(besluit.stap.naam, 0) + 1
            verslag.voorgenomen.append(VoorgenomenStap(
                termijn.casus_referentie, termijn.soort, besluit.stap.naam, tuple(besluit.stap.rollen),
                stapmoment(besluit.stap, termijn, kalender), onderwerp(besluit)))
            if besluit.volgende_actie_op is None or besluit.volgende_actie_op > moment:
                break
            termijn = termijn._replace(escalatie_stap=besluit.naar_stap)
    verslag.voorgenomen.sort(key=lambda v: (v.stapmoment, v.casus_referentie))
    return verslag


# --- the overview of terms over time ---------------------------------------------------------


@dataclass(frozen=True)
class OverTijd:
    termijn_id: int
    soort: str
    vervalt_op: dt.datetime
    oorspronkelijk_vervalt_op: dt.datetime
    escalatie_stap: int
    casus_referentie: str
    gemeente_code: str


def over_tijd(session: Session, moment: dt.datetime, gemeente_code: str | None = None) -> list[OverTijd]:
    """Open (not met, not suspended) terms past their deadline at `moment`, per municipality,
    longest overdue first. Reads the partial index on open deadlines only."""
    query = (
        select(Termijn.id, Termijn.soort, Termijn.vervalt_op, Termijn.oorspronkelijk_vervalt_op,
               Termijn.escalatie_stap, Casus.referentie, Casus.gemeente_code)
        .join(Casus, Casus.id == Termijn.casus_id)
        .where(*_OPEN, zelden_waar(Termijn.vervalt_op < moment))
        .order_by(Casus.gemeente_code, Termijn.vervalt_op, Termijn.id)
    )
    if gemeente_code is not None:
        query = query.where(Casus.gemeente_code == gemeente_code)
    return [OverTijd(*rij) for rij in session.execute(query)]


def laatste_stap(rij: OverTijd, regio: Instellingen) -> str | None:
    """Name of the last step fired for the term's current deadline round, if any."""
    ladder = ladder_van(rij.soort, regio)
    k = min(rij.escalatie_stap, len(ladder))
    return ladder[k - 1].naam if k else None


def overzichtsregels(rijen: Sequence[OverTijd], regio: Instellingen, moment: dt.datetime) -> list[dict]:
    """Rows of the 'termijnen over tijd' overview (Prefect table artifact, `vt termijn over-tijd`)."""
    kalender = werkkalender(regio)
    regels = []
    for rij in rijen:
        stand = achterstand(rij.vervalt_op, moment, kalender)
        regels.append({
            "gemeente": gemeentenaam(regio, rij.gemeente_code),
            "gemeente_code": rij.gemeente_code,
            "casus": rij.casus_referentie,
            "termijn": rij.soort,
            "termijn_id": rij.termijn_id,
            "vervallen_op": rij.vervalt_op,
            "verlengd": rij.vervalt_op != rij.oorspronkelijk_vervalt_op,
            "werkdagen_te_laat": stand.werkdagen,
            "uren_te_laat": stand.uren,
            "laatste_stap": laatste_stap(rij, regio),
        })
    return regels

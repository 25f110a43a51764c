"""Changes to a casus that every flow and command goes through: status transitions, terms
(met, suspended, resumed, extended) and the audit event each change leaves behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from models.dossier.auditketen import keten
from models.opslag.casus import AuditEvent, Casus, Termijn
from models.regels.instellingen import TermijnSoort, instellingen
from models.regels.levensloop import Status, controleer_overgang
from models.regels.kalender import AMSTERDAM, werkkalender
from models.regels.termijnbeleid import TermijnBerekening, eenheid_van, na_opschorting
from models.opslag.typen import nu


class GelijktijdigeWijziging(RuntimeError):
    """Someone else changed the casus between reading and writing it."""

    def __init__(self, referentie: str):
        super().__init__(
            f"Casus {referentie} is intussen door iemand anders gewijzigd. "
            "Laad de casus opnieuw en probeer het nog eens."
        )
        self.referentie = referentie


class OnbekendeCasus(LookupError):
    def __init__(self, referentie: str):
        super().__init__(f"Casus {referentie} bestaat niet.")


def casus_op_referentie(session: Session, referentie: str) -> Casus:
    casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one_or_none()
    if casus is None:
        raise OnbekendeCasus(referentie)
    return casus


def audit_rij(
    casus_id: int | None,
    actor: str,
    actie: str,
    *,
    reden: str | None = None,
    van: Status | None = None,
    naar: Status | None = None,
    tijdstip: dt.datetime | None = None,
    details: Mapping[str, object] = {},
) -> dict:
    """Column values of one audit event (shared by the ORM path and bulk inserts). The free
    details are one mapping, so a detail named like a column can never land in that column."""
    return dict(
        casus_id=casus_id,
        tijdstip=tijdstip or nu(),
        actor=actor,
        actie=actie,
        van_status=van,
        naar_status=naar,
        reden=reden,
        details=dict(details),
    )


def audit(
    session: Session,
    casus: Casus | None,
    actor: str,
    actie: str,
    *,
    reden: str | None = None,
    van: Status | None = None,
    naar: Status | None = None,
    tijdstip: dt.datetime | None = None,
    details: Mapping[str, object] = {},
) -> AuditEvent:
    """Append one event, chained onto its casus's audit chain. `details` must hold references and
    codes only, never personal data."""
    rij = audit_rij(casus.id if casus else None, actor, actie, reden=reden, van=van, naar=naar,
                    tijdstip=tijdstip, details=details)
    event = AuditEvent(**keten(session, [rij])[0])
    session.add(event)
    return event


def _bewaar(session: Session, casus: Casus) -> None:
    referentie = casus.referentie  # read now: after a failed flush the object cannot be loaded
    try:
        session.flush()
    except StaleDataError as exc:
        raise GelijktijdigeWijziging(referentie) from exc


def wijzig_status(
    session: Session,
    casus: Casus,
    naar: Status,
    actor: str,
    reden: str | None = None,
    tijdstip: dt.datetime | None = None,
    details: Mapping[str, object] = {},
) -> AuditEvent:
    """Move a casus to another state, if the lifecycle allows it, and audit it."""
    van = Status(casus.status)
    controleer_overgang(casus.referentie, van, naar)
    tijdstip = tijdstip or nu()
    casus.status = naar
    casus.status_sinds = tijdstip
    if naar is Status.afgesloten:
        casus.afgesloten_op = tijdstip
    session.add(casus)
    event = audit(session, casus, actor, "status", reden=reden, van=van, naar=naar, tijdstip=tijdstip, details=details)
    _bewaar(session, casus)
    return event


# --- Terms ----------------------------------------------------------------------------------


def termijn_record(casus_id: int, berekening: TermijnBerekening, melding_id: int | None = None) -> dict:
    """Column values for a new term (shared by the ORM path and bulk inserts)."""
    return dict(
        casus_id=casus_id,
        melding_id=melding_id,
        soort=berekening.soort.value,
        start_op=berekening.start,
        waarschuw_op=berekening.waarschuw_op,
        vervalt_op=berekening.vervalt_op,
        oorspronkelijk_vervalt_op=berekening.vervalt_op,
        # From the start: the watch plans the first ladder step, which may be at once (acute).
        volgende_actie_op=berekening.start,
        escalatie_stap=0,
    )


def voeg_termijn_toe(
    session: Session, casus: Casus, berekening: TermijnBerekening, actor: str, melding_id: int | None = None
) -> Termijn:
    termijn = Termijn(**termijn_record(casus.id, berekening, melding_id))
    session.add(termijn)
    session.flush()
    audit(session, casus, actor, "termijn_gestart", details=dict(
        termijn_id=termijn.id, soort=berekening.soort.value, vervalt_op=berekening.vervalt_op.isoformat()))
    return termijn


def open_termijnen(session: Session, casus: Casus, soort: TermijnSoort | None = None) -> list[Termijn]:
    query = select(Termijn).where(Termijn.casus_id == casus.id, Termijn.voldaan_op.is_(None))
    if soort is not None:
        query = query.where(Termijn.soort == soort)
    return list(session.exec(query.order_by(Termijn.vervalt_op)))


def markeer_voldaan(
    session: Session, casus: Casus, soort: TermijnSoort, actor: str, tijdstip: dt.datetime | None = None
) -> list[Termijn]:
    """The step behind these terms is done: they stop escalating."""
    tijdstip = tijdstip or nu()
    voldaan = open_termijnen(session, casus, soort)
    for termijn in voldaan:
        termijn.voldaan_op = tijdstip
        termijn.volgende_actie_op = None
        session.add(termijn)
        audit(session, casus, actor, "termijn_voldaan", tijdstip=tijdstip, details=dict(
            termijn_id=termijn.id, soort=soort.value, op_tijd=tijdstip <= termijn.vervalt_op))
    session.flush()
    return voldaan


class OngeldigeTermijnwijziging(ValueError):
    pass


def kies_open_termijn(session: Session, casus: Casus, soort: TermijnSoort, termijn_id: int | None = None) -> Termijn:
    """The open term of this kind; with several open (e.g. monitoring moments), `termijn_id` picks one."""
    kandidaten = open_termijnen(session, casus, soort)
    if termijn_id is not None:
        kandidaten = [t for t in kandidaten if t.id == termijn_id]
    if not kandidaten:
        raise OngeldigeTermijnwijziging(
            f"Casus {casus.referentie} heeft geen open termijn {soort.value}"
            f"{f' met nummer {termijn_id}' if termijn_id is not None else ''}.")
    if len(kandidaten) > 1:
        keuzes = "; ".join(f"nummer {t.id}: vervalt {t.vervalt_op.astimezone(AMSTERDAM):%d-%m-%Y %H:%M}"
                           for t in kandidaten)
        raise OngeldigeTermijnwijziging(
            f"Casus {casus.referentie} heeft {len(kandidaten)} open termijnen {soort.value}; kies er één "
            f"met zijn nummer ({keuzes}).")
    return kandidaten[0]


def schort_op(session: Session, casus: Casus, termijn: Termijn, actor: str, reden: str,
              tijdstip: dt.datetime | None = None) -> None:
    """Opschorten: the clock stops (e.g. waiting for information the family must give)."""
    if termijn.voldaan_op or termijn.opgeschort_op:
        raise OngeldigeTermijnwijziging(
            f"Casus {casus.referentie}: termijn {termijn.soort} is al voldaan of opgeschort."
        )
    _vraag_reden(casus, reden)
    termijn.opgeschort_op = tijdstip or nu()
    termijn.opschort_reden = reden
    session.add(termijn)
    audit(session, casus, actor, "termijn_opgeschort", reden=reden, tijdstip=termijn.opgeschort_op,
          details=dict(termijn_id=termijn.id, soort=termijn.soort))
    session.flush()


def hervat(session: Session, casus: Casus, termijn: Termijn, actor: str,
           tijdstip: dt.datetime | None = None) -> None:
    """End a suspension: the deadline moves on the legal calendar by the suspended days
    (`models.regels.termijnbeleid.na_opschorting`), the warning with it; steps already fired stay fired."""
    from models.dossier.termijnbewaking import herplan  # imported here: that module builds on this one

    if not termijn.opgeschort_op:
        raise OngeldigeTermijnwijziging(f"Casus {casus.referentie}: termijn {termijn.soort} is niet opgeschort.")
    tijdstip = tijdstip or nu()
    regio = instellingen()
    nieuw = na_opschorting(eenheid_van(TermijnSoort(termijn.soort), regio), termijn.vervalt_op,
                           termijn.opgeschort_op, tijdstip, werkkalender(regio))
    duur = tijdstip - termijn.opgeschort_op
    termijn.waarschuw_op += nieuw - termijn.vervalt_op
    termijn.vervalt_op = nieuw
    termijn.opgeschort_op = None
    herplan(termijn, tijdstip, opnieuw=False)
    session.add(termijn)
    audit(session, casus, actor, "termijn_hervat", tijdstip=tijdstip, details=dict(
        termijn_id=termijn.id, soort=termijn.soort, opgeschort_seconden=int(duur.total_seconds()),
        vervalt_op=termijn.vervalt_op.isoformat()))
    session.flush()


def verleng(session: Session, casus: Casus, termijn: Termijn, nieuwe_vervaldatum: dt.datetime,
            actor: str, reden: str, tijdstip: dt.datetime | None = None) -> None:
    """Verlengen: a later deadline, with a reason. The original deadline is kept for reports.
    The warning keeps its lead time, and escalation steps that now lie ahead fire again for the
    new deadline (models.dossier.termijnbewaking.herplan)."""
    from models.dossier.termijnbewaking import herplan  # imported here: that module builds on this one

    _vraag_reden(casus, reden)
    if termijn.voldaan_op:
        raise OngeldigeTermijnwijziging(f"Casus {casus.referentie}: termijn {termijn.soort} is al voldaan.")
    if nieuwe_vervaldatum <= termijn.vervalt_op:
        raise OngeldigeTermijnwijziging(
            f"Casus {casus.referentie}: een verlenging moet later vallen dan de huidige vervaldatum."
        )
    tijdstip = tijdstip or nu()
    oud = termijn.vervalt_op
    termijn.waarschuw_op += nieuwe_vervaldatum - oud
    termijn.vervalt_op = nieuwe_vervaldatum
    termijn.verleng_reden = reden
    herplan(termijn, tijdstip)
    session.add(termijn)
    audit(session, casus, actor, "termijn_verlengd", reden=reden, tijdstip=tijdstip, details=dict(
        termijn_id=termijn.id, soort=termijn.soort, van=oud.isoformat(), naar=nieuwe_vervaldatum.isoformat()))
    session.flush()


def _vraag_reden(casus: Casus, reden: str) -> None:
    if not reden or not reden.strip():
        raise OngeldigeTermijnwijziging(f"Casus {casus.referentie}: geef een reden op.")

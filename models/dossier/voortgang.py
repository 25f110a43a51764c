"""Moving a casus through its lifecycle in the case store: the automatic front-door step, the
decisions people take, and the terms each step starts and meets. Every function works in the
caller's session (one transaction) and goes through `wijzig_status`, like every other change.

The store is the source of truth: `stand` tells the lifecycle flow where a casus is, and a
decision is stored once per occurrence (`Beslissing.sleutel` is unique), so a flow that runs
again repeats nothing.

`leg_beslissing_vast` stores a decision and carries out its effect: `EFFECTEN`, one handler
per kind of decision (keyed by `Beslismoment`, like `models.regels.besluiten.BESLISSINGEN`, which
holds the decision's pure rules: form, checks, next state, follow-ups).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models.regels.besluiten import (
    TERMIJNEN_BIJ_AFRONDING,
    TERMIJNEN_BIJ_START,
    BeslissingInvoer,
    Beslismoment,
    BesluitNaVeiligheidsbeoordeling,
    CasusContext,
    DriegesprekPlannen,
    MonitoringBeslissing,
    MonitoringUitkomst,
    OverdrachtAfronden,
    Regie,
    Stand,
    TafelUitkomst,
    UitkomstOverdrachtstafel,
    naar_overdrachtstafel,
    volgend_monitoringmoment,
)
from models.opslag.casus import AuditEvent, Casus, Melding, Termijn
from models.dossier.wijzigingen import audit, markeer_voldaan, open_termijnen, voeg_termijn_toe, wijzig_status
from models.regels.instellingen import (
    CapaciteitsModus,
    Instellingen,
    OverdrachtType,
    TermijnSoort,
    TermijnStart,
    Urgentie,
)
from models.regels.levensloop import Status
from models.opslag.overdracht import (
    AFGESLOTEN_OVERDRACHT,
    Beslissing,
    Overdracht,
    OverdrachtStatus,
    Veiligheidsvoorwaarden,
)
from models.opslag.plustaken import SamenOptrekken
from models.regels.overdrachtstafel import tafel_voor_besluit
from models.opslag.storingspunt import storingspunt
from models.regels.termijnbeleid import bereken_termijn, contactregel, monitoringregel, werkkalender
from models.opslag.typen import nu

S = Status
ORKESTRATIE = "orkestratie"


# --- reading ----------------------------------------------------------------------------------


def open_overdracht(session: Session, casus: Casus) -> Overdracht | None:
    return session.exec(
        select(Overdracht)
        .where(Overdracht.casus_id == casus.id, Overdracht.status.not_in([s.value for s in AFGESLOTEN_OVERDRACHT]))
        .order_by(Overdracht.id.desc())
    ).first()


def laatste_afgeronde_overdracht(session: Session, casus: Casus) -> Overdracht | None:
    return session.exec(
        select(Overdracht)
        .where(Overdracht.casus_id == casus.id, Overdracht.status == OverdrachtStatus.afgerond)
        .order_by(Overdracht.id.desc())
    ).first()


def stand(session: Session, casus: Casus) -> Stand:
    overdracht = open_overdracht(session, casus)
    return Stand(
        status=Status(casus.status),
        urgentie=Urgentie(casus.urgentie),
        acute_termijn_open=bool(open_termijnen(session, casus, TermijnSoort.acute_reactie)),
        overdracht_type=OverdrachtType(overdracht.type) if overdracht else None,
        driegesprek_gepland=bool(overdracht and overdracht.driegesprek_op),
        op_overdrachtstafel=bool(overdracht and overdracht.overdrachtstafel_op),
    )


def context(session: Session, casus: Casus, instellingen: Instellingen, modus: CapaciteitsModus,
            moment: dt.datetime | None = None) -> CasusContext:
    gepland = session.exec(
        select(Beslissing.gepland)
        .where(Beslissing.casus_id == casus.id, Beslissing.gepland.is_not(None))
        .order_by(Beslissing.id.desc())
    ).first()
    urgentie = Urgentie(casus.urgentie)
    overdracht = open_overdracht(session, casus)
    return CasusContext(
        referentie=casus.referentie,
        gemeente=instellingen.gemeente(casus.gemeente_code),
        urgentie=urgentie,
        werkvoorraad_toegestaan=instellingen.urgenties[urgentie].werkvoorraad_toegestaan,
        modus=modus,
        buiten_beeld=casus.buiten_beeld,
        gepland=Status(gepland) if gepland else None,
        nu=moment or nu(),
        driegesprek_op=overdracht.driegesprek_op if overdracht else None,
    )


def volgnummer(session: Session, casus: Casus, moment: Beslismoment) -> int:
    """Which occurrence of this decision the casus waits for (1 = the first)."""
    gedaan = session.exec(
        select(func.count()).select_from(Beslissing)
        .where(Beslissing.casus_id == casus.id, Beslissing.moment == moment.value)
    ).one()
    return gedaan + 1


def open_nazorg(session: Session, casus: Casus) -> list[Beslissing]:
    return list(session.exec(
        select(Beslissing)
        .where(Beslissing.casus_id == casus.id, Beslissing.nazorg_klaar_op.is_(None))
        .order_by(Beslissing.id)
    ))


# --- terms ------------------------------------------------------------------------------------


def _laatste_ontvangst(session: Session, casus: Casus) -> dt.datetime:
    laatste = session.exec(
        select(Melding.ontvangen_op).where(Melding.casus_id == casus.id).order_by(Melding.ontvangen_op.desc())
    ).first()
    return laatste or casus.geopend_op


def _termijn(soort: TermijnSoort, start: dt.datetime, instellingen: Instellingen, regel=None):
    regel = regel or instellingen.termijnen[soort]
    return bereken_termijn(soort, regel, start, werkkalender(instellingen), instellingen.kalender.termijn_eindigt_om)


def _monitoringtermijn(session: Session, casus: Casus, instellingen: Instellingen, basis: dt.datetime):
    """The next monitoring moment after the handover at `basis`, or None when all are done."""
    al_gestart = session.exec(
        select(func.count()).select_from(Termijn)
        .where(Termijn.casus_id == casus.id, Termijn.soort == TermijnSoort.monitoring.value,
               Termijn.start_op >= basis)
    ).one()
    maanden = volgend_monitoringmoment(instellingen.monitoring_momenten_maanden, al_gestart)
    if maanden is None:
        return None
    soort = TermijnSoort.monitoring
    return _termijn(soort, basis, instellingen, monitoringregel(instellingen.termijnen[soort], maanden))


def _monitoringbasis(session: Session, casus: Casus) -> dt.datetime:
    overdracht = laatste_afgeronde_overdracht(session, casus)
    return overdracht.afgerond_op if overdracht else casus.status_sinds


def start_termijnen_van_stap(session: Session, casus: Casus, instellingen: Instellingen, actor: str) -> list[Termijn]:
    """Start the terms of the casus's current step that are not running yet (idempotent)."""
    gestart = []
    for soort in TERMIJNEN_BIJ_START.get(Status(casus.status), []):
        if open_termijnen(session, casus, soort):
            continue
        start = casus.status_sinds
        if soort is TermijnSoort.monitoring:
            berekening = _monitoringtermijn(session, casus, instellingen, _monitoringbasis(session, casus))
        elif soort is TermijnSoort.werkvoorraad_contact:
            interval = instellingen.urgenties[Urgentie(casus.urgentie)].contact_interval_werkdagen
            berekening = _termijn(soort, start, instellingen, contactregel(instellingen.termijnen[soort], interval))
        else:
            # Onderzoek and V&V may count from the melding (settings); a re-assessment starts now.
            if soort is not TermijnSoort.veiligheidsbeoordeling and \
                    instellingen.termijnen[soort].start is TermijnStart.ontvangst:
                start = _laatste_ontvangst(session, casus)
            berekening = _termijn(soort, start, instellingen)
        if berekening is not None:
            gestart.append(voeg_termijn_toe(session, casus, berekening, actor))
    return gestart


def ga_naar(session: Session, casus: Casus, naar: Status, actor: str, instellingen: Instellingen,
            reden: str | None = None, tijdstip: dt.datetime | None = None) -> None:
    """One step further: the terms of the step left behind are met, the next step's start.
    Closing a casus meets every term still open: nothing escalates on a closed casus."""
    tijdstip = tijdstip or nu()
    van = Status(casus.status)
    soorten = list(TermijnSoort) if naar is S.afgesloten else TERMIJNEN_BIJ_AFRONDING.get(van, [])
    for soort in soorten:
        markeer_voldaan(session, casus, soort, actor, tijdstip=tijdstip)
    wijzig_status(session, casus, naar, actor, reden=reden, tijdstip=tijdstip)
    start_termijnen_van_stap(session, casus, instellingen, actor)


def zet_automatische_stap(session: Session, casus: Casus, naar: Status, instellingen: Instellingen) -> None:
    """The front-door check without a person: ontvangen -> veiligheidscheck -> VB."""
    reden = {
        S.veiligheidscheck: "Veiligheidscheck aan de voordeur",
        S.veiligheidsbeoordeling: "Geen acuut gevaar: naar de veiligheidsbeoordeling",
    }.get(naar)
    ga_naar(session, casus, naar, ORKESTRATIE, instellingen, reden=reden)


# --- decisions --------------------------------------------------------------------------------


class BeslissingAlVastgelegd(Exception):
    """This decision occurrence was stored before (a rerun): nothing to do."""


def leg_beslissing_vast(
    session: Session, casus: Casus, sleutel: str, invoer: BeslissingInvoer, ctx: CasusContext,
    instellingen: Instellingen,
) -> Beslissing:
    """Carry out a decision that passed `invoer.fouten(ctx)`: store it once, audit who took it,
    and move the casus, all in the caller's one transaction: a crash or a concurrent change
    (GelijktijdigeWijziging) leaves none of it. Raises BeslissingAlVastgelegd when this
    occurrence was stored before."""
    if session.exec(select(Beslissing.id).where(Beslissing.sleutel == sleutel)).first() is not None:
        raise BeslissingAlVastgelegd(sleutel)
    moment = nu()
    van = Status(casus.status)
    record = _plaats_beslissing(session, Beslissing(
        sleutel=sleutel, casus_id=casus.id, moment=invoer.moment.value, keuze=invoer.keuze, van_status=van.value,
        details=_codes(invoer.details()), door=invoer.door, genomen_op=moment))
    if record is None:  # stored concurrently by another run of the same flow
        raise BeslissingAlVastgelegd(sleutel)
    storingspunt("beslissing_half_vastgelegd")

    naar = EFFECTEN[invoer.moment](Uitvoering(session, casus, record, invoer, ctx, instellingen, moment))
    record.naar_status = naar.value if naar else None
    session.add(record)
    audit(session, casus, invoer.door, "besluit", tijdstip=moment, details=dict(
          besluit=invoer.keuze, moment=invoer.moment.value, beslissing=sleutel, **record.details))
    session.flush()
    return record


def _plaats_beslissing(session: Session, record: Beslissing) -> Beslissing | None:
    """INSERT ... ON CONFLICT DO NOTHING on the unique key: None when the key exists. Not a
    savepoint: on SQLite a savepoint opened before the transaction's first write commits on
    release, which stored the decision without its effect (see models.dossier.uitgaand.plaats_eenmalig)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return session.scalars(
        dialect.insert(Beslissing).values(**record.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=["sleutel"]).returning(Beslissing)
    ).one_or_none()


def onuitgevoerde_beslissingen(session: Session, casus: Casus) -> list[Beslissing]:
    """Decisions stored without their effect: no 'besluit' event in the audit trail. Impossible
    since a decision is one transaction; a SQLite store written by an older version may hold
    them (a crash between the two steps)."""
    uitgevoerd = {details.get("beslissing") for details in session.exec(
        select(AuditEvent.details).where(AuditEvent.casus_id == casus.id, AuditEvent.actie == "besluit"))}
    return [b for b in session.exec(select(Beslissing).where(Beslissing.casus_id == casus.id).order_by(Beslissing.id))
            if b.sleutel not in uitgevoerd]


def trek_onuitgevoerde_in(session: Session, casus: Casus) -> list[Beslissing]:
    """Remove decisions that never took effect, so the casus is asked that decision again
    instead of carrying out the follow-ups of a change that never happened. The audit trail
    keeps who took it (in `reden`: the details show up in the casus artifact, which holds no
    names) and when."""
    weg = onuitgevoerde_beslissingen(session, casus)
    for beslissing in weg:
        audit(session, casus, ORKESTRATIE, "besluit_niet_uitgevoerd",
              reden=f"Besluit van {beslissing.door} door een storing niet uitgevoerd; het wordt opnieuw gevraagd",
              details=dict(beslissing=beslissing.sleutel, moment=beslissing.moment, besluit=beslissing.keuze,
                           genomen_op=beslissing.genomen_op.isoformat()))
    if weg:
        session.execute(delete(Beslissing).where(Beslissing.id.in_([b.id for b in weg])))
    return weg


def _codes(details: dict) -> dict:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in details.items() if v is not None}


# --- the effect of each kind of decision (its rules: models.regels.besluiten.BESLISSINGEN) -------------


@dataclass(frozen=True)
class Uitvoering:
    """A decision being carried out: what its effect works with, in the caller's transaction."""

    session: Session
    casus: Casus
    record: Beslissing
    invoer: BeslissingInvoer
    ctx: CasusContext
    instellingen: Instellingen
    moment: dt.datetime


def _naar_stap(u: Uitvoering, naar: Status) -> Status:
    """The common effect: a handover chosen starts one; the casus moves to `naar`."""
    if naar is S.overdracht:
        _nieuwe_overdracht(u.session, u.casus, u.invoer.details())
    ga_naar(u.session, u.casus, naar, u.invoer.door, u.instellingen, reden=f"Besluit: {u.invoer.keuze}",
            tijdstip=u.moment)
    return naar


def _ga_verder(u: Uitvoering) -> Status:
    return _naar_stap(u, u.invoer.naar(u.ctx))


def _leg_voorwaarden_vast(u: Uitvoering) -> None:
    if u.invoer.stelt_voorwaarden():
        u.session.add(Veiligheidsvoorwaarden(casus_id=u.casus.id, beslissing_id=u.record.id,
                                             tekst=u.invoer.veiligheidsvoorwaarden, vastgesteld_op=u.moment))


def _besluit_na_veiligheidsbeoordeling(u: Uitvoering) -> Status:
    """The VB is done (a casus imported at 'besluit' skips that step); safety conditions are
    stored encrypted; an onderzoek or V&V that must wait remembers what it will start."""
    invoer: BesluitNaVeiligheidsbeoordeling = u.invoer
    if u.casus.status == S.veiligheidsbeoordeling:
        ga_naar(u.session, u.casus, S.besluit, invoer.door, u.instellingen, reden="Veiligheidsbeoordeling afgerond",
                tijdstip=u.moment)
    naar = invoer.naar(u.ctx)
    _leg_voorwaarden_vast(u)
    if naar is S.werkvoorraad:
        u.record.gepland = invoer.gepland().value
    if invoer.gepland() is S.voorwaarden_en_vervolg and naar_overdrachtstafel(S.voorwaarden_en_vervolg, u.ctx):
        return _naar_overdrachtstafel(u)
    if invoer.samen_optrekken:
        _leg_samen_optrekken_vast(u)
    return _naar_stap(u, naar)


def _naar_overdrachtstafel(u: Uitvoering) -> Status:
    """Continuity plan (seed 004): register the family with the chosen lokaal team (a handover
    in writing, the team holding regie) on the agenda of the gemeente's next overdrachtstafel
    whose agenda has not gone out yet.
    Should the tafel send it back, the V&V that was decided waits on the werkvoorraad."""
    tafel = tafel_voor_besluit(u.ctx.gemeente.overdrachtstafel, u.moment, werkkalender(u.instellingen))
    u.record.gepland = S.voorwaarden_en_vervolg.value
    u.session.add(Overdracht(casus_id=u.casus.id, type=OverdrachtType.schriftelijk.value,
                             lokaal_team_code=u.invoer.lokaal_team, regie=Regie.lokaal_team.value,
                             overdrachtstafel_op=tafel))
    audit(u.session, u.casus, u.invoer.door, "aangemeld_overdrachtstafel", tijdstip=u.moment, details=dict(
          lokaal_team=u.invoer.lokaal_team, overdrachtstafel_op=tafel.isoformat()))
    ga_naar(u.session, u.casus, S.overdracht, u.invoer.door, u.instellingen,
            reden="Continuïteitsplan: aangemeld bij het lokaal team voor de overdrachtstafel", tijdstip=u.moment)
    return S.overdracht


def _leg_samen_optrekken_vast(u: Uitvoering) -> None:
    """Plustaak samen optrekken (seed 003): the onderzoek is marked joint, with the team."""
    invoer: BesluitNaVeiligheidsbeoordeling = u.invoer
    u.session.add(SamenOptrekken(casus_id=u.casus.id, beslissing_id=u.record.id, gemeente_code=u.casus.gemeente_code,
                                 lokaal_team_code=invoer.lokaal_team, start_op=invoer.samen_start_op,
                                 vastgelegd_op=u.moment))
    audit(u.session, u.casus, invoer.door, "samen_optrekken", tijdstip=u.moment, details=dict(
          lokaal_team=invoer.lokaal_team, start_op=invoer.samen_start_op.isoformat()))


def samen_optrekken_van_onderzoek(session: Session, casus: Casus) -> SamenOptrekken | None:
    """The joint start of the onderzoek the casus is in now (None: not joint, or not in onderzoek)."""
    if casus.status != S.onderzoek:
        return None
    gestart_door = session.exec(
        select(Beslissing.id).where(Beslissing.casus_id == casus.id, Beslissing.naar_status == S.onderzoek.value)
        .order_by(Beslissing.id.desc())
    ).first()
    return session.exec(select(SamenOptrekken).where(SamenOptrekken.beslissing_id == gestart_door)).first()


def _uitkomst_overdrachtstafel(u: Uitvoering) -> Status:
    """The tafel's outcome: the team took over (with or without VT's help on the safety
    conditions: the handover is done, regie with the team) or the casus returns to VT."""
    invoer: UitkomstOverdrachtstafel = u.invoer
    overdracht = open_overdracht(u.session, u.casus)
    naar = invoer.naar(u.ctx)
    if invoer.uitkomst is TafelUitkomst.terug_naar_veilig_thuis:
        overdracht.status = OverdrachtStatus.terug_naar_vt
        if naar is S.werkvoorraad:
            u.record.gepland = S.voorwaarden_en_vervolg.value
        audit(u.session, u.casus, invoer.door, "overdrachtstafel_terug", tijdstip=u.moment, details=dict(
              lokaal_team=overdracht.lokaal_team_code, overdrachtstafel_op=overdracht.overdrachtstafel_op.isoformat()))
    else:
        overdracht.status = OverdrachtStatus.afgerond
        overdracht.afgerond_op = u.moment
        u.casus.lokaal_team_code, u.casus.regie = overdracht.lokaal_team_code, overdracht.regie
        audit(u.session, u.casus, invoer.door, "overdracht_afgerond", tijdstip=u.moment, details=dict(
              type=overdracht.type, lokaal_team=overdracht.lokaal_team_code, regie=overdracht.regie,
              via="overdrachtstafel", uitkomst=invoer.uitkomst.value))
    u.session.add(overdracht)
    ga_naar(u.session, u.casus, naar, invoer.door, u.instellingen, reden=f"Overdrachtstafel: {invoer.keuze}",
            tijdstip=u.moment)
    return naar


def _uitkomst_onderzoek(u: Uitvoering) -> Status:
    _leg_voorwaarden_vast(u)
    return _ga_verder(u)


def _overdracht_vastleggen(u: Uitvoering) -> None:
    _nieuwe_overdracht(u.session, u.casus, u.invoer.details())


def _overdracht_afronden(u: Uitvoering) -> Status | None:
    if u.invoer.driegesprek_verplaatst:
        _verplaats_driegesprek(u.session, u.casus, u.invoer, u.moment)
        return None
    _rond_overdracht_af(u.session, u.casus, u.invoer, u.moment)
    return _ga_verder(u)


def _verplaats_driegesprek(session, casus, invoer: OverdrachtAfronden, moment) -> None:
    """The driegesprek moved: the handover waits for the new moment (audited, old and new)."""
    overdracht = open_overdracht(session, casus)
    oud = overdracht.driegesprek_op
    overdracht.driegesprek_op = invoer.nieuw_driegesprek_op
    session.add(overdracht)
    audit(session, casus, invoer.door, "driegesprek_verplaatst", tijdstip=moment, details=dict(
          van=oud.isoformat() if oud else None, naar=invoer.nieuw_driegesprek_op.isoformat()))


def _monitoringmoment(u: Uitvoering) -> Status | None:
    return _monitoring(u.session, u.casus, u.invoer, u.ctx, u.instellingen, u.moment)


def _nieuwe_overdracht(session: Session, casus: Casus, details: dict) -> Overdracht:
    overdracht = Overdracht(casus_id=casus.id, type=details["type"].value, lokaal_team_code=details["lokaal_team"],
                            regie=details["regie"].value)
    session.add(overdracht)
    session.flush()
    return overdracht


def _plan_driegesprek(u: Uitvoering) -> None:
    invoer: DriegesprekPlannen = u.invoer
    overdracht = open_overdracht(u.session, u.casus)
    overdracht.driegesprek_op = invoer.datum_tijd
    overdracht.locatie = invoer.locatie.value
    overdracht.deelnemers = sorted(d.value for d in set(invoer.deelnemers))
    overdracht.status = OverdrachtStatus.driegesprek_gepland
    u.session.add(overdracht)


def _rond_overdracht_af(session, casus, invoer: OverdrachtAfronden, moment) -> None:
    """The lokaal team took over: who holds regie is recorded on the casus and in the trail."""
    overdracht = open_overdracht(session, casus)
    overdracht.regie = invoer.regie.value
    overdracht.status = OverdrachtStatus.afgerond
    overdracht.afgerond_op = moment
    session.add(overdracht)
    casus.lokaal_team_code = overdracht.lokaal_team_code
    casus.regie = overdracht.regie
    audit(session, casus, invoer.door, "overdracht_afgerond", tijdstip=moment, details=dict(
          type=overdracht.type, lokaal_team=overdracht.lokaal_team_code, regie=overdracht.regie))


def _monitoring(session, casus, invoer: MonitoringBeslissing, ctx, instellingen, moment) -> Status | None:
    door = invoer.door
    if invoer.uitkomst is MonitoringUitkomst.buiten_beeld:
        # Flagged and reported; the casus stays open until someone decides what happens.
        casus.buiten_beeld = True
        session.add(casus)
        audit(session, casus, door, "buiten_beeld", reden=invoer.reden_buiten_beeld.value, tijdstip=moment,
              details={"reden": invoer.reden_buiten_beeld.value})
        session.flush()
        return None
    if casus.buiten_beeld and invoer.uitkomst is not MonitoringUitkomst.afsluiten:
        # Seen again (safe or not): no longer out of sight. Closed while out of sight: it stays flagged.
        casus.buiten_beeld = False
        session.add(casus)
        audit(session, casus, door, "weer_in_beeld", tijdstip=moment, details={"uitkomst": invoer.uitkomst.value})
    if invoer.uitkomst is MonitoringUitkomst.veilig:
        markeer_voldaan(session, casus, TermijnSoort.monitoring, door, tijdstip=moment)
        if start_termijnen_van_stap(session, casus, instellingen, door):
            session.flush()
            return None
        naar = S.afgesloten  # that was the last monitoring moment
    else:
        naar = invoer.naar(ctx)
    ga_naar(session, casus, naar, door, instellingen, reden=f"Monitoring: {invoer.uitkomst.value}", tijdstip=moment)
    return naar


# What each kind of decision does to the casus store, in the caller's transaction; returns the
# state the casus moved to (None: it stays). One row per Beslismoment, like BESLISSINGEN.
EFFECTEN: dict[Beslismoment, Callable[[Uitvoering], Status | None]] = {
    Beslismoment.acute_actie: _ga_verder,
    Beslismoment.besluit: _besluit_na_veiligheidsbeoordeling,
    Beslismoment.werkvoorraad: _ga_verder,
    Beslismoment.uitkomst_onderzoek: _uitkomst_onderzoek,
    Beslismoment.uitkomst_venv: _ga_verder,
    Beslismoment.uitkomst_rvdk: _ga_verder,
    Beslismoment.overdracht_gegevens: _overdracht_vastleggen,
    Beslismoment.driegesprek: _plan_driegesprek,
    Beslismoment.overdracht_afronden: _overdracht_afronden,
    Beslismoment.overdrachtstafel: _uitkomst_overdrachtstafel,
    Beslismoment.monitoring: _monitoringmoment,
}


def formulier_is_verouderd(formulier_voor: str | None, sleutel: str) -> bool:
    """A form made for another decision occurrence than the one the casus waits for now."""
    return formulier_voor is not None and formulier_voor != sleutel


def wat_veranderde(session: Session, casus: Casus, formulier_voor: str) -> tuple[Beslissing | None, AuditEvent | None]:
    """Why a form for occurrence `formulier_voor` is out of date: the decision taken for that
    occurrence (who, what, when), and the casus's latest decision or step change."""
    beslissing = session.exec(
        select(Beslissing).where(Beslissing.casus_id == casus.id, Beslissing.sleutel == formulier_voor)
    ).first()
    laatste = session.exec(
        select(AuditEvent)
        .where(AuditEvent.casus_id == casus.id, AuditEvent.actie.in_(["besluit", "status"]))
        .order_by(AuditEvent.id.desc())
    ).first()
    return beslissing, laatste


def markeer_nazorg_klaar(session: Session, beslissing_id: int) -> None:
    beslissing = session.get(Beslissing, beslissing_id)
    beslissing.nazorg_klaar_op = nu()
    session.add(beslissing)



# --- the weekly case agenda -------------------------------------------------------------------

NA_OVERDRACHT = (S.overdracht, S.monitoring)


def casussen_na_overdracht(session: Session, gemeente_code: str) -> list[dict]:
    """Open casussen of a gemeente in or after the handover, by reference, with their next
    open deadline: codes and dates only (the weekly agenda)."""
    volgende = (
        select(Termijn.casus_id, func.min(Termijn.vervalt_op).label("vervalt_op"))
        .where(Termijn.voldaan_op.is_(None), Termijn.opgeschort_op.is_(None))
        .group_by(Termijn.casus_id).subquery()
    )
    rijen = session.exec(
        select(Casus.referentie, Casus.status, Casus.lokaal_team_code, Casus.regie, Casus.buiten_beeld,
               volgende.c.vervalt_op)
        .outerjoin(volgende, volgende.c.casus_id == Casus.id)
        .where(Casus.gemeente_code == gemeente_code, Casus.status.in_([s.value for s in NA_OVERDRACHT]))
        .order_by(Casus.referentie)
    ).all()
    return [dict(referentie=r, stap=s, lokaal_team=t, regie=g, buiten_beeld=b, volgende_termijn=_utc(v))
            for r, s, t, g, b, v in rijen]


def casussen_voor_overdrachtstafel(session: Session, gemeente_code: str, tafel_op: dt.datetime) -> list[dict]:
    """The casussen of a gemeente on the agenda of the overdrachtstafel that starts at
    `tafel_op`: registered for it, or for an earlier tafel that recorded no outcome (it did not
    get to them), so no family drops off the agenda. Not yet decided on; reference, team code,
    since when, and the tafel it was registered for (the agenda)."""
    rijen = session.exec(
        select(Casus.referentie, Overdracht.lokaal_team_code, Overdracht.aangemaakt_op, Overdracht.overdrachtstafel_op)
        .join(Overdracht, Overdracht.casus_id == Casus.id)
        .where(Casus.gemeente_code == gemeente_code, Casus.status == S.overdracht.value,
               Overdracht.overdrachtstafel_op <= tafel_op,
               Overdracht.status.not_in([s.value for s in AFGESLOTEN_OVERDRACHT]))
        .order_by(Casus.referentie)
    ).all()
    return [dict(referentie=r, lokaal_team=t, aangemeld_op=a, eerder=_utc(op) if _utc(op) != tafel_op else None)
            for r, t, a, op in rijen]


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # min() over a column loses the column type on SQLite: a naive UTC value comes back.
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.replace(tzinfo=dt.timezone.utc) if moment and moment.tzinfo is None else moment

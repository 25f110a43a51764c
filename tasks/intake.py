"""Tasks of the intake flow. The melding staff typed into the form is read inside
`registreer_intake`, stored encrypted and deleted from Prefect there: it never crosses a task
boundary, and what the tasks return is references and Dutch messages only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models.opslag.casus import INTAKE_BRON, Casus, Melding
from models.opslag.db import sessie
from models.dossier.wijzigingen import open_termijnen
from models.regels.fouten import beschrijf_validatiefouten
from models.regels.weergave import naar_codes, plek
from models.regels.instellingen import TermijnSoort, Urgentie, instellingen
from models.regels.kalender import AMSTERDAM
from models.opslag.typen import nu
from models.regels.ontvangers import rol
from models.opslag.regio import synchroniseer
from models.dossier.registratie import MeldingInvoer, als_meldinginvoer, controleer_tegen_instellingen, registreer_meldingen
from models.regels.tekst import REDEN as STUURTEKEN
from models.regels.tekst import bevat_stuurtekens
from tasks.invoer import bewaar_geweigerd, lees_invoer, verwijder_invoer
from tasks.levensloop import een_regel, met_herhaling, runlink
from templates import render

# Meldingen entered through the intake form carry bron=INTAKE and the intake run's id as
# extern_id: the store's unique (bron, extern_id) makes a rerun of the same run register nothing.
INTAKE = INTAKE_BRON


@dataclass(frozen=True)
class Intake:
    casus_referentie: str
    melding_referentie: str
    hermelding: bool
    urgentie: str


@dataclass(frozen=True)
class IntakeUitkomst:
    intake: Intake | None = None
    fouten: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IntakeVraag:
    beschrijving: str
    gemeenten: list[str]  # names, as the form offers them
    beginwaarden: dict
    kop: str | None = None  # after a refusal: the first field, with the reasons
    toelichting: str | None = None


def _intake_van(session, flow_run_id: str) -> Intake | None:
    rij = session.exec(
        select(Casus.referentie, Melding.referentie, Melding.hermelding, Melding.urgentie)
        .join(Casus, Casus.id == Melding.casus_id)
        .where(Melding.bron == INTAKE, Melding.extern_id == flow_run_id)
    ).first()
    return Intake(*rij) if rij else None


@task(name="eerdere registratie zoeken", cache_policy=NO_CACHE)
def zoek_intake() -> Intake | None:
    """The melding this intake run registered before (a rerun), if any."""
    with sessie() as session:
        return _intake_van(session, str(flow_run.id))


@task(name="intakeformulier voorbereiden", cache_policy=NO_CACHE)
def intakevraag(fouten: list[str] | None = None) -> IntakeVraag:
    regio = instellingen()
    nu = dt.datetime.now(AMSTERDAM).replace(second=0, microsecond=0)
    return IntakeVraag(
        beschrijving=render("casus/intake.md.j2"),
        gemeenten=[g.naam for g in regio.gemeenten],
        beginwaarden={"ontvangen_op": nu.isoformat()},
        kop="Niet opgeslagen: pas het formulier aan" if fouten else None,
        toelichting=een_regel(render("casus/intake_toelichting.txt.j2", fouten=fouten)) if fouten else None,
    )


@task(name="melding registreren", cache_policy=NO_CACHE)
def registreer_intake(pauzesleutel: str) -> IntakeUitkomst:
    """Check the submitted form and register the melding (hermelding when the household has an
    open casus; intake terms; audit with the staff member's name). The form's content is deleted
    from Prefect whatever happens."""
    run_id = str(flow_run.id)
    regio = instellingen()
    try:
        ruw = lees_invoer(run_id, pauzesleutel)
        if ruw is None:
            return IntakeUitkomst(fouten=["Er kwam geen ingevuld formulier binnen."])
        door, gegevens = als_meldinginvoer({k: v for k, v in ruw.items() if k != "toelichting"}, INTAKE, run_id)
        fouten = [f"Ingevoerd door: {STUURTEKEN}"] if bevat_stuurtekens(door) else []
        gegevens, tijdfouten = naar_codes(MeldingInvoer, gegevens, {"gemeente_code": {g.naam: g.code for g in regio.gemeenten}})
        fouten += tijdfouten
        try:
            invoer = MeldingInvoer.model_validate(gegevens, context={"instellingen": regio})
            fouten += controleer_tegen_instellingen(invoer, regio)
        except ValidationError as exc:
            fouten += [f for f in beschrijf_validatiefouten(exc, plek)
                       if not (tijdfouten and f.startswith(plek(("ontvangen_op",))))]
        if fouten:
            bewaar_geweigerd(run_id, pauzesleutel, ruw)  # the next form starts with everything typed
            return IntakeUitkomst(fouten=fouten)

        def werk() -> Intake:
            with sessie() as session:
                registreer_meldingen(session, [invoer], regio, actor=door)
                return _intake_van(session, run_id)

        _neem_regio_over(regio)
        intake = met_herhaling(werk)
        get_run_logger().info("Melding %s geregistreerd bij casus %s%s.", intake.melding_referentie,
                              intake.casus_referentie, " (hermelding)" if intake.hermelding else "")
        return IntakeUitkomst(intake=intake)
    finally:
        verwijder_invoer(run_id, pauzesleutel)


def _neem_regio_over(regio) -> None:
    """Gemeenten and lokale teams as the settings say now (`vt migreer` does the same), in a
    transaction of its own: two intakes doing this at once on a fresh database may collide once."""
    for poging in range(3):
        try:
            with sessie() as session:
                synchroniseer(session, regio)
            return
        except IntegrityError:
            if poging == 2:
                raise


@task(name="crisisbericht opstellen", cache_policy=NO_CACHE)
def crisisbericht(intake: Intake, levensloop_run_id: str) -> dict | None:
    """For an acute melding: the e-mail to the crisis service (case reference and link only),
    as keyword arguments for plaats_notificatie, keyed per melding. None when not acute."""
    if intake.urgentie != Urgentie.acuut:
        return None
    regio = instellingen()
    with sessie() as session:
        casus = session.exec(select(Casus).where(Casus.referentie == intake.casus_referentie)).one()
        melding = session.exec(select(Melding).where(Melding.referentie == intake.melding_referentie)).one()
        acuut = [t for t in open_termijnen(session, casus, TermijnSoort.acute_reactie) if t.melding_id == melding.id]
        gemeente = regio.gemeente(casus.gemeente_code)
        context = dict(
            melding_referentie=melding.referentie, casus_referentie=casus.referentie, hermelding=melding.hermelding,
            gemeente_naam=gemeente.naam, gemeente_code=gemeente.code, ontvangen_op=melding.ontvangen_op,
            vervalt_op=acuut[0].vervalt_op if acuut else melding.ontvangen_op, link=runlink(regio, levensloop_run_id),
        )
        casus_id = casus.id
    return dict(
        sleutel=f"crisisdienst:{intake.melding_referentie}", soort="acuut", ontvanger=rol(regio.levensloop.crisisdienst_rol),
        template="notificaties/crisisdienst_acuut.txt.j2", context=context, casus_id=casus_id,
    )


def open_intakes(casus_referentie: str) -> list[Intake]:
    """Meldingen of this casus whose intake follow-ups (crisis alert, letter) are not done: an
    intake that stopped after registering them (a crash). Read in the task `lees_casus`."""
    with sessie() as session:
        rijen = session.exec(
            select(Casus.referentie, Melding.referentie, Melding.hermelding, Melding.urgentie)
            .join(Casus, Casus.id == Melding.casus_id)
            .where(Casus.referentie == casus_referentie, Melding.intake_nazorg_klaar_op.is_(None))
            .order_by(Melding.id)
        ).all()
    return [Intake(*rij) for rij in rijen]


@task(name="intake afgerond", cache_policy=NO_CACHE)
def markeer_intake_klaar(melding_referentie: str) -> None:
    with sessie() as session:
        melding = session.exec(select(Melding).where(Melding.referentie == melding_referentie)).one()
        if melding.intake_nazorg_klaar_op is None:
            melding.intake_nazorg_klaar_op = nu()
            session.add(melding)

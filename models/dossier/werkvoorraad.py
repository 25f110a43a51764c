"""Care for families on the werkvoorraad (waiting list): the rules for the daily care round
and the contact moments staff record.

Every family that waits stays in sight (continuity plan, seed 004):
- once the wait reaches `gebruikelijke_wachttijd_werkdagen` the family gets the letter "u staat
  op de wachtlijst; het duurt langer dan gebruikelijk", and again every
  `werkvoorraad.wachtlijstbrief_herhaal_werkdagen` while it keeps waiting;
- VT reaches the family every `contact_interval_werkdagen` of its urgentie: a casus whose next
  contact is due is on the team's daily contact list;
- a family not reached for `buiten_beeld_na_intervallen` intervals risks going out of sight
  (buiten beeld): it is flagged and escalated once per period without contact.

Only a contact that reached the family counts; a failed attempt is recorded, but the casus
stays due. The wait counts from the moment the casus (last) entered the werkvoorraad.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import Session, select

from models.opslag.casus import Casus, Contactmoment, ContactVorm, Termijn
from models.dossier.wijzigingen import audit, markeer_voldaan, voeg_termijn_toe
from models.regels.instellingen import Instellingen, TermijnSoort, Urgentie
from models.regels.kalender import AMSTERDAM, Werkkalender
from models.regels.levensloop import Status
from models.regels.termijnbeleid import bereken_termijn, contactregel, werkkalender
from models.opslag.typen import nu


# --- the rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WachtendeCasus:
    casus_id: int
    referentie: str
    gemeente_code: str
    urgentie: str
    wacht_sinds: dt.datetime
    laatste_poging: dt.datetime | None
    laatste_bereikt: dt.datetime | None


@dataclass(frozen=True)
class Zorg:
    """What one waiting casus needs on the peildatum. References, codes and dates only."""

    casus_id: int
    referentie: str
    gemeente_code: str
    urgentie: str
    wacht_sinds: dt.date
    wachtdagen: int  # working days waited so far
    wachtlijstbrief: str | None  # aanleiding of the wachtlijst letter due now (sent once per key)
    contact_uiterlijk: dt.date  # when the family must next be reached
    contact_nodig: bool
    werkdagen_te_laat: int
    laatste_poging: dt.date | None
    buiten_beeld_sinds: dt.date | None  # set when at risk: not reached since this day


def _dag(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(AMSTERDAM).date() if moment else None


def wachtlijstbrief_aanleiding(wacht_sinds: dt.date, wachtdagen: int, gebruikelijk: int, herhaal: int) -> str | None:
    """The n-th letter is due after gebruikelijk + (n-1) * herhaal working days. Only the latest
    due letter is named: a family that has waited long gets one letter, not a stack. The start day
    is part of the name, so a family that returns to the werkvoorraad later gets new letters."""
    if wachtdagen < gebruikelijk:
        return None
    volgnummer = 1 + (wachtdagen - gebruikelijk) // herhaal
    return f"wachtlijst-{wacht_sinds:%Y%m%d}-{volgnummer}"


def beoordeel(casus: WachtendeCasus, peildatum: dt.date, regio: Instellingen, kalender: Werkkalender) -> Zorg:
    wacht_sinds = _dag(casus.wacht_sinds)
    wachtdagen = kalender.werkdagen_tussen(wacht_sinds, peildatum)
    interval = regio.urgenties[Urgentie(casus.urgentie)].contact_interval_werkdagen
    bereikt_sinds = max(wacht_sinds, _dag(casus.laatste_bereikt) or wacht_sinds)
    uiterlijk = kalender.plus_werkdagen(bereikt_sinds, interval)
    zonder_contact = kalender.werkdagen_tussen(bereikt_sinds, peildatum)
    return Zorg(
        casus_id=casus.casus_id, referentie=casus.referentie, gemeente_code=casus.gemeente_code,
        urgentie=casus.urgentie, wacht_sinds=wacht_sinds, wachtdagen=wachtdagen,
        wachtlijstbrief=wachtlijstbrief_aanleiding(
            wacht_sinds, wachtdagen, regio.gebruikelijke_wachttijd_werkdagen,
            regio.werkvoorraad.wachtlijstbrief_herhaal_werkdagen,
        ),
        contact_uiterlijk=uiterlijk,
        contact_nodig=peildatum >= uiterlijk,
        werkdagen_te_laat=kalender.werkdagen_tussen(uiterlijk, peildatum),
        laatste_poging=_dag(casus.laatste_poging),
        buiten_beeld_sinds=(
            bereikt_sinds if zonder_contact > interval * regio.werkvoorraad.buiten_beeld_na_intervallen else None
        ),
    )


# --- queries ---------------------------------------------------------------------------------------


def wachtende_casussen(session: Session, na_id: int = 0, limiet: int = 1000) -> list[WachtendeCasus]:
    """One batch of casussen on the werkvoorraad (keyset pagination on id), with their latest
    contact attempt and latest reached contact: two indexed queries per batch, never one per casus."""
    rijen = session.exec(
        select(Casus.id, Casus.referentie, Casus.gemeente_code, Casus.urgentie, Casus.status_sinds)
        .where(Casus.status == Status.werkvoorraad.value, Casus.id > na_id)
        .order_by(Casus.id)
        .limit(limiet)
    ).all()
    if not rijen:
        return []
    contact = {
        casus_id: (poging, bereikt)
        for casus_id, poging, bereikt in session.exec(
            select(
                Contactmoment.casus_id,
                func.max(Contactmoment.tijdstip),
                func.max(case((Contactmoment.bereikt.is_(True), Contactmoment.tijdstip))),
            )
            .where(Contactmoment.casus_id.in_([r[0] for r in rijen]))
            .group_by(Contactmoment.casus_id)
        ).all()
    }
    return [
        WachtendeCasus(casus_id, referentie, gemeente_code, urgentie, sinds, *contact.get(casus_id, (None, None)))
        for casus_id, referentie, gemeente_code, urgentie, sinds in rijen
    ]


def nog_op_werkvoorraad(session: Session, casus_ids: list[int]) -> set[int]:
    """Which of these casussen are still waiting (one query per 500)."""
    gevonden: set[int] = set()
    for start in range(0, len(casus_ids), 500):
        gevonden.update(session.exec(
            select(Casus.id).where(Casus.id.in_(casus_ids[start:start + 500]), Casus.status == Status.werkvoorraad.value)
        ).all())
    return gevonden


# --- recording a contact -------------------------------------------------------------------------------


class OngeldigContact(ValueError):
    pass


def registreer_contact(
    session: Session, casus: Casus, *, tijdstip: dt.datetime, vorm: ContactVorm, bereikt: bool,
    medewerker: str, regio: Instellingen, notitie: str | None = None,
) -> Contactmoment:
    """Record a contact with a waiting family (audit `contactmoment`). A reached family also
    meets its open werkvoorraad_contact term, and the next one starts from this contact. The same
    contact sent twice (same moment, form, outcome and person) is recorded once."""
    if tijdstip.tzinfo is None:
        raise OngeldigContact("het tijdstip mist een tijdzone")
    if tijdstip > nu() + dt.timedelta(minutes=5):
        raise OngeldigContact("het tijdstip ligt in de toekomst")
    if not medewerker.strip():
        raise OngeldigContact("geef de medewerker op")
    if (eerder := al_vastgelegd(session, casus, tijdstip, vorm, bereikt, medewerker)) is not None:
        return eerder
    contact = Contactmoment(casus_id=casus.id, tijdstip=tijdstip, vorm=vorm, bereikt=bereikt,
                            medewerker=medewerker, notitie=notitie or None)
    session.add(contact)
    session.flush()
    audit(session, casus, medewerker, "contactmoment", tijdstip=tijdstip,
          details=dict(contactmoment_id=contact.id, vorm=vorm.value, bereikt=bereikt))
    if bereikt and markeer_voldaan(session, casus, TermijnSoort.werkvoorraad_contact, medewerker, tijdstip) \
            and casus.status == Status.werkvoorraad:
        _volgende_contacttermijn(session, casus, tijdstip, medewerker, regio)
    return contact


def al_vastgelegd(session: Session, casus: Casus, tijdstip: dt.datetime, vorm: ContactVorm, bereikt: bool,
                  medewerker: str) -> Contactmoment | None:
    return session.exec(select(Contactmoment).where(
        Contactmoment.casus_id == casus.id, Contactmoment.tijdstip == tijdstip, Contactmoment.vorm == vorm,
        Contactmoment.bereikt == bereikt, Contactmoment.medewerker == medewerker,
    )).first()


def _volgende_contacttermijn(session: Session, casus: Casus, vanaf: dt.datetime, actor: str, regio: Instellingen) -> Termijn:
    regel = contactregel(regio.termijnen[TermijnSoort.werkvoorraad_contact],
                         regio.urgenties[Urgentie(casus.urgentie)].contact_interval_werkdagen)
    berekening = bereken_termijn(TermijnSoort.werkvoorraad_contact, regel, vanaf, werkkalender(regio),
                                 regio.kalender.termijn_eindigt_om)
    return voeg_termijn_toe(session, casus, berekening, actor)

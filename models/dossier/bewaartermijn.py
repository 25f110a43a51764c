"""Retention: legal holds, and the destruction of a casus's personal data once its bewaartermijn
has passed (when: models/regels/bewaartermijn.py).

Destruction runs in three steps, so a crash anywhere leaves a record of what must still go and a
rerun finishes the job (tasks/bewaartermijn.py runs them):

1. `begin`: the `Vernietiging` row is written (the casus is now taken; a hold can no longer be placed);
2. the letter files (archive and print queue) are deleted; they are found from the letter rows,
   which step 1 left untouched;
3. `rond_af`: every encrypted field and blind index of the casus is emptied, the letter rows lose
   their file path, the row is marked done and the audit event 'vernietigd' is written, in one
   transaction.

What stays is the non-personal record: reference, gemeente, dates, states, terms, decisions as
codes, letters as kinds and dates, and the audit trail (which never held personal data).
A household (and its people) shared with a casus that is kept stays until that casus goes too;
likewise a melder who also reported in a kept casus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, update
from sqlmodel import Session, select

from models.dossier.wijzigingen import audit, casus_op_referentie
from models.opslag.bewaartermijn import Bewaarblokkade, Vernietiging
from models.opslag.casus import Casus, Contactmoment, Huishouden, Melder, Melding, Persoon, Termijn
from models.opslag.communicatie import Brief
from models.opslag.overdracht import Veiligheidsvoorwaarden
from models.opslag.typen import nu
from models.regels.bewaartermijn import afgesloten_voor, vernietigen_vanaf
from models.regels.levensloop import Status

REDEN_MAX = 500
# Stands in for the blind index of a destroyed household (the column may not be empty): no keyed
# hash ever equals it, so a new melding at the same address starts a household of its own.
GEEN_ZOEKSLEUTEL = "vernietigd"


class BewaartermijnFout(ValueError):
    """A hold or destruction that cannot be done; the message says why, in Dutch."""


@dataclass(frozen=True)
class TeVernietigen:
    casus_id: int
    referentie: str
    afgesloten_op: dt.datetime
    vernietigen_vanaf: dt.datetime
    al_begonnen: bool  # a run that crashed halfway started it: finish it


@dataclass(frozen=True)
class Blokkaderegel:
    referentie: str
    blokkade: Bewaarblokkade


def _actieve_blokkade(casus_id):
    return exists().where(Bewaarblokkade.casus_id == casus_id, Bewaarblokkade.opgeheven_op.is_(None))


def te_vernietigen(session: Session, peilmoment: dt.datetime, jaren: int) -> list[TeVernietigen]:
    """The closed casussen past their bewaartermijn at `peilmoment`, without an active hold and not
    destroyed yet, plus every destruction a crash left unfinished; oldest first."""
    grens = afgesloten_voor(peilmoment, jaren)
    verlopen = and_(Casus.status == Status.afgesloten, Casus.afgesloten_op < grens, ~_actieve_blokkade(Casus.id),
                    Vernietiging.id.is_(None))
    rijen = session.exec(
        select(Casus.id, Casus.referentie, Casus.afgesloten_op, Vernietiging.id)
        .outerjoin(Vernietiging, Vernietiging.casus_id == Casus.id)
        .where(or_(verlopen, and_(Vernietiging.id.is_not(None), Vernietiging.voltooid_op.is_(None))))
        .order_by(Casus.afgesloten_op, Casus.id)
    ).all()
    return [TeVernietigen(i, r, a, vernietigen_vanaf(a, jaren), v is not None) for i, r, a, v in rijen]


def _casus_vast(session: Session, casus_id: int) -> Casus:
    """The casus, locked until the end of the transaction (PostgreSQL; SQLite has one writer):
    a hold and the start of a destruction never pass each other."""
    return session.exec(select(Casus).where(Casus.id == casus_id).with_for_update()).one()


def begin(session: Session, casus_id: int, door: str) -> Vernietiging:
    """Step 1: record that this casus is being destroyed (once; a second call returns the record)."""
    casus = _casus_vast(session, casus_id)
    bestaand = session.exec(select(Vernietiging).where(Vernietiging.casus_id == casus_id)).one_or_none()
    if bestaand is not None:
        return bestaand
    if session.exec(select(_actieve_blokkade(casus_id))).one():
        raise BewaartermijnFout(f"Casus {casus.referentie} heeft een blokkade en wordt niet vernietigd.")
    if casus.status != Status.afgesloten:
        raise BewaartermijnFout(f"Casus {casus.referentie} is niet afgesloten en wordt niet vernietigd.")
    vernietiging = Vernietiging(casus_id=casus_id, door=door)
    session.add(vernietiging)
    session.flush()
    return vernietiging


def brieven_van(session: Session, casus_id: int) -> list[Brief]:
    """The letters whose files step 2 deletes."""
    return list(session.exec(select(Brief).where(Brief.casus_id == casus_id).order_by(Brief.id)))


def _niet_vernietigd(casus_id_kolom):
    """The casus in this column is kept (no finished destruction)."""
    return ~exists().where(Vernietiging.casus_id == casus_id_kolom, Vernietiging.voltooid_op.is_not(None))


def _leeg(session: Session, opdracht) -> int:
    """Run one UPDATE that empties fields; the number of rows it touched."""
    return session.execute(opdracht, execution_options=dict(synchronize_session=False)).rowcount


def _leeg_huishouden(session: Session, casus: Casus) -> int:
    """Empty the household and its people, unless another kept casus is about them. Returns the
    number of people emptied."""
    gedeeld = session.exec(select(exists().where(
        Casus.huishouden_id == casus.huishouden_id, Casus.id != casus.id, _niet_vernietigd(Casus.id)))).one()
    if gedeeld:
        return 0
    huishouden = session.get(Huishouden, casus.huishouden_id)
    huishouden.straat_huisnummer = huishouden.postcode = huishouden.woonplaats = ""
    huishouden.email, huishouden.adres_zoeksleutel, huishouden.zoeksleutel = None, None, GEEN_ZOEKSLEUTEL
    session.add(huishouden)
    return _leeg(session, update(Persoon).where(Persoon.huishouden_id == casus.huishouden_id)
                 .values(naam="", geboortedatum=None, bsn=None, bsn_zoeksleutel=None))


def _leeg_melders(session: Session, casus: Casus) -> int:
    """Empty the melders of this casus who did not also report in a kept casus."""
    eigen = select(Melding.melder_id).where(Melding.casus_id == casus.id)
    elders = select(Melding.melder_id).where(Melding.casus_id != casus.id, _niet_vernietigd(Melding.casus_id))
    return _leeg(session, update(Melder).where(Melder.id.in_(eigen), Melder.id.not_in(elders)).values(
        naam=None, telefoon=None, email=None, straat_huisnummer=None, postcode=None, woonplaats=None))


def rond_af(session: Session, casus_id: int, door: str, bestanden_verwijderd: int) -> Vernietiging:
    """Step 3: empty every personal field of the casus and close the record, with its audit event.
    Run after the files are gone. Done already: returns the record and changes nothing."""
    casus = _casus_vast(session, casus_id)  # first: a second run at the same time waits, then sees it done
    vernietiging = session.exec(select(Vernietiging).where(Vernietiging.casus_id == casus_id)).one()
    if vernietiging.voltooid_op is not None:
        return vernietiging
    aantallen = dict(
        meldingen=_leeg(session, update(Melding).where(Melding.casus_id == casus_id).values(omschrijving="")),
        melders=_leeg_melders(session, casus),
        personen=_leeg_huishouden(session, casus),
        contactmomenten=_leeg(session, update(Contactmoment).where(Contactmoment.casus_id == casus_id)
                              .values(notitie=None)),
        veiligheidsvoorwaarden=_leeg(session, update(Veiligheidsvoorwaarden)
                                     .where(Veiligheidsvoorwaarden.casus_id == casus_id).values(tekst="")),
        brieven=_leeg(session, update(Brief).where(Brief.casus_id == casus_id).values(pad=None, checksum=None)),
        bestanden=bestanden_verwijderd,
    )
    # Reasons staff typed for suspending or extending a term are free text: they go too.
    _leeg(session, update(Termijn).where(Termijn.casus_id == casus_id).values(opschort_reden=None, verleng_reden=None))
    vernietiging.voltooid_op, vernietiging.aantallen = nu(), aantallen
    session.add(vernietiging)
    audit(session, casus, door, "vernietigd", details=aantallen)
    session.flush()
    return vernietiging


# --- the report to beheer ---------------------------------------------------------------------------


def te_melden(session: Session) -> list[tuple[str, Vernietiging]]:
    """Finished destructions not yet reported to beheer, with their references."""
    return list(session.exec(
        select(Casus.referentie, Vernietiging).join(Casus, Casus.id == Vernietiging.casus_id)
        .where(Vernietiging.voltooid_op.is_not(None), Vernietiging.gemeld_op.is_(None))
        .order_by(Vernietiging.voltooid_op, Vernietiging.id)
    ).all())


def markeer_gemeld(session: Session, vernietigingen: list[Vernietiging]) -> None:
    moment = nu()
    for vernietiging in vernietigingen:
        vernietiging.gemeld_op = moment
        session.add(vernietiging)


# --- legal holds ------------------------------------------------------------------------------------------


def _tekst(waarde: str, wat: str) -> str:
    tekst = " ".join((waarde or "").split())
    if not tekst:
        raise BewaartermijnFout(f"{wat} ontbreekt.")
    if len(tekst) > REDEN_MAX:
        raise BewaartermijnFout(f"{wat} is te lang (meer dan {REDEN_MAX} tekens).")
    return tekst


def actieve_blokkade(session: Session, casus_id: int) -> Bewaarblokkade | None:
    return session.exec(select(Bewaarblokkade).where(
        Bewaarblokkade.casus_id == casus_id, Bewaarblokkade.opgeheven_op.is_(None))).one_or_none()


def vernietiging_van(session: Session, casus_id: int) -> Vernietiging | None:
    return session.exec(select(Vernietiging).where(Vernietiging.casus_id == casus_id)).one_or_none()


def blokkeer(session: Session, referentie: str, reden: str, door: str) -> Bewaarblokkade:
    """Place a legal hold: the casus is not destroyed while it holds. Audited."""
    reden, door = _tekst(reden, "De reden (--reden)"), _tekst(door, "Wie blokkeert (--door)")
    casus = _casus_vast(session, casus_op_referentie(session, referentie).id)
    if vernietiging_van(session, casus.id) is not None:
        raise BewaartermijnFout(f"De persoonsgegevens van casus {casus.referentie} zijn al vernietigd "
                                "(of dat is begonnen): blokkeren kan niet meer.")
    if actieve_blokkade(session, casus.id) is not None:
        raise BewaartermijnFout(f"Casus {casus.referentie} is al geblokkeerd; hef die blokkade eerst op.")
    blokkade = Bewaarblokkade(casus_id=casus.id, reden=reden, door=door)
    session.add(blokkade)
    session.flush()
    audit(session, casus, door, "bewaarblokkade_geplaatst", reden=reden, details=dict(blokkade=blokkade.id))
    return blokkade


def deblokkeer(session: Session, referentie: str, reden: str, door: str) -> Bewaarblokkade:
    """Lift the active hold; the casus is destroyed on the next run if its term has passed. Audited."""
    reden, door = _tekst(reden, "De reden (--reden)"), _tekst(door, "Wie de blokkade opheft (--door)")
    casus = _casus_vast(session, casus_op_referentie(session, referentie).id)
    blokkade = actieve_blokkade(session, casus.id)
    if blokkade is None:
        raise BewaartermijnFout(f"Casus {casus.referentie} heeft geen blokkade.")
    blokkade.opgeheven_op, blokkade.opgeheven_door, blokkade.opheffingsreden = nu(), door, reden
    session.add(blokkade)
    audit(session, casus, door, "bewaarblokkade_opgeheven", reden=reden, details=dict(blokkade=blokkade.id))
    session.flush()
    return blokkade


def blokkades(session: Session, referentie: str | None = None) -> list[Blokkaderegel]:
    """The active holds of the region, or every hold (also lifted ones) of one casus."""
    query = select(Casus.referentie, Bewaarblokkade).join(Casus, Casus.id == Bewaarblokkade.casus_id)
    if referentie is None:
        query = query.where(Bewaarblokkade.opgeheven_op.is_(None))
    else:
        query = query.where(Casus.id == casus_op_referentie(session, referentie).id)
    return [Blokkaderegel(r, b) for r, b in session.exec(query.order_by(Bewaarblokkade.geplaatst_op,
                                                                         Bewaarblokkade.id))]

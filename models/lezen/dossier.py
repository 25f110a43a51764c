"""The dossier of one casus as staff read it on the dossier pages (web/dossier), with the personal
data decrypted, and the searches that find a casus.

The same store `vt casus --toon-persoonsgegevens` reads, in a fixed number of queries whatever the
size of the casus (one per part: no query per melding, letter or event). Codes stay codes here;
the templates show them as Dutch labels. This read model is the only way personal data leaves the
store for a screen; it never goes to Prefect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from models.brieven.inhoud import archiefmap, checksum
from models.dossier import voortgang
from models.dossier.wijzigingen import OnbekendeCasus
from models.opslag.bewaartermijn import Bewaarblokkade, Vernietiging
from models.opslag.casus import (
    AuditEvent, Casus, Contactmoment, Huishouden, Melder, Melding, Persoon, Termijn, bsn_zoeksleutel,
    postcode_huisnummer_zoeksleutel,
)
from models.opslag.communicatie import Brief
from models.opslag.overdracht import Beslissing, Overdracht, Veiligheidsvoorwaarden
from models.opslag.regio import Gemeente, LokaalTeam
from models.regels.besluiten import BESLISSINGEN, volgend_beslismoment

__all__ = ["OnbekendeCasus", "BriefNietBeschikbaar", "Dossier", "Treffer", "BriefBestand", "VRAGEN", "dossier",
           "zoek_op_referentie", "zoek_op_bsn", "zoek_op_adres", "brief_bestand"]


@dataclass(frozen=True)
class Treffer:
    """A casus found by a search: enough to pick the right one, nothing personal."""

    referentie: str
    gemeente: str
    status: str
    geopend_op: dt.datetime
    afgesloten_op: dt.datetime | None


@dataclass
class MeldingRegel:
    referentie: str
    ontvangen_op: dt.datetime
    kanaal: str
    urgentie: str
    hermelding: bool
    omschrijving: str
    melder: Melder


@dataclass
class BeslissingRegel:
    moment: str
    vraag: str  # the question as staff saw it above the form
    keuze: str
    van_status: str
    naar_status: str | None
    details: dict
    door: str
    genomen_op: dt.datetime
    veiligheidsvoorwaarden: str | None = None


@dataclass
class TermijnRegel:
    id: int
    soort: str
    start_op: dt.datetime
    vervalt_op: dt.datetime
    oorspronkelijk_vervalt_op: dt.datetime
    voldaan_op: dt.datetime | None
    opgeschort_op: dt.datetime | None
    opschort_reden: str | None
    verleng_reden: str | None
    # The suspensions, resumptions and extensions of this term, from the audit trail, in order.
    geschiedenis: list[AuditEvent] = field(default_factory=list)

    @property
    def verlengd(self) -> bool:
        return self.vervalt_op != self.oorspronkelijk_vervalt_op


@dataclass
class Dossier:
    casus: Casus
    gemeente: str
    wacht_op: str | None  # the decision the casus waits for, as its question
    huishouden: Huishouden
    personen: list[Persoon]
    meldingen: list[MeldingRegel]
    beslissingen: list[BeslissingRegel]
    overdrachten: list[Overdracht]
    teams: dict[str, str]  # lokaal team code -> name (decisions and handovers name teams by code)
    termijnen: list[TermijnRegel]
    brieven: list[Brief]
    contacten: list[Contactmoment]
    audittrail: list[AuditEvent]
    vernietiging: Vernietiging | None = None  # the personal data went after the bewaartermijn
    blokkades: list[Bewaarblokkade] = field(default_factory=list)  # legal holds, lifted ones too

    @property
    def vernietigd(self) -> bool:
        return self.vernietiging is not None and self.vernietiging.voltooid_op is not None

    @property
    def blokkade(self) -> Bewaarblokkade | None:
        """The active legal hold, if any."""
        return next((b for b in self.blokkades if b.opgeheven_op is None), None)

    @property
    def melders(self) -> list[Melder]:
        """Each melder once, in the order of their first melding."""
        gezien: dict[int, Melder] = {}
        for m in self.meldingen:
            gezien.setdefault(m.melder.id, m.melder)
        return list(gezien.values())


def _casus(session: Session, referentie: str) -> Casus:
    casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one_or_none()
    if casus is None:
        raise OnbekendeCasus(referentie)
    return casus


def dossier(session: Session, referentie: str) -> Dossier:
    """Everything on the dossier page of casus `referentie` (OnbekendeCasus when there is none)."""
    casus = _casus(session, referentie)
    gemeente = session.exec(select(Gemeente.naam).where(Gemeente.code == casus.gemeente_code)).one()
    moment = volgend_beslismoment(voortgang.stand(session, casus))
    audittrail = list(session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id).order_by(AuditEvent.id)))
    return Dossier(
        casus=casus,
        gemeente=gemeente,
        wacht_op=BESLISSINGEN[moment].vraag if moment else None,
        huishouden=session.get(Huishouden, casus.huishouden_id),
        personen=list(session.exec(select(Persoon).where(Persoon.huishouden_id == casus.huishouden_id)
                                   .order_by(Persoon.id))),
        meldingen=[
            MeldingRegel(m.referentie, m.ontvangen_op, m.kanaal, m.urgentie, m.hermelding, m.omschrijving, melder)
            for m, melder in session.exec(
                select(Melding, Melder).join(Melder, Melder.id == Melding.melder_id)
                .where(Melding.casus_id == casus.id).order_by(Melding.ontvangen_op, Melding.id))
        ],
        beslissingen=_beslissingen(session, casus),
        overdrachten=list(session.exec(select(Overdracht).where(Overdracht.casus_id == casus.id)
                                       .order_by(Overdracht.id))),
        teams=dict(session.exec(select(LokaalTeam.code, LokaalTeam.naam)
                                .where(LokaalTeam.gemeente_code == casus.gemeente_code)).all()),
        termijnen=_termijnen(session, casus, audittrail),
        brieven=list(session.exec(select(Brief).where(Brief.casus_id == casus.id).order_by(Brief.id))),
        contacten=list(session.exec(select(Contactmoment).where(Contactmoment.casus_id == casus.id)
                                    .order_by(Contactmoment.tijdstip, Contactmoment.id))),
        audittrail=audittrail,
        vernietiging=session.exec(select(Vernietiging).where(Vernietiging.casus_id == casus.id)).one_or_none(),
        blokkades=list(session.exec(select(Bewaarblokkade).where(Bewaarblokkade.casus_id == casus.id)
                                    .order_by(Bewaarblokkade.geplaatst_op, Bewaarblokkade.id))),
    )


def _beslissingen(session: Session, casus: Casus) -> list[BeslissingRegel]:
    voorwaarden = dict(session.exec(
        select(Veiligheidsvoorwaarden.beslissing_id, Veiligheidsvoorwaarden.tekst)
        .where(Veiligheidsvoorwaarden.casus_id == casus.id)).all())
    return [
        BeslissingRegel(b.moment, _vraag(b.moment), b.keuze, b.van_status, b.naar_status, dict(b.details), b.door,
                        b.genomen_op, voorwaarden.get(b.id))
        for b in session.exec(select(Beslissing).where(Beslissing.casus_id == casus.id)
                              .order_by(Beslissing.genomen_op, Beslissing.id))
    ]


# The question of each kind of decision, by its stored code: how staff know it from the form.
VRAGEN: dict[str, str] = {moment.value: soort.vraag for moment, soort in BESLISSINGEN.items()}


def _vraag(moment: str) -> str:
    return VRAGEN.get(moment, moment)


_TERMIJNGESCHIEDENIS = ("termijn_opgeschort", "termijn_hervat", "termijn_verlengd")


def _termijnen(session: Session, casus: Casus, audittrail: list[AuditEvent]) -> list[TermijnRegel]:
    geschiedenis: dict[int, list[AuditEvent]] = {}
    for event in audittrail:  # already read: no query per term
        if event.actie in _TERMIJNGESCHIEDENIS and "termijn_id" in event.details:
            geschiedenis.setdefault(event.details["termijn_id"], []).append(event)
    return [
        TermijnRegel(t.id, t.soort, t.start_op, t.vervalt_op, t.oorspronkelijk_vervalt_op, t.voldaan_op,
                     t.opgeschort_op, t.opschort_reden, t.verleng_reden, geschiedenis.get(t.id, []))
        for t in session.exec(select(Termijn).where(Termijn.casus_id == casus.id)
                              .order_by(Termijn.start_op, Termijn.id))
    ]


# --- searching ---------------------------------------------------------------------------------------


def _treffers(session: Session, *voorwaarden) -> list[Treffer]:
    rijen = session.exec(
        select(Casus.referentie, Gemeente.naam, Casus.status, Casus.geopend_op, Casus.afgesloten_op)
        .join(Gemeente, Gemeente.code == Casus.gemeente_code)
        .where(*voorwaarden).order_by(Casus.geopend_op.desc(), Casus.id.desc())
    ).all()
    return [Treffer(*rij) for rij in rijen]


def zoek_op_referentie(session: Session, referentie: str) -> list[Treffer]:
    return _treffers(session, Casus.referentie == referentie)


def zoek_op_bsn(session: Session, bsn: str) -> list[Treffer]:
    """Every casus of a household a person with this BSN belongs to (blind index: nothing decrypted)."""
    huishoudens = select(Persoon.huishouden_id).where(Persoon.bsn_zoeksleutel == bsn_zoeksleutel(bsn))
    return _treffers(session, Casus.huishouden_id.in_(huishoudens))


def zoek_op_adres(session: Session, postcode: str, huisnummer: str) -> list[Treffer]:
    """Every casus of a household at postcode + house number, both as models.regels.zoeken reads them
    (blind index: nothing decrypted)."""
    sleutel = postcode_huisnummer_zoeksleutel(postcode, huisnummer)
    huishoudens = select(Huishouden.id).where(Huishouden.adres_zoeksleutel == sleutel)
    return _treffers(session, Casus.huishouden_id.in_(huishoudens))


# --- letters -------------------------------------------------------------------------------------------


class BriefNietBeschikbaar(LookupError):
    """The letter is not of this casus, not made yet, or its archived file is missing or altered."""


@dataclass(frozen=True)
class BriefBestand:
    soort: str
    inhoud: bytes
    bestandsnaam: str  # reference and kind only: the name a browser shows or saves


def brief_bestand(session: Session, referentie: str, brief_id: int) -> BriefBestand:
    """The archived PDF of letter `brief_id` of casus `referentie`, checked against its checksum."""
    casus = _casus(session, referentie)
    brief = session.exec(select(Brief).where(Brief.id == brief_id, Brief.casus_id == casus.id)).one_or_none()
    if brief is None or not brief.pad:
        raise BriefNietBeschikbaar(f"Brief {brief_id} hoort niet bij casus {referentie} of is nog niet gemaakt.")
    basis = archiefmap().resolve()
    pad = (basis / brief.pad).resolve()
    if not pad.is_relative_to(basis) or not pad.is_file():
        raise BriefNietBeschikbaar(f"Het bestand van brief {brief_id} ontbreekt in het archief.")
    inhoud = pad.read_bytes()
    if brief.checksum and checksum(inhoud) != brief.checksum:
        raise BriefNietBeschikbaar(f"Het bestand van brief {brief_id} is gewijzigd sinds het werd gemaakt.")
    return BriefBestand(brief.soort, inhoud, f"{casus.referentie}-{brief.soort}-{brief.id}.pdf")


"""Letters to families and melders: which kinds exist, what each needs and the letter archive.
Delivery goes through the outbox shared with notifications (models/dossier/uitgaand.py).

A letter has a key (casus, soort, aanleiding): asking for it twice returns the archived letter,
never a second one. The letter text comes from `templates/brieven/<soort>.html.j2` (plain Dutch,
language level B1) and is rendered to PDF with WeasyPrint. Personal data (names, addresses) is
read from the case store when the letter is made and exists only inside the PDF and the case
store; the Brief row holds references, codes, the checksum and the template version.

Each kind validates its `gegevens` (the non-personal facts the lifecycle knows) with its own
pydantic model, and every template renders with StrictUndefined: a missing value fails loudly
instead of printing an empty field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, select

from models.brieven import pdf
from models.dossier import uitgaand
from models.regels.besluiten import Regie
from models.opslag.casus import Casus, Huishouden, Melder, MelderSoort, Melding, Persoon, Rol
from models.opslag.communicatie import Brief
from models.regels.instellingen import Afzender, Instellingen, LokaalTeamInstelling, Omgeving
from models.regels.locaties import adres_van
from models.regels.kalender import AMSTERDAM
from models.regels.levensloop import Status

TEMPLATE_MAP = Path(__file__).resolve().parents[2] / "templates"
_WEEKDAGEN = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]


class BriefSoort(StrEnum):
    # to the family
    melding_ontvangen = "melding_ontvangen"
    wachtlijst = "wachtlijst"
    overdracht_bevestiging = "overdracht_bevestiging"
    uitnodiging_driegesprek = "uitnodiging_driegesprek"
    afsluiting = "afsluiting"
    # to the melder
    terugkoppeling_veiligheidsbeoordeling = "terugkoppeling_veiligheidsbeoordeling"
    terugkoppeling_onderzoek = "terugkoppeling_onderzoek"


class Ontvanger(StrEnum):
    familie = "familie"
    melder = "melder"


AAN_MELDER = frozenset({BriefSoort.terugkoppeling_veiligheidsbeoordeling, BriefSoort.terugkoppeling_onderzoek})


def ontvanger_van(soort: BriefSoort) -> Ontvanger:
    return Ontvanger.melder if soort in AAN_MELDER else Ontvanger.familie


class BriefKanaal(StrEnum):
    post = "post"  # print queue folder, picked up by the mail room
    email = "email"  # PDF attached; only with the recipient's consent
    geen = "geen"  # no postal address and no e-mail consent: staff must act (escalated at once)


# --- what each kind needs ------------------------------------------------------------------------


class OngeldigeBriefgegevens(ValueError):
    """The facts for a letter are missing or wrong: no letter is made."""


class _Gegevens(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TerugkoppelingBesluit(StrEnum):
    """The decision after a veiligheidsbeoordeling or onderzoek, as told to the melder."""

    afsluiten = "afsluiten"
    overdracht = "overdracht"
    voorwaarden_en_vervolg = "voorwaarden_en_vervolg"
    onderzoek = "onderzoek"
    werkvoorraad = "werkvoorraad"
    rvdk_verzoek = "rvdk_verzoek"


_MET_LOKAAL_TEAM = {TerugkoppelingBesluit.overdracht, TerugkoppelingBesluit.voorwaarden_en_vervolg}


class AfsluitReden(StrEnum):
    einde_bemoeienis = "einde_bemoeienis"  # VT's part is done, nothing further needed from VT
    overgedragen = "overgedragen"  # a lokaal team carries on (needs lokaal_team_code)
    na_monitoring = "na_monitoring"  # safety held during the follow-up period


class MeldingOntvangenGegevens(_Gegevens):
    melding_referentie: str | None = Field(
        None, description="Over welke melding de brief gaat; leeg = de laatste melding van de casus."
    )


class WachtlijstGegevens(_Gegevens):
    wacht_sinds: dt.date


class OverdrachtBevestigingGegevens(_Gegevens):
    lokaal_team_code: str
    regie: Regie
    # Overdrachtstafel: the team takes over and VT helps set the safety conditions (seed 004).
    vt_helpt_met_voorwaarden: bool = False


class DriegesprekGegevens(_Gegevens):
    lokaal_team_code: str
    datum: dt.datetime
    plaats: str = Field(min_length=3, max_length=200)
    locatie: str | None = Field(None, description="The form's choice (Locatie): its address comes from the settings.")
    deelnemers: list[str] = Field(
        default_factory=list, description="Wie er bij zijn (rollen, geen namen); leeg = u, VT en het lokale team."
    )

    @field_validator("datum")
    @classmethod
    def _met_tijdzone(cls, datum: dt.datetime) -> dt.datetime:
        if datum.tzinfo is None:
            raise ValueError("mist een tijdzone")
        return datum

    @property
    def dag(self) -> str:
        return _WEEKDAGEN[self.datum.astimezone(AMSTERDAM).weekday()]

    @property
    def tijd(self) -> str:
        return f"{self.datum.astimezone(AMSTERDAM):%H.%M} uur"


class AfsluitingGegevens(_Gegevens):
    reden: AfsluitReden = AfsluitReden.einde_bemoeienis
    lokaal_team_code: str | None = None

    @model_validator(mode="after")
    def _team_bij_overdracht(self) -> AfsluitingGegevens:
        if self.reden is AfsluitReden.overgedragen and not self.lokaal_team_code:
            raise ValueError("reden 'overgedragen' vraagt om lokaal_team_code")
        return self


class TerugkoppelingGegevens(_Gegevens):
    besluit: TerugkoppelingBesluit
    lokaal_team_code: str | None = None

    @model_validator(mode="after")
    def _team_bij_overdracht(self) -> TerugkoppelingGegevens:
        if self.besluit in _MET_LOKAAL_TEAM and not self.lokaal_team_code:
            raise ValueError(f"besluit '{self.besluit}' vraagt om lokaal_team_code")
        return self


class TerugkoppelingOnderzoekGegevens(TerugkoppelingGegevens):
    @field_validator("besluit")
    @classmethod
    def _na_onderzoek(cls, besluit: TerugkoppelingBesluit) -> TerugkoppelingBesluit:
        if besluit in (TerugkoppelingBesluit.onderzoek, TerugkoppelingBesluit.werkvoorraad):
            raise ValueError(f"'{besluit}' is geen vervolg na een onderzoek")
        return besluit


GEGEVENS: dict[BriefSoort, type[_Gegevens]] = {
    BriefSoort.melding_ontvangen: MeldingOntvangenGegevens,
    BriefSoort.wachtlijst: WachtlijstGegevens,
    BriefSoort.overdracht_bevestiging: OverdrachtBevestigingGegevens,
    BriefSoort.uitnodiging_driegesprek: DriegesprekGegevens,
    BriefSoort.afsluiting: AfsluitingGegevens,
    BriefSoort.terugkoppeling_veiligheidsbeoordeling: TerugkoppelingGegevens,
    BriefSoort.terugkoppeling_onderzoek: TerugkoppelingOnderzoekGegevens,
}

# What the casus itself already says, used when the caller leaves it out.
_BESLUIT_UIT_STATUS = {
    Status.afgesloten: TerugkoppelingBesluit.afsluiten,
    Status.overdracht: TerugkoppelingBesluit.overdracht,
    Status.monitoring: TerugkoppelingBesluit.overdracht,
    Status.voorwaarden_en_vervolg: TerugkoppelingBesluit.voorwaarden_en_vervolg,
    Status.onderzoek: TerugkoppelingBesluit.onderzoek,
    Status.werkvoorraad: TerugkoppelingBesluit.werkvoorraad,
    Status.rvdk_verzoek: TerugkoppelingBesluit.rvdk_verzoek,
}


def valideer_gegevens(soort: BriefSoort, gegevens: dict | None, casus: Casus) -> _Gegevens:
    """The facts for one letter: the caller's `gegevens`, completed from the casus (lokaal team,
    regie, besluit) where the caller left them out. Raises OngeldigeBriefgegevens."""
    model = GEGEVENS[soort]
    waarden = dict(gegevens or {})
    velden = model.model_fields
    if "lokaal_team_code" in velden and casus.lokaal_team_code:
        waarden.setdefault("lokaal_team_code", casus.lokaal_team_code)
    if "regie" in velden and casus.regie:
        waarden.setdefault("regie", casus.regie)
    if "besluit" in velden and Status(casus.status) in _BESLUIT_UIT_STATUS:
        waarden.setdefault("besluit", _BESLUIT_UIT_STATUS[Status(casus.status)].value)
    try:
        return model.model_validate(waarden)
    except ValidationError as exc:
        from models.regels.fouten import beschrijf_validatiefouten

        raise OngeldigeBriefgegevens(
            f"Brief '{soort}' voor casus {casus.referentie}: " + "; ".join(beschrijf_validatiefouten(exc))
        ) from exc


# --- the letter's full content ----------------------------------------------------------------------


class Geadresseerde(BaseModel):
    """Who the letter is for. Personal data: lives only in the PDF."""

    model_config = ConfigDict(frozen=True)

    naam: str = Field(min_length=1)
    aanhef: str = Field(min_length=1)
    adresregels: list[str]
    email: str | None = None
    kanaal: BriefKanaal


class Casusfeiten(BaseModel):
    model_config = ConfigDict(frozen=True)

    referentie: str
    kenmerk: str  # casus reference, or the melding reference in a letter to a melder
    gemeente: str
    melding_ontvangen_op: dt.datetime


class BriefInhoud(BaseModel):
    """Everything a letter template gets. Validated before rendering."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    soort: BriefSoort
    datum: dt.date
    afzender: Afzender
    ontvanger: Geadresseerde
    casus: Casusfeiten
    gegevens: _Gegevens
    lokaal_team: LokaalTeamInstelling | None
    gemeente_teams: list[LokaalTeamInstelling]
    vb_termijn: str  # "5 werkdagen"
    bewaartermijn_jaren: int
    plaats_adres: str | None = None  # the address of a meeting place (settings), if it has one

    def context(self) -> dict:
        return dict(
            soort=self.soort.value, datum=self.datum, afzender=self.afzender, ontvanger=self.ontvanger,
            casus=self.casus, gegevens=self.gegevens, lokaal_team=self.lokaal_team,
            gemeente_teams=self.gemeente_teams, vb_termijn=self.vb_termijn,
            bewaartermijn_jaren=self.bewaartermijn_jaren, plaats_adres=self.plaats_adres,
        )


def lokaal_team(regio: Instellingen, code: str | None) -> LokaalTeamInstelling | None:
    if code is None:
        return None
    for gemeente in regio.gemeenten:
        for team in gemeente.lokale_teams:
            if team.code == code:
                return team
    raise OngeldigeBriefgegevens(f"lokaal team '{code}' staat niet in de instellingen")


def _adresregels(straat: str | None, postcode: str | None, woonplaats: str | None) -> list[str]:
    if not (straat and postcode and woonplaats):
        return []
    return [straat, f"{postcode}  {woonplaats.upper()}"]


def _kanaal(email: str | None, per_email: bool, adresregels: list[str]) -> BriefKanaal:
    if per_email and email:
        return BriefKanaal.email
    return BriefKanaal.post if adresregels else BriefKanaal.geen


def gezin_als_ontvanger(session: Session, casus: Casus) -> Geadresseerde:
    """The household's adults (never addressed to a child); their names and address."""
    huishouden = session.get(Huishouden, casus.huishouden_id)
    personen = session.exec(
        select(Persoon).where(Persoon.huishouden_id == huishouden.id).order_by(Persoon.id)
    ).all()
    volwassenen = [p.naam for p in personen if p.rol != Rol.kind]
    naam = " en ".join(volwassenen) if volwassenen else "De ouders of verzorgers"
    aanhef = f"Beste {naam}" if volwassenen else "Beste ouders of verzorgers"
    regels = _adresregels(huishouden.straat_huisnummer, huishouden.postcode, huishouden.woonplaats)
    return Geadresseerde(
        naam=naam, aanhef=aanhef, adresregels=regels, email=huishouden.email,
        kanaal=_kanaal(huishouden.email, huishouden.brief_per_email, regels),
    )


def melder_als_ontvanger(melder: Melder) -> Geadresseerde:
    regels = _adresregels(melder.straat_huisnummer, melder.postcode, melder.woonplaats)
    return Geadresseerde(
        naam=melder.naam, aanhef=f"Beste {melder.naam}", adresregels=regels, email=melder.email,
        kanaal=_kanaal(melder.email, melder.brief_per_email, regels),
    )


def melders_voor_terugkoppeling(session: Session, casus: Casus) -> list[tuple[Melding, Melder]]:
    """Every melding of the casus whose melder asked for terugkoppeling and is known by name."""
    return list(session.exec(
        select(Melding, Melder).join(Melder, Melder.id == Melding.melder_id)
        .where(Melding.casus_id == casus.id, Melder.wil_terugkoppeling.is_(True),
               Melder.soort != MelderSoort.anoniem.value)
        .order_by(Melding.ontvangen_op, Melding.id)
    ).all())


def melding_van_casus(session: Session, casus: Casus, referentie: str | None) -> Melding:
    query = select(Melding).where(Melding.casus_id == casus.id)
    if referentie:
        melding = session.exec(query.where(Melding.referentie == referentie)).one_or_none()
        if melding is None:
            raise OngeldigeBriefgegevens(f"melding {referentie} hoort niet bij casus {casus.referentie}")
        return melding
    return session.exec(query.order_by(Melding.ontvangen_op.desc(), Melding.id.desc())).first()


def _vb_termijn(regio: Instellingen) -> str:
    from models.regels.instellingen import TermijnSoort

    regel = regio.termijnen[TermijnSoort.veiligheidsbeoordeling]
    return f"{regel.aantal} {regel.eenheid.value}"


@dataclass(frozen=True)
class Briefverzoek:
    """One letter to make: its key parts and its (validated) facts."""

    casus: Casus
    soort: BriefSoort
    aanleiding: str
    gegevens: _Gegevens
    melding: Melding | None = None  # the melding a melder letter answers
    melder: Melder | None = None


def ontvangers_voor(session: Session, casus: Casus, soort: BriefSoort) -> list[tuple[Melding | None, Melder | None]]:
    """Who one occasion writes to: the family (once), or each melder who asked for
    terugkoppeling (nobody for an anonymous melder)."""
    if soort not in AAN_MELDER:
        return [(None, None)]
    return melders_voor_terugkoppeling(session, casus)


def inhoud(session: Session, verzoek: Briefverzoek, regio: Instellingen, datum: dt.date) -> BriefInhoud:
    """Gather everything the template needs: the recipient from the case store, facts from the
    casus, the sender and teams from the settings."""
    casus, feiten = verzoek.casus, verzoek.gegevens
    gemeente = regio.gemeente(casus.gemeente_code)
    if verzoek.melder is not None:
        ontvanger = melder_als_ontvanger(verzoek.melder)
        melding = verzoek.melding
        kenmerk = melding.referentie
    else:
        ontvanger = gezin_als_ontvanger(session, casus)
        melding = melding_van_casus(session, casus, getattr(feiten, "melding_referentie", None))
        kenmerk = casus.referentie
    return BriefInhoud(
        soort=verzoek.soort, datum=datum, afzender=regio.afzender, ontvanger=ontvanger,
        casus=Casusfeiten(referentie=casus.referentie, kenmerk=kenmerk, gemeente=gemeente.naam,
                          melding_ontvangen_op=melding.ontvangen_op),
        gegevens=feiten, lokaal_team=lokaal_team(regio, getattr(feiten, "lokaal_team_code", None)),
        gemeente_teams=list(gemeente.lokale_teams), vb_termijn=_vb_termijn(regio),
        bewaartermijn_jaren=regio.bewaartermijn_jaren,
        plaats_adres=adres_van(getattr(feiten, "locatie", None), regio, casus.gemeente_code,
                               getattr(feiten, "lokaal_team_code", None)),
    )


# --- keys, templates and PDF -----------------------------------------------------------------------

_AANLEIDING = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def controleer_aanleiding(aanleiding: str) -> None:
    if not _AANLEIDING.match(aanleiding):
        raise OngeldigeBriefgegevens(
            f"aanleiding '{aanleiding}' is ongeldig: 1-64 tekens, letters, cijfers, punt, streep of liggend streepje"
        )


def sleutel(casus_referentie: str, soort: BriefSoort, aanleiding: str, melding_referentie: str | None = None) -> str:
    """The letter's identity: asking for the same key again returns the archived letter."""
    delen = ["brief", casus_referentie, soort.value, aanleiding]
    if melding_referentie:
        delen.append(melding_referentie)
    return ":".join(delen)


def sleutel_van(verzoek: Briefverzoek) -> str:
    return sleutel(verzoek.casus.referentie, verzoek.soort, verzoek.aanleiding,
                   verzoek.melding.referentie if verzoek.melding else None)


def template_naam(soort: BriefSoort) -> str:
    return f"brieven/{soort.value}.html.j2"


_GEDEELD = ("brieven/basis.html.j2", "brieven/stijl.css")
_VOOR_MELDER = ("brieven/_besluit_voor_melder.html.j2",)


@lru_cache(maxsize=32)
def template_versie(soort: BriefSoort) -> str:
    """Short sha256 over the letter's own template and the shared parts: which text was sent."""
    h = hashlib.sha256()
    for naam in (template_naam(soort), *_GEDEELD, *(_VOOR_MELDER if soort in AAN_MELDER else ())):
        h.update(naam.encode())
        h.update((TEMPLATE_MAP / naam).read_bytes())
    return h.hexdigest()[:12]


def render_html(brief: BriefInhoud) -> str:
    from templates import render

    return render(template_naam(brief.soort), **brief.context())


@lru_cache(maxsize=1)
def _stijl():
    """The stylesheet, parsed once per process, with one font configuration shared by every
    letter (a new one per letter makes Pango slower and slower)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stijl = TEMPLATE_MAP / "brieven" / "stijl.css"
    return CSS(filename=str(stijl), font_config=fonts, url_fetcher=pdf.url_fetcher()), fonts


def render_pdf(html: str) -> bytes:
    """HTML to PDF with WeasyPrint (CPU-bound, ~50-60 ms per one-page letter on one core).
    It loads only our own files (models/brieven/pdf.py): a name can never pull in a file or a URL."""
    stijl, fonts = _stijl()
    return pdf.maak_pdf(html, basis=TEMPLATE_MAP / "brieven", stylesheets=[stijl], font_config=fonts)


def checksum(inhoud: bytes) -> str:
    return hashlib.sha256(inhoud).hexdigest()


def archiefmap() -> Path:
    return Omgeving().data_map / "brieven"


def printwachtrij(regio: Instellingen) -> Path:
    return regio.brieven.printwachtrij or Omgeving().data_map / "printwachtrij"


def printwachtrij_naam(brief_id: int, casus_referentie: str, soort: str) -> str:
    """The file name of a letter's copy in the print queue (one per letter: a resend overwrites it)."""
    return f"{brief_id:08d}-{casus_referentie}-{soort}.pdf"


def archiefmap_van(casus_referentie: str) -> Path:
    """The archive folder of one casus: every letter of it lives here (see `archiefpad`)."""
    return archiefmap() / casus_referentie


def archiefpad(brief_sleutel: str, casus_referentie: str, soort: BriefSoort, aanleiding: str) -> str:
    """Path relative to the archive folder, derived from the key: a retried attempt after a
    rollback writes the same file again instead of leaving a second one."""
    kort = hashlib.sha256(brief_sleutel.encode()).hexdigest()[:8]
    return f"{casus_referentie}/{soort.value}-{aanleiding}-{kort}.pdf"


# --- the archive ----------------------------------------------------------------------------------------


def bestaande_brieven(session: Session, sleutels: list[str]) -> dict[str, int]:
    """key -> letter id for the keys already in the archive (one query per 500 keys)."""
    gevonden: dict[str, int] = {}
    for start in range(0, len(sleutels), 500):
        deel = sleutels[start:start + 500]
        gevonden.update(session.exec(select(Brief.sleutel, Brief.id).where(Brief.sleutel.in_(deel))).all())
    return gevonden


def reserveer(session: Session, verzoek: Briefverzoek, kanaal: BriefKanaal) -> tuple[Brief, bool]:
    """Claim the letter's key, so concurrent runs never make it twice: a second run waits on the
    unique key and gets the first one's letter. Returns (letter, newly made). Not yet due:
    rond_af in tasks/brieven.py queues it once the PDF is archived, in the same transaction."""
    return uitgaand.plaats_eenmalig(session, Brief(
        sleutel=sleutel_van(verzoek), casus_id=verzoek.casus.id, soort=verzoek.soort.value,
        aanleiding=verzoek.aanleiding, ontvanger=ontvanger_van(verzoek.soort).value,
        melder_id=verzoek.melder.id if verzoek.melder else None, kanaal=kanaal.value,
        template_versie=template_versie(verzoek.soort),
    ))


def brieven_van_casus(session: Session, casus: Casus) -> list[Brief]:
    return list(session.exec(select(Brief).where(Brief.casus_id == casus.id).order_by(Brief.id)))


def ontvanger_opnieuw(session: Session, brief: Brief) -> Geadresseerde:
    """The recipient as the case store knows them now (e-mail is decrypted at send time only)."""
    if brief.melder_id is not None:
        return melder_als_ontvanger(session.get(Melder, brief.melder_id))
    return gezin_als_ontvanger(session, session.get(Casus, brief.casus_id))


def kenmerk_van(session: Session, brief: Brief, casus: Casus) -> str:
    """The reference printed on the letter: the melding's for a melder, else the casus'."""
    if brief.melder_id is None:
        return casus.referentie
    return session.exec(select(Melding.referentie).where(Melding.melder_id == brief.melder_id)).first()

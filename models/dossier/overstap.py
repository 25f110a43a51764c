"""Switching over a running werkvoorraad (overstap, issue 16): open casussen from another system,
each in its current state, in one transaction.

`vt import` treats every row as a new melding with fresh deadlines; a region that moves to this
system with its open cases needs each casus where it is: its step, the decision already taken,
its handover, its terms with their real deadlines and the ladder steps the old system already
sent, and the contacts with a waiting family. The format is in docs/beheer.md ("Overstappen");
an example is docs/voorbeelden/overstap.json.

How a casus is written:
- The household, its people, the melders and the meldingen go through the registration writer
  (`registreer_meldingen`): encrypted and blind-indexed exactly like a melding at the intake,
  without intake terms (the file gives the real ones) and without intake follow-ups (the old
  system sent the receipt letter).
- Then its state: status (one audited `status` event from `ontvangen`, at the moment the casus
  reached it, so the report counts it in the right dienst from then on), the decision (with its
  follow-ups marked done: no letter goes out again), the safety conditions (encrypted), the
  handover, the terms and the contacts.
- The ladder: every step of an open term whose moment lies at or before the switch moment
  (`stand_op`, when the old system stopped) or that the file says was sent, is recorded as sent
  before the switch (audit `escalatie_voor_overstap`, never `escalatie`), and the watch looks next
  at the first step after it. So the watch sends only the steps still ahead, once.

Everything in the caller's transaction: a row that fails any check stores nothing of the file.
Re-importing the file skips every casus whose first melding (bron + extern_id) is already there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pydantic import (
    BaseModel, ConfigDict, EmailStr, Field, ValidationError, ValidationInfo, field_validator, model_validator,
)
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from models.dossier.auditketen import keten
from models.dossier.importformaat import BESTANDSRIJ, ImportAfgekeurd, Rijfout, _beschrijf, _bestandsfout, _uniek
from models.dossier.registratie import (
    AdresInvoer, MelderInvoer, MeldingInvoer, PersoonInvoer, _open_casussen, _voeg_in, al_geregistreerd, per_bron,
    huishoudsleutel, invoergrenzen, reden_ontvangst_buiten_grenzen, registreer_meldingen,
)
from models.dossier.termijnbewaking import ladder_van, stapmomenten
from models.dossier.wijzigingen import audit_rij
from models.opslag.casus import AuditEvent, Casus, Contactmoment, ContactVorm, Kanaal, Melding, Termijn
from models.opslag.overdracht import Beslissing, Overdracht, OverdrachtStatus, Veiligheidsvoorwaarden
from models.opslag.typen import nu
from models.regels.besluiten import TERMIJNEN_BIJ_START, Deelnemer, Locatie, Regie, UitkomstVeiligheidsbeoordeling
from models.regels.instellingen import Instellingen, OverdrachtType, TermijnSoort, Urgentie
from models.regels.kalender import werkkalender
from models.regels.levensloop import Status

S = Status
U = UitkomstVeiligheidsbeoordeling
ACTOR = "overstap"
MAX_REFERENTIES = 20

# The states a casus can be switched over in. Not `ontvangen` and `veiligheidscheck`: those last
# minutes (the front-door check), so a casus caught there is exported at its assessment.
STATUSSEN = (S.veiligheidsbeoordeling, S.besluit, S.werkvoorraad, S.onderzoek, S.voorwaarden_en_vervolg,
             S.rvdk_verzoek, S.overdracht, S.monitoring)
# The decision after the assessment that can have brought a casus to its state.
BESLUIT_BIJ_STATUS: dict[Status, set[U]] = {
    S.werkvoorraad: {U.onderzoek, U.voorwaarden_en_vervolg},
    S.onderzoek: {U.onderzoek},
    S.voorwaarden_en_vervolg: {U.voorwaarden_en_vervolg, U.onderzoek},
    S.rvdk_verzoek: {U.rvdk_verzoek, U.onderzoek},
    S.overdracht: {U.overdracht, U.onderzoek, U.voorwaarden_en_vervolg, U.rvdk_verzoek},
    S.monitoring: {U.overdracht, U.onderzoek, U.voorwaarden_en_vervolg, U.rvdk_verzoek},
}


# --- the format ------------------------------------------------------------------------------


class _Invoer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _met_tijdzone(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError("mist een tijdzone (bijvoorbeeld +01:00)")
    return moment


class OverstapMelding(_Invoer):
    extern_id: str = Field(min_length=1, max_length=64)
    ontvangen_op: dt.datetime
    kanaal: Kanaal
    urgentie: Urgentie
    omschrijving: str = Field(min_length=1, max_length=10_000)
    melder: MelderInvoer

    @field_validator("ontvangen_op")
    @classmethod
    def _binnen_grenzen(cls, moment: dt.datetime, info: ValidationInfo) -> dt.datetime:
        _met_tijdzone(moment)
        if reden := reden_ontvangst_buiten_grenzen(moment, invoergrenzen(info)):
            raise ValueError(reden)
        return moment


class OverstapBesluit(_Invoer):
    keuze: U
    genomen_op: dt.datetime
    door: str = Field(min_length=1, max_length=120)
    gepland: S | None = Field(None, description="Bij de werkvoorraad: wat start als de casus eraf gaat.")
    veiligheidsvoorwaarden: str | None = Field(None, max_length=10_000)

    _tz = field_validator("genomen_op")(_met_tijdzone)


class OverstapOverdracht(_Invoer):
    type: OverdrachtType
    lokaal_team: str = Field(min_length=2, max_length=32)
    regie: Regie
    driegesprek_op: dt.datetime | None = None
    locatie: Locatie | None = None
    deelnemers: list[Deelnemer] = Field(default_factory=list)
    afgerond_op: dt.datetime | None = None

    _tz = field_validator("driegesprek_op", "afgerond_op")(_met_tijdzone)


class OverstapTermijn(_Invoer):
    soort: TermijnSoort
    start_op: dt.datetime
    vervalt_op: dt.datetime
    waarschuw_op: dt.datetime | None = None
    oorspronkelijk_vervalt_op: dt.datetime | None = None
    voldaan_op: dt.datetime | None = None
    opgeschort_op: dt.datetime | None = None
    opschort_reden: str | None = Field(None, max_length=500)
    verstuurde_stappen: list[str] = Field(default_factory=list)

    _tz = field_validator("start_op", "vervalt_op", "waarschuw_op", "oorspronkelijk_vervalt_op", "voldaan_op",
                          "opgeschort_op")(_met_tijdzone)

    @model_validator(mode="after")
    def _volgorde(self) -> OverstapTermijn:
        if self.vervalt_op <= self.start_op:
            raise ValueError("vervalt_op ligt niet na start_op")
        if self.opgeschort_op and not self.opschort_reden:
            raise ValueError("een opgeschorte termijn vraagt om een opschort_reden")
        return self


class OverstapContact(_Invoer):
    tijdstip: dt.datetime
    vorm: ContactVorm
    bereikt: bool
    medewerker: str = Field(min_length=1, max_length=120)
    notitie: str | None = Field(None, max_length=2000)

    _tz = field_validator("tijdstip")(_met_tijdzone)


class OverstapCasus(_Invoer):
    """One open casus in its current state, as another system exports it."""

    bron: str = Field(min_length=1, max_length=32)
    extern_id: str = Field(min_length=1, max_length=64, description="Kenmerk van de casus in het bronsysteem.")
    gemeente_code: str = Field(pattern=r"^GM\d{4}$")
    urgentie: Urgentie
    status: S
    status_sinds: dt.datetime
    adres: AdresInvoer
    personen: list[PersoonInvoer] = Field(min_length=1)
    gezin_email: EmailStr | None = None
    gezin_brief_per_email: bool = False
    meldingen: list[OverstapMelding] = Field(min_length=1)
    besluit: OverstapBesluit | None = None
    overdracht: OverstapOverdracht | None = None
    termijnen: list[OverstapTermijn] = Field(default_factory=list)
    contactmomenten: list[OverstapContact] = Field(default_factory=list)

    _tz = field_validator("status_sinds")(_met_tijdzone)

    @field_validator("status")
    @classmethod
    def _open_status(cls, status: S) -> S:
        if status not in STATUSSEN:
            raise ValueError(f"kan niet worden overgenomen; kies uit: {', '.join(STATUSSEN)}")
        return status

    def als_meldingen(self) -> list[MeldingInvoer]:
        """The meldingen for the registration writer: the household's data on each."""
        return [MeldingInvoer.model_construct(
            ontvangen_op=m.ontvangen_op, gemeente_code=self.gemeente_code, kanaal=m.kanaal, urgentie=m.urgentie,
            omschrijving=m.omschrijving, melder=m.melder, adres=self.adres, personen=self.personen, bron=self.bron,
            extern_id=m.extern_id, gezin_email=self.gezin_email, gezin_brief_per_email=self.gezin_brief_per_email,
        ) for m in sorted(self.meldingen, key=lambda m: m.ontvangen_op)]

    @property
    def sleutel(self) -> tuple[str, str]:
        """The first melding identifies the casus across imports (registration skips it again)."""
        eerste = min(self.meldingen, key=lambda m: m.ontvangen_op)
        return self.bron, eerste.extern_id


# --- checks that need the settings and the switch moment -------------------------------------


def controleer(casus: OverstapCasus, regio: Instellingen, stand_op: dt.datetime) -> list[str]:
    """Dutch reasons, naming fields as the file does (1-based positions), never values."""
    fouten: list[str] = []
    codes = {g.code: g for g in regio.gemeenten}
    gemeente = codes.get(casus.gemeente_code)
    if gemeente is None:
        fouten.append(f"gemeente_code: hoort niet bij regio {regio.regio.code}")
    eerste = min(m.ontvangen_op for m in casus.meldingen)
    momenten = [("status_sinds", casus.status_sinds)]
    momenten += [(f"meldingen.{i}.ontvangen_op", m.ontvangen_op) for i, m in enumerate(casus.meldingen, 1)]
    if casus.status_sinds < eerste:
        fouten.append("status_sinds: ligt vóór de eerste melding")
    fouten += _controleer_besluit(casus, momenten)
    fouten += _controleer_overdracht(casus, gemeente, momenten)
    fouten += _controleer_termijnen(casus, regio, momenten)
    momenten += [(f"contactmomenten.{i}.tijdstip", c.tijdstip) for i, c in enumerate(casus.contactmomenten, 1)]
    fouten += [f"{naam}: ligt na het overstapmoment" for naam, moment in momenten if moment and moment > stand_op]
    return fouten


def _controleer_besluit(casus: OverstapCasus, momenten: list) -> list[str]:
    besluit, toegestaan = casus.besluit, BESLUIT_BIJ_STATUS.get(casus.status)
    if besluit is None:
        return [f"besluit: ontbreekt (verplicht bij status {casus.status})"] if toegestaan else []
    momenten.append(("besluit.genomen_op", besluit.genomen_op))
    fouten = []
    if toegestaan is None:
        fouten.append(f"besluit: hoort niet bij status {casus.status} (daar is nog niet besloten)")
    elif besluit.keuze not in toegestaan:
        fouten.append(f"besluit.keuze: past niet bij status {casus.status}; kies uit: "
                      f"{', '.join(sorted(toegestaan))}")
    if casus.status is S.werkvoorraad and besluit.gepland not in (S.onderzoek, S.voorwaarden_en_vervolg):
        fouten.append("besluit.gepland: verplicht bij de werkvoorraad: onderzoek of voorwaarden_en_vervolg")
    if casus.status is not S.werkvoorraad and besluit.gepland is not None:
        fouten.append("besluit.gepland: alleen bij status werkvoorraad")
    return fouten


def _controleer_overdracht(casus: OverstapCasus, gemeente, momenten: list) -> list[str]:
    overdracht = casus.overdracht
    if overdracht is None:
        return []
    fouten = []
    if casus.status not in (S.overdracht, S.monitoring):
        fouten.append("overdracht: alleen bij status overdracht of monitoring")
    if gemeente is not None and overdracht.lokaal_team not in {t.code for t in gemeente.lokale_teams}:
        fouten.append(f"overdracht.lokaal_team: is geen lokaal team van {gemeente.naam}; kies uit: "
                      f"{', '.join(t.code for t in gemeente.lokale_teams)}")
    if casus.status is S.overdracht and overdracht.afgerond_op is not None:
        fouten.append("overdracht.afgerond_op: een afgeronde overdracht hoort bij status monitoring")
    if casus.status is S.monitoring and overdracht.afgerond_op is None:
        fouten.append("overdracht.afgerond_op: ontbreekt (bij status monitoring is de overdracht afgerond)")
    if overdracht.driegesprek_op and overdracht.type is not OverdrachtType.warm:
        fouten.append("overdracht.driegesprek_op: alleen bij een warme overdracht")
    momenten.append(("overdracht.afgerond_op", overdracht.afgerond_op))
    return fouten


def _controleer_termijnen(casus: OverstapCasus, regio: Instellingen, momenten: list) -> list[str]:
    fouten, open_soorten = [], []
    for i, t in enumerate(casus.termijnen, 1):
        momenten += [(f"termijnen.{i}.start_op", t.start_op), (f"termijnen.{i}.voldaan_op", t.voldaan_op),
                     (f"termijnen.{i}.opgeschort_op", t.opgeschort_op)]
        namen = [stap.naam for stap in ladder_van(t.soort, regio)]
        if t.verstuurde_stappen != namen[:len(t.verstuurde_stappen)]:
            fouten.append(f"termijnen.{i}.verstuurde_stappen: moeten de eerste stappen van de ladder zijn, op "
                          f"volgorde ({', '.join(namen)})")
        if t.voldaan_op is None:
            if t.soort in open_soorten:
                fouten.append(f"termijnen.{i}: er loopt al een termijn {t.soort}")
            open_soorten.append(t.soort)
    for soort in TERMIJNEN_BIJ_START.get(casus.status, []):
        if soort not in open_soorten:
            fouten.append(f"termijnen: de lopende termijn {soort} van status {casus.status} ontbreekt")
    return fouten


# --- reading a file --------------------------------------------------------------------------


@dataclass
class GelezenOverstap:
    """A parsed overstap file. Holds personal data: never a Prefect parameter or result."""

    casussen: list[tuple[int, OverstapCasus]] = field(default_factory=list)  # (row, casus)
    fouten: list[Rijfout] = field(default_factory=list)
    rijen: int = 0


def _veld(loc: tuple) -> str:
    """A pydantic location as the file names it: list positions from 1."""
    return ".".join(str(d + 1) if isinstance(d, int) else str(d) for d in loc)


def lees_overstapbestand(pad: Path | str, regio: Instellingen, stand_op: dt.datetime) -> GelezenOverstap:
    """Parse and check every casus of a JSON overstap file: a list of casus objects."""
    pad = Path(pad)
    if pad.suffix.lower() != ".json":
        return _fout("onbekend bestandstype; een overstapbestand is een .json-bestand")
    try:
        data = json.loads(pad.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        return _fout("bestand niet gevonden")
    except IsADirectoryError:
        return _fout("is een map, geen bestand")
    except PermissionError:
        return _fout("geen leesrechten op het bestand")
    except UnicodeDecodeError:
        return _fout("is geen UTF-8-tekst")
    except json.JSONDecodeError as exc:
        return _fout(f"is geen geldige JSON (regel {exc.lineno}, kolom {exc.colno})")
    except RecursionError:
        return _fout("is te diep genest")
    if not isinstance(data, list):
        return _fout("moet een JSON-lijst van casussen zijn ([ {...}, {...} ])")
    if not data:
        return _fout("het bestand bevat geen casussen")
    gelezen, eerder = GelezenOverstap(), {}
    for nummer, ruw in enumerate(data, 1):
        gelezen.rijen += 1
        try:
            casus = OverstapCasus.model_validate(ruw, context={"instellingen": regio})
        except ValidationError as exc:
            gelezen.fouten.append(Rijfout(rij=nummer, fouten=_uniek(_beschrijf(exc, _veld))))
            continue
        fouten = controleer(casus, regio, stand_op)
        if casus.sleutel in eerder:
            fouten.append(f"bron + extern_id van de eerste melding: komt ook voor in rij {eerder[casus.sleutel]}")
        eerder.setdefault(casus.sleutel, nummer)
        if fouten:
            gelezen.fouten.append(Rijfout(rij=nummer, fouten=_uniek(fouten)))
        else:
            gelezen.casussen.append((nummer, casus))
    return gelezen


def _fout(reden: str) -> GelezenOverstap:
    return GelezenOverstap(fouten=_bestandsfout(reden).fouten)


# --- writing ---------------------------------------------------------------------------------


class OverstapResultaat(BaseModel):
    """Counts and (the first) case references only: safe for Prefect."""

    bestand: str
    gelezen: int
    overgenomen: int
    overgeslagen: int  # taken over before: same bron + extern_id of the first melding
    per_status: dict[str, int]
    stappen_voor_overstap: int  # ladder steps recorded as sent before the switch
    casus_referenties: list[str]
    meer_casussen: int = 0


def neem_over(session: Session, casussen: Sequence[tuple[int, OverstapCasus]], regio: Instellingen, actor: str,
              stand_op: dt.datetime, bestand: str = "") -> OverstapResultaat:
    """Store every casus not taken over before, in the caller's transaction. Raises
    ImportAfgekeurd (row errors; the caller rolls back) when a household already has an open
    casus here or appears in two rows."""
    bestaand = al_geregistreerd(session, [m for _, c in casussen for m in c.als_meldingen()[:1]])
    nieuw = [(rij, c) for rij, c in casussen if c.sleutel not in bestaand]
    _controleer_huishoudens(session, nieuw)
    registreer_meldingen(session, [m for _, c in nieuw for m in c.als_meldingen()], regio, actor,
                                       intaketermijnen=False)
    casus_van = _casussen_van(session, [c.sleutel for _, c in nieuw])
    referenties = [casus_van[c.sleutel][1] for _, c in nieuw]
    schrijver = _Schrijver(session, regio, actor, stand_op)
    for _, casus in nieuw:
        schrijver.casus(*casus_van[casus.sleutel], casus)
    schrijver.schrijf()
    per_status: dict[str, int] = {}
    for _, c in nieuw:
        per_status[c.status.value] = per_status.get(c.status.value, 0) + 1
    return OverstapResultaat(
        bestand=str(bestand), gelezen=len(casussen), overgenomen=len(nieuw), overgeslagen=len(casussen) - len(nieuw),
        per_status=per_status, stappen_voor_overstap=schrijver.stappen_voor_overstap,
        casus_referenties=referenties[:MAX_REFERENTIES], meer_casussen=max(0, len(referenties) - MAX_REFERENTIES),
    )


def _controleer_huishoudens(session: Session, nieuw: Sequence[tuple[int, OverstapCasus]]) -> None:
    """One household, one open casus: not twice in the file, not beside one already here."""
    sleutels = [huishoudsleutel(c.adres) for _, c in nieuw]
    al_open = _open_casussen(session, set(sleutels))
    fouten, eerder = [], {}
    for (rij, _), sleutel in zip(nieuw, sleutels):
        if sleutel in al_open:
            fouten.append(Rijfout(rij=rij, fouten=[
                f"adres: dit huishouden heeft hier al een open casus ({al_open[sleutel]['referentie']})"]))
        elif sleutel in eerder:
            fouten.append(Rijfout(rij=rij, fouten=[f"adres: hetzelfde huishouden als rij {eerder[sleutel]}"]))
        eerder.setdefault(sleutel, rij)
    if fouten:
        raise ImportAfgekeurd("het overstapbestand", fouten)


def _casussen_van(session: Session, sleutels: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(bron, extern_id) of a casus's first melding -> (casus id, reference): registration sorts
    the meldingen by receipt, so its results are not in the order of the rows."""
    gevonden = {}
    for voorwaarde in per_bron(sleutels):
        for bron, extern_id, casus_id, referentie in session.execute(
            select(Melding.bron, Melding.extern_id, Casus.id, Casus.referentie)
            .join(Casus, Casus.id == Melding.casus_id)
            .where(voorwaarde)
        ).all():
            gevonden[(bron, extern_id)] = (casus_id, referentie)
    return gevonden


class _Momenten(NamedTuple):  # what `stapmomenten` reads of a term
    start_op: dt.datetime
    waarschuw_op: dt.datetime
    vervalt_op: dt.datetime


_ZET_STAAT = (
    update(Casus.__table__)
    .where(Casus.__table__.c.id == bindparam("c_id"))
    .values(status=bindparam("n_status"), status_sinds=bindparam("n_sinds"), urgentie=bindparam("n_urgentie"),
            lokaal_team_code=bindparam("n_team"), regie=bindparam("n_regie"), versie=Casus.__table__.c.versie + 1)
)


class _Schrijver:
    """Collects the rows of every casus, then writes each table in bulk (a round trip per row
    would take minutes for a region's werkvoorraad)."""

    def __init__(self, session: Session, regio: Instellingen, actor: str, stand_op: dt.datetime) -> None:
        self.session, self.regio, self.actor, self.stand_op = session, regio, actor, stand_op
        self.kalender = werkkalender(regio)
        self.staat, self.audit, self.beslissingen, self.voorwaarden = [], [], [], []
        self.overdrachten, self.termijnen, self.contacten = [], [], []
        self.stappen_voor_overstap = 0

    def casus(self, casus_id: int, referentie: str, c: OverstapCasus) -> None:
        afgerond = c.overdracht.afgerond_op if c.overdracht else None
        self.staat.append(dict(c_id=casus_id, n_status=c.status.value, n_sinds=c.status_sinds,
                               n_urgentie=c.urgentie.value, n_team=c.overdracht.lokaal_team if afgerond else None,
                               n_regie=c.overdracht.regie.value if afgerond else None))
        reden = f"Overgenomen uit {c.bron} bij de overstap"
        self.audit += [
            audit_rij(casus_id, self.actor, "overstap", tijdstip=nu(), details=dict(
                bron=c.bron, extern_id=c.extern_id, status=c.status.value, stand_op=self.stand_op.isoformat())),
            audit_rij(casus_id, self.actor, "status", reden=reden, van=S.ontvangen, naar=c.status,
                      tijdstip=c.status_sinds),
        ]
        if c.besluit:
            self._besluit(casus_id, referentie, c)
        if c.overdracht:
            o = c.overdracht
            status = (OverdrachtStatus.afgerond if o.afgerond_op else
                      OverdrachtStatus.driegesprek_gepland if o.driegesprek_op else OverdrachtStatus.gepland)
            self.overdrachten.append(dict(
                casus_id=casus_id, type=o.type.value, lokaal_team_code=o.lokaal_team, regie=o.regie.value,
                driegesprek_op=o.driegesprek_op, locatie=o.locatie.value if o.locatie else None,
                deelnemers=sorted(d.value for d in set(o.deelnemers)), status=status.value,
                aangemaakt_op=c.status_sinds, afgerond_op=o.afgerond_op))
            if o.afgerond_op:
                self.audit.append(audit_rij(casus_id, self.actor, "overdracht_afgerond", tijdstip=o.afgerond_op,
                                            details=dict(type=o.type.value, lokaal_team=o.lokaal_team,
                                                         regie=o.regie.value, overstap=True)))
        for t in c.termijnen:
            self._termijn(casus_id, t)
        for contact in c.contactmomenten:
            self.contacten.append((casus_id, dict(
                casus_id=casus_id, tijdstip=contact.tijdstip, vorm=contact.vorm.value, bereikt=contact.bereikt,
                medewerker=contact.medewerker, notitie=contact.notitie or None, geregistreerd_op=nu())))

    def _besluit(self, casus_id: int, referentie: str, c: OverstapCasus) -> None:
        b = c.besluit
        sleutel = f"overstap:{referentie}:besluit"
        naar = S.werkvoorraad if b.gepland else c.status
        # The follow-ups (letters, terugkoppeling) were done by the old system: marked done.
        self.beslissingen.append(dict(
            sleutel=sleutel, casus_id=casus_id, moment="besluit", keuze=b.keuze.value, van_status=S.besluit.value,
            naar_status=naar.value, gepland=b.gepland.value if b.gepland else None, details=dict(overstap=True),
            door=b.door, genomen_op=b.genomen_op, nazorg_klaar_op=self.stand_op))
        self.voorwaarden.append(b.veiligheidsvoorwaarden)
        self.audit.append(audit_rij(casus_id, b.door, "besluit", tijdstip=b.genomen_op, details=dict(
            besluit=b.keuze.value, moment="besluit", beslissing=sleutel, overstap=True)))

    def _termijn(self, casus_id: int, t: OverstapTermijn) -> None:
        regel = self.regio.termijnen[t.soort]
        waarschuw_op = t.waarschuw_op or (t.start_op + (t.vervalt_op - t.start_op) * regel.waarschuwing_aandeel
                                          ).replace(microsecond=0)
        ladder = ladder_van(t.soort, self.regio)
        momenten = stapmomenten(_Momenten(t.start_op, waarschuw_op, t.vervalt_op), ladder, self.kalender)
        gestuurd = len(t.verstuurde_stappen)
        # Steps past at the switch count as sent, also when the old system does not say so: the
        # region was told in its own way, and sending them now would be a flood of old news.
        stap = gestuurd if t.voldaan_op else max(gestuurd, sum(1 for m in momenten if m <= self.stand_op))
        self.stappen_voor_overstap += stap
        self.termijnen.append((casus_id, dict(
            casus_id=casus_id, melding_id=None, soort=t.soort.value, start_op=t.start_op, waarschuw_op=waarschuw_op,
            vervalt_op=t.vervalt_op, oorspronkelijk_vervalt_op=t.oorspronkelijk_vervalt_op or t.vervalt_op,
            volgende_actie_op=None if t.voldaan_op or stap >= len(ladder) else momenten[stap], escalatie_stap=stap,
            voldaan_op=t.voldaan_op, opgeschort_op=t.opgeschort_op, opschort_reden=t.opschort_reden,
            verleng_reden=None,
        ), [(ladder[i].naam, momenten[i], i < gestuurd) for i in range(stap)]))

    def schrijf(self) -> None:
        s = self.session
        if self.staat:
            s.connection().execute(_ZET_STAAT, self.staat)
        beslissing_ids = _voeg_in(s, Beslissing, self.beslissingen)
        _voeg_in(s, Veiligheidsvoorwaarden, [
            dict(casus_id=b["casus_id"], beslissing_id=i, tekst=tekst, vastgesteld_op=b["genomen_op"])
            for b, i, tekst in zip(self.beslissingen, beslissing_ids, self.voorwaarden) if tekst])
        _voeg_in(s, Overdracht, self.overdrachten)
        termijn_ids = _voeg_in(s, Termijn, [rij for _, rij, _ in self.termijnen])
        for (casus_id, rij, stappen), termijn_id in zip(self.termijnen, termijn_ids):
            self.audit.append(audit_rij(casus_id, self.actor, "termijn_overgenomen", tijdstip=rij["start_op"], details=dict(
                termijn_id=termijn_id, soort=rij["soort"], vervalt_op=rij["vervalt_op"].isoformat(),
                voldaan=rij["voldaan_op"] is not None)))
            self.audit += [audit_rij(casus_id, self.actor, "escalatie_voor_overstap", tijdstip=moment, details=dict(
                termijn_id=termijn_id, soort=rij["soort"], stap=naam, verstuurd_in_bronsysteem=in_bron))
                for naam, moment, in_bron in stappen]
        contact_ids = _voeg_in(s, Contactmoment, [rij for _, rij in self.contacten])
        self.audit += [audit_rij(casus_id, rij["medewerker"], "contactmoment", tijdstip=rij["tijdstip"], details=dict(
            contactmoment_id=i, vorm=rij["vorm"], bereikt=rij["bereikt"], overstap=True))
            for (casus_id, rij), i in zip(self.contacten, contact_ids)]
        _voeg_in(s, AuditEvent, keten(s, self.audit))

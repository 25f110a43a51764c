"""Registering meldingen in the case store: the accepted input, and one bulk path used by
intake, the import of legacy exports and the demo data alike.

A melding about a household that already has an open casus joins that casus as a hermelding.
Everything for a batch is written in the caller's transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import insert, select, text, update
from sqlmodel import Session

from models.opslag.casus import (
    INTAKE_BRON, AuditEvent, Casus, Huishouden, Kanaal, Melder, MelderSoort, Melding, Persoon, Rol, Termijn,
    adres_zoeksleutel, bsn_zoeksleutel,
)
from models.dossier.auditketen import keten
from models.dossier.wijzigingen import audit_rij, termijn_record
from models.regels.instellingen import TIJDZONE, Instellingen, InvoerInstellingen, Urgentie
from models.regels.levensloop import OPEN_STATUSSEN, Status
from models.opslag.referenties import meldingreferentie, nieuwe_casusreferenties
from models.regels.termijnbeleid import bereken_termijn, werkkalender
from models.regels.tekst import controleer_tekstveld
from models.regels.toegang import SYSTEEM
from models.opslag.typen import nu, zoeksleutel

_POSTCODE = re.compile(r"^\d{4} ?[A-Z]{2}$")


def is_geldig_bsn(bsn: str) -> bool:
    """The BSN eleven-test (elfproef)."""
    if not re.fullmatch(r"\d{9}", bsn):
        return False
    som = sum(int(c) * w for c, w in zip(bsn[:8], range(9, 1, -1))) - int(bsn[8])
    return som % 11 == 0


# Fields where a person may type several lines; everywhere else a line break is refused too.
_MEERREGELIG = frozenset({"omschrijving"})
_STANDAARDGRENZEN = InvoerInstellingen()


def invoergrenzen(info: ValidationInfo) -> InvoerInstellingen:
    """The region's bounds when the caller passes its settings (`context={"instellingen": ...}`),
    else the defaults."""
    regio = (info.context or {}).get("instellingen")
    return regio.invoer if regio is not None else _STANDAARDGRENZEN


def vroegste_ontvangstmoment(grenzen: InvoerInstellingen) -> dt.datetime:
    return dt.datetime.combine(grenzen.vroegste_ontvangst, dt.time(0), tzinfo=ZoneInfo(TIJDZONE))


def reden_ontvangst_buiten_grenzen(moment: dt.datetime, grenzen: InvoerInstellingen) -> str | None:
    """Why a moment of receipt cannot be right, or None. Compares aware datetimes without
    converting them: year 1 minus an hour is no datetime at all (OverflowError)."""
    if moment < vroegste_ontvangstmoment(grenzen):
        return f"ligt vóór {grenzen.vroegste_ontvangst:%d-%m-%Y}; eerdere meldingen neemt het systeem niet aan"
    if moment > nu() + dt.timedelta(minutes=grenzen.ontvangst_marge_minuten):
        return "ligt in de toekomst"
    return None


def _jaren_terug(vandaag: dt.date, jaren: int) -> dt.date:
    try:
        return vandaag.replace(year=vandaag.year - jaren)
    except ValueError:  # 29 February
        return vandaag.replace(year=vandaag.year - jaren, day=28)


class _Invoer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _geen_stuurtekens(cls, waarde, info: ValidationInfo):
        return controleer_tekstveld(waarde, info.field_name, _MEERREGELIG)


class PersoonInvoer(_Invoer):
    rol: Rol
    naam: str = Field(min_length=1, max_length=200)
    geboortedatum: dt.date | None = None
    bsn: str | None = None

    @field_validator("bsn")
    @classmethod
    def _elfproef(cls, bsn: str | None) -> str | None:
        if bsn in (None, ""):
            return None
        if not is_geldig_bsn(bsn):
            raise ValueError("is geen geldig BSN (9 cijfers, elfproef)")
        return bsn

    @field_validator("geboortedatum")
    @classmethod
    def _niet_in_toekomst(cls, datum: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if datum and datum > dt.date.today():
            raise ValueError("ligt in de toekomst")
        jaren = invoergrenzen(info).geboortedatum_jaren_terug
        if datum and datum < _jaren_terug(dt.date.today(), jaren):
            raise ValueError(f"ligt meer dan {jaren} jaar terug")
        return datum


class AdresInvoer(_Invoer):
    straat_huisnummer: str = Field(min_length=3, max_length=200)
    postcode: str
    woonplaats: str = Field(min_length=1, max_length=100)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, postcode: str) -> str:
        postcode = postcode.upper()
        if not _POSTCODE.match(postcode):
            raise ValueError("is geen geldige postcode (1234 AB)")
        return postcode[:4] + " " + postcode[-2:]


class MelderInvoer(_Invoer):
    soort: MelderSoort
    naam: str | None = Field(None, max_length=200)
    telefoon: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)
    wil_terugkoppeling: bool = True
    # Where the terugkoppeling letter goes: e-mail only with consent, else by post to this address.
    brief_per_email: bool = False
    adres: AdresInvoer | None = None

    @model_validator(mode="after")
    def _anoniem_zonder_gegevens(self) -> MelderInvoer:
        if self.soort is MelderSoort.anoniem and (self.naam or self.telefoon or self.email):
            raise ValueError("een anonieme melder heeft geen naam, telefoon of e-mail")
        if self.soort is MelderSoort.anoniem and self.adres:
            raise ValueError("een anonieme melder heeft geen adres")
        if self.brief_per_email and not self.email:
            raise ValueError("brieven per e-mail vragen om een e-mailadres van de melder")
        if self.soort is not MelderSoort.anoniem and not self.naam:
            raise ValueError("naam van de melder ontbreekt (of kies soort 'anoniem')")
        return self


class MeldingInvoer(_Invoer):
    """One melding as staff enter it or a legacy system exports it."""

    ontvangen_op: dt.datetime
    gemeente_code: str = Field(pattern=r"^GM\d{4}$")
    kanaal: Kanaal
    urgentie: Urgentie
    omschrijving: str = Field(min_length=1, max_length=10_000)
    melder: MelderInvoer
    adres: AdresInvoer
    personen: list[PersoonInvoer] = Field(min_length=1)
    bron: str | None = Field(None, max_length=32, description="Bronsysteem bij een import.")
    extern_id: str | None = Field(None, max_length=64, description="Kenmerk in het bronsysteem.")
    # Letters to the family go by post unless the family agreed to e-mail.
    gezin_email: EmailStr | None = Field(None, description="E-mailadres van het gezin voor brieven.")
    gezin_brief_per_email: bool = Field(False, description="Heeft het gezin ingestemd met brieven per e-mail?")

    @field_validator("ontvangen_op")
    @classmethod
    def _met_tijdzone_binnen_grenzen(cls, moment: dt.datetime, info: ValidationInfo) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("mist een tijdzone (bijvoorbeeld +01:00)")
        if reden := reden_ontvangst_buiten_grenzen(moment, invoergrenzen(info)):
            raise ValueError(reden)
        return moment

    @model_validator(mode="after")
    def _extern_id_met_bron(self) -> MeldingInvoer:
        if bool(self.bron) != bool(self.extern_id):
            raise ValueError("bron en extern_id horen samen: vul beide of geen van beide")
        if self.gezin_brief_per_email and not self.gezin_email:
            raise ValueError("brieven per e-mail aan het gezin vragen om het e-mailadres van het gezin")
        return self


def als_meldinginvoer(formulier: dict, bron: str, extern_id: str) -> tuple[str, dict]:
    """A submitted intake form as (who entered it, the data for MeldingInvoer): empty optional
    fields mean 'unknown'."""

    def leeg(waarde) -> bool:
        return waarde is None or waarde == "" or waarde == {}

    def zonder_lege(waarde):
        if isinstance(waarde, dict):
            gevuld = {k: zonder_lege(v) for k, v in waarde.items()}
            return {k: v for k, v in gevuld.items() if not leeg(v)}
        if isinstance(waarde, list):
            return [zonder_lege(v) for v in waarde]
        return waarde.strip() if isinstance(waarde, str) else waarde

    gegevens = zonder_lege(dict(formulier))
    door = str(gegevens.pop("door", "") or SYSTEEM).strip()  # the gateway's account; none: a run without it
    return door, {**gegevens, "bron": bron, "extern_id": extern_id}


def controleer_tegen_instellingen(invoer: MeldingInvoer, instellingen: Instellingen) -> list[str]:
    """Checks that need the region's settings. Returns Dutch reasons, empty when fine."""
    codes = {g.code for g in instellingen.gemeenten}
    if invoer.gemeente_code not in codes:
        return [f"gemeente_code: {invoer.gemeente_code} hoort niet bij regio {instellingen.regio.code}"]
    return []


def huishoudsleutel(adres: AdresInvoer) -> str:
    return zoeksleutel(adres.postcode, adres.straat_huisnummer)


@dataclass(frozen=True)
class Geregistreerd:
    """What a registration tells the orchestrator: references only."""

    casus_referentie: str
    melding_referentie: str
    hermelding: bool
    urgentie: Urgentie


_BATCH = 1000


def batched(rijen, grootte: int):
    """itertools.batched (Python 3.12+) for 3.11."""
    iterator = iter(rijen)
    while deel := tuple(islice(iterator, grootte)):
        yield deel
_URGENTIE_RANG = {Urgentie.regulier: 0, Urgentie.spoed: 1, Urgentie.acuut: 2}


def _open_casussen(session: Session, sleutels: set[str]) -> dict[str, dict]:
    gevonden = {}
    for deel in batched(sorted(sleutels), 500):
        rijen = session.execute(
            select(Huishouden.zoeksleutel, Casus.id, Casus.referentie, Casus.aantal_meldingen, Casus.urgentie)
            .join(Casus, Casus.huishouden_id == Huishouden.id)
            .where(Huishouden.zoeksleutel.in_(deel), Casus.status.in_([s.value for s in OPEN_STATUSSEN]))
            .order_by(Casus.id)
        )
        for sleutel, casus_id, referentie, aantal, urgentie in rijen:
            gevonden[sleutel] = dict(id=casus_id, referentie=referentie, aantal=aantal, urgentie=urgentie)
    return gevonden


def per_bron(paren, grootte: int = 500):
    """Conditions `bron = ? AND extern_id IN (...)` for (bron, extern_id) pairs, `grootte` at a
    time: each one an index range of the unique (bron, extern_id) index. A row-value list
    `(bron, extern_id) IN (...)` is not one on PostgreSQL: it read ever more of the index as the
    store grew (15 s of a 59 s portion of 5,000 at 35,000 casussen)."""
    ids_per_bron = defaultdict(set)
    for bron, extern_id in paren:
        ids_per_bron[bron].add(extern_id)
    for bron, ids in sorted(ids_per_bron.items()):
        for deel in batched(sorted(ids), grootte):
            yield (Melding.bron == bron) & Melding.extern_id.in_(deel)


def al_geregistreerd(session: Session, invoer: list[MeldingInvoer]) -> set[tuple[str, str]]:
    """(bron, extern_id) pairs already in the store: re-importing a file adds nothing twice."""
    bestaand = set()
    for voorwaarde in per_bron((m.bron, m.extern_id) for m in invoer if m.bron):
        bestaand.update(session.execute(select(Melding.bron, Melding.extern_id).where(voorwaarde)).tuples())
    return bestaand


def _reserveer_ids(session: Session, model, eerste_rij: dict, aantal: int) -> list[int]:
    """New primary keys for a bulk insert, so rows can go in as one plain executemany (asking
    the database for ids row by row is what makes bulk inserts slow). PostgreSQL hands them out
    from the table's sequence. SQLite: the first row is inserted normally, which takes the
    database's write lock; no one else can insert until we commit, so the ids after it are ours."""
    if session.bind.dialect.name == "postgresql":
        return list(session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:tabel, 'id')) FROM generate_series(1, :n)"),
            {"tabel": model.__tablename__, "n": aantal},
        ).scalars())
    eerste = session.execute(insert(model.__table__).returning(model.__table__.c.id), eerste_rij).scalar_one()
    return [eerste, *range(eerste + 1, eerste + aantal)]


def _voeg_in(session: Session, model, rijen: list[dict]) -> list[int]:
    """Bulk insert; returns the new ids in input order."""
    if not rijen:
        return []
    ids = _reserveer_ids(session, model, rijen[0], len(rijen))
    al_ingevoegd = 0 if session.bind.dialect.name == "postgresql" else 1
    te_doen = [{**rij, "id": id_} for rij, id_ in zip(rijen[al_ingevoegd:], ids[al_ingevoegd:])]
    for deel in batched(te_doen, _BATCH):
        session.execute(insert(model.__table__), list(deel))
    return ids


def registreer_meldingen(
    session: Session, invoer: list[MeldingInvoer], instellingen: Instellingen, actor: str,
    intaketermijnen: bool = True,
) -> list[Geregistreerd]:
    """Store meldingen (already validated) with their casus, household, terms and audit events.
    Meldingen already imported (same bron + extern_id) are skipped. Without `intaketermijnen`
    the caller brings the terms (a casus taken over in its current state: models/dossier/overstap.py)."""
    bestaand = al_geregistreerd(session, invoer)
    nieuw = sorted(
        (m for m in invoer if (m.bron, m.extern_id) not in bestaand), key=lambda m: m.ontvangen_op
    )
    if not nieuw:
        return []
    sleutels = [huishoudsleutel(m.adres) for m in nieuw]
    open_casussen = _open_casussen(session, set(sleutels))

    # Which melding opens a new casus: the first one of each household without an open casus.
    openers: dict[str, int] = {}
    for i, sleutel in enumerate(sleutels):
        if sleutel not in open_casussen and sleutel not in openers:
            openers[sleutel] = i
    huishouden_ids = dict(zip(openers, _voeg_in(session, Huishouden, [
        dict(zoeksleutel=s, straat_huisnummer=nieuw[i].adres.straat_huisnummer,
             adres_zoeksleutel=adres_zoeksleutel(nieuw[i].adres.postcode, nieuw[i].adres.straat_huisnummer),
             postcode=nieuw[i].adres.postcode, woonplaats=nieuw[i].adres.woonplaats, aangemaakt_op=nu(),
             email=nieuw[i].gezin_email, brief_per_email=nieuw[i].gezin_brief_per_email)
        for s, i in openers.items()
    ])))
    _voeg_in(session, Persoon, [
        dict(huishouden_id=huishouden_ids[s], rol=p.rol.value, naam=p.naam,
             geboortedatum=p.geboortedatum.isoformat() if p.geboortedatum else None, bsn=p.bsn,
             bsn_zoeksleutel=bsn_zoeksleutel(p.bsn))
        for s, i in openers.items() for p in nieuw[i].personen
    ])
    aantal_nieuw, hoogste = _per_huishouden(nieuw, sleutels)
    referenties = _casusreferenties(session, [nieuw[i] for i in openers.values()])
    casus_ids = _voeg_in(session, Casus, [
        dict(referentie=ref, huishouden_id=huishouden_ids[s], gemeente_code=nieuw[i].gemeente_code,
             status=Status.ontvangen.value, urgentie=hoogste[s].value, geopend_op=nieuw[i].ontvangen_op,
             status_sinds=nieuw[i].ontvangen_op, aantal_meldingen=aantal_nieuw[s], buiten_beeld=False, versie=1)
        for (s, i), ref in zip(openers.items(), referenties)
    ])
    _werk_bestaande_casussen_bij(session, open_casussen, aantal_nieuw, hoogste)
    for (s, _), casus_id, ref in zip(openers.items(), casus_ids, referenties):
        open_casussen[s] = dict(id=casus_id, referentie=ref, aantal=0)

    melder_ids = _voeg_in(session, Melder, [
        dict(soort=m.melder.soort.value, naam=m.melder.naam, telefoon=m.melder.telefoon,
             email=m.melder.email, wil_terugkoppeling=m.melder.wil_terugkoppeling,
             brief_per_email=m.melder.brief_per_email,
             straat_huisnummer=m.melder.adres.straat_huisnummer if m.melder.adres else None,
             postcode=m.melder.adres.postcode if m.melder.adres else None,
             woonplaats=m.melder.adres.woonplaats if m.melder.adres else None)
        for m in nieuw
    ])

    resultaat, melding_rijen, volgnummers = [], [], defaultdict(int)
    for m, sleutel in zip(nieuw, sleutels):
        casus = open_casussen[sleutel]
        volgnummers[sleutel] += 1
        volgnummer = casus["aantal"] + volgnummers[sleutel]
        hermelding = volgnummer > 1
        ref = meldingreferentie(casus["referentie"], volgnummer)
        resultaat.append(Geregistreerd(casus["referentie"], ref, hermelding, m.urgentie))
        melding_rijen.append(dict(
            referentie=ref, casus_id=casus["id"], gemeente_code=m.gemeente_code, ontvangen_op=m.ontvangen_op,
            kanaal=m.kanaal.value, urgentie=m.urgentie.value, hermelding=hermelding, omschrijving=m.omschrijving,
            bron=m.bron, extern_id=m.extern_id, geregistreerd_op=nu(),
            # Only the intake form owes a crisis alert and a letter; an import or demo data never did.
            intake_nazorg_klaar_op=None if m.bron == INTAKE_BRON else nu(),
        ))
    for rij, melder_id in zip(melding_rijen, melder_ids):
        rij["melder_id"] = melder_id
    melding_ids = _voeg_in(session, Melding, melding_rijen)

    if intaketermijnen:
        _voeg_in(session, Termijn, _intake_termijnen(nieuw, melding_rijen, melding_ids, instellingen))
    _voeg_in(session, AuditEvent, keten(session, [
        audit_rij(rij["casus_id"], actor, "hermelding_geregistreerd" if rij["hermelding"] else "melding_geregistreerd",
                  details=dict(melding=rij["referentie"], urgentie=rij["urgentie"], kanaal=rij["kanaal"],
                               **({"bron": rij["bron"], "extern_id": rij["extern_id"]} if rij["bron"] else {})))
        for rij in melding_rijen
    ], nieuwe_casussen=casus_ids))
    return resultaat


def _casusreferenties(session: Session, openers: list[MeldingInvoer]) -> list[str]:
    per_jaar: dict[int, list[int]] = defaultdict(list)
    for i, m in enumerate(openers):
        per_jaar[m.ontvangen_op.year].append(i)
    referenties = [""] * len(openers)
    for jaar, posities in per_jaar.items():
        for positie, ref in zip(posities, nieuwe_casusreferenties(session, jaar, len(posities))):
            referenties[positie] = ref
    return referenties


def _per_huishouden(nieuw, sleutels) -> tuple[dict[str, int], dict[str, Urgentie]]:
    """Per household in this batch: how many new meldingen, and the most urgent one."""
    aantal: dict[str, int] = defaultdict(int)
    hoogste: dict[str, Urgentie] = {}
    for m, sleutel in zip(nieuw, sleutels):
        aantal[sleutel] += 1
        if sleutel not in hoogste or _URGENTIE_RANG[m.urgentie] > _URGENTIE_RANG[hoogste[sleutel]]:
            hoogste[sleutel] = m.urgentie
    return aantal, hoogste


def _werk_bestaande_casussen_bij(session, open_casussen, aantal_nieuw, hoogste) -> None:
    """Hermeldingen on casussen opened earlier: count them and raise the casus urgency if the
    new melding is more urgent. Bumps the version like any other change of the casus."""
    for sleutel, casus in open_casussen.items():
        if sleutel not in aantal_nieuw:
            continue
        urgentie = max(Urgentie(casus["urgentie"]), hoogste[sleutel], key=_URGENTIE_RANG.__getitem__)
        session.execute(
            update(Casus).where(Casus.id == casus["id"])
            .values(aantal_meldingen=Casus.aantal_meldingen + aantal_nieuw[sleutel],
                    urgentie=urgentie.value, versie=Casus.versie + 1)
            .execution_options(synchronize_session=False)
        )


def _intake_termijnen(nieuw, melding_rijen, melding_ids, instellingen: Instellingen) -> list[dict]:
    kalender = werkkalender(instellingen)
    eindtijd = instellingen.kalender.termijn_eindigt_om
    rijen = []
    for m, rij, melding_id in zip(nieuw, melding_rijen, melding_ids):
        for soort in instellingen.urgenties[m.urgentie].termijnen_bij_intake:
            berekening = bereken_termijn(soort, instellingen.termijnen[soort], m.ontvangen_op, kalender, eindtijd)
            rijen.append(termijn_record(rij["casus_id"], berekening, melding_id))
    return rijen

"""The case store: households and their people, melders, casussen, meldingen, terms and the
audit trail. Personal data sits only in `Versleuteld` columns."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Integer, String, UniqueConstraint, literal_column, text
from sqlmodel import Field, SQLModel

from models.regels.instellingen import TermijnSoort, Urgentie
from models.regels.levensloop import Status
from models.opslag.typen import UTCDateTime, Versleuteld, nu, zoeksleutel
from models.regels.zoeken import adres_sleutelwaarden


def _tijd(**kwargs) -> Field:
    return Field(sa_type=UTCDateTime, **kwargs)


def _geheim(**kwargs) -> Field:
    return Field(sa_type=Versleuteld, **kwargs)


def _code(lengte: int = 32, **kwargs) -> Field:
    return Field(sa_type=String(lengte), **kwargs)


class Rol(StrEnum):
    """Role of a directbetrokkene in the household."""

    slachtoffer = "slachtoffer"
    pleger = "pleger"
    kind = "kind"
    ouder = "ouder"
    overig = "overig"


class MelderSoort(StrEnum):
    politie_justitie = "politie_justitie"
    professional = "professional"
    burger = "burger"
    anoniem = "anoniem"


class Kanaal(StrEnum):
    telefoon = "telefoon"
    politie = "politie"
    email = "email"
    post = "post"
    portaal = "portaal"


class Huishouden(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Blind index over postcode + huisnummer: finds the same household without decrypting.
    zoeksleutel: str = Field(sa_type=String(64), index=True)
    # Blind index over postcode + house number alone: staff search the dossier by it (migration 0009).
    adres_zoeksleutel: str | None = Field(default=None, sa_type=String(64), index=True)
    straat_huisnummer: str = _geheim()
    postcode: str = _geheim()
    woonplaats: str = _geheim()
    # Letters go by post unless the family agreed to e-mail (issue 5).
    email: str | None = _geheim(default=None)
    brief_per_email: bool = False
    aangemaakt_op: dt.datetime = _tijd(default_factory=nu)


class Persoon(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    huishouden_id: int = Field(foreign_key="huishouden.id", index=True)
    rol: Rol = _code(16)
    naam: str = _geheim()
    geboortedatum: str | None = _geheim(default=None)
    bsn: str | None = _geheim(default=None)
    # Blind index over the BSN: staff search the dossier by it (migration 0009).
    bsn_zoeksleutel: str | None = Field(default=None, sa_type=String(64), index=True)


def bsn_zoeksleutel(bsn: str | None) -> str | None:
    """The blind index of a BSN (nine digits, as stored); None without a BSN."""
    return zoeksleutel("bsn", bsn) if bsn else None


def adres_zoeksleutel(postcode: str, straat_huisnummer: str) -> str | None:
    """The blind index of postcode + house number; None for an address without a house number."""
    waarden = adres_sleutelwaarden(postcode, straat_huisnummer)
    return postcode_huisnummer_zoeksleutel(*waarden) if waarden else None


def postcode_huisnummer_zoeksleutel(postcode: str, huisnummer: str) -> str:
    """The blind index of a normalised postcode ('1234 AB') and house number ('12')."""
    return zoeksleutel("adres", postcode, huisnummer)


class Melder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    soort: MelderSoort = _code(24)
    naam: str | None = _geheim(default=None)
    telefoon: str | None = _geheim(default=None)
    email: str | None = _geheim(default=None)
    wil_terugkoppeling: bool = True
    # Where the terugkoppeling letter goes (issue 5): e-mail with consent, else this postal address.
    brief_per_email: bool = False
    straat_huisnummer: str | None = _geheim(default=None)
    postcode: str | None = _geheim(default=None)
    woonplaats: str | None = _geheim(default=None)


_casus_versie = Column("versie", Integer, nullable=False, server_default=text("1"))


class Casus(SQLModel, table=True):
    """One household's case at VT; groups every melding about that household while open."""

    __mapper_args__ = {"version_id_col": _casus_versie}

    id: int | None = Field(default=None, primary_key=True)
    referentie: str = Field(sa_type=String(24), unique=True)
    huishouden_id: int = Field(foreign_key="huishouden.id", index=True)
    gemeente_code: str = Field(sa_type=String(6), foreign_key="gemeente.code", index=True)
    status: Status = _code(32, index=True, default=Status.ontvangen)
    urgentie: Urgentie = _code(16)
    geopend_op: dt.datetime = _tijd(index=True)
    status_sinds: dt.datetime = _tijd()
    afgesloten_op: dt.datetime | None = _tijd(default=None)
    aantal_meldingen: int = 0
    buiten_beeld: bool = False
    lokaal_team_code: str | None = Field(
        default=None, sa_type=String(32), foreign_key="lokaalteam.code"
    )
    regie: str | None = _code(32, default=None)
    flow_run_id: str | None = _code(36, default=None)
    versie: int = Field(default=1, sa_column=_casus_versie)


# Meldingen entered through the intake form carry this bron and the intake run's id as extern_id.
INTAKE_BRON = "prefect-intake"


class Melding(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("bron", "extern_id", name="uq_melding_bron_extern_id"),)

    id: int | None = Field(default=None, primary_key=True)
    referentie: str = Field(sa_type=String(32), unique=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    melder_id: int = Field(foreign_key="melder.id")
    gemeente_code: str = Field(sa_type=String(6), foreign_key="gemeente.code", index=True)
    ontvangen_op: dt.datetime = _tijd(index=True)
    kanaal: Kanaal = _code(16)
    urgentie: Urgentie = _code(16)
    hermelding: bool = False
    omschrijving: str = _geheim()
    bron: str | None = _code(32, default=None)
    extern_id: str | None = _code(64, default=None)
    geregistreerd_op: dt.datetime = _tijd(default_factory=nu)
    # An intake-form melding owes a crisis alert (acute) and the letter 'melding ontvangen': done
    # when set. The intake flow does them first; the lifecycle run completes what a crash left.
    intake_nazorg_klaar_op: dt.datetime | None = _tijd(default=None, nullable=True)


class Termijn(SQLModel, table=True):
    """One deadline of a casus (fatale datum), with the warning moment and its state.

    Open terms that need attention are found through the partial index on
    `volgende_actie_op`: the deadline watch never scans all cases.
    """

    __table_args__ = (
        Index(
            "ix_termijn_open_volgende_actie",
            "volgende_actie_op",
            sqlite_where=text("voldaan_op IS NULL AND opgeschort_op IS NULL"),
            postgresql_where=text("voldaan_op IS NULL AND opgeschort_op IS NULL"),
        ),
        # The overview of terms over time reads open terms by deadline only; met terms (most of
        # history) stay out of this index.
        Index(
            "ix_termijn_open_vervalt_op",
            "vervalt_op",
            sqlite_where=text("voldaan_op IS NULL AND opgeschort_op IS NULL"),
            postgresql_where=text("voldaan_op IS NULL AND opgeschort_op IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id", index=True)
    melding_id: int | None = Field(default=None, foreign_key="melding.id")
    soort: TermijnSoort = _code(32)
    start_op: dt.datetime = _tijd()
    waarschuw_op: dt.datetime = _tijd()
    vervalt_op: dt.datetime = _tijd(index=True)
    oorspronkelijk_vervalt_op: dt.datetime = _tijd()
    volgende_actie_op: dt.datetime | None = _tijd(default=None)
    escalatie_stap: int = 0
    voldaan_op: dt.datetime | None = _tijd(default=None)
    opgeschort_op: dt.datetime | None = _tijd(default=None)
    opschort_reden: str | None = Field(default=None, sa_type=String(500))
    verleng_reden: str | None = Field(default=None, sa_type=String(500))


class AuditEvent(SQLModel, table=True):
    """Append-only trail of every change: who, when, what. Database triggers refuse updates
    and deletes; the audit chain (models/regels/auditketen.py) shows it when someone went around
    them. Never holds personal data: references and codes only."""

    __tablename__ = "auditevent"
    __table_args__ = (
        Index("ix_auditevent_actie_tijdstip", "actie", "tijdstip"),
        # One event per place in a chain: two writers can never chain onto the same predecessor.
        Index("uq_auditevent_keten", "casus_id", "volgnummer", unique=True),
        Index("uq_auditevent_keten_zonder_casus", "volgnummer", unique=True,
              sqlite_where=text("casus_id IS NULL"), postgresql_where=text("casus_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    casus_id: int | None = Field(default=None, foreign_key="casus.id", index=True)
    tijdstip: dt.datetime = _tijd(default_factory=nu)
    actor: str = Field(sa_type=String(120))
    actie: str = Field(sa_type=String(64))
    van_status: Status | None = _code(32, default=None)
    naar_status: Status | None = _code(32, default=None)
    reden: str | None = Field(default=None, sa_type=String(500))
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The chain (models/dossier/auditketen.py fills these; no default, so a writer that forgets fails).
    volgnummer: int = Field(sa_column=Column(Integer, nullable=False))
    vorige_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64))


class AuditBreuk(SQLModel, table=True):
    """A break in the audit chain the check found, recorded once: beheer is alerted once per break
    (models/dossier/auditketen.py). References, numbers and codes only."""

    id: int | None = Field(default=None, primary_key=True)
    sleutel: str = Field(sa_type=String(200), unique=True)  # models.regels.auditketen.Breuk.sleutel
    casus_referentie: str | None = Field(default=None, sa_type=String(40))
    soort: str = Field(sa_type=String(16))
    event_id: int | None = None
    volgnummer: int
    toelichting: str = Field(sa_type=String(300))
    gevonden_op: dt.datetime = _tijd(default_factory=nu)


class ContactVorm(StrEnum):
    telefoon = "telefoon"
    huisbezoek = "huisbezoek"
    op_kantoor = "op_kantoor"
    video = "video"


class Contactmoment(SQLModel, table=True):
    """A contact (or attempt) with a waiting family, recorded by staff."""

    __table_args__ = (Index("ix_contactmoment_casus_tijdstip", "casus_id", "tijdstip"),)

    id: int | None = Field(default=None, primary_key=True)
    casus_id: int = Field(foreign_key="casus.id")
    tijdstip: dt.datetime = Field(sa_type=UTCDateTime)
    vorm: ContactVorm = Field(sa_type=String(16))
    bereikt: bool  # did VT actually speak to the family?
    medewerker: str = Field(sa_type=String(120))
    notitie: str | None = Field(default=None, sa_type=Versleuteld)  # may hold personal data: encrypted
    geregistreerd_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)


# Indexes the report's queries need (models/lezen/rapportage.py; created by migration 0005):
# cases still open at a moment, open terms of one kind, and the status trail of a casus read
# from the index alone (partial: status events only).
Index("ix_casus_afgesloten_op", Casus.__table__.c.afgesloten_op)
Index("ix_termijn_soort_voldaan_op", Termijn.__table__.c.soort, Termijn.__table__.c.voldaan_op)
STATUS_ACTIE = literal_column("'status'")  # a constant, not a parameter: SQLite matches partial indexes on constants
_a = AuditEvent.__table__.c
Index("ix_auditevent_statusspoor", _a.casus_id, _a.tijdstip, _a.van_status, _a.naar_status, _a.id,
      sqlite_where=_a.actie == STATUS_ACTIE, postgresql_where=_a.actie == STATUS_ACTIE)

"""Who may log in, who is logged in and who looked at what: local accounts (argon2 hashes, never
a password), the gateway's sessions (migration 0014) and the access log (NEN 7513: who, when,
which casus, what, from which address). The access log is append-only like the audit trail:
database triggers refuse UPDATE and DELETE (migration 0010)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, String, delete, update
from sqlmodel import Field, Session, SQLModel

from models.opslag.typen import UTCDateTime, nu


class Account(SQLModel, table=True):
    """A local account of the demo region or a small region without its own identity provider.
    Roles are codes of `models.regels.toegang.Rol`; `gemeente` the CBS code for role gemeente."""

    account: str = Field(primary_key=True, sa_type=String(120))
    naam: str = Field(sa_type=String(120))
    rollen: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    gemeente: str | None = Field(default=None, sa_type=String(16))
    wachtwoord_hash: str = Field(sa_type=String(200))
    actief: bool = True
    aangemaakt: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)


class Inzage(SQLModel, table=True):
    """One line of the access log. `wat` is a code (dossier_bekeken, brief_geopend, gezocht,
    besluit); `casus_referentie` is empty for a search that found nothing. Never personal data:
    a search records that it was a search, not the BSN or address searched for."""

    __tablename__ = "inzage"
    __table_args__ = (Index("ix_inzage_casus_tijdstip", "casus_referentie", "tijdstip"),)

    id: int | None = Field(default=None, primary_key=True)
    tijdstip: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    account: str = Field(sa_type=String(120))
    wat: str = Field(sa_type=String(32))
    casus_referentie: str | None = Field(default=None, sa_type=String(32))
    adres: str | None = Field(default=None, sa_type=String(64))


class Poortsessie(SQLModel, table=True):
    """A logged-in person at the gateway (web.toegang.sessies), in the case store so that every
    gateway process knows it: a restart or the loss of one gateway logs no one out. `sleutel` is
    the SHA-256 of the session id in the cookie, never the id itself: whoever reads this table
    cannot take over a session. Only what the gateway needs on each request: the person as
    `models.regels.toegang.Gebruiker` (account, name shown, role codes, CBS code for role
    gemeente), the CSRF token of their forms, and the last activity (UTC) for the idle timeout."""

    __tablename__ = "poortsessie"

    sleutel: str = Field(primary_key=True, sa_type=String(64))
    account: str = Field(sa_type=String(120))
    naam: str = Field(sa_type=String(120))
    rollen: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    gemeente: str | None = Field(default=None, sa_type=String(16))
    csrf: str = Field(sa_type=String(64))
    aangemaakt: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    laatst: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu, index=True)


def lees_poortsessie(session: Session, sleutel: str) -> Poortsessie | None:
    return session.get(Poortsessie, sleutel)


def raak_poortsessie_aan(session: Session, sleutel: str, moment: dt.datetime) -> None:
    session.execute(update(Poortsessie).where(Poortsessie.sleutel == sleutel).values(laatst=moment))


def beeindig_poortsessie(session: Session, sleutel: str) -> None:
    session.execute(delete(Poortsessie).where(Poortsessie.sleutel == sleutel))


def ruim_poortsessies_op(session: Session, idle_voor: dt.datetime) -> None:
    """Forget the sessions idle since before `idle_voor` (they would be refused anyway)."""
    session.execute(delete(Poortsessie).where(Poortsessie.laatst < idle_voor))

"""Who may log in and who looked at what: local accounts (argon2 hashes, never a password) and
the access log (NEN 7513: who, when, which casus, what, from which address). The access log is
append-only like the audit trail: database triggers refuse UPDATE and DELETE (migration 0010)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

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

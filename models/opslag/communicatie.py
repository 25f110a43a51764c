"""Outgoing letters and notifications. Each has a unique key (what, for whom, on which
occasion): asking twice gives the same row, so nothing is ever sent twice, and a failed
delivery stays queued until it succeeds or is escalated."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Column, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from models.opslag.typen import UTCDateTime, nu


class Bezorgstatus(StrEnum):
    wachtend = "wachtend"
    verzonden = "verzonden"
    mislukt = "mislukt"  # retries exhausted: escalated to staff, still visible, never dropped


def wachtrij_index(tabel: str) -> Index:
    """Partial index on the open queue: delivery runs scan waiting rows only."""
    voorwaarde = text("status = 'wachtend'")
    return Index(f"ix_{tabel}_wachtrij", "volgende_poging_op", sqlite_where=voorwaarde, postgresql_where=voorwaarde)


class Uitgaand(SQLModel):
    """The delivery columns every outbox table shares; models/dossier/uitgaand.py places, claims,
    retries and gives up on rows through these alone."""

    # How the row is named to staff in messages ("Brief 42 is al verzonden.").
    weergavenaam: ClassVar[str]
    # The deployment staff use in the Prefect UI to queue a failed row again.
    opnieuw_versturen: ClassVar[str]

    id: int | None = Field(default=None, primary_key=True)
    sleutel: str = Field(sa_type=String(200), unique=True)
    status: Bezorgstatus = Field(sa_type=String(16), default=Bezorgstatus.wachtend)
    pogingen: int = 0
    volgende_poging_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    laatste_fout: str | None = None
    aangemaakt_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    verzonden_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How often staff queued it again: part of the key of its escalation, so a requeued row that
    # fails again is escalated again, once.
    ronde: int = Field(default=0, sa_type=Integer, nullable=False, sa_column_kwargs={"server_default": text("0")})


class Brief(Uitgaand, table=True):
    """A letter to a family or melder, rendered to PDF and archived with its checksum."""

    __table_args__ = (wachtrij_index("brief"),)
    weergavenaam: ClassVar[str] = "Brief"
    opnieuw_versturen: ClassVar[str] = "brief opnieuw versturen"  # its deployment in the Prefect UI

    casus_id: int = Field(foreign_key="casus.id", index=True)
    soort: str = Field(sa_type=String(48))
    aanleiding: str = Field(sa_type=String(64))  # the occasion, part of the key (issue 5)
    ontvanger: str = Field(sa_type=String(24))  # familie | melder
    melder_id: int | None = Field(default=None, foreign_key="melder.id")  # which melder (melder letters)
    kanaal: str = Field(sa_type=String(16))  # post | email
    template_versie: str = Field(sa_type=String(64))
    checksum: str | None = Field(default=None, sa_type=String(64))
    pad: str | None = None


class Notificatie(Uitgaand, table=True):
    """An e-mail or other message to staff, a lokaal team or the regional overleg (outbox).
    Carries case references only, never personal data."""

    __table_args__ = (wachtrij_index("notificatie"),)
    weergavenaam: ClassVar[str] = "Bericht"
    opnieuw_versturen: ClassVar[str] = "bericht opnieuw versturen"  # its deployment in the Prefect UI

    casus_id: int | None = Field(default=None, foreign_key="casus.id", index=True)
    soort: str = Field(sa_type=String(48))
    # Who receives it, resolved against the settings at delivery time (models/regels/ontvangers.py):
    # "rol:teamleider", "rapportage", "adres:team@gemeente.example.org". Never a citizen.
    ontvanger: str = Field(sa_type=String(250))
    onderwerp: str = Field(sa_type=String(250))
    inhoud: str
    opmaak: str = Field(sa_type=String(8), default="text")  # text | html
    bijlagen: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Fingerprints of the Apprise URLs (addresses) that already have it (models/dossier/uitgaand.py
    # `vingerafdruk`; no credentials stored): a retry goes only to the addresses that failed.
    bezorgd_aan: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )


class Rapport(SQLModel, table=True):
    """An archived biweekly report to the regional overleg (aggregates only)."""

    id: int | None = Field(default=None, primary_key=True)
    sleutel: str = Field(sa_type=String(120), unique=True)
    periode_start: dt.date
    periode_eind: dt.date
    aangemaakt_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)
    pad: str | None = None
    checksum: str | None = Field(default=None, sa_type=String(64))
    verzonden_op: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Issue 6: one row per version sent (a resend is a new version); the published (suppressed)
    # figures for history and charts; every archived file with its sha256.
    versie: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default=text("1")))
    cijfers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default=text("'{}'")))
    bestanden: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default=text("'{}'")))


TEKST_MAX = 1000  # of a knelpunt's text


class Knelpunt(SQLModel, table=True):
    """A bottleneck entered by staff for one report period; gemeente_code None: the whole region."""

    id: int | None = Field(default=None, primary_key=True)
    gemeente_code: str | None = Field(default=None, sa_type=String(6), foreign_key="gemeente.code")
    periode_eind: dt.date = Field(index=True)
    tekst: str = Field(sa_type=String(TEKST_MAX))
    door: str = Field(sa_type=String(120))
    aangemaakt_op: dt.datetime = Field(sa_type=UTCDateTime, default_factory=nu)

"""Knelpunten (bottlenecks) that staff enter for a report period, beside the ones the report
derives itself. A knelpunt is organisational text for the regional overleg ("two vacancies in
the onderzoek team", "the handover table in Venlo did not meet"): never anything about a family.
The check below refuses text that looks like personal data or a case reference; it cannot catch
everything, so the form and the command say it plainly too.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, select

from models.regels.instellingen import Instellingen
from models.regels.perioden import periode
from models.opslag.communicatie import TEKST_MAX, Knelpunt

UITLEG_TEKST = (
    "Organisatorische tekst voor het regionaal overleg, bijvoorbeeld 'twee vacatures in het "
    "onderzoeksteam' of 'overdrachtstafel Venlo twee keer niet doorgegaan'. Nooit iets over een "
    "gezin: geen namen, adressen, BSN's, geboortedata, casusreferenties of beschrijvingen van een zaak."
)

# What personal data or case details usually look like in a sentence.
_VERBODEN = [
    (re.compile(r"\bVT-\d{4}-\d{6}\b", re.IGNORECASE), "een casusreferentie"),
    (re.compile(r"\b\d{9}\b"), "een nummer van 9 cijfers (BSN?)"),
    (re.compile(r"\b\d{4} ?[A-Z]{2}\b"), "een postcode"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "een e-mailadres"),
    (re.compile(r"\b0\d{9}\b|\b0\d{2,3}-\d{6,7}\b|\+31\d{9}\b"), "een telefoonnummer"),
]


def controleer_tekst(tekst: str) -> str:
    """The text, stripped; raises ValueError (Dutch) when it is empty, too long or looks like
    it holds personal data."""
    tekst = " ".join(tekst.split())
    if not tekst:
        raise ValueError("de tekst is leeg")
    if len(tekst) > TEKST_MAX:
        raise ValueError(f"de tekst is langer dan {TEKST_MAX} tekens")
    gevonden = [wat for patroon, wat in _VERBODEN if patroon.search(tekst)]
    if gevonden:
        raise ValueError(
            f"de tekst lijkt persoonsgegevens of zaakgegevens te bevatten ({', '.join(gevonden)}); "
            "een knelpunt is organisatorisch en gaat nooit over een gezin"
        )
    return tekst


class KnelpuntInvoer(BaseModel):
    """A knelpunt as staff enter it (the form in the UI and `vt knelpunt toevoegen`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    periode_eind: dt.date = Field(
        title="Laatste dag van de rapportageperiode",
        description="De periode waarvoor het knelpunt geldt (zondag vóór het rapportmoment).",
        json_schema_extra={"position": 0},
    )
    tekst: str = Field(
        title="Knelpunt", description=UITLEG_TEKST, max_length=TEKST_MAX, json_schema_extra={"position": 1}
    )
    gemeente_code: str | None = Field(
        None, title="Gemeente (CBS-code)", pattern=r"^GM\d{4}$",
        description="Leeg laten voor een knelpunt in de hele regio.", json_schema_extra={"position": 2},
    )
    door: str = Field(
        title="Ingevoerd door", min_length=1, max_length=120,
        description="Uw naam of functie; wordt bij het knelpunt bewaard, niet in het rapport getoond.",
        json_schema_extra={"position": 3},
    )

    @field_validator("tekst")
    @classmethod
    def _organisatorisch(cls, tekst: str) -> str:
        return controleer_tekst(tekst)


def voeg_toe(session: Session, invoer: KnelpuntInvoer, instellingen: Instellingen) -> Knelpunt:
    """Store a knelpunt for a report period (any on the schedule's grid) of the region, or of
    one of its municipalities. Raises ValueError (Dutch) otherwise. The same text for the same
    period and municipality again is the knelpunt already stored (a form sent twice)."""
    periode(instellingen.rapportage, invoer.periode_eind)
    if invoer.gemeente_code and invoer.gemeente_code not in {g.code for g in instellingen.gemeenten}:
        raise ValueError(f"gemeente {invoer.gemeente_code} hoort niet bij regio {instellingen.regio.naam}")
    eerder = session.exec(select(Knelpunt).where(
        Knelpunt.periode_eind == invoer.periode_eind, Knelpunt.gemeente_code == invoer.gemeente_code,
        Knelpunt.tekst == invoer.tekst,
    )).first()
    if eerder is not None:
        return eerder
    knelpunt = Knelpunt(**invoer.model_dump())
    session.add(knelpunt)
    session.flush()
    return knelpunt


def voor_periode(session: Session, periode_eind: dt.date) -> list[Knelpunt]:
    return list(session.exec(
        select(Knelpunt).where(Knelpunt.periode_eind == periode_eind)
        .order_by(Knelpunt.gemeente_code.is_not(None), Knelpunt.gemeente_code, Knelpunt.id)
    ))

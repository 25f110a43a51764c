"""Registering a voorlichting or deskundigheidsbevordering (plustaken, seed 003): the writer that
alone adds an activity and its audit event. Not about a family: the audience is a kind of
organisation or team ("pedagogisch medewerkers kinderdagverblijf"), checked like a knelpunt's text."""

from __future__ import annotations

import datetime as dt
import hashlib

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, select

from models.dossier.knelpunt import controleer_tekst
from models.dossier.wijzigingen import audit
from models.opslag.plustaken import PlustaakActiviteit
from models.regels.instellingen import Instellingen, Plustaak

ACTIVITEITEN = (Plustaak.voorlichting, Plustaak.deskundigheidsbevordering)


class OngeldigeActiviteit(ValueError):
    """The activity cannot be registered; the message says why, in Dutch. Nothing is stored."""


class ActiviteitInvoer(BaseModel):
    """An activity as staff enter it (the form in the UI and `vt plustaken activiteit`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    datum: dt.date
    gemeente_code: str = Field(pattern=r"^GM\d{4}$")
    soort: Plustaak
    doelgroep: str = Field(min_length=2, max_length=120)
    uren: float = Field(gt=0, le=24)
    deelnemers: int = Field(ge=0, le=10_000)
    door: str = Field(min_length=2, max_length=120)

    @field_validator("soort")
    @classmethod
    def _activiteit(cls, soort: Plustaak) -> Plustaak:
        if soort not in ACTIVITEITEN:
            raise ValueError("kies voorlichting of deskundigheidsbevordering (samen optrekken legt u vast bij het "
                             "besluit over een onderzoek)")
        return soort

    @field_validator("doelgroep")
    @classmethod
    def _organisatorisch(cls, doelgroep: str) -> str:
        try:
            return controleer_tekst(doelgroep)
        except ValueError as exc:
            reden = str(exc).split(";")[0]
            raise ValueError(f"{reden}; de doelgroep noemt een soort professionals en nooit een gezin") from None

    @field_validator("uren")
    @classmethod
    def _kwartieren(cls, uren: float) -> float:
        return round(uren * 4) / 4  # hours are kept in quarters, as staff write them

    def sleutel(self) -> str:
        """The same activity sent twice (a form submitted again, a command repeated) is one row."""
        tekst = "|".join([self.datum.isoformat(), self.gemeente_code, self.soort.value, self.doelgroep.lower(),
                          f"{self.uren:.2f}", str(self.deelnemers)])
        return hashlib.sha256(tekst.encode()).hexdigest()[:32]


def registreer_activiteit(session: Session, invoer: ActiviteitInvoer, instellingen: Instellingen,
                          vandaag: dt.date) -> tuple[PlustaakActiviteit, bool]:
    """Store the activity once with an audit event (no casus); (row, newly stored). Raises
    OngeldigeActiviteit when the gemeente does not buy this task or the date is in the future."""
    try:
        gemeente = instellingen.gemeente(invoer.gemeente_code)
    except KeyError:
        raise OngeldigeActiviteit(f"gemeente {invoer.gemeente_code} hoort niet bij {instellingen.regio.naam}") from None
    if not gemeente.neemt_af(invoer.soort):
        raise OngeldigeActiviteit(f"gemeente {gemeente.naam} neemt de plustaak {invoer.soort.value} niet af "
                                  "(zie de instellingen)")
    if invoer.datum > vandaag:
        raise OngeldigeActiviteit("de datum ligt in de toekomst; leg een activiteit vast nadat ze is gegeven")
    sleutel = invoer.sleutel()
    bestaand = session.exec(select(PlustaakActiviteit).where(PlustaakActiviteit.sleutel == sleutel)).first()
    if bestaand is not None:
        return bestaand, False
    rij = PlustaakActiviteit(sleutel=sleutel, datum=invoer.datum, gemeente_code=invoer.gemeente_code,
                             soort=invoer.soort.value, doelgroep=invoer.doelgroep, uren=invoer.uren,
                             deelnemers=invoer.deelnemers, door=invoer.door)
    session.add(rij)
    session.flush()
    audit(session, None, invoer.door, "plustaak_activiteit", details=dict(
          activiteit=rij.id, soort=rij.soort, gemeente=rij.gemeente_code, datum=rij.datum.isoformat(),
          uren=rij.uren, deelnemers=rij.deelnemers))
    session.flush()
    return rij, True

"""The decisions people take about a casus, as pure models with their rules (no Prefect, no
database).

Every moment the lifecycle waits for a person is a `Beslismoment`; `volgend_beslismoment`
says which one a casus waits for. Each kind of decision is ONE class below, and one row of
`BESLISSINGEN` (keyed by its `moment`). The class is, in one place:

- its form: the class is the pydantic model the Prefect UI shows (Dutch `title`/`description`
  per field; flows/formulieren.beslisformulier) with `beginwaarden` and the question `vraag`;
  `door` says who decided (the logged-in account, put in by the gateway; never typed);
- its rules: `fouten(ctx)` says in Dutch why it cannot be carried out, `naar(ctx)` the state
  the casus moves to, `details()` the codes stored with it;
- its follow-ups: `nazorg(gevolgd)`, the letters and e-mails it owes once stored (the base
  class adds what every decision owes by the state it led to);
- its terms: not per decision but per step, `TERMIJNEN_BIJ_AFRONDING`/`TERMIJNEN_BIJ_START`:
  the step `naar` leaves meets its terms, the step it enters starts its own.

Its effect on the casus store lives with the writers: `models.dossier.voortgang.EFFECTEN`, a handler
per `Beslismoment` (like cosmicpython's COMMAND_HANDLERS), so this module stays free of the
database. A new kind of decision is: a `Beslismoment` (and where `volgend_beslismoment` asks
it), one class here in `BESLISSINGEN`, one row in `EFFECTEN`. tests/test_beslissingen.py
checks that every moment has exactly one row in both tables.

Also here: the lifecycle's automatic steps, continuity-plan routing and the effective
capacity mode.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from models.regels.instellingen import (
    CapaciteitsModus,
    GemeenteInstelling,
    OverdrachtType,
    Plustaak,
    TermijnSoort,
    Urgentie,
)
from models.regels.kalender import AMSTERDAM
from models.regels.levensloop import Status
from models.regels.tekst import controleer_tekstveld
from models.regels.toegang import SYSTEEM

S = Status


class Beslismoment(StrEnum):
    """Where the lifecycle waits for a person."""

    acute_actie = "acute_actie"
    besluit = "besluit"
    werkvoorraad = "werkvoorraad"
    uitkomst_onderzoek = "uitkomst_onderzoek"
    uitkomst_venv = "uitkomst_venv"
    uitkomst_rvdk = "uitkomst_rvdk"
    overdracht_gegevens = "overdracht_gegevens"
    driegesprek = "driegesprek"
    overdracht_afronden = "overdracht_afronden"
    overdrachtstafel = "overdrachtstafel"
    monitoring = "monitoring"


class Regie(StrEnum):
    # Who holds the lead (regie) after a handover. No docstring: the UI would show it as help text.

    lokaal_team = "lokaal_team"
    veilig_thuis = "veilig_thuis"


class UitkomstVeiligheidsbeoordeling(StrEnum):
    # The choice after a veiligheidsbeoordeling. No docstring: the UI would show it as help text.

    afsluiten = "afsluiten"
    overdracht = "overdracht"
    voorwaarden_en_vervolg = "voorwaarden_en_vervolg"
    onderzoek = "onderzoek"
    rvdk_verzoek = "rvdk_verzoek"


class OnderzoekStart(StrEnum):
    direct = "direct"
    werkvoorraad = "werkvoorraad"


class AcuteActie(StrEnum):
    crisisdienst_ter_plaatse = "crisisdienst_ter_plaatse"
    politie_ingeschakeld = "politie_ingeschakeld"
    veiligheid_telefonisch_vastgesteld = "veiligheid_telefonisch_vastgesteld"
    opvang_geregeld = "opvang_geregeld"


class UitkomstOnderzoek(StrEnum):
    afsluiten = "afsluiten"
    overdracht = "overdracht"
    voorwaarden_en_vervolg = "voorwaarden_en_vervolg"
    rvdk_verzoek = "rvdk_verzoek"


class UitkomstVenV(StrEnum):
    monitoring = "monitoring"  # conditions hold and are with a partner: VT keeps watch
    overdracht = "overdracht"
    onderzoek = "onderzoek"  # conditions not met: VT investigates
    afsluiten = "afsluiten"


class UitkomstRvdK(StrEnum):
    overdracht = "overdracht"
    monitoring = "monitoring"
    afsluiten = "afsluiten"


class WerkvoorraadKeuze(StrEnum):
    starten = "starten"  # capacity is free: start the onderzoek or V&V that was decided
    overdracht = "overdracht"
    opnieuw_beoordelen = "opnieuw_beoordelen"
    afsluiten = "afsluiten"


class TafelUitkomst(StrEnum):
    # What the overdrachtstafel agreed. No docstring: the UI would show it as help text.

    team_neemt_over = "team_neemt_over"
    team_neemt_over_met_hulp_vt = "team_neemt_over_met_hulp_vt"  # VT helps set the safety conditions
    terug_naar_veilig_thuis = "terug_naar_veilig_thuis"


class MonitoringUitkomst(StrEnum):
    veilig = "veilig"
    niet_veilig = "niet_veilig"
    buiten_beeld = "buiten_beeld"
    afsluiten = "afsluiten"


class BuitenBeeldReden(StrEnum):
    verhuisd = "verhuisd"
    werkt_niet_mee = "werkt_niet_mee"
    onbereikbaar = "onbereikbaar"


class Locatie(StrEnum):
    """Where a driegesprek takes place. A choice, not free text: the invitation to the lokaal
    team names it, and an address typed here would be personal data in an e-mail."""

    kantoor_veilig_thuis = "kantoor_veilig_thuis"
    kantoor_lokaal_team = "kantoor_lokaal_team"
    gemeentehuis = "gemeentehuis"
    bij_het_gezin_thuis = "bij_het_gezin_thuis"
    online = "online"


LOCATIE_OMSCHRIJVING = {
    Locatie.kantoor_veilig_thuis: "kantoor van Veilig Thuis",
    Locatie.kantoor_lokaal_team: "kantoor van het lokaal team",
    Locatie.gemeentehuis: "gemeentehuis",
    Locatie.bij_het_gezin_thuis: "bij het gezin thuis (adres volgt bij de overdracht)",
    Locatie.online: "online (videogesprek; de link volgt)",
}


class Deelnemer(StrEnum):
    gezin = "gezin"
    veilig_thuis = "veilig_thuis"
    lokaal_team = "lokaal_team"


STANDAARD_DEELNEMERS = [Deelnemer.gezin, Deelnemer.veilig_thuis, Deelnemer.lokaal_team]


# --- context ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasusContext:
    """What the rules need to know about a casus: codes and flags only."""

    referentie: str
    gemeente: GemeenteInstelling
    urgentie: Urgentie
    werkvoorraad_toegestaan: bool
    modus: CapaciteitsModus = CapaciteitsModus.normaal
    buiten_beeld: bool = False
    # What was decided for a casus on the werkvoorraad: onderzoek or V&V.
    gepland: Status | None = None
    nu: dt.datetime | None = None
    # When the driegesprek of the open warm handover is planned (None: none planned).
    driegesprek_op: dt.datetime | None = None

    @property
    def teams(self) -> list[str]:
        return [t.code for t in self.gemeente.lokale_teams]


# --- rules ------------------------------------------------------------------------------------


def wacht_op_werkvoorraad(stap: Status, ctx: CasusContext) -> bool:
    """Continuity plan: a regular onderzoek or V&V waits on the werkvoorraad. Acute and spoed
    cases, safety assessments, handovers and urgent investigations go on (seed 004)."""
    return (
        ctx.modus is CapaciteitsModus.continuiteitsplan
        and stap in (S.onderzoek, S.voorwaarden_en_vervolg)
        and ctx.urgentie is Urgentie.regulier
    )


def naar_overdrachtstafel(stap: Status, ctx: CasusContext) -> bool:
    """Continuity plan, for a gemeente with an overdrachtstafel: a regular V&V does not wait on
    the werkvoorraad; VT registers the family with the lokaal team and discusses it at the next
    tafel, helping with the safety conditions where needed (seed 004)."""
    return (stap is S.voorwaarden_en_vervolg and wacht_op_werkvoorraad(stap, ctx)
            and ctx.gemeente.overdrachtstafel is not None)


def effectieve_modus(instelling: CapaciteitsModus, variabele: str | None) -> tuple[CapaciteitsModus, str]:
    """The capacity mode in force and where it comes from. A Prefect Variable (changeable
    without restart) overrides the settings file; an unknown value is ignored."""
    if variabele:
        try:
            return CapaciteitsModus(variabele.strip().lower()), "variabele"
        except ValueError:
            pass
    return instelling, "instellingen"


# Terms a step starts when a casus enters it, and the terms it meets when the casus leaves it.
TERMIJNEN_BIJ_START: dict[Status, list[TermijnSoort]] = {
    S.veiligheidsbeoordeling: [TermijnSoort.veiligheidsbeoordeling],
    S.werkvoorraad: [TermijnSoort.werkvoorraad_contact],
    S.onderzoek: [TermijnSoort.onderzoek],
    S.voorwaarden_en_vervolg: [TermijnSoort.voorwaarden_en_vervolg],
    S.overdracht: [TermijnSoort.overdracht],
    S.monitoring: [TermijnSoort.monitoring],
}
TERMIJNEN_BIJ_AFRONDING: dict[Status, list[TermijnSoort]] = {
    S.veiligheidscheck: [TermijnSoort.acute_reactie],
    S.veiligheidsbeoordeling: [TermijnSoort.veiligheidsbeoordeling],
    S.besluit: [TermijnSoort.veiligheidsbeoordeling],
    S.werkvoorraad: [TermijnSoort.werkvoorraad_contact],
    S.onderzoek: [TermijnSoort.onderzoek],
    S.voorwaarden_en_vervolg: [TermijnSoort.voorwaarden_en_vervolg],
    S.overdracht: [TermijnSoort.overdracht],
    S.monitoring: [TermijnSoort.monitoring],
}


def volgend_monitoringmoment(momenten_maanden: list[int], al_gestart: int) -> int | None:
    """Months after the handover of the next monitoring moment, or None when all are done."""
    return momenten_maanden[al_gestart] if al_gestart < len(momenten_maanden) else None


@dataclass(frozen=True)
class Stand:
    """Where a casus is, as far as the lifecycle needs to know (codes only)."""

    status: Status
    urgentie: Urgentie
    acute_termijn_open: bool = False
    overdracht_type: OverdrachtType | None = None  # of the open (not completed) handover
    driegesprek_gepland: bool = False
    op_overdrachtstafel: bool = False  # the open handover waits for the outcome of an overdrachtstafel


def automatische_stap(stand: Stand) -> Status | None:
    """The next state when no person needs to decide: the front-door check."""
    if stand.status is S.ontvangen:
        return S.veiligheidscheck
    if stand.status is S.veiligheidscheck and not stand.acute_termijn_open:
        return S.veiligheidsbeoordeling
    return None


@dataclass(frozen=True)
class Wachtend:
    """The open states in which a casus waits for a person, as a query needs them."""

    altijd: frozenset[Status]  # whatever else holds
    met_acute_termijn: frozenset[Status]  # only while an acute_reactie term is open


def wachtend_op_een_persoon() -> Wachtend:
    """Derived from `automatische_stap` (the one rule), so the work list and the lifecycle
    agree: that rule reads a casus's state and whether its acute term is open, nothing else."""
    altijd, met_acute = set(), set()
    for status in Status:
        if status is S.afgesloten:
            continue
        zonder, met = (automatische_stap(Stand(status, Urgentie.regulier, acute_termijn_open=open_))
                       for open_ in (False, True))
        if zonder is None and met is None:
            altijd.add(status)
        elif met is None:
            met_acute.add(status)
    return Wachtend(frozenset(altijd), frozenset(met_acute))


def volgend_beslismoment(stand: Stand) -> Beslismoment | None:
    """The decision the casus waits for in its current state (None: automatic or closed)."""
    match stand.status:
        case S.veiligheidscheck if stand.acute_termijn_open:
            return Beslismoment.acute_actie
        case S.veiligheidsbeoordeling | S.besluit:
            return Beslismoment.besluit
        case S.werkvoorraad:
            return Beslismoment.werkvoorraad
        case S.onderzoek:
            return Beslismoment.uitkomst_onderzoek
        case S.voorwaarden_en_vervolg:
            return Beslismoment.uitkomst_venv
        case S.rvdk_verzoek:
            return Beslismoment.uitkomst_rvdk
        case S.overdracht if stand.op_overdrachtstafel:
            return Beslismoment.overdrachtstafel
        case S.overdracht if stand.overdracht_type is None:
            return Beslismoment.overdracht_gegevens
        case S.overdracht if stand.overdracht_type is OverdrachtType.warm and not stand.driegesprek_gepland:
            return Beslismoment.driegesprek
        case S.overdracht:
            return Beslismoment.overdracht_afronden
        case S.monitoring:
            return Beslismoment.monitoring
    return None


def sleutel(referentie: str, moment: Beslismoment, volgnummer: int) -> str:
    """Deterministic, unique per decision occurrence: the n-th `moment` of this casus, e.g.
    'vt-2026-000123-besluit-1' (Prefect's input keys allow lowercase, digits and dashes only)."""
    return f"{referentie.lower()}-{moment.value.replace('_', '-')}-{volgnummer}"


# --- what follows a decision ------------------------------------------------------------------


class Bericht(StrEnum):
    """E-mails (to organisations and staff, never citizens) that a decision sends."""

    rvdk_college = "rvdk_college"
    driegesprek_uitnodiging = "driegesprek_uitnodiging"
    samen_optrekken_uitnodiging = "samen_optrekken_uitnodiging"
    buiten_beeld = "buiten_beeld"


@dataclass(frozen=True)
class Gevolgd:
    """A stored decision as its follow-ups need it: codes only."""

    moment: Beslismoment
    keuze: str
    van: Status
    naar: Status | None
    details: dict = field(default_factory=dict)
    # The handover this decision belongs to, if any: team, type, regie, driegesprek.
    overdracht: dict | None = None


@dataclass(frozen=True)
class BriefOpdracht:
    soort: str  # a BriefSoort of tasks/brieven.py
    gegevens: dict


@dataclass(frozen=True)
class Nazorg:
    brieven: list[BriefOpdracht] = field(default_factory=list)
    berichten: list[Bericht] = field(default_factory=list)

    def __add__(self, andere: Nazorg) -> Nazorg:
        return Nazorg(self.brieven + andere.brieven, self.berichten + andere.berichten)


DEELNEMER_OMSCHRIJVING = {
    Deelnemer.gezin: "het gezin",
    Deelnemer.veilig_thuis: "Veilig Thuis",
    Deelnemer.lokaal_team: "de consulent van het lokaal team",
}

# What the melder is told, by the state the casus went to.
_TERUGKOPPELING = {
    S.afgesloten: "afsluiten", S.overdracht: "overdracht", S.voorwaarden_en_vervolg: "voorwaarden_en_vervolg",
    S.onderzoek: "onderzoek", S.werkvoorraad: "werkvoorraad", S.rvdk_verzoek: "rvdk_verzoek",
}


def _terugkoppeling(soort: str, besluit: Gevolgd) -> BriefOpdracht:
    gegevens = {"besluit": _TERUGKOPPELING[besluit.naar]}
    if besluit.details.get("lokaal_team"):
        gegevens["lokaal_team_code"] = besluit.details["lokaal_team"]
    return BriefOpdracht(soort, gegevens)


def _afsluiting(besluit: Gevolgd) -> BriefOpdracht:
    if besluit.van is S.monitoring:
        return BriefOpdracht("afsluiting", {"reden": "na_monitoring"})
    return BriefOpdracht("afsluiting", {"reden": "einde_bemoeienis"})


# --- decisions --------------------------------------------------------------------------------


def _veld(titel: str, positie: int, uitleg: str | None = None, **kwargs):
    return Field(title=titel, description=uitleg, json_schema_extra={"position": positie}, **kwargs)


class BeslissingInvoer(BaseModel):
    """A kind of decision, and as a model its form: who took it and the choice. Subclasses add
    the details a choice needs, the question (`vraag`) and their own follow-ups (`nazorg`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    moment: ClassVar[Beslismoment]
    vraag: ClassVar[str]  # the question staff see above the form, in the work list and the casus overview

    # Who decided: filled in by the gateway (web.toegang) with the logged-in account, never typed;
    # not part of the form staff see (flows.formulieren leaves it out).
    door: str = _veld(
        "Besloten door", 0, "Het account van wie besloot; komt in de audittrail van de casus.",
        default=SYSTEEM, min_length=2, max_length=120,
    )
    # Which decision occurrence (`sleutel`) the form was made for, filled in by the form. A form
    # from a second browser tab, submitted after the casus moved on, is then refused instead of
    # taken as the answer to the next occurrence (Prefect accepts any input for the current
    # pause). A plain field, not a Literal: Prefect would refuse a Literal in English; the
    # lifecycle task refuses it in Dutch, naming who decided meanwhile. None: a form made
    # before this field existed.
    formulier_voor: str | None = _veld(
        "Formulier voor (niet wijzigen)", 99,
        "Vult het systeem in: het besluit waarvoor dit formulier is gemaakt. Is de casus intussen verder, "
        "dan wordt dit formulier geweigerd en niet als nieuw besluit verwerkt.", default=None, max_length=120,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _geen_stuurtekens(cls, waarde, info: ValidationInfo):
        return controleer_tekstveld(waarde, info.field_name, frozenset({"veiligheidsvoorwaarden"}))

    @property
    def keuze(self) -> str:
        raise NotImplementedError

    def fouten(self, ctx: CasusContext) -> list[str]:
        """Dutch reasons why this decision cannot be carried out; empty when it can."""
        return []

    def naar(self, ctx: CasusContext) -> Status | None:
        """The state the casus moves to (None: it stays where it is)."""
        raise NotImplementedError

    def details(self) -> dict:
        """Codes for the audit trail: never free text."""
        return {}

    def stelt_voorwaarden(self) -> bool:
        """Whether this choice sets safety conditions (field `veiligheidsvoorwaarden`)."""
        return False

    @classmethod
    def beginwaarden(cls, gemeente: GemeenteInstelling, regie: str | None) -> dict:
        """Start values of the form (codes only, never personal data); `regie` is that of the
        open handover, if any."""
        return {}

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        """The letters and e-mails this decision owes once stored. Here what every decision owes
        by the state it led to: a closed casus sends the family the closure letter; a verzoek to
        the Raad informs the municipality (college, by law). Subclasses put their own first."""
        return Nazorg(
            brieven=[_afsluiting(besluit)] if besluit.naar is S.afgesloten else [],
            berichten=[Bericht.rvdk_college] if besluit.naar is S.rvdk_verzoek else [],
        )


class _OverdrachtVelden(BaseModel):
    """Asked wherever overdracht can be chosen."""

    lokaal_team: str | None = _veld(
        "Bij overdracht, V&V of samen optrekken: lokaal team", 20,
        "Het team van de gemeente van de casus dat de zorg overneemt (overdracht), de "
        "veiligheidsvoorwaarden van Veilig Thuis ontvangt (Voorwaarden & Vervolg) of vanaf de start "
        "meedoet aan het onderzoek (samen optrekken).", default=None,
    )
    overdracht_type: OverdrachtType | None = _veld(
        "Bij overdracht: soort overdracht", 21,
        "Warm = driegesprek met gezin, Veilig Thuis en de consulent van het lokaal team. "
        "Standaard de voorkeur van de gemeente.", default=None,
    )
    regie: Regie | None = _veld(
        "Bij overdracht: wie heeft de regie", 22,
        "Meestal het lokaal team; Veilig Thuis houdt de regie als het gezin nog niet veilig genoeg is.", default=None,
    )

    def _team_fouten(self, ctx: CasusContext, waarvoor: str) -> list[str]:
        if not self.lokaal_team:
            return [f"Kies bij {waarvoor} het lokaal team."]
        if self.lokaal_team not in ctx.teams:
            return [f"Lokaal team {self.lokaal_team} hoort niet bij gemeente {ctx.gemeente.naam}; "
                    f"kies uit: {', '.join(t.naam for t in ctx.gemeente.lokale_teams)}."]
        return []

    def _overdracht_fouten(self, ctx: CasusContext) -> list[str]:
        fouten = self._team_fouten(ctx, "een overdracht")
        if self.overdracht_type is None:
            fouten.append("Kies bij een overdracht de soort overdracht (warm, telefonisch of schriftelijk).")
        if self.regie is None:
            fouten.append("Kies bij een overdracht wie de regie heeft.")
        return fouten

    def _overdracht_details(self) -> dict:
        return {"lokaal_team": self.lokaal_team, "type": self.overdracht_type, "regie": self.regie}

    @classmethod
    def beginwaarden(cls, gemeente: GemeenteInstelling, regie: str | None) -> dict:
        return {"lokaal_team": gemeente.lokale_teams[0].code, "overdracht_type": gemeente.voorkeur_overdracht.value,
                "regie": "lokaal_team"}


class _VenVVelden(_OverdrachtVelden):
    veiligheidsvoorwaarden: str = _veld(
        "Bij Voorwaarden & Vervolg: veiligheidsvoorwaarden", 30,
        "De schriftelijke veiligheidsvoorwaarden die met het gezin zijn afgesproken. Wordt versleuteld "
        "opgeslagen in het dossier en daarna uit Prefect verwijderd.",
        default="", max_length=10_000,
    )

    def _venv_fouten(self, ctx: CasusContext) -> list[str]:
        fouten = self._team_fouten(ctx, "Voorwaarden & Vervolg")
        if not self.veiligheidsvoorwaarden:
            fouten.append("Vul bij Voorwaarden & Vervolg de veiligheidsvoorwaarden in.")
        return fouten


_CONTINUITEIT = (
    "Het continuïteitsplan is actief: een regulier onderzoek of Voorwaarden & Vervolg wacht op de "
    "werkvoorraad."
)


class AcuteActieVastleggen(BeslissingInvoer):
    """The first action on an acute melding: meets the acute term."""

    moment: ClassVar[Beslismoment] = Beslismoment.acute_actie
    vraag: ClassVar[str] = "Acute melding: leg de eerste actie vast"
    actie: AcuteActie = _veld("Eerste actie", 1, "Wat is er direct gedaan?")

    @property
    def keuze(self) -> str:
        return self.actie.value

    def naar(self, ctx: CasusContext) -> Status:
        return S.veiligheidsbeoordeling


class BesluitNaVeiligheidsbeoordeling(_VenVVelden, BeslissingInvoer):
    """After the veiligheidsbeoordeling: the melder hears what was decided (terugkoppeling)."""

    moment: ClassVar[Beslismoment] = Beslismoment.besluit
    vraag: ClassVar[str] = "Besluit na de veiligheidsbeoordeling"
    besluit: UitkomstVeiligheidsbeoordeling = _veld(
        "Besluit", 1,
        "Afsluiten, overdracht aan het lokaal team, Voorwaarden & Vervolg, onderzoek door Veilig Thuis "
        "of een verzoek tot onderzoek aan de Raad voor de Kinderbescherming (de gemeente wordt dan "
        "geïnformeerd). Vul daarna alleen de velden in die bij uw besluit horen.",
    )
    met_advies: bool = _veld("Bij afsluiten: met advies", 10, "Is het gezin of de melder een advies gegeven?",
                             default=False)
    onderzoek_start: OnderzoekStart = _veld(
        "Bij onderzoek: direct starten of op de werkvoorraad", 40,
        "Spoed en acuut kunnen niet op de werkvoorraad.", default=OnderzoekStart.direct,
    )
    samen_optrekken: bool = _veld(
        "Bij onderzoek (plustaak samen optrekken): het sociale team doet vanaf de start mee", 41,
        "Alleen voor een gemeente die de plustaak samen optrekken afneemt, en alleen waar de situatie het "
        "toelaat. Kies het team bij 'lokaal team'; het team krijgt een uitnodiging voor de start "
        "(casusnummer en moment, geen gegevens van het gezin).", default=False,
    )
    samen_start_op: dt.datetime | None = _veld(
        "Bij samen optrekken: datum en tijd van de start", 42,
        "Het eerste gesprek van Veilig Thuis en het sociale team, Nederlandse tijd.", default=None,
    )

    @property
    def keuze(self) -> str:
        return self.besluit.value

    def fouten(self, ctx: CasusContext) -> list[str]:
        if self.samen_optrekken:
            return self._samen_fouten(ctx)
        match self.besluit:
            case UitkomstVeiligheidsbeoordeling.overdracht:
                return self._overdracht_fouten(ctx)
            case UitkomstVeiligheidsbeoordeling.voorwaarden_en_vervolg:
                return self._venv_fouten(ctx)
            case UitkomstVeiligheidsbeoordeling.onderzoek if self.onderzoek_start is OnderzoekStart.werkvoorraad and not ctx.werkvoorraad_toegestaan:
                return [f"Een casus met urgentie '{ctx.urgentie}' mag niet op de werkvoorraad: start het onderzoek direct."]
        return []

    def _samen_fouten(self, ctx: CasusContext) -> list[str]:
        """Samen optrekken: an onderzoek that starts now, in a gemeente that buys it, with one
        of its teams and a start from now on."""
        if self.besluit is not UitkomstVeiligheidsbeoordeling.onderzoek:
            return ["Samen optrekken hoort bij een onderzoek: kies besluit 'onderzoek' of zet samen optrekken uit."]
        if not ctx.gemeente.neemt_af(Plustaak.samen_optrekken):
            return [f"Gemeente {ctx.gemeente.naam} neemt de plustaak samen optrekken niet af: zet samen "
                    "optrekken uit."]
        if self.naar(ctx) is not S.onderzoek:
            return ["Samen optrekken kan alleen bij een onderzoek dat nu start, niet bij een onderzoek op de "
                    "werkvoorraad: kies 'direct starten' of zet samen optrekken uit."]
        fouten = self._team_fouten(ctx, "samen optrekken")
        if self.samen_start_op is None:
            fouten.append("Vul bij samen optrekken de datum en tijd van de start in.")
        elif self.samen_start_op.tzinfo is None:
            fouten.append("Geef de datum en tijd van de start met tijdzone.")
        elif ctx.nu and self.samen_start_op < ctx.nu:
            fouten.append("De start van het onderzoek ligt in het verleden; kies een moment vanaf nu.")
        return fouten

    def naar(self, ctx: CasusContext) -> Status:
        match self.besluit:
            case UitkomstVeiligheidsbeoordeling.afsluiten:
                return S.afgesloten
            case UitkomstVeiligheidsbeoordeling.overdracht:
                return S.overdracht
            case UitkomstVeiligheidsbeoordeling.rvdk_verzoek:
                return S.rvdk_verzoek
            case UitkomstVeiligheidsbeoordeling.onderzoek if self.onderzoek_start is OnderzoekStart.werkvoorraad:
                return S.werkvoorraad
        stap = S.onderzoek if self.besluit is UitkomstVeiligheidsbeoordeling.onderzoek else S.voorwaarden_en_vervolg
        if naar_overdrachtstafel(stap, ctx):
            return S.overdracht  # registered with the lokaal team, on the agenda of the overdrachtstafel
        return S.werkvoorraad if wacht_op_werkvoorraad(stap, ctx) else stap

    def stelt_voorwaarden(self) -> bool:
        return self.besluit is UitkomstVeiligheidsbeoordeling.voorwaarden_en_vervolg

    def gepland(self) -> Status | None:
        """What starts once the casus leaves the werkvoorraad."""
        return {UitkomstVeiligheidsbeoordeling.onderzoek: S.onderzoek, UitkomstVeiligheidsbeoordeling.voorwaarden_en_vervolg: S.voorwaarden_en_vervolg}.get(
            self.besluit
        )

    def details(self) -> dict:
        match self.besluit:
            case UitkomstVeiligheidsbeoordeling.overdracht:
                return self._overdracht_details()
            case UitkomstVeiligheidsbeoordeling.voorwaarden_en_vervolg:
                return {"lokaal_team": self.lokaal_team}
            case UitkomstVeiligheidsbeoordeling.afsluiten:
                return {"met_advies": self.met_advies}
            case UitkomstVeiligheidsbeoordeling.onderzoek if self.samen_optrekken:
                return {"onderzoek_start": self.onderzoek_start, "samen_met": self.lokaal_team,
                        "samen_start_op": self.samen_start_op.isoformat()}
            case UitkomstVeiligheidsbeoordeling.onderzoek:
                return {"onderzoek_start": self.onderzoek_start}
        return {}

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        samen = [Bericht.samen_optrekken_uitnodiging] if besluit.details.get("samen_met") else []
        eigen = Nazorg([_terugkoppeling("terugkoppeling_veiligheidsbeoordeling", besluit)], samen)
        return eigen + super().nazorg(besluit)


class WerkvoorraadBeslissing(_OverdrachtVelden, BeslissingInvoer):
    moment: ClassVar[Beslismoment] = Beslismoment.werkvoorraad
    vraag: ClassVar[str] = "Casus op de werkvoorraad"
    keuze_werkvoorraad: WerkvoorraadKeuze = _veld(
        "Wat gebeurt er met deze wachtende casus?", 1,
        "Starten: het besloten onderzoek of Voorwaarden & Vervolg begint nu. Opnieuw beoordelen: "
        "terug naar de veiligheidsbeoordeling (bijvoorbeeld na nieuwe signalen).",
    )

    @property
    def keuze(self) -> str:
        return self.keuze_werkvoorraad.value

    def fouten(self, ctx: CasusContext) -> list[str]:
        match self.keuze_werkvoorraad:
            case WerkvoorraadKeuze.overdracht:
                return self._overdracht_fouten(ctx)
            case WerkvoorraadKeuze.starten if wacht_op_werkvoorraad(ctx.gepland or S.onderzoek, ctx):
                return [_CONTINUITEIT + " Kies overdracht, opnieuw beoordelen of afsluiten, of start zodra "
                        "het plan is opgeheven."]
        return []

    def naar(self, ctx: CasusContext) -> Status:
        return {
            WerkvoorraadKeuze.starten: ctx.gepland or S.onderzoek,
            WerkvoorraadKeuze.overdracht: S.overdracht,
            WerkvoorraadKeuze.opnieuw_beoordelen: S.veiligheidsbeoordeling,
            WerkvoorraadKeuze.afsluiten: S.afgesloten,
        }[self.keuze_werkvoorraad]

    def details(self) -> dict:
        return self._overdracht_details() if self.keuze_werkvoorraad is WerkvoorraadKeuze.overdracht else {}


class _UitkomstBeslissing(_OverdrachtVelden, BeslissingInvoer):
    """An outcome (field `uitkomst`, declared by each subclass): each choice leads to one state
    (`NAAR`); a choice for overdracht asks for its details."""

    NAAR: ClassVar[dict]

    @property
    def keuze(self) -> str:
        return self.uitkomst.value

    def fouten(self, ctx: CasusContext) -> list[str]:
        return self._overdracht_fouten(ctx) if self.NAAR[self.uitkomst] is S.overdracht else []

    def naar(self, ctx: CasusContext) -> Status:
        return self.NAAR[self.uitkomst]

    def details(self) -> dict:
        return self._overdracht_details() if self.NAAR[self.uitkomst] is S.overdracht else {}


class UitkomstOnderzoekBeslissing(_VenVVelden, _UitkomstBeslissing):
    """After an onderzoek: the melder hears the outcome (terugkoppeling)."""

    moment: ClassVar[Beslismoment] = Beslismoment.uitkomst_onderzoek
    vraag: ClassVar[str] = "Uitkomst van het onderzoek"
    NAAR: ClassVar[dict] = {
        UitkomstOnderzoek.afsluiten: S.afgesloten,
        UitkomstOnderzoek.overdracht: S.overdracht,
        UitkomstOnderzoek.voorwaarden_en_vervolg: S.voorwaarden_en_vervolg,
        UitkomstOnderzoek.rvdk_verzoek: S.rvdk_verzoek,
    }
    uitkomst: UitkomstOnderzoek = _veld("Uitkomst van het onderzoek", 1)

    def fouten(self, ctx: CasusContext) -> list[str]:
        if self.uitkomst is UitkomstOnderzoek.voorwaarden_en_vervolg:
            return self._venv_fouten(ctx)
        return super().fouten(ctx)

    def details(self) -> dict:
        if self.uitkomst is UitkomstOnderzoek.voorwaarden_en_vervolg:
            return {"lokaal_team": self.lokaal_team}
        return super().details()

    def stelt_voorwaarden(self) -> bool:
        return self.uitkomst is UitkomstOnderzoek.voorwaarden_en_vervolg

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        return Nazorg([_terugkoppeling("terugkoppeling_onderzoek", besluit)]) + super().nazorg(besluit)


def voorstel_warme_overdracht(team_code: str) -> dict:
    """Start values of the outcome form of a joint onderzoek: a warm handover (driegesprek) to
    the team that joined from the start, which keeps the lead (seed 003)."""
    return {"uitkomst": UitkomstOnderzoek.overdracht.value, "lokaal_team": team_code,
            "overdracht_type": OverdrachtType.warm.value, "regie": Regie.lokaal_team.value}


class UitkomstVenVBeslissing(_UitkomstBeslissing):
    moment: ClassVar[Beslismoment] = Beslismoment.uitkomst_venv
    vraag: ClassVar[str] = "Uitkomst van Voorwaarden & Vervolg"
    NAAR: ClassVar[dict] = {
        UitkomstVenV.monitoring: S.monitoring,
        UitkomstVenV.overdracht: S.overdracht,
        UitkomstVenV.onderzoek: S.onderzoek,
        UitkomstVenV.afsluiten: S.afgesloten,
    }
    uitkomst: UitkomstVenV = _veld(
        "Uitkomst van Voorwaarden & Vervolg", 1,
        "Monitoring: de voorwaarden houden stand en liggen bij een partner; Veilig Thuis blijft volgen. "
        "Onderzoek: de voorwaarden worden niet nageleefd.",
    )


class UitkomstRvdKBeslissing(_UitkomstBeslissing):
    moment: ClassVar[Beslismoment] = Beslismoment.uitkomst_rvdk
    vraag: ClassVar[str] = "Vervolg na het verzoek aan de Raad voor de Kinderbescherming"
    NAAR: ClassVar[dict] = {
        UitkomstRvdK.overdracht: S.overdracht,
        UitkomstRvdK.monitoring: S.monitoring,
        UitkomstRvdK.afsluiten: S.afgesloten,
    }
    uitkomst: UitkomstRvdK = _veld("Vervolg na het verzoek aan de Raad voor de Kinderbescherming", 1)


class OverdrachtVastleggen(BeslissingInvoer):
    """For a casus that reached the handover without its details (e.g. imported or demo data)."""

    moment: ClassVar[Beslismoment] = Beslismoment.overdracht_gegevens
    vraag: ClassVar[str] = "Overdracht: lokaal team, soort en regie"
    lokaal_team: str = _veld("Lokaal team", 1, "Het team van de gemeente van de casus dat de zorg overneemt.")
    overdracht_type: OverdrachtType = _veld("Soort overdracht", 2, "Standaard de voorkeur van de gemeente.")
    regie: Regie = _veld("Wie heeft de regie", 3)

    @property
    def keuze(self) -> str:
        return self.overdracht_type.value

    def fouten(self, ctx: CasusContext) -> list[str]:
        return _OverdrachtVelden(lokaal_team=self.lokaal_team, overdracht_type=self.overdracht_type,
                                 regie=self.regie)._overdracht_fouten(ctx)

    def naar(self, ctx: CasusContext) -> None:
        return None

    def details(self) -> dict:
        return {"lokaal_team": self.lokaal_team, "type": self.overdracht_type, "regie": self.regie}

    @classmethod
    def beginwaarden(cls, gemeente: GemeenteInstelling, regie: str | None) -> dict:
        return _OverdrachtVelden.beginwaarden(gemeente, regie)


class DriegesprekPlannen(BeslissingInvoer):
    """A warm handover: the family gets an invitation letter, the lokaal team an e-mail."""

    moment: ClassVar[Beslismoment] = Beslismoment.driegesprek
    vraag: ClassVar[str] = "Warme overdracht: plan het driegesprek"
    datum_tijd: dt.datetime = _veld("Datum en tijd van het driegesprek", 1)
    locatie: Locatie = _veld(
        "Locatie", 2, "Komt in de uitnodiging aan het lokaal team; daarom een keuze en geen adres."
    )
    deelnemers: list[Deelnemer] = _veld(
        "Deelnemers", 3, "Bij een warme overdracht: het gezin, Veilig Thuis en de consulent van het lokaal team.",
        default_factory=lambda: list(STANDAARD_DEELNEMERS),
    )

    @property
    def keuze(self) -> str:
        return "gepland"

    @classmethod
    def beginwaarden(cls, gemeente: GemeenteInstelling, regie: str | None) -> dict:
        # Tomorrow, without a time: the person fills in the time (Dutch time), and checks the date.
        return {"datum_tijd": dt.datetime.now(AMSTERDAM).date() + dt.timedelta(days=1)}

    def fouten(self, ctx: CasusContext) -> list[str]:
        fouten = []
        if self.datum_tijd.tzinfo is None:
            fouten.append("Geef de datum en tijd van het driegesprek met tijdzone.")
        elif ctx.nu and self.datum_tijd < ctx.nu:
            fouten.append("Het driegesprek ligt in het verleden; kies een moment vanaf nu.")
        ontbrekend = [d.value for d in STANDAARD_DEELNEMERS if d not in self.deelnemers]
        if ontbrekend:
            fouten.append(
                "Een warme overdracht is een driegesprek: ook nodig zijn " + ", ".join(ontbrekend) + "."
            )
        return fouten

    def naar(self, ctx: CasusContext) -> None:
        return None

    def details(self) -> dict:
        return {"datum_tijd": self.datum_tijd.isoformat(), "locatie": self.locatie,
                "deelnemers": sorted(d.value for d in set(self.deelnemers))}

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        overdracht = besluit.overdracht or {}
        uitnodiging = BriefOpdracht("uitnodiging_driegesprek", {
            "lokaal_team_code": overdracht["lokaal_team_code"],
            "datum": overdracht["driegesprek_op"],
            "plaats": LOCATIE_OMSCHRIJVING[Locatie(overdracht["locatie"])],
            "locatie": overdracht["locatie"],  # its address: models/regels/locaties.py
            "deelnemers": [DEELNEMER_OMSCHRIJVING[Deelnemer(d)] for d in overdracht["deelnemers"]],
        })
        return Nazorg([uitnodiging], [Bericht.driegesprek_uitnodiging]) + super().nazorg(besluit)


def _nl_tijd(moment: dt.datetime) -> str:
    return f"{moment.astimezone(AMSTERDAM):%d-%m-%Y} om {moment.astimezone(AMSTERDAM):%H:%M}"


class OverdrachtAfronden(BeslissingInvoer):
    """The lokaal team took over: the family gets a confirmation naming who holds regie. A warm
    handover is completed only after its driegesprek; a driegesprek that was moved is recorded
    with its new moment, and the casus waits for it."""

    moment: ClassVar[Beslismoment] = Beslismoment.overdracht_afronden
    vraag: ClassVar[str] = "Overdracht afronden"
    regie: Regie = _veld("Wie heeft de regie na de overdracht", 1,
                         "Staat vast in de audittrail; het gezin krijgt een bevestiging.")
    driegesprek_verplaatst: bool = _veld(
        "Bij een warme overdracht: het driegesprek is verplaatst", 10,
        "Aanzetten als het driegesprek op een ander moment plaatsvindt; vul dan het nieuwe moment in. De "
        "overdracht wordt dan nog niet afgerond.", default=False,
    )
    nieuw_driegesprek_op: dt.datetime | None = _veld("Nieuw moment van het driegesprek", 11, default=None)

    @property
    def keuze(self) -> str:
        return "driegesprek_verplaatst" if self.driegesprek_verplaatst else "afgerond"

    def fouten(self, ctx: CasusContext) -> list[str]:
        if self.driegesprek_verplaatst:
            if ctx.driegesprek_op is None:
                return ["Er is geen driegesprek gepland; zet 'het driegesprek is verplaatst' uit."]
            if self.nieuw_driegesprek_op is None:
                return ["Vul bij een verplaatst driegesprek de nieuwe datum en tijd in."]
            if ctx.nu and self.nieuw_driegesprek_op < ctx.nu:
                return ["Het nieuwe moment van het driegesprek ligt in het verleden; kies een moment vanaf nu."]
            return []
        if ctx.driegesprek_op and ctx.nu and ctx.nu < ctx.driegesprek_op:
            return [f"Het driegesprek is gepland op {_nl_tijd(ctx.driegesprek_op)} en heeft nog niet "
                    "plaatsgevonden. Rond de overdracht af na het driegesprek, of zet 'het driegesprek is "
                    "verplaatst' aan en vul het nieuwe moment in."]
        return []

    def naar(self, ctx: CasusContext) -> Status | None:
        return None if self.driegesprek_verplaatst else S.monitoring

    def details(self) -> dict:
        if self.driegesprek_verplaatst:
            return {"driegesprek_op": self.nieuw_driegesprek_op.isoformat()}
        return {"regie": self.regie}

    @classmethod
    def beginwaarden(cls, gemeente: GemeenteInstelling, regie: str | None) -> dict:
        return {"regie": regie} if regie else {}

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        if besluit.keuze != "afgerond":  # moved: a new invitation with the new moment, no confirmation yet
            return DriegesprekPlannen.nazorg(besluit)
        overdracht = besluit.overdracht or {}
        bevestiging = BriefOpdracht("overdracht_bevestiging", {
            "lokaal_team_code": overdracht["lokaal_team_code"], "regie": overdracht["regie"],
        })
        return Nazorg([bevestiging]) + super().nazorg(besluit)


class UitkomstOverdrachtstafel(BeslissingInvoer):
    """Continuity plan: the family was registered with the lokaal team and discussed at the
    overdrachtstafel (seed 004). The team takes over (the family gets the handover letter), takes
    over with VT helping to set the safety conditions (Voorwaarden & Vervolg with that team), or
    the casus returns to VT (the werkvoorraad while the plan lasts)."""

    moment: ClassVar[Beslismoment] = Beslismoment.overdrachtstafel
    vraag: ClassVar[str] = "Uitkomst van de overdrachtstafel"
    uitkomst: TafelUitkomst = _veld(
        "Uitkomst van de overdrachtstafel", 1,
        "Het team neemt over: de overdracht is rond, het gezin krijgt een brief en monitoring volgt. Met hulp "
        "van Veilig Thuis: het team neemt over en Veilig Thuis helpt de veiligheidsvoorwaarden te stellen "
        "(Voorwaarden & Vervolg). Terug naar Veilig Thuis: het team neemt niet over; de casus gaat naar de "
        "werkvoorraad zolang het continuïteitsplan geldt.",
    )

    @property
    def keuze(self) -> str:
        return self.uitkomst.value

    def naar(self, ctx: CasusContext) -> Status:
        match self.uitkomst:
            case TafelUitkomst.team_neemt_over:
                return S.monitoring
            case TafelUitkomst.team_neemt_over_met_hulp_vt:
                return S.voorwaarden_en_vervolg
        stap = S.voorwaarden_en_vervolg
        return S.werkvoorraad if wacht_op_werkvoorraad(stap, ctx) else stap

    def details(self) -> dict:
        return {"uitkomst": self.uitkomst}

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        if besluit.keuze == TafelUitkomst.terug_naar_veilig_thuis:
            return super().nazorg(besluit)  # back on the werkvoorraad: its own letters follow from there
        overdracht = besluit.overdracht or {}
        bevestiging = BriefOpdracht("overdracht_bevestiging", {
            "lokaal_team_code": overdracht["lokaal_team_code"], "regie": Regie.lokaal_team.value,
            "vt_helpt_met_voorwaarden": besluit.keuze == TafelUitkomst.team_neemt_over_met_hulp_vt,
        })
        return Nazorg([bevestiging]) + super().nazorg(besluit)


class MonitoringBeslissing(BeslissingInvoer):
    """A monitoring moment: staff hear when a family drops out of sight."""

    moment: ClassVar[Beslismoment] = Beslismoment.monitoring
    vraag: ClassVar[str] = "Controlemoment monitoring"
    uitkomst: MonitoringUitkomst = _veld(
        "Uitkomst van het controlemoment", 1,
        "Veilig: de veiligheid houdt stand (volgende controle, of afsluiten na de laatste). Niet veilig: "
        "terug naar Veilig Thuis voor een nieuwe veiligheidsbeoordeling. Buiten beeld: het gezin is "
        "verhuisd of werkt niet mee; dit wordt gemeld en de casus blijft open.",
    )
    reden_buiten_beeld: BuitenBeeldReden | None = _veld("Bij buiten beeld: reden", 10, default=None)

    @property
    def keuze(self) -> str:
        return self.uitkomst.value

    def fouten(self, ctx: CasusContext) -> list[str]:
        if self.uitkomst is MonitoringUitkomst.buiten_beeld and self.reden_buiten_beeld is None:
            return ["Kies bij 'buiten beeld' de reden (verhuisd, werkt niet mee of onbereikbaar)."]
        if self.uitkomst is MonitoringUitkomst.buiten_beeld and ctx.buiten_beeld:
            return ["Deze casus staat al als buiten beeld gemeld. Kies veilig (weer in beeld), niet veilig of afsluiten."]
        return []

    def naar(self, ctx: CasusContext) -> Status | None:
        # 'veilig' stays in monitoring until the last moment: decided with the moments (see volgend_monitoringmoment).
        return {
            MonitoringUitkomst.niet_veilig: S.veiligheidsbeoordeling,
            MonitoringUitkomst.afsluiten: S.afgesloten,
        }.get(self.uitkomst)

    def details(self) -> dict:
        return {"reden": self.reden_buiten_beeld} if self.reden_buiten_beeld else {}

    @classmethod
    def nazorg(cls, besluit: Gevolgd) -> Nazorg:
        eigen = Nazorg(berichten=[Bericht.buiten_beeld] if besluit.keuze == MonitoringUitkomst.buiten_beeld else [])
        return eigen + super().nazorg(besluit)


# THE table of decisions: one row (one class) per kind. Its effect on the casus is the row of
# the same moment in models.dossier.voortgang.EFFECTEN.
BESLISSINGEN: dict[Beslismoment, type[BeslissingInvoer]] = {
    model.moment: model
    for model in (
        AcuteActieVastleggen, BesluitNaVeiligheidsbeoordeling, WerkvoorraadBeslissing,
        UitkomstOnderzoekBeslissing, UitkomstVenVBeslissing, UitkomstRvdKBeslissing,
        OverdrachtVastleggen, DriegesprekPlannen, OverdrachtAfronden, UitkomstOverdrachtstafel,
        MonitoringBeslissing,
    )
}


def nazorg(besluit: Gevolgd) -> Nazorg:
    """The letters and e-mails a stored decision owes, by the protocol: its kind says which."""
    return BESLISSINGEN[besluit.moment].nazorg(besluit)

"""Staff actions in the Prefect UI: a deployment per action, started with *Run* and a Dutch form
(`deployments.met_formulier`). Each records who did it, does nothing twice when the same form is
sent again, and ends with a Dutch message: Completed with what was done, or Failed with why not
(nothing stored then).

The forms below are the deployments' run forms. Every field is required (both UIs add
"(Optional)" to the others); a default fills in the usual answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from prefect import flow
from prefect.states import Completed, Failed
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from models.dossier.knelpunt import UITLEG_TEKST
from models.regels.bewaartermijn import VANDAAG
from models.regels.perioden import LAATSTE
from models.regels.zgw import ALLE
from models.regels.instellingen import TermijnSoort
from models.regels.toegang import SYSTEEM
from models.regels.weergave import label
from tasks.acties import leg_activiteit_vast, leg_contact_vast, pas_termijn_aan, wissel_capaciteitsmodus
from tasks.rapportage import HELE_REGIO


def uw_naam(positie: int) -> Any:
    """Who does it: not on the form (SkipJsonSchema); the gateway (web.toegang) puts the logged-in
    account in the run's parameters, a run without it (CLI, schedule, test) is the system's."""
    return Field(SYSTEEM, min_length=2, max_length=120, json_schema_extra={"position": positie})


Door = SkipJsonSchema[str]


class _Formulier(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BerichtOpnieuwFormulier(_Formulier):
    berichtnummer: int = Field(
        title="Berichtnummer", gt=0, json_schema_extra={"position": 0},
        description="Het nummer uit de e-mail 'Bericht kon niet worden bezorgd'.",
    )
    door: Door = uw_naam(1)


class BriefOpnieuwFormulier(_Formulier):
    briefnummer: int = Field(
        title="Briefnummer", gt=0, json_schema_extra={"position": 0},
        description="Het nummer uit de e-mail 'Brief kon niet worden bezorgd'.",
    )
    door: Door = uw_naam(1)


class RapportFormulier(_Formulier):
    periode_eind: str = Field(
        LAATSTE, title="Laatste dag van de periode", min_length=1, json_schema_extra={"position": 0},
        description=f"Dag-maand-jaar, bijvoorbeeld 22-11-2026 (een zondag). Laat '{LAATSTE}' staan voor de "
                    "laatste afgesloten periode.",
    )
    opnieuw_versturen: bool = Field(
        False, title="Opnieuw versturen", json_schema_extra={"position": 1},
        description="Aan: ook versturen als deze periode al verstuurd is (als nieuwe versie).",
    )


class BewaartermijnFormulier(_Formulier):
    proefdraai: bool = Field(
        False, title="Proefdraai", json_schema_extra={"position": 0},
        description="Aan: alleen tonen wat er zou worden vernietigd (artefact 'bewaartermijn-proefdraai'); "
                    "er wordt niets gewijzigd.",
    )
    peildatum: str = Field(
        VANDAAG, title="Peildatum (alleen bij een proefdraai)", min_length=1, json_schema_extra={"position": 1},
        description=f"Dag-maand-jaar, bijvoorbeeld 01-03-2047: welke casussen dan aan de beurt zijn. Laat "
                    f"'{VANDAAG}' staan voor nu; echt vernietigen gebeurt altijd nu.",
    )


class ZgwExportFormulier(_Formulier):
    sinds: str = Field(
        ALLE, title="Alleen casussen gewijzigd sinds", min_length=1, json_schema_extra={"position": 0},
        description=f"Dag-maand-jaar, bijvoorbeeld 01-11-2026. Laat '{ALLE}' staan voor alle casussen.",
    )
    casus: str = Field(
        ALLE, title="Alleen deze casus", min_length=1, json_schema_extra={"position": 1},
        description=f"Een casusnummer, bijvoorbeeld VT-2026-000123. Laat '{ALLE}' staan voor alle casussen.",
    )


class KnelpuntFormulier(_Formulier):
    periode_eind: str = Field(
        title="Laatste dag van de rapportageperiode", min_length=1, json_schema_extra={"position": 0},
        description="Dag-maand-jaar, bijvoorbeeld 22-11-2026: de zondag vóór het rapportmoment.",
    )
    tekst: str = Field(title="Knelpunt", min_length=1, description=UITLEG_TEKST, json_schema_extra={"position": 1})
    gemeente: str = Field(
        HELE_REGIO, title="Gemeente", json_schema_extra={"position": 2},
        description="Kies 'hele regio' voor een knelpunt dat niet bij één gemeente hoort.",
    )
    door: Door = uw_naam(3)


CAPACITEIT_KEUZES = {"normaal werken": "normaal", "continuïteitsplan": "continuiteitsplan"}


class CapaciteitFormulier(_Formulier):
    modus: Literal["normaal werken", "continuïteitsplan"] = Field(
        title="Nieuwe werkwijze", json_schema_extra={"position": 0},
        description="Continuïteitsplan: een besluit voor een regulier onderzoek of V&V gaat naar de werkvoorraad "
                    "in plaats van te starten. Acuut, spoed, veiligheidsbeoordelingen, overdrachten en monitoring "
                    "gaan gewoon door. Geldt meteen, voor het volgende besluit.",
    )
    reden: str = Field(
        title="Reden", min_length=3, max_length=300, json_schema_extra={"position": 1},
        description="Waarom, in een zin (bijvoorbeeld 'drie zieken in het onderzoeksteam'). Nooit iets over een gezin.",
    )
    door: Door = uw_naam(2)


CONTACT_VORMEN = {"telefoon": "telefoon", "huisbezoek": "huisbezoek", "op kantoor": "op_kantoor", "video": "video"}
BEREIKT = {"ja, het gezin gesproken": True, "nee, niet bereikt (alleen een poging)": False}


class ContactFormulier(_Formulier):
    casus: str = Field(
        title="Casusnummer", pattern=r"^\s*[Vv][Tt]-\d{4}-\d{6}\s*$", json_schema_extra={"position": 0},
        description="Uit de lijst 'Contact met wachtende gezinnen', bijvoorbeeld VT-2026-000123.",
    )
    uitkomst: Literal["ja, het gezin gesproken", "nee, niet bereikt (alleen een poging)"] = Field(
        title="Gezin gesproken?", json_schema_extra={"position": 1},
        description="Alleen een contact waarin u het gezin sprak, telt als contact; na een poging blijft het "
                    "gezin op de lijst.",
    )
    vorm: Literal["telefoon", "huisbezoek", "op kantoor", "video"] = Field(
        "telefoon", title="Hoe", json_schema_extra={"position": 2},
    )
    datum: dt.date = Field(title="Datum van het contact", json_schema_extra={"position": 3})
    tijd: str = Field(
        title="Tijd van het contact", pattern=r"^\s*\d{1,2}[:.]\d{2}\s*$", json_schema_extra={"position": 4},
        description="Uren:minuten, Nederlandse tijd, bijvoorbeeld 14:30.",
    )
    door: Door = uw_naam(5)


TERMIJN_KEUZES = {label(soort.value): soort.value for soort in TermijnSoort}
TERMIJN_ACTIES = ("verlengen", "opschorten", "hervatten")


class TermijnFormulier(_Formulier):
    casus: str = Field(
        title="Casusnummer", pattern=r"^\s*[Vv][Tt]-\d{4}-\d{6}\s*$", json_schema_extra={"position": 0},
        description="Bijvoorbeeld VT-2026-000123 (uit de e-mail over de termijn).",
    )
    termijn: Literal[tuple(TERMIJN_KEUZES)] = Field(title="Termijn", json_schema_extra={"position": 1})
    wat: Literal[TERMIJN_ACTIES] = Field(
        "verlengen", title="Wat", json_schema_extra={"position": 2},
        description="Verlengen: een latere vervaldatum. Opschorten: de klok staat stil (bijvoorbeeld tot het gezin "
                    "informatie geeft), geen waarschuwingen of escalaties. Hervatten: na opschorten; de vervaldatum "
                    "schuift op met de stilstand.",
    )
    nieuwe_vervaldatum: str = Field(
        "", title="Bij verlengen: nieuwe vervaldatum", json_schema_extra={"position": 3},
        description="Dag-maand-jaar, bijvoorbeeld 18-12-2026; de termijn loopt tot het einde van die werkdag. "
                    "Leeg laten bij opschorten of hervatten.",
    )
    reden: str = Field(
        "", title="Reden", max_length=300, json_schema_extra={"position": 4},
        description="Verplicht bij verlengen en opschorten; komt in de audittrail. Geen persoonsgegevens.",
    )
    termijnnummer: int = Field(
        0, title="Termijnnummer", ge=0, json_schema_extra={"position": 5},
        description="Alleen als de casus meer open termijnen van deze soort heeft (zoals monitoring): het nummer "
                    "dat de melding 'kies er één' noemt. Anders 0.",
    )
    door: Door = uw_naam(6)


ACTIVITEIT_SOORTEN = {"voorlichting": "voorlichting", "deskundigheidsbevordering": "deskundigheidsbevordering"}


class ActiviteitFormulier(_Formulier):
    """A voorlichting or deskundigheidsbevordering given for a gemeente (plustaken, seed 003)."""

    datum: dt.date = Field(title="Datum van de activiteit", json_schema_extra={"position": 0})
    gemeente: str = Field(
        title="Gemeente", json_schema_extra={"position": 1},
        description="De gemeente die de plustaak afneemt en voor wie de activiteit was.",
    )
    soort: Literal["voorlichting", "deskundigheidsbevordering"] = Field(
        title="Soort", json_schema_extra={"position": 2},
        description="Voorlichting: bijvoorbeeld op een kinderdagverblijf, over signalen en wat Veilig Thuis doet. "
                    "Deskundigheidsbevordering: bijvoorbeeld aansluiten bij een werkoverleg van het sociale team.",
    )
    doelgroep: str = Field(
        title="Doelgroep", min_length=2, max_length=120, json_schema_extra={"position": 3},
        description="Welke professionals, bijvoorbeeld 'pedagogisch medewerkers kinderdagverblijf' of 'sociaal "
                    "team Helmond-Noord'. Nooit iets over een gezin.",
    )
    uren: float = Field(
        title="Uren", gt=0, le=24, json_schema_extra={"position": 4},
        description="Bestede uren, inclusief voorbereiding; in kwartieren (1,5 = anderhalf uur).",
    )
    deelnemers: int = Field(title="Aantal deelnemers", ge=0, le=10_000, json_schema_extra={"position": 5})
    door: Door = uw_naam(6)


class JaaroverzichtFormulier(_Formulier):
    jaar: int = Field(
        title="Jaar", ge=2000, le=2100, json_schema_extra={"position": 0},
        description="Het kalenderjaar van het overzicht; het lopende jaar telt tot vandaag.",
    )


def _uitkomst(melding: str | None, weigering: str | None):
    """Completed with what was done, or Failed with why not: the message is what staff read."""
    if weigering is not None:
        return Failed(name="Niet gelukt", message=weigering)
    return Completed(name="Gedaan", message=melding)


@flow(name="capaciteitsmodus-wisselen", log_prints=False)
def capaciteitsmodus_wisselen(modus: str, reden: str, door: str = SYSTEEM):
    """Zet het continuïteitsplan aan of uit, voor elk volgend besluit, zonder herstart."""
    return _uitkomst(*wissel_capaciteitsmodus(CAPACITEIT_KEUZES.get(modus, modus), reden, door))


@flow(name="contact-vastleggen", log_prints=False)
def contact_vastleggen(casus: str, uitkomst: str, vorm: str, datum: dt.date, tijd: str, door: str = SYSTEEM):
    """Leg een contact (of poging) met een gezin op de werkvoorraad vast."""
    return _uitkomst(*leg_contact_vast(
        casus, BEREIKT.get(uitkomst), CONTACT_VORMEN.get(vorm, vorm), datum, tijd, door,
    ))


@flow(name="termijn-aanpassen", log_prints=False)
def termijn_aanpassen(casus: str, termijn: str, wat: str, nieuwe_vervaldatum: str, reden: str, termijnnummer: int,
                      door: str = SYSTEEM):
    """Verleng een termijn, schort hem op of hervat hem, met een reden."""
    return _uitkomst(*pas_termijn_aan(casus, TERMIJN_KEUZES.get(termijn, termijn), wat, nieuwe_vervaldatum, reden,
                                      termijnnummer, door))


@flow(name="plustaak-activiteit-vastleggen", log_prints=False)
def plustaak_activiteit_vastleggen(datum: dt.date, gemeente: str, soort: str, doelgroep: str, uren: float,
                                   deelnemers: int, door: str = SYSTEEM):
    """Leg een voorlichting of deskundigheidsbevordering (plustaak) voor een gemeente vast."""
    return _uitkomst(*leg_activiteit_vast(datum, gemeente, ACTIVITEIT_SOORTEN.get(soort, soort), doelgroep, uren,
                                          deelnemers, door))

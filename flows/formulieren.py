"""The forms staff fill in in the Prefect UI, and waiting for them.

A form is a Prefect `RunInput`: the UI shows its JSON schema with the Dutch `title` and
`description` of each field, in the order of `json_schema_extra={"position": n}`. The UI only
checks the schema; the rules (`models.regels.besluiten`, `MeldingInvoer`) run in our own tasks after
resume, which refuse an invalid form with Dutch reasons and ask again.

`vraag_invoer` suspends the run until the form is submitted. A flow re-runs from the top on
resume, so it asks again at the same place: it then finds the pause key already used and the
answer stored, and returns that key. Every pause key is unique per decision occurrence and per
attempt (an invalid form gets a new attempt), and answers are deleted after reading, so a key
is never reused.
"""

from __future__ import annotations

import copy
import types
import typing
from enum import Enum
from typing import Any, Literal

from prefect import get_client
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

from models.regels.besluiten import BESLISSINGEN, Beslismoment
from models.dossier.registratie import MeldingInvoer
from tasks.invoer import lees_invoer

# --- waiting for a person -------------------------------------------------------------------------


def _poging(basis: str, nummer: int) -> str:
    return basis if nummer == 1 else f"{basis}-poging-{nummer}"


def vraag_invoer(formulier: type[RunInput], basis: str, beschrijving: str, **beginwaarden: Any) -> str:
    """Suspend this run until staff submit `formulier`; returns the pause key whose answer is
    stored (read it with tasks.invoer inside a task). Suspends without a timeout: a decision may
    take days, and the deadline watch escalates late decisions, not Prefect."""
    run_id = FlowRunContext.get().flow_run.id
    with get_client(sync_client=True) as client:
        gebruikt = client.read_flow_run(run_id).empirical_policy.pause_keys or set()
    nummer = 1
    while _poging(basis, nummer) in gebruikt:
        nummer += 1
    if nummer > 1 and lees_invoer(run_id, _poging(basis, nummer - 1)) is not None:
        return _poging(basis, nummer - 1)  # resumed: the answer to the last attempt waits
    sleutel = _poging(basis, nummer)
    suspend_flow_run(wait_for_input=_met_beginwaarden(formulier, beschrijving, beginwaarden), key=sleutel)
    return sleutel  # only reached when Prefect reports this pause as already answered


def _met_beginwaarden(formulier: type[RunInput], beschrijving: str, beginwaarden: dict) -> type[RunInput]:
    """`formulier` with the explanation above it and start values in its fields. Unlike
    `RunInput.with_initial_data`, which rebuilds each field from its bare type, this keeps the
    Dutch label, help text and position of every field."""
    velden = {}
    for naam, waarde in beginwaarden.items():
        info = copy.copy(formulier.model_fields[naam])
        info.default, info.default_factory = waarde, None
        velden[naam] = (info.annotation, info)
    model = create_model(formulier.__name__, __base__=formulier, **velden)
    model._description = beschrijving
    return model


# --- decision forms -----------------------------------------------------------------------------


def beslisformulier(moment: Beslismoment, teams: list[str], beginwaarden: dict) -> type[RunInput]:
    """The form of one decision (`models.regels.besluiten`): the lokaal team is a choice among the
    teams of the casus's gemeente, and an optional field with a sensible default is shown as a
    plain choice with that default (the UI renders `X | None` as two tabs)."""
    model = BESLISSINGEN[moment]
    velden = {}
    for naam, info in model.model_fields.items():
        optioneel, soort = _is_optioneel(info.annotation)
        if naam == "lokaal_team":
            soort = Enum("LokaalTeam", {team: team for team in teams}, type=str)
        elif not (optioneel and naam in beginwaarden):
            continue
        velden[naam] = (soort, Field(beginwaarden.get(naam, teams[0] if naam == "lokaal_team" else None),
                                     title=info.title, description=info.description,
                                     json_schema_extra=info.json_schema_extra))
    return create_model(f"{model.__name__}Formulier", __base__=(model, RunInput), **velden)


# --- the intake form ------------------------------------------------------------------------------

# Dutch labels of the fields of MeldingInvoer and its parts. A field added to MeldingInvoer later
# shows up in the form by itself, with its own description.
_LABELS: dict[str, tuple[str, str | None]] = {
    "ontvangen_op": ("Ontvangen op", "Datum en tijd waarop de melding binnenkwam."),
    "gemeente_code": ("Gemeente", "Gemeente waar het gezin woont (zie de lijst hierboven)."),
    "kanaal": ("Kanaal", "Hoe kwam de melding binnen?"),
    "urgentie": ("Urgentie", "Acuut: de crisisdienst krijgt direct een e-mail. Spoed: met voorrang. "
                             "Regulier: de gewone weg."),
    "omschrijving": ("Omschrijving", "Wat is er gemeld? Wordt versleuteld in het dossier opgeslagen."),
    "melder": ("Melder", "Wie meldt? Kies soort 'anoniem' zonder naam, telefoon of e-mail."),
    "adres": ("Adres van het gezin", None),
    "MelderInvoer.adres": ("Adres van de melder", "Voor de terugkoppeling per post; leeg laten als die per "
                                                 "e-mail gaat of de melder anoniem is."),
    "personen": ("Betrokkenen", "De directbetrokkenen: ten minste één persoon."),
    "soort": ("Soort melder", None),
    "naam": ("Naam", None),
    "telefoon": ("Telefoon", None),
    "email": ("E-mailadres", None),
    "wil_terugkoppeling": ("Wil terugkoppeling", "Wettelijke plicht: de melder hoort na de "
                                                 "veiligheidsbeoordeling en na een onderzoek wat er gebeurt."),
    "straat_huisnummer": ("Straat en huisnummer", None),
    "postcode": ("Postcode", "1234 AB"),
    "woonplaats": ("Woonplaats", None),
    "rol": ("Rol", None),
    "geboortedatum": ("Geboortedatum", "JJJJ-MM-DD; leeg als onbekend."),
    "bsn": ("BSN", "Negen cijfers; leeg als onbekend."),
    "brief_per_email": ("Brieven per e-mail", "Alleen als de melder daarmee instemt; anders per post."),
    "gezin_email": ("E-mailadres van het gezin", "Alleen nodig als het gezin brieven per e-mail wil."),
    "gezin_brief_per_email": ("Gezin wil brieven per e-mail", "Alleen met instemming van het gezin; anders per post."),
}
_NIET_IN_FORMULIER = {"bron", "extern_id"}  # set by the intake flow itself


def _is_optioneel(annotatie) -> tuple[bool, Any]:
    if typing.get_origin(annotatie) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotatie) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotatie)) == 2:
            return True, args[0]
    return False, annotatie


def _formulierveld(model: type[BaseModel], naam: str, info: FieldInfo, positie: int,
                   alles_optioneel: bool) -> tuple[Any, FieldInfo]:
    """A plain form field for one field of the validated model: optional values become text or
    a switch with a default (no `X | None` unions in the form), nested models become nested
    forms (an optional one with every field optional: left empty, it is left out). Constraints
    stay with the model: it explains them in Dutch after submit."""
    titel, uitleg = _LABELS.get(f"{model.__name__}.{naam}") or _LABELS.get(naam) or (naam.replace("_", " ").capitalize(), None)
    extra = dict(title=titel, description=uitleg or info.description, json_schema_extra={"position": positie})
    optioneel, soort = _is_optioneel(info.annotation)
    optioneel = optioneel or alles_optioneel
    if isinstance(soort, type) and issubclass(soort, BaseModel):
        genest = _formulier_van(soort, alles_optioneel=optioneel)
        return genest, Field(default_factory=genest, **extra) if optioneel else Field(**extra)
    if typing.get_origin(soort) is list:
        [element] = typing.get_args(soort)
        if isinstance(element, type) and issubclass(element, BaseModel):
            return list[_formulier_van(element)], Field(**extra)
    if soort is bool:
        return bool, Field(bool(info.default) if not info.is_required() else False, **extra)
    if optioneel and not (isinstance(soort, type) and issubclass(soort, Enum)):
        return str, Field("", **extra)
    if optioneel:
        return soort | None, Field(None, **extra)
    if soort is str:
        return str, Field(**extra)
    return soort, Field(**extra) if info.is_required() else Field(info.default, **extra)


def _formulier_van(model: type[BaseModel], basis: type[BaseModel] = BaseModel,
                   alles_optioneel: bool = False) -> type[BaseModel]:
    velden = {
        naam: _formulierveld(model, naam, info, positie, alles_optioneel)
        for positie, (naam, info) in enumerate(model.model_fields.items(), start=10)
        if naam not in _NIET_IN_FORMULIER
    }
    naam = f"{model.__name__.removesuffix('Invoer')}{'Optioneel' if alles_optioneel else ''}Formulier"
    return create_model(naam, __base__=basis, **velden)


def intakeformulier(gemeenten: list[str]) -> type[RunInput]:
    """The form for a new melding: the fields of MeldingInvoer, plus who enters it."""
    formulier = _formulier_van(MeldingInvoer, basis=RunInput)
    gemeente = formulier.model_fields["gemeente_code"]
    return create_model(
        "MeldingFormulier", __base__=formulier,
        door=(str, Field(title="Uw naam", description="Wie registreert de melding? Komt in de audittrail.",
                         min_length=2, max_length=120, json_schema_extra={"position": 0})),
        gemeente_code=(Literal[tuple(gemeenten)], Field(title=gemeente.title, description=gemeente.description,
                                                        json_schema_extra=gemeente.json_schema_extra)),
    )

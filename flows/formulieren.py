"""The forms staff fill in in the Prefect UI, and waiting for them.

A form is a Prefect `RunInput`: the UI shows its JSON schema with the Dutch `title` and
`description` of each field, in the order of `json_schema_extra={"position": n}`. The UI only
checks the schema; the rules (`models.regels.besluiten`, `MeldingInvoer`) run in our own tasks after
resume, which refuse an invalid form with Dutch reasons and ask again.

`vraag_invoer` suspends the run until the form is submitted. A flow re-runs from the top on
resume, so it comes to the same place again: `wachtend_antwoord` then finds the pause key used
and the answer stored, and returns that key. Every pause key is unique per decision occurrence and per
attempt (an invalid form gets a new attempt), and answers are deleted after reading, so a key
is never reused.
"""

from __future__ import annotations

import copy
import datetime as dt
import typing
from enum import Enum
from typing import Any

from prefect import get_client
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema

from models.regels import weergave
from models.regels.besluiten import BESLISSINGEN, Beslismoment
from models.dossier.registratie import MeldingInvoer
from models.regels.toegang import SYSTEEM
from tasks.invoer import lees_invoer, neem_geweigerd

# Fields the system fills in: never taken over from a refused answer.
_VAN_HET_SYSTEEM = {"formulier_voor", "toelichting", "door"}

# --- waiting for a person -------------------------------------------------------------------------


def _poging(basis: str, nummer: int) -> str:
    return basis if nummer == 1 else f"{basis}-poging-{nummer}"


def _pogingen(run_id, basis: str) -> int:
    """How many attempts of the form with pause key `basis` this run has shown."""
    with get_client(sync_client=True) as client:
        gebruikt = client.read_flow_run(run_id).empirical_policy.pause_keys or set()
    nummer = 0
    while _poging(basis, nummer + 1) in gebruikt:
        nummer += 1
    return nummer


def wachtend_antwoord(basis: str) -> str | None:
    """The pause key whose answer waits (the run was resumed with the form of `basis` filled
    in), or None: then the form still has to be shown (`vraag_invoer`)."""
    run_id = FlowRunContext.get().flow_run.id
    nummer = _pogingen(run_id, basis)
    if nummer and lees_invoer(run_id, _poging(basis, nummer)) is not None:
        return _poging(basis, nummer)
    return None


def vraag_invoer(formulier: type[RunInput], basis: str, beschrijving: str) -> str:
    """Suspend this run until staff submit `formulier` (with `beschrijving` above it); returns
    the pause key whose answer is stored (read it with tasks.invoer inside a task). After a
    refusal the form starts with everything that was typed. Suspends without a timeout: a
    decision may take days, and the deadline watch escalates late decisions, not Prefect.
    Call it once `wachtend_antwoord(basis)` found no answer waiting (both flows do, to build no
    form when one waits): asking the API again here cost every step one or two more requests."""
    run_id = FlowRunContext.get().flow_run.id
    nummer = _pogingen(run_id, basis) + 1
    sleutel = _poging(basis, nummer)
    beginwaarden = {}
    if nummer > 1 and (geweigerd := neem_geweigerd(run_id, _poging(basis, nummer - 1))):
        # A refused form comes back with what was typed; only what the system fills in is fresh.
        beginwaarden = {k: v for k, v in geweigerd.items() if k not in _VAN_HET_SYSTEEM}
    suspend_flow_run(wait_for_input=_met_beginwaarden(formulier, beschrijving, beginwaarden), key=sleutel)
    return sleutel  # only reached when Prefect reports this pause as already answered


def opgeslagen_formulier(formulier: type[RunInput], beschrijving: str) -> tuple[dict, str]:
    """(JSON schema, markdown above it) as `vraag_invoer` makes Prefect store them for a first
    attempt of `formulier`: what the bulk start stores for a run it creates at that form."""
    from prefect._internal.pydantic.v2_schema import create_v2_schema

    model = _met_beginwaarden(formulier, beschrijving, {})
    return create_v2_schema(model.__name__, model_base=model), beschrijving


def _met_beginwaarden(formulier: type[RunInput], beschrijving: str, beginwaarden: dict) -> type[RunInput]:
    """`formulier` with the explanation above it and start values in its fields. Unlike
    `RunInput.with_initial_data`, which rebuilds each field from its bare type, this keeps the
    Dutch label, help text and position of every field. Values for fields the form does not
    have are ignored."""
    velden = {}
    for naam, waarde in beginwaarden.items():
        if naam not in formulier.model_fields:
            continue
        info = copy.copy(formulier.model_fields[naam])
        info.default, info.default_factory = waarde, None
        velden[naam] = (info.annotation, info)
    model = create_model(formulier.__name__, __base__=formulier, **velden)
    model._description = beschrijving
    return model


def _alles_verplicht(schema: dict) -> None:
    # Every field is submitted (the UI sends its start value), so every field is "required":
    # the UI then prints no "(Optional)" after a Dutch label. Empty still means "not applicable".
    schema["required"] = list(schema.get("properties", {}))
    # The server checks an answer against this schema: it must let through `door`, which the
    # gateway adds and the form does not show (`DOOR`). The model itself still refuses the rest.
    schema.pop("additionalProperties", None)


# Who answers a form: filled in by the gateway (web.toegang) with the logged-in account, hidden
# from the form (SkipJsonSchema); without the gateway (tests, the CLI) the system.
DOOR = (SkipJsonSchema[str], Field(SYSTEEM, max_length=120))


class _Formulier(BaseModel):
    model_config = ConfigDict(json_schema_extra=_alles_verplicht)


def _keuze(naam: str, labels: list[str]) -> type[Enum]:
    # The value is the Dutch label itself: the UI shows values, not names.
    return Enum(naam, {f"k{i}": tekst for i, tekst in enumerate(labels)}, type=str)


def _formulierveld(naam: str, info: FieldInfo, titel: str, uitleg: str | None, positie: int,
                   standaard: Any, namen: dict[str, list[str]]) -> dict[str, tuple[Any, FieldInfo]]:
    """The form field(s) for one field of a validated model, in Dutch words: a choice shows
    labels (`models.regels.weergave`), an optional choice gets "Niet van toepassing", a moment
    becomes a date and a time in Dutch time, an optional value a text or switch that may stay
    empty (no `X | None`: the UI shows it as tabs named after types), `namen[naam]` a choice
    among names. The rules stay with the model: it explains them in Dutch after submit."""
    optioneel, soort = weergave.enkelvoudig(info.annotation)
    extra = dict(title=titel, description=uitleg, json_schema_extra={"position": positie})
    if isinstance(soort, type) and issubclass(soort, dt.datetime):
        if isinstance(standaard, str) and standaard:
            standaard = dt.datetime.fromisoformat(standaard)
        datum, tijd = weergave.tijd_tekst(standaard) if isinstance(standaard, dt.datetime) else (None, "")
        if isinstance(standaard, dt.date) and not isinstance(standaard, dt.datetime):
            datum = standaard.isoformat()  # a proposed day, the time left to the person
        tijdveld = Field(tijd, title=f"{titel}: tijd", description="Nederlandse tijd, bijvoorbeeld 14:00.",
                         json_schema_extra={"position": positie})
        if optioneel:  # a date picker cannot stay empty: a text field in Dutch order
            datumveld = (str, Field(datum or "", title=f"{titel}: datum",
                                    description="Bijvoorbeeld 10-12-2026; leeg als het niet van toepassing is.",
                                    json_schema_extra={"position": positie}))
        else:
            datumveld = (dt.date, Field(datum, **{**extra, "title": f"{titel}: datum"}) if datum
                         else Field(**{**extra, "title": f"{titel}: datum"}))
        return {naam + weergave.DATUM: datumveld, naam + weergave.TIJD: (str, tijdveld)}
    if naam in namen:
        labels = ([weergave.NIET_VAN_TOEPASSING] if optioneel else []) + namen[naam]
        waarde = standaard if standaard in labels else labels[0] if optioneel else None
        return {naam: (_keuze(naam, labels), Field(waarde, **extra) if waarde else Field(**extra))}
    if isinstance(soort, type) and issubclass(soort, Enum):
        labels = ([weergave.NIET_VAN_TOEPASSING] if optioneel else []) + list(weergave.keuzes(soort))
        waarde = weergave.label(standaard) if standaard not in (None, "") else labels[0] if optioneel else None
        return {naam: (_keuze(soort.__name__, labels), Field(waarde, **extra) if waarde in labels else Field(**extra))}
    if typing.get_origin(soort) is list:
        [element] = typing.get_args(soort)
        if isinstance(element, type) and issubclass(element, Enum):
            labels = list(weergave.keuzes(element))
            gekozen = [weergave.label(w) for w in (standaard or [])]
            return {naam: (list[_keuze(element.__name__, labels)], Field(gekozen, **extra))}
    if soort is bool:
        return {naam: (bool, Field(bool(standaard), **extra))}
    if optioneel or standaard is not None:
        return {naam: (str, Field("" if standaard is None else str(standaard), **extra))}
    return {naam: (soort, Field(**extra))}


def _standaard(info: FieldInfo, beginwaarden: dict, naam: str) -> Any:
    if naam in beginwaarden:
        return beginwaarden[naam]
    if info.default_factory is not None:
        return info.default_factory()
    return None if info.is_required() else info.default


# --- decision forms -----------------------------------------------------------------------------


def beslisformulier(moment: Beslismoment, teams: list[str], beginwaarden: dict, kop: str | None = None,
                    toelichting: str | None = None) -> type[RunInput]:
    """The form of one decision (`models.regels.besluiten`), in Dutch words: the lokaal team is
    a choice among the names of the teams of the casus's gemeente. Its first field carries the
    casus: `kop` and `toelichting` (refusal reasons, deadlines, teams), the one place both
    Prefect UIs show without scrolling; its value is the occurrence the form is for."""
    model = BESLISSINGEN[moment]
    velden: dict[str, tuple[Any, FieldInfo]] = {}
    for naam, info in model.model_fields.items():
        if naam == "door":  # the gateway fills it in with the logged-in account (web.toegang)
            velden[naam] = DOOR
            continue
        if naam == "formulier_voor":
            velden[naam] = (str, Field(beginwaarden.get(naam, ""), title=kop or info.title,
                                       description=toelichting or info.description,
                                       json_schema_extra={"position": -1}))
            continue
        positie = (info.json_schema_extra or {}).get("position", 50)
        velden.update(_formulierveld(naam, info, info.title or weergave.label(naam), info.description, positie,
                                     _standaard(info, beginwaarden, naam), {"lokaal_team": teams}))
    return create_model(f"{model.__name__}Formulier", __base__=(_Formulier, RunInput), **velden)


# --- the intake form ------------------------------------------------------------------------------

_NIET_IN_FORMULIER = {"bron", "extern_id"}  # set by the intake flow itself


def _formulier_van(model: type[BaseModel], basis: tuple[type[BaseModel], ...] = (_Formulier,),
                   alles_optioneel: bool = False, namen: dict[str, list[str]] | None = None,
                   beginwaarden: dict | None = None) -> type[BaseModel]:
    """A form for `model` (the intake and its parts); nested models become nested forms (an
    optional one with every field optional: left empty, it is left out)."""
    velden: dict[str, tuple[Any, FieldInfo]] = {}
    for positie, (naam, info) in enumerate(model.model_fields.items(), start=10):
        if naam in _NIET_IN_FORMULIER:
            continue
        titel, uitleg = (weergave.VELDLABELS.get(f"{model.__name__}.{naam}") or weergave.VELDLABELS.get(naam)
                         or (weergave.label(naam), None))
        uitleg = uitleg or info.description
        optioneel, soort = weergave.enkelvoudig(info.annotation)
        if isinstance(soort, type) and issubclass(soort, BaseModel):
            genest = _formulier_van(soort, alles_optioneel=optioneel or alles_optioneel)
            extra = dict(title=titel, description=uitleg, json_schema_extra={"position": positie})
            velden[naam] = (genest, Field(default_factory=genest, **extra) if optioneel or alles_optioneel
                            else Field(**extra))
            continue
        if typing.get_origin(soort) is list and issubclass(typing.get_args(soort)[0], BaseModel):
            extra = dict(title=titel, description=uitleg, json_schema_extra={"position": positie})
            velden[naam] = (list[_formulier_van(typing.get_args(soort)[0])], Field(**extra))
            continue
        if alles_optioneel and not optioneel:
            info = copy.copy(info)
            info.annotation = soort | None
        velden.update(_formulierveld(naam, info, titel, uitleg, positie,
                                     _standaard(info, beginwaarden or {}, naam), namen or {}))
    naam = f"{model.__name__.removesuffix('Invoer')}{'Optioneel' if alles_optioneel else ''}Formulier"
    return create_model(naam, __base__=basis, **velden)


def intakeformulier(gemeenten: list[str], beginwaarden: dict | None = None, kop: str | None = None,
                    toelichting: str | None = None) -> type[RunInput]:
    """The form for a new melding: the fields of MeldingInvoer, with the
    gemeente chosen by name. After a refusal `kop` and `toelichting` (the reasons) form the
    first field, where both Prefect UIs show them without scrolling."""
    formulier = _formulier_van(MeldingInvoer, basis=(_Formulier, RunInput), namen={"gemeente_code": gemeenten},
                               beginwaarden=beginwaarden)
    extra = {}
    if kop:
        extra["toelichting"] = (str, Field("(hoeft u niet in te vullen)", title=kop,
                                           description=toelichting, json_schema_extra={"position": -1}))
    # Who registers it is no field: the gateway puts the logged-in account in the answer (`door`).
    return create_model("MeldingFormulier", __base__=formulier, door=DOOR, **extra)

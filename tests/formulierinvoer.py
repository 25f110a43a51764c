"""What a test means by a form answer, in the words the form shows: tests speak in the stored
codes ("afsluiten", "GM0907", an ISO moment), the forms show Dutch labels, names and a date plus a
Dutch time (flows/formulieren.py). `als_formulier` translates, as a person choosing in the UI would."""

from __future__ import annotations

import datetime as dt

from models.regels import weergave


def _namen() -> dict[str, str]:
    """Code -> name of every gemeente and lokaal team of the active settings."""
    from models.regels.instellingen import instellingen

    regio = instellingen()
    return {g.code: g.naam for g in regio.gemeenten} | {t.code: t.naam for g in regio.gemeenten for t in g.lokale_teams}


def _keuzes(schema: dict, veld: dict, defs: dict) -> list[str] | None:
    if "$ref" in veld:
        return defs.get(veld["$ref"].rsplit("/", 1)[1], {}).get("enum")
    return veld.get("enum")


def _waarde(waarde, veld: dict, defs: dict, namen: dict[str, str]):
    if isinstance(waarde, list) and "items" in veld and "$ref" in veld["items"]:
        return [als_formulier({**defs.get(veld["items"]["$ref"].rsplit("/", 1)[1], {}), "$defs": defs}, w, namen)
                if isinstance(w, dict) else _waarde(w, veld["items"], defs, namen) for w in waarde]
    if isinstance(waarde, list) and "items" in veld:
        return [_waarde(w, veld["items"], defs, namen) for w in waarde]
    if isinstance(waarde, dict) and "$ref" in veld:
        return als_formulier({**defs.get(veld["$ref"].rsplit("/", 1)[1], {}), "$defs": defs}, waarde, namen)
    keuzes = _keuzes({}, veld, defs)
    if keuzes and isinstance(waarde, str) and waarde not in keuzes:
        for kandidaat in (namen.get(waarde), weergave.label(waarde)):
            if kandidaat in keuzes:
                return kandidaat
    if keuzes and waarde is None and weergave.NIET_VAN_TOEPASSING in keuzes:
        return weergave.NIET_VAN_TOEPASSING
    return waarde


def als_formulier(schema: dict, invoer: dict, namen: dict[str, str] | None = None) -> dict:
    """`invoer` in codes as the form of `schema` takes it; a nested part gets the start values of
    the fields the test leaves out, as the UI sends them."""
    namen = _namen() if namen is None else namen
    defs = schema.get("$defs") or schema.get("definitions") or {}
    velden = schema.get("properties", {})
    uit = {}
    if "$defs" in schema and schema.get("type") == "object" and "title" in schema:  # a nested part
        uit = {naam: veld["default"] for naam, veld in velden.items() if "default" in veld}
        for naam, veld in velden.items():
            deel = defs.get(veld.get("$ref", "").rsplit("/", 1)[-1], {})
            if naam not in uit and naam not in invoer and deel.get("type") == "object":
                uit[naam] = als_formulier({**deel, "$defs": defs}, {}, namen)
    for naam, waarde in invoer.items():
        if naam not in velden and naam + weergave.DATUM in velden:
            moment = dt.datetime.fromisoformat(waarde) if isinstance(waarde, str) else waarde
            uit[naam + weergave.DATUM], uit[naam + weergave.TIJD] = weergave.tijd_tekst(moment)
        elif naam in velden:
            uit[naam] = _waarde(waarde, velden[naam], {k.split("/")[-1]: v for k, v in defs.items()}, namen)
        else:
            uit[naam] = waarde
    return uit

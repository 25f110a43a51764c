"""Validation errors in plain Dutch, naming the field but never echoing its value
(values may be personal data)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

_BERICHTEN = {
    "missing": "ontbreekt",
    "extra_forbidden": "is geen bekend veld",
    "string_type": "moet tekst zijn",
    "string_too_short": "is te kort of leeg",
    "string_too_long": "is te lang",
    "string_pattern_mismatch": "heeft niet de juiste vorm",
    "int_parsing": "moet een geheel getal zijn",
    "int_type": "moet een geheel getal zijn",
    "float_parsing": "moet een getal zijn",
    "bool_parsing": "moet ja/nee (true/false) zijn",
    "date_parsing": "is geen geldige datum (JJJJ-MM-DD)",
    "date_from_datetime_parsing": "is geen geldige datum (JJJJ-MM-DD)",
    "date_type": "is geen geldige datum (JJJJ-MM-DD)",
    "datetime_parsing": "is geen geldige datum en tijd (ISO 8601)",
    "datetime_from_date_parsing": "is geen geldige datum en tijd (ISO 8601)",
    "datetime_type": "is geen geldige datum en tijd (ISO 8601)",
    "time_parsing": "is geen geldige tijd (UU:MM)",
    "timezone_aware": "mist een tijdzone",
    "enum": "heeft een niet-toegestane waarde",
    "literal_error": "heeft een niet-toegestane waarde",
    "greater_than": "is te klein",
    "greater_than_equal": "is te klein",
    "less_than": "is te groot",
    "less_than_equal": "is te groot",
    "too_short": "heeft te weinig elementen",
    "list_type": "moet een lijst zijn",
    "dict_type": "moet een object zijn",
    "model_type": "moet een object zijn",
    "value_error": "is ongeldig",
}


def _plek(loc: tuple) -> str:
    return ".".join(str(deel) for deel in loc) or "(bestand)"


def beschrijf_validatiefouten(exc: ValidationError, plek: Callable[[tuple], str] = _plek) -> list[str]:
    """One Dutch line per error: '<field>: <reason>'; `plek` names the field (default: the
    pydantic path, as import files name their columns)."""
    regels = []
    for fout in exc.errors(include_input=False, include_url=False):
        soort = fout["type"]
        if soort in ("value_error", "assertion_error"):
            # Our own validators raise Dutch messages; pydantic prefixes them.
            reden = str(fout.get("ctx", {}).get("error", fout["msg"]))
        elif soort in ("enum", "literal_error"):
            # pydantic lists the choices as "'a', 'b' or 'c'": say it in Dutch.
            keuzes = str(fout["ctx"]["expected"]).replace(" or ", " of ")
            reden = f"{_BERICHTEN[soort]}; toegestaan: {keuzes}"
        else:
            reden = _BERICHTEN.get(soort, fout["msg"])
        regels.append(f"{plek(fout['loc'])}: {reden}")
    return regels

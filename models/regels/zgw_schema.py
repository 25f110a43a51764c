"""Check ZGW resources against our JSON Schemas of the Zaken API 1.5.1 (zgw_schemas/, README there).

A refusal names the casus, the resource and the field, and what is wrong with it, never the
value: the value may be personal data, and the message reaches logs and the Prefect UI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from models.regels.zgw import ZgwZaak

SCHEMAMAP = Path(__file__).with_name("zgw_schemas")
RESOURCES = ("zaak", "status", "resultaat", "rol")


@cache
def validator(resource: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAMAP / f"{resource}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@dataclass(frozen=True)
class Schemafout:
    casus: str
    plek: str  # e.g. "statussen[2].datumStatusGezet"
    reden: str

    def __str__(self) -> str:
        return f"Casus {self.casus}: {self.plek} {self.reden}"


def fouten_in_resource(resource: str, gegevens: dict) -> list[tuple[str, str]]:
    """(field path, reason) for every way `gegevens` breaks the schema of `resource`."""
    fouten = sorted(validator(resource).iter_errors(gegevens), key=lambda f: list(map(str, f.absolute_path)))
    return [(_pad(f), _reden(f)) for f in fouten]


def controleer(zaak: ZgwZaak) -> list[Schemafout]:
    """Every schema error of one casus's resources; empty when all is valid."""
    delen = [("zaak", "zaak", zaak.zaak)]
    delen += [(f"statussen[{i}]", "status", s) for i, s in enumerate(zaak.statussen)]
    delen += [("resultaat", "resultaat", zaak.resultaat)] if zaak.resultaat is not None else []
    delen += [(f"rollen[{i}]", "rol", r) for i, r in enumerate(zaak.rollen)]
    return [Schemafout(zaak.referentie, f"{plek}.{veld}".rstrip("."), reden)
            for plek, resource, gegevens in delen for veld, reden in fouten_in_resource(resource, gegevens)]


def _pad(fout: ValidationError) -> str:
    pad = ""
    for deel in fout.absolute_path:
        pad += f"[{deel}]" if isinstance(deel, int) else f".{deel}"
    return pad.lstrip(".")


def _reden(fout: ValidationError) -> str:
    """What is wrong, in words that never repeat the value."""
    match fout.validator:
        case "required":
            ontbrekend = [v for v in fout.validator_value if v not in (fout.instance or {})]
            return f"mist verplicht veld {', '.join(ontbrekend)} (required)"
        case "enum" | "const":
            return f"heeft geen toegestane waarde (enum: {', '.join(map(_toon, fout.validator_value))})"
        case "maxLength":
            return f"is langer dan {fout.validator_value} tekens (maxLength)"
        case "minLength":
            return f"is korter dan {fout.validator_value} tekens (minLength)"
        case "format":
            return f"is geen geldige {fout.validator_value} (format)"
        case "type":
            soorten = fout.validator_value if isinstance(fout.validator_value, list) else [fout.validator_value]
            return f"heeft het verkeerde type; verwacht {' of '.join(soorten)} (type)"
        case "additionalProperties":
            extra = sorted(set(fout.instance) - set(fout.schema.get("properties", {})))
            return f"heeft een veld dat de specificatie niet kent: {', '.join(extra)} (additionalProperties)"
        case _:
            return f"voldoet niet aan de specificatie ({fout.validator})"


def _toon(waarde) -> str:
    return "null" if waarde is None else f"'{waarde}'"

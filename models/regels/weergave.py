"""How codes look on a form, and back: staff choose Dutch words, the case store keeps its codes.

A form shows every choice as a Dutch label ("Crisisdienst ter plaatse" for the code
`crisisdienst_ter_plaatse`), municipalities and lokale teams by name, and a moment as a date
plus a time in Dutch time ("14:00"). `naar_codes` turns a submitted form back into the codes
and aware datetimes the models accept, so stored data, audit codes and migrations never see a
label. Pure rules: no Prefect, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel

from models.regels.kalender import AMSTERDAM

# Labels where "code with spaces, capitalised" is not the Dutch word.
_LABELS = {
    "voorwaarden_en_vervolg": "Voorwaarden & Vervolg",
    "rvdk_verzoek": "Verzoek tot onderzoek aan de Raad voor de Kinderbescherming",
    "veilig_thuis": "Veilig Thuis",
    "lokaal_team": "Lokaal team",
    "kantoor_veilig_thuis": "Kantoor van Veilig Thuis",
    "kantoor_lokaal_team": "Kantoor van het lokaal team",
    "bij_het_gezin_thuis": "Bij het gezin thuis",
    "online": "Online (videogesprek)",
    "gezin": "Het gezin",
    "politie_justitie": "Politie of justitie",
    "email": "E-mail",
    "starten": "Starten: het besloten onderzoek of Voorwaarden & Vervolg begint nu",
    "opnieuw_beoordelen": "Opnieuw beoordelen",
    "werkvoorraad": "Op de werkvoorraad",
    "direct": "Direct starten",
    "veiligheid_telefonisch_vastgesteld": "Veiligheid telefonisch vastgesteld",
    "team_neemt_over": "Het team neemt over",
    "team_neemt_over_met_hulp_vt": "Het team neemt over, Veilig Thuis helpt de veiligheidsvoorwaarden te stellen",
    "terug_naar_veilig_thuis": "Terug naar Veilig Thuis",
    "terug_naar_vt": "Terug naar Veilig Thuis",
}
NIET_VAN_TOEPASSING = "Niet van toepassing"
DATUM, TIJD = "_datum", "_tijd"  # a datetime field `x` is asked as `x_datum` and `x_tijd`
_TIJD = re.compile(r"^\s*(\d{1,2})\s*[:.]?\s*(\d{2})\s*(uur)?\s*$")


def label(code: str) -> str:
    """The Dutch word for a code: 'crisisdienst_ter_plaatse' -> 'Crisisdienst ter plaatse'."""
    code = getattr(code, "value", code)
    return _LABELS.get(code) or code.replace("_", " ").capitalize()


def keuzes(soort: type[Enum]) -> dict[str, str]:
    """label -> code of every member of `soort`, in its own order."""
    return {label(lid.value): lid.value for lid in soort}


def tijd_tekst(moment: dt.datetime) -> tuple[str, str]:
    """(date ISO, 'HH:MM') of an aware moment in Dutch time: the start values of a date + time pair."""
    lokaal = moment.astimezone(AMSTERDAM)
    return lokaal.date().isoformat(), f"{lokaal:%H:%M}"


def moment_uit(datum: str | dt.date | None, tijd: str | None, titel: str) -> tuple[dt.datetime | None, str | None]:
    """A date field and a time field ('14:00', '14.00', '1400', '9:30 uur') read as Dutch time;
    (moment, None) or (None, Dutch reason)."""
    if datum in (None, "") and tijd in (None, ""):
        return None, None
    if datum in (None, ""):
        return None, f"{titel}: vul ook de datum in."
    dag = datum if isinstance(datum, dt.date) else _datum(str(datum))
    if dag is None:
        return None, f"{titel}: de datum is geen geldige datum; schrijf bijvoorbeeld 10-12-2026."
    gevonden = _TIJD.match(str(tijd or ""))
    if not gevonden or int(gevonden[1]) > 23 or int(gevonden[2]) > 59:
        return None, f"{titel}: vul de tijd in als uren en minuten, bijvoorbeeld 14:00."
    return dt.datetime.combine(dag, dt.time(int(gevonden[1]), int(gevonden[2])), tzinfo=AMSTERDAM), None


def _datum(tekst: str) -> dt.date | None:
    """'2026-12-10' (a date picker) or '10-12-2026' / '10/12/2026' (typed in Dutch order)."""
    tekst = tekst.strip()
    try:
        return dt.date.fromisoformat(tekst[:10])
    except ValueError:
        pass
    delen = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", tekst)
    try:
        return dt.date(int(delen[3]), int(delen[2]), int(delen[1])) if delen else None
    except ValueError:
        return None


def enkelvoudig(annotatie) -> tuple[bool, Any]:
    """(optional, the type without None) of `X | None`; (False, annotatie) otherwise."""
    if typing.get_origin(annotatie) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotatie) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotatie)) == 2:
            return True, args[0]
    return False, annotatie


def _is(soort, basis) -> bool:
    return isinstance(soort, type) and issubclass(soort, basis)


def _code(waarde, soort: type[Enum]):
    if waarde in (None, "", NIET_VAN_TOEPASSING):
        return None
    return keuzes(soort).get(waarde, waarde)  # a code typed as such (JSON input) stays a code


def naar_codes(model: type[BaseModel], formulier: dict, namen: dict[str, dict[str, str]] | None = None,
               titels: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    """A submitted form as the data `model` validates: labels back to codes (also in nested
    models and lists), `namen[field]` maps a shown name back to its code (gemeente, lokaal team),
    and every `x_datum` + `x_tijd` pair becomes the aware datetime `x`. Returns (data, Dutch
    reasons for times that cannot be read); fields the model does not know pass unchanged."""
    namen, titels, fouten = namen or {}, titels or {}, []
    data = dict(formulier)
    for naam, info in model.model_fields.items():
        optioneel, soort = enkelvoudig(info.annotation)
        if _is(soort, dt.datetime) and (naam + DATUM in data or naam + TIJD in data):
            moment, fout = moment_uit(data.pop(naam + DATUM, None), data.pop(naam + TIJD, None),
                                      titels.get(naam) or info.title or label(naam))
            fouten += [fout] if fout else []
            data[naam] = moment.isoformat() if moment else None
        if naam not in data:
            continue
        waarde = data[naam]
        if naam in namen:
            data[naam] = None if waarde in ("", NIET_VAN_TOEPASSING) else namen[naam].get(waarde, waarde)
        elif _is(soort, Enum):
            data[naam] = _code(waarde, soort)
        elif _is(soort, BaseModel) and isinstance(waarde, dict):
            data[naam], extra = naar_codes(soort, waarde, titels=titels)
            fouten += extra
        elif typing.get_origin(soort) is list and isinstance(waarde, list):
            [element] = typing.get_args(soort)
            if _is(element, Enum):
                data[naam] = [_code(w, element) for w in waarde]
            elif _is(element, BaseModel):
                omgezet = [naar_codes(element, w, titels=titels) if isinstance(w, dict) else (w, []) for w in waarde]
                data[naam] = [w for w, _ in omgezet]
                fouten += [f for _, extra in omgezet for f in extra]
    return data, fouten


# --- field names as staff read them ---------------------------------------------------------------

# Dutch label and help text of the intake fields (MeldingInvoer and its parts), keyed by field
# or by "Model.field" where one name means two things.
VELDLABELS: dict[str, tuple[str, str | None]] = {
    "ontvangen_op": ("Ontvangen op", None),
    "gemeente_code": ("Gemeente", "Gemeente waar het gezin woont."),
    "kanaal": ("Kanaal", "Hoe kwam de melding binnen?"),
    "urgentie": ("Urgentie", "Acuut: de crisisdienst krijgt direct een e-mail. Spoed: met voorrang. "
                             "Regulier: de gewone weg."),
    "omschrijving": ("Omschrijving", "Wat is er gemeld? Wordt versleuteld in het dossier opgeslagen."),
    "melder": ("Melder", "Wie meldt? Kies soort 'Anoniem' zonder naam, telefoon of e-mail."),
    "adres": ("Adres van het gezin", None),
    "MelderInvoer.adres": ("Adres van de melder", "Voor de terugkoppeling per post; leeg laten als die per "
                                                 "e-mail gaat of de melder anoniem is."),
    "personen": ("Betrokkenen", "De directbetrokkenen: ten minste één persoon. Voeg een persoon toe met de "
                                "knop onder de lijst."),
    "soort": ("Soort melder", None),
    "naam": ("Naam", None),
    "telefoon": ("Telefoon", None),
    "email": ("E-mailadres", None),
    "wil_terugkoppeling": ("Wil terugkoppeling", "Wettelijke plicht: de melder hoort na de "
                                                 "veiligheidsbeoordeling en na een onderzoek wat er gebeurt."),
    "straat_huisnummer": ("Straat en huisnummer", None),
    "postcode": ("Postcode", "Bijvoorbeeld 1234 AB."),
    "woonplaats": ("Woonplaats", None),
    "rol": ("Rol", None),
    "geboortedatum": ("Geboortedatum", "Leeg laten als die onbekend is."),
    "bsn": ("BSN", "Negen cijfers; leeg laten als het onbekend is."),
    "brief_per_email": ("Brieven per e-mail", "Alleen als de melder daarmee instemt; anders per post."),
    "gezin_email": ("E-mailadres van het gezin", "Alleen nodig als het gezin brieven per e-mail wil."),
    "gezin_brief_per_email": ("Gezin wil brieven per e-mail", "Alleen met instemming van het gezin; anders per post."),
    "door": ("Uw naam", None),
}
_RANGTELWOORDEN = ["eerste", "tweede", "derde", "vierde", "vijfde", "zesde", "zevende", "achtste", "negende",
                   "tiende"]
_ENKELVOUD = {"personen": "persoon"}


def veldnaam(naam: str, titels: dict[str, str] | None = None) -> str:
    """The label staff see for a field name."""
    if titels and naam in titels:
        return titels[naam]
    return VELDLABELS[naam][0] if naam in VELDLABELS else label(naam)


def plek(loc: tuple, titels: dict[str, str] | None = None) -> str:
    """Where an error is, as staff read it: ('personen', 1, 'bsn') -> 'Tweede persoon, BSN';
    never a zero-based path."""
    delen: list[str] = []
    for i, deel in enumerate(loc):
        if isinstance(deel, int):
            vorige = str(loc[i - 1]) if i else ""
            telwoord = _RANGTELWOORDEN[deel] if deel < len(_RANGTELWOORDEN) else f"{deel + 1}e"
            delen[-1:] = [f"{telwoord} {_ENKELVOUD.get(vorige, veldnaam(vorige, titels).lower())}"]
        else:
            delen.append(_klein(veldnaam(str(deel), titels)) if delen else veldnaam(str(deel), titels))
    tekst = ", ".join(delen) or "Formulier"
    return tekst[0].upper() + tekst[1:]


def _klein(woord: str) -> str:
    """'Naam' -> 'naam' in the middle of a sentence; 'BSN' stays."""
    return woord if woord[1:2].isupper() else woord[:1].lower() + woord[1:]

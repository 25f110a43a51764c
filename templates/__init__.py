"""Every text a person reads lives in this folder as a Jinja2 template.

StrictUndefined: a template that misses a value fails loudly instead of printing an empty field.
Every HTML template (`*.html.j2`) escapes every value: a name holding markup is printed as text,
never interpreted (letters become PDFs that load what the HTML names). Text, markdown and CSV
templates are not HTML and are not escaped; free text that staff typed goes into a markdown
artifact through the `markdown_tekst` filter, so it is shown as typed (no links or images the
Prefect UI would load).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from models.regels.kalender import AMSTERDAM
from models.regels.weergave import label

MAP = Path(__file__).resolve().parent
_DAGEN = ["ma", "di", "wo", "do", "vr", "za", "zo"]
_MAANDEN = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
            "september", "oktober", "november", "december"]


def tijdstip(moment) -> str:
    """'vr 27-11-2026 23:59' in Europe/Amsterdam."""
    lokaal = moment.astimezone(AMSTERDAM)
    return f"{_DAGEN[lokaal.weekday()]} {lokaal:%d-%m-%Y %H:%M}"


def datum(moment) -> str:
    """'vr 27-11-2026' in Europe/Amsterdam."""
    lokaal = moment.astimezone(AMSTERDAM)
    return f"{_DAGEN[lokaal.weekday()]} {lokaal:%d-%m-%Y}"


_WEEKDAGEN = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]


def dag_en_tijd(moment) -> str:
    """'donderdag 10 december 2026 om 14:00' in Europe/Amsterdam: one Dutch format for an appointment."""
    lokaal = moment.astimezone(AMSTERDAM)
    return f"{_WEEKDAGEN[lokaal.weekday()]} {datum_lang(lokaal)} om {lokaal:%H:%M}"


def datum_lang(moment) -> str:
    """'27 november 2026' (dates in letters)."""
    if hasattr(moment, "astimezone") and hasattr(moment, "hour"):
        moment = moment.astimezone(AMSTERDAM)
    return f"{moment.day} {_MAANDEN[moment.month - 1]} {moment.year}"


_MARKDOWN_TEKENS = str.maketrans({t: f"\\{t}" for t in "\\`*_{}[]()<>#+-.!|~"})


def markdown_tekst(tekst: str) -> str:
    """Free text as literal markdown: every character markdown (or HTML in markdown) acts on is
    escaped, and line breaks become spaces (one list item stays one line)."""
    return " ".join(str(tekst).split()).translate(_MARKDOWN_TEKENS)


@lru_cache(maxsize=1)
def omgeving() -> Environment:
    env = Environment(
        loader=FileSystemLoader(MAP),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["tijdstip"] = tijdstip
    env.filters["datum"] = datum
    env.filters["datum_lang"] = datum_lang
    env.filters["dag_en_tijd"] = dag_en_tijd
    env.filters["markdown_tekst"] = markdown_tekst
    env.filters["label"] = label
    return env


def render(naam: str, **context) -> str:
    return omgeving().get_template(naam).render(**context)


def render_onderwerp_en_inhoud(naam: str, **context) -> tuple[str, str]:
    """Notification templates start with 'Onderwerp: ...' on the first line."""
    tekst = render(naam, **context)
    eerste, _, rest = tekst.partition("\n")
    if not eerste.startswith("Onderwerp: "):
        raise ValueError(f"template {naam} begint niet met 'Onderwerp: '")
    return eerste.removeprefix("Onderwerp: ").strip(), rest.lstrip("\n")

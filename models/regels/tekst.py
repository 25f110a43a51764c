"""Text that people type or import: no invisible control characters. A NUL byte, an escape
sequence or a right-to-left override in a name ends up in letters, e-mails, exports and the
audit trail; only a field meant for several lines may hold line breaks and tabs."""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

# Zero-width (non-)joiner: part of the correct spelling of e.g. Persian and Hindi names.
_TOEGESTANE_OPMAAKTEKENS = frozenset({"\u200c", "\u200d"})
REDEN = "bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken)"


@cache
def _stuurteken() -> re.Pattern:
    """Control characters (Unicode Cc), invisible format characters (Cf: bidi overrides, zero
    width spaces, BOM) and lone surrogates (Cs, which cannot even be stored as UTF-8). Built
    once from the Unicode tables of this Python (~0.2 s)."""
    tekens = "".join(
        re.escape(chr(c)) for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs") and chr(c) not in _TOEGESTANE_OPMAAKTEKENS
    )
    return re.compile(f"[{tekens}]")


def bevat_stuurtekens(tekst: str, meerregelig: bool = False) -> bool:
    if tekst.isprintable():  # the usual case, at C speed: no character of Cc, Cf or Cs
        return False
    if meerregelig:
        tekst = tekst.replace("\r\n", "").replace("\n", "").replace("\t", "")
    return _stuurteken().search(tekst) is not None


def controleer_tekstveld(waarde, veld: str | None, meerregelig: frozenset[str]):
    """For a pydantic `field_validator("*")`: refuses a str with control characters (the
    message names the problem, never the value)."""
    if waarde.__class__ is str and not waarde.isprintable() and bevat_stuurtekens(waarde, veld in meerregelig):
        raise ValueError(REDEN + (" (regeleinden en tabs mogen wel)" if veld in meerregelig else ""))
    return waarde

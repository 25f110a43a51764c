"""What staff type to find a dossier, read as the case store's blind indexes need it.

A casus is found by its reference, or (for roles that may) by a person's BSN or by postcode +
house number. Personal data is stored encrypted, so the store keeps keyed hashes (blind
indexes, models.opslag.typen.zoeksleutel) of exactly these values: `bsn_sleutelwaarde` and
`adres_sleutelwaarden` give the normalised values both the writer and the search hash, so the
same BSN or address typed in another way finds the same household. Pure rules: no database.
"""

from __future__ import annotations

import re

_REFERENTIE = re.compile(r"^VT-\d{4}-\d{6}$")
_POSTCODE = re.compile(r"^(\d{4})\s*([A-Z]{2})$")
# The house number is the first number after the street name: "Kerkstraat 12-3" -> 12,
# "1e Jan Steenstraat 5 A" -> 5; toevoegingen (A, -3, bis) do not take part in the search.
_HUISNUMMER_IN_ADRES = re.compile(r"[^\W\d].*?\s(\d{1,5})(?!\d)")
_HUISNUMMER = re.compile(r"^(\d{1,5})(?:\s*[-/]?\s*\w{1,6})?$")


class Zoekfout(ValueError):
    """What was typed cannot be searched; the message says why, in Dutch."""


def casusreferentie(tekst: str) -> str:
    """'vt-2026-000123 ' -> 'VT-2026-000123'."""
    referentie = (tekst or "").strip().upper()
    if not _REFERENTIE.match(referentie):
        raise Zoekfout("Vul een casusnummer in zoals VT-2026-000123.")
    return referentie


def bsn(tekst: str) -> str:
    """Nine digits passing the elfproef; spaces and dots as typed are ignored."""
    cijfers = re.sub(r"[\s.]", "", tekst or "")
    if not re.fullmatch(r"\d{9}", cijfers):
        raise Zoekfout("Een BSN bestaat uit negen cijfers.")
    if (sum(int(c) * w for c, w in zip(cijfers[:8], range(9, 1, -1))) - int(cijfers[8])) % 11:
        raise Zoekfout("Dit is geen geldig BSN (de elfproef klopt niet); controleer de cijfers.")
    return cijfers


def postcode(tekst: str) -> str:
    """'1234ab' -> '1234 AB'."""
    gevonden = _POSTCODE.match((tekst or "").strip().upper())
    if not gevonden:
        raise Zoekfout("Vul de postcode in als vier cijfers en twee letters, bijvoorbeeld 1234 AB.")
    return f"{gevonden[1]} {gevonden[2]}"


def huisnummer(tekst: str) -> str:
    """The number of a typed house number ('12', '12A', '12-3' -> '12')."""
    gevonden = _HUISNUMMER.match((tekst or "").strip())
    if not gevonden:
        raise Zoekfout("Vul het huisnummer in als getal, bijvoorbeeld 12 (een toevoeging mag erachter).")
    return str(int(gevonden[1]))


def huisnummer_uit_adres(straat_huisnummer: str) -> str | None:
    """The house number in a stored 'straat huisnummer', or None when there is none."""
    gevonden = _HUISNUMMER_IN_ADRES.search(straat_huisnummer or "")
    return str(int(gevonden[1])) if gevonden else None


def adres_sleutelwaarden(postcode_tekst: str, straat_huisnummer: str) -> tuple[str, str] | None:
    """(postcode, house number) of a stored address as the search index hashes them; None when the
    address has no house number (then it cannot be found this way)."""
    nummer = huisnummer_uit_adres(straat_huisnummer)
    if nummer is None:
        return None
    try:
        return postcode(postcode_tekst), nummer
    except Zoekfout:
        return None

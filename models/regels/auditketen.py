"""The audit chain (auditketen): every audit event carries a hash over its content and the hash
of the event before it in its chain, so a changed, deleted or inserted event shows.

One chain per casus (events without a casus form one chain of their own): writers of different
casussen never wait for each other, and a break is named by the casus it is in. The heads of all
chains are anchored outside the case store every day (the anker); an anchor catches what a chain
alone cannot: a chain rewritten from some event on, or its last events deleted.

Pure rules: no storage. The writers (models/dossier/auditketen.py) and the migration that hashed
the existing events (0012) use `bereken_hash`; the check (`controleer_keten`) reads events as
`Schakel`s, however they were read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

BEGIN = "0" * 64  # the "previous hash" of the first event of every chain


def _tijd(tijdstip: dt.datetime) -> str:
    return tijdstip.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def _code(waarde: object) -> str | None:
    return None if waarde is None else str(getattr(waarde, "value", waarde))


def bereken_hash(rij: Mapping[str, object], volgnummer: int, vorige_hash: str) -> str:
    """sha256 over the previous hash and the canonical JSON of the event's content (casus, place
    in the chain, time, actor, action, states, reason, details)."""
    inhoud = {
        "casus": rij["casus_id"], "volgnummer": volgnummer, "tijdstip": _tijd(rij["tijdstip"]),
        "actor": rij["actor"], "actie": rij["actie"], "van": _code(rij.get("van_status")),
        "naar": _code(rij.get("naar_status")), "reden": rij.get("reden"), "details": rij.get("details") or {},
    }
    tekst = json.dumps(inhoud, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((vorige_hash + tekst).encode()).hexdigest()


def schakels(rijen: Sequence[dict], koppen: Mapping[int | None, tuple[int, str]]) -> list[dict]:
    """`rijen` (column values, in append order) with volgnummer, vorige_hash and hash, each
    chained onto its casus's head (`koppen`: casus_id -> (volgnummer, hash); none: a new chain)."""
    kop = dict(koppen)
    uit = []
    for rij in rijen:
        volgnummer, vorige = kop.get(rij["casus_id"], (0, BEGIN))
        volgnummer += 1
        hash_ = bereken_hash(rij, volgnummer, vorige)
        kop[rij["casus_id"]] = (volgnummer, hash_)
        uit.append({**rij, "volgnummer": volgnummer, "vorige_hash": vorige, "hash": hash_})
    return uit


# --- the check -------------------------------------------------------------------------------------


class Soort(StrEnum):
    gewijzigd = "gewijzigd"  # content no longer matches its hash, or a rewritten hash
    verwijderd = "verwijderd"  # events missing from the chain
    ingevoegd = "ingevoegd"  # an event that is no link of the chain
    anker = "anker"  # the chain no longer holds what the anchor recorded


UITLEG = {
    Soort.gewijzigd: "gewijzigd: de inhoud klopt niet meer met de vastgelegde hash",
    Soort.verwijderd: "verwijderd: er ontbreken gebeurtenissen in de keten",
    Soort.ingevoegd: "ingevoegd: deze gebeurtenis hoort niet in de keten",
    Soort.anker: "afwijkend van het anker: de keten is na het anker herschreven of ingekort",
}


@dataclass(frozen=True)
class Schakel:
    """One stored event as the check sees it; `rij` holds the hashed columns."""

    id: int
    volgnummer: int
    vorige_hash: str
    hash: str
    rij: Mapping[str, object]


@dataclass(frozen=True)
class Breuk:
    casus: str | None  # the casus reference; None: the chain of events without a casus
    soort: Soort
    event_id: int | None  # the event at which it shows (None: a deleted end of the chain)
    volgnummer: int  # its place in the chain (deleted: the first one missing)
    toelichting: str

    @property
    def sleutel(self) -> str:
        """Names this break for ever: one alert per break."""
        return f"{self.casus or '-'}:{self.soort.value}:{self.volgnummer}:{self.event_id or '-'}"

    def als_dict(self) -> dict:
        return {"casus": self.casus, "soort": self.soort.value, "event_id": self.event_id,
                "volgnummer": self.volgnummer, "toelichting": self.toelichting}


def controleer_keten(casus: str | None, keten: Sequence[Schakel]) -> list[Breuk]:
    """Walk one chain in order of volgnummer (then id) and name every break once: the chain is
    followed past a break, so the events after it are not reported again."""
    breuken: list[Breuk] = []
    vorige, verwacht = BEGIN, 1
    for i, s in enumerate(keten):
        inhoud_klopt = bereken_hash(s.rij, s.volgnummer, s.vorige_hash) == s.hash
        schakel_klopt = s.vorige_hash == vorige and s.volgnummer == verwacht
        volgende = keten[i + 1] if i + 1 < len(keten) else None
        if inhoud_klopt and schakel_klopt:
            vorige, verwacht = s.hash, verwacht + 1
        elif schakel_klopt:
            breuken.append(Breuk(casus, Soort.gewijzigd, s.id, s.volgnummer,
                                 f"gebeurtenis {s.id} (nummer {s.volgnummer}) is gewijzigd"))
            vorige, verwacht = s.hash, verwacht + 1
        elif not inhoud_klopt or s.volgnummer < verwacht or (volgende and volgende.vorige_hash == vorige):
            breuken.append(Breuk(casus, Soort.ingevoegd, s.id, s.volgnummer,
                                 f"gebeurtenis {s.id} (nummer {s.volgnummer}) is ingevoegd"))
        elif s.volgnummer > verwacht:
            tot = s.volgnummer - 1
            reeks = f"nummer {verwacht} ontbreekt" if tot == verwacht else f"nummers {verwacht} t/m {tot} ontbreken"
            breuken.append(Breuk(casus, Soort.verwijderd, s.id, verwacht, f"{reeks} (voor gebeurtenis {s.id})"))
            vorige, verwacht = s.hash, s.volgnummer + 1
        else:  # intact itself, in place, but its predecessor's hash was rewritten after a change
            vorig_id = keten[i - 1].id if i else None
            breuken.append(Breuk(casus, Soort.gewijzigd, vorig_id, verwacht - 1,
                                 f"gebeurtenis {vorig_id} (nummer {verwacht - 1}) is gewijzigd en opnieuw gehasht"))
            vorige, verwacht = s.hash, verwacht + 1
    return breuken


# --- anchors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kop:
    """The head of one chain: its last event's place and hash."""

    casus: str | None
    volgnummer: int
    hash: str


def digest(koppen: Iterable[Kop]) -> str:
    """One hash over all chain heads (sorted, so the order they were read in does not matter)."""
    regels = sorted(f"{k.casus or ''}:{k.volgnummer}:{k.hash}" for k in koppen)
    return hashlib.sha256("\n".join(regels).encode()).hexdigest()


def anker(datum: dt.date, moment: dt.datetime, koppen: Sequence[Kop]) -> dict:
    """The anchor of one day: references and hashes only."""
    return {
        "datum": datum.isoformat(), "moment": _tijd(moment), "ketens": len(koppen),
        "gebeurtenissen": sum(k.volgnummer for k in koppen), "digest": digest(koppen),
        "koppen": [[k.casus, k.volgnummer, k.hash] for k in sorted(koppen, key=lambda k: k.casus or "")],
    }


def koppen_van(anker_: Mapping) -> list[Kop]:
    return [Kop(casus, volgnummer, hash_) for casus, volgnummer, hash_ in anker_["koppen"]]


def controleer_anker(anker_: Mapping, hash_op: Mapping[tuple[str | None, int], str],
                     casus: str | None = None) -> list[Breuk]:
    """Every head the anchor recorded must still be in the store with the same hash (`hash_op`:
    (casus, volgnummer) -> stored hash). A head missing: the chain was cut back; a head changed:
    the chain was rewritten from there (hashes recomputed, which the chain alone cannot see).
    With `casus`, only its head (the anchor's own digest covers all heads: checked without)."""
    koppen = koppen_van(anker_)
    if casus is None and digest(koppen) != anker_["digest"]:
        return [Breuk(None, Soort.anker, None, 0, f"het anker van {anker_['datum']} zelf is gewijzigd")]
    breuken = []
    for k in (k for k in koppen if casus is None or k.casus == casus):
        nu_ = hash_op.get((k.casus, k.volgnummer))
        if nu_ is None:
            breuken.append(Breuk(k.casus, Soort.anker, None, k.volgnummer,
                                 f"nummer {k.volgnummer} stond in het anker van {anker_['datum']} en is weg"))
        elif nu_ != k.hash:
            breuken.append(Breuk(k.casus, Soort.anker, None, k.volgnummer,
                                 f"nummer {k.volgnummer} wijkt af van het anker van {anker_['datum']}"))
    return breuken

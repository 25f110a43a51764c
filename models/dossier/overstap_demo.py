"""A synthetic overstap file (fictional people): `aantal` open casussen spread evenly over every
state a casus can be switched over in, for the benchmark and the test of a few dozen casussen.

Casus i is in state STATUSSEN[i % 8]; its running term follows pattern (i // 8) % 3, relative to
the switch moment `stand_op`:
- 0 `verleden`: warning 20 days and deadline 10 days before it; the whole ladder (waarschuwing,
  vervallen, overschreden 2 working days later) lies before the switch: recorded, never sent;
- 1 `nu`: warning 30 minutes after the switch, deadline 10 days after: the watch sends the
  warning (one e-mail, behandelteam) when it runs at least 30 minutes after the switch;
- 2 `later`: warning 5 days and deadline 10 days after the switch: nothing yet.
A casus at `besluit` has its assessment term met; one at `rvdk_verzoek` has no running term.
`verwacht` says what the watch must do with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.dossier.overstap import STATUSSEN
from models.regels.besluiten import TERMIJNEN_BIJ_START
from models.regels.instellingen import Instellingen
from models.regels.levensloop import Status

S = Status
PATRONEN = ("verleden", "nu", "later")
_BESLUIT = {S.werkvoorraad: "onderzoek", S.onderzoek: "onderzoek", S.voorwaarden_en_vervolg: "voorwaarden_en_vervolg",
            S.rvdk_verzoek: "rvdk_verzoek", S.overdracht: "overdracht", S.monitoring: "overdracht"}


@dataclass(frozen=True)
class Verwacht:
    casussen: int
    stappen_voor_overstap: int  # ladder steps recorded as sent before the switch
    berichten_na_half_uur: int  # e-mails the watch sends 30 minutes or more after the switch


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def overstapcasussen(regio: Instellingen, aantal: int, stand_op: dt.datetime, bron: str = "demo") -> list[dict]:
    gemeenten = regio.gemeenten
    casussen = []
    for i in range(aantal):
        status, patroon = STATUSSEN[i % len(STATUSSEN)], PATRONEN[(i // len(STATUSSEN)) % len(PATRONEN)]
        gemeente = gemeenten[i % len(gemeenten)]
        ontvangen = stand_op - dt.timedelta(days=40)
        sinds = stand_op - dt.timedelta(days=30)
        casus = dict(
            bron=bron, extern_id=f"C-{i}", gemeente_code=gemeente.code, urgentie="regulier", status=status.value,
            status_sinds=_iso(sinds),
            adres={"straat_huisnummer": f"Overstapstraat {i + 1}", "postcode": f"{1000 + i % 9000:04d} AB",
                   "woonplaats": gemeente.naam},
            personen=[{"rol": "ouder", "naam": f"Testpersoon Ouder {i}", "geboortedatum": "1988-04-05"},
                      {"rol": "kind", "naam": f"Testpersoon Kind {i}", "geboortedatum": "2018-09-10"}],
            meldingen=[{"extern_id": f"M-{i}", "ontvangen_op": _iso(ontvangen), "kanaal": "politie",
                        "urgentie": "regulier", "omschrijving": "Fictieve melding voor de overstap",
                        "melder": {"soort": "politie_justitie", "naam": "Politie Fictief"}}],
            termijnen=[],
        )
        if status in _BESLUIT:
            casus["besluit"] = {"keuze": _BESLUIT[status], "genomen_op": _iso(sinds), "door": "Medewerker Demo",
                                **({"gepland": "onderzoek"} if status is S.werkvoorraad else {})}
        team = gemeente.lokale_teams[0].code
        if status is S.overdracht:
            casus["overdracht"] = {"type": "telefonisch", "lokaal_team": team, "regie": "lokaal_team"}
        if status is S.monitoring:
            casus["overdracht"] = {"type": "telefonisch", "lokaal_team": team, "regie": "lokaal_team",
                                   "afgerond_op": _iso(sinds)}
        if status is S.besluit:
            casus["termijnen"].append({"soort": "veiligheidsbeoordeling", "start_op": _iso(ontvangen),
                                       "vervalt_op": _iso(sinds), "voldaan_op": _iso(sinds)})
        for soort in TERMIJNEN_BIJ_START.get(status, []):
            casus["termijnen"].append({"soort": soort.value, **_lopend(patroon, stand_op)})
        casussen.append(casus)
    return casussen


def _lopend(patroon: str, stand_op: dt.datetime) -> dict:
    dag = dt.timedelta(days=1)
    start = stand_op - 35 * dag
    if patroon == "verleden":
        waarschuw, vervalt = stand_op - 20 * dag, stand_op - 10 * dag
    elif patroon == "nu":
        waarschuw, vervalt = stand_op + dt.timedelta(minutes=30), stand_op + 10 * dag
    else:
        waarschuw, vervalt = stand_op + 5 * dag, stand_op + 10 * dag
    return {"start_op": _iso(start), "waarschuw_op": _iso(waarschuw), "vervalt_op": _iso(vervalt)}


def verwacht(aantal: int) -> Verwacht:
    """Per casus with a running term: `verleden` = 3 steps recorded, `nu` = 1 e-mail."""
    stappen = berichten = 0
    for i in range(aantal):
        status, patroon = STATUSSEN[i % len(STATUSSEN)], PATRONEN[(i // len(STATUSSEN)) % len(PATRONEN)]
        lopend = len(TERMIJNEN_BIJ_START.get(status, []))
        stappen += 3 * lopend if patroon == "verleden" else 0
        berichten += lopend if patroon == "nu" else 0
    return Verwacht(aantal, stappen, berichten)

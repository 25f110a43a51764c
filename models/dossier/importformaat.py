"""Importbestanden met meldingen: het formaat, en het inlezen en controleren ervan.

Een importbestand brengt meldingen uit een ander systeem (een oude registratie, een export
van een ander VT-systeem) in één keer naar binnen met `vt import <bestand>`. Het bestand wordt
eerst helemaal gecontroleerd; bevat ook maar één rij een fout, dan wordt **niets** opgeslagen en
krijgt u een lijst van alle rijen met hun fout. Een foutmelding noemt de rij en het veld, nooit
de inhoud (die kan persoonsgegevens bevatten).

Twee vormen, gekozen op de extensie van het bestand:

**CSV** (`.csv`), UTF-8 (met of zonder BOM), met een kopregel. Scheidingsteken `;` of `,`
(wordt herkend aan de kopregel). Een lege cel betekent "niet ingevuld". Kolommen:

| kolom | verplicht | inhoud |
|---|---|---|
| `bron` | ja | naam van het bronsysteem, max. 32 tekens |
| `extern_id` | ja | kenmerk van de melding in het bronsysteem, max. 64 tekens |
| `ontvangen_op` | ja | ISO 8601 met tijdzone, bv. `2026-11-16T10:00:00+01:00` |
| `gemeente_code` | ja | CBS-code van een gemeente uit de instellingen, bv. `GM0907` |
| `kanaal` | ja | `telefoon`, `politie`, `email`, `post` of `portaal` |
| `urgentie` | ja | `acuut`, `spoed` of `regulier` |
| `omschrijving` | ja | vrije tekst, max. 10.000 tekens |
| `melder_soort` | ja | `politie_justitie`, `professional`, `burger` of `anoniem` |
| `melder_naam` | nee | verplicht, behalve bij een anonieme melder (die heeft geen naam, telefoon of e-mail) |
| `melder_telefoon` | nee | |
| `melder_email` | nee | |
| `melder_wil_terugkoppeling` | nee | `ja`/`nee` (ook `true`/`false`, `1`/`0`); leeg = `ja` |
| `straat_huisnummer` | ja | bv. `Fictiestraat 12` |
| `postcode` | ja | `1234 AB` of `1234AB` |
| `woonplaats` | ja | |
| `persoon1_rol` | ja | `slachtoffer`, `pleger`, `kind`, `ouder` of `overig` |
| `persoon1_naam` | ja | |
| `persoon1_geboortedatum` | nee | `JJJJ-MM-DD` |
| `persoon1_bsn` | nee | 9 cijfers, moet de elfproef doorstaan |
| `persoon2_rol`, `persoon2_naam`, ... | nee | zoveel personen als nodig: `persoonN_...` |

Een persoon waarvan alle cellen leeg zijn, telt niet mee. Rijnummers in foutmeldingen zijn
regelnummers in het bestand zoals een teksteditor ze toont: de kopregel is rij 1.

**JSON** (`.json`), UTF-8: een lijst van objecten met dezelfde velden, genest zoals bij de
invoer van één melding:

```json
[
  {
    "bron": "regas", "extern_id": "M-2026-0001",
    "ontvangen_op": "2026-11-16T10:00:00+01:00",
    "gemeente_code": "GM0907", "kanaal": "telefoon", "urgentie": "regulier",
    "omschrijving": "...",
    "melder": {"soort": "professional", "naam": "...", "telefoon": "...", "wil_terugkoppeling": true},
    "adres": {"straat_huisnummer": "...", "postcode": "9999 AB", "woonplaats": "..."},
    "personen": [{"rol": "ouder", "naam": "...", "geboortedatum": "1990-02-03", "bsn": "..."}]
  }
]
```

Rijnummers zijn hier de plaats in de lijst, vanaf 1; personen worden ook vanaf 1 geteld
(`personen.1.bsn` is het BSN van de eerste persoon).

Verder wordt een bestand afgekeurd als het leeg is, geen meldingen bevat, onbekende kolommen
heeft, of als dezelfde combinatie `bron` + `extern_id` twee keer voorkomt. Meldingen die al
eerder zijn ingelezen (zelfde `bron` + `extern_id`) worden bij een volgende import overgeslagen:
een bestand twee keer importeren voegt niets dubbel toe.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from models.regels.fouten import beschrijf_validatiefouten
from models.regels.instellingen import Instellingen
from models.dossier.registratie import MeldingInvoer, controleer_tegen_instellingen

BESTANDSRIJ = 0  # `Rijfout.rij` for a problem with the file as a whole

VASTE_KOLOMMEN = (
    "bron", "extern_id", "ontvangen_op", "gemeente_code", "kanaal", "urgentie", "omschrijving",
    "melder_soort", "melder_naam", "melder_telefoon", "melder_email", "melder_wil_terugkoppeling",
    "straat_huisnummer", "postcode", "woonplaats",
)
PERSOON_VELDEN = ("rol", "naam", "geboortedatum", "bsn")
VERPLICHTE_KOLOMMEN = (
    "bron", "extern_id", "ontvangen_op", "gemeente_code", "kanaal", "urgentie", "omschrijving",
    "melder_soort", "straat_huisnummer", "postcode", "woonplaats", "persoon1_rol", "persoon1_naam",
)
_PERSOONKOLOM = re.compile(r"^persoon([1-9]\d{0,2})_(rol|naam|geboortedatum|bsn)$")
# A column name is only repeated in an error when it looks like a column name: a file without
# header row would otherwise put the first melding's names and addresses into the message.
_VEILIGE_KOLOMNAAM = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ADRES = {"straat_huisnummer", "postcode", "woonplaats"}
_JA = {"ja": "true", "j": "true", "nee": "false", "n": "false"}
MAX_REFERENTIES = 20


class Rijfout(BaseModel):
    """Everything wrong with one row: field names and reasons, never the values."""

    model_config = ConfigDict(frozen=True)

    rij: int  # CSV: line in the file (header = 1); JSON: position in the list (from 1); 0 = file
    fouten: list[str]

    def regels(self) -> list[str]:
        plek = "Bestand" if self.rij == BESTANDSRIJ else f"Rij {self.rij}"
        return [f"{plek}: {fout}" for fout in self.fouten]


@dataclass
class GelezenImport:
    """A parsed import file. Holds personal data: never a Prefect parameter or result."""

    meldingen: list[MeldingInvoer] = field(default_factory=list)
    fouten: list[Rijfout] = field(default_factory=list)
    rijen: int = 0  # data rows (not counting the header or blank lines)

    @property
    def in_orde(self) -> bool:
        return not self.fouten


class ImportControle(BaseModel):
    """Outcome of checking an import file: counts and row errors only (a Prefect task result)."""

    bestand: str
    rijen: int
    geldig: int
    fouten: list[Rijfout]

    @property
    def in_orde(self) -> bool:
        return not self.fouten


class ImportResultaat(BaseModel):
    """Outcome of an import: counts and (the first) case references only."""

    bestand: str
    gelezen: int
    geregistreerd: int
    nieuwe_casussen: int
    hermeldingen: int
    overgeslagen: int  # already imported before: same bron + extern_id
    casus_referenties: list[str]  # the first MAX_REFERENTIES new casussen
    meer_casussen: int = 0  # new casussen beyond that list


class ImportAfgekeurd(Exception):
    """The file has errors; nothing was stored. The message lists every row and reason."""

    def __init__(self, bestand: str, fouten: list[Rijfout]):
        self.bestand = str(bestand)
        self.fouten = list(fouten)
        rijen = [f for f in self.fouten if f.rij != BESTANDSRIJ]
        kop = f"Import van {self.bestand} afgekeurd"
        if rijen:
            kop += f": {len(rijen)} {'rij' if len(rijen) == 1 else 'rijen'} met fouten"
        regels = [regel for fout in self.fouten for regel in fout.regels()]
        super().__init__("\n".join([f"{kop}. Er is niets opgeslagen.", *regels]))

    def regels(self) -> list[str]:
        return [regel for fout in self.fouten for regel in fout.regels()]

    def __reduce__(self):  # Prefect may pickle the exception with the failed state
        return (type(self), (self.bestand, self.fouten))


# --- reading ---------------------------------------------------------------------------------


def lees_importbestand(pad: Path | str, instellingen: Instellingen) -> GelezenImport:
    """Parse and validate every row of a CSV or JSON import file (see the module docstring)."""
    pad = Path(pad)
    soort = pad.suffix.lower()
    if soort not in (".csv", ".json"):
        return _bestandsfout("onbekend bestandstype; gebruik een .csv- of .json-bestand")
    try:
        tekst = pad.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return _bestandsfout("bestand niet gevonden")
    except IsADirectoryError:
        return _bestandsfout("is een map, geen bestand")
    except PermissionError:
        return _bestandsfout("geen leesrechten op het bestand")
    except UnicodeDecodeError:
        return _bestandsfout("is geen UTF-8-tekst")
    if not tekst.strip():
        return _bestandsfout("het bestand is leeg")
    try:
        gelezen = _lees_csv(tekst, instellingen) if soort == ".csv" else _lees_json(tekst, instellingen)
    except RecursionError:  # e.g. a JSON file of 100,000 nested lists
        return _bestandsfout("is te diep genest (lijsten of objecten in elkaar); een melding is hooguit een "
                             "object met een lijst personen")
    if not gelezen.fouten and not gelezen.meldingen:
        return _bestandsfout("het bestand bevat geen meldingen")
    return gelezen


def _bestandsfout(reden: str) -> GelezenImport:
    return GelezenImport(fouten=[Rijfout(rij=BESTANDSRIJ, fouten=[reden])])


def _controleer_rijen(rijen: Iterable[tuple[int, object, list[str], object]], instellingen: Instellingen) -> GelezenImport:
    """Validate rows given as (row number, raw melding, errors found so far, plek), where
    `plek(loc)` names a pydantic error location the way the file names that field."""
    gelezen = GelezenImport()
    eerder: dict[tuple[str, str], int] = {}
    for nummer, ruw, fouten, plek in rijen:
        gelezen.rijen += 1
        fouten = list(fouten)
        melding = None
        try:
            melding = MeldingInvoer.model_validate(ruw, context={"instellingen": instellingen})
        except ValidationError as exc:
            fouten.extend(_beschrijf(exc, plek))
            fouten.extend(_ook_tegen_instellingen(ruw, exc, instellingen))
        if melding is not None:
            fouten.extend(controleer_tegen_instellingen(melding, instellingen))
        if isinstance(ruw, dict):
            fouten.extend(_bron_en_kenmerk(ruw, nummer, eerder))
        if fouten:
            gelezen.fouten.append(Rijfout(rij=nummer, fouten=_uniek(fouten)))
        elif melding is not None:
            gelezen.meldingen.append(melding)
    return gelezen


def _ook_tegen_instellingen(ruw: object, exc: ValidationError, instellingen: Instellingen) -> list[str]:
    """A row with other errors is still checked against the settings, so a person sees every
    problem of the row at once. Only the fields that passed validation are passed on."""
    if not isinstance(ruw, dict):
        return []
    fout_velden = {fout["loc"][0] for fout in exc.errors() if fout["loc"]}
    goed = {k: v for k, v in ruw.items() if k not in fout_velden and k in MeldingInvoer.model_fields}
    try:
        return controleer_tegen_instellingen(MeldingInvoer.model_construct(**goed), instellingen)
    except (AttributeError, KeyError, TypeError, ValueError):  # the check needs a field that failed
        return []


def _bron_en_kenmerk(ruw: dict, nummer: int, eerder: dict[tuple[str, str], int]) -> list[str]:
    """An import needs bron + extern_id (so re-importing adds nothing twice), once per file.
    Only one of the two filled in is already reported by MeldingInvoer."""
    bron, kenmerk = (str(ruw.get(k) or "").strip() for k in ("bron", "extern_id"))
    if not bron and not kenmerk:
        return ["bron en extern_id: ontbreken (verplicht bij een import, zo wordt niets dubbel ingelezen)"]
    if not (bron and kenmerk):
        return []
    if (bron, kenmerk) in eerder:
        return [f"bron + extern_id: komt ook voor in rij {eerder[(bron, kenmerk)]}"]
    eerder[(bron, kenmerk)] = nummer
    return []


def _uniek(regels: list[str]) -> list[str]:
    return list(dict.fromkeys(regels))


def _beschrijf(exc: ValidationError, plek) -> list[str]:
    """`beschrijf_validatiefouten` with the field named as the file names it."""
    regels = []
    for fout, regel in zip(exc.errors(include_input=False, include_url=False), beschrijf_validatiefouten(exc)):
        loc = tuple(fout["loc"])
        pydantic_plek = ".".join(str(d) for d in loc) or "(bestand)"
        reden = regel[len(pydantic_plek) + 2:] if regel.startswith(pydantic_plek + ": ") else regel
        if loc == ("personen",) and fout["type"] == "too_short":
            reden = "ontbreekt (minstens één persoon)"
        naam = plek(loc)
        regels.append(f"{naam}: {reden}" if naam else reden)
    return regels


# --- CSV -------------------------------------------------------------------------------------


def _lees_csv(tekst: str, instellingen: Instellingen) -> GelezenImport:
    eerste_regel = tekst.splitlines()[0]
    scheiding = ";" if eerste_regel.count(";") > eerste_regel.count(",") else ","
    lezer = csv.reader(io.StringIO(tekst, newline=""), delimiter=scheiding)
    kop = [k.strip().lower() for k in next(lezer)]
    kopfouten = _controleer_kop(kop)
    if kopfouten:
        return GelezenImport(fouten=[Rijfout(rij=1, fouten=kopfouten)])
    personen = sorted({int(m.group(1)) for k in kop if (m := _PERSOONKOLOM.match(k))})

    def rijen():
        vorige = lezer.line_num
        for cellen in lezer:
            # A quoted cell may span lines: the row starts on the line after the previous row.
            nummer, vorige = vorige + 1, lezer.line_num
            if not any(c.strip() for c in cellen):
                continue  # blank line
            fouten = []
            if len(cellen) != len(kop):
                fouten.append(f"heeft {len(cellen)} cellen, de kopregel heeft er {len(kop)}")
                cellen = (cellen + [""] * len(kop))[: len(kop)]
            ruw, gevuld = _csv_naar_invoer(dict(zip(kop, cellen)), personen)
            yield nummer, ruw, fouten, lambda loc, gevuld=gevuld: _csv_kolom(loc, gevuld)

    try:
        return _controleer_rijen(rijen(), instellingen)
    except csv.Error:
        return _bestandsfout(f"is geen geldige CSV (rond regel {lezer.line_num})")


def _controleer_kop(kop: list[str]) -> list[str]:
    bekend = set(VASTE_KOLOMMEN)
    if not any(k in bekend or _PERSOONKOLOM.match(k) for k in kop):
        return ["de kopregel ontbreekt of bevat geen enkele bekende kolom (zie het importformaat)"]
    fouten = []
    for positie, naam in enumerate(kop, 1):
        if not naam:
            fouten.append(f"kolom {positie} heeft geen naam")
        elif naam not in bekend and not _PERSOONKOLOM.match(naam):
            getoond = f"'{naam}'" if _VEILIGE_KOLOMNAAM.match(naam) else "(naam niet getoond)"
            fouten.append(f"kolom {positie} {getoond} is onbekend")
    dubbel = sorted({k for k in kop if k and kop.count(k) > 1 and _VEILIGE_KOLOMNAAM.match(k)})
    if dubbel:
        fouten.append(f"kolom(men) komen dubbel voor: {', '.join(dubbel)}")
    ontbrekend = [k for k in VERPLICHTE_KOLOMMEN if k not in kop]
    if ontbrekend:
        fouten.append(f"verplichte kolom(men) ontbreken: {', '.join(ontbrekend)}")
    return fouten


def _csv_naar_invoer(cellen: dict[str, str], personen: list[int]) -> tuple[dict, list[int]]:
    """Flat cells to the nested shape of MeldingInvoer; empty cells are left out."""
    waarden = {k: v.strip() for k, v in cellen.items() if v is not None and v.strip()}
    invoer: dict = {k: waarden[k] for k in VASTE_KOLOMMEN if k in waarden and not k.startswith("melder_")
                    and k not in _ADRES}
    melder = {k.removeprefix("melder_"): waarden[k] for k in VASTE_KOLOMMEN
              if k.startswith("melder_") and k in waarden}
    if "wil_terugkoppeling" in melder:
        melder["wil_terugkoppeling"] = _JA.get(melder["wil_terugkoppeling"].lower(), melder["wil_terugkoppeling"])
    if melder:
        invoer["melder"] = melder
    adres = {k: waarden[k] for k in _ADRES if k in waarden}
    if adres:
        invoer["adres"] = adres
    lijst, volgorde = [], []
    for n in personen:
        persoon = {v: waarden[f"persoon{n}_{v}"] for v in PERSOON_VELDEN if f"persoon{n}_{v}" in waarden}
        if persoon:
            lijst.append(persoon)
            volgorde.append(n)
    invoer["personen"] = lijst
    return invoer, volgorde


def _csv_kolom(loc: tuple, personen: list[int]) -> str:
    """The CSV column a pydantic error location refers to."""
    if not loc:
        return ""
    kop, *rest = loc
    if kop == "melder":
        return f"melder_{rest[0]}" if rest else "melder"
    if kop == "adres":
        return str(rest[0]) if rest else "straat_huisnummer/postcode/woonplaats"
    if kop == "personen":
        if not rest:
            return "persoon1"
        index = rest[0]
        n = personen[index] if isinstance(index, int) and index < len(personen) else index
        return f"persoon{n}_{rest[1]}" if len(rest) > 1 else f"persoon{n}"
    return ".".join(str(d) for d in loc)


# --- JSON ------------------------------------------------------------------------------------


def _lees_json(tekst: str, instellingen: Instellingen) -> GelezenImport:
    try:
        data = json.loads(tekst)
    except json.JSONDecodeError as exc:
        return _bestandsfout(f"is geen geldige JSON (regel {exc.lineno}, kolom {exc.colno})")
    if not isinstance(data, list):
        return _bestandsfout("moet een JSON-lijst van meldingen zijn ([ {...}, {...} ])")
    return _controleer_rijen(((i, ruw, [], _json_veld) for i, ruw in enumerate(data, 1)), instellingen)


def _json_veld(loc: tuple) -> str:
    delen = [str(d + 1) if isinstance(d, int) and i > 0 and loc[i - 1] == "personen" else str(d)
             for i, d in enumerate(loc)]
    return ".".join(delen)


# --- writing (benchmarks, tests, exports) ------------------------------------------------------


def csv_kolommen(aantal_personen: int) -> list[str]:
    return [*VASTE_KOLOMMEN, *(f"persoon{n}_{v}" for n in range(1, aantal_personen + 1) for v in PERSOON_VELDEN)]


def als_csv_rij(melding: MeldingInvoer) -> dict[str, str]:
    """One melding as the flat cells of the CSV import format."""
    m = melding
    rij = dict(
        bron=m.bron or "", extern_id=m.extern_id or "", ontvangen_op=m.ontvangen_op.isoformat(),
        gemeente_code=m.gemeente_code, kanaal=m.kanaal.value, urgentie=m.urgentie.value,
        omschrijving=m.omschrijving, melder_soort=m.melder.soort.value, melder_naam=m.melder.naam or "",
        melder_telefoon=m.melder.telefoon or "", melder_email=m.melder.email or "",
        melder_wil_terugkoppeling="ja" if m.melder.wil_terugkoppeling else "nee",
        straat_huisnummer=m.adres.straat_huisnummer, postcode=m.adres.postcode, woonplaats=m.adres.woonplaats,
    )
    for n, p in enumerate(m.personen, 1):
        rij.update({
            f"persoon{n}_rol": p.rol.value, f"persoon{n}_naam": p.naam,
            f"persoon{n}_geboortedatum": p.geboortedatum.isoformat() if p.geboortedatum else "",
            f"persoon{n}_bsn": p.bsn or "",
        })
    return rij


def schrijf_csv(meldingen: list[MeldingInvoer], pad: Path | str, scheiding: str = ";") -> Path:
    """Write meldingen in the CSV import format (UTF-8, header row)."""
    pad = Path(pad)
    kolommen = csv_kolommen(max((len(m.personen) for m in meldingen), default=1))
    with pad.open("w", encoding="utf-8", newline="") as f:
        schrijver = csv.DictWriter(f, fieldnames=kolommen, delimiter=scheiding, restval="")
        schrijver.writeheader()
        schrijver.writerows(als_csv_rij(m) for m in meldingen)
    return pad


def schrijf_json(meldingen: list[MeldingInvoer], pad: Path | str) -> Path:
    pad = Path(pad)
    data = [m.model_dump(mode="json", exclude_none=True) for m in meldingen]
    pad.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return pad


# --- results ---------------------------------------------------------------------------------


def controle(bestand: str, gelezen: GelezenImport) -> ImportControle:
    return ImportControle(bestand=str(bestand), rijen=gelezen.rijen, geldig=len(gelezen.meldingen),
                          fouten=gelezen.fouten)


def resultaat(bestand: str, gelezen: int, geregistreerd: list) -> ImportResultaat:
    """Summarise `registreer_meldingen` results (list of `Geregistreerd`) without personal data."""
    nieuw = list(dict.fromkeys(g.casus_referentie for g in geregistreerd if not g.hermelding))
    return ImportResultaat(
        bestand=str(bestand), gelezen=gelezen, geregistreerd=len(geregistreerd),
        nieuwe_casussen=len(nieuw), hermeldingen=sum(1 for g in geregistreerd if g.hermelding),
        overgeslagen=gelezen - len(geregistreerd), casus_referenties=nieuw[:MAX_REFERENTIES],
        meer_casussen=max(0, len(nieuw) - MAX_REFERENTIES),
    )


def importverslag(r: ImportResultaat) -> str:
    """Markdown for the Prefect artifact of an import: counts and references only."""
    refs = ", ".join(r.casus_referenties) or "geen"
    if r.meer_casussen:
        refs += f" en nog {r.meer_casussen}"
    return "\n".join([
        "# Import van meldingen",
        "",
        "| | aantal |",
        "|---|---:|",
        f"| gelezen | {r.gelezen} |",
        f"| geregistreerd | {r.geregistreerd} |",
        f"| nieuwe casussen | {r.nieuwe_casussen} |",
        f"| hermeldingen | {r.hermeldingen} |",
        f"| overgeslagen (al eerder ingelezen) | {r.overgeslagen} |",
        "",
        f"Nieuwe casussen: {refs}",
    ])


def afkeuringsverslag(c: ImportControle) -> str:
    """Markdown for the artifact of a rejected import: row numbers and reasons, no values."""
    regels = [regel for fout in c.fouten for regel in fout.regels()]
    return "\n".join([
        "# Import van meldingen afgekeurd",
        "",
        f"{c.rijen} rijen gelezen, {len(c.fouten)} met fouten. Er is niets opgeslagen.",
        "",
        *(f"- {r}" for r in regels),
    ])

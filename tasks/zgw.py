"""Tasks of the ZGW export (flows/zgw.py): every casus as Zaken API 1.5.1 resources in a JSON file
of its own (`<map>/<casus>.json`: zaak, statussen, resultaat, rollen) and `export.json` naming
the run. The resources may hold personal data (the melder's name when `zgw.personen` is on), so
they never cross a task boundary: the task reads, maps, checks and writes, and returns counts,
the folder and, when refused, case references with field names.

All or nothing: the files are written to a new folder beside the target first, and moved into
place only when every casus passed the schemas. Exporting again writes the same content (stable
uuids), so a rerun or a second worker changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from models.dossier.wijzigingen import OnbekendeCasus
from models.lezen.zgw import te_exporteren, zaakgegevens
from models.opslag.bestanden import PRIVE, beperk_bestand, maak_map
from models.opslag.db import sessie
from models.opslag.typen import nu
from models.regels.instellingen import Omgeving, instellingen
from models.regels.kalender import AMSTERDAM, werkkalender
from models.regels.zgw import SPECIFICATIE, zgw_instellingen, zgw_zaak
from models.regels.zgw_schema import controleer
from templates import render

ARTEFACT = "zgw-export"
MAX_FOUTEN = 50  # a refusal names this many; the rest as a count


class ZgwExport(BaseModel):
    """What a run did: counts and the folder, or why nothing was written."""

    map: str
    zaken: int = 0
    statussen: int = 0
    resultaten: int = 0
    rollen: int = 0
    personen: bool = False
    fouten: list[str] = []
    meer_fouten: int = 0

    @property
    def geweigerd(self) -> bool:
        return bool(self.fouten)


def exportmap() -> Path:
    """Where the export goes: VT_ZGW_MAP, else <VT_DATA_MAP>/zgw-export. An operator's choice,
    never a flow parameter: nobody picks a folder for personal data from the UI."""
    omgeving = Omgeving()
    return (omgeving.zgw_map or omgeving.data_map / "zgw-export").expanduser().resolve()


@task(name="ZGW-export schrijven", cache_policy=NO_CACHE)
def schrijf_zgw_export(sinds: dt.date | None = None, casus: str | None = None) -> ZgwExport:
    """Map, check and write the casussen changed since `sinds` (a day in Dutch time), one casus,
    or all. Refuses the whole export when one resource breaks the schemas."""
    regio = instellingen()
    zgw, kalender, doel = zgw_instellingen(regio), werkkalender(regio), exportmap()
    maak_map(doel, PRIVE)
    tijdelijk = doel / f".nieuw-{uuid.uuid4().hex}"
    maak_map(tijdelijk, PRIVE, basis=doel)
    uitkomst = ZgwExport(map=str(doel), personen=zgw.personen)
    try:
        with sessie() as session:
            try:
                ids = te_exporteren(session, sinds=_begin_van(sinds), referentie=casus)
            except OnbekendeCasus as exc:
                ids, uitkomst.fouten = [], [str(exc)]
            for gegevens in zaakgegevens(session, ids, personen=zgw.personen):
                zaak = zgw_zaak(gegevens, regio, kalender)
                fouten = controleer(zaak)
                if fouten or uitkomst.fouten:
                    _onthoud(uitkomst, fouten)
                    continue
                _schrijf(tijdelijk / f"{zaak.referentie}.json", zaak.als_json())
                _tel(uitkomst, zaak)
        if not uitkomst.geweigerd:
            _zet_op_zijn_plaats(tijdelijk, doel, uitkomst, sinds, casus)
    finally:
        shutil.rmtree(tijdelijk, ignore_errors=True)
    _log(uitkomst)
    return uitkomst


@task(name="ZGW-exportverslag publiceren", cache_policy=NO_CACHE)
def publiceer_exportverslag(uitkomst: ZgwExport, sinds: dt.date | None, casus: str | None) -> None:
    create_markdown_artifact(key=ARTEFACT, description="ZGW-export: aantallen, of waarom niets is geschreven",
                             markdown=render("zgw/verslag.md.j2", u=uitkomst, sinds=sinds, casus=casus,
                                             specificatie=SPECIFICATIE))


def _begin_van(sinds: dt.date | None) -> dt.datetime | None:
    return None if sinds is None else dt.datetime.combine(sinds, dt.time(0), tzinfo=AMSTERDAM)


def _onthoud(uitkomst: ZgwExport, fouten) -> None:
    for fout in fouten:
        if len(uitkomst.fouten) < MAX_FOUTEN:
            uitkomst.fouten.append(str(fout))
        else:
            uitkomst.meer_fouten += 1


def _tel(uitkomst: ZgwExport, zaak) -> None:
    uitkomst.zaken += 1
    uitkomst.statussen += len(zaak.statussen)
    uitkomst.resultaten += zaak.resultaat is not None
    uitkomst.rollen += len(zaak.rollen)


def _schrijf(pad: Path, inhoud: dict) -> None:
    """A file readable by the system's own user only, whole or not at all."""
    fd = os.open(pad, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    beperk_bestand(fd, PRIVE)
    with os.fdopen(fd, "w", encoding="utf-8") as bestand:
        json.dump(inhoud, bestand, ensure_ascii=False, indent=2)
        bestand.write("\n")


def _zet_op_zijn_plaats(tijdelijk: Path, doel: Path, uitkomst: ZgwExport, sinds, casus) -> None:
    for bestand in sorted(tijdelijk.glob("*.json")):
        os.replace(bestand, doel / bestand.name)
    verslag = tijdelijk / "export.json"
    _schrijf(verslag, {"specificatie": SPECIFICATIE, "gemaakt_op": nu().astimezone(AMSTERDAM).isoformat(),
                       "sinds": sinds.isoformat() if sinds else None, "casus": casus,
                       **uitkomst.model_dump(exclude={"map", "fouten", "meer_fouten"})})
    os.replace(verslag, doel / "export.json")


def _log(uitkomst: ZgwExport) -> None:
    logger = get_run_logger()
    if uitkomst.geweigerd:
        logger.error("ZGW-export geweigerd: %d fout(en) tegen de schema's van de %s; niets geschreven",
                     len(uitkomst.fouten) + uitkomst.meer_fouten, SPECIFICATIE)
    else:
        logger.info("ZGW-export: %d zaken, %d statussen, %d resultaten, %d rollen geschreven", uitkomst.zaken,
                    uitkomst.statussen, uitkomst.resultaten, uitkomst.rollen)

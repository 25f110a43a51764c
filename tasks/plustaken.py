"""The yearly overview of the plustaken per gemeente (seed 003), for the contract talks: a file
pair (markdown and CSV) in the data folder and a markdown artifact in the Prefect UI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from models.lezen.plustaken import Jaaroverzicht, jaaroverzicht
from models.opslag.bestanden import PRIVE, maak_map
from models.opslag.db import sessie
from models.opslag.typen import nu
from models.regels.instellingen import Omgeving, instellingen
from models.regels.kalender import AMSTERDAM
from templates import render

MAP = "plustaken"


def bereken_jaaroverzicht(jaar: int) -> Jaaroverzicht:
    regio = instellingen()
    with sessie() as session:
        return jaaroverzicht(session, regio, jaar, nu().astimezone(AMSTERDAM).date())


def schrijf_jaaroverzicht(overzicht: Jaaroverzicht, map_: Path, basis: Path | None = None) -> list[Path]:
    """plustaken-<jaar>.md and .csv in `map_` (the system's user only, as the report archive)."""
    maak_map(map_, PRIVE, basis)
    bestanden = []
    for soort, codering in (("md", "utf-8"), ("csv", "utf-8-sig")):
        pad = map_ / f"plustaken-{overzicht.jaar}.{soort}"
        pad.write_text(render(f"plustaken/jaaroverzicht.{soort}.j2", o=overzicht), encoding=codering)
        pad.chmod(PRIVE.bestand)
        bestanden.append(pad)
    return bestanden


@task(name="jaaroverzicht plustaken", cache_policy=NO_CACHE)
def maak_jaaroverzicht(jaar: int | None = None) -> list[str]:
    """The overview of `jaar` (default: this year so far) as files and as artifact
    `plustaken-<jaar>`; returns the files written. A newer run writes over them: the figures
    of a running year grow."""
    jaar = jaar or nu().astimezone(AMSTERDAM).year
    overzicht = bereken_jaaroverzicht(jaar)
    archief = Omgeving().data_map / "rapporten"
    bestanden = schrijf_jaaroverzicht(overzicht, archief / MAP, basis=archief)
    create_markdown_artifact(key=f"plustaken-{jaar}", markdown=render("plustaken/jaaroverzicht.md.j2", o=overzicht),
                             description=f"Plustaken per gemeente in {jaar}, voor het contractgesprek")
    return [str(p) for p in bestanden]

"""Tasks of the overstap (switching over a running werkvoorraad, models/dossier/overstap.py). The
parsed casussen hold personal data, so they never cross a task boundary: each task reads the
file itself and returns counts, row numbers and case references only."""

from __future__ import annotations

import datetime as dt

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from models.dossier.importformaat import ImportAfgekeurd, ImportControle, afkeuringsverslag
from models.dossier.overstap import OverstapResultaat, lees_overstapbestand, neem_over
from models.opslag.db import sessie
from models.opslag.regio import synchroniseer
from models.regels.instellingen import instellingen
from templates import render

ARTEFACT = "overstap"


@task(name="overstapbestand controleren", cache_policy=NO_CACHE)
def controleer_overstapbestand(pad: str, stand_op: dt.datetime) -> ImportControle:
    """Read and check every casus; counts and row errors (field + reason, no values)."""
    gelezen = lees_overstapbestand(pad, instellingen(), stand_op)
    get_run_logger().info("%d casussen gelezen: %d in orde, %d met fouten", gelezen.rijen, len(gelezen.casussen),
                          len(gelezen.fouten))
    return ImportControle(bestand=str(pad), rijen=gelezen.rijen, geldig=len(gelezen.casussen), fouten=gelezen.fouten)


@task(name="casussen overnemen", cache_policy=NO_CACHE)
def neem_casussen_over(pad: str, door: str, stand_op: dt.datetime) -> OverstapResultaat:
    """Every casus of the file in ONE transaction (all or nothing); taken over before: skipped."""
    regio = instellingen()
    gelezen = lees_overstapbestand(pad, regio, stand_op)
    if gelezen.fouten:  # the file changed since it was checked
        raise ImportAfgekeurd(pad, gelezen.fouten)
    with sessie() as session:
        synchroniseer(session, regio)
        try:
            uitkomst = neem_over(session, gelezen.casussen, regio, door, stand_op, bestand=pad)
        except ImportAfgekeurd as exc:
            raise ImportAfgekeurd(pad, exc.fouten) from None
    get_run_logger().info("Overstap vastgelegd: %d casussen overgenomen, %d overgeslagen, %d ladderstappen als "
                          "verstuurd vóór de overstap", uitkomst.overgenomen, uitkomst.overgeslagen,
                          uitkomst.stappen_voor_overstap)
    return uitkomst


@task(name="overstapverslag publiceren", cache_policy=NO_CACHE)
def publiceer_overstapverslag(uitkomst: OverstapResultaat, stand_op: dt.datetime) -> None:
    create_markdown_artifact(key=ARTEFACT, markdown=render("overstap/verslag.md.j2", r=uitkomst, stand_op=stand_op),
                             description="Aantallen van de overstap")


@task(name="overstap-afkeuring publiceren", cache_policy=NO_CACHE)
def publiceer_afkeuring(gecontroleerd: ImportControle) -> None:
    create_markdown_artifact(key=ARTEFACT, markdown=afkeuringsverslag(gecontroleerd).replace(
        "Import van meldingen afgekeurd", "Overstap afgekeurd"), description="Overstap afgekeurd: rijnummers en redenen")

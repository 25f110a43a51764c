"""Tasks for importing a file of meldingen. The parsed meldingen hold personal data, so they
never cross a task boundary: each task reads the file itself and returns counts only."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from models.opslag.db import sessie
from models.dossier.importformaat import (
    ImportAfgekeurd,
    ImportControle,
    ImportResultaat,
    afkeuringsverslag,
    controle,
    importverslag,
    lees_importbestand,
    resultaat,
)
from models.regels.instellingen import instellingen
from models.opslag.regio import synchroniseer
from models.dossier.registratie import batched, registreer_meldingen

BATCH = 1000


# The file may change between runs: never answer from a cache.
@task(name="importbestand-controleren", cache_policy=NO_CACHE)
def valideer_importbestand(pad: str) -> ImportControle:
    """Read and check every row; returns counts and the row errors (field + reason, no values)."""
    gelezen = lees_importbestand(pad, instellingen())
    get_run_logger().info(
        "%d rijen gelezen: %d in orde, %d met fouten", gelezen.rijen, len(gelezen.meldingen), len(gelezen.fouten)
    )
    return controle(pad, gelezen)


@task(name="meldingen-registreren", cache_policy=NO_CACHE)
def importeer_meldingen(pad: str, actor: str) -> ImportResultaat:
    """Register every melding of the file in ONE transaction (all or nothing), in batches.
    Meldingen imported before (same bron + extern_id) are skipped."""
    logger = get_run_logger()
    regio = instellingen()
    gelezen = lees_importbestand(pad, regio)
    if gelezen.fouten:  # the file changed since it was checked
        raise ImportAfgekeurd(pad, gelezen.fouten)
    # In order of receipt, so the first melding about a household opens its casus even when
    # the file is not sorted and the meldingen land in different batches.
    meldingen = sorted(gelezen.meldingen, key=lambda m: m.ontvangen_op)
    batches = -(-len(meldingen) // BATCH)
    geregistreerd = []
    with sessie() as session:
        synchroniseer(session, regio)
        for nummer, batch in enumerate(batched(meldingen, BATCH), 1):
            nieuw = registreer_meldingen(session, list(batch), regio, actor)
            geregistreerd.extend(nieuw)
            logger.info(
                "Batch %d/%d: %d meldingen, %d geregistreerd (%d hermeldingen), %d overgeslagen",
                nummer, batches, len(batch), len(nieuw), sum(g.hermelding for g in nieuw), len(batch) - len(nieuw),
            )
    uitkomst = resultaat(pad, len(meldingen), geregistreerd)
    logger.info(
        "Import vastgelegd: %d geregistreerd, %d nieuwe casussen, %d hermeldingen, %d overgeslagen",
        uitkomst.geregistreerd, uitkomst.nieuwe_casussen, uitkomst.hermeldingen, uitkomst.overgeslagen,
    )
    return uitkomst


@task(name="importverslag-publiceren", cache_policy=NO_CACHE)
def publiceer_importverslag(uitkomst: ImportResultaat) -> None:
    create_markdown_artifact(
        key="meldingen-import", markdown=importverslag(uitkomst), description="Aantallen van de import"
    )


@task(name="afkeuring-publiceren", cache_policy=NO_CACHE)
def publiceer_afkeuring(gecontroleerd: ImportControle) -> None:
    create_markdown_artifact(
        key="meldingen-import", markdown=afkeuringsverslag(gecontroleerd),
        description="Import afgekeurd: rijnummers en redenen",
    )

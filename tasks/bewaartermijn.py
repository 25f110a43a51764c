"""Tasks of the retention run: find the casussen past their bewaartermijn, destroy their personal
data (models/dossier/bewaartermijn.py for the steps and their order), and report to beheer.
Prefect sees references and counts only."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from dataclasses import dataclass, field

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from models.brieven.inhoud import archiefmap, archiefmap_van, printwachtrij, printwachtrij_naam
from models.dossier import bewaartermijn as bt
from models.dossier import uitgaand
from models.opslag.bewaartermijn import leeg_logboek, wis_grondig
from models.opslag.db import sessie
from models.opslag.storingspunt import storingspunt
from models.regels.instellingen import Instellingen, instellingen
from models.regels.ontvangers import rol
from models.regels.toegang import SYSTEEM
from tasks.zgw import exportmap
from templates import render, render_onderwerp_en_inhoud

PROEF_ARTEFACT = "bewaartermijn-proefdraai"
TEMPLATE = "bewaartermijn/vernietigd.txt.j2"


@dataclass
class Vernietigingsverslag:
    proef: bool
    vernietigd: list[str] = field(default_factory=list)  # references
    overgeslagen: list[str] = field(default_factory=list)  # a hold placed while the run ran
    bericht: int | None = None  # the report to beheer


def verwijder_bestanden(referentie: str, brieven: list[tuple[int, str]], regio: Instellingen) -> int:
    """Delete the casus's files: its archive folder, each letter's print-queue copy and its ZGW
    export (which names the melder when `zgw.personen` is on; the next export writes it anew from
    what is kept). What is already gone is no error (a rerun after a crash). Returns the number
    deleted."""
    verwijderd = 0
    map_ = archiefmap_van(referentie)
    if not map_.resolve().is_relative_to(archiefmap().resolve()) or map_.resolve() == archiefmap().resolve():
        raise ValueError(f"archiefmap van {referentie} ligt buiten het archief")
    if map_.is_dir():
        verwijderd += sum(1 for p in map_.rglob("*") if p.is_file())
        shutil.rmtree(map_)
    wachtrij = printwachtrij(regio)
    for brief_id, soort in brieven:
        kopie = wachtrij / printwachtrij_naam(brief_id, referentie, soort)
        if kopie.exists():
            kopie.unlink(missing_ok=True)
            verwijderd += 1
    zaak = exportmap() / f"{referentie}.json"
    if zaak.exists():
        zaak.unlink(missing_ok=True)
        verwijderd += 1
    return verwijderd


def vernietig_casus(casus_id: int, referentie: str, regio: Instellingen, door: str) -> None:
    """The three steps for one casus, each finished before the next starts."""
    with sessie() as session:
        bt.begin(session, casus_id, door)
        brieven = [(b.id, b.soort) for b in bt.brieven_van(session, casus_id)]
    verwijderd = verwijder_bestanden(referentie, brieven, regio)
    storingspunt("vernietiging-bestanden-weg")  # the crash test kills the run here
    with sessie() as session:
        wis_grondig(session)
        bt.rond_af(session, casus_id, door, verwijderd)


def vernietig(peilmoment: dt.datetime, regio: Instellingen, door: str = SYSTEEM) -> Vernietigingsverslag:
    """Destroy every casus due at `peilmoment` (and finish what a crash left), without Prefect."""
    with sessie() as session:
        kandidaten = bt.te_vernietigen(session, peilmoment, regio.bewaartermijn_jaren)
    verslag = Vernietigingsverslag(proef=False)
    for kandidaat in kandidaten:
        try:
            vernietig_casus(kandidaat.casus_id, kandidaat.referentie, regio, door)
        except bt.BewaartermijnFout:  # held (or reopened) between the search and now: it stays
            verslag.overgeslagen.append(kandidaat.referentie)
            continue
        verslag.vernietigd.append(kandidaat.referentie)
    if verslag.vernietigd:
        with sessie() as session:
            leeg_logboek(session)
    return verslag


def proef(peilmoment: dt.datetime, regio: Instellingen) -> list[bt.TeVernietigen]:
    """What a run at `peilmoment` would destroy; nothing is changed."""
    with sessie() as session:
        return bt.te_vernietigen(session, peilmoment, regio.bewaartermijn_jaren)


def meld_vernietigd(regio: Instellingen) -> int | None:
    """Queue one message to beheer about every destruction not reported yet (references and
    counts), marked reported in the same transaction: never twice, never lost. Returns its id."""
    with sessie() as session:
        rijen = bt.te_melden(session)
        if not rijen:
            return None
        totalen: dict[str, int] = {}
        for _, vernietiging in rijen:
            for wat, aantal in vernietiging.aantallen.items():
                totalen[wat] = totalen.get(wat, 0) + aantal
        onderwerp, inhoud = render_onderwerp_en_inhoud(
            TEMPLATE, casussen=[(r, v.aantallen) for r, v in rijen], totalen=totalen,
            jaren=regio.bewaartermijn_jaren)
        ids = ",".join(str(v.id) for _, v in rijen)
        notificatie, _ = uitgaand.plaats(
            session, sleutel=f"bewaartermijn-vernietigd:{hashlib.sha256(ids.encode()).hexdigest()[:32]}",
            soort="vernietiging_gemeld", ontvanger=rol(regio.beheer_rol), onderwerp=onderwerp, inhoud=inhoud)
        bt.markeer_gemeld(session, [v for _, v in rijen])
        session.flush()
        return notificatie.id


def proefverslag(kandidaten: list[bt.TeVernietigen], peilmoment: dt.datetime, regio: Instellingen) -> str:
    return render("bewaartermijn/proefdraai.md.j2", peilmoment=peilmoment, kandidaten=kandidaten,
                  jaren=regio.bewaartermijn_jaren)


@task(name="verlopen dossiers vernietigen", cache_policy=NO_CACHE)
def vernietig_verlopen(peilmoment: dt.datetime) -> Vernietigingsverslag:
    verslag = vernietig(peilmoment, instellingen())
    get_run_logger().info("Bewaartermijn: %d casussen vernietigd, %d overgeslagen (blokkade geplaatst tijdens de run).",
                          len(verslag.vernietigd), len(verslag.overgeslagen))
    return verslag


@task(name="vernietiging melden aan beheer", cache_policy=NO_CACHE)
def meld_vernietiging() -> int | None:
    return meld_vernietigd(instellingen())


@task(name="bewaartermijn als proefdraai", cache_policy=NO_CACHE)
def proef_vernietiging(peilmoment: dt.datetime) -> Vernietigingsverslag:
    regio = instellingen()
    kandidaten = proef(peilmoment, regio)
    create_markdown_artifact(key=PROEF_ARTEFACT, markdown=proefverslag(kandidaten, peilmoment, regio),
                             description="Proefdraai: welke dossiers de bewaartermijn zou vernietigen")
    get_run_logger().info("Proefdraai bewaartermijn: %d casussen zouden worden vernietigd; niets gewijzigd.",
                          len(kandidaten))
    return Vernietigingsverslag(proef=True, vernietigd=[k.referentie for k in kandidaten])

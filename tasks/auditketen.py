"""Tasks of the audit chain: the daily anchor (written to the report archive, e-mailed outside the
system) and the check (every chain, the newest anchors; a break is recorded and alerts beheer
once). References and hashes only, in files, e-mails, logs and results."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from models.dossier import auditketen as schrijven
from models.dossier import uitgaand
from models.lezen import auditketen as lezen
from models.lezen.rapportarchief import RAPPORTMAP
from models.opslag.bestanden import PRIVE, maak_map
from models.opslag.db import sessie
from models.opslag.typen import nu
from models.regels.auditketen import Breuk, anker
from models.regels.instellingen import Instellingen, Omgeving, instellingen
from models.regels.kalender import AMSTERDAM
from models.regels.ontvangers import AUDITANKER, rol
from templates import render_onderwerp_en_inhoud


def archief() -> Path:
    return Omgeving().data_map / RAPPORTMAP


@dataclass(frozen=True)
class Anker:
    datum: str
    digest: str
    ketens: int
    gebeurtenissen: int
    pad: str
    nieuw: bool  # False: today's anchor existed already (a rerun); nothing was rewritten


def schrijf_anker(moment: dt.datetime | None = None) -> Anker:
    """Today's anchor (Europe/Amsterdam) in the archive, once: a rerun the same day keeps the
    first one, so the e-mailed digest always matches the file."""
    moment = moment or nu()
    datum = moment.astimezone(AMSTERDAM).date()
    pad = lezen.ankerpad(archief(), datum.isoformat())
    nieuw = not pad.exists()
    if nieuw:
        with sessie(expire_on_commit=False) as session:
            inhoud = anker(datum, moment, lezen.koppen(session))
        maak_map(pad.parent, PRIVE, Omgeving().data_map)
        tijdelijk = pad.with_suffix(".json.deel")
        tijdelijk.write_text(json.dumps(inhoud, ensure_ascii=False, indent=1))
        tijdelijk.chmod(PRIVE.bestand)
        try:
            os.link(tijdelijk, pad)  # fails if a concurrent run was first: its anchor stands
        except FileExistsError:
            nieuw = False
        finally:
            tijdelijk.unlink()
    inhoud = json.loads(pad.read_text())
    return Anker(inhoud["datum"], inhoud["digest"], inhoud["ketens"], inhoud["gebeurtenissen"], str(pad), nieuw)


def plaats_ankerbericht(a: Anker) -> int:
    """The anchor's e-mail to its keeper, once per day (the outbox key), with the file attached."""
    onderwerp, inhoud = render_onderwerp_en_inhoud("notificaties/auditanker.txt.j2", a=a)
    with sessie() as session:
        notificatie, _ = uitgaand.plaats(
            session, sleutel=f"auditanker:{a.datum}", soort="auditanker", ontvanger=AUDITANKER,
            onderwerp=onderwerp, inhoud=inhoud, bijlagen=[a.pad])
        session.flush()
        return notificatie.id


@dataclass(frozen=True)
class Controleverslag:
    ketens: int
    gebeurtenissen: int
    ankers: list[str]
    breuken: list[dict]  # Breuk.als_dict(): references, numbers, codes
    nieuwe_breuken: int
    notificatie_id: int | None


def controleer(regio: Instellingen, casus: str | None = None) -> lezen.Controle:
    """The check `vt audit controleer` runs too: every chain (or one casus's), the newest anchors."""
    ankers = lezen.laatste_ankers(archief(), regio.auditketen.ankers_controleren)
    with sessie(expire_on_commit=False) as session:
        return lezen.controleer(session, ankers, casus)


def meld_breuken(breuken: list[Breuk], regio: Instellingen) -> tuple[int, int | None]:
    """Record the breaks; the ones not seen before go to beheer in one e-mail, in the same
    transaction (a rerun or a second check finds them recorded and sends nothing).
    Returns (new breaks, notification id)."""
    with sessie() as session:
        nieuw = schrijven.leg_breuken_vast(session, breuken)
        if not nieuw:
            return 0, None
        onderwerp, inhoud = render_onderwerp_en_inhoud("notificaties/auditbreuk.txt.j2", breuken=nieuw)
        notificatie, _ = uitgaand.plaats(
            session, sleutel=f"auditbreuk:{nieuw[0].sleutel}"[:200], soort="auditbreuk",
            ontvanger=rol(regio.beheer_rol), onderwerp=onderwerp, inhoud=inhoud)
        session.flush()
        return len(nieuw), notificatie.id


@task(name="auditanker schrijven", cache_policy=NO_CACHE)
def anker_schrijven() -> Anker:
    a = schrijf_anker()
    get_run_logger().info("Anker %s: %s ketens, %s gebeurtenissen, digest %s%s", a.datum, a.ketens,
                          a.gebeurtenissen, a.digest, "" if a.nieuw else " (stond er al)")
    return a


@task(name="auditanker versturen", cache_policy=NO_CACHE)
def ankerbericht_klaarzetten(a: Anker) -> int:
    return plaats_ankerbericht(a)


@task(name="auditketen controleren", cache_policy=NO_CACHE)
def keten_controleren() -> Controleverslag:
    regio = instellingen()
    controle = controleer(regio)
    aantal, notificatie_id = meld_breuken(controle.breuken, regio)
    logger = get_run_logger()
    logger.info("Audittrail: %s ketens, %s gebeurtenissen, %s breuken (%s nieuw); ankers %s",
                controle.ketens, controle.gebeurtenissen, len(controle.breuken), aantal, ", ".join(controle.ankers))
    for b in controle.breuken:
        logger.warning("Breuk in de audittrail: casus %s, %s", b.casus or "(zonder casus)", b.toelichting)
    return Controleverslag(controle.ketens, controle.gebeurtenissen, controle.ankers,
                           [b.als_dict() for b in controle.breuken], aantal, notificatie_id)

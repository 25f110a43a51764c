"""Tasks of the deadline watch: fire the escalation steps that are due, and publish the
overview of terms over time. Both carry case references, codes and counts only."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from models.opslag import typen
from models.dossier import uitgaand
from models.opslag.db import sessie
from models.regels.instellingen import Instellingen, instellingen, instellingsstoring
from models.regels.kalender import eis_tijdzone, werkkalender
from models.regels.ontvangers import rol
from models.dossier.termijnbewaking import (
    Bewakingsverslag,
    Stapbesluit,
    berichtcontext,
    beslis,
    is_proefdraai,
    ladder_van,
    over_tijd,
    overzichtsregels,
    te_bewaken,
    voer_uit,
    vooruitblik,
)
from tasks.acties import TERMIJN, actielink
from templates import render, render_onderwerp_en_inhoud
from templates import tijdstip as lokaal_tijdstip

# Terms handled per transaction: short enough that a SQLite writer (the intake) never waits long.
BATCH = 200
ARTEFACT = "termijnen-over-tijd"
PROEF_ARTEFACT = "termijnbewaking-proefdraai"
TEMPLATE = "notificaties/escalatie.txt.j2"


def _peilmoment(moment: dt.datetime | None) -> dt.datetime:
    moment = moment or typen.nu()
    eis_tijdzone(moment, "peilmoment")
    return moment


def bewaak(moment: dt.datetime, regio: Instellingen) -> Bewakingsverslag:
    """The watch itself, without Prefect: fire every step due at `moment`, batch by batch."""
    kalender = werkkalender(regio)
    link = actielink(TERMIJN, regio)  # the form to extend or suspend a term, once per run

    def tekst(besluit: Stapbesluit) -> tuple[str, str]:
        return render_onderwerp_en_inhoud(TEMPLATE, **berichtcontext(besluit, regio, kalender, moment),
                                          termijnlink=link)

    verslag = Bewakingsverslag()
    while True:
        with sessie() as session:
            termijnen = te_bewaken(session, moment, BATCH)
        if not termijnen:
            return verslag
        besluiten = [beslis(t, ladder_van(t.soort, regio), kalender, moment) for t in termijnen]
        with sessie() as session:
            deel = voer_uit(session, besluiten, moment, tekst)
        verslag.voeg_toe(deel)
        if not deel.gevuurd and not deel.herpland:
            return verslag  # every term of this batch was just handled by a run at the same time


@task(name="termijnen bewaken", cache_policy=NO_CACHE)
def bewaak_termijnen(nu: dt.datetime | None = None) -> Bewakingsverslag:
    """Fire every escalation step due at `nu` (default: now), each exactly once, also when runs
    overlap: per term a compare-and-set, and the notifications plus audit event in that same
    transaction."""
    moment = _peilmoment(nu)
    verslag = bewaak(moment, instellingen())
    per_stap = ", ".join(f"{stap} {aantal}" for stap, aantal in verslag.per_stap.items())
    get_run_logger().info(
        "Termijnbewaking op %s: %d stappen gevuurd%s, %d termijnen opnieuw ingepland, %d berichten klaargezet",
        lokaal_tijdstip(moment), verslag.gevuurd, f" ({per_stap})" if per_stap else "", verslag.herpland,
        len(verslag.notificaties),
    )
    return verslag


def proefdraai(moment: dt.datetime, regio: Instellingen) -> Bewakingsverslag:
    """What the watch would fire at `moment`, without Prefect and without writing anything."""
    kalender = werkkalender(regio)

    def onderwerp(besluit: Stapbesluit) -> str:
        return render_onderwerp_en_inhoud(TEMPLATE, **berichtcontext(besluit, regio, kalender, moment),
                                          termijnlink="")[0]

    with sessie() as session:
        return vooruitblik(session, moment, regio, onderwerp)


def proefdraaiverslag(verslag: Bewakingsverslag, moment: dt.datetime) -> str:
    return render("termijnbewaking/proefdraai.md.j2", peilmoment=moment, stappen=verslag.voorgenomen,
                  berichten=sum(len(s.rollen) for s in verslag.voorgenomen))


@task(name="termijnbewaking als proefdraai", cache_policy=NO_CACHE)
def proefdraai_termijnen(nu: dt.datetime) -> Bewakingsverslag:
    """A peildatum in the future: show what would go out, send and record nothing."""
    moment = _peilmoment(nu)
    verslag = proefdraai(moment, instellingen())
    create_markdown_artifact(key=PROEF_ARTEFACT, markdown=proefdraaiverslag(verslag, moment),
                             description="Proefdraai: wat de termijnbewaking op de peildatum zou versturen")
    get_run_logger().info(
        "Proefdraai voor %s (peildatum in de toekomst): niets verstuurd of vastgelegd; %d stappen zouden uitgaan.",
        lokaal_tijdstip(moment), verslag.gevuurd,
    )
    return verslag


@task(name="instellingen controleren", cache_policy=NO_CACHE)
def meld_ongeldige_instellingen() -> list[int]:
    """The settings file became invalid while the system runs: the watch works on with the last
    valid version, and the beheer role hears of it once per broken version (a keyed message).
    Returns the id of a message placed now, for delivery in this run."""
    storing = instellingsstoring()
    if storing is None:
        return []
    get_run_logger().warning("Het instellingenbestand is ongeldig; de termijnbewaking werkt met de laatste "
                             "geldige versie. Controleer het met: vt instellingen")
    onderwerp, inhoud = render_onderwerp_en_inhoud("notificaties/instellingen_ongeldig.txt.j2",
                                                   melding=storing.melding)
    with sessie() as session:
        notificatie, nieuw = uitgaand.plaats(
            session, sleutel=f"instellingen-ongeldig:{storing.versie}", soort="instellingen_ongeldig",
            ontvanger=rol(instellingen().beheer_rol), onderwerp=onderwerp, inhoud=inhoud,
        )
        session.flush()
        return [notificatie.id] if nieuw else []


def te_laat(werkdagen: int, uren: int) -> str:
    """How late, short: whole working days, or hours on the first day."""
    if werkdagen:
        return f"{werkdagen} werkdag{'en' if werkdagen != 1 else ''}"
    return f"{uren} uur"


def tabelregel(regel: dict, regio: Instellingen) -> dict:
    """One row of the artifact: few, narrow columns with Dutch headers. A casus with several
    terms past their deadline has a row per term; the column Termijn says which."""
    return {
        "Gemeente": regel["gemeente"],
        "Casus": regel["casus"],
        "Termijn": regio.termijnen[regel["termijn"]].omschrijving.split(" (")[0],
        "Verliep op": lokaal_tijdstip(regel["vervallen_op"]) + (" (verlengd)" if regel["verlengd"] else ""),
        "Te laat": te_laat(regel["werkdagen_te_laat"], regel["uren_te_laat"]),
        "Laatste stap": regel["laatste_stap"] or "—",
    }


@task(name="overzicht termijnen over tijd", cache_policy=NO_CACHE)
def publiceer_termijnen_over_tijd(nu: dt.datetime | None = None) -> int:
    """Refresh the table artifact of every open term past its deadline, per municipality."""
    moment = _peilmoment(nu)
    regio = instellingen()
    with sessie() as session:
        rijen = over_tijd(session, moment)
    regels = overzichtsregels(rijen, regio, moment)
    per_gemeente = sorted(Counter(r["gemeente"] for r in regels).items())
    create_table_artifact(
        key=ARTEFACT, table=[tabelregel(r, regio) for r in regels],
        description=render("termijnbewaking/over_tijd.md.j2", totaal=len(regels), per_gemeente=per_gemeente,
                           peilmoment=moment, casussen=len({r["casus"] for r in regels})),
    )
    return len(regels)

"""Tasks of the biweekly report: one query or one side effect each. Only published (suppressed)
figures cross a task boundary; the raw counts stay inside `bereken_rapportcijfers`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import ValidationError

from models.lezen import inloopplan, rapportage
from models.opslag.bestanden import PRIVE, maak_map
from models.opslag.db import sessie
from models.regels.instellingen import Instellingen, Omgeving, instellingen
from models.regels.kalender import AMSTERDAM
from models.dossier.knelpunt import KnelpuntInvoer, voeg_toe, voor_periode
from models.brieven.pdf import maak_pdf
from models.regels.fouten import beschrijf_validatiefouten
from models.regels.perioden import OngeldigePeriode, Periode, afgesloten_periode, laatste_periode, lees_periode_eind
from models.lezen.rapportage import MedewerkerKnelpunt, Rapportcijfers, Rapportversie
from models.opslag.typen import nu
from models.opslag.werkdagen import synchroniseer_werkdagen
from tasks.capaciteit import capaciteitsmodus
from templates import render

from models.lezen.rapportarchief import RAPPORTMAP  # noqa: E402  (the gateway reads the archive too)
HELE_REGIO = "hele regio"  # the form's choice for a knelpunt of the whole region


def rapportcijfers(session, regio: Instellingen, periode: Periode, capaciteit) -> Rapportcijfers:
    """The published figures of a period, with the knelpunten staff entered for it; earlier
    periods as their sent reports showed them."""
    ruw = rapportage.bereken(session, regio, periode)
    knelpunten = [MedewerkerKnelpunt(k.gemeente_code, k.tekst) for k in voor_periode(session, periode.eind)]
    # The inloopplan's window lies over earlier periods: their wachtlijsten and any plan of the
    # same window as those reports showed them.
    gepubliceerd = rapportage.gepubliceerde_rapporten(
        session, [*ruw.perioden[1:], *inloopplan.vensterperioden(regio, periode.eind)])
    cijfers = rapportage.publiceer(ruw, regio, capaciteit, knelpunten, gepubliceerd)
    return cijfers.model_copy(update={"inloopplan": inloopplan.voor_rapport(session, regio, cijfers, gepubliceerd)})


@task(name="rapportageperiode bepalen", cache_policy=NO_CACHE)
def bepaal_periode(periode_eind: str | dt.date) -> Periode | str:
    """The requested period (a date as staff type it), or the latest one that is over (the
    scheduled run, "laatste"). Not a period: why not, in Dutch (the run ends with it)."""
    regio = instellingen()
    vandaag = nu().astimezone(AMSTERDAM).date()
    try:
        eind = periode_eind if isinstance(periode_eind, dt.date) else lees_periode_eind(periode_eind)
        if eind is None:
            return laatste_periode(regio.rapportage, vandaag)
        return afgesloten_periode(regio.rapportage, eind, vandaag)
    except OngeldigePeriode as exc:
        return str(exc)


@task(name="werkdagentabel bijwerken", cache_policy=NO_CACHE)
def werk_werkdagen_bij() -> int:
    """The database counts waits with the settings' calendar: bring it up to date first."""
    with sessie() as session:
        return synchroniseer_werkdagen(session, instellingen())


@task(name="eerdere verzending zoeken", cache_policy=NO_CACHE)
def zoek_laatste_versie(periode: Periode) -> Rapportversie | None:
    with sessie() as session:
        return rapportage.laatste_versie(session, periode.eind)


@task(name="rapportcijfers berekenen", cache_policy=NO_CACHE)
def bereken_rapportcijfers(periode: Periode) -> Rapportcijfers:
    """Every figure by grouped queries in one transaction, suppressed before it leaves."""
    regio = instellingen()
    capaciteit = capaciteitsmodus(regio)
    with sessie() as session:
        cijfers = rapportcijfers(session, regio, periode, capaciteit)
    get_run_logger().info("Rapportcijfers t/m %s berekend voor %d gemeenten", periode.eind, len(cijfers.gemeenten))
    return cijfers


# --- files ---------------------------------------------------------------------------------------


def _slug(tekst: str) -> str:
    tekst = unicodedata.normalize("NFKD", tekst).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", tekst.lower()).strip("-")


def getoonde_reeksen(cijfers: Rapportcijfers) -> dict[str, list[int | None]]:
    """Municipality name -> its published werkvoorraad per period (None: not shown), for the
    municipalities with at least one value shown. The others are named below the chart instead
    of standing in its legend without a point."""
    reeksen = {}
    for gebied in cijfers.gemeenten:
        waarden = [w if isinstance(w, int) and not isinstance(w, bool) else None
                   for w in cijfers.grafiek.reeksen[gebied.code]]
        if any(w is not None for w in waarden):
            reeksen[gebied.naam] = waarden
    return reeksen


_MARKERS = "osD^v<>pPX*h"


def teken_grafiek(cijfers: Rapportcijfers, pad: Path) -> Path:
    """Line chart of the werkvoorraad per municipality; a suppressed value is left out (a gap).
    Every point is drawn with its own marker shape and inside the axes, so a single point or
    two municipalities with the same count stay visible."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to a file only
    import matplotlib.pyplot as plt

    titel, as_y, voetnoot = render(
        "rapport/grafiek.txt.j2", minimum=cijfers.minimum_aantal,
        zonder=[g.naam for g in cijfers.gemeenten if g.naam not in getoonde_reeksen(cijfers)],
    ).strip().splitlines()
    perioden = cijfers.grafiek.perioden
    reeksen = getoonde_reeksen(cijfers)
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=150)
    for k, (naam, waarden) in enumerate(reeksen.items()):
        ax.plot(perioden, [float("nan") if w is None else w for w in waarden], marker=_MARKERS[k % len(_MARKERS)],
                markersize=7 - (k % 3), label=naam, clip_on=False)
    ax.set_title(titel)
    ax.set_ylabel(as_y)
    ax.set_xticks(perioden, [f"{p:%d-%m-%Y}" for p in perioden], rotation=0, fontsize=8)
    rand = dt.timedelta(days=max(1, (perioden[-1] - perioden[0]).days // 25))
    ax.set_xlim(perioden[0] - rand, perioden[-1] + rand)
    hoogste = max((w for waarden in reeksen.values() for w in waarden if w is not None), default=0)
    ax.set_ylim(0, max(1, hoogste) * 1.12)
    ax.grid(axis="y", alpha=0.3)
    if reeksen:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.text(0.01, 0.01, voetnoot, fontsize=7, color="#444", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(pad)
    plt.close(fig)
    return pad


def schrijf_rapportbestanden(
    cijfers: Rapportcijfers, versie: int, map_: Path, basis: Path | None = None
) -> dict[str, str]:
    """The PDF report, the chart and one CSV per municipality and for the region, in `map_`
    (it and the folders from `basis` down: the system's user only). Returns file name -> sha256,
    the PDF first."""
    maak_map(map_, PRIVE, basis)
    eind = cijfers.periode_eind.isoformat()
    grafiek = teken_grafiek(cijfers, map_ / f"werkvoorraad-{eind}.png")
    pdf = map_ / f"rapportage-{_slug(cijfers.regio_code)}-{eind}.pdf"
    html = render("rapport/rapport.html.j2", c=cijfers, versie=versie, grafiek=grafiek.name)
    # The PDF may load its own chart and nothing else (models/brieven/pdf.py).
    pdf.write_bytes(maak_pdf(html, basis=map_, eigen_bestanden=[grafiek]))
    csv = []
    for gebied in cijfers.gebieden:
        pad = map_ / f"rapportage-{eind}-{gebied.code.lower()}-{_slug(gebied.naam)}.csv"
        pad.write_text(render("rapport/gebied.csv.j2", c=cijfers, g=gebied), encoding="utf-8-sig")
        csv.append(pad)
    bestanden = [pdf, grafiek, *csv]
    for pad in bestanden:  # the folder is private already; the files are too, as the letters are
        pad.chmod(PRIVE.bestand)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in bestanden}


@task(name="rapportbestanden maken", cache_policy=NO_CACHE)
def maak_rapportbestanden(cijfers: Rapportcijfers, versie: int) -> dict[str, str]:
    """Write this version's files under the data folder (rapporten/<period end>/v<version>)."""
    archief = Omgeving().data_map / RAPPORTMAP
    map_ = archief / cijfers.periode_eind.isoformat() / f"v{versie}"
    return schrijf_rapportbestanden(cijfers, versie, map_, basis=archief)


@task(name="rapport archiveren", cache_policy=NO_CACHE)
def archiveer_rapport(cijfers: Rapportcijfers, versie: int, bestanden: dict[str, str]) -> Rapportversie:
    map_ = Omgeving().data_map / RAPPORTMAP / cijfers.periode_eind.isoformat() / f"v{versie}"
    with sessie() as session:
        return rapportage.archiveer(session, cijfers, versie, map_, bestanden, hoofdbestand=next(iter(bestanden)))


@task(name="rapport als artefact publiceren", cache_policy=NO_CACHE)
def publiceer_artefacten(versie: Rapportversie) -> None:
    """The same report in the Prefect UI: markdown, and the werkvoorraad as a table."""
    c = versie.cijfers
    create_markdown_artifact(
        key="rapportage", markdown=render("rapport/rapport.md.j2", c=c, versie=versie.versie),
        description=f"Rapportage werkvoorraad t/m {c.periode_eind.isoformat()}",
    )
    create_table_artifact(
        key="rapportage-werkvoorraad",
        table=[render_tabelregel(g) for g in c.gebieden],
        description=f"Werkvoorraad per gemeente t/m {c.periode_eind:%d-%m-%Y} (kleine aantallen afgeschermd)",
    )


def render_tabelregel(gebied) -> dict[str, str]:
    """One row of the table artifact: Dutch headers, numbers as in the report (1.234; 87,5%;
    '<5', 'x', '–'), never None or 0.0."""
    return json.loads(render("rapport/tabelregel.json.j2", g=gebied))


@task(name="verzending vastleggen", cache_policy=NO_CACHE)
def leg_verzending_vast(versie: Rapportversie, notificatie_id: int) -> bool:
    """Mark the archived version as sent once its e-mail went out. Returns whether it did."""
    from models.opslag.communicatie import Bezorgstatus, Notificatie

    with sessie() as session:
        notificatie = session.get(Notificatie, notificatie_id)
        if notificatie.status != Bezorgstatus.verzonden:
            return False
        rapportage.markeer_verzonden(session, versie.rapport_id, notificatie.verzonden_op)
        return True


@task(name="knelpunt opslaan", cache_policy=NO_CACHE)
def sla_knelpunt_op(periode_eind: str, tekst: str, gemeente: str, door: str) -> tuple[str | None, str | None]:
    """Store a knelpunt (organisational text) for a report period, from the form: a municipality
    by name or "hele regio". Returns (what was stored, why not) in Dutch; one of them is None."""
    regio = instellingen()
    codes = {g.naam.lower(): g.code for g in regio.gemeenten} | {HELE_REGIO: None}
    if gemeente.strip().lower() not in codes:
        return None, f"Gemeente '{gemeente}' hoort niet bij {regio.regio.naam}; niets opgeslagen."
    try:
        eind = lees_periode_eind(periode_eind)
        if eind is None:
            raise OngeldigePeriode("Vul de laatste dag van de periode in, bijvoorbeeld 22-11-2026.")
        invoer = KnelpuntInvoer(periode_eind=eind, tekst=tekst, gemeente_code=codes[gemeente.strip().lower()], door=door)
        with sessie() as session:
            knelpunt = voeg_toe(session, invoer, regio)
            return f"Knelpunt opgeslagen voor de rapportage t/m {knelpunt.periode_eind:%d-%m-%Y} ({gemeente}).", None
    except ValidationError as exc:
        return None, "Niets opgeslagen: " + " ".join(beschrijf_validatiefouten(exc))
    except ValueError as exc:
        return None, f"Niets opgeslagen: {exc}"

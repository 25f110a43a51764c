"""`vt export zgw`: the casussen as Zaken API 1.5.1 resources (flows/zgw.py), one JSON file per
casus in the export folder; refused whole, naming casus and field, when one does not fit."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, netjes, regio_instellingen, toon_json
from cli.rapport import _datum

@contextmanager
def _exportmap(map_: Path | None):
    """The folder for this run only: an operator's choice (VT_ZGW_MAP), never a flow parameter."""
    vorige = os.environ.get("VT_ZGW_MAP")
    if map_ is not None:
        os.environ["VT_ZGW_MAP"] = str(map_.expanduser().resolve())
    try:
        yield
    finally:
        if vorige is None:
            os.environ.pop("VT_ZGW_MAP", None)
        else:
            os.environ["VT_ZGW_MAP"] = vorige


export_app = typer.Typer(help="Exports voor andere systemen.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("zgw")
@netjes
def zgw(
    sinds: str = typer.Option(None, "--sinds", help="Alleen casussen met een wijziging vanaf deze dag, JJJJ-MM-DD."),
    casus: str = typer.Option(None, "--casus", help="Alleen deze casus (casusnummer, bijv. VT-2026-000123)."),
    map_: Path = typer.Option(None, "--map", help="Map voor de bestanden; zonder: VT_ZGW_MAP of <VT_DATA_MAP>/zgw-export."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Schrijf elke casus als ZGW-zaak (Zaken API 1.5.1: zaak, statussen, resultaat, rollen) in een
    eigen JSON-bestand, voor een zaaksysteem zoals Open Zaak (docs/beheer.md, ZGW-export)."""
    if sinds and casus:
        raise Gebruikersfout("Kies --sinds of --casus, niet allebei.")
    dag = _datum(sinds, "--sinds")
    from models.regels.zgw import ALLE, GeenZgwInstellingen, zgw_instellingen

    try:
        zgw_instellingen(regio_instellingen())  # no catalogue: said before a flow run starts
    except GeenZgwInstellingen as exc:
        raise Gebruikersfout(str(exc)) from None
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.zgw import zgw_exporteren

    with _exportmap(map_):
        staat = zgw_exporteren(sinds=dag.isoformat() if dag else ALLE, casus=casus or ALLE, return_state=True)
    if staat.is_failed():
        melding, _, fouten = (staat.message or "ZGW-export mislukt").partition(": ")
        raise Gebruikersfout(melding + ".", fouten.split("; ") if fouten else [])
    uitkomst = staat.result()
    if als_json:
        toon_json(uitkomst.model_dump())
        return
    typer.echo(f"ZGW-export in {uitkomst.map}:")
    for naam in ("zaken", "statussen", "resultaten", "rollen"):
        typer.echo(f"  {naam:<12} {getattr(uitkomst, naam):>7}")
    typer.echo(f"Personen in de export: {'ja (de melder als initiator, alleen de naam)' if uitkomst.personen else 'nee'}.")

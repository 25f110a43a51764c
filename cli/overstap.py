"""`vt overstap <bestand>`: take over the open casussen of another system in their current state
(models/dossier/overstap.py), in one flow run: all or nothing, and a second time changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, netjes, regio_instellingen, tijdstip_optie, toon_json
from cli.meldingen import _os_gebruiker, _stil_bij_afkeuring


@app.command()
@netjes
def overstap(
    bestand: Path = typer.Argument(..., help="JSON-bestand met open casussen (zie docs/beheer.md, Overstappen)."),
    stand_op: str = typer.Option(None, "--stand-op", help="Moment waarop het bronsysteem stopte (de export), "
                                                         "ISO 8601; zonder: nu."),
    door: str = typer.Option(None, "--door", help="Wie de overstap doet (audittrail); standaard de OS-gebruiker."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Neem een lopende werkvoorraad over: elke open casus in zijn huidige stap, met zijn besluit,
    overdracht, termijnen (echte vervaldata), al verstuurde ladderstappen en contactmomenten. Alles
    of niets; een tweede keer hetzelfde bestand verandert niets. Daarna: vt levensloop start-open."""
    pad = bestand.expanduser().resolve()
    if not pad.is_file():
        raise Gebruikersfout(f"Bestand niet gevonden: {bestand}")
    if pad.suffix.lower() != ".json":
        raise Gebruikersfout(f"{bestand}: een overstapbestand is een .json-bestand.")
    moment = tijdstip_optie(stand_op, "--stand-op", "2026-12-01T17:00") if stand_op else None
    regio_instellingen()  # an invalid settings file is reported before a flow run starts
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from flows.overstap import ImportAfgekeurd, werkvoorraad_overnemen

    _stil_bij_afkeuring()
    try:
        uitkomst = werkvoorraad_overnemen(bestand=str(pad), door=door or _os_gebruiker(), stand_op=moment)
    except ImportAfgekeurd as exc:
        raise Gebruikersfout(str(exc).splitlines()[0].replace("Import van", "Overstap van"), exc.regels()) from None
    if als_json:
        toon_json(uitkomst.model_dump())
        return
    typer.echo(f"Overstap van {pad} klaar:")
    for naam, waarde in (("gelezen", uitkomst.gelezen), ("overgenomen", uitkomst.overgenomen),
                         ("overgeslagen (al eerder overgenomen)", uitkomst.overgeslagen),
                         ("ladderstappen al verstuurd vóór de overstap", uitkomst.stappen_voor_overstap)):
        typer.echo(f"  {naam:<44} {waarde:>7}")
    typer.echo("Start nu de levensloop-runs: vt levensloop start-open")

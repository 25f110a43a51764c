"""`vt plustaken ...`: the plustaken a gemeente buys (seed 003). Record a voorlichting or
deskundigheidsbevordering, and the yearly overview per gemeente for the contract talks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, gemeentecodes, netjes, regio_instellingen, toon_json

plustaken_app = typer.Typer(
    help="Plustaken: voorlichting, deskundigheidsbevordering en samen optrekken per gemeente.",
    no_args_is_help=True,
)
app.add_typer(plustaken_app, name="plustaken")


def _vandaag() -> dt.date:
    from models.opslag.typen import nu
    from models.regels.kalender import AMSTERDAM

    return nu().astimezone(AMSTERDAM).date()


@plustaken_app.command("activiteit")
@netjes
def activiteit(
    datum: str = typer.Option(..., "--datum", help="Datum van de activiteit, JJJJ-MM-DD."),
    gemeente: str = typer.Option(..., "--gemeente", help="Naam of CBS-code, bijvoorbeeld Helmond of GM0794."),
    soort: str = typer.Option(..., "--soort", help="voorlichting of deskundigheidsbevordering."),
    doelgroep: str = typer.Option(..., "--doelgroep", help="Welke professionals (nooit iets over een gezin)."),
    uren: float = typer.Option(..., "--uren", help="Bestede uren, in kwartieren (1.5 = anderhalf uur)."),
    deelnemers: int = typer.Option(..., "--deelnemers", help="Aantal deelnemers."),
    door: str = typer.Option(..., "--door", help="Uw naam (komt in de audittrail)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Leg een voorlichting of deskundigheidsbevordering vast (dezelfde twee keer: één keer bewaard)."""
    from pydantic import ValidationError

    from models.dossier.plustaken import ActiviteitInvoer, OngeldigeActiviteit, registreer_activiteit
    from models.opslag.db import sessie
    from models.regels.fouten import beschrijf_validatiefouten

    regio = regio_instellingen()
    try:
        dag = dt.date.fromisoformat(datum.strip())
    except ValueError:
        raise Gebruikersfout("--datum is geen geldige datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2026-11-12.") from None
    try:
        [code] = gemeentecodes(regio, [gemeente])
        invoer = ActiviteitInvoer(datum=dag, gemeente_code=code, soort=soort.strip().lower(),
                                  doelgroep=doelgroep, uren=uren, deelnemers=deelnemers, door=door)
        with sessie() as session:
            rij, nieuw = registreer_activiteit(session, invoer, regio, _vandaag())
            gegevens = dict(nummer=rij.id, datum=rij.datum.isoformat(), gemeente=rij.gemeente_code, soort=rij.soort,
                            doelgroep=rij.doelgroep, uren=rij.uren, deelnemers=rij.deelnemers, nieuw=nieuw)
    except ValidationError as exc:
        raise Gebruikersfout("Niets vastgelegd.", beschrijf_validatiefouten(exc)) from None
    except OngeldigeActiviteit as exc:
        raise Gebruikersfout(f"Niets vastgelegd: {exc}.") from None
    if als_json:
        toon_json(gegevens)
    elif nieuw:
        typer.echo(f"Activiteit {gegevens['nummer']} vastgelegd: {gegevens['soort']} voor "
                   f"{regio.gemeente(gegevens['gemeente']).naam} "
                   f"op {gegevens['datum']}, {gegevens['uren']:g} uur, {gegevens['deelnemers']} deelnemers.")
    else:
        typer.echo(f"Stond al vastgelegd als activiteit {gegevens['nummer']}; niets dubbel opgeslagen.")


@plustaken_app.command("jaaroverzicht")
@netjes
def jaaroverzicht(
    jaar: int = typer.Option(None, "--jaar", help="Kalenderjaar; zonder: het lopende jaar (tot vandaag)."),
    uitvoer: Path = typer.Option(None, "--uitvoer", help="Map waarin plustaken-<jaar>.md en .csv komen."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Het jaaroverzicht van de plustaken per gemeente, voor het contractgesprek."""
    from models.lezen.plustaken import jaaroverzicht as bereken
    from models.opslag.db import sessie
    from templates import render

    regio = regio_instellingen()
    jaar = jaar or _vandaag().year
    if not 2000 <= jaar <= 2100:
        raise Gebruikersfout("--jaar moet tussen 2000 en 2100 liggen.")
    with sessie() as session:
        overzicht = bereken(session, regio, jaar, _vandaag())
    if uitvoer is not None:
        from tasks.plustaken import schrijf_jaaroverzicht

        schrijf_jaaroverzicht(overzicht, uitvoer)
    if als_json:
        toon_json(overzicht.model_dump(mode="json"))
    else:
        typer.echo(render("plustaken/jaaroverzicht.md.j2", o=overzicht))

"""`vt rapport` and `vt knelpunt ...`: the biweekly report to the regional overleg.

`vt rapport` shows the (published, suppressed) figures of a period without sending or archiving
anything; with `--verstuur` it runs the flow that e-mails and archives the report.
"""

from __future__ import annotations

import datetime as dt
import os

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, netjes, regio_instellingen, toon_json

knelpunt_app = typer.Typer(
    help="Knelpunten voor de rapportage aan het regionaal overleg (organisatorisch, nooit over een gezin).",
    no_args_is_help=True,
)
app.add_typer(knelpunt_app, name="knelpunt")

PERIODE_EIND = typer.Option(
    None, "--periode-eind",
    help="Laatste dag (zondag) van de periode, JJJJ-MM-DD; zonder: de laatste afgelopen periode.",
)


def _datum(waarde: str | None, optie: str = "--periode-eind") -> dt.date | None:
    if waarde is None:
        return None
    try:
        return dt.date.fromisoformat(waarde.strip())
    except ValueError:
        raise Gebruikersfout(f"{optie} is geen geldige datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2027-01-03.") from None


def _periode(eind: dt.date | None):
    from models.regels.kalender import AMSTERDAM
    from models.regels.perioden import OngeldigePeriode, afgesloten_periode, laatste_periode
    from models.opslag.typen import nu

    regio = regio_instellingen()
    vandaag = nu().astimezone(AMSTERDAM).date()
    try:
        if eind is None:
            return laatste_periode(regio.rapportage, vandaag)
        return afgesloten_periode(regio.rapportage, eind, vandaag)
    except OngeldigePeriode as exc:
        raise Gebruikersfout(str(exc)) from None


def _capaciteit(regio):
    """The mode in force: the Prefect Variable overrides the settings, so ask the server when
    there is one; without PREFECT_API_URL only the settings can say."""
    if os.environ.get("PREFECT_API_URL"):
        from tasks.capaciteit import capaciteitsmodus

        return capaciteitsmodus(regio)
    return regio.capaciteit


def _toon(cijfers) -> None:
    typer.echo(f"Rapportage {cijfers.regio_naam}: {cijfers.periode_start} t/m {cijfers.periode_eind} "
               f"(werkvoorraad: stand aan het eind); capaciteit: {cijfers.capaciteit.value}")
    kop = ["VB", "wachtl", "ond", "V&V", "ovd", "mon", "totaal"]
    typer.echo("")
    typer.echo(f"  {'gemeente':<22}" + "".join(f"{k:>8}" for k in kop) + f"{'verschil':>9}{'VB%':>7}{'O/V&V%':>8}")
    for g in cijfers.gebieden:
        pct = [g.veiligheidsbeoordeling.percentage, g.onderzoek_en_venv.percentage]
        typer.echo(f"  {g.naam[:22]:<22}" + "".join(f"{r.aantal!s:>8}" for r in g.werkvoorraad)
                   + f"{g.werkvoorraad[-1].verschil!s:>9}" + "".join(f"{'-' if p is None else p!s:>8}" for p in pct))
    typer.echo("")
    for g in cijfers.gebieden:
        for k in g.knelpunten:
            typer.echo(f"  knelpunt {g.naam}: {k.soort}" + (f" {k.aantal}" if k.aantal is not None else "")
                       + (f": {k.tekst}" if k.tekst else ""))
    typer.echo(f"\n<{cijfers.minimum_aantal} = minder dan {cijfers.minimum_aantal}; x = afgeschermd, "
               f"omdat anders een klein aantal te herleiden is.")


@app.command()
@netjes
def rapport(
    periode_eind: str = PERIODE_EIND,
    verstuur: bool = typer.Option(False, "--verstuur", help="Maak, archiveer en verstuur de rapportage (flow)."),
    opnieuw: bool = typer.Option(False, "--opnieuw", help="Met --verstuur: ook als deze periode al verstuurd is."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon de cijfers van de rapportage aan het regionaal overleg (zonder iets te versturen),
    of verstuur hem met --verstuur."""
    if opnieuw and not verstuur:
        raise Gebruikersfout("--opnieuw hoort bij --verstuur.")
    periode = _periode(_datum(periode_eind))
    if verstuur:
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from flows.rapportage import rapportage_versturen

        uitkomst = rapportage_versturen(periode_eind=periode.eind.isoformat(), opnieuw_versturen=opnieuw)
        if als_json:
            toon_json(uitkomst.model_dump(mode="json"))
        elif not uitkomst.nieuw_gemaakt:
            typer.echo(f"De rapportage t/m {uitkomst.periode_eind} was al gemaakt (versie {uitkomst.versie}); "
                       "niets opnieuw verstuurd. Gebruik --opnieuw om een nieuwe versie te sturen.")
        else:
            staat = "verstuurd" if uitkomst.verzonden else "klaargezet (wordt verstuurd zodra de mailserver bereikbaar is)"
            typer.echo(f"Rapportage t/m {uitkomst.periode_eind} versie {uitkomst.versie} {staat}.")
        return

    from models.opslag.db import sessie
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from tasks.rapportage import rapportcijfers

    regio = regio_instellingen()
    with sessie() as session:
        synchroniseer_werkdagen(session, regio)
        cijfers = rapportcijfers(session, regio, periode, _capaciteit(regio))
    if als_json:
        toon_json(cijfers.model_dump(mode="json"))
    else:
        _toon(cijfers)


@knelpunt_app.command("toevoegen")
@netjes
def knelpunt_toevoegen(
    periode_eind: str = typer.Option(..., "--periode-eind", help="Laatste dag (zondag) van de periode, JJJJ-MM-DD."),
    tekst: str = typer.Option(..., "--tekst", help="Het knelpunt: organisatorische tekst, nooit iets over een gezin."),
    gemeente: str = typer.Option(None, "--gemeente", help="CBS-code, bijvoorbeeld GM0983; zonder: de hele regio."),
    door: str = typer.Option(..., "--door", help="Uw naam of functie (bewaard bij het knelpunt, niet in het rapport)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Voeg een knelpunt toe aan de rapportage van een periode. Alleen organisatorische tekst
    ('twee vacatures in het onderzoeksteam'): geen namen, adressen, BSN's of casusreferenties."""
    from pydantic import ValidationError

    from models.opslag.db import sessie
    from models.regels.fouten import beschrijf_validatiefouten
    from models.dossier.knelpunt import KnelpuntInvoer, voeg_toe

    try:
        invoer = KnelpuntInvoer(periode_eind=_datum(periode_eind), tekst=tekst, gemeente_code=gemeente, door=door)
    except ValidationError as exc:
        raise Gebruikersfout("Het knelpunt is niet opgeslagen:", beschrijf_validatiefouten(exc)) from None
    try:
        with sessie() as session:
            knelpunt = voeg_toe(session, invoer, regio_instellingen())
            uitkomst = {"id": knelpunt.id, "periode_eind": knelpunt.periode_eind.isoformat(),
                        "gemeente": knelpunt.gemeente_code, "tekst": knelpunt.tekst}
    except ValueError as exc:
        raise Gebruikersfout(f"Het knelpunt is niet opgeslagen: {exc}") from None
    if als_json:
        toon_json(uitkomst)
    else:
        typer.echo(f"Knelpunt {uitkomst['id']} opgeslagen voor de periode t/m {uitkomst['periode_eind']} "
                   f"({uitkomst['gemeente'] or 'hele regio'}).")


@knelpunt_app.command("lijst")
@netjes
def knelpunt_lijst(
    periode_eind: str = typer.Option(..., "--periode-eind", help="Laatste dag (zondag) van de periode, JJJJ-MM-DD."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon de knelpunten die medewerkers voor een periode hebben ingevoerd."""
    from models.opslag.db import sessie
    from models.dossier.knelpunt import voor_periode

    eind = _datum(periode_eind)
    with sessie() as session:
        rijen = [{"id": k.id, "gemeente": k.gemeente_code, "tekst": k.tekst, "door": k.door}
                 for k in voor_periode(session, eind)]
    if als_json:
        toon_json(rijen)
        return
    if not rijen:
        typer.echo(f"Geen knelpunten ingevoerd voor de periode t/m {eind}.")
    for r in rijen:
        typer.echo(f"  {r['id']:>4}  {r['gemeente'] or 'regio':<7} {r['tekst']}  ({r['door']})")

"""`vt account ...` (local accounts of the gateway) and `vt inzage-log` (who looked at a casus)."""

from __future__ import annotations

import secrets
import sys

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, iso, lokaal, netjes, toon_json

account_app = typer.Typer(help="Lokale accounts van de toegangspoort (inloggen zonder identity provider).",
                          no_args_is_help=True)
app.add_typer(account_app, name="account")

# One demo account per role; `vt account demo` gives each a fresh random password, shown once.
DEMO_ACCOUNTS = [
    ("medewerker", "Demo Medewerker", "medewerker"),
    ("teamleider", "Demo Teamleider", "teamleider"),
    ("beheer", "Demo Beheer", "beheer"),
    ("gemeente", "Demo Gemeente", "gemeente"),
]


def _wachtwoord() -> str:
    return secrets.token_urlsafe(12)


@account_app.command("toevoegen")
@netjes
def account_toevoegen(
    account: str = typer.Argument(..., help="Accountnaam (komt in de audittrail en het inzagelog)."),
    naam: str = typer.Option(..., "--naam", help="Naam op het scherm."),
    rol: list[str] = typer.Option(..., "--rol", help="medewerker, teamleider, beheer of gemeente (mag vaker)."),
    gemeente: str = typer.Option(None, "--gemeente", help="Gemeentecode, voor de rol gemeente."),
    wachtwoord_stdin: bool = typer.Option(False, "--wachtwoord-stdin",
                                          help="Lees het wachtwoord van stdin; anders wordt er een gemaakt en eenmaal getoond."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Maak een lokaal account."""
    from models.dossier.toegang import maak_account
    from models.opslag.db import sessie
    from models.regels.instellingen import instellingen
    from models.regels.toegang import Rol

    try:
        rollen = [Rol(r.strip().lower()) for r in rol]
    except ValueError:
        raise Gebruikersfout(f"onbekende rol in {', '.join(rol)}; kies uit {', '.join(r.value for r in Rol)}") from None
    if gemeente and gemeente not in {g.code for g in instellingen().gemeenten}:
        raise Gebruikersfout(f"gemeente {gemeente} hoort niet bij deze regio")
    wachtwoord = sys.stdin.readline().rstrip("\n") if wachtwoord_stdin else _wachtwoord()
    if len(wachtwoord) < 12:
        raise Gebruikersfout("een wachtwoord heeft minstens 12 tekens")
    with sessie() as session:
        maak_account(session, account, naam, rollen, wachtwoord, gemeente)
    uit = {"account": account, "rollen": [r.value for r in rollen], "gemeente": gemeente}
    if not wachtwoord_stdin:
        uit["wachtwoord"] = wachtwoord
    if als_json:
        toon_json(uit)
    else:
        typer.echo(f"Account {account} gemaakt" + (f"; wachtwoord (wordt niet nog eens getoond): {wachtwoord}"
                                                   if not wachtwoord_stdin else "."))


@account_app.command("demo")
@netjes
def account_demo(als_json: bool = JSON_OPTIE) -> None:
    """Maak voor elke rol een demo-account (alleen de accounts die er nog niet zijn) en toon hun
    wachtwoorden eenmaal."""
    from models.dossier.toegang import maak_account
    from models.opslag.db import sessie
    from models.opslag.toegang import Account
    from models.regels.instellingen import instellingen
    from models.regels.toegang import Rol

    gemeente = instellingen().gemeenten[0]
    nieuw = []
    with sessie() as session:
        for account, naam, rol in DEMO_ACCOUNTS:
            if session.get(Account, account) is not None:
                continue
            wachtwoord = _wachtwoord()
            maak_account(session, account, naam, [Rol(rol)], wachtwoord,
                         gemeente.code if rol == "gemeente" else None)
            nieuw.append({"account": account, "rol": rol, "wachtwoord": wachtwoord,
                          "gemeente": gemeente.code if rol == "gemeente" else None})
    if als_json:
        toon_json(nieuw)
        return
    if not nieuw:
        typer.echo("De demo-accounts bestaan al (hun wachtwoorden zijn bij het aanmaken getoond; "
                   "een nieuw wachtwoord: vt account wachtwoord <account>).")
        return
    typer.echo("Demo-accounts (de wachtwoorden worden niet nog eens getoond):")
    for regel in nieuw:
        extra = f" (gemeente {gemeente.naam})" if regel["gemeente"] else ""
        typer.echo(f"  {regel['account']:<11} {regel['wachtwoord']}   rol {regel['rol']}{extra}")


@account_app.command("wachtwoord")
@netjes
def account_wachtwoord(
    account: str = typer.Argument(...),
    wachtwoord_stdin: bool = typer.Option(False, "--wachtwoord-stdin"),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Geef een account een nieuw wachtwoord (gemaakt en eenmaal getoond, of van stdin)."""
    from models.dossier.toegang import zet_wachtwoord
    from models.opslag.db import sessie

    wachtwoord = sys.stdin.readline().rstrip("\n") if wachtwoord_stdin else _wachtwoord()
    if len(wachtwoord) < 12:
        raise Gebruikersfout("een wachtwoord heeft minstens 12 tekens")
    with sessie() as session:
        try:
            zet_wachtwoord(session, account, wachtwoord)
        except ValueError as exc:
            raise Gebruikersfout(str(exc)) from None
    if als_json:
        toon_json({"account": account, **({} if wachtwoord_stdin else {"wachtwoord": wachtwoord})})
    else:
        typer.echo(f"Nieuw wachtwoord voor {account}" + ("." if wachtwoord_stdin else f": {wachtwoord}"))


@app.command("inzage-log")
@netjes
def inzage_log(
    casus: str = typer.Argument(..., help="Casusnummer, bijvoorbeeld VT-2026-000123."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Wie keek in het dossier van een casus, opende een brief, zocht hem op of nam een besluit."""
    from models.dossier.toegang import WAT, inzagen
    from models.opslag.db import sessie

    referentie = casus.strip().upper()
    with sessie() as session:
        regels = [{"tijdstip": iso(r.tijdstip), "account": r.account, "wat": r.wat, "adres": r.adres,
                   "_moment": r.tijdstip} for r in inzagen(session, referentie)]
    if als_json:
        toon_json({"casus": referentie, "inzagen": [{k: v for k, v in r.items() if k != "_moment"} for r in regels]})
        return
    if not regels:
        typer.echo(f"Niemand heeft {referentie} bekeken of er een besluit in genomen.")
        return
    typer.echo(f"Inzagelog van {referentie}:")
    for r in regels:
        typer.echo(f"  {lokaal(r['_moment'])}  {r['account']:<20} {WAT[r['wat']]:<16} {r['adres'] or ''}")

"""`vt bewaartermijn ...`: legal holds (blokkades) and the destruction of personal data after the
bewaartermijn, by hand or as a dry run. The nightly run is the deployment 'bewaartermijn'."""

from __future__ import annotations

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, iso, lokaal, netjes, regio_instellingen, tijdstip_optie, toon_json

bewaartermijn_app = typer.Typer(
    help="Bewaartermijn: blokkades (klacht, rechtszaak) en het vernietigen van persoonsgegevens.",
    no_args_is_help=True,
)
app.add_typer(bewaartermijn_app, name="bewaartermijn")

REFERENTIE = typer.Argument(..., help="Casusreferentie, bijvoorbeeld VT-2026-000123.")
REDEN = typer.Option(..., "--reden", help="Waarom, zonder persoonsgegevens (bijv. het kenmerk van de klacht).")
DOOR = typer.Option(..., "--door", help="Wie dit doet (komt in de audittrail).")


def _blokkade_json(referentie: str, b) -> dict:
    return dict(casus=referentie, reden=b.reden, door=b.door, geplaatst_op=iso(b.geplaatst_op),
                opgeheven_op=iso(b.opgeheven_op), opgeheven_door=b.opgeheven_door, opheffingsreden=b.opheffingsreden)


def _lokaal_iso(waarde: str) -> str:
    import datetime as dt

    return lokaal(dt.datetime.fromisoformat(waarde))


def _schrijf(functie, referentie: str, reden: str, door: str):
    from models.dossier.bewaartermijn import BewaartermijnFout
    from models.opslag.db import sessie

    try:
        with sessie() as session:
            blokkade = functie(session, referentie.strip().upper(), reden, door)
            return _blokkade_json(referentie.strip().upper(), blokkade)
    except BewaartermijnFout as exc:
        raise Gebruikersfout(f"Niets vastgelegd: {exc}") from None


@bewaartermijn_app.command()
@netjes
def blokkeer(referentie: str = REFERENTIE, reden: str = REDEN, door: str = DOOR, als_json: bool = JSON_OPTIE) -> None:
    """Blokkeer het vernietigen van een casus (lopende klacht, rechtszaak): hij blijft heel tot de blokkade wordt opgeheven."""
    from models.dossier.bewaartermijn import blokkeer as plaats

    gegevens = _schrijf(plaats, referentie, reden, door)
    if als_json:
        toon_json(gegevens)
    else:
        typer.echo(f"Casus {gegevens['casus']} is geblokkeerd: de persoonsgegevens worden niet vernietigd "
                   "zolang de blokkade er is.")


@bewaartermijn_app.command()
@netjes
def deblokkeer(referentie: str = REFERENTIE, reden: str = REDEN, door: str = DOOR, als_json: bool = JSON_OPTIE) -> None:
    """Hef de blokkade van een casus op; is de bewaartermijn voorbij, dan gaat hij bij de volgende run."""
    from models.dossier.bewaartermijn import deblokkeer as hef_op

    gegevens = _schrijf(hef_op, referentie, reden, door)
    if als_json:
        toon_json(gegevens)
    else:
        typer.echo(f"De blokkade van casus {gegevens['casus']} is opgeheven.")


@bewaartermijn_app.command()
@netjes
def lijst(
    referentie: str = typer.Argument(None, help="Zonder: alle actieve blokkades. Met: alle blokkades van die casus."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """De actieve blokkades, of alle blokkades (ook opgeheven) van één casus."""
    from models.dossier.bewaartermijn import blokkades
    from models.opslag.db import sessie

    with sessie() as session:
        regels = [_blokkade_json(r.referentie, r.blokkade)
                  for r in blokkades(session, referentie.strip().upper() if referentie else None)]
    if als_json:
        toon_json(regels)
        return
    if not regels:
        typer.echo("Geen blokkades." if referentie is None else f"Casus {referentie.strip().upper()} heeft geen blokkades.")
        return
    for r in regels:
        stand = (f"opgeheven {_lokaal_iso(r['opgeheven_op'])} door {r['opgeheven_door']}: {r['opheffingsreden']}"
                 if r["opgeheven_op"] else "actief")
        typer.echo(f"{r['casus']:<16} sinds {_lokaal_iso(r['geplaatst_op'])} door {r['door']}: {r['reden']} ({stand})")


@bewaartermijn_app.command()
@netjes
def vernietig(
    proef: bool = typer.Option(False, "--proef", help="Alleen tonen wat er zou gaan; er wordt niets gewijzigd."),
    peildatum: str = typer.Option(None, "--peildatum",
                                  help="Alleen met --proef: kijk op deze datum (2047-03-01) of dit tijdstip."),
    door: str = typer.Option("systeem", "--door", help="Wie dit doet (komt in de audittrail)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Vernietig nu de persoonsgegevens van afgesloten casussen waarvan de bewaartermijn voorbij is (zoals de nachtelijke run)."""
    from models.opslag.typen import nu
    from tasks import bewaartermijn as bt

    regio = regio_instellingen()
    if peildatum and not proef:
        raise Gebruikersfout("--peildatum kan alleen met --proef: vernietigen gebeurt altijd op dit moment.")
    moment = tijdstip_optie(peildatum, "--peildatum", "2047-03-01 of 2047-03-01T09:00") if peildatum else nu()
    if proef:
        kandidaten = bt.proef(moment, regio)
        if als_json:
            toon_json({"peilmoment": iso(moment), "proefdraai": True, "casussen": [
                dict(casus=k.referentie, afgesloten_op=iso(k.afgesloten_op), vernietigen_vanaf=iso(k.vernietigen_vanaf),
                     al_begonnen=k.al_begonnen) for k in kandidaten]})
            return
        typer.echo(f"Proefdraai voor {lokaal(moment)} (bewaartermijn {regio.bewaartermijn_jaren} jaar): "
                   "er is niets vernietigd of vastgelegd.")
        typer.echo(f"{len(kandidaten)} casussen zouden worden vernietigd." if kandidaten
                   else "Er zou geen enkele casus worden vernietigd.")
        for k in kandidaten:
            typer.echo(f"  {k.referentie:<16} afgesloten {lokaal(k.afgesloten_op)}, te vernietigen vanaf "
                       f"{lokaal(k.vernietigen_vanaf)}{' (eerder begonnen: wordt afgemaakt)' if k.al_begonnen else ''}")
        return
    verslag = bt.vernietig(moment, regio, door.strip() or "systeem")
    bericht = bt.meld_vernietigd(regio)
    if als_json:
        toon_json(dict(vernietigd=verslag.vernietigd, overgeslagen=verslag.overgeslagen, bericht=bericht))
        return
    typer.echo(f"{len(verslag.vernietigd)} casussen vernietigd" + (f": {', '.join(verslag.vernietigd)}"
                                                                  if verslag.vernietigd else "."))
    if verslag.overgeslagen:
        typer.echo(f"Overgeslagen (intussen geblokkeerd): {', '.join(verslag.overgeslagen)}")
    if bericht is not None:
        typer.echo(f"Het bericht aan beheer (bericht {bericht}) gaat uit bij de volgende bezorgronde.")

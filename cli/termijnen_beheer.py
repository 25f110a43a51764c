"""`vt termijn ...`: staff suspend, resume and extend a term of a casus (always with a reason,
audited, and picked up by the deadline watch), and list the open terms over time."""

from __future__ import annotations

import datetime as dt

import typer

from cli.basis import (JSON_OPTIE, Gebruikersfout, app, iso, lokaal, netjes, regio_instellingen, tijdstip_optie,
                       toon_json)
from models.regels.instellingen import TIJDZONE, TermijnSoort

termijn_app = typer.Typer(
    help="Termijnen van een casus opschorten, hervatten of verlengen, en termijnen over tijd tonen.",
    no_args_is_help=True,
)
app.add_typer(termijn_app, name="termijn")

REFERENTIE = typer.Argument(..., help="Casusreferentie, bijvoorbeeld VT-2026-000123.")
SOORT = typer.Option(..., "--soort", help=f"Soort termijn: {', '.join(s.value for s in TermijnSoort)}.")
DOOR = typer.Option(..., "--door", help="Wie dit doet (komt in de audittrail).")
TERMIJN_ID = typer.Option(None, "--id", help="Nummer van de termijn, als de casus er meer van deze soort open heeft.")


def _soort(waarde: str) -> TermijnSoort:
    try:
        return TermijnSoort(waarde.strip().lower())
    except ValueError:
        raise Gebruikersfout(f"--soort moet een van deze zijn: {', '.join(s.value for s in TermijnSoort)}.") from None


def _wijzig(referentie: str, soort: str, termijn_id: int | None, wijziging) -> dict:
    """Apply `wijziging(session, casus, termijn)` in one transaction; returns the term's new state."""
    from models.opslag.db import sessie
    from models.dossier.wijzigingen import OngeldigeTermijnwijziging, casus_op_referentie, kies_open_termijn

    gekozen = _soort(soort)
    try:
        with sessie() as session:
            casus = casus_op_referentie(session, referentie.strip().upper())
            termijn = kies_open_termijn(session, casus, gekozen, termijn_id)
            wijziging(session, casus, termijn)
            return {
                "casus": casus.referentie, "termijn_id": termijn.id, "soort": termijn.soort,
                "vervalt_op": iso(termijn.vervalt_op), "oorspronkelijk_vervalt_op": iso(termijn.oorspronkelijk_vervalt_op),
                "opgeschort_op": iso(termijn.opgeschort_op), "volgende_actie_op": iso(termijn.volgende_actie_op),
            }
    except OngeldigeTermijnwijziging as exc:
        raise Gebruikersfout(str(exc)) from None


def _toon(staat: dict, wat: str, als_json: bool) -> None:
    if als_json:
        toon_json(staat)
        return
    tijd = lambda waarde: lokaal(dt.datetime.fromisoformat(waarde)) if waarde else "-"  # noqa: E731
    typer.echo(f"Termijn {staat['soort']} (nummer {staat['termijn_id']}) van casus {staat['casus']} {wat}.")
    typer.echo(f"  vervalt op        {tijd(staat['vervalt_op'])}")
    if staat["oorspronkelijk_vervalt_op"] != staat["vervalt_op"]:
        typer.echo(f"  oorspronkelijk    {tijd(staat['oorspronkelijk_vervalt_op'])}")
    if staat["opgeschort_op"]:
        typer.echo(f"  opgeschort sinds  {tijd(staat['opgeschort_op'])} (geen waarschuwingen of escalaties)")
    else:
        typer.echo(f"  volgende stap     {tijd(staat['volgende_actie_op'])}")


@termijn_app.command()
@netjes
def opschorten(
    referentie: str = REFERENTIE, soort: str = SOORT,
    reden: str = typer.Option(..., "--reden", help="Waarom de termijn stilstaat (komt in de audittrail)."),
    door: str = DOOR, termijn_id: int = TERMIJN_ID, als_json: bool = JSON_OPTIE,
) -> None:
    """Schort een termijn op: de klok stopt en er gaan geen waarschuwingen of escalaties uit."""
    from models.dossier.wijzigingen import schort_op

    staat = _wijzig(referentie, soort, termijn_id,
                    lambda session, casus, termijn: schort_op(session, casus, termijn, door, reden))
    _toon(staat, "opgeschort", als_json)


@termijn_app.command()
@netjes
def hervatten(
    referentie: str = REFERENTIE, soort: str = SOORT, door: str = DOOR, termijn_id: int = TERMIJN_ID,
    als_json: bool = JSON_OPTIE,
) -> None:
    """Hervat een opgeschorte termijn: vervaldatum en waarschuwingen schuiven op met de opgeschorte tijd."""
    from models.dossier.wijzigingen import hervat

    staat = _wijzig(referentie, soort, termijn_id,
                    lambda session, casus, termijn: hervat(session, casus, termijn, door))
    _toon(staat, "hervat", als_json)


def _nieuwe_vervaldatum(tot: str | None, werkdagen: int | None, vervalt_op: dt.datetime) -> dt.datetime:
    from models.regels.kalender import werkkalender
    from models.dossier.termijnbewaking import na_werkdagen

    regio = regio_instellingen()
    if (tot is None) == (werkdagen is None):
        raise Gebruikersfout("Geef precies één van --tot en --werkdagen.")
    if werkdagen is not None:
        if werkdagen < 1:
            raise Gebruikersfout("--werkdagen moet 1 of meer zijn.")
        return na_werkdagen(vervalt_op, werkdagen, werkkalender(regio))
    return tijdstip_optie(tot, "--tot", "2026-12-04 of 2026-12-04T17:00", wat="geldige datum of geldig tijdstip",
                          dag_eindigt_om=regio.kalender.termijn_eindigt_om)


@termijn_app.command()
@netjes
def verlengen(
    referentie: str = REFERENTIE, soort: str = SOORT,
    reden: str = typer.Option(..., "--reden", help="Waarom de termijn langer wordt (komt in de audittrail)."),
    door: str = DOOR,
    tot: str = typer.Option(None, "--tot", help="Nieuwe vervaldatum (2026-12-04) of tijdstip (2026-12-04T17:00)."),
    werkdagen: int = typer.Option(None, "--werkdagen", help="Verleng met dit aantal werkdagen."),
    termijn_id: int = TERMIJN_ID, als_json: bool = JSON_OPTIE,
) -> None:
    """Verleng een termijn met een reden. Stappen die nu weer in de toekomst liggen, gaan opnieuw uit."""
    from models.dossier.wijzigingen import verleng

    def wijziging(session, casus, termijn):
        verleng(session, casus, termijn, _nieuwe_vervaldatum(tot, werkdagen, termijn.vervalt_op), door, reden)

    _toon(_wijzig(referentie, soort, termijn_id, wijziging), "verlengd", als_json)


@termijn_app.command("over-tijd")
@netjes
def over_tijd(
    gemeente: str = typer.Option(None, "--gemeente", help="Alleen deze gemeente (CBS-code, bijvoorbeeld GM0907)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon alle open termijnen die over tijd zijn, per gemeente (opgeschorte termijnen niet)."""
    from models.opslag.db import sessie
    from models.dossier.termijnbewaking import over_tijd as termijnen_over_tijd
    from models.dossier.termijnbewaking import overzichtsregels
    from models.opslag.typen import nu

    regio = regio_instellingen()
    code = gemeente.strip().upper() if gemeente else None
    if code is not None and code not in {g.code for g in regio.gemeenten}:
        raise Gebruikersfout(f"Onbekende gemeente {code}; kies uit {', '.join(g.code for g in regio.gemeenten)}.")
    moment = nu()
    with sessie() as session:
        regels = overzichtsregels(termijnen_over_tijd(session, moment, code), regio, moment)
    if als_json:
        toon_json({"peilmoment": iso(moment), "aantal": len(regels),
                   "termijnen": [{**r, "vervallen_op": iso(r["vervallen_op"])} for r in regels]})
        return
    if not regels:
        typer.echo(f"Geen open termijnen over tijd op {lokaal(moment)}.")
        return
    typer.echo(f"{len(regels)} open termijnen over tijd op {lokaal(moment)} ({TIJDZONE}):")
    vorige = None
    for r in regels:
        if r["gemeente"] != vorige:
            vorige = r["gemeente"]
            typer.echo("")
            typer.echo(f"{r['gemeente']} ({r['gemeente_code']})")
        verlengd = "  verlengd" if r["verlengd"] else ""
        typer.echo(f"  {r['casus']:<16} {r['termijn']:<24} vervallen {lokaal(r['vervallen_op'])}  "
                   f"{r['werkdagen_te_laat']} werkdagen / {r['uren_te_laat']} uur te laat  "
                   f"laatste stap: {r['laatste_stap'] or '-'}{verlengd}")


def _peildatum(waarde: str) -> dt.datetime:
    """A date means the end of that day, when that day's terms expire."""
    return tijdstip_optie(waarde, "--peildatum", "2027-01-08 of 2027-01-08T09:00", wat="geldige datum of geldig tijdstip",
                          dag_eindigt_om=regio_instellingen().kalender.termijn_eindigt_om)


@termijn_app.command()
@netjes
def proefdraai(
    peildatum: str = typer.Option(..., "--peildatum", help="Datum (2027-01-08) of tijdstip (2027-01-08T09:00)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon wat de termijnbewaking op een peildatum zou versturen, zonder iets te versturen of vast te leggen."""
    from tasks.termijnbewaking import proefdraai as vooruitblik

    moment = _peildatum(peildatum)
    verslag = vooruitblik(moment, regio_instellingen())
    if als_json:
        toon_json({"peilmoment": iso(moment), "proefdraai": True, "verstuurd": 0, "stappen": [
            {"moment": iso(s.stapmoment), "casus": s.casus_referentie, "termijn": s.termijn, "stap": s.stap,
             "rollen": list(s.rollen), "onderwerp": s.onderwerp} for s in verslag.voorgenomen]})
        return
    typer.echo(f"Proefdraai voor {lokaal(moment)} ({TIJDZONE}): er is niets verstuurd of vastgelegd.")
    if not verslag.voorgenomen:
        typer.echo("Op dat moment zou geen enkele stap uitgaan.")
        return
    typer.echo(f"Zo zou de termijnbewaking dan handelen ({len(verslag.voorgenomen)} stappen), als tot dan "
               "geen termijn wordt afgerond, verlengd of opgeschort:")
    for s in verslag.voorgenomen:
        typer.echo(f"  {lokaal(s.stapmoment)}  {s.casus_referentie:<16} {s.termijn:<24} {s.stap:<14} "
                   f"aan {', '.join(s.rollen)}")
        typer.echo(f"    {s.onderwerp}")

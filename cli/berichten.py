"""`vt bericht ...`: staff queue a message (to staff, a lokaal team, the crisis service) again
after fixing why it could not be delivered. The same as the deployment "bericht opnieuw
versturen" in the Prefect UI."""

from __future__ import annotations

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, netjes, toon_json

bericht_app = typer.Typer(help="Berichten aan medewerkers en organisaties: opnieuw klaarzetten.", no_args_is_help=True)
app.add_typer(bericht_app, name="bericht")

BERICHTNUMMER = typer.Argument(..., help="Nummer van het bericht (uit de e-mail 'Bericht kon niet worden bezorgd').")


@bericht_app.command("opnieuw")
@netjes
def opnieuw(berichtnummer: int = BERICHTNUMMER, als_json: bool = JSON_OPTIE) -> None:
    """Zet een mislukt bericht opnieuw klaar, nadat de oorzaak is verholpen (ontvanger, mailserver)."""
    from models.communicatie import Notificatie
    from models.db import sessie
    from models.uitgaand import zet_opnieuw_klaar

    try:
        with sessie() as session:
            bericht = zet_opnieuw_klaar(session, Notificatie, berichtnummer)
            gegevens = {"id": bericht.id, "soort": bericht.soort, "status": bericht.status, "ronde": bericht.ronde}
    except (LookupError, ValueError) as exc:
        raise Gebruikersfout(str(exc)) from None
    if als_json:
        toon_json(gegevens)
    else:
        typer.echo(f"Bericht {berichtnummer} staat weer klaar; de bezorging probeert het binnen een minuut opnieuw.")

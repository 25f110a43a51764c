"""`vt bericht ...`: staff queue a message (to staff, a lokaal team, the crisis service) again
after fixing why it could not be delivered. The same as the deployment "bericht opnieuw
versturen" in the Prefect UI."""

from __future__ import annotations

import typer

from cli.basis import JSON_OPTIE, app, netjes, zet_weer_klaar

bericht_app = typer.Typer(help="Berichten aan medewerkers en organisaties: opnieuw klaarzetten.", no_args_is_help=True)
app.add_typer(bericht_app, name="bericht")

BERICHTNUMMER = typer.Argument(..., help="Nummer van het bericht (uit de e-mail 'Bericht kon niet worden bezorgd').")


@bericht_app.command("opnieuw")
@netjes
def opnieuw(berichtnummer: int = BERICHTNUMMER, als_json: bool = JSON_OPTIE) -> None:
    """Zet een mislukt bericht opnieuw klaar, nadat de oorzaak is verholpen (ontvanger, mailserver)."""
    from models.opslag.communicatie import Notificatie

    zet_weer_klaar(Notificatie, berichtnummer,
                   lambda b: {"id": b.id, "soort": b.soort, "status": b.status, "ronde": b.ronde},
                   f"Bericht {berichtnummer} staat weer klaar; de bezorging probeert het binnen een minuut opnieuw.",
                   als_json)

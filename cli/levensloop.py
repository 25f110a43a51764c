"""`vt levensloop start-open`: a lifecycle run for every open casus that has none (after demo
data, an import, or a fresh Prefect database); `vt capaciteit`: show or switch the
continuity-plan mode without a restart."""

from __future__ import annotations

import time

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, netjes, regio_instellingen, toon_json

levensloop_app = typer.Typer(help="Levensloop-runs van casussen in Prefect.", no_args_is_help=True)
app.add_typer(levensloop_app, name="levensloop")

_BEZIG = {"SCHEDULED", "PENDING", "RUNNING"}


def _wacht_op_deployment(seconden: float) -> None:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    from tasks.levensloop import LEVENSLOOP_DEPLOYMENT

    einde = time.monotonic() + seconden
    with get_client(sync_client=True) as client:
        while True:
            try:
                client.read_deployment_by_name(LEVENSLOOP_DEPLOYMENT)
                return
            except ObjectNotFound:
                if time.monotonic() >= einde:
                    raise Gebruikersfout(
                        f"Deployment '{LEVENSLOOP_DEPLOYMENT}' bestaat niet. Start eerst de deployments: "
                        "python -m deployments.serve"
                    ) from None
                time.sleep(1)


def _wacht_tot_ze_wachten(run_ids: list[str], seconden: float) -> None:
    """Until each run waits for a form (or ended): then the next group may start."""
    from uuid import UUID

    from prefect import get_client

    einde = time.monotonic() + seconden
    with get_client(sync_client=True) as client:
        while run_ids and time.monotonic() < einde:
            run_ids = [r for r in run_ids if client.read_flow_run(UUID(r)).state_type.value in _BEZIG]
            time.sleep(1)


@levensloop_app.command("start-open")
@netjes
def start_open(
    wacht: float = typer.Option(120, help="Zo lang (seconden) wachten tot de deployments er zijn."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Start de levensloop-run van elke open casus die er nog geen heeft (idempotent). Ze starten
    in groepjes (levensloop.gelijktijdige_starts), zodat de machine niet vastloopt; daarna wacht
    elke casus in de Prefect UI op het besluit van zijn stap."""
    from tasks.levensloop import open_casussen_zonder_run, start_levensloop_run

    groep = regio_instellingen().levensloop.gelijktijdige_starts
    _wacht_op_deployment(wacht)
    referenties = open_casussen_zonder_run()
    gestart = []
    for begin in range(0, len(referenties), groep):
        runs = [start_levensloop_run(ref) for ref in referenties[begin:begin + groep]]
        gestart.extend(run_id for run_id, nieuw in runs if nieuw)
        _wacht_tot_ze_wachten([run_id for run_id, _ in runs], seconden=120)
    if als_json:
        toon_json({"gestart": len(gestart), "open_zonder_run": len(referenties)})
    else:
        typer.echo(f"{len(gestart)} levensloop-run(s) gestart; elke open casus heeft nu een run.")


@app.command()
@netjes
def capaciteit(
    modus: str = typer.Argument(None, help="normaal of continuiteitsplan; leeg = alleen tonen."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon of wissel de capaciteitsmodus. In het continuïteitsplan gaat een besluit voor een
    regulier onderzoek of V&V naar de werkvoorraad. Werkt direct, zonder herstart (Prefect-variabele)."""
    from models.instellingen import CapaciteitsModus
    from tasks.capaciteit import capaciteitsmodus_en_bron, zet_capaciteitsmodus

    regio = regio_instellingen()
    if modus is not None:
        try:
            gekozen = CapaciteitsModus(modus.strip().lower())
        except ValueError:
            raise Gebruikersfout(
                f"Onbekende modus '{modus}'; kies: {', '.join(m.value for m in CapaciteitsModus)}."
            ) from None
        zet_capaciteitsmodus(gekozen, regio)
    huidig, bron = capaciteitsmodus_en_bron(regio)
    if als_json:
        toon_json({"modus": huidig.value, "bron": bron, "variabele": regio.levensloop.capaciteit_variabele})
    else:
        herkomst = (f"Prefect-variabele '{regio.levensloop.capaciteit_variabele}'" if bron == "variabele"
                    else "instellingenbestand")
        typer.echo(f"Capaciteitsmodus: {huidig.value} (uit {herkomst}).")

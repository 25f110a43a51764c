"""`vt levensloop start-open`: a lifecycle run for every open casus that does not wait at its
decision (after demo data, an import, a fresh Prefect database or a crash); `vt levensloop
herstel`: one pass of the sentinel "casussen in beeld"; `vt capaciteit`: show or switch the
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


def _herstel_alles(groep: int, wacht_per_groep: float) -> dict[str, int]:
    """One pass of the sentinel "casussen in beeld" from the command line, in groups."""
    from tasks.bezorging import bezorg_notificaties, plaats_notificatie
    from tasks.in_beeld import herstel, zoek_buiten_beeld

    from tasks.massastart import start_in_bulk

    gevallen = zoek_buiten_beeld()
    tellingen = {"buiten_beeld": len(gevallen)}
    # Casussen without a run wait at their form at once; the others need a process each.
    bulk = start_in_bulk(gevallen)
    tellingen["in_bulk"] = tellingen["hersteld"] = len(bulk.gestart)
    gevallen = bulk.anders
    for begin in range(0, len(gevallen), groep):
        uitkomsten = [herstel(geval) for geval in gevallen[begin:begin + groep]]
        for uitkomst in uitkomsten:
            tellingen[uitkomst.uitkomst] = tellingen.get(uitkomst.uitkomst, 0) + 1
            if uitkomst.bericht is not None:
                bezorg_notificaties(alleen=[plaats_notificatie(**uitkomst.bericht)])
        if wacht_per_groep:
            _wacht_tot_ze_wachten([u.nieuwe_run for u in uitkomsten if u.nieuwe_run], seconden=wacht_per_groep)
    return tellingen


def _toon(tellingen: dict[str, int], als_json: bool) -> None:
    if als_json:
        toon_json({"gestart": tellingen.get("hersteld", 0), **tellingen})
        return
    typer.echo(f"{tellingen['buiten_beeld']} open casus(sen) wachtte(n) niet bij hun besluit; "
               f"{tellingen.get('hersteld', 0)} levensloop-run(s) (opnieuw) gestart, waarvan "
               f"{tellingen.get('in_bulk', 0)} direct wachtend bij hun formulier.")
    if gemeld := tellingen.get("gemeld", 0) + tellingen.get("al_gemeld", 0):
        typer.echo(f"{gemeld} casus(sen) konden niet worden hersteld; de teamleider heeft een e-mail.")


@levensloop_app.command("start-open")
@netjes
def start_open(
    wacht: float = typer.Option(120, help="Zo lang (seconden) wachten tot de deployments er zijn."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Start de levensloop-run van elke open casus die niet bij zijn besluit wacht: zonder run,
    of met een run die gecrasht, mislukt, geannuleerd, klaar of vastgelopen is (idempotent). Een
    casus zonder run die alleen op een besluit wacht, krijgt zijn run in één keer klaargezet bij
    dat formulier (zonder proces per casus); de andere starten in groepjes
    (levensloop.gelijktijdige_starts), zodat de machine niet vastloopt. Daarna wacht elke casus
    in de Prefect UI op het besluit van zijn stap."""
    _wacht_op_deployment(wacht)
    _toon(_herstel_alles(regio_instellingen().levensloop.gelijktijdige_starts, wacht_per_groep=120), als_json)


@levensloop_app.command("herstel")
@netjes
def herstel(als_json: bool = JSON_OPTIE) -> None:
    """Doe nu één ronde van de bewaking 'casussen in beeld': elke open casus die niet bij zijn
    besluit wacht, krijgt een nieuwe levensloop-run (of de teamleider een e-mail)."""
    _wacht_op_deployment(0)
    _toon(_herstel_alles(regio_instellingen().levensloop.gelijktijdige_starts, wacht_per_groep=0), als_json)


@app.command()
@netjes
def capaciteit(
    modus: str = typer.Argument(None, help="normaal of continuiteitsplan; leeg = alleen tonen."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon of wissel de capaciteitsmodus. In het continuïteitsplan gaat een besluit voor een
    regulier onderzoek of V&V naar de werkvoorraad. Werkt direct, zonder herstart (Prefect-variabele)."""
    from models.regels.instellingen import CapaciteitsModus
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

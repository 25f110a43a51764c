"""Shared parts of the `vt` command line: the app, the --json option and Dutch errors.

Every command takes `--json` for machine-readable output. Bad input gives a Dutch error and
exit code 1, never a Python traceback. Prefect is only imported by the commands that run a flow.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any, NoReturn

import typer

from models.regels.instellingen import TIJDZONE, OngeldigeInstellingen

app = typer.Typer(
    help="Veilig Thuis orkestratie: meldingen, casussen, termijnen en demodata.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JSON_OPTIE = typer.Option(False, "--json", help="Uitvoer als JSON (voor scripts).")


class Gebruikersfout(Exception):
    """Bad input or an unusable environment: shown as a Dutch error, exit code 1."""

    def __init__(self, melding: str, regels: list[str] | None = None):
        super().__init__(melding)
        self.melding = melding
        self.regels = regels or []


def fout(melding: str, als_json: bool, regels: list[str] | None = None) -> NoReturn:
    if als_json:
        typer.echo(json.dumps({"fout": melding, "regels": regels or []}, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"Fout: {melding}", err=True)
        for regel in regels or []:
            typer.echo(f"  {regel}", err=True)
    raise typer.Exit(1)


def netjes(functie):
    """Turn the errors a person can fix into a Dutch message and exit code 1."""

    @functools.wraps(functie)
    def omhulsel(*args, **kwargs):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from models.dossier.wijzigingen import OnbekendeCasus
        from models.opslag.typen import SleutelOntbreekt

        als_json = bool(kwargs.get("als_json"))
        try:
            return functie(*args, **kwargs)
        except Gebruikersfout as exc:
            fout(exc.melding, als_json, exc.regels)
        except OngeldigeInstellingen as exc:
            eerste, *rest = str(exc).splitlines()
            fout(eerste, als_json, [r.strip() for r in rest])
        except (SleutelOntbreekt, OnbekendeCasus) as exc:
            fout(str(exc), als_json)
        except (OverflowError, ValueError) as exc:
            # Date arithmetic past year 1 or 9999 (e.g. a term counted from a typo like 0001 or 9999).
            if not isinstance(exc, OverflowError) and "out of range" not in str(exc):
                raise
            fout("Een datum valt buiten het bereik waarmee gerekend kan worden (jaar 1 tot 9999); "
                 "controleer de ingevoerde datums.", als_json)
        except (OperationalError, ProgrammingError) as exc:
            # Only the driver's first line: the rest repeats the SQL statement.
            oorzaak = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            fout(
                f"De database geeft een fout: {oorzaak}. Klopt DATABASE_URL, en is `vt migreer` gedraaid?",
                als_json,
            )

    return omhulsel


def toon_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def amsterdam():
    from models.regels.kalender import AMSTERDAM

    return AMSTERDAM


def lokaal(moment: dt.datetime | None) -> str:
    """'vr 27-11-2026 23:59' in Europe/Amsterdam, as every text shows a moment; '-' for none."""
    from templates import tijdstip

    return "-" if moment is None else tijdstip(moment)


def tijdstip_optie(waarde: str, optie: str, voorbeeld: str, *, wat: str = "geldig tijdstip",
                   dag_eindigt_om: dt.time | None = None) -> dt.datetime:
    """A moment typed as an option (ISO 8601); without a timezone it is Dutch local time. With
    `dag_eindigt_om`, a date alone means that time of that day (when that day's terms expire)."""
    tekst = waarde.strip()
    try:
        if dag_eindigt_om is not None and len(tekst) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(tekst), dag_eindigt_om, tzinfo=amsterdam())
        moment = dt.datetime.fromisoformat(tekst)
    except ValueError:
        raise Gebruikersfout(
            f"{optie} is geen {wat}. Gebruik bijvoorbeeld {voorbeeld} (zonder tijdzone geldt {TIJDZONE})."
        ) from None
    return moment.replace(tzinfo=amsterdam()) if moment.tzinfo is None else moment


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(amsterdam()).isoformat() if moment else None


def zet_weer_klaar(model, nummer: int, als_dict, bevestiging: str, als_json: bool) -> None:
    """Queue a failed letter or message again (`models.dossier.uitgaand.zet_opnieuw_klaar`) and say so."""
    from models.opslag.db import sessie
    from models.dossier.uitgaand import zet_opnieuw_klaar

    try:
        with sessie() as session:
            gegevens = als_dict(zet_opnieuw_klaar(session, model, nummer))
    except (LookupError, ValueError) as exc:
        raise Gebruikersfout(str(exc)) from None
    if als_json:
        toon_json(gegevens)
    else:
        typer.echo(bevestiging)


def regio_instellingen():
    from models.regels.instellingen import instellingen

    return instellingen(streng=True)  # a broken settings file is shown, not papered over


def gemeentecodes(regio, gevraagd: list[str]) -> set[str]:
    """CBS codes of gemeenten given by name or code, as staff type them."""
    op_naam = {g.naam.casefold(): g.code for g in regio.gemeenten} | {g.code.casefold(): g.code for g in regio.gemeenten}
    onbekend = [g for g in gevraagd if g.strip().casefold() not in op_naam]
    if onbekend:
        raise Gebruikersfout(f"Onbekende gemeente(n): {', '.join(onbekend)}. Kies uit: "
                             f"{', '.join(g.naam for g in regio.gemeenten)}.")
    return {op_naam[g.strip().casefold()] for g in gevraagd}

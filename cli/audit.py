"""`vt audit controleer`: is the audit trail still what the system wrote? Checks every chain (or
one casus's) link by link and against the newest anchors in the report archive. Reads only:
alerting beheer is the scheduled check's work (deployment auditcontrole).

Exit code 0: in order; 2: breaks found (named); 1: bad input, as every command."""

from __future__ import annotations

import typer

from cli.basis import JSON_OPTIE, Gebruikersfout, app, netjes, regio_instellingen, toon_json

audit_app = typer.Typer(help="De audittrail: controleren of niemand er buiten het systeem om aan zat.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")

BREUK = 2


@audit_app.command("controleer")
@netjes
def controleer(
    casus: str = typer.Option(None, "--casus", help="Alleen de keten van deze casus, bijvoorbeeld VT-2026-000123."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Controleer de audittrail: elke keten en de nieuwste ankers. Noemt elke gewijzigde,
    verwijderde of ingevoegde gebeurtenis."""
    from models.dossier.wijzigingen import casus_op_referentie
    from models.lezen.auditketen import controleer as controleer_trail, laatste_ankers
    from models.lezen.rapportarchief import RAPPORTMAP
    from models.opslag.db import sessie
    from models.regels.instellingen import Omgeving

    referentie = casus.strip() if casus is not None else None
    if casus is not None and not referentie:
        raise Gebruikersfout("--casus is leeg; geef een casusreferentie, bijvoorbeeld VT-2026-000123.")
    regio = regio_instellingen()
    ankers = laatste_ankers(Omgeving().data_map / RAPPORTMAP, regio.auditketen.ankers_controleren)
    with sessie(expire_on_commit=False) as session:
        if referentie:
            casus_op_referentie(session, referentie)  # an unknown reference is a Dutch error, not "in orde"
        controle = controleer_trail(session, ankers, referentie)
    if als_json:
        toon_json({"in_orde": controle.in_orde, "ketens": controle.ketens, "gebeurtenissen": controle.gebeurtenissen,
                   "ankers": controle.ankers, "breuken": [b.als_dict() for b in controle.breuken]})
    else:
        _toon(controle, referentie)
    if not controle.in_orde:
        raise typer.Exit(BREUK)


def _toon(controle, casus: str | None) -> None:
    wat = f"De keten van casus {casus}" if casus else f"De audittrail ({controle.ketens} ketens)"
    ankers = (f"vergeleken met de ankers van {', '.join(controle.ankers)}" if controle.ankers
              else "nog geen anker in het archief om mee te vergelijken")
    if controle.in_orde:
        typer.echo(f"{wat} is in orde: {controle.gebeurtenissen} gebeurtenissen nagerekend, {ankers}.")
        return
    typer.echo(f"{wat} is veranderd buiten het systeem om: {len(controle.breuken)} "
               f"{'breuk' if len(controle.breuken) == 1 else 'breuken'} ({controle.gebeurtenissen} gebeurtenissen "
               f"nagerekend, {ankers}).")
    for b in controle.breuken:
        typer.echo(f"  casus {b.casus or '(zonder casus)'}: {b.toelichting}")
    typer.echo("Wat nu: docs/beheer.md, hoofdstuk 'The audit chain (de auditketen)'.")

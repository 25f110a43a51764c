"""`vt inloopplan`: when the wachtlijst is back at its usual level, per gemeente and for the
region, and what extra capacity would get it there by a target date (models/regels/inloopplan.py).
Shows the published figures, suppressed like the report: what is copied out of it is safe."""

from __future__ import annotations

import typer

from cli.basis import JSON_OPTIE, app, gemeentecodes, netjes, regio_instellingen, toon_json
from cli.rapport import _datum


@app.command()
@netjes
def inloopplan(
    extra_capaciteit: int = typer.Option(0, "--extra-capaciteit", min=0,
                                         help="Zoveel casussen per week extra afhandelen (per getoond gebied)."),
    doel: str = typer.Option(None, "--doel", help="Doeldatum JJJJ-MM-DD; zonder: uit de instellingen."),
    gemeente: list[str] = typer.Option([], "--gemeente", help="Alleen deze gemeente(n) (naam of CBS-code); "
                                                              "herhaalbaar. De regio staat er altijd bij."),
    peildatum: str = typer.Option(None, "--peildatum", help="Rekenen tot en met deze dag, JJJJ-MM-DD; zonder: vandaag."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Wanneer is de wachtlijst terug op het gebruikelijke niveau, bij de instroom en doorstroom van
    de laatste weken (instellingen: inloopplan)? En hoeveel casussen per week extra zijn nodig om
    dat op de doeldatum te halen?"""
    from models.lezen.inloopplan import doorstroom, publiceer
    from models.opslag.db import sessie
    from models.opslag.typen import nu
    from models.regels.inloopplan import OngeldigDoel, doeldatum
    from models.regels.kalender import AMSTERDAM
    from templates import render

    regio = regio_instellingen()
    codes = gemeentecodes(regio, gemeente) if gemeente else None
    peil = _datum(peildatum, "--peildatum") or nu().astimezone(AMSTERDAM).date()
    doeldag = _datum(doel, "--doel") or doeldatum(peil, regio.inloopplan.doeldatum, regio.inloopplan.doel_weken)
    with sessie() as session:
        tellingen = doorstroom(session, [g.code for g in regio.gemeenten], peil, regio.inloopplan.venster_weken)
    try:
        plan = publiceer(tellingen, regio, peil, doeldag, extra_capaciteit)
    except OngeldigDoel as exc:
        raise Gebruikersfout(f"Kan geen inloopplan maken: {exc}.") from None
    regels = [g for g in plan.gemeenten if codes is None or g.code in codes] + [plan.regio]
    if not als_json:
        typer.echo(render("inloopplan/plan.txt.j2", plan=plan, regels=regels).rstrip())
        return
    methode, *zinnen = render("inloopplan/zinnen.json.j2", plan=plan, regels=regels).strip().split("\n")
    toon_json({**plan.model_dump(mode="json", exclude={"gemeenten", "regio"}), "methode": methode,
               "gebieden": [dict(r.model_dump(mode="json"), toelichting=z) for r, z in zip(regels, zinnen)]})

"""`vt brief ...` and `vt contact ...`: staff look up, make and re-queue letters, and record a
contact with a family on the werkvoorraad (audited as `contactmoment`).

Letters hold names and addresses: the commands show where the PDF is, never its contents.
"""

from __future__ import annotations

import datetime as dt
import json

import typer

from cli.basis import (JSON_OPTIE, Gebruikersfout, app, iso, lokaal, netjes, regio_instellingen, tijdstip_optie,
                       toon_json, zet_weer_klaar)

brief_app = typer.Typer(help="Brieven aan gezinnen en melders: tonen, maken en opnieuw klaarzetten.",
                        no_args_is_help=True)
contact_app = typer.Typer(help="Contact met gezinnen op de werkvoorraad vastleggen.", no_args_is_help=True)
app.add_typer(brief_app, name="brief")
app.add_typer(contact_app, name="contact")

REFERENTIE = typer.Argument(..., help="Casusreferentie, bijvoorbeeld VT-2026-000123.")
BRIEF_ID = typer.Argument(..., help="Nummer van de brief (zie `vt brief lijst <casus>`).")


def _brief_dict(brief) -> dict:
    from models.brieven.inhoud import archiefmap

    return {
        "id": brief.id, "soort": brief.soort, "aanleiding": brief.aanleiding, "ontvanger": brief.ontvanger,
        "kanaal": brief.kanaal, "status": brief.status, "pogingen": brief.pogingen,
        "laatste_fout": brief.laatste_fout, "template_versie": brief.template_versie, "checksum": brief.checksum,
        "pdf": str(archiefmap() / brief.pad) if brief.pad else None,
        "aangemaakt_op": iso(brief.aangemaakt_op), "verzonden_op": iso(brief.verzonden_op),
    }


@brief_app.command("lijst")
@netjes
def lijst(referentie: str = REFERENTIE, als_json: bool = JSON_OPTIE) -> None:
    """Alle brieven van een casus, met hun status."""
    from models.brieven.inhoud import brieven_van_casus
    from models.opslag.db import sessie
    from models.dossier.wijzigingen import casus_op_referentie

    with sessie() as session:
        casus = casus_op_referentie(session, referentie.strip().upper())
        rijen = [_brief_dict(b) for b in brieven_van_casus(session, casus)]
    if als_json:
        toon_json({"casus": casus.referentie, "brieven": rijen})
        return
    if not rijen:
        typer.echo(f"Casus {casus.referentie} heeft nog geen brieven.")
        return
    typer.echo(f"Brieven van casus {casus.referentie}:")
    for r in rijen:
        typer.echo(f"  {r['id']:>6}  {r['soort']:<38} {r['aanleiding']:<24} {r['ontvanger']:<8} "
                   f"{r['kanaal']:<6} {r['status']:<10} {lokaal(dt.datetime.fromisoformat(r['aangemaakt_op']))}")


@brief_app.command("toon")
@netjes
def toon(brief_id: int = BRIEF_ID, als_json: bool = JSON_OPTIE) -> None:
    """Gegevens van één brief en waar de PDF in het archief staat."""
    from models.opslag.communicatie import Brief
    from models.opslag.db import sessie

    with sessie() as session:
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise Gebruikersfout(f"Brief {brief_id} bestaat niet.")
        gegevens = _brief_dict(brief)
    if als_json:
        toon_json(gegevens)
        return
    for sleutel, waarde in gegevens.items():
        typer.echo(f"{sleutel.replace('_', ' '):<16} {waarde if waarde is not None else '-'}")


@brief_app.command("opnieuw")
@netjes
def opnieuw(brief_id: int = BRIEF_ID, als_json: bool = JSON_OPTIE) -> None:
    """Zet een mislukte brief opnieuw klaar, nadat de oorzaak is verholpen (adres, mailserver, printwachtrij)."""
    from models.opslag.communicatie import Brief

    zet_weer_klaar(Brief, brief_id, _brief_dict,
                   f"Brief {brief_id} staat weer klaar; de bezorging probeert het binnen vijf minuten opnieuw.", als_json)


@brief_app.command("maak")
@netjes
def maak(
    referentie: str = REFERENTIE,
    soort: str = typer.Argument(..., help="Soort brief, bijvoorbeeld afsluiting (zie tasks/brieven.py)."),
    aanleiding: str = typer.Argument(..., help="Aanleiding (deel van de sleutel), bijvoorbeeld 'afsluiting'."),
    gegevens: str = typer.Option("{}", "--gegevens", help='Feiten als JSON, bijvoorbeeld {"besluit": "afsluiten"}.'),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Maak een brief (één keer per casus, soort en aanleiding) en zet hem klaar voor bezorging."""
    from models.brieven.inhoud import OngeldigeBriefgegevens
    from tasks.brieven import maak_brieven, soort_van

    try:
        feiten = json.loads(gegevens)
    except json.JSONDecodeError:
        raise Gebruikersfout("--gegevens is geen geldige JSON.") from None
    referentie = referentie.strip().upper()
    try:
        ids = maak_brieven(referentie, soort_van(soort), aanleiding, feiten, regio_instellingen())
    except OngeldigeBriefgegevens as exc:
        raise Gebruikersfout(str(exc)) from None
    if als_json:
        toon_json({"casus": referentie, "brieven": ids})
    elif ids:
        typer.echo(f"Brief/brieven {', '.join(map(str, ids))} staan klaar voor casus {referentie}.")
    else:
        typer.echo(f"Geen brief gemaakt: niemand in casus {referentie} vroeg om deze terugkoppeling.")


@contact_app.command("registreren")
@netjes
def registreren(
    referentie: str = REFERENTIE,
    vorm: str = typer.Option("telefoon", "--vorm", help="telefoon, huisbezoek, op_kantoor of video."),
    bereikt: bool = typer.Option(..., "--bereikt/--niet-bereikt", help="Heeft u het gezin gesproken?"),
    door: str = typer.Option(..., "--door", help="Wie het contact had (komt in de audittrail)."),
    tijdstip: str = typer.Option(None, "--tijdstip", help="Wanneer (ISO, bijv. 2026-11-23T10:30); leeg = nu."),
    notitie: str = typer.Option(None, "--notitie", help="Korte notitie (wordt versleuteld opgeslagen)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Leg een contact (of poging) met een gezin op de werkvoorraad vast. Alleen een contact waarbij u
    het gezin sprak, telt als contact."""
    from models.opslag.db import sessie
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.typen import nu
    from models.dossier.werkvoorraad import OngeldigContact, registreer_contact
    from models.opslag.casus import ContactVorm

    try:
        gekozen = ContactVorm(vorm.strip().lower())
    except ValueError:
        raise Gebruikersfout(f"--vorm moet een van deze zijn: {', '.join(v.value for v in ContactVorm)}.") from None
    moment = tijdstip_optie(tijdstip, "--tijdstip", "2026-11-23T10:30", wat="geldige datum en tijd") if tijdstip else nu()
    try:
        with sessie() as session:
            casus = casus_op_referentie(session, referentie.strip().upper())
            contact = registreer_contact(session, casus, tijdstip=moment, vorm=gekozen, bereikt=bereikt,
                                         medewerker=door, notitie=notitie, regio=regio_instellingen())
            uitvoer = {"casus": casus.referentie, "contactmoment_id": contact.id, "vorm": gekozen.value,
                       "bereikt": bereikt, "tijdstip": iso(moment), "status": casus.status}
    except OngeldigContact as exc:
        raise Gebruikersfout(str(exc)) from None
    if als_json:
        toon_json(uitvoer)
        return
    wat = "Contact" if bereikt else "Poging zonder contact"
    typer.echo(f"{wat} met casus {uitvoer['casus']} vastgelegd ({gekozen.value}, {lokaal(moment)}).")
    if uitvoer["status"] != "werkvoorraad":
        typer.echo(f"Let op: casus {uitvoer['casus']} staat niet (meer) op de werkvoorraad.")

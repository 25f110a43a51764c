"""Commands for the case store: migreer, instellingen, termijnen, import, casus, demo-data."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import os
from pathlib import Path
import typer
from models.regels.instellingen import TIJDZONE, Urgentie

from cli.basis import app, JSON_OPTIE, Gebruikersfout, netjes, toon_json, lokaal, iso, regio_instellingen, tijdstip_optie  # noqa: F401


# --- vt migreer ----------------------------------------------------------------------------------


@app.command()
@netjes
def migreer(als_json: bool = JSON_OPTIE) -> None:
    """Breng het databaseschema bij en neem gemeenten, lokale teams en de werkdagenkalender
    (feestdagen en extra niet-werkdagen) over uit de instellingen."""
    from models.opslag.db import migreer as migreer_schema
    from models.opslag.db import sessie
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.opslag.regio import synchroniseer

    regio = regio_instellingen()  # first: an invalid settings file should not leave a half-done job
    migreer_schema()
    with sessie() as session:
        synchroniseer(session, regio)
        # The report counts waits in working days with this table; filled here so that it
        # follows the settings' calendar from the start, not only once a report has run.
        synchroniseer_werkdagen(session, regio)
    teams = sum(len(g.lokale_teams) for g in regio.gemeenten)
    if als_json:
        toon_json({"regio": regio.regio.code, "gemeenten": len(regio.gemeenten), "lokale_teams": teams})
    else:
        r = regio.rapportage
        typer.echo(f"Database bijgewerkt; regio {regio.regio.code} met {len(regio.gemeenten)} gemeenten "
                   f"en {teams} lokale teams overgenomen uit de instellingen; werkdagenkalender "
                   f"{r.werkdagen_vanaf_jaar}-{r.werkdagen_tot_en_met_jaar} bijgewerkt.")


# --- vt instellingen -----------------------------------------------------------------------------


@app.command()
@netjes
def instellingen(als_json: bool = JSON_OPTIE) -> None:
    """Controleer het instellingenbestand (VT_INSTELLINGEN) en vat het samen."""
    from models.regels.instellingen import Omgeving

    regio = regio_instellingen()
    samenvatting = {
        "bestand": str(Omgeving().instellingen_pad),
        "regio": {"code": regio.regio.code, "naam": regio.regio.naam},
        "capaciteit": regio.capaciteit.value,
        "gemeenten": [
            {
                "code": g.code, "naam": g.naam, "voorkeur_overdracht": g.voorkeur_overdracht.value,
                "plustaken": [t.value for t in g.plustaken.afgenomen] if g.plustaken else [],
                "overdrachtstafel": g.overdrachtstafel is not None, "wekelijks_casusoverleg": g.wekelijks_casusoverleg,
                "lokale_teams": [t.code for t in g.lokale_teams],
            }
            for g in regio.gemeenten
        ],
        "termijnen": {
            soort.value: {"aantal": r.aantal, "eenheid": r.eenheid.value, "start": r.start.value,
                          "omschrijving": r.omschrijving}
            for soort, r in regio.termijnen.items()
        },
        "urgenties": {
            u.value: {"termijnen_bij_intake": [t.value for t in r.termijnen_bij_intake],
                      "werkvoorraad_toegestaan": r.werkvoorraad_toegestaan}
            for u, r in regio.urgenties.items()
        },
        "extra_niet_werkdagen": [d.datum.isoformat() for d in regio.kalender.extra_niet_werkdagen],
        "monitoring_momenten_maanden": regio.monitoring_momenten_maanden,
    }
    if als_json:
        toon_json(samenvatting)
        return
    typer.echo(f"Instellingen in orde: {samenvatting['bestand']}")
    typer.echo(f"Regio: {regio.regio.naam} ({regio.regio.code}), capaciteit: {regio.capaciteit.value}")
    typer.echo("")
    typer.echo("Gemeenten (voorkeur overdracht):")
    for g in regio.gemeenten:
        extra = [x for x, aan in (("plustaken", g.plustaken), ("overdrachtstafel", g.overdrachtstafel),
                                  ("wekelijks casusoverleg", g.wekelijks_casusoverleg)) if aan]
        typer.echo(f"  {g.code}  {g.naam:<16} {g.voorkeur_overdracht.value:<13} {', '.join(extra)}".rstrip())
    typer.echo("")
    typer.echo("Termijnen:")
    for soort, r in regio.termijnen.items():
        typer.echo(f"  {soort.value:<24} {r.aantal} {r.eenheid.value} vanaf {r.start.value}: {r.omschrijving}")
    typer.echo("")
    typer.echo(f"Extra niet-werkdagen: {len(regio.kalender.extra_niet_werkdagen)}; "
               f"monitoring na {', '.join(map(str, regio.monitoring_momenten_maanden))} maanden")


# --- vt termijnen --------------------------------------------------------------------------------


def _urgentie(waarde: str) -> Urgentie:
    try:
        return Urgentie(waarde.strip().lower())
    except ValueError:
        raise Gebruikersfout(
            f"--urgentie moet een van deze zijn: {', '.join(u.value for u in Urgentie)}."
        ) from None


@app.command()
@netjes
def termijnen(
    ontvangen: str = typer.Option(..., "--ontvangen", help="Moment van ontvangst, ISO 8601 (zonder tijdzone: Nederlandse tijd)."),
    urgentie: str = typer.Option("regulier", "--urgentie", help="acuut, spoed of regulier."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon alle termijnen van een melding die op dit moment binnenkomt."""
    from models.dossier.registratie import vroegste_ontvangstmoment
    from models.regels.termijnbeleid import termijnen_bij_ontvangst

    moment = tijdstip_optie(ontvangen, "--ontvangen", "2026-12-23T10:00 of 2026-12-23T10:00+01:00")
    soort = _urgentie(urgentie)
    regio = regio_instellingen()
    if moment < vroegste_ontvangstmoment(regio.invoer):
        raise Gebruikersfout(f"--ontvangen ligt vóór {regio.invoer.vroegste_ontvangst:%d-%m-%Y}; eerdere "
                             "meldingen neemt het systeem niet aan.")
    berekend = termijnen_bij_ontvangst(regio, moment, soort)
    if als_json:
        toon_json({
            "ontvangen_op": iso(moment),
            "urgentie": soort.value,
            "termijnen": [
                {"soort": t.soort.value, "omschrijving": t.omschrijving, "start": iso(t.start),
                 "vervalt_op": iso(t.vervalt_op), "waarschuw_op": iso(t.waarschuw_op)}
                for t in berekend
            ],
        })
        return
    typer.echo(f"Melding ontvangen {lokaal(moment)} ({soort.value}); tijden in {TIJDZONE}:")
    typer.echo("")
    for t in berekend:
        typer.echo(f"  {t.soort.value:<24} vervalt {lokaal(t.vervalt_op)}  waarschuwing {lokaal(t.waarschuw_op)}")
        typer.echo(f"  {'':<24} {t.omschrijving}")


# --- vt import -----------------------------------------------------------------------------------


class _ZonderTraceback(logging.Filter):
    """Prefect logs a failed flow with its traceback; a rejected file is not a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        from models.dossier.importformaat import ImportAfgekeurd

        if record.exc_info and isinstance(record.exc_info[1], ImportAfgekeurd):
            return False
        return "ImportAfgekeurd" not in record.getMessage()


def _stil_bij_afkeuring() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _ZonderTraceback) for f in handler.filters):
            handler.addFilter(_ZonderTraceback())


def _os_gebruiker() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a container
        return "onbekend"


@app.command("import")
@netjes
def importeer(
    bestand: Path = typer.Argument(..., help="CSV- of JSON-bestand met meldingen (zie het importformaat)."),
    door: str = typer.Option(None, "--door", help="Wie de import doet (audittrail); standaard de OS-gebruiker."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Importeer een bestand met meldingen in één flow run: alles of niets."""
    pad = bestand.expanduser().resolve()
    if not pad.is_file():
        raise Gebruikersfout(f"Bestand niet gevonden: {bestand}")
    if pad.suffix.lower() not in (".csv", ".json"):
        raise Gebruikersfout(f"{bestand}: onbekend bestandstype; gebruik een .csv- of .json-bestand.")
    regio_instellingen()  # an invalid settings file is reported before a flow run starts
    # Without PREFECT_API_URL Prefect starts a temporary local server: keep it off the network.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from flows.importeren import ImportAfgekeurd, meldingen_importeren

    _stil_bij_afkeuring()
    try:
        uitkomst = meldingen_importeren(bestand=str(pad), door=door or _os_gebruiker())
    except ImportAfgekeurd as exc:
        raise Gebruikersfout(str(exc).splitlines()[0], exc.regels()) from None
    if als_json:
        toon_json(uitkomst.model_dump())
        return
    typer.echo(f"Import van {pad} klaar:")
    for naam, waarde in (("gelezen", uitkomst.gelezen), ("geregistreerd", uitkomst.geregistreerd),
                         ("nieuwe casussen", uitkomst.nieuwe_casussen), ("hermeldingen", uitkomst.hermeldingen),
                         ("overgeslagen (al eerder ingelezen)", uitkomst.overgeslagen)):
        typer.echo(f"  {naam:<36} {waarde:>7}")
    if uitkomst.casus_referenties:
        meer = f" en nog {uitkomst.meer_casussen}" if uitkomst.meer_casussen else ""
        typer.echo(f"Nieuwe casussen: {', '.join(uitkomst.casus_referenties)}{meer}")


# --- vt casus ------------------------------------------------------------------------------------


def _casusgegevens(referentie: str, persoonsgegevens: bool) -> dict:
    """Everything shown by `vt casus`. Without `persoonsgegevens` no encrypted column is read,
    so it works without VT_ENCRYPTION_KEY."""
    from sqlmodel import select

    from models.opslag.casus import AuditEvent, Huishouden, Melder, Melding, Persoon, Termijn
    from models.opslag.db import sessie
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.regio import Gemeente

    with sessie() as session:
        casus = casus_op_referentie(session, referentie.strip().upper())
        gemeente = session.exec(select(Gemeente.naam).where(Gemeente.code == casus.gemeente_code)).first()
        meldingen = session.exec(
            select(Melding.id, Melding.referentie, Melding.ontvangen_op, Melding.kanaal, Melding.urgentie,
                   Melding.hermelding, Melding.bron, Melding.extern_id)
            .where(Melding.casus_id == casus.id).order_by(Melding.ontvangen_op, Melding.id)
        ).all()
        termijnen = session.exec(
            select(Termijn.soort, Termijn.start_op, Termijn.waarschuw_op, Termijn.vervalt_op,
                   Termijn.oorspronkelijk_vervalt_op, Termijn.voldaan_op, Termijn.opgeschort_op,
                   Termijn.opschort_reden, Termijn.verleng_reden)
            .where(Termijn.casus_id == casus.id).order_by(Termijn.vervalt_op, Termijn.id)
        ).all()
        audit = session.exec(
            select(AuditEvent.tijdstip, AuditEvent.actor, AuditEvent.actie, AuditEvent.van_status,
                   AuditEvent.naar_status, AuditEvent.reden, AuditEvent.details)
            .where(AuditEvent.casus_id == casus.id).order_by(AuditEvent.id)  # append order
        ).all()
        gegevens = {
            "referentie": casus.referentie,
            "status": str(casus.status),
            "status_sinds": iso(casus.status_sinds),
            "gemeente": {"code": casus.gemeente_code, "naam": gemeente},
            "urgentie": str(casus.urgentie),
            "geopend_op": iso(casus.geopend_op),
            "afgesloten_op": iso(casus.afgesloten_op),
            "aantal_meldingen": casus.aantal_meldingen,
            "buiten_beeld": casus.buiten_beeld,
            "lokaal_team": casus.lokaal_team_code,
            "regie": casus.regie,
            "meldingen": [
                {"referentie": m.referentie, "ontvangen_op": iso(m.ontvangen_op), "kanaal": m.kanaal,
                 "urgentie": m.urgentie, "hermelding": m.hermelding, "bron": m.bron, "extern_id": m.extern_id}
                for m in meldingen
            ],
            "termijnen": [
                {"soort": t.soort, "start_op": iso(t.start_op), "waarschuw_op": iso(t.waarschuw_op),
                 "vervalt_op": iso(t.vervalt_op), "voldaan_op": iso(t.voldaan_op),
                 "opgeschort_op": iso(t.opgeschort_op), "opschort_reden": t.opschort_reden,
                 "verlengd": t.vervalt_op != t.oorspronkelijk_vervalt_op,
                 "oorspronkelijk_vervalt_op": iso(t.oorspronkelijk_vervalt_op), "verleng_reden": t.verleng_reden}
                for t in termijnen
            ],
            "audittrail": [
                {"tijdstip": iso(a.tijdstip), "actor": a.actor, "actie": a.actie,
                 "van_status": a.van_status, "naar_status": a.naar_status, "reden": a.reden, "details": a.details}
                for a in audit
            ],
        }
        if not persoonsgegevens:
            return gegevens
        huishouden = session.get(Huishouden, casus.huishouden_id)
        personen = session.exec(select(Persoon).where(Persoon.huishouden_id == casus.huishouden_id)
                                .order_by(Persoon.id)).all()
        melders = {
            m.id: m for m in session.exec(
                select(Melder).join(Melding, Melding.melder_id == Melder.id).where(Melding.casus_id == casus.id)
            ).all()
        }
        inhoud = dict(session.exec(
            select(Melding.id, Melding.omschrijving).where(Melding.casus_id == casus.id)
        ).all())
        melder_van = dict(session.exec(
            select(Melding.id, Melding.melder_id).where(Melding.casus_id == casus.id)
        ).all())
        gegevens["adres"] = {"straat_huisnummer": huishouden.straat_huisnummer, "postcode": huishouden.postcode,
                             "woonplaats": huishouden.woonplaats}
        gegevens["personen"] = [
            {"rol": str(p.rol), "naam": p.naam, "geboortedatum": p.geboortedatum, "bsn": p.bsn} for p in personen
        ]
        for rij, m in zip(gegevens["meldingen"], meldingen):
            melder = melders[melder_van[m.id]]
            rij["omschrijving"] = inhoud[m.id]
            rij["melder"] = {"soort": str(melder.soort), "naam": melder.naam, "telefoon": melder.telefoon,
                             "email": melder.email, "wil_terugkoppeling": melder.wil_terugkoppeling}
        return gegevens


def _termijnstaat(t: dict) -> str:
    if t["voldaan_op"]:
        return f"voldaan {lokaal(dt.datetime.fromisoformat(t['voldaan_op']))}"
    if t["opgeschort_op"]:
        return f"opgeschort sinds {lokaal(dt.datetime.fromisoformat(t['opgeschort_op']))}"
    return "open"


def _toon_casus(g: dict) -> None:
    tijd = lambda iso: lokaal(dt.datetime.fromisoformat(iso)) if iso else "-"  # noqa: E731
    typer.echo(f"Casus {g['referentie']}")
    typer.echo(f"  status         {g['status']} (sinds {tijd(g['status_sinds'])})")
    typer.echo(f"  gemeente       {g['gemeente']['code']} {g['gemeente']['naam'] or ''}".rstrip())
    typer.echo(f"  urgentie       {g['urgentie']}")
    typer.echo(f"  geopend op     {tijd(g['geopend_op'])}")
    if g["afgesloten_op"]:
        typer.echo(f"  afgesloten op  {tijd(g['afgesloten_op'])}")
    typer.echo(f"  buiten beeld   {'ja' if g['buiten_beeld'] else 'nee'}")
    if g["lokaal_team"] or g["regie"]:
        typer.echo(f"  lokaal team    {g['lokaal_team'] or '-'}, regie: {g['regie'] or '-'}")
    if "adres" in g:
        a = g["adres"]
        typer.echo(f"  adres          {a['straat_huisnummer']}, {a['postcode']} {a['woonplaats']}")
        typer.echo("")
        typer.echo("Personen")
        for p in g["personen"]:
            details = ", ".join(x for x in (f"geboren {p['geboortedatum']}" if p["geboortedatum"] else "",
                                            f"BSN {p['bsn']}" if p["bsn"] else "") if x)
            typer.echo(f"  {p['rol']:<12} {p['naam']}{f' ({details})' if details else ''}")
    typer.echo("")
    typer.echo(f"Meldingen ({len(g['meldingen'])})")
    for m in g["meldingen"]:
        soort = "hermelding" if m["hermelding"] else "eerste melding"
        typer.echo(f"  {m['referentie']:<20} {tijd(m['ontvangen_op'])}  {m['kanaal']:<9} {m['urgentie']:<9} {soort}")
        if "melder" in m:
            melder = m["melder"]
            contact = ", ".join(x for x in (melder["naam"], melder["telefoon"], melder["email"]) if x)
            typer.echo(f"    melder: {melder['soort']}{': ' + contact if contact else ''}"
                       f"{'' if melder['wil_terugkoppeling'] else ' (geen terugkoppeling)'}")
            typer.echo(f"    omschrijving: {m['omschrijving']}")
    typer.echo("")
    typer.echo("Termijnen")
    for t in g["termijnen"]:
        verlengd = "  verlengd" if t["verlengd"] else ""
        typer.echo(f"  {t['soort']:<24} vervalt {tijd(t['vervalt_op'])}  {_termijnstaat(t)}{verlengd}")
    typer.echo("")
    typer.echo("Audittrail")
    for a in g["audittrail"]:
        overgang = f" {a['van_status']} -> {a['naar_status']}" if a["naar_status"] else ""
        reden = f" ({a['reden']})" if a["reden"] else ""
        details = " ".join(f"{k}={v}" for k, v in (a["details"] or {}).items())
        typer.echo(f"  {tijd(a['tijdstip'])}  {a['actor']:<14} {a['actie']}{overgang}{reden}  {details}".rstrip())


@app.command()
@netjes
def casus(
    referentie: str = typer.Argument(..., help="Casusreferentie, bijvoorbeeld VT-2026-000123."),
    toon_persoonsgegevens: bool = typer.Option(
        False, "--toon-persoonsgegevens",
        help="Toon ook adres, personen, melders en omschrijvingen (vraagt VT_ENCRYPTION_KEY).",
    ),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Toon een casus: status, meldingen, termijnen en de volledige audittrail."""
    gegevens = _casusgegevens(referentie, toon_persoonsgegevens)
    if als_json:
        toon_json(gegevens)
    else:
        _toon_casus(gegevens)


# --- vt demo-data --------------------------------------------------------------------------------


@app.command("demo-data")
@netjes
def demo_data(
    aantal: int = typer.Option(120, "--aantal", help="Aantal demomeldingen (verzonnen gegevens)."),
    als_json: bool = JSON_OPTIE,
) -> None:
    """Vul de database met verzonnen democasussen in allerlei fasen (nogmaals draaien voegt niets toe)."""
    from sqlalchemy import func
    from sqlmodel import select

    from models.opslag.casus import Casus, Melding
    from models.opslag.db import sessie
    from models.dossier.demo import ACTOR, BRON, breng_demo_casussen_verder, demo_activiteiten, demo_meldingen
    from models.dossier.plustaken import registreer_activiteit
    from models.regels.kalender import AMSTERDAM
    from models.opslag.regio import synchroniseer
    from models.dossier.registratie import registreer_meldingen
    from models.opslag.typen import nu

    if aantal < 1 or aantal > 100_000:
        raise Gebruikersfout("--aantal moet tussen 1 en 100000 liggen.")
    regio = regio_instellingen()
    moment = nu()
    meldingen = demo_meldingen(regio, aantal, nu=moment)
    with sessie() as session:
        synchroniseer(session, regio)
        geregistreerd = registreer_meldingen(session, meldingen, regio, actor=ACTOR)
        verplaatst = breng_demo_casussen_verder(session, moment)
        vandaag = moment.astimezone(AMSTERDAM).date()
        activiteiten = sum(registreer_activiteit(session, a, regio, vandaag)[1] for a in demo_activiteiten(regio, vandaag))
        per_status = dict(session.exec(
            select(Casus.status, func.count(func.distinct(Casus.id)))
            .join(Melding, Melding.casus_id == Casus.id).where(Melding.bron == BRON)
            .group_by(Casus.status)
        ).all())
    uitkomst = {
        "gegenereerd": len(meldingen),
        "geregistreerd": len(geregistreerd),
        "hermeldingen": sum(g.hermelding for g in geregistreerd),
        "overgeslagen": len(meldingen) - len(geregistreerd),
        "verder_gebracht": sum(verplaatst.values()),
        "plustaakactiviteiten": activiteiten,
        "democasussen_per_status": {str(k): v for k, v in sorted(per_status.items())},
    }
    if als_json:
        toon_json(uitkomst)
        return
    typer.echo(f"Demodata: {uitkomst['geregistreerd']} meldingen geregistreerd "
               f"({uitkomst['hermeldingen']} hermeldingen), {uitkomst['overgeslagen']} waren er al; "
               f"{uitkomst['verder_gebracht']} casussen verder in de levensloop gebracht.")
    typer.echo("Democasussen per status:")
    for status, aantal_casussen in uitkomst["democasussen_per_status"].items():
        typer.echo(f"  {status:<24} {aantal_casussen:>5}")


if __name__ == "__main__":
    app()

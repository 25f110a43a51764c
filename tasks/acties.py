"""Tasks of the staff actions (flows/acties.py). Each returns (what was done, why not): one of the
two is None; the flow ends Completed or Failed with that Dutch text. Nothing is stored on refusal."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.dossier.capaciteit import leg_wissel_vast
from models.dossier.werkvoorraad import OngeldigContact, registreer_contact
from models.dossier.wijzigingen import (OnbekendeCasus, OngeldigeTermijnwijziging, casus_op_referentie,
                                       hervat, kies_open_termijn, schort_op, verleng)
from models.opslag.casus import ContactVorm
from models.opslag.db import sessie
from models.regels.instellingen import CapaciteitsModus, TermijnSoort, instellingen
from models.regels.kalender import AMSTERDAM
from models.regels.levensloop import Status
from models.regels.weergave import moment_uit
from tasks.capaciteit import capaciteitsmodus, zet_capaciteitsmodus
from templates import render

Uitkomst = tuple[str | None, str | None]
CAPACITEIT = "capaciteit wisselen"  # deployment names staff look for and e-mails point to
CONTACT = "contact vastleggen"
TERMIJN = "termijn aanpassen"
ACTIVITEIT = "plustaak vastleggen"


def _tekst(soort: str, **context) -> str:
    return render("acties/uitkomst.txt.j2", soort=soort, **context).strip()


@task(name="capaciteitsmodus wisselen", cache_policy=NO_CACHE)
def wissel_capaciteitsmodus(modus: str, reden: str, door: str) -> Uitkomst:
    """Audit first, then the Prefect Variable, in one transaction: if setting the Variable fails,
    the audit event is rolled back. The mode already in force: nothing changes."""
    regio = instellingen()
    try:
        naar = CapaciteitsModus(modus)
    except ValueError:
        return None, _tekst("onbekende_modus", modus=modus)
    van = capaciteitsmodus(regio)
    if van == naar:
        return _tekst("modus_ongewijzigd", modus=naar.value), None
    try:
        with sessie() as session:
            leg_wissel_vast(session, van, naar, reden, door)
            zet_capaciteitsmodus(naar, regio)
    except ValueError as exc:
        return None, _tekst("reden_geweigerd", fout=str(exc))
    return _tekst("modus_gewisseld", modus=naar.value, door=door.strip()), None


@task(name="contact vastleggen", cache_policy=NO_CACHE)
def leg_contact_vast(referentie: str, bereikt: bool | None, vorm: str, datum: dt.date, tijd: str, door: str) -> Uitkomst:
    moment, _ = moment_uit(datum, tijd, "Tijd van het contact")
    if moment is None:
        return None, _tekst("tijd_ongeldig", tijd=tijd)
    if bereikt is None or vorm not in ContactVorm.__members__:
        return None, _tekst("keuze_ongeldig")
    referentie = referentie.strip().upper()
    try:
        with sessie() as session:
            casus = casus_op_referentie(session, referentie)
            registreer_contact(session, casus, tijdstip=moment, vorm=ContactVorm(vorm), bereikt=bereikt,
                               medewerker=door.strip(), regio=instellingen())
            wacht = casus.status == Status.werkvoorraad
    except OnbekendeCasus:
        return None, _tekst("casus_onbekend", referentie=referentie)
    except OngeldigContact as exc:
        return None, _tekst("contact_geweigerd", fout=str(exc))
    return _tekst("contact_vastgelegd", referentie=referentie, bereikt=bereikt, moment=moment, wacht=wacht), None


@task(name="termijn aanpassen", cache_policy=NO_CACHE)
def pas_termijn_aan(referentie: str, soort: str, wat: str, nieuwe_vervaldatum: str, reden: str,
                    termijnnummer: int, door: str) -> Uitkomst:
    """Extend, suspend or resume an open term of a casus, with a reason, in one transaction (the
    writers of `vt termijn`). The same form sent twice changes nothing the second time."""
    regio = instellingen()
    referentie = referentie.strip().upper()
    try:
        with sessie() as session:
            casus = casus_op_referentie(session, referentie)
            termijn = kies_open_termijn(session, casus, TermijnSoort(soort), termijnnummer or None)
            if wat == "verlengen":
                dag, fout = moment_uit(nieuwe_vervaldatum, "0:00", "Nieuwe vervaldatum")
                if dag is None:
                    return None, _tekst("termijn_geweigerd", fout=fout or "Nieuwe vervaldatum: vul de datum in.")
                # Until the end of that day, as terms end (`vt termijn verlengen --tot DATUM` too).
                tot = dt.datetime.combine(dag.date(), regio.kalender.termijn_eindigt_om, tzinfo=AMSTERDAM)
                if tot == termijn.vervalt_op:
                    return _tekst("termijn_ongewijzigd", referentie=referentie, termijn=termijn), None
                verleng(session, casus, termijn, tot, door.strip(), reden.strip())
            elif wat == "opschorten":
                if termijn.opgeschort_op is not None:
                    return _tekst("termijn_ongewijzigd", referentie=referentie, termijn=termijn), None
                schort_op(session, casus, termijn, door.strip(), reden.strip())
            else:
                if termijn.opgeschort_op is None:
                    return _tekst("termijn_ongewijzigd", referentie=referentie, termijn=termijn), None
                hervat(session, casus, termijn, door.strip())
            return _tekst("termijn_aangepast", referentie=referentie, termijn=termijn, wat=wat, door=door.strip()), None
    except OnbekendeCasus:
        return None, _tekst("casus_onbekend", referentie=referentie)
    except OngeldigeTermijnwijziging as exc:
        return None, _tekst("termijn_geweigerd", fout=str(exc).rstrip("."))
@task(name="plustaakactiviteit vastleggen", cache_policy=NO_CACHE)
def leg_activiteit_vast(datum: dt.date, gemeente: str, soort: str, doelgroep: str, uren: float, deelnemers: int,
                        door: str) -> Uitkomst:
    """A voorlichting or deskundigheidsbevordering, the gemeente by name (the form) or code (the
    command line). The same activity sent twice is stored once and says so."""
    from pydantic import ValidationError

    from models.dossier.plustaken import ActiviteitInvoer, OngeldigeActiviteit, registreer_activiteit
    from models.regels.fouten import beschrijf_validatiefouten
    from models.regels.kalender import AMSTERDAM
    from models.opslag.typen import nu

    regio = instellingen()
    codes = {g.naam.lower(): g.code for g in regio.gemeenten} | {g.code.lower(): g.code for g in regio.gemeenten}
    code = codes.get(gemeente.strip().lower())
    if code is None:
        return None, _tekst("activiteit_geweigerd", fout=f"gemeente '{gemeente}' hoort niet bij {regio.regio.naam}")
    try:
        invoer = ActiviteitInvoer(datum=datum, gemeente_code=code, soort=soort, doelgroep=doelgroep, uren=uren,
                                  deelnemers=deelnemers, door=door)
        with sessie() as session:
            rij, nieuw = registreer_activiteit(session, invoer, regio, nu().astimezone(AMSTERDAM).date())
            tekst = _tekst("activiteit_vastgelegd", plustaak=rij.soort, gemeente=regio.gemeente(code).naam,
                           datum=rij.datum, uren=rij.uren, deelnemers=rij.deelnemers, nieuw=nieuw, nummer=rij.id)
    except ValidationError as exc:
        return None, _tekst("activiteit_geweigerd", fout=" ".join(beschrijf_validatiefouten(exc)))
    except OngeldigeActiviteit as exc:
        return None, _tekst("activiteit_geweigerd", fout=str(exc))
    return tekst, None


def actielink(deployment: str, regio=None) -> str:
    """The address of a staff action's run form in the Prefect UI, for e-mails ("open this and
    fill in ..."). Without the Prefect API (an outage is when these e-mails go out): the list of
    deployments, where staff find it by its name."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.settings import PREFECT_API_URL

    ui = (regio or instellingen()).regio.ui_basis_url.rstrip("/")
    if not PREFECT_API_URL.value():  # the command line without a server: no ephemeral one for a link
        return f"{ui}/deployments"
    try:
        with get_client(sync_client=True) as client:
            gevonden = client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])), limit=1)
    except Exception:  # noqa: BLE001 - any failure: the e-mail still goes out, with the general address
        gevonden = []
    return f"{ui}/deployments/deployment/{gevonden[0].id}/run" if gevonden else f"{ui}/deployments"

"""Staff actions as Prefect deployments with a Dutch form: what staff see on the form, what a
run does, and that bad input or a form sent twice stores nothing (twice)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from models.opslag.casus import AuditEvent, Contactmoment, Termijn
from models.opslag.communicatie import Knelpunt
from models.opslag.db import sessie
from tests.test_werkvoorraad import LANG_GELEDEN, op_werkvoorraad, regio  # noqa: F401 (fixture)

ACTIES = ("capaciteit wisselen", "contact vastleggen", "knelpunt toevoegen", "rapportage regionaal overleg",
          "brief opnieuw versturen", "bericht opnieuw versturen", "termijn aanpassen", "plustaak vastleggen",
          "plustaken jaaroverzicht")


def formulieren() -> dict[str, dict]:
    from deployments.serve import deployments

    return {d.name: d._parameter_openapi_schema.model_dump() for d in deployments() if d.name in ACTIES}


def test_every_staff_action_has_a_dutch_form_without_optional_fields_or_python_names(instellingen):
    gezien = formulieren()
    assert set(gezien) == set(ACTIES)
    for naam, schema in gezien.items():
        assert schema["required"] == list(schema["properties"]), f"{naam}: every field required, no '(Optional)'"
        for veld, eigenschappen in schema["properties"].items():
            assert eigenschappen["title"] != veld and eigenschappen["title"][0].isupper(), (naam, veld)
            assert "None" not in str(eigenschappen) and "null" not in str(eigenschappen.get("anyOf", ""))
        # Who does it is no field: the gateway puts the logged-in account in `door` (web.toegang).
        assert "door" not in schema["properties"] and "Uw naam" not in str(schema), naam
    assert gezien["knelpunt toevoegen"]["properties"]["gemeente"]["enum"][:3] == ["hele regio", "Gennep", "Venlo"]
    assert gezien["capaciteit wisselen"]["properties"]["modus"]["enum"] == ["normaal werken", "continuïteitsplan"]
    # Only the gemeenten that buy plustaken can be chosen (the demo region: Helmond).
    assert gezien["plustaak vastleggen"]["properties"]["gemeente"]["enum"] == ["Helmond"]


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_switching_to_the_continuity_plan_is_audited_once_and_a_personal_reason_is_refused(regio, engine):
    from flows.acties import capaciteitsmodus_wisselen
    from tasks.capaciteit import capaciteitsmodus

    geweigerd = capaciteitsmodus_wisselen("continuïteitsplan", "zie VT-2026-000123", "Anna", return_state=True)
    assert geweigerd.is_failed() and "casusreferentie" in geweigerd.message
    assert capaciteitsmodus().value == "normaal"

    aan = capaciteitsmodus_wisselen("continuïteitsplan", "drie zieken in het onderzoeksteam", "Anna", return_state=True)
    assert aan.is_completed() and aan.message.startswith("Vanaf nu geldt het continuïteitsplan")
    assert capaciteitsmodus().value == "continuiteitsplan"
    nogmaals = capaciteitsmodus_wisselen("continuïteitsplan", "drie zieken", "Anna", return_state=True)
    assert nogmaals.is_completed() and "niets veranderd" in nogmaals.message
    with sessie() as session:
        [wissel] = session.exec(select(AuditEvent).where(AuditEvent.actie == "capaciteitsmodus")).all()
        assert (wissel.actor, wissel.casus_id, wissel.details) == ("Anna", None, {"van": "normaal", "naar": "continuiteitsplan"})
    assert capaciteitsmodus_wisselen("normaal werken", "team weer op sterkte", "Anna", return_state=True).is_completed()
    assert capaciteitsmodus().value == "normaal"


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_contact_from_the_form_is_recorded_once_in_dutch_time_and_bad_input_stores_nothing(regio, engine):
    from flows.acties import contact_vastleggen

    [referentie] = op_werkvoorraad(("9999 AA", LANG_GELEDEN))
    dag = dt.date(2026, 11, 23)
    for _ in range(2):  # the same form twice: one contact
        staat = contact_vastleggen(referentie.lower(), "ja, het gezin gesproken", "huisbezoek", dag, "14:00", "Bram",
                                   return_state=True)
        assert staat.is_completed() and staat.message.startswith(f"Contact met casus {referentie} vastgelegd")
    for casus, tijd, fout in [
        (referentie, "25:00", "'25:00' is geen tijd"),
        ("VT-2026-999999", "10:00", "Casus VT-2026-999999 bestaat niet"),
    ]:
        staat = contact_vastleggen(casus, "nee, niet bereikt (alleen een poging)", "telefoon", dag, tijd, "Bram",
                                   return_state=True)
        assert staat.is_failed() and staat.message.startswith(fout) and "niets vastgelegd" in staat.message.lower()
    with sessie() as session:
        [contact] = session.exec(select(Contactmoment)).all()
        assert (contact.medewerker, contact.vorm, contact.bereikt) == ("Bram", "huisbezoek", True)
        assert contact.tijdstip == dt.datetime(2026, 11, 23, 13, tzinfo=dt.timezone.utc)  # 14:00 Dutch winter time


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_term_is_extended_suspended_and_resumed_from_the_form_once_each_and_never_without_a_reason(regio, engine):
    """What the escalation e-mail asks (extend or suspend with a reason) without a command line."""
    from flows.acties import TERMIJN_KEUZES, termijn_aanpassen
    from models.dossier.wijzigingen import casus_op_referentie, open_termijnen
    from models.regels.kalender import AMSTERDAM
    from models.regels.instellingen import instellingen

    [referentie] = op_werkvoorraad(("9999 AA", LANG_GELEDEN))
    with sessie() as session:
        termijn = open_termijnen(session, casus_op_referentie(session, referentie))[0]
        termijn_id, soort, vervalt_op = termijn.id, termijn.soort, termijn.vervalt_op
    naam = next(label for label, code in TERMIJN_KEUZES.items() if code == soort)
    dag = vervalt_op.astimezone(AMSTERDAM).date() + dt.timedelta(days=14)

    def aanpassen(wat: str, datum: str = "", reden: str = "", casus: str = referentie):
        return termijn_aanpassen(casus, naam, wat, datum, reden, 0, "Bram", return_state=True)

    for staat, fout in [
        (aanpassen("verlengen", f"{dag:%d-%m-%Y}"), "geef een reden op"),
        (aanpassen("verlengen", "31-02-2026", "wacht op de school"), "geen geldige datum"),
        (aanpassen("opschorten", reden="wacht", casus="VT-2026-999999"), "Casus VT-2026-999999 bestaat niet"),
    ]:
        assert staat.is_failed() and fout in staat.message, staat.message
    for poging in range(2):  # the same form twice: extended once
        staat = aanpassen("verlengen", f"{dag:%d-%m-%Y}", "wacht op de school")
        assert staat.is_completed()
        assert ("verlengd: vervalt nu" if poging == 0 else "stond al zo") in staat.message, staat.message
    eindtijd = instellingen().kalender.termijn_eindigt_om
    assert "niets veranderd" in aanpassen("hervatten").message  # not suspended: nothing to resume
    for poging in range(2):
        staat = aanpassen("opschorten", reden="gezin op vakantie, terug 4 januari")
        assert staat.is_completed() and ("de klok staat stil" if poging == 0 else "niets veranderd") in staat.message
    assert aanpassen("hervatten").is_completed()
    with sessie() as session:
        acties = [e.actie for e in session.exec(select(AuditEvent).where(AuditEvent.actor == "Bram"))]
        termijn = session.get(Termijn, termijn_id)
        assert acties == ["termijn_verlengd", "termijn_opgeschort", "termijn_hervat"]
        assert termijn.oorspronkelijk_vervalt_op == vervalt_op and termijn.opgeschort_op is None
        assert termijn.vervalt_op >= dt.datetime.combine(dag, eindtijd, tzinfo=AMSTERDAM)


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_knelpunt_from_the_form_names_the_municipality_and_is_stored_once(regio, engine):
    from flows.rapportage import knelpunt_toevoegen

    for _ in range(2):
        staat = knelpunt_toevoegen("04-01-2026", "twee vacatures in het onderzoeksteam", "Venlo", "Chris", return_state=True)
        assert staat.is_completed() and staat.message == "Knelpunt opgeslagen voor de rapportage t/m 04-01-2026 (Venlo)."
    for datum, gemeente, fout in [
        ("05-01-2026", "Venlo", "05-01-2026 is geen laatste dag van een rapportageperiode"),
        ("morgen", "hele regio", "'morgen' is geen datum"),
        ("04-01-2026", "Amsterdam", "Gemeente 'Amsterdam' hoort niet bij"),
    ]:
        staat = knelpunt_toevoegen(datum, "overleg ging niet door", gemeente, "Chris", return_state=True)
        assert staat.is_failed() and fout in staat.message
    with sessie() as session:
        assert [(k.gemeente_code, k.door) for k in session.exec(select(Knelpunt)).all()] == [("GM0983", "Chris")]


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wrong_report_date_ends_the_run_with_a_dutch_message_and_no_traceback(regio, caplog):
    from flows.rapportage import rapportage_versturen

    for datum, bericht in [("31-02-2026", "'31-02-2026' is geen datum. Vul de laatste dag van de periode in"),
                           ("05-01-2026", "05-01-2026 is geen laatste dag van een rapportageperiode; de "
                                          "dichtstbijzijnde zijn 04-01-2026 en 18-01-2026")]:
        staat = rapportage_versturen(periode_eind=datum, return_state=True)
        assert staat.is_failed() and staat.name == "Ongeldige datum" and staat.message.startswith(bericht)
    assert "Traceback" not in caplog.text


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_plustaak_activity_from_the_form_is_recorded_once_and_one_the_gemeente_did_not_buy_is_refused(regio, engine):
    from flows.acties import plustaak_activiteit_vastleggen
    from models.opslag.plustaken import PlustaakActiviteit

    dag = dt.date(2026, 11, 12)
    for keer in range(2):  # the same form twice: one activity
        staat = plustaak_activiteit_vastleggen(dag, "Helmond", "voorlichting", "pedagogisch medewerkers kinderopvang",
                                               2.5, 18, "Bram", return_state=True)
        assert staat.is_completed(), staat.message
        assert staat.message.startswith("Vastgelegd" if keer == 0 else "Stond al vastgelegd")
        assert "voorlichting voor Helmond op 12 november 2026, 2,5 uur, 18 deelnemers" in staat.message
    for gemeente, doelgroep, fout in [
        ("Venlo", "huisartsen", "gemeente Venlo neemt de plustaak voorlichting niet af"),
        ("Helmond", "gezin aan de Markt 1, 5705 BB", "lijkt persoonsgegevens"),
    ]:
        staat = plustaak_activiteit_vastleggen(dag, gemeente, "voorlichting", doelgroep, 1, 5, "Bram", return_state=True)
        assert staat.is_failed() and staat.message.startswith("Niets vastgelegd") and fout in staat.message
    with sessie() as session:
        [activiteit] = session.exec(select(PlustaakActiviteit)).all()
        [event] = session.exec(select(AuditEvent).where(AuditEvent.actie == "plustaak_activiteit")).all()
        assert (activiteit.gemeente_code, activiteit.uren, activiteit.deelnemers, event.actor) == (
            "GM0794", 2.5, 18, "Bram")


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_yearly_plustaken_overview_from_the_form_is_an_artifact_and_a_file_pair(regio, engine):
    """Helmond, 2026: one voorlichting of 2.5 hours (18 participants) against 40 bought: 6.25% -> 6.3."""
    import asyncio

    from prefect.client.orchestration import get_client

    from flows.acties import plustaak_activiteit_vastleggen
    from flows.plustaken import plustaken_jaaroverzicht

    plustaak_activiteit_vastleggen(dt.date(2026, 11, 12), "Helmond", "voorlichting", "leerkrachten basisschool",
                                   2.5, 18, "Bram")
    bestanden = plustaken_jaaroverzicht(2026)
    assert [b.rsplit("/", 1)[-1] for b in bestanden] == ["plustaken-2026.md", "plustaken-2026.csv"]

    async def artefact():
        async with get_client() as client:
            return await client.read_latest_artifacts()

    [markdown] = [a.data for a in asyncio.run(artefact()) if a.key == "plustaken-2026"]
    assert "| Voorlichting | 1 | 2,5 | 40 | 6,3% | 18 |" in markdown  # 6.25 rounds up, as people round

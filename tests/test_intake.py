"""Intake through the form in the Prefect UI: what the form asks, and what happens to what staff
typed into it. The melding goes encrypted into the case store, the form's content is deleted
from Prefect, and the same intake run never registers twice. (The whole intake, served and
resumed through its form, runs in test_levensloop_flows.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from prefect import flow, get_client
from prefect.runtime import flow_run
from sqlmodel import Session, select

from flows.formulieren import intakeformulier
from models.opslag.casus import AuditEvent, Melding
from models.opslag.db import _normaliseer, engine_voor, migreer
from models.dossier.registratie import MeldingInvoer, als_meldinginvoer
from tasks.intake import INTAKE, registreer_intake, zoek_intake
from tasks.invoer import neem_geweigerd, sleutelset
from tests.helpers import FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, gebruik_database, regio_voor_test

GEMEENTEN = ["GM0907", "GM0983"]


def ingevuld_formulier(**wijzigingen) -> dict:
    """The form as the UI submits it: every field, optional ones left empty as ''."""
    formulier = {
        "door": "Medewerker Intake",
        "ontvangen_op": "2026-11-16T10:00:00+01:00",
        "gemeente_code": "GM0907",
        "kanaal": "telefoon",
        "urgentie": "regulier",
        "omschrijving": FICTIEVE_OMSCHRIJVING,
        "melder": {"soort": "professional", "naam": FICTIEVE_NAMEN[2], "telefoon": "0600000000", "email": "",
                   "wil_terugkoppeling": True, "brief_per_email": False,
                   "adres": {"straat_huisnummer": "", "postcode": "", "woonplaats": ""}},
        "adres": {"straat_huisnummer": "Fictiestraat 12", "postcode": "9999 ab", "woonplaats": "Demodorp"},
        "personen": [{"rol": "ouder", "naam": FICTIEVE_NAMEN[0], "geboortedatum": "1990-02-03", "bsn": FICTIEF_BSN},
                     {"rol": "kind", "naam": FICTIEVE_NAMEN[1], "geboortedatum": "", "bsn": ""}],
        "gezin_email": "",
        "gezin_brief_per_email": False,
    }
    formulier.update(wijzigingen)
    return formulier


# --- the form ---------------------------------------------------------------------------------------


def _keuzes(schema: dict, veld: dict) -> list[str]:
    return schema["$defs"][veld["$ref"].rsplit("/", 1)[1]]["enum"]


def test_the_intake_form_does_not_ask_who_enters_it_and_offers_the_regions_gemeenten_by_name():
    schema = intakeformulier(["Gennep", "Venlo"]).model_json_schema()
    velden = schema["properties"]
    assert "door" not in velden  # the gateway puts the logged-in account in the answer (web.toegang)
    assert _keuzes(schema, velden["gemeente_code"]) == ["Gennep", "Venlo"]
    assert _keuzes(schema, velden["kanaal"]) == ["Telefoon", "Politie", "E-mail", "Post", "Portaal"]
    assert velden["omschrijving"]["title"] == "Omschrijving"
    # Every field is sent by the UI, so every field is "required": no "(Optional)" after a Dutch label.
    assert set(schema["required"]) == set(velden)
    # bron and extern_id are set by the intake itself, never typed in.
    assert not {"bron", "extern_id"} & set(velden)


def test_the_moment_of_receipt_is_a_date_and_a_dutch_time_without_a_time_zone_picker():
    velden = intakeformulier(["Gennep"], {"ontvangen_op": "2026-11-16T09:05:00+00:00"}).model_json_schema()["properties"]
    assert "ontvangen_op" not in velden
    assert velden["ontvangen_op_datum"]["format"] == "date" and velden["ontvangen_op_datum"]["default"] == "2026-11-16"
    assert velden["ontvangen_op_tijd"]["default"] == "10:05"  # 09:05 UTC is 10:05 in Amsterdam in November
    assert "date-time" not in json.dumps(velden)


def test_a_refused_intake_names_the_person_and_field_in_dutch_and_shows_it_first():
    from models.regels.fouten import beschrijf_validatiefouten
    from models.regels.weergave import plek

    formulier = ingevuld_formulier()
    formulier["personen"][1]["bsn"] = "123456789"
    _, gegevens = als_meldinginvoer(formulier, INTAKE, "run-3")
    with pytest.raises(ValueError) as fout:
        MeldingInvoer.model_validate(gegevens)
    assert beschrijf_validatiefouten(fout.value, plek) == ["Tweede persoon, BSN: is geen geldig BSN (9 cijfers, elfproef)"]
    schema = intakeformulier(["Gennep"], kop="Niet opgeslagen: pas het formulier aan",
                             toelichting="Tweede persoon, BSN: is geen geldig BSN").model_json_schema()["properties"]
    eerste = min(schema, key=lambda naam: schema[naam]["position"])
    assert schema[eerste]["title"] == "Niet opgeslagen: pas het formulier aan"
    assert schema[eerste]["description"] == "Tweede persoon, BSN: is geen geldig BSN"


def test_dutch_choices_dates_and_times_on_the_form_become_the_stored_codes():
    from models.regels.weergave import naar_codes

    formulier = ingevuld_formulier(gemeente_code="Gennep", kanaal="E-mail", urgentie="Spoed")
    del formulier["ontvangen_op"]
    formulier |= {"ontvangen_op_datum": "2026-07-01", "ontvangen_op_tijd": "14.00"}
    formulier["melder"]["soort"] = "Politie of justitie"
    formulier["personen"][0]["rol"] = "Ouder"
    gegevens, fouten = naar_codes(MeldingInvoer, formulier, {"gemeente_code": {"Gennep": "GM0907"}})
    assert fouten == []
    assert (gegevens["gemeente_code"], gegevens["kanaal"], gegevens["urgentie"]) == ("GM0907", "email", "spoed")
    assert gegevens["melder"]["soort"] == "politie_justitie" and gegevens["personen"][0]["rol"] == "ouder"
    assert gegevens["ontvangen_op"] == "2026-07-01T14:00:00+02:00"  # summer time
    _, fouten = naar_codes(MeldingInvoer, {"ontvangen_op_datum": "2026-07-01", "ontvangen_op_tijd": "kwart over"})
    assert fouten == ["Ontvangen op: vul de tijd in als uren en minuten, bijvoorbeeld 14:00."]


def test_the_intake_form_has_no_optional_unions_the_ui_cannot_render():
    """`X | None` shows as two tabs in the Prefect UI, and `date | None` crashes it: optional
    values are plain text fields that may stay empty."""
    tekst = json.dumps(intakeformulier(GEMEENTEN).model_json_schema())
    assert "anyOf" not in tekst and '"null"' not in tekst


def test_empty_optional_fields_mean_unknown_and_the_form_becomes_a_valid_melding():
    door, gegevens = als_meldinginvoer(ingevuld_formulier(), INTAKE, "run-1")
    invoer = MeldingInvoer.model_validate(gegevens)
    assert door == "Medewerker Intake"
    assert invoer.melder.adres is None and invoer.personen[1].bsn is None and invoer.personen[1].geboortedatum is None
    assert (invoer.bron, invoer.extern_id) == (INTAKE, "run-1")
    assert invoer.adres.postcode == "9999 AB"


# --- what happens to the typed-in data -------------------------------------------------------------


@pytest.fixture
def opslag(database_url, tmp_path, monkeypatch):
    gebruik_database(monkeypatch, database_url)
    regio_voor_test(tmp_path, monkeypatch)
    migreer()
    yield database_url
    engine_voor(_normaliseer(database_url)).dispose()


@flow(name="intake-proef")
def _intake_met_ingevuld_formulier(formulier: dict | None, nogmaals: bool = False) -> dict:
    """Put a submitted form where a resumed intake run finds it, register it, and report what
    Prefect still holds. The form itself is created inside the flow, never a parameter."""
    run_id = flow_run.id
    sleutels = sleutelset("melding")
    with get_client(sync_client=True) as client:
        client.create_flow_run_input(run_id, sleutels["response"], json.dumps(ingevuld_formulier(**(formulier or {}))))
        client.create_flow_run_input(run_id, sleutels["schema"], "{}")
    uitkomst = registreer_intake("melding")
    with get_client(sync_client=True) as client:
        over = client.filter_flow_run_input(run_id, key_prefix="suspended-", limit=10, exclude_keys=set())
    tweede = zoek_intake() if nogmaals else None
    teruggegeven = neem_geweigerd(run_id, "melding")  # what the next attempt of the form starts with
    with get_client(sync_client=True) as client:
        daarna = client.filter_flow_run_input(run_id, key_prefix="suspended-", limit=10, exclude_keys=set())
    return {"uitkomst": uitkomst, "over_in_prefect": [i.key for i in over], "tweede": tweede,
            "teruggegeven": teruggegeven, "daarna_in_prefect": [i.key for i in daarna]}


@pytest.mark.prefect
def test_a_submitted_melding_is_stored_encrypted_audited_and_deleted_from_prefect(opslag):
    resultaat = _intake_met_ingevuld_formulier({}, nogmaals=True)
    intake = resultaat["uitkomst"].intake
    assert intake is not None and not resultaat["uitkomst"].fouten
    assert resultaat["over_in_prefect"] == []
    assert resultaat["tweede"] == intake  # a rerun of this run finds the registration and asks nothing

    engine = engine_voor(_normaliseer(opslag))
    with Session(engine) as session:
        melding = session.exec(select(Melding).where(Melding.referentie == intake.melding_referentie)).one()
        [event] = session.exec(select(AuditEvent).where(AuditEvent.actie == "melding_geregistreerd")).all()
        assert melding.omschrijving == FICTIEVE_OMSCHRIJVING and melding.bron == INTAKE
        assert event.actor == "Medewerker Intake"
    with engine.connect() as conn:
        ruw = conn.exec_driver_sql("SELECT omschrijving FROM melding").scalar_one()
    assert FICTIEVE_OMSCHRIJVING not in ruw  # encrypted at rest


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_invalid_form_is_refused_with_reasons_that_never_echo_values_and_is_deleted_too(opslag):
    fout = {"adres": {"straat_huisnummer": "Fictiestraat 12", "postcode": "99999", "woonplaats": "Demodorp"},
            "gemeente_code": "GM0999"}
    resultaat = _intake_met_ingevuld_formulier(fout)
    uitkomst = resultaat["uitkomst"]
    assert uitkomst.intake is None
    assert "Adres van het gezin, postcode: is geen geldige postcode (1234 AB)" in uitkomst.fouten
    assert not any("99999" in f for f in uitkomst.fouten)
    # Only the refused answer stays, as the start values of the next attempt (read and deleted then).
    assert resultaat["over_in_prefect"] == ["suspended-melding-geweigerd-response"]
    assert resultaat["teruggegeven"]["adres"]["postcode"] == "99999"  # the next form shows what was typed
    assert resultaat["daarna_in_prefect"] == []  # and once taken, Prefect holds none of it
    with Session(engine_voor(_normaliseer(opslag))) as session:
        assert session.exec(select(Melding)).all() == []


def test_a_melding_from_the_future_is_refused():
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    _, gegevens = als_meldinginvoer(ingevuld_formulier(ontvangen_op=later), INTAKE, "run-2")
    with pytest.raises(ValueError, match="ligt in de toekomst"):
        MeldingInvoer.model_validate(gegevens)

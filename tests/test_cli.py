"""The `vt` command line: Dutch output and errors, exit code 1 on bad input, `--json` for
scripts, and personal data only on explicit request."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from models.opslag.regio import synchroniseer
from models.dossier.registratie import registreer_meldingen
from tests.helpers import FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, melding

runner = CliRunner()


def vt(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def casus_referentie(engine, database_url, instellingen, monkeypatch) -> str:
    """One registered casus (with a hermelding) in a fresh database that `vt` finds via DATABASE_URL."""
    import datetime as dt

    from tests.helpers import AMS

    monkeypatch.setenv("DATABASE_URL", database_url)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [eerste, _] = registreer_meldingen(
            session,
            [melding(), melding(ontvangen_op=dt.datetime(2026, 11, 18, 9, tzinfo=AMS), urgentie="spoed")],
            instellingen, actor="intake-test",
        )
    return eerste.casus_referentie


# --- vt termijnen ---------------------------------------------------------------------------------


def test_termijnen_counts_five_working_days_over_christmas():
    # Wed 23 Dec 2026 10:00 is day 0. Thu 24 = 1; Fri 25 and Sat 26 are Christmas (and 26 a
    # Saturday); Sun 27 weekend; Mon 28 = 2, Tue 29 = 3, Wed 30 = 4, Thu 31 = 5.
    resultaat = vt("termijnen", "--ontvangen", "2026-12-23T10:00", "--json")

    assert resultaat.exit_code == 0, resultaat.output
    uitvoer = json.loads(resultaat.stdout)
    [vb] = [t for t in uitvoer["termijnen"] if t["soort"] == "veiligheidsbeoordeling"]
    assert vb["vervalt_op"] == "2026-12-31T23:59:59+01:00"
    assert uitvoer["ontvangen_op"] == "2026-12-23T10:00:00+01:00"  # naive = Dutch local time
    assert uitvoer["urgentie"] == "regulier"


def test_termijnen_shows_local_dates_with_dutch_weekdays():
    resultaat = vt("termijnen", "--ontvangen", "2026-12-23T10:00", "--urgentie", "acuut")

    assert resultaat.exit_code == 0, resultaat.output
    assert "do 31-12-2026 23:59" in resultaat.output
    assert "acute_reactie" in resultaat.output and "wo 23-12-2026 11:00" in resultaat.output


def test_termijnen_in_summer_time_have_the_summer_offset():
    resultaat = vt("termijnen", "--ontvangen", "2026-07-01T08:00:00Z", "--json")

    [vb] = [t for t in json.loads(resultaat.stdout)["termijnen"] if t["soort"] == "veiligheidsbeoordeling"]
    assert vb["vervalt_op"] == "2026-07-08T23:59:59+02:00"


@pytest.mark.parametrize("argumenten, fout", [
    (["--ontvangen", "gisteren"], "--ontvangen is geen geldig tijdstip"),
    (["--ontvangen", "2026-13-40T10:00"], "--ontvangen is geen geldig tijdstip"),
    (["--ontvangen", "2026-12-23T10:00", "--urgentie", "heel erg"], "--urgentie moet een van deze zijn"),
])
def test_termijnen_refuses_bad_input_in_dutch_with_exit_code_1(argumenten, fout):
    resultaat = vt("termijnen", *argumenten)

    assert resultaat.exit_code == 1
    assert f"Fout: {fout}" in resultaat.output
    assert "Traceback" not in resultaat.output


def test_errors_are_json_too_when_asked_for():
    resultaat = vt("termijnen", "--ontvangen", "gisteren", "--json")

    assert resultaat.exit_code == 1
    assert json.loads(resultaat.stdout)["fout"].startswith("--ontvangen is geen geldig tijdstip")


# --- vt instellingen / vt migreer -----------------------------------------------------------------


def test_instellingen_summarises_the_region_and_preferred_handovers():
    resultaat = vt("instellingen")

    assert resultaat.exit_code == 0, resultaat.output
    assert "VT-DEMO" in resultaat.output
    assert "GM0907  Gennep           warm" in resultaat.output


def test_instellingen_json_leaves_out_notification_urls():
    resultaat = vt("instellingen", "--json")

    data = json.loads(resultaat.stdout)
    assert {g["code"] for g in data["gemeenten"]} >= {"GM0907", "GM0983"}
    assert data["termijnen"]["veiligheidsbeoordeling"]["eenheid"] == "werkdagen"
    assert "mailto" not in resultaat.stdout  # Apprise URLs may hold credentials


def test_an_invalid_settings_file_gives_the_dutch_reason_and_exit_code_1(tmp_path, monkeypatch, database_url):
    slecht = tmp_path / "regio.yaml"
    slecht.write_text("regio: {code: x}\n", encoding="utf-8")
    monkeypatch.setenv("VT_INSTELLINGEN", str(slecht))
    monkeypatch.setenv("DATABASE_URL", database_url)

    resultaat = vt("migreer")

    assert resultaat.exit_code == 1
    assert f"Instellingenbestand {slecht} is ongeldig" in resultaat.output
    assert "Traceback" not in resultaat.output


def test_migreer_builds_the_schema_and_loads_the_municipalities(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)

    resultaat = vt("migreer", "--json")

    assert resultaat.exit_code == 0, resultaat.output
    assert json.loads(resultaat.stdout) == {"regio": "VT-DEMO", "gemeenten": 8, "lokale_teams": 9}
    assert vt("migreer").exit_code == 0  # again: nothing to do, no error


# --- vt casus -------------------------------------------------------------------------------------


def test_casus_without_the_flag_shows_no_personal_data_and_needs_no_key(casus_referentie, monkeypatch):
    monkeypatch.delenv("VT_ENCRYPTION_KEY")

    resultaat = vt("casus", casus_referentie)

    assert resultaat.exit_code == 0, resultaat.output
    uitvoer = resultaat.output
    assert f"Casus {casus_referentie}" in uitvoer
    assert "GM0907 Gennep" in uitvoer and "spoed" in uitvoer  # the hermelding raised the urgency
    assert f"{casus_referentie}-M2" in uitvoer and "hermelding" in uitvoer
    assert "veiligheidsbeoordeling   vervalt ma 23-11-2026 23:59  open" in uitvoer
    assert "hermelding_geregistreerd" in uitvoer and "intake-test" in uitvoer
    for geheim in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, FICTIEVE_OMSCHRIJVING, "9999 AB", "Demodorp"]:
        assert geheim not in uitvoer


def test_casus_json_without_the_flag_has_no_personal_fields(casus_referentie, monkeypatch):
    monkeypatch.delenv("VT_ENCRYPTION_KEY")

    resultaat = vt("casus", casus_referentie, "--json")

    data = json.loads(resultaat.stdout)
    assert data["status"] == "ontvangen" and len(data["meldingen"]) == 2
    assert [a["actie"] for a in data["audittrail"]] == ["melding_geregistreerd", "hermelding_geregistreerd"]
    assert "personen" not in data and "adres" not in data and "omschrijving" not in data["meldingen"][0]


def test_casus_with_the_flag_shows_the_household_melder_and_description(casus_referentie):
    resultaat = vt("casus", casus_referentie, "--toon-persoonsgegevens")

    assert resultaat.exit_code == 0, resultaat.output
    for gegeven in [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, FICTIEVE_OMSCHRIJVING, "9999 AB Demodorp"]:
        assert gegeven in resultaat.output


def test_casus_with_the_flag_but_without_the_key_says_so_in_dutch(casus_referentie, monkeypatch):
    monkeypatch.delenv("VT_ENCRYPTION_KEY")

    resultaat = vt("casus", casus_referentie, "--toon-persoonsgegevens")

    assert resultaat.exit_code == 1
    assert "Fout: VT_ENCRYPTION_KEY ontbreekt" in resultaat.output


def test_an_unknown_casus_is_a_dutch_error(casus_referentie):
    resultaat = vt("casus", "VT-2026-999999")

    assert resultaat.exit_code == 1
    assert "Fout: Casus VT-2026-999999 bestaat niet." in resultaat.output


# --- vt import ------------------------------------------------------------------------------------


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_of_a_bad_file_exits_1_listing_the_row(engine, database_url, monkeypatch, tmp_path):
    from models.dossier.importformaat import schrijf_csv

    monkeypatch.setenv("DATABASE_URL", database_url)
    goed = melding(bron="oud", extern_id="1")
    fout = melding(bron="oud", extern_id="2", postcode="9999 AC")
    pad = schrijf_csv([goed, fout], tmp_path / "meldingen.csv")
    pad.write_text(pad.read_text(encoding="utf-8").replace("9999 AC", "99 AC"), encoding="utf-8")

    resultaat = vt("import", str(pad), "--door", "medewerker-import")

    assert resultaat.exit_code == 1
    assert "afgekeurd: 1 rij met fouten" in resultaat.output
    assert "Rij 3: postcode: is geen geldige postcode (1234 AB)" in resultaat.output
    assert "Traceback" not in resultaat.output


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_of_a_good_file_prints_the_counts(engine, database_url, monkeypatch, tmp_path):
    from models.dossier.importformaat import schrijf_json

    monkeypatch.setenv("DATABASE_URL", database_url)
    pad = schrijf_json([melding(bron="oud", extern_id="1"), melding(bron="oud", extern_id="2")], tmp_path / "m.json")

    resultaat = vt("import", str(pad), "--json")

    assert resultaat.exit_code == 0, resultaat.output
    data = json.loads(resultaat.stdout)
    assert (data["geregistreerd"], data["nieuwe_casussen"], data["hermeldingen"]) == (2, 1, 1)


def test_import_of_a_missing_file_is_a_dutch_error_without_starting_a_flow(tmp_path):
    resultaat = vt("import", str(tmp_path / "bestaat-niet.csv"))

    assert resultaat.exit_code == 1
    assert "Fout: Bestand niet gevonden" in resultaat.output

"""Hostile or mistyped input (issue 11, item 7): every such input gets a Dutch reason, never a
traceback, and nothing impossible gets in: no melding from before the region's earliest date
(1850, year 0001), no birth date from centuries ago, no invisible control characters in names."""

from __future__ import annotations

import json

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from models.regels.fouten import beschrijf_validatiefouten
from models.dossier.importformaat import lees_importbestand, schrijf_csv
from models.regels.instellingen import DEMO_INSTELLINGEN, Instellingen, OngeldigeInstellingen, laad_instellingen
from models.dossier.registratie import MeldingInvoer
from tests.helpers import melding

runner = CliRunner()


def vt(*args: str):
    from cli import app

    return runner.invoke(app, list(args))


def _redenen(ruw: dict, instellingen: Instellingen | None = None) -> list[str]:
    """What the intake form shows when it refuses `ruw` (the intake validates with the settings)."""
    context = {"instellingen": instellingen} if instellingen else None
    with pytest.raises(ValidationError) as fout:
        MeldingInvoer.model_validate(ruw, context=context)
    return beschrijf_validatiefouten(fout.value)


def _met(**wijziging) -> dict:
    return {**melding().model_dump(mode="json"), **wijziging}


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ontvangen_op", ["0001-01-01T00:00:00+01:00", "1850-03-01T10:00:00+01:00"],
                         ids=["jaar-0001", "jaar-1850"])
def test_a_melding_received_before_the_regions_earliest_date_is_refused_by_the_intake_form(
        instellingen, ontvangen_op):
    assert _redenen(_met(ontvangen_op=ontvangen_op), instellingen) == [
        "ontvangen_op: ligt vóór 01-01-2000; eerdere meldingen neemt het systeem niet aan"]


@pytest.mark.parametrize("ontvangen_op", ["0001-01-01T00:00:00+01:00", "1850-03-01T10:00:00+01:00"],
                         ids=["jaar-0001", "jaar-1850"])
def test_a_melding_received_before_the_regions_earliest_date_is_a_row_error_of_the_import(
        tmp_path, instellingen, ontvangen_op):
    cellen = {"bron": "oud-systeem", "extern_id": "A-1"}
    pad = schrijf_csv([melding(**cellen), melding(**{**cellen, "extern_id": "A-2"})], tmp_path / "meldingen.csv")
    regels = pad.read_text(encoding="utf-8").splitlines()
    regels[2] = regels[2].replace("2026-11-16T10:00:00+01:00", ontvangen_op)
    pad.write_text("\n".join(regels) + "\n", encoding="utf-8")

    gelezen = lees_importbestand(pad, instellingen)

    assert [regel for f in gelezen.fouten for regel in f.regels()] == [
        "Rij 3: ontvangen_op: ligt vóór 01-01-2000; eerdere meldingen neemt het systeem niet aan"]
    assert len(gelezen.meldingen) == 1


def test_the_earliest_date_of_receipt_is_a_setting(tmp_path, instellingen):
    ruw = yaml.safe_load(DEMO_INSTELLINGEN.read_text(encoding="utf-8"))
    ruw["invoer"]["vroegste_ontvangst"] = "2026-11-17"
    strenger = Instellingen.model_validate(ruw)
    assert _redenen(_met(), strenger) == [
        "ontvangen_op: ligt vóór 17-11-2026; eerdere meldingen neemt het systeem niet aan"]
    assert MeldingInvoer.model_validate(_met(), context={"instellingen": instellingen})


def test_a_birth_date_centuries_ago_is_refused(instellingen):
    ruw = _met()
    ruw["personen"][0]["geboortedatum"] = "0001-01-01"
    ruw["personen"][1]["geboortedatum"] = "1850-06-01"
    assert _redenen(ruw, instellingen) == ["personen.0.geboortedatum: ligt meer dan 120 jaar terug",
                                           "personen.1.geboortedatum: ligt meer dan 120 jaar terug"]


def test_the_term_calculator_refuses_year_0001_and_year_9999_in_dutch():
    for ontvangen, fout in [("0001-01-01T00:00", "--ontvangen ligt vóór 01-01-2000"),
                            ("9999-12-31T23:00", "Een datum valt buiten het bereik")]:
        resultaat = vt("termijnen", "--ontvangen", ontvangen)
        assert resultaat.exit_code == 1, resultaat.output
        assert f"Fout: {fout}" in resultaat.output
        assert "Traceback" not in resultaat.output


# --- control characters ----------------------------------------------------------------------------


def test_a_nul_byte_in_a_name_is_refused_without_echoing_the_name(instellingen):
    ruw = _met()
    ruw["personen"][0]["naam"] = "Testpersoon\x00Anna"
    ruw["melder"]["naam"] = "Huisarts\u202eZorgvuldig"  # a right-to-left override
    redenen = _redenen(ruw, instellingen)
    assert redenen == ["melder.naam: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken)",
                       "personen.0.naam: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken)"]
    assert not any("Anna" in r or "Zorgvuldig" in r for r in redenen)


def test_a_line_break_belongs_in_a_description_but_not_in_a_name(instellingen):
    ruw = _met(omschrijving="Eerste regel\r\nTweede regel\tmet een tab")
    ruw["personen"][0]["naam"] = "Testpersoon Anna\n de Vries"
    assert _redenen(ruw, instellingen) == [
        "personen.0.naam: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken)"]
    assert _redenen(_met(omschrijving="Tekst\x1b[31m"), instellingen) == [
        "omschrijving: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken) (regeleinden en tabs mogen wel)"]


def test_a_name_spelled_with_a_zero_width_non_joiner_is_accepted(instellingen):
    ruw = _met()
    ruw["personen"][0]["naam"] = "Testpersoon \u0645\u06cc\u200c\u062e\u0648\u0627\u0647"  # Persian spelling
    assert MeldingInvoer.model_validate(ruw, context={"instellingen": instellingen}).personen[0].naam


def test_a_nul_byte_in_an_imported_name_is_a_row_error(tmp_path, instellingen):
    ruw = {**_met(), "bron": "oud-systeem", "extern_id": "A-1"}
    ruw["personen"][1]["naam"] = "Testpersoon\x00Bram"
    pad = tmp_path / "meldingen.json"
    pad.write_text(json.dumps([ruw]), encoding="utf-8")
    gelezen = lees_importbestand(pad, instellingen)
    assert [regel for f in gelezen.fouten for regel in f.regels()] == [
        "Rij 1: personen.2.naam: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken)"]


# --- files -----------------------------------------------------------------------------------------


def test_a_json_import_nested_100000_deep_is_refused_as_a_file_error(tmp_path, instellingen):
    pad = tmp_path / "diep.json"
    pad.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    gelezen = lees_importbestand(pad, instellingen)
    [regel] = [regel for f in gelezen.fouten for regel in f.regels()]
    assert regel.startswith("Bestand: is te diep genest")
    assert not gelezen.meldingen


def test_a_settings_file_in_latin1_gives_a_dutch_error(tmp_path, monkeypatch):
    pad = tmp_path / "regio.yaml"
    tekst = DEMO_INSTELLINGEN.read_text(encoding="utf-8").replace("Demo-regio (fictief)", "Demo-regio (één)")
    pad.write_bytes(tekst.encode("latin-1"))
    with pytest.raises(OngeldigeInstellingen, match="is geen UTF-8-tekst"):
        laad_instellingen(pad)

    monkeypatch.setenv("VT_INSTELLINGEN", str(pad))
    resultaat = vt("instellingen")
    assert resultaat.exit_code == 1
    assert f"Fout: Instellingenbestand {pad} is geen UTF-8-tekst" in resultaat.output
    assert "Traceback" not in resultaat.output


def test_a_decision_form_refuses_control_characters_but_keeps_the_lines_of_its_safety_conditions():
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling

    velden = {"door": "Teamleider\x00Een", "besluit": "afsluiten",
              "veiligheidsvoorwaarden": "Eerste voorwaarde\nTweede voorwaarde\x1b"}
    with pytest.raises(ValidationError) as fout:
        BesluitNaVeiligheidsbeoordeling.model_validate(velden)
    assert beschrijf_validatiefouten(fout.value) == [
        "door: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken)",
        "veiligheidsvoorwaarden: bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken) "
        "(regeleinden en tabs mogen wel)"]
    besluit = BesluitNaVeiligheidsbeoordeling.model_validate(
        {**velden, "door": "Teamleider Een", "veiligheidsvoorwaarden": "Eerste voorwaarde\nTweede voorwaarde"})
    assert besluit.veiligheidsvoorwaarden.splitlines() == ["Eerste voorwaarde", "Tweede voorwaarde"]

"""The settings file: the demo region is valid, and an invalid file fails at start with a
message naming the field and the reason."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from models.regels.instellingen import DEMO_INSTELLINGEN, OngeldigeInstellingen, laad_instellingen


def _met_wijziging(tmp_path, wijzig) -> str:
    ruw = yaml.safe_load(DEMO_INSTELLINGEN.read_text(encoding="utf-8"))
    wijzig(ruw)
    pad = tmp_path / "regio.yaml"
    pad.write_text(yaml.safe_dump(ruw, allow_unicode=True), encoding="utf-8")
    return pad


def test_the_demo_region_holds_the_municipalities_of_the_source_documents(instellingen):
    namen = {g.naam for g in instellingen.gemeenten}
    assert {"Gennep", "Venlo", "Roermond", "Wijchen", "Alblasserdam", "Helmond", "Eindhoven", "Haarlem"} == namen
    assert instellingen.gemeente("GM0907").voorkeur_overdracht == "warm"  # seed 000
    helmond = instellingen.gemeente("GM0794").plustaken  # seed 003: Helmond buys all three
    assert helmond.afgenomen == ["voorlichting", "deskundigheidsbevordering", "samen_optrekken"]
    assert (helmond.voorlichting_uren_per_jaar, helmond.deskundigheidsbevordering_uren_per_jaar) == (40, 24)
    tafel = instellingen.gemeente("GM0392").overdrachtstafel  # seed 004: Haarlem's overdrachtstafel
    assert (tafel.weekdag, tafel.tijd) == ("dinsdag", dt.time(10, 0))


@pytest.mark.parametrize(
    ("wijzig", "verwacht"),
    [
        (lambda r: r["gemeenten"][0].update(code="0907"), "gemeenten.0.code: heeft niet de juiste vorm"),
        (lambda r: r["termijnen"]["veiligheidsbeoordeling"].update(aantal=0), "termijnen.veiligheidsbeoordeling.aantal: is te klein"),
        (lambda r: r["termijnen"].pop("onderzoek"), "termijnen ontbreken: onderzoek"),
        (lambda r: r["escalatie"]["ladder"][0].update(rollen=["directeur"]), "onbekende rol(len): directeur"),
        (lambda r: r["escalatie"]["rollen"].update(teamleider=["geen-url"]), "escalatie.rollen.teamleider.0: geen geldige Apprise-URL"),
        (lambda r: r["kalender"]["extra_niet_werkdagen"].append(r["kalender"]["extra_niet_werkdagen"][0]), "dubbele datum(s): 2026-01-02"),
        (lambda r: r["gemeenten"][1].update(wekelijks_casusoverleg=True), "wekelijks_casusoverleg vraagt om een vaste_contactpersoon"),
        (lambda r: r["gemeenten"][1].update(voorkeur_overdracht="per duif"), "gemeenten.1.voorkeur_overdracht: heeft een niet-toegestane waarde"),
        (lambda r: r.update(onbekend_veld=1), "onbekend_veld: is geen bekend veld"),
        (lambda r: r["gemeenten"][0].update(gemeentehuis="gemeentehuis"), "gemeenten.0.gemeentehuis: 'gemeentehuis' is geen adres"),
        (lambda r: r["gemeenten"][0]["lokale_teams"][0].pop("adres"), "gemeenten.0.lokale_teams.0.adres: ontbreekt"),
        # The old flag names what replaced it; a block that buys nothing is a mistake, not a default.
        (lambda r: r["gemeenten"][5].update(plustaken=True), "plustaken is geen ja/nee meer maar een blok"),
        (lambda r: r["gemeenten"][5].update(plustaken={"samen_optrekken": False}), "plustaken noemt geen enkele plustaak"),
        (lambda r: r["gemeenten"][5]["plustaken"].update(voorlichting_uren_per_jaar=0),
         "gemeenten.5.plustaken.voorlichting_uren_per_jaar: is te klein"),
        (lambda r: r["gemeenten"][7]["overdrachtstafel"].update(weekdag="zondag"),
         "gemeenten.7.overdrachtstafel.weekdag: heeft een niet-toegestane waarde"),
        (lambda r: r["gemeenten"][7]["overdrachtstafel"].update(ontvangers=[]), "gemeenten.7.overdrachtstafel.ontvangers"),
        # A window one late heartbeat could exceed would take a healthy run for a lost machine.
        (lambda r: r["levensloop"].update(hartslag_seconden=60, hartslag_venster_seconden=120),
         "hartslag_venster_seconden moet minstens twee keer hartslag_seconden plus 15 zijn"),
    ],
)
def test_an_invalid_settings_file_names_the_field_and_the_reason(tmp_path, wijzig, verwacht):
    with pytest.raises(OngeldigeInstellingen) as fout:
        laad_instellingen(_met_wijziging(tmp_path, wijzig))
    assert verwacht in str(fout.value)


def test_a_missing_or_broken_file_says_so(tmp_path):
    with pytest.raises(OngeldigeInstellingen, match="niet gevonden"):
        laad_instellingen(tmp_path / "bestaat-niet.yaml")
    kapot = tmp_path / "kapot.yaml"
    kapot.write_text("regio: [", encoding="utf-8")
    with pytest.raises(OngeldigeInstellingen, match="geen geldige YAML"):
        laad_instellingen(kapot)

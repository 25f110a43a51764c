"""The example report in docs/voorbeeldrapport: its generator still runs against the current
store (a small data set, into a temporary folder), and what it makes carries every section
and no personal data of the fictional families it recorded."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

MAP = Path(__file__).resolve().parent.parent / "docs" / "voorbeeldrapport"
# What the generator typed into the fictional meldingen: none of it may reach the report.
PERSOONSGEGEVENS = ["Fictieve melder", "Fictief kind", "Voorbeeldstraat", "9999 ZZ", "Demodorp", "0600000000",
                    "Fictieve melding"]
AANTALLEN = {"aantal", "afgelopen in de periode", "op tijd", "te laat"}


@pytest.fixture(scope="module")
def voorbeeld(tmp_path_factory) -> Path:
    uit = tmp_path_factory.mktemp("voorbeeld")
    sys.path.insert(0, str(MAP))
    try:
        import maak_voorbeeld
    finally:
        sys.path.remove(str(MAP))
    maak_voorbeeld.main(uit, aantal_meldingen=2_000)
    return uit


def test_the_example_report_is_made_with_every_section_and_no_personal_data(voorbeeld):
    assert sorted(p.name for p in voorbeeld.iterdir()) == [
        "voorbeeldrapport-grafiek.png", "voorbeeldrapport-pagina-1.png", "voorbeeldrapport-regio.csv",
        "voorbeeldrapport.pdf"]
    tekst = subprocess.run(["pdftotext", str(voorbeeld / "voorbeeldrapport.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Inloopplan: wanneer is de wachtlijst terug op het gebruikelijke niveau?" in tekst
    # Seven joint onderzoeken in Helmond in the period, none elsewhere: 7 for the region too.
    assert "Helmond 7; Veilig Thuis Demo-regio (fictief) 7" in " ".join(tekst.split())
    regio = (voorbeeld / "voorbeeldrapport-regio.csv").read_text(encoding="utf-8-sig")
    for bestand in (tekst, regio):
        assert [p for p in PERSOONSGEGEVENS if p in bestand] == []


def test_the_example_report_shows_no_small_count(voorbeeld):
    with (voorbeeld / "voorbeeldrapport-regio.csv").open(encoding="utf-8-sig") as f:
        rijen = [r for r in csv.DictReader(f, delimiter=";") if r["maat"] in AANTALLEN]
    assert rijen
    assert [r for r in rijen if r["waarde"] not in ("<5", "x") and 0 < int(r["waarde"]) < 5] == []

"""Hostile input in letters and the report: a name is printed as text, never interpreted, and a
PDF loads only the files we ship (the stylesheet, the report's own chart), never another file on
the server or anything on the network. Letters are made through the real path: a melding with
the hostile name is registered and the lifecycle's letter step makes the letter."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import re
import subprocess
import threading
from pathlib import Path

import pytest
from sqlmodel import Session

from models.brieven import inhoud as b
from models.dossier.registratie import MeldingInvoer
from tests.test_brieven import archief, brief, maak, melder_met_adres, melding_met, pdf_tekst, registreer
from tests.test_brieven import regio  # noqa: F401 (the fixture)

GEHEIM = "GEHEIME-SLEUTEL-Zm9vYmFyYmF6cXV4"
# A PNG of 1x1 pixel, to see whether an image outside our own files ends up in the PDF.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # rendering is no database matter


def gezin_met_naam(naam: str) -> str:
    """Register a melding whose parent has this name; returns the casus reference."""
    ruw = melding_met().model_dump(mode="json")
    ruw["personen"][0]["naam"] = naam
    [referentie] = registreer(MeldingInvoer.model_validate(ruw))
    return referentie


def familiebrief(engine, naam: str) -> Path:
    """The letter the family gets after a melding, for a parent with this name."""
    [brief_id] = maak(gezin_met_naam(naam), "melding_ontvangen", "intake")
    return archief(brief(engine, brief_id))


def gedrukt(tekst: str, pdf: Path) -> bool:
    """Whether `tekst` is printed in the PDF (a long name may wrap anywhere, so spaces and line
    breaks are ignored)."""
    return "".join(tekst.split()) in "".join(pdf_tekst(pdf).split())


def bijlagen(pdf: Path) -> str:
    return subprocess.run(["pdfdetach", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout


def afbeeldingen(pdf: Path) -> list[str]:
    uit = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [regel for regel in uit.splitlines()[2:] if regel.split()[2] == "image"]  # not their masks


@pytest.fixture
def geheim(tmp_path) -> Path:
    pad = tmp_path / "encryption.key"
    pad.write_text(GEHEIM)
    return pad


@pytest.fixture
def webserver():
    """A real HTTP server on a free port that records every request it gets."""
    verzoeken: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            verzoeken.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", verzoeken
    finally:
        server.shutdown()
        server.server_close()


# --- letters ------------------------------------------------------------------------------------


@SQLITE
def test_a_name_that_links_a_secret_file_as_attachment_does_not_put_it_in_the_letter(regio, engine, geheim):
    pdf = familiebrief(engine, f'<link rel="attachment" href="{geheim}">Anna')

    assert "0 embedded files" in bijlagen(pdf)
    assert GEHEIM.encode() not in pdf.read_bytes()
    assert GEHEIM not in pdf_tekst(pdf)
    assert gedrukt(f'Beste <link rel="attachment" href="{geheim}">Anna', pdf)


@SQLITE
def test_a_melder_name_that_links_a_secret_file_does_not_mail_it_to_the_melder(regio, engine, geheim):
    # The path seen: a melder with e-mail consent got the PDF with the key attached.
    melder = {**melder_met_adres(), "naam": f'<a rel="attachment" href="file://{geheim}">Huisarts</a>',
              "email": "huisarts@example.org", "brief_per_email": True}
    [referentie] = registreer(melding_met(melder=melder))

    [brief_id] = maak(referentie, "terugkoppeling_veiligheidsbeoordeling", "vb", {"besluit": "onderzoek"})

    rij = brief(engine, brief_id)
    assert rij.kanaal == "email"
    pdf = archief(rij)
    assert "0 embedded files" in bijlagen(pdf) and GEHEIM.encode() not in pdf.read_bytes()
    assert gedrukt(f'Beste <a rel="attachment" href="file://{geheim}">Huisarts</a>', pdf)


@SQLITE
def test_a_name_with_a_web_image_makes_the_server_fetch_nothing(regio, engine, webserver):
    adres, verzoeken = webserver

    pdf = familiebrief(engine, f'<img src="{adres}/x">Anna')

    assert verzoeken == []
    assert afbeeldingen(pdf) == []
    assert gedrukt(f'<img src="{adres}/x">Anna', pdf)


@SQLITE
def test_a_name_with_a_file_image_does_not_put_that_file_in_the_letter(regio, engine, tmp_path):
    plaatje = tmp_path / "ergens.png"
    plaatje.write_bytes(PNG)

    pdf = familiebrief(engine, f'<img src="file://{plaatje}">Anna')

    assert afbeeldingen(pdf) == []
    assert gedrukt(f'<img src="file://{plaatje}">Anna', pdf)


@SQLITE
def test_a_name_with_a_script_tag_is_printed_not_swallowed(regio, engine):
    pdf = familiebrief(engine, "<script>alert(1)</script>")

    assert gedrukt("Beste <script>alert(1)</script>", pdf)


@SQLITE
def test_a_name_with_an_ampersand_is_printed_once_not_as_an_entity(regio, engine):
    # Guards the escaping against escaping twice (the letter's blocks are rendered into the base).
    [brief_id] = maak(gezin_met_naam("Anna & Bram"), "melding_ontvangen", "intake")

    tekst = pdf_tekst(archief(brief(engine, brief_id)))
    assert "Beste Anna & Bram" in tekst and "&amp;" not in tekst


# --- the PDF maker itself: only our own files, whatever the HTML says -------------------------------


def test_the_letter_pdf_maker_refuses_every_file_and_url_that_is_not_ours(tmp_path, geheim, webserver):
    # A second wall behind the escaping: even HTML that names other resources gets none of them.
    adres, verzoeken = webserver
    plaatje = tmp_path / "ergens.png"
    plaatje.write_bytes(PNG)
    data_url = f"data:image/png;base64,{base64.b64encode(PNG).decode()}"
    html = (f'<link rel="attachment" href="{geheim}"><link rel="attachment" href="../../pyproject.toml">'
            f'<link rel="attachment" href="../__init__.py">'
            f'<img src="{adres}/x"><img src="file://{plaatje}"><img src="{data_url}">'
            f'<link rel="stylesheet" href="{adres}/stijl.css"><p>Tekst</p>')

    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(b.render_pdf(html))

    assert "0 embedded files" in bijlagen(pdf)
    assert afbeeldingen(pdf) == [] and verzoeken == []
    assert GEHEIM.encode() not in pdf.read_bytes() and "Tekst" in pdf_tekst(pdf)


def test_the_report_pdf_gets_its_own_chart_and_nothing_else_from_its_folder(tmp_path, webserver):
    from models.brieven.pdf import maak_pdf

    adres, verzoeken = webserver
    map_ = tmp_path / "rapport"
    map_.mkdir()
    (map_ / "werkvoorraad.png").write_bytes(PNG)
    (map_ / "ander.png").write_bytes(PNG)
    (map_ / "gemeente.csv").write_text(GEHEIM)
    html = ('<img src="werkvoorraad.png"><img src="ander.png"><link rel="attachment" href="gemeente.csv">'
            f'<img src="{adres}/x">')

    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(maak_pdf(html, basis=map_, eigen_bestanden=[map_ / "werkvoorraad.png"]))

    assert len(afbeeldingen(pdf)) == 1  # the chart only
    assert "0 embedded files" in bijlagen(pdf) and verzoeken == []


# --- the report ---------------------------------------------------------------------------------


@SQLITE
def test_a_knelpunt_with_markup_is_printed_in_the_report_and_fetches_nothing(engine, instellingen, tmp_path,
                                                                              webserver, geheim):
    from models.regels.instellingen import CapaciteitsModus
    from models.regels.perioden import periode
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.lezen.rapportage import MedewerkerKnelpunt, bereken, publiceer
    from models.opslag.regio import synchroniseer
    from tasks.rapportage import schrijf_rapportbestanden

    adres, verzoeken = webserver
    tekst = f'<img src="{adres}/x"><link rel="attachment" href="{geheim}"><script>alert(1)</script>'
    eind = dt.date(2026, 1, 4)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        synchroniseer_werkdagen(session, instellingen)
    with Session(engine) as session:
        ruw = bereken(session, instellingen, periode(instellingen.rapportage, eind))
    cijfers = publiceer(ruw, instellingen, CapaciteitsModus.normaal, [MedewerkerKnelpunt("GM0983", tekst)])

    bestanden = schrijf_rapportbestanden(cijfers, 1, tmp_path / "rapport")

    pdf = tmp_path / "rapport" / next(iter(bestanden))
    assert verzoeken == [] and "0 embedded files" in bijlagen(pdf)
    assert len(afbeeldingen(pdf)) == 1  # the chart
    assert gedrukt("<script>alert(1)</script>", pdf)


@SQLITE
def test_a_knelpunt_with_a_markdown_image_is_shown_as_typed_in_the_report_artifact(engine, instellingen):
    """The report artifact is markdown in the Prefect UI: a knelpunt text must not become an
    image the browser loads, a link or a heading, and it stays one list item."""
    from models.lezen.rapportage import MedewerkerKnelpunt, bereken, publiceer
    from models.opslag.regio import synchroniseer
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.regels.instellingen import CapaciteitsModus
    from models.regels.perioden import periode
    from templates import render

    tekst = "![x](http://127.0.0.1:9/volg.png) [klik](http://x)\n# kop <img src=x>"
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        synchroniseer_werkdagen(session, instellingen)
    with Session(engine) as session:
        ruw = bereken(session, instellingen, periode(instellingen.rapportage, dt.date(2026, 1, 4)))
    cijfers = publiceer(ruw, instellingen, CapaciteitsModus.normaal, [MedewerkerKnelpunt("GM0983", tekst)])

    markdown = render("rapport/rapport.md.j2", c=cijfers, versie=1)

    [regel] = [r for r in markdown.splitlines() if "volg" in r]
    assert r"\!\[x\]\(http://127\.0\.0\.1:9/volg\.png\) \[klik\]\(http://x\) \# kop \<img src=x\>" in regel
    assert "](http" not in regel and not re.search(r"(?<!\\)<img", markdown)

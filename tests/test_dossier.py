"""The dossier pages: staff read what a casus is about where they decide, and every look is logged.

The app runs as the gateway will run it (tests/dossier_lokaal.py: a person in the request scope,
mounted at /dossier), on a real case store (SQLite file and PostgreSQL) with real letters (PDFs
made by the letter code). `inzage` is the gateway's access-log writer: here a list the tests read.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from sqlalchemy import event
from sqlmodel import Session
from starlette.testclient import TestClient

from models.brieven.inhoud import BriefSoort
from models.dossier import voortgang
from models.dossier.registratie import MelderInvoer, registreer_meldingen
from models.dossier.werkvoorraad import registreer_contact
from models.dossier.wijzigingen import casus_op_referentie, hervat, open_termijnen, schort_op, verleng
from models.opslag.casus import ContactVorm
from models.opslag.typen import nu
from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling, Beslismoment, DriegesprekPlannen, sleutel
from models.regels.instellingen import CapaciteitsModus, TermijnSoort
from models.regels.levensloop import Status
from tasks.brieven import maak_brieven
from tests.dossier_lokaal import BEHEER, GEMEENTE, MEDEWERKER, TEAMLEIDER, AlsPoort, Inzagelog
from tests.helpers import AMS, FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, melding

DOOR = "Medewerker De Vries"
HERMELDING = "Kind stond in de avond zonder jas buiten bij de voordeur"
BUURVROUW = "Buurvrouw Testpersoon"
OPSCHORTING = "Wacht op informatie van de huisarts"
VERLENGING = "Extra gesprek met de school nodig"
NOTITIE = "Moeder telefonisch gesproken, afspraak voor huisbezoek gemaakt"


def _beslis(session, regio, casus, invoer, volgnummer=1):
    ctx = voortgang.context(session, casus, regio, CapaciteitsModus.normaal)
    assert invoer.fouten(ctx) == []
    voortgang.leg_beslissing_vast(session, casus, sleutel(casus.referentie, invoer.moment, volgnummer), invoer, ctx,
                                  regio)


@pytest.fixture
def casus(engine, regio):
    """Like a demo casus in Gennep (warm handover): a melding by the family doctor and a hermelding
    by a neighbour; the veiligheidsbeoordeling suspended, resumed and extended; a contact; the
    decision to hand over warm to the lokaal team and the driegesprek planned; two letters."""
    eerste = melding(ontvangen_op=nu() - dt.timedelta(days=2))
    tweede = melding(ontvangen_op=nu() - dt.timedelta(days=1)).model_copy(update=dict(
        omschrijving=HERMELDING, melder=MelderInvoer(soort="burger", naam=BUURVROUW, telefoon="0611111111")))
    with Session(engine) as session, session.begin():
        geregistreerd = registreer_meldingen(session, [eerste, tweede], regio, actor="intake")
        referentie = geregistreerd[0].casus_referentie
        casus = casus_op_referentie(session, referentie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "orkestratie", regio)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "orkestratie", regio)
        vb = open_termijnen(session, casus, TermijnSoort.veiligheidsbeoordeling)[0]  # of the first melding
        schort_op(session, casus, vb, DOOR, OPSCHORTING, tijdstip=nu() - dt.timedelta(hours=5))
        hervat(session, casus, vb, DOOR, tijdstip=nu() - dt.timedelta(hours=4))
        verleng(session, casus, vb, vb.vervalt_op + dt.timedelta(days=3), DOOR, VERLENGING,
                tijdstip=nu() - dt.timedelta(hours=3))
        registreer_contact(session, casus, tijdstip=nu() - dt.timedelta(hours=2), vorm=ContactVorm.telefoon,
                           bereikt=True, medewerker=DOOR, regio=regio, notitie=NOTITIE)
        _beslis(session, regio, casus, BesluitNaVeiligheidsbeoordeling(
            door=DOOR, besluit="overdracht", lokaal_team="GEN-SD", overdracht_type="warm", regie="lokaal_team"))
        driegesprek = (nu() + dt.timedelta(days=7)).astimezone(AMS).replace(hour=14, minute=0, second=0, microsecond=0)
        _beslis(session, regio, casus, DriegesprekPlannen(door=DOOR, datum_tijd=driegesprek,
                                                          locatie="kantoor_lokaal_team"))
    maak_brieven(referentie, BriefSoort.melding_ontvangen, "intake", None, regio)
    maak_brieven(referentie, BriefSoort.uitnodiging_driegesprek, "driegesprek-1", dict(
        lokaal_team_code="GEN-SD", datum=driegesprek.isoformat(), plaats="kantoor van het lokaal team",
        locatie="kantoor_lokaal_team"), regio)
    return referentie


@pytest.fixture
def log() -> Inzagelog:
    return Inzagelog()


@pytest.fixture
def poort(engine, log) -> AlsPoort:
    return AlsPoort(engine, log)


@pytest.fixture
def browser(poort) -> TestClient:
    return TestClient(poort, follow_redirects=False)


def zichtbare_tekst(html: str) -> str:
    """What a person reads: without the style sheet and the tags, entities as characters."""
    import html as htmllib

    zonder_stijl = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    zonder_opmaak = re.sub(r"</?(strong|span|a)\b[^>]*>", "", zonder_stijl)  # inline: no break in the text
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", zonder_opmaak)).split())


# --- the dossier page --------------------------------------------------------------------------------


def test_the_dossier_shows_meldingen_household_melders_decisions_terms_letters_contacts_and_the_audit_trail(
        browser, casus, log):
    antwoord = browser.get(f"/dossier/casus/{casus}")

    assert antwoord.status_code == 200
    assert antwoord.headers["cache-control"] == "no-store"
    tekst = zichtbare_tekst(antwoord.text)
    # the casus, with its step as a word
    assert f"Dossier {casus}" in tekst and "Gemeente Gennep" in tekst
    assert "Huidige stap Overdracht" in tekst and "Wacht op Overdracht afronden" in tekst
    # meldingen with their descriptions
    assert f"{casus}-M1" in tekst and f"{casus}-M2" in tekst
    assert FICTIEVE_OMSCHRIJVING in tekst and HERMELDING in tekst and "hermelding" in tekst
    # the household and its persons, decrypted
    assert FICTIEF_ADRES in tekst and "9999 AB Demodorp" in tekst
    assert f"{FICTIEVE_NAMEN[0]} Ouder 1990-02-03 {FICTIEF_BSN}" in tekst
    assert f"{FICTIEVE_NAMEN[1]} Kind 2019-05-06 onbekend" in tekst
    # both melders, once each
    assert tekst.count(FICTIEVE_NAMEN[2]) == 1 and tekst.count(BUURVROUW) == 1
    assert "Professional" in tekst and "Burger" in tekst
    # decisions with their reasons, in labels and names
    assert "Besluit na de veiligheidsbeoordeling Overdracht" in tekst
    assert "Lokaal team: Consulenten Sociaal Domein Gennep" in tekst and "Soort overdracht: warm" in tekst
    assert "Regie bij: lokaal team" in tekst
    assert "Warme overdracht: plan het driegesprek Gepland" in tekst and "Locatie: kantoor van het lokaal team" in tekst
    assert tekst.count(DOOR) >= 2
    # the handover and its driegesprek
    assert "Warm Consulenten Sociaal Domein Gennep Lokaal team" in tekst and "Driegesprek gepland" in tekst
    # terms, with the suspension and the extension and their reasons
    assert "Veiligheidsbeoordeling" in tekst and "oorspronkelijk" in tekst
    assert f"opgeschort — {OPSCHORTING}" in tekst and "hervat" in tekst and f"— {VERLENGING}" in tekst
    # letters, each with a link to its PDF
    assert "Melding ontvangen (PDF)" in tekst and "Uitnodiging driegesprek (PDF)" in tekst
    assert len(re.findall(rf'href="/dossier/casus/{casus}/brief/\d+"', antwoord.text)) == 2
    # the contact with the family and its note
    assert f"Telefoon ja {DOOR} {NOTITIE}" in tekst
    # the audit trail in Dutch sentences
    for zin in ("Melding " + casus + "-M1 geregistreerd (regulier, binnengekomen per telefoon)",
                "Stap: van besluit naar overdracht",
                "Besluit bij „Besluit na de veiligheidsbeoordeling”: Overdracht, lokaal team Consulenten "
                "Sociaal Domein Gennep, warme overdracht, regie bij lokaal team",
                "Termijn veiligheidsbeoordeling opgeschort", "Termijn veiligheidsbeoordeling verlengd van",
                "Contact met het gezin (telefoon): bereikt",
                "Brief „Melding ontvangen” gemaakt voor het gezin (per post)"):
        assert zin in tekst, zin
    # labels, never codes: no snake_case word anywhere a person reads
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", tekst) == []
    assert log.regels == [(MEDEWERKER.account, "dossier bekeken", casus)]


def test_a_letter_opens_as_the_archived_pdf_and_the_download_is_logged(browser, casus, log, tmp_path):
    pagina = browser.get(f"/dossier/casus/{casus}").text
    link = re.search(r'href="(/dossier/casus/[^"]+/brief/\d+)">Melding ontvangen', pagina)[1]
    log.regels.clear()

    antwoord = browser.get(link)

    assert antwoord.status_code == 200
    assert antwoord.headers["content-type"] == "application/pdf"
    assert antwoord.headers["cache-control"] == "no-store"
    bestandsnaam = antwoord.headers["content-disposition"]
    assert casus in bestandsnaam and "Testpersoon" not in bestandsnaam
    pad = tmp_path / "brief.pdf"
    pad.write_bytes(antwoord.content)
    tekst = subprocess.run(["pdftotext", str(pad), "-"], check=True, capture_output=True, text=True).stdout
    assert "Veilig Thuis heeft een melding over uw gezin ontvangen" in " ".join(tekst.split())
    assert log.regels == [(MEDEWERKER.account, "brief geopend", casus)]


def test_a_letter_of_another_casus_or_an_altered_file_is_not_shown(browser, casus, log, engine, regio, tmp_path):
    from models.opslag.communicatie import Brief
    from sqlmodel import select

    with Session(engine) as session:
        brieven = session.exec(select(Brief).order_by(Brief.id)).all()
    with Session(engine) as session, session.begin():
        [ander] = registreer_meldingen(session, [melding(postcode="9999 ZZ")], regio, actor="intake")

    antwoord = browser.get(f"/dossier/casus/{ander.casus_referentie}/brief/{brieven[0].id}")
    assert antwoord.status_code == 404 and "hoort niet bij casus" in antwoord.text

    (tmp_path / "data" / "brieven" / brieven[0].pad).write_bytes(b"%PDF-1.7 vervalst")
    antwoord = browser.get(f"/dossier/casus/{casus}/brief/{brieven[0].id}")
    assert antwoord.status_code == 404 and "gewijzigd sinds het werd gemaakt" in antwoord.text
    assert log.regels == []


def test_an_unknown_reference_gives_a_dutch_not_found_page(browser, casus, log):
    antwoord = browser.get("/dossier/casus/VT-2026-999999")

    assert antwoord.status_code == 404
    assert "Niet gevonden" in antwoord.text and "Er is geen casus met casusnummer VT-2026-999999" in antwoord.text
    assert log.regels == []


@pytest.mark.parametrize("gebruiker", [GEMEENTE, BEHEER], ids=["gemeente", "beheer"])
def test_a_gemeente_or_beheer_account_is_refused_every_dossier_page(browser, poort, casus, log, gebruiker):
    poort.gebruiker = gebruiker
    for antwoord in (browser.get(f"/dossier/casus/{casus}"), browser.get(f"/dossier/casus/{casus}/brief/1"),
                     browser.get("/dossier/"), browser.get(f"/dossier/zoeken?referentie={casus}"),
                     browser.post("/dossier/zoeken/bsn", data={"bsn": FICTIEF_BSN}),
                     browser.post("/dossier/zoeken/adres", data={"postcode": "9999 AB", "huisnummer": "12"})):
        assert antwoord.status_code == 403
        assert "Geen toegang" in antwoord.text and "Uw account mag geen dossiers inzien" in antwoord.text
        assert FICTIEVE_OMSCHRIJVING not in antwoord.text and casus not in antwoord.text
    assert log.regels == []


def test_without_a_logged_in_person_every_page_is_refused(browser, poort, casus, log):
    poort.gebruiker = None
    antwoord = browser.get(f"/dossier/casus/{casus}")

    assert antwoord.status_code == 401 and "U bent niet ingelogd" in antwoord.text
    assert FICTIEVE_OMSCHRIJVING not in antwoord.text and log.regels == []


# --- searching ---------------------------------------------------------------------------------------------


def test_search_by_reference_goes_to_the_dossier_and_is_logged(browser, casus, log):
    antwoord = browser.get("/dossier/zoeken", params={"referentie": f" {casus.lower()} "})

    assert antwoord.status_code == 303 and antwoord.headers["location"] == f"/dossier/casus/{casus}"
    assert log.regels == [(MEDEWERKER.account, "gezocht op casusnummer", casus)]


@pytest.mark.parametrize("gebruiker", [MEDEWERKER, TEAMLEIDER], ids=["medewerker", "teamleider"])
def test_search_by_bsn_finds_the_casus_and_the_log_names_the_casus_not_the_bsn(browser, poort, casus, log, gebruiker):
    poort.gebruiker = gebruiker
    antwoord = browser.post("/dossier/zoeken/bsn", data={"bsn": "111 222 333"})

    assert antwoord.status_code == 200
    assert f'href="/dossier/casus/{casus}"' in antwoord.text and "1 casus gevonden bij dit BSN" in antwoord.text
    assert FICTIEF_BSN not in antwoord.text  # not echoed back either
    assert log.regels == [(gebruiker.account, "gezocht op BSN", casus)]


def test_search_by_postcode_and_house_number_finds_the_casus_however_it_is_typed(browser, casus, log):
    antwoord = browser.post("/dossier/zoeken/adres", data={"postcode": "9999ab", "huisnummer": "12 "})

    assert antwoord.status_code == 200 and f'href="/dossier/casus/{casus}"' in antwoord.text
    assert log.regels == [(MEDEWERKER.account, "gezocht op postcode en huisnummer", casus)]


def test_a_search_that_finds_nothing_is_logged_without_a_casus(browser, casus, log):
    geen_bsn = browser.post("/dossier/zoeken/bsn", data={"bsn": "123456782"})
    geen_adres = browser.post("/dossier/zoeken/adres", data={"postcode": "9999 AB", "huisnummer": "13"})
    geen_casus = browser.get("/dossier/zoeken", params={"referentie": "VT-2026-999999"})

    for antwoord in (geen_bsn, geen_adres, geen_casus):
        assert antwoord.status_code == 200 and "Geen casus gevonden" in antwoord.text
    assert log.regels == [(MEDEWERKER.account, "gezocht op BSN", None),
                          (MEDEWERKER.account, "gezocht op postcode en huisnummer", None),
                          (MEDEWERKER.account, "gezocht op casusnummer", None)]


def test_a_search_that_cannot_be_read_says_why_in_dutch_and_searches_nothing(browser, casus, log):
    for antwoord, reden in ((browser.post("/dossier/zoeken/bsn", data={"bsn": "123456789"}), "elfproef"),
                            (browser.post("/dossier/zoeken/adres", data={"postcode": "99 AB", "huisnummer": "12"}),
                             "vier cijfers en twee letters"),
                            (browser.get("/dossier/zoeken", params={"referentie": "casus 12"}), "VT-2026-000123")):
        assert antwoord.status_code == 400 and reden in antwoord.text
    assert log.regels == []


def test_the_start_page_offers_the_searches_and_its_links_work_under_the_mount_point(browser, casus, log):
    antwoord = browser.get("/dossier/")

    assert antwoord.status_code == 200
    acties = re.findall(r'action="([^"]+)"', antwoord.text)
    assert acties == ["/dossier/zoeken", "/dossier/zoeken/bsn", "/dossier/zoeken/adres"]
    # BSN and address travel in a POST body, never in a URL
    assert re.findall(r'method="(\w+)"', antwoord.text) == ["get", "post", "post"]
    assert log.regels == []


def test_households_registered_before_the_search_existed_are_found_after_the_migration(engine, database_url, regio,
                                                                                        casus, browser, log):
    """Migration 0009 adds the blind indexes for BSN and postcode + huisnummer and fills them for
    the households already in the store."""
    from alembic import command

    from models.opslag.db import alembic_config

    command.downgrade(alembic_config(database_url), "0008")
    command.upgrade(alembic_config(database_url), "head")

    assert f'href="/dossier/casus/{casus}"' in browser.post("/dossier/zoeken/bsn", data={"bsn": FICTIEF_BSN}).text
    assert f'href="/dossier/casus/{casus}"' in browser.post(
        "/dossier/zoeken/adres", data={"postcode": "9999 AB", "huisnummer": "12"}).text


# --- a long casus: no query per part -----------------------------------------------------------------------------


def test_the_number_of_queries_for_a_dossier_does_not_grow_with_the_casus(engine, regio, casus, log):
    """A casus with many events, letters and contacts reads in the same number of queries as a
    small one (no query per row: a long dossier stays quick to open)."""
    from models.lezen.dossier import dossier

    def queries(referentie: str) -> int:
        teller = []
        luister = lambda *args: teller.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", luister)
        try:
            with Session(engine) as session:
                dossier(session, referentie)
        finally:
            event.remove(engine, "before_cursor_execute", luister)
        return len(teller)

    with Session(engine) as session, session.begin():
        [klein] = registreer_meldingen(session, [melding(postcode="9999 ZZ")], regio, actor="intake")
    with Session(engine) as session, session.begin():
        groot = casus_op_referentie(session, casus)
        for i in range(60):
            registreer_contact(session, groot, tijdstip=nu() - dt.timedelta(minutes=90 - i), vorm=ContactVorm.telefoon,
                               bereikt=False, medewerker=DOOR, regio=regio, notitie=f"Poging {i}")

    assert queries(casus) == queries(klein.casus_referentie)


# --- the links to the dossier -------------------------------------------------------------------------------------


def test_the_link_is_the_setting_plus_the_reference_and_nothing_personal(regio):
    from tasks.levensloop import dossierlink

    assert regio.regio.dossier_basis_url == "http://127.0.0.1:4200/dossier"
    assert dossierlink(regio, "VT-2026-000123") == "http://127.0.0.1:4200/dossier/casus/VT-2026-000123"


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_form_and_the_casus_artifact_link_to_the_dossier_by_reference_only(casus):
    """Staff open the dossier from the form they decide in (the help text of its first field, the
    one both Prefect UIs show without scrolling, and the line under the question in the new UI)
    and from the casus overview artifact. The link
    carries the casus reference and nothing else: no name, address, BSN or description enters
    Prefect."""
    from flows.formulieren import beslisformulier
    from tasks.artefacten import laatste_inhoud
    from tasks.levensloop import lees_stap, publiceer_casusoverzicht

    link = f"http://127.0.0.1:4200/dossier/casus/{casus}"
    stap = lees_stap.fn(casus)
    formulier = beslisformulier(Beslismoment(stap.moment), stap.teams, stap.beginwaarden, stap.kop, stap.toelichting)
    hulpteksten = [v.get("description") or "" for v in formulier.model_json_schema()["properties"].values()]
    publiceer_casusoverzicht.fn(casus)
    artefact = laatste_inhoud(f"casus-{casus.lower()}")

    assert [t for t in hulpteksten if f"Dossier: {link}" in t] != []
    assert f"[dossier]({link})" in stap.beschrijving  # the markdown above the form (new UI)
    assert f"[Dossier openen]({link})" in artefact
    for tekst in [*hulpteksten, stap.beschrijving, artefact]:
        for persoonlijk in (*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, "9999 AB", FICTIEVE_OMSCHRIJVING, HERMELDING,
                            BUURVROUW, NOTITIE):
            assert persoonlijk not in tekst
    assert re.findall(r"https?://\S+/dossier/\S+?(?=[)\s]|$)", " ".join([*hulpteksten, stap.beschrijving, artefact])) \
        == [link] * 3


def test_the_dossier_pages_cannot_reach_prefect():
    """Personal data shown on the dossier pages never enters Prefect: the app does not even load it."""
    import sys

    uit = subprocess.run([sys.executable, "-c", "import sys, web.dossier; print(sorted(m for m in sys.modules if "
                          "m.split('.')[0] in ('prefect', 'tasks', 'flows')))"],
                         check=True, capture_output=True, text=True).stdout
    assert uit.strip() == "[]"

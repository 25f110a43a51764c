"""The Prefect UI as staff use it, in headless Chromium: the deployments are there, the intake
form shows, and a casus waiting for its besluit is decided through the form in the UI.

Runs against a real Prefect server as start.sh starts it (the test harness serves no UI) with every
deployment served. Screenshots of the intake form and the decision form go to a temporary
folder, or, to refresh the ones in the README, to the folder in VT_SCHERMAFDRUKKEN:

    VT_SCHERMAFDRUKKEN=docs/screenshots ./test.sh tests/test_ui_browser.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from uuid import UUID

import pytest
from sqlmodel import Session, select

from tests.helpers import regio_voor_test
from tests.served import hervat, prefect_server, serveer, wacht_op_run

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

# CI installs Chromium (scripts/install.sh): there a missing browser is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()) and not os.environ.get("CI"),
    reason="chromium en chromium-driver ontbreken (scripts/install.sh installeert ze)",
)


@pytest.fixture(scope="module")
def prefect_ui(tmp_path_factory):
    """A Prefect server with its UI on a free port, with its own PREFECT_HOME."""
    with prefect_server(tmp_path_factory.mktemp("prefect-ui")) as api:
        yield api


@pytest.fixture
def systeem(prefect_ui, tmp_path, monkeypatch, smtp_server):
    import prefect.settings

    from models.opslag.db import maak_engine, migreer
    from models.regels.instellingen import instellingen
    from models.opslag.regio import synchroniseer

    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    regio_voor_test(tmp_path, monkeypatch, smtp_server, regio={"ui_basis_url": prefect_ui.removesuffix("/api")})
    database_url = f"sqlite:///{tmp_path}/casussen.db"
    monkeypatch.setenv("DATABASE_URL", database_url)
    migreer(database_url)
    engine = maak_engine(database_url)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen())
    with prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: prefect_ui}):
        with serveer(prefect_ui, database_url, tmp_path) as served:
            yield dict(api=prefect_ui, ui=prefect_ui.removesuffix("/api"), engine=engine, served=served)
    engine.dispose()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opties = webdriver.ChromeOptions()
    opties.binary_location = CHROMIUM
    for vlag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1700", f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"):
        opties.add_argument(vlag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opties)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


# --- small UI helpers ------------------------------------------------------------------------------


def wacht_op(browser, voorwaarde, timeout: float = 60, wat: str = ""):
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        try:
            if resultaat := voorwaarde(browser):
                return resultaat
        except Exception:  # the page is still rendering
            pass
        time.sleep(0.3)
    from selenium.webdriver.common.by import By

    browser.save_screenshot(str(Path(tempfile.gettempdir()) / "vt-ui-mislukt.png"))
    raise AssertionError(f"niet gevonden: {wat}\n{browser.find_element(By.TAG_NAME, 'body').text[:3000]}")


def knop(browser, tekst: str):
    from selenium.webdriver.common.by import By

    return wacht_op(browser, lambda b: next(k for k in b.find_elements(By.TAG_NAME, "button")
                                            if k.text.strip() == tekst and k.is_displayed()), wat=f"knop {tekst}")


def open_formulier(browser, ui: str, run_id) -> object:
    """Open the run page and its Resume dialog (the form)."""
    from selenium.webdriver.common.by import By

    browser.get(f"{ui}/runs/flow-run/{run_id}")
    wacht_op(browser, lambda b: "Suspended" in b.find_element(By.TAG_NAME, "body").text, wat="Suspended")
    knop(browser, "Resume").click()
    return wacht_op(browser, lambda b: b.find_element(By.CSS_SELECTOR, "[role=dialog]"), wat="formulier")


def veld(dialoog, titel: str):
    """The form field (label, help text and control) whose label starts with `titel`."""
    from selenium.webdriver.common.by import By

    label = next(e for e in dialoog.find_elements(By.CSS_SELECTOR, ".schema-form-property__label")
                 if tekst(e).strip().startswith(titel))
    return label.find_element(
        By.XPATH, "./ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' schema-form-property ')][1]")


def tekst(element) -> str:
    """All text of `element`, also the part scrolled out of view (Selenium's .text skips that)."""
    return element.get_attribute("textContent") or ""


def schermafdruk(browser, naam: str) -> None:
    """Screenshot with the form scrolled to its top, where its explanation stands."""
    browser.execute_script("document.querySelectorAll('.p-modal__body').forEach(e => e.scrollTop = 0)")
    map_ = Path(os.environ.get("VT_SCHERMAFDRUKKEN") or tempfile.mkdtemp(prefix="vt-schermafdrukken-"))
    map_.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(map_ / naam)), f"schermafdruk {naam} mislukt"


# --- the test ----------------------------------------------------------------------------------------


def test_staff_find_the_deployments_see_the_intake_form_and_decide_a_case_in_the_ui(systeem, browser):
    from prefect.deployments import run_deployment
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from models.opslag.casus import Casus, Melding
    from tests.test_levensloop_flows import formulier

    ui, api = systeem["ui"], systeem["api"]
    browser.get(f"{ui}/deployments")
    wacht_op(browser, lambda b: "melding registreren" in b.find_element(By.TAG_NAME, "body").text
             and "casus levensloop" in b.find_element(By.TAG_NAME, "body").text, wat="deployments")

    intake = run_deployment("melding-registreren/melding registreren", timeout=0)
    wacht_op_run(api, intake.id, "PAUSED", served=systeem["served"])
    dialoog = open_formulier(browser, ui, intake.id)
    wacht_op(browser, lambda b: "Nieuwe melding registreren" in tekst(dialoog) and "Uw naam" in tekst(dialoog),
             wat="intakeformulier")
    schermafdruk(browser, "intakeformulier.png")
    knop(browser, "Close").click()
    hervat(api, intake.id, formulier(90, "GM0907"))
    wacht_op_run(api, intake.id, "COMPLETED", served=systeem["served"])

    with Session(systeem["engine"]) as session:
        casus = session.exec(select(Casus).join(Melding).where(Melding.extern_id == str(intake.id))).one()
    wacht_op_run(api, casus.flow_run_id, "PAUSED", served=systeem["served"])
    dialoog = open_formulier(browser, ui, casus.flow_run_id)
    wacht_op(browser, lambda b: "Besluit na de veiligheidsbeoordeling" in tekst(dialoog), wat="besluitformulier")
    veld(dialoog, "Uw naam").find_element(By.CSS_SELECTOR, "textarea, input").send_keys("Medewerker in de UI")
    # The form says which decision it was made for: a copy left open in another tab is refused later.
    voor = veld(dialoog, "Formulier voor").find_element(By.CSS_SELECTOR, "textarea, input")
    assert voor.get_attribute("value") == f"{casus.referentie.lower()}-besluit-1"
    keuze = veld(dialoog, "Besluit")
    keuze.find_element(By.CSS_SELECTOR, "button, [role=combobox], select").click()
    optie = wacht_op(browser, lambda b: next(o for o in b.find_elements(By.XPATH, "//*[normalize-space(text())='afsluiten']")
                                             if o.is_displayed()), wat="keuze afsluiten")
    optie.click()
    schermafdruk(browser, "besluitformulier.png")
    knop(browser, "Submit").click()

    einde = time.monotonic() + 180
    while time.monotonic() < einde:
        with Session(systeem["engine"]) as session:
            status = session.exec(select(Casus.status).where(Casus.id == casus.id)).one()
        if status == "afgesloten":
            break
        time.sleep(0.5)
    assert status == "afgesloten", systeem["served"].log()[-4000:]

"""The Prefect UI as staff use it, in headless Chromium, in BOTH of Prefect's UIs (the new one
under /v2 and the classic one), through the gateway: a medewerker logs in, a melding is
registered, found on the work list (/werklijst) with its form ready and opened from there,
decided (first refused, then corrected without typing anything again), handed over
warmly with a driegesprek at 14:00 Dutch time, completed after the driegesprek and followed up in
monitoring. The test asserts what a person sees: the refusal reason inside the window when the
form opens, the typed values still there, the time shown as 14:00; nobody types their name, the
audit trail names the logged-in account, beheer sees the decisions in the access log, a gemeente
gets a refusal, and Prefect's database holds no personal data afterwards.

Runs against a real Prefect server as start.sh starts it (the test harness serves no UI; behind
the gateway, with its credential, on PostgreSQL) with every deployment served, in a window of a
common laptop (1400 x 900). Screenshots of every form go to a
temporary folder, or, to refresh the ones in the staff handbook, to the folder in VT_SCHERMAFDRUKKEN:

    VT_SCHERMAFDRUKKEN=docs/screenshots ./test.sh tests/test_ui_browser.py
"""

from __future__ import annotations

import os
import tempfile
import datetime as dt
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.conftest import SmtpServer
from tests.helpers import regio_voor_test
from tests.served import CHROMEDRIVER, CHROMIUM, casussysteem, chromium, hervat, prefect_server, wacht_op_run


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
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    regio_voor_test(tmp_path, monkeypatch, smtp_server, regio={"ui_basis_url": prefect_ui.removesuffix("/api")})
    database_url = f"sqlite:///{tmp_path}/casussen.db"
    monkeypatch.setenv("DATABASE_URL", database_url)
    with casussysteem(prefect_ui, database_url, tmp_path) as (engine, served):
        yield dict(api=prefect_ui, ui=prefect_ui.removesuffix("/api"), engine=engine, served=served)


@pytest.fixture(scope="module")
def achter_de_poort(tmp_path_factory):
    """The system as start.sh runs it: the Prefect server with its credential behind the gateway,
    every deployment served, local accounts for a medewerker, beheer and a gemeente. Both walks
    use it, each with a casus and a browser of its own."""
    import prefect.settings
    from cryptography.fernet import Fernet

    from tests.test_toegang import ACCOUNTS, SLEUTEL, _maak_accounts, prefect_database, toegangspoort

    map_ = tmp_path_factory.mktemp("achter-de-poort")
    database_url = f"sqlite:///{map_}/casussen.db"
    thuis = map_ / "prefect"
    thuis.mkdir()
    smtp = SmtpServer()
    smtp.start()
    with pytest.MonkeyPatch.context() as mp, prefect_database() as prefect_db, \
            prefect_server(thuis, {"PREFECT_SERVER_API_AUTH_STRING": SLEUTEL,
                                   "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db}) as api:
        mp.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
        mp.setenv("VT_DATA_MAP", str(map_ / "vt"))
        mp.setenv("DATABASE_URL", database_url)
        regio_voor_test(map_, mp, smtp)
        omgeving = {k: os.environ[k] for k in ("VT_ENCRYPTION_KEY", "VT_DATA_MAP", "VT_INSTELLINGEN", "DATABASE_URL")}
        with prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: api,
                                                  prefect.settings.PREFECT_API_AUTH_STRING: SLEUTEL}), \
                casussysteem(api, database_url, map_, extra={"PREFECT_API_AUTH_STRING": SLEUTEL}) as (engine, served):
            _maak_accounts(database_url)
            with toegangspoort(api.removesuffix("/api"), {**omgeving, "PREFECT_SERVER_API_AUTH_STRING": SLEUTEL},
                               map_) as poort:
                yield dict(api=api, ui=poort, engine=engine, served=served, prefect_db=prefect_db, accounts=ACCOUNTS)
    smtp.stop()


def log_in(browser, ui: str, account: str) -> None:
    """Log in at the gateway's page, as staff do."""
    from selenium.webdriver.common.by import By

    from tests.test_toegang import WACHTWOORD

    browser.get(f"{ui}/inloggen")
    wacht_op(browser, lambda b: b.find_element(By.ID, "account"), wat="inlogpagina").send_keys(account)
    browser.find_element(By.ID, "wachtwoord").send_keys(WACHTWOORD)
    browser.find_element(By.ID, "inloggen").click()
    wacht_op(browser, lambda b: account in b.find_element(By.TAG_NAME, "body").text, wat=f"ingelogd als {account}")


def log_uit(browser, ui: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{ui}/start")
    browser.find_element(By.ID, "uitloggen").click()
    wacht_op(browser, lambda b: "U bent uitgelogd" in b.find_element(By.TAG_NAME, "body").text, wat="uitgelogd")


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path) as driver:
        yield driver


# --- the two UIs --------------------------------------------------------------------------------------

# How each UI opens a suspended run's form and names its buttons. The new UI hides Resume in the
# run page's ⋮ menu ("Open menu"); the classic one shows it as a button.
UIS = {
    "nieuw": dict(pad="/v2", versturen="Resume", sluiten="Cancel"),
    "klassiek": dict(pad="", versturen="Submit", sluiten="Close"),
}


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


def knop(browser, tekst: str, binnen=None):
    from selenium.webdriver.common.by import By

    waar = binnen or browser
    return wacht_op(browser, lambda b: next(k for k in waar.find_elements(By.CSS_SELECTOR, "button, [role=menuitem]")
                                            if (k.text.strip() or k.get_attribute("aria-label") or "").strip() == tekst
                                            and k.is_displayed()), wat=f"knop {tekst}")


def open_formulier(browser, ui: str, weergave: str, run_id, titel: str):
    """Open the run page and its Resume dialog (the form); wait until the form shows `titel`."""
    from selenium.webdriver.common.by import By

    browser.get(f"{ui}{UIS[weergave]['pad']}/runs/flow-run/{run_id}")
    wacht_op(browser, lambda b: "Suspended" in b.find_element(By.TAG_NAME, "body").text, wat="Suspended")
    if weergave == "nieuw":
        knop(browser, "Open menu").click()
    knop(browser, "Resume").click()
    dialoog = wacht_op(browser, lambda b: b.find_element(By.CSS_SELECTOR, "[role=dialog]"), wat="formulier")
    wacht_op(browser, lambda b: titel in tekst(dialoog) and velden(dialoog, ""), wat=f"formulier {titel}")
    return dialoog


def velden(dialoog, titel: str) -> list:
    """The controls (a fieldset in both UIs) of the form fields whose label starts with `titel`."""
    from selenium.webdriver.common.by import By

    # Classic UI: span.schema-form-property__label; new UI: label. The control follows in a fieldset.
    return [label.find_element(By.XPATH, "./ancestor::div[.//fieldset][1]").find_element(By.TAG_NAME, "fieldset")
            for label in dialoog.find_elements(By.CSS_SELECTOR, ".schema-form-property__label, label[data-slot=label]")
            if tekst(label).strip().startswith(titel)]


def veld(dialoog, titel: str, nummer: int = 0):
    return velden(dialoog, titel)[nummer]


def invoer(dialoog, titel: str, nummer: int = 0):
    from selenium.webdriver.common.by import By

    return veld(dialoog, titel, nummer).find_element(By.CSS_SELECTOR, "textarea, input:not([type=hidden]):not([type=checkbox])")


def typ(dialoog, titel: str, waarde: str, nummer: int = 0) -> None:
    from selenium.webdriver.common.keys import Keys

    vak = invoer(dialoog, titel, nummer)
    for _ in range(3):  # a busy browser may drop the select-all: type until the field holds it
        vak.send_keys(Keys.CONTROL, "a")
        vak.send_keys(Keys.DELETE)
        vak.send_keys(waarde)
        if vak.get_attribute("value") == waarde:
            return
    raise AssertionError(f"{titel}: het vak toont {vak.get_attribute('value')!r}, niet {waarde!r}")


def gekozen(dialoog, titel: str) -> str:
    """The choice a choice field shows."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    bediening = veld(dialoog, titel)
    keuzelijst = bediening.find_elements(By.CSS_SELECTOR, "select")
    if keuzelijst:  # classic UI: a native select
        return Select(keuzelijst[0]).first_selected_option.text.strip()
    return bediening.find_element(By.CSS_SELECTOR, "button").text.strip()


def kies(browser, dialoog, titel: str, keuze: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    bediening = veld(dialoog, titel)
    keuzelijst = bediening.find_elements(By.CSS_SELECTOR, "select")
    if keuzelijst:
        Select(keuzelijst[0]).select_by_visible_text(keuze)
    else:  # new UI: a button opening a list
        bediening.find_element(By.CSS_SELECTOR, "button").click()
        wacht_op(browser, lambda b: next(o for o in b.find_elements(By.CSS_SELECTOR, "[role=option]")
                                         if o.is_displayed() and o.text.strip() == keuze), wat=f"keuze {keuze}").click()
    wacht_op(browser, lambda b: gekozen(dialoog, titel) == keuze, wat=f"{titel}: {keuze}")


def zet_aan(dialoog, titel: str) -> None:
    from selenium.webdriver.common.by import By

    veld(dialoog, titel).find_element(By.CSS_SELECTOR, "[role=switch]").click()


def tekst(element) -> str:
    """All text of `element`, also the part scrolled out of view (Selenium's .text skips that)."""
    return element.get_attribute("textContent") or ""


def in_beeld(browser, dialoog, woorden: str) -> bool:
    """Whether `woorden` stand on the screen as the form opens: the smallest element holding them
    has a height and lies inside the window and inside the form's visible part."""
    return browser.execute_script("""
        const [dialoog, woorden] = arguments;
        const houders = [...dialoog.querySelectorAll('*')].filter(e => e.textContent.includes(woorden));
        const kleinste = houders.filter(e => ![...e.children].some(k => k.textContent.includes(woorden)));
        return kleinste.some(e => {
            const r = e.getBoundingClientRect();
            if (r.height < 4 || r.top < 0 || r.bottom > window.innerHeight) return false;
            for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                const q = p.getBoundingClientRect(), stijl = getComputedStyle(p);
                if (['auto', 'scroll', 'hidden'].includes(stijl.overflowY) && (r.top < q.top - 1 || r.bottom > q.bottom + 1)) return false;
            }
            return true;
        });""", dialoog, woorden)


def schermafdruk(browser, naam: str) -> None:
    """Screenshot of the form as it opens (scrolled to its top)."""
    browser.execute_script("document.querySelectorAll('[role=dialog] *').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
    map_ = Path(os.environ.get("VT_SCHERMAFDRUKKEN") or tempfile.mkdtemp(prefix="vt-schermafdrukken-"))
    map_.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(map_ / naam)), f"schermafdruk {naam} mislukt"


# --- the walk ------------------------------------------------------------------------------------------


def _casus(systeem, intake_id):
    from models.opslag.casus import Casus, Melding

    with Session(systeem["engine"]) as session:
        return session.exec(select(Casus).join(Melding).where(Melding.extern_id == str(intake_id))).one()


def _status(systeem, casus_id) -> str:
    from models.opslag.casus import Casus

    with Session(systeem["engine"]) as session:
        return session.exec(select(Casus.status).where(Casus.id == casus_id)).one()


def _hele_minuut_na(moment: dt.datetime) -> dt.datetime:
    """The first whole minute at or after `moment`: the form takes hours and minutes."""
    afgerond = moment.replace(second=0, microsecond=0)
    return afgerond if afgerond == moment else afgerond + dt.timedelta(minutes=1)


def _nog_open(dialoog) -> bool:
    try:
        return dialoog.is_displayed()
    except Exception:  # closed and gone from the page
        return False


def _verstuur(browser, dialoog, weergave: str, run_id, systeem, verwacht: str = "PAUSED") -> float:
    """Press the form's send button and wait until the run asks its next form (or, with
    `verwacht="COMPLETED"`, ends); returns the seconds that took. A form the UI does not send
    fails with what the form shows."""
    from tests.served import _client

    with _client(systeem["api"]) as client:
        voor = client.read_flow_run(run_id).state.id
    knop(browser, UIS[weergave]["versturen"], dialoog).click()
    begin = time.monotonic()
    opnieuw = True
    with _client(systeem["api"]) as client:
        while client.read_flow_run(run_id).state.id == voor:
            if opnieuw and time.monotonic() > begin + 45 and _nog_open(dialoog):
                # A person whose click got no answer (the server busy) presses the button again.
                print(f"formulier na 45 s nog open, opnieuw verstuurd; het toont: {dialoog.text[:500]}")
                knop(browser, UIS[weergave]["versturen"], dialoog).click()
                opnieuw = False
            if time.monotonic() > begin + 120:
                browser.save_screenshot(str(Path(tempfile.gettempdir()) / "vt-ui-niet-verstuurd.png"))
                raise AssertionError(f"het formulier is niet verstuurd; het toont:\n{dialoog.text[:3000]}")
            time.sleep(0.3)
    wacht_op_run(systeem["api"], run_id, verwacht, served=systeem["served"])
    return time.monotonic() - begin


@pytest.mark.parametrize("weergave", ["nieuw", "klassiek"])
def test_staff_walk_a_melding_from_intake_through_a_warm_handover_to_monitoring_in_both_uis(achter_de_poort, browser,
                                                                                          weergave):
    from prefect.deployments import run_deployment
    from selenium.webdriver.common.by import By

    from models.regels.kalender import AMSTERDAM
    from tests.test_levensloop_flows import PERSOONSGEGEVENS, _bsn, formulier

    systeem = achter_de_poort
    ui, api, served = systeem["ui"], systeem["api"], systeem["served"]
    browser.get(f"{ui}{UIS[weergave]['pad']}/deployments")
    assert "/inloggen" in browser.current_url  # nothing without logging in first
    log_in(browser, ui, "m.medewerker")
    browser.get(f"{ui}{UIS[weergave]['pad']}/deployments")
    # Fifteen deployments: the list's first page (A to Z) shows the casus runs and the staff actions.
    wacht_op(browser, lambda b: "casus levensloop" in b.find_element(By.TAG_NAME, "body").text
             and "capaciteit wisselen" in b.find_element(By.TAG_NAME, "body").text, wat="deployments")

    # Intake of a household of two, the second person's BSN mistyped: refused, nothing lost.
    intake = run_deployment("melding-registreren/melding registreren", timeout=0)
    wacht_op_run(api, intake.id, "PAUSED", served=served)
    dialoog = open_formulier(browser, ui, weergave, intake.id, "Nieuwe melding registreren")
    assert "Uw naam" not in tekst(dialoog)  # the gateway knows who it is
    schermafdruk(browser, f"{weergave}-intake.png")
    knop(browser, UIS[weergave]["sluiten"], dialoog).click()
    melding = formulier(90 if weergave == "nieuw" else 91, "GM0907")
    del melding["door"]
    melding["personen"][1]["bsn"] = "123456789"
    hervat(api, intake.id, melding)
    wacht_op_run(api, intake.id, "PAUSED", served=served)
    dialoog = open_formulier(browser, ui, weergave, intake.id, "Niet opgeslagen")
    assert in_beeld(browser, dialoog, "Tweede persoon, BSN: is geen geldig BSN")
    assert "personen.1" not in tekst(dialoog)
    schermafdruk(browser, f"{weergave}-intake-geweigerd.png")
    namen = [vak.get_attribute("value") for vak in dialoog.find_elements(By.CSS_SELECTOR, "textarea, input")]
    assert melding["personen"][0]["naam"] in namen and melding["personen"][1]["naam"] in namen  # kept
    typ(dialoog, "BSN", _bsn(92 if weergave == "nieuw" else 93), nummer=1)
    _verstuur(browser, dialoog, weergave, intake.id, systeem, verwacht="COMPLETED")
    casus = _casus(systeem, intake.id)
    run_id = casus.flow_run_id

    # The besluit: an overdracht without a lokaal team is refused; corrected without retyping.
    wacht_op_run(api, run_id, "PAUSED", served=served)
    # The casus is on the work list with its form ready; its link opens the run's page with Resume.
    browser.get(f"{ui}/start")
    browser.find_element(By.ID, "werklijst").click()
    rij = wacht_op(browser, lambda b: next(r for r in b.find_elements(By.CSS_SELECTOR, "#werklijst tr")
                                           if casus.referentie in r.text), wat="casus in de werklijst")
    assert "Gennep" in rij.text and "Formulier klaar" in rij.text
    schermafdruk(browser, f"{weergave}-werklijst.png")
    rij.find_element(By.LINK_TEXT, "nieuwe weergave" if weergave == "nieuw" else "Formulier openen").click()
    wacht_op(browser, lambda b: "Suspended" in b.find_element(By.TAG_NAME, "body").text, wat="run vanuit de werklijst")
    assert browser.current_url.split("?")[0] == f"{ui}{UIS[weergave]['pad']}/runs/flow-run/{run_id}"  # the UI may add a tab
    if weergave == "nieuw":
        knop(browser, "Open menu").click()
    knop(browser, "Resume")
    dialoog = open_formulier(browser, ui, weergave, run_id, "Besluit na de veiligheidsbeoordeling")
    assert in_beeld(browser, dialoog, f"Casus {casus.referentie}, gemeente Gennep")
    assert in_beeld(browser, dialoog, "Termijnen: veiligheidsbeoordeling vervalt")
    assert in_beeld(browser, dialoog, "Lokale teams van Gennep: Consulenten Sociaal Domein Gennep")
    assert "(Optional)" not in tekst(dialoog) and gekozen(dialoog, "Bij overdracht: soort") == "Warm"
    # From the form to the casus's dossier (the form carries only its address; what the melding
    # is about is read there, behind the gateway, never in Prefect).
    pad = f"/dossier/casus/{casus.referentie}"
    assert pad in tekst(dialoog)
    browser.get(f"{ui}{pad}")
    wacht_op(browser, lambda b: melding["omschrijving"] in b.find_element(By.TAG_NAME, "body").text
             and melding["personen"][1]["naam"] in b.find_element(By.TAG_NAME, "body").text, wat="dossier")
    schermafdruk(browser, f"{weergave}-dossier.png")
    dialoog = open_formulier(browser, ui, weergave, run_id, "Besluit na de veiligheidsbeoordeling")
    kies(browser, dialoog, "Besluit", "Overdracht")
    kies(browser, dialoog, "Bij overdracht, V&V of samen optrekken: lokaal team", "Niet van toepassing")
    schermafdruk(browser, f"{weergave}-besluit.png")
    _verstuur(browser, dialoog, weergave, run_id, systeem)
    dialoog = open_formulier(browser, ui, weergave, run_id, "Niet verwerkt")
    assert in_beeld(browser, dialoog, "Kies bij een overdracht het lokaal team.")
    assert gekozen(dialoog, "Besluit") == "Overdracht"
    schermafdruk(browser, f"{weergave}-besluit-geweigerd.png")
    kies(browser, dialoog, "Bij overdracht, V&V of samen optrekken: lokaal team", "Consulenten Sociaal Domein Gennep")
    _verstuur(browser, dialoog, weergave, run_id, systeem)
    assert _status(systeem, casus.id) == "overdracht"

    # Gennep prefers a warm handover: the driegesprek, tomorrow at 14:00 Dutch time.
    dialoog = open_formulier(browser, ui, weergave, run_id, "Warme overdracht: plan het driegesprek")
    typ(dialoog, "Datum en tijd van het driegesprek: tijd", "14:00")
    kies(browser, dialoog, "Locatie", "Gemeentehuis")
    schermafdruk(browser, f"{weergave}-driegesprek.png")
    _verstuur(browser, dialoog, weergave, run_id, systeem)
    morgen = dt.datetime.now(AMSTERDAM).date() + dt.timedelta(days=1)

    # Completing before the driegesprek is refused, showing the planned time as 14:00.
    dialoog = open_formulier(browser, ui, weergave, run_id, "Overdracht afronden")
    assert in_beeld(browser, dialoog, f"driegesprek {'ma di wo do vr za zo'.split()[morgen.weekday()]} {morgen:%d-%m-%Y} 14:00")
    stap = _verstuur(browser, dialoog, weergave, run_id, systeem)
    dialoog = open_formulier(browser, ui, weergave, run_id, "Niet verwerkt")
    assert in_beeld(browser, dialoog, f"Het driegesprek is gepland op {morgen:%d-%m-%Y} om 14:00 en heeft nog niet plaatsgevonden.")
    schermafdruk(browser, f"{weergave}-afronden-geweigerd.png")
    # The driegesprek was moved to within the next minutes: said so, with the new date and time. A
    # moment already passed when the form is read is refused: the next whole minute at least three
    # times the last step (and 60 s) ahead, as steps under a loaded machine vary that much.
    straks = _hele_minuut_na(dt.datetime.now(AMSTERDAM) + dt.timedelta(seconds=max(60.0, 3 * stap)))
    zet_aan(dialoog, "Bij een warme overdracht: het driegesprek is verplaatst")
    typ(dialoog, "Nieuw moment van het driegesprek: datum", f"{straks:%d-%m-%Y}")
    typ(dialoog, "Nieuw moment van het driegesprek: tijd", f"{straks:%H:%M}")
    _verstuur(browser, dialoog, weergave, run_id, systeem)
    dialoog = open_formulier(browser, ui, weergave, run_id, "Overdracht afronden")
    assert in_beeld(browser, dialoog, f"{straks:%d-%m-%Y %H:%M}")
    assert "Niet verwerkt" not in tekst(dialoog)
    schermafdruk(browser, f"{weergave}-afronden.png")

    # Until the driegesprek: the run list shows the gemeente by name in the tags, and a gemeente
    # gets its reports, and a refusal on the Prefect UI and on any dossier.
    browser.get(f"{ui}{UIS[weergave]['pad']}/runs/flow-run/{run_id}")
    wacht_op(browser, lambda b: "gemeente:Gennep" in b.find_element(By.TAG_NAME, "body").text, wat="tag gemeente:Gennep")
    log_uit(browser, ui)
    log_in(browser, ui, "g.gennep")
    assert browser.current_url.endswith("/rapporten/") and "Rapporten voor Gennep" in browser.page_source
    for pad in (f"{UIS[weergave]['pad']}/runs", f"/dossier/casus/{casus.referentie}", "/werklijst/"):
        browser.get(f"{ui}{pad}")
        assert "Geen toegang" in browser.find_element(By.TAG_NAME, "body").text, pad
    log_uit(browser, ui)
    log_in(browser, ui, "m.medewerker")

    # After the driegesprek the handover is completed.
    time.sleep(max(0.0, (straks - dt.datetime.now(AMSTERDAM)).total_seconds()))
    dialoog = open_formulier(browser, ui, weergave, run_id, "Overdracht afronden")
    _verstuur(browser, dialoog, weergave, run_id, systeem)
    assert _status(systeem, casus.id) == "monitoring"

    dialoog = open_formulier(browser, ui, weergave, run_id, "Controlemoment monitoring")
    assert gekozen(dialoog, "Bij buiten beeld: reden") == "Niet van toepassing"
    assert "BuitenBeeldReden" not in tekst(dialoog) and "None" not in tekst(dialoog)
    schermafdruk(browser, f"{weergave}-monitoring.png")

    # The audit trail names the logged-in account for every decision; nobody typed a name.
    from models.opslag.casus import AuditEvent

    with Session(systeem["engine"]) as session:
        actoren = {e.actor for e in session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id))}
    assert "m.medewerker" in actoren and actoren <= {"m.medewerker", "orkestratie", "systeem"}, actoren

    # Beheer sees in the access log exactly what this walk did: the dossier opened once, then the decisions.
    log_uit(browser, ui)
    log_in(browser, ui, "b.beheer")
    browser.get(f"{ui}/beheer/inzage/{casus.referentie}")
    regels = wacht_op(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#inzagelog tr")[1:], wat="inzagelog")
    # Six forms of this casus sent: the besluit twice, the driegesprek, the completion three times.
    assert [r.text.split()[-3:-1] for r in regels] == [["dossier", "bekeken"]] + [["besluit", "genomen"]] * 6, \
        [r.text for r in regels]
    assert all("m.medewerker" in r.text for r in regels)

    # Nothing of the household reached Prefect's database.
    aantallen, dump = _prefect_database(systeem["prefect_db"])
    assert aantallen["flow_run"] > 0 and aantallen["log"] > 0
    assert [g for g in PERSOONSGEGEVENS if g in dump] == []


def _prefect_database(url: str) -> tuple[dict[str, int], str]:
    """Every row of every table of the Prefect server's database, as text (as test_levensloop_flows)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url.replace("+asyncpg", "", 1)) as verbinding:
        tabellen = [t for (t,) in verbinding.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        aantallen, regels = {}, []
        for tabel in tabellen:
            rijen = verbinding.execute(sql.SQL("SELECT t::text FROM {} AS t").format(sql.Identifier(tabel))).fetchall()
            aantallen[tabel] = len(rijen)
            regels.extend(r for (r,) in rijen)
    return aantallen, "\n".join(regels)

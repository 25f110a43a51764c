"""Benchmark: how long staff wait in the Prefect UI, measured in headless Chromium.

    .venv/bin/python benchmarks/stap_benchmark.py [--stappen 9] [--belasting 1] [--modus voor na]

Starts the system as start.sh does (scripts/prefect_server.py with its UI, `python -m
deployments.serve`, a loopback SMTP sink) on free ports with its own temporary folders, once per
mode, and walks one casus in Venlo through real decisions in the browser: besluit "overdracht" →
overdracht afronden → monitoring "niet veilig" → besluit again, and so on. Each step: open the
form with *Resume*, fill it in, *Submit*, and time until the NEXT form can be opened on the same
page (the browser stays on the run page, as a person does; the UI shows the new state when it
polls). Before the steps, an intake: submitted through the API (the request the UI's *Submit*
sends), timed until the casus run waits with its form.

Per step the state history in Prefect gives the breakdown: submit → Resuming (API), → Pending
(the runner's poll), → Running (process start and imports), → Suspended (the flow body; the
slowest tasks are listed), → the form visible in the browser.

Modes (each from its own fresh system, in one run of this script):
- `voor`: the settings and code path before issue 13 (runner polls every 2 s, every run a fresh
  `spawn` interpreter, the UI's own 5 s refresh only);
- `na`: what start.sh uses now.

`--belasting N` keeps N busy-looping processes running during the measurement ("other work on
the machine"); the load average is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from uuid import UUID

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# What each mode sets for the serving process and the Prefect server (UI).
MODI: dict[str, dict[str, str]] = {
    "voor": {"VT_RUNNER_POLL_SECONDEN": "2", "VT_RUNS_VOORGELADEN": "false", "VT_UI_VOLGT_RUN": "false"},
    "na": {},  # tests/served.py's defaults = start.sh's settings
}

# The cycle of decisions: (question shown above the form, {field label: value typed or chosen}).
TITELS = ("Besluit na de veiligheidsbeoordeling", "Overdracht afronden", "Controlemoment monitoring")
# A field each form shows once it is rendered (the title above it is shown before the fields).
TITELS_VELD = {TITELS[0]: "Besluit", TITELS[1]: "Bij een warme overdracht", TITELS[2]: "Uitkomst"}
CYCLUS = [
    (TITELS[0], {"Besluit": ("Overdracht",)}),  # the form shows Dutch words
    (TITELS[1], {}),
    (TITELS[2], {"Uitkomst": ("Niet veilig",)}),
]


class _Omgeving:
    """What tests.helpers.regio_voor_test expects of pytest's monkeypatch."""

    def setenv(self, naam: str, waarde: str) -> None:
        os.environ[naam] = waarde


# --- the system ------------------------------------------------------------------------------------


@contextmanager
def systeem(map_: Path, instellingen: dict[str, str], smtp):
    from cryptography.fernet import Fernet

    from tests.helpers import regio_voor_test
    from tests.served import casussysteem, prefect_server

    thuis = map_ / "prefect"
    thuis.mkdir(parents=True)
    os.environ.update(VT_DATA_MAP=str(map_ / "vt"), VT_ENCRYPTION_KEY=Fernet.generate_key().decode())
    database_url = f"sqlite:///{map_}/casussen.db"
    os.environ["DATABASE_URL"] = database_url
    with prefect_server(thuis, instellingen) as api:
        regio_voor_test(map_, _Omgeving(), smtp, regio={"ui_basis_url": api.removesuffix("/api")})
        with casussysteem(api, database_url, map_, extra=instellingen) as (engine, served):
            yield api, engine, served


@contextmanager
def belasting(aantal: int):
    """`aantal` processes that keep a core busy, as other work on the machine does."""
    processen = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(aantal)]
    try:
        yield
    finally:
        for p in processen:
            p.kill()
            p.wait()


# --- the browser ------------------------------------------------------------------------------------


def _tekst(element) -> str:
    return element.get_attribute("textContent") or ""


def _knoppen(browser, tekst: str):
    from selenium.webdriver.common.by import By

    return [k for k in browser.find_elements(By.CSS_SELECTOR, "button, [role=menuitem]")
            if (k.text.strip() or k.get_attribute("aria-label") or "").strip() == tekst and k.is_displayed()]


def klik(browser, knop) -> None:
    """Click as a person does. Selenium's own click() holds about 3 s before Chrome even sends
    the form (chromedriver waits for the page to settle; measured: /ui/schemas/validate left
    3.0 s after the click, against 0.3 s with this click), which no person's mouse does."""
    browser.execute_script("arguments[0].click()", knop)


def _sluit_dialoog(browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    for knop in _knoppen(browser, "Close") + _knoppen(browser, "Cancel"):
        try:
            knop.click()
            return
        except Exception:
            pass
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def open_formulier(browser, titel: str, nieuw: bool, timeout: float = 900) -> tuple[object, float]:
    """Open *Resume* until the dialog shows the form with `titel` (not the previous one, which the
    page shows until it notices the new state). Returns the dialog and the moment the successful
    attempt began (when a person looking at the page could have seen it)."""
    from selenium.webdriver.common.by import By

    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        begin = time.monotonic()
        try:
            if nieuw and "Suspended" in browser.find_element(By.TAG_NAME, "body").text:
                # The new UI keeps Resume in this menu; it opens on a pointer press, which only
                # Selenium's own click sends (it does not hold these clicks).
                _knoppen(browser, "Open menu")[0].click()
                time.sleep(0.1)
            knoppen = _knoppen(browser, "Resume")
            if knoppen and "Suspended" in browser.find_element(By.TAG_NAME, "body").text:
                knoppen[0].click()
                tot = time.monotonic() + 5
                while time.monotonic() < tot:
                    dialogen = browser.find_elements(By.CSS_SELECTOR, "[role=dialog]")
                    inhoud = _tekst(dialogen[0]) if dialogen else ""
                    if titel in inhoud and _veld(dialogen[0], TITELS_VELD[titel]) is not None:
                        return dialogen[0], begin
                    if any(t in inhoud for t in TITELS if t != titel):
                        break  # the page still shows the previous state
                    time.sleep(0.05)
                _sluit_dialoog(browser)
                # As a person would, look at the page a moment before trying again: the page
                # follows its run only while no form is open (scripts/ui_volgt_run.js).
                time.sleep(1.2)
        except Exception:  # the page re-rendered under us
            pass
        time.sleep(0.2)
    from selenium.webdriver.common.by import By

    browser.save_screenshot(str(Path(tempfile.gettempdir()) / "vt-stap-benchmark.png"))
    raise AssertionError(f"formulier '{titel}' niet verschenen:\n{browser.find_element(By.TAG_NAME, 'body').text[:3000]}")


def _veld(dialoog, titel: str):
    """The control of the field labelled `titel` (classic UI: span label; new UI: label), or None."""
    from selenium.webdriver.common.by import By

    labels = [e for e in dialoog.find_elements(By.CSS_SELECTOR, ".schema-form-property__label, label[data-slot=label]")
              if _tekst(e).strip().startswith(titel)]
    return labels[0].find_element(By.XPATH, "./ancestor::div[.//fieldset][1]").find_element(By.TAG_NAME, "fieldset") \
        if labels else None


def vul_in(browser, dialoog, keuzes: dict[str, tuple[str, ...]]) -> None:
    from selenium.webdriver.common.by import By

    from selenium.webdriver.support.ui import Select

    if (naam := _veld(dialoog, "Uw naam")) is not None:  # gone once the log-in names the person
        vak = naam.find_element(By.CSS_SELECTOR, "textarea, input")
        vak.clear()
        vak.send_keys("Medewerker benchmark")
    for label, opties in keuzes.items():
        bediening = _veld(dialoog, label)
        if keuzelijst := bediening.find_elements(By.CSS_SELECTOR, "select"):  # classic UI
            keuzelijst = Select(keuzelijst[0])
            keuzelijst.select_by_visible_text(next(o.text.strip() for o in keuzelijst.options if o.text.strip() in opties))
            continue
        bediening.find_element(By.CSS_SELECTOR, "button").click()
        einde = time.monotonic() + 10
        while True:
            gevonden = [o for o in browser.find_elements(By.CSS_SELECTOR, "[role=option]")
                        if o.is_displayed() and o.text.strip() in opties]
            if gevonden:
                gevonden[0].click()
                break
            if time.monotonic() > einde:
                raise AssertionError(f"keuze {opties} niet gevonden bij {label}")
            time.sleep(0.1)


# --- where the time goes (Prefect's state history) ----------------------------------------------------


def ui_verzoeken(browser, submit: dt.datetime) -> list[tuple[str, float, float]]:
    """The UI's POST requests since the last call: (path, start after `submit`, duration) in s."""
    import json

    begonnen: dict[str, tuple[str, float, float]] = {}
    klaar: list[tuple[str, float, float]] = []
    for regel in browser.get_log("performance"):
        bericht = json.loads(regel["message"])["message"]
        p = bericht.get("params", {})
        if bericht["method"] == "Network.requestWillBeSent" and p["request"]["method"] == "POST":
            pad = p["request"]["url"].split("/api", 1)[-1]
            begonnen[p["requestId"]] = (pad, p["wallTime"] - submit.timestamp(), p["timestamp"])
        elif bericht["method"] in ("Network.loadingFinished", "Network.loadingFailed") and p["requestId"] in begonnen:
            pad, start, t0 = begonnen.pop(p["requestId"])
            klaar.append((pad, start, p["timestamp"] - t0))
    return klaar


def uitsplitsing(api: str, run_id: UUID, submit: dt.datetime, zichtbaar: dt.datetime) -> dict[str, float]:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with SyncPrefectClient(api) as client:
        staten = [s for s in client.read_flow_run_states(run_id) if s.timestamp >= submit]
        taken = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    staten.sort(key=lambda s: s.timestamp)

    def eerste(soort: str) -> dt.datetime | None:
        return next((s.timestamp for s in staten if s.type.value == soort), None)

    punten = [("submit", submit), ("resuming", eerste("SCHEDULED")), ("pending", eerste("PENDING")),
              ("running", eerste("RUNNING")), ("suspended", eerste("PAUSED")), ("zichtbaar", zichtbaar)]
    delen: dict[str, float] = {}
    for (_, van), (naar_naam, naar) in zip(punten, punten[1:]):
        if van is not None and naar is not None:
            delen[naar_naam] = (naar - van).total_seconds()
    running, suspended = eerste("RUNNING"), eerste("PAUSED")
    if running and suspended:
        in_stap = [t for t in taken if t.start_time and running <= t.start_time <= suspended and t.end_time]
        per_taak: dict[str, float] = {}
        for t in in_stap:
            naam = t.name.rsplit("-", 1)[0]
            per_taak[naam] = per_taak.get(naam, 0.0) + (t.end_time - t.start_time).total_seconds()
        delen["taken"] = sum(per_taak.values())
        delen["aantal_taken"] = len(in_stap)
        delen["traagste"] = sorted(per_taak.items(), key=lambda kv: -kv[1])[:3]
    return delen


# --- one mode ---------------------------------------------------------------------------------------


def meet(modus: str, stappen: int, ui_pad: str, smtp) -> dict:
    from prefect.deployments import run_deployment
    from sqlmodel import Session, select

    from models.opslag.casus import Casus, Melding
    from tests.served import chromium, hervat, wacht_op_run
    from tests.test_levensloop_flows import formulier

    with ExitStack() as stapel:
        map_ = Path(stapel.enter_context(tempfile.TemporaryDirectory(prefix=f"vt-stap-{modus}-")))
        api, engine, served = stapel.enter_context(systeem(map_, MODI[modus], smtp))
        ui = api.removesuffix("/api") + ui_pad
        driver = stapel.enter_context(chromium(map_, hoogte=1700, verzoeken_loggen=True))  # the UI's requests, for the breakdown

        # Intake: submit → the casus run waits with its form.
        intake = run_deployment("melding-registreren/melding registreren", timeout=0)
        wacht_op_run(api, intake.id, "PAUSED", served=served)
        begin = time.monotonic()
        hervat(api, intake.id, formulier(1, "GM0983"))
        casus_run = None
        while casus_run is None:
            if time.monotonic() - begin > 900:
                raise AssertionError(f"de intake maakte geen casus:\n{served.log()[-5000:]}")
            with Session(engine) as session:
                casus_run = session.exec(select(Casus.flow_run_id).join(Melding, Melding.casus_id == Casus.id)
                                         .where(Melding.extern_id == str(intake.id))).first()
            time.sleep(0.05)
        wacht_op_run(api, casus_run, "PAUSED", served=served, interval=0.05)
        intake_s = time.monotonic() - begin

        driver.get(f"{ui}/runs/flow-run/{casus_run}")
        metingen = []
        for n in range(stappen + 1):
            titel, keuzes = CYCLUS[n % len(CYCLUS)]
            dialoog, zichtbaar = open_formulier(driver, titel, nieuw=ui_pad == "/v2")
            if n > 0:  # the time since the previous submit
                vorige = metingen[-1]
                vorige["zichtbaar_s"] = zichtbaar - vorige["klik"]
                vorige["delen"] = uitsplitsing(api, UUID(str(casus_run)), vorige["submit"],
                                               vorige["submit"] + dt.timedelta(seconds=vorige["zichtbaar_s"]))
                verzoeken = ui_verzoeken(driver, vorige["submit"])
                print("    " + ", ".join(f"{pad} +{start:.1f}s ({duur:.1f}s)" for pad, start, duur in verzoeken
                                         if start > -1 and "/filter" not in pad and "/count" not in pad), flush=True)
                print(f"  [{modus}] stap {n}: {vorige['titel']} → {titel}: {vorige['zichtbaar_s']:.1f} s "
                      f"{_kort(vorige['delen'])}", flush=True)
            if n == stappen:
                break
            vul_in(driver, dialoog, keuzes)
            knop = next(k for k in _knoppen(driver, "Resume" if ui_pad == "/v2" else "Submit"))
            ui_verzoeken(driver, dt.datetime.now(dt.timezone.utc))  # forget the ones before
            metingen.append({"titel": titel, "submit": dt.datetime.now(dt.timezone.utc), "klik": time.monotonic()})
            klik(driver, knop)
        return {"intake_s": intake_s, "stappen": metingen, "log": served.log()}


def _kort(delen: dict) -> str:
    return " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in delen.items())


def _p(waarden: list[float], q: float) -> float:
    waarden = sorted(waarden)
    return waarden[min(len(waarden) - 1, round(q * (len(waarden) - 1)))]


def rapport(resultaten: dict[str, dict]) -> None:
    kolommen = ("resuming", "pending", "running", "suspended", "zichtbaar")
    print("\n| mode | steps | submit → next form visible p50 | p95 | max | intake submit → casus run waiting |")
    print("|---|---:|---:|---:|---:|---:|")
    for modus, r in resultaten.items():
        tijden = [s["zichtbaar_s"] for s in r["stappen"]]
        print(f"| {modus} | {len(tijden)} | {statistics.median(tijden):.1f} s | {_p(tijden, 0.95):.1f} s | "
              f"{max(tijden):.1f} s | {r['intake_s']:.1f} s |")
    print("\nMedian per part of a step (s):\n")
    print("| mode | submit → Resuming | → Pending (poll) | → Running (process, imports) | → Suspended (flow body) "
          "| → visible in the UI | of which in tasks | tasks per step |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for modus, r in resultaten.items():
        mediaan = {k: statistics.median([s["delen"].get(k, 0.0) for s in r["stappen"]]) for k in (*kolommen, "taken", "aantal_taken")}
        print(f"| {modus} | " + " | ".join(f"{mediaan[k]:.1f}" for k in kolommen)
              + f" | {mediaan['taken']:.1f} | {mediaan['aantal_taken']:.0f} |")
    for modus, r in resultaten.items():
        print(f"\n{modus}: slowest tasks per step: " + "; ".join(
            ", ".join(f"{naam} {s:.1f}" for naam, s in stap["delen"].get("traagste", [])) for stap in r["stappen"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stappen", type=int, default=9, help="beslissingen per modus")
    parser.add_argument("--belasting", type=int, default=1, help="aantal processen dat een kern bezig houdt")
    parser.add_argument("--modus", nargs="+", default=["voor", "na"], choices=sorted(MODI))
    parser.add_argument("--ui-pad", default="", choices=["/v2", ""],
                        help="'' = de klassieke UI; '/v2' = de nieuwe (die medewerkers gebruiken; de meting "
                             "blijft daar na de eerste stap hangen, zie BENCHMARKS.md)")
    args = parser.parse_args()

    from tests.conftest import SmtpServer

    smtp = SmtpServer()
    smtp.start()
    resultaten = {}
    try:
        print(f"load average at the start: {os.getloadavg()}, cores: {os.cpu_count()}", flush=True)
        with belasting(args.belasting):
            for modus in args.modus:
                resultaten[modus] = meet(modus, args.stappen, args.ui_pad, smtp)
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        smtp.stop()
    rapport(resultaten)


if __name__ == "__main__":
    main()

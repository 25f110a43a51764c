"""Serve every deployment of the system, as production does (`python -m deployments.serve`), in a
subprocess against a given Prefect API, for tests that need real deployments (suspend/resume
only works for runs started from a deployment).

    with serveer(api_url, database_url, tmp_path) as serve:
        ...   # serve.log() shows what the process printed

`wacht_op_run_status` and `hervat` help a test drive suspended runs the way staff do in the UI.
`GedeeldSysteem` is the one served system the scenario modules share (conftest: `systeem`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from tests.conftest import SmtpServer, vrije_poort

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

REPO = Path(__file__).resolve().parent.parent
DEPLOYMENTS = ("melding-registreren/melding registreren", "casus-levensloop/casus levensloop")


@contextmanager
def prefect_server(thuis: Path, omgeving: dict[str, str] | None = None) -> Iterator[str]:
    """`python scripts/prefect_server.py` (as start.sh runs it) on a free port with its own home
    `thuis`; `omgeving` adds settings. Yields the API URL once the server answers."""
    poort = vrije_poort()
    api = f"http://127.0.0.1:{poort}/api"
    env = {**os.environ, "PREFECT_HOME": str(thuis), "PREFECT_API_URL": api, "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",  # as start.sh
           **(omgeving or {})}
    with open(thuis / "server.log", "wb") as log:
        proces = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "prefect_server.py"), "--host", "127.0.0.1", "--port", str(poort)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        einde = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as antwoord:
                    if antwoord.status == 200:
                        break
            except OSError:
                if time.monotonic() > einde or proces.poll() is not None:
                    raise RuntimeError((thuis / "server.log").read_text()) from None
                time.sleep(0.5)
        yield api
    finally:
        os.killpg(proces.pid, signal.SIGTERM)
        proces.wait(timeout=30)


@dataclass
class Served:
    proces: subprocess.Popen
    logbestand: Path
    opslag: Path

    def log(self) -> str:
        return self.logbestand.read_text(errors="replace")


def _client(api_url: str):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.settings import PREFECT_API_AUTH_STRING

    # A server behind the gateway answers only with its credential (tests/test_toegang*.py).
    return SyncPrefectClient(api_url, auth_string=PREFECT_API_AUTH_STRING.value())


def omgeving(api_url: str, database_url: str, opslag: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the serve process: the test's API, database, settings and key, with
    start.sh's settings (`extra` overrides them)."""
    env = dict(os.environ)
    env.update(
        PREFECT_API_URL=api_url,
        VT_RUNNER_POLL_SECONDEN="0.5",  # as start.sh
        PREFECT_RUNNER_PROCESS_LIMIT="20",  # as start.sh: the crash test freezes six runs at once
        PREFECT_RESULTS_PERSIST_BY_DEFAULT="true",
        PREFECT_LOCAL_STORAGE_PATH=str(opslag),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DATABASE_URL=database_url,
        PYTHONPATH=str(REPO),
    )
    for naam in ("VT_INSTELLINGEN", "VT_ENCRYPTION_KEY", "VT_DATA_MAP"):
        if naam in os.environ:
            env[naam] = os.environ[naam]
    return {**env, **(extra or {})}


@contextmanager
def serveer(api_url: str, database_url: str, map: Path, timeout: float = 90,
            extra: dict[str, str] | None = None) -> Iterator[Served]:
    """Start `python -m deployments.serve` and wait until its deployments are registered;
    `extra` overrides settings of its environment."""
    opslag = map / "prefect-resultaten"
    opslag.mkdir(parents=True, exist_ok=True)
    logbestand = map / "serve.log"
    with open(logbestand, "wb") as log:
        proces = subprocess.Popen(
            [sys.executable, "-m", "deployments.serve"], cwd=REPO, env=omgeving(api_url, database_url, opslag, extra),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    served = Served(proces, logbestand, opslag)
    try:
        _wacht_op_deployments(api_url, served, timeout)
        yield served
    finally:
        _stop(proces)


@contextmanager
def casussysteem(api_url: str, database_url: str, map: Path, extra: dict[str, str] | None = None):
    """The system as start.sh runs it, against the Prefect server at `api_url`: the case store
    migrated and in line with the active settings, every deployment served. Yields (engine, served)."""
    import prefect.settings
    from sqlmodel import Session

    from models.opslag.db import maak_engine, migreer
    from models.opslag.regio import synchroniseer
    from models.regels.instellingen import instellingen

    migreer(database_url)
    engine = maak_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            synchroniseer(session, instellingen())
        with prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: api_url}):
            with serveer(api_url, database_url, map, extra=extra) as served:
                yield engine, served
    finally:
        engine.dispose()


@dataclass
class Systeem:
    """A served system as the scenario tests drive it; `omgeving` is what its processes were
    started with (settings, case store, key, data folder), for the test process to use too."""

    api_url: str
    database_url: str
    engine: object
    smtp: SmtpServer
    map: Path
    served: Served | None = None
    omgeving: dict[str, str] = field(default_factory=dict)

    def casus(self, referentie: str):
        from sqlmodel import Session, select

        from models.opslag.casus import Casus

        with Session(self.engine) as session:
            return session.exec(select(Casus).where(Casus.referentie == referentie)).one()

    def audit(self, referentie: str) -> list:
        from sqlmodel import Session, select

        from models.opslag.casus import AuditEvent

        with Session(self.engine) as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.casus_id == self.casus(referentie).id)
                                     .order_by(AuditEvent.id)))

    def tellingen(self, referenties: list[str]) -> dict:
        """Every side effect for the casussen `referenties`, counted: audit events, letters,
        notifications, decisions, meldingen, and the mails naming one of them."""
        from sqlmodel import Session, select

        from models.opslag.casus import AuditEvent, Casus, Melding
        from models.opslag.communicatie import Brief, Notificatie
        from models.opslag.overdracht import Beslissing

        with Session(self.engine) as session:
            ids = session.exec(select(Casus.id).where(Casus.referentie.in_(referenties))).all()
            tel = {naam: len(session.exec(select(tabel.id).where(tabel.casus_id.in_(ids))).all())
                   for naam, tabel in (("audit", AuditEvent), ("brieven", Brief), ("notificaties", Notificatie),
                                       ("beslissingen", Beslissing), ("meldingen", Melding))}
        tel["mails"] = len([b for b in list(self.smtp.berichten) if any(r in _inhoud(b) for r in referenties)])
        return tel


def _inhoud(bericht) -> str:
    """Subject and text of a received e-mail."""
    deel = bericht.get_body(preferencelist=("plain", "html"))
    return f"{bericht['Subject']}\n{deel.get_content() if deel else ''}"


class GedeeldSysteem:
    """One served system (case store, SMTP server, every deployment served) for the test modules
    that drive casussen through it: started by the first test that asks for it, stopped after the
    last (conftest). Each module sets `omgeving` only while its tests run; what they assert is per
    casus, so the modules do not see each other's casussen."""

    def __init__(self, map_: Path, api_url: str) -> None:
        self.map, self.api_url = map_, api_url
        self._stapel: ExitStack | None = None
        self.systeem: Systeem | None = None

    def start(self) -> Systeem:
        if self.systeem is not None:
            return self.systeem
        import pytest
        from cryptography.fernet import Fernet

        from tests.helpers import regio_voor_test

        stapel = ExitStack()
        try:
            smtp = SmtpServer()
            smtp.start()
            stapel.callback(smtp.stop)
            database_url = f"sqlite:///{self.map}/casussen.db"
            with pytest.MonkeyPatch.context() as mp:  # for the processes started here only
                mp.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
                mp.setenv("VT_DATA_MAP", str(self.map / "vt"))
                mp.setenv("DATABASE_URL", database_url)
                # Two monitoring moments keep the scenarios short and still show 'next moment' and 'last moment'.
                regio_voor_test(self.map, mp, smtp, monitoring_momenten_maanden=[3, 9])
                omgeving = {k: os.environ[k] for k in ("VT_ENCRYPTION_KEY", "VT_DATA_MAP", "DATABASE_URL",
                                                       "VT_INSTELLINGEN")}
                engine, served = stapel.enter_context(casussysteem(self.api_url, database_url, self.map))
        except BaseException:
            stapel.close()
            raise
        self._stapel = stapel
        self.systeem = Systeem(self.api_url, database_url, engine, smtp, self.map, served, omgeving)
        return self.systeem

    def stop(self) -> None:
        if self._stapel is not None:
            self._stapel.close()
        self._stapel = self.systeem = None


def _wacht_op_deployments(api_url: str, served: Served, timeout: float) -> None:
    from prefect.exceptions import ObjectNotFound

    einde = time.monotonic() + timeout
    with _client(api_url) as client:
        while time.monotonic() < einde:
            if served.proces.poll() is not None:
                raise RuntimeError(f"deployments.serve stopte (exit {served.proces.returncode}):\n{served.log()}")
            try:
                for naam in DEPLOYMENTS:
                    client.read_deployment_by_name(naam)
                # serve() registers first and then starts polling; give it its first poll.
                time.sleep(1.5)
                return
            except ObjectNotFound:
                time.sleep(0.5)
    raise TimeoutError(f"deployments niet geregistreerd binnen {timeout} s:\n{served.log()}")


def _stop(proces: subprocess.Popen) -> None:
    if proces.poll() is not None:
        return
    os.killpg(proces.pid, signal.SIGTERM)
    try:
        proces.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proces.pid, signal.SIGKILL)
        proces.wait(timeout=10)


# --- driving runs -----------------------------------------------------------------------------------


def wacht_op_run(api_url: str, flow_run_id: UUID | str, staat: str, timeout: float = 180,
                 served: Served | None = None, interval: float = 0.3):
    """Wait until the run is in state type `staat` (e.g. "PAUSED", "COMPLETED"); returns the run."""
    einde = time.monotonic() + timeout
    laatste = None
    with _client(api_url) as client:
        while time.monotonic() < einde:
            run = client.read_flow_run(UUID(str(flow_run_id)))
            laatste = run.state
            if run.state and run.state.type.value == staat and _formulier_klaar(client, run):
                return run
            if run.state and run.state.is_final() and staat != run.state.type.value:
                break
            time.sleep(interval)
    log = served.log()[-6000:] if served else ""
    raise AssertionError(f"run {flow_run_id} staat op {laatste!r}, verwacht {staat}\n{log}")


def _formulier_klaar(client, run) -> bool:
    """A suspended run saves its form just after it is marked Paused: wait for both."""
    from prefect.exceptions import PrefectHTTPStatusError

    sleutels = run.state.state_details.run_input_keyset if run.state.is_paused() else None
    if not sleutels:
        return True
    try:
        client.read_flow_run_input(run.id, sleutels["schema"])
        client.read_flow_run_input(run.id, sleutels["description"])
    except PrefectHTTPStatusError:
        return False
    return True


def hervat(api_url: str, flow_run_id: UUID | str, invoer: dict) -> None:
    """Resume a suspended run with a filled-in form, as the UI's Resume button does: the UI
    submits every field, the ones left alone with the form's default."""
    import json

    from tests.formulierinvoer import als_formulier  # the test's codes as the form's Dutch words

    run_id = UUID(str(flow_run_id))
    with _client(api_url) as client:
        run = client.read_flow_run(run_id)
        schema = json.loads(client.read_flow_run_input(run_id, run.state.state_details.run_input_keyset["schema"]))
        standaard = {naam: veld["default"] for naam, veld in schema.get("properties", {}).items() if "default" in veld}
        resultaat = client.resume_flow_run(run_id, run_input={**standaard, **als_formulier(schema, invoer)})
    if resultaat.status.value != "ACCEPT":
        raise AssertionError(f"hervatten van {flow_run_id} geweigerd: {resultaat.details}")


@contextmanager
def chromium(map_: Path, hoogte: int = 900, verzoeken_loggen: bool = False):
    """Headless Chromium as staff see the UI (1400 px wide), its profile under `map_`. With
    `verzoeken_loggen` the browser keeps its network log (the step benchmark's breakdown)."""
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opties = webdriver.ChromeOptions()
    opties.binary_location = CHROMIUM
    for vlag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 f"--window-size=1400,{hoogte}", f"--user-data-dir={tempfile.mkdtemp(dir=map_)}"):
        opties.add_argument(vlag)
    if verzoeken_loggen:
        opties.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opties)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()

"""The front door (web.toegang): who may in, as whom, for how long, and what they may do there.

Real parts: the Prefect server as start.sh runs it, with its credential
(PREFECT_SERVER_API_AUTH_STRING), the gateway as its own process in front, a migrated case store
with local accounts, and for OpenID Connect a real provider process (oidc-provider-mock).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import vrije_poort
from tests.helpers import regio_voor_test
from tests.served import REPO, prefect_server

SLEUTEL = "vt:" + uuid.uuid4().hex  # the Prefect server's credential in these tests
WACHTWOORD = "lang-genoeg-wachtwoord"
ACCOUNTS = {  # account -> (roles, gemeente)
    "m.medewerker": (["medewerker"], None),
    "t.teamleider": (["teamleider"], None),
    "b.beheer": (["beheer"], None),
    "g.gennep": (["gemeente"], "GM0907"),
}


@contextmanager
def toegangspoort(prefect_basis: str, omgeving: dict[str, str], map_: Path) -> Iterator[str]:
    """`python -m web.toegang` (as start.sh runs it) on a free port; yields its address."""
    poort = vrije_poort()
    adres = f"http://127.0.0.1:{poort}"
    log = map_ / f"toegangspoort-{poort}.log"
    with open(log, "wb") as uit:
        proces = subprocess.Popen(
            [sys.executable, "-m", "web.toegang", "--port", str(poort), "--prefect", prefect_basis],
            cwd=REPO, env={**os.environ, **omgeving}, stdout=uit, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        einde = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{adres}/inloggen", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proces.poll() is not None or time.monotonic() > einde:
                raise RuntimeError(log.read_text())
            time.sleep(0.3)
        yield adres
    finally:
        if proces.poll() is None:
            os.killpg(proces.pid, signal.SIGTERM)
            proces.wait(timeout=20)


@dataclass
class Stelsel:
    adres: str  # the gateway
    api: str  # the Prefect server itself
    database_url: str
    map: Path
    omgeving: dict[str, str]


def _maak_accounts(database_url: str) -> None:
    from models.dossier.toegang import maak_account
    from models.opslag.db import sessie
    from models.regels.toegang import Rol

    with sessie(database_url) as session:
        for account, (rollen, gemeente) in ACCOUNTS.items():
            maak_account(session, account, account.split(".")[1].title(), [Rol(r) for r in rollen], WACHTWOORD,
                         gemeente)


@pytest.fixture(scope="module")
def stelsel(tmp_path_factory) -> Iterator[Stelsel]:
    from cryptography.fernet import Fernet

    from models.opslag.db import migreer

    map_ = tmp_path_factory.mktemp("toegang")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
        mp.setenv("VT_DATA_MAP", str(map_ / "vt"))
        regio_voor_test(map_, mp, toegang={"sessie_minuten": 15, "vertraging_seconden": 60})
        database_url = f"sqlite:///{map_}/casussen.db"
        mp.setenv("DATABASE_URL", database_url)
        migreer(database_url)
        _maak_accounts(database_url)
        omgeving = {k: os.environ[k] for k in ("VT_ENCRYPTION_KEY", "VT_DATA_MAP", "VT_INSTELLINGEN", "DATABASE_URL")}
        omgeving["PREFECT_SERVER_API_AUTH_STRING"] = SLEUTEL
        thuis = map_ / "prefect"
        thuis.mkdir()
        with prefect_database() as prefect_db, prefect_server(thuis, {
                "PREFECT_SERVER_API_AUTH_STRING": SLEUTEL, "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db}) as api:
            with toegangspoort(api.removesuffix("/api"), omgeving, map_) as adres:
                yield Stelsel(adres, api, database_url, map_, omgeving)


@contextmanager
def prefect_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the Prefect server (on SQLite it answers "database is
    locked" under the bursts of a served system, as in tests/conftest.py)."""
    from psycopg import sql

    from tests.conftest import POSTGRES_HOST_URL, _postgres_beheer

    naam = f"vt_test_toegang_{uuid.uuid4().hex[:12]}"
    with _postgres_beheer() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))
    try:
        yield POSTGRES_HOST_URL.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1) + f"/{naam}"
    finally:
        with _postgres_beheer() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(naam)))


def csrf_van(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def inloggen(adres: str, account: str, wachtwoord: str = WACHTWOORD) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=adres, timeout=30)
    pagina = client.get("/inloggen")
    antwoord = client.post("/inloggen", data={"csrf": csrf_van(pagina.text), "account": account,
                                               "wachtwoord": wachtwoord, "volgende": "/start"})
    return client, antwoord


def ingelogd(adres: str, account: str) -> httpx.Client:
    client, antwoord = inloggen(adres, account)
    assert antwoord.status_code == 303, antwoord.text
    return client


# --- the Prefect server answers only with its credential -----------------------------------------


def test_the_prefect_api_refuses_a_request_that_does_not_come_through_the_gateway(stelsel):
    direct = httpx.post(f"{stelsel.api}/flow_runs/filter", json={}, timeout=10)
    assert direct.status_code == 401
    # Through the gateway, without logging in: no way through either.
    anoniem = httpx.post(f"{stelsel.adres}/api/flow_runs/filter", json={}, timeout=10)
    assert anoniem.status_code == 401 and "Niet ingelogd" in anoniem.json()["detail"]
    pagina = httpx.get(f"{stelsel.adres}/v2/runs", headers={"Accept": "text/html"}, timeout=10)
    assert pagina.status_code == 303 and pagina.headers["location"] == "/inloggen?volgende=/v2/runs"
    # Something that is no page (an icon, a script) gets no log-in page, only the refusal.
    assert httpx.get(f"{stelsel.adres}/favicon.ico", timeout=10).status_code == 401


def test_a_medewerker_logs_in_and_reaches_the_prefect_ui_and_api_without_prefects_own_password(stelsel):
    client = ingelogd(stelsel.adres, "m.medewerker")
    cookie = next(c for c in client.cookies.jar if c.name == "vt_sessie")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # plain http here; Secure behind TLS
    assert client.post("/api/flow_runs/filter", json={}).status_code == 200
    instellingen = client.get("/ui-settings").json()
    assert instellingen["auth"] is None and instellingen["api_url"] == f"{stelsel.adres}/api"
    assert "<html" in client.get("/v2/").text.lower()
    start = client.get("/start")
    assert "Werkvoorraad en formulieren" in start.text and "Rapporten van uw gemeente" not in start.text


def test_five_wrong_passwords_slow_the_account_down_even_for_the_right_one(stelsel):
    for _ in range(5):
        _, antwoord = inloggen(stelsel.adres, "t.teamleider", "fout-wachtwoord")
        assert antwoord.status_code == 401 and "Account of wachtwoord klopt niet." in antwoord.text
    _, antwoord = inloggen(stelsel.adres, "t.teamleider")
    assert antwoord.status_code == 429 and "Te veel verkeerde wachtwoorden" in antwoord.text
    assert "vt_sessie" not in antwoord.cookies
    # Another account is not slowed down by it.
    assert inloggen(stelsel.adres, "m.medewerker")[1].status_code == 303


def test_a_log_in_form_with_a_forged_csrf_token_is_refused_and_logs_no_one_in(stelsel):
    client = httpx.Client(base_url=stelsel.adres, timeout=30)
    client.get("/inloggen")
    antwoord = client.post("/inloggen", data={"csrf": "vervalst", "account": "m.medewerker", "wachtwoord": WACHTWOORD})
    assert antwoord.status_code == 403 and "Formulier niet geaccepteerd" in antwoord.text
    assert "vt_sessie" not in client.cookies
    assert client.post("/api/flow_runs/filter", json={}).status_code == 401


def test_logging_out_needs_the_forms_csrf_token_and_then_ends_the_session(stelsel):
    client = ingelogd(stelsel.adres, "m.medewerker")
    oud = client.cookies["vt_sessie"]
    geweigerd = client.post("/uitloggen", data={"csrf": "vervalst"})
    assert geweigerd.status_code == 403 and "U bent nog ingelogd" in geweigerd.text
    assert client.post("/api/flow_runs/filter", json={}).status_code == 200  # nothing changed
    uit = client.post("/uitloggen", data={"csrf": csrf_van(client.get("/start").text)})
    assert uit.status_code == 200 and "U bent uitgelogd" in uit.text
    # The old cookie, kept by someone, no longer opens anything.
    na = httpx.get(f"{stelsel.adres}/v2/", cookies={"vt_sessie": oud}, timeout=10)
    assert na.status_code == 401 and "Sessie verlopen" in na.text


def test_a_tampered_session_cookie_gets_a_dutch_page_and_opens_nothing(stelsel):
    client = ingelogd(stelsel.adres, "m.medewerker")
    echt = client.cookies["vt_sessie"]
    vals = echt[:-3] + ("AAA" if not echt.endswith("AAA") else "BBB")
    pagina = httpx.get(f"{stelsel.adres}/v2/", cookies={"vt_sessie": vals}, timeout=10)
    assert pagina.status_code == 400 and "Ongeldige sessie" in pagina.text and "niets veranderd" in pagina.text
    api = httpx.post(f"{stelsel.adres}/api/flow_runs/filter", json={}, cookies={"vt_sessie": vals}, timeout=10)
    assert api.status_code == 401


def test_an_idle_session_expires_with_a_dutch_page(stelsel, monkeypatch):
    import yaml

    ruw = yaml.safe_load(Path(stelsel.omgeving["VT_INSTELLINGEN"]).read_text(encoding="utf-8"))
    ruw["toegang"] = {"sessie_minuten": 0.05}  # 3 seconds
    kort = stelsel.map / "regio-kort.yaml"
    kort.write_text(yaml.safe_dump(ruw, allow_unicode=True), encoding="utf-8")
    with toegangspoort(stelsel.api.removesuffix("/api"), {**stelsel.omgeving, "VT_INSTELLINGEN": str(kort)},
                       stelsel.map) as adres:
        client = ingelogd(adres, "m.medewerker")
        assert client.get("/start").status_code == 200
        time.sleep(1.5)
        assert client.get("/start").status_code == 200  # activity keeps the session alive
        # The UI's own polling of the run list while the person is away is no activity.
        for _ in range(4):
            time.sleep(1)
            client.post("/api/flow_runs/filter", json={})
        time.sleep(0.5)
        verlopen = client.get("/v2/")
        assert verlopen.status_code == 401 and "Sessie verlopen" in verlopen.text
        assert client.post("/api/flow_runs/filter", json={}).status_code == 401


def test_a_page_of_another_site_cannot_drive_the_api_with_the_staff_members_cookie(stelsel):
    client = ingelogd(stelsel.adres, "m.medewerker")
    antwoord = client.post("/api/flow_runs/filter", json={}, headers={"Origin": "https://kwaadaardig.example"})
    assert antwoord.status_code == 403


# --- roles ----------------------------------------------------------------------------------------


def _rapport(stelsel: Stelsel, eind: str, versie: int, code: str, naam: str) -> Path:
    map_ = Path(stelsel.omgeving["VT_DATA_MAP"]) / "rapporten" / eind / f"v{versie}"
    map_.mkdir(parents=True, exist_ok=True)
    pad = map_ / f"rapportage-{eind}-{code.lower()}-{naam}.csv"
    pad.write_text(f"gemeente;{code}\n", encoding="utf-8")
    return pad


def test_a_gemeente_gets_its_own_reports_and_a_refusal_on_the_prefect_ui_and_any_dossier(stelsel):
    _rapport(stelsel, "2026-11-22", 1, "GM0907", "gennep")
    _rapport(stelsel, "2026-11-22", 2, "GM0907", "gennep")
    _rapport(stelsel, "2026-11-22", 1, "GM0983", "venlo")
    client, antwoord = inloggen(stelsel.adres, "g.gennep")
    assert antwoord.headers["location"] == "/rapporten/"
    lijst = client.get("/rapporten/")
    assert lijst.status_code == 200 and "Rapporten voor Gennep" in lijst.text
    assert "2026-11-22-v2" in lijst.text and "2026-11-22-v1" not in lijst.text  # the newest version
    bestand = client.get("/rapporten/2026-11-22-v2")
    assert bestand.status_code == 200 and bestand.text == "gemeente;GM0907\n"
    for pad in ("/v2/", "/runs", "/dossier/", "/dossier/casus/VT-2026-000001", "/beheer/inzage/VT-2026-000001"):
        geweigerd = client.get(pad)
        assert geweigerd.status_code == 403 and "Geen toegang" in geweigerd.text, pad
    assert client.post("/api/flow_runs/filter", json={}).status_code == 403
    # A link names period and version only: another municipality's file cannot be named at all.
    assert client.get("/rapporten/2026-11-29-v1").status_code == 404
    assert client.get("/rapporten/rapportage-2026-11-22-gm0983-venlo.csv").status_code == 404


def test_beheer_and_gemeente_cannot_decide_on_a_casus(stelsel):
    run = str(uuid.uuid4())
    for account in ("b.beheer",):
        client = ingelogd(stelsel.adres, account)
        antwoord = client.post(f"/api/flow_runs/{run}/resume", json={"run_input": {"uitkomst": "veilig"}})
        assert antwoord.json()["status"] == "ABORT"
        assert "geen besluit over een casus" in antwoord.json()["details"]["reason"]
    gemeente = ingelogd(stelsel.adres, "g.gennep")
    assert gemeente.post(f"/api/flow_runs/{run}/resume", json={"run_input": {}}).status_code == 403


def test_the_access_log_is_append_only_and_read_per_casus_by_beheer_and_vt(stelsel):
    from models.dossier.toegang import schrijf_inzage
    from models.opslag.db import maak_engine, sessie

    with sessie(stelsel.database_url) as session:
        schrijf_inzage(session, "m.medewerker", "dossier_bekeken", "VT-2026-000042", "127.0.0.1")
        schrijf_inzage(session, "m.medewerker", "brief_geopend", "VT-2026-000042", "127.0.0.1")
        schrijf_inzage(session, "t.teamleider", "dossier_bekeken", "VT-2026-000043", "127.0.0.1")
    engine = maak_engine(stelsel.database_url)
    for sql in ("UPDATE inzage SET account = 'iemand'", "DELETE FROM inzage"):
        with pytest.raises(Exception, match="alleen-toevoegen"), engine.begin() as verbinding:
            verbinding.exec_driver_sql(sql)
    engine.dispose()
    beheer = ingelogd(stelsel.adres, "b.beheer")
    pagina = beheer.get("/beheer/inzage/VT-2026-000042")
    assert pagina.status_code == 200
    regels = re.findall(r"<tr><td>.*?</tr>", pagina.text)
    assert len(regels) == 2 and "dossier bekeken" in regels[0] and "brief geopend" in regels[1]
    assert "t.teamleider" not in pagina.text
    assert ingelogd(stelsel.adres, "m.medewerker").get("/beheer/inzage/VT-2026-000042").status_code == 403
    uit = subprocess.run([str(Path(sys.executable).parent / "vt"), "inzage-log", "VT-2026-000042", "--json"], cwd=REPO,
                         env={**os.environ, **stelsel.omgeving}, capture_output=True, text=True, check=True)
    inzagen = json.loads(uit.stdout)["inzagen"]
    assert [(i["account"], i["wat"]) for i in inzagen] == [("m.medewerker", "dossier_bekeken"),
                                                           ("m.medewerker", "brief_geopend")]


def test_the_uis_live_updates_pass_the_gateway_for_a_logged_in_person_only(stelsel):
    """The UI follows events over a websocket (/api/events/out); Prefect wants its credential in
    the first message, which the gateway supplies instead of the browser."""
    from websockets.exceptions import InvalidStatus, ConnectionClosed
    from websockets.sync.client import connect

    adres = stelsel.adres.replace("http://", "ws://") + "/api/events/out"
    client = ingelogd(stelsel.adres, "m.medewerker")
    with connect(adres, subprotocols=["prefect"], additional_headers={"Cookie": f"vt_sessie={client.cookies['vt_sessie']}"},
                 open_timeout=20) as ws:
        ws.send(json.dumps({"type": "auth", "token": None}))  # the browser has no credential of Prefect's
        assert json.loads(ws.recv(timeout=20)) == {"type": "auth_success"}
        ws.send(json.dumps({"type": "filter", "filter": {"event": {"prefix": ["prefect.flow-run."]}}}))
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        with connect(adres, subprotocols=["prefect"], open_timeout=20) as ws:
            ws.send(json.dumps({"type": "auth", "token": None}))
            ws.recv(timeout=20)


def test_the_teamleiders_actions_are_served_deployments_that_take_the_account(instellingen):
    from deployments.serve import deployments
    from web.toegang import TEAMLEIDERSACTIES

    metdoor = {d.name for d in deployments() if "door" in d.parameters}
    assert TEAMLEIDERSACTIES <= metdoor and "contact vastleggen" in metdoor - TEAMLEIDERSACTIES

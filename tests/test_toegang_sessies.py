"""The gateway's sessions live in the case store (web.toegang.sessies): every gateway on the same
database honours a session another one began, a log-out ends it on all of them, and a restart of
the gateway logs no one out. The cluster layout runs two gateways behind HAProxy; losing one
costs a logged-in person nothing.

Real parts: the gateway app on a migrated case store (SQLite and PostgreSQL) with a local
account; for the cluster, two `python -m web.toegang` processes and HAProxy as
scripts/cluster.py starts them.
"""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeSerializer
from sqlmodel import Session, select
from starlette.testclient import TestClient

from models.opslag.toegang import Poortsessie
from tests.helpers import regio_voor_test

WACHTWOORD = "lang-genoeg-wachtwoord"


def _account(engine) -> None:
    from models.dossier.toegang import maak_account
    from models.regels.toegang import Rol

    with Session(engine) as session, session.begin():
        maak_account(session, "m.medewerker", "Medewerker", [Rol.medewerker], WACHTWOORD)


def _poort(engine, instellingen, data_map: Path) -> TestClient:
    """A gateway as `python -m web.toegang` makes it: its cookie key from the data folder."""
    from models.regels.instellingen import Omgeving
    from web.toegang import maak_app
    from web.toegang.sessies import gedeeld_geheim

    app = maak_app(engine=engine, instellingen=instellingen, prefect_url="http://127.0.0.1:9", auth_string=None,
                   geheim=gedeeld_geheim(Omgeving().poort_geheim, data_map), rapporten=data_map / "rapporten")
    return TestClient(app, follow_redirects=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _inloggen(browser: httpx.Client) -> str:
    antwoord = browser.post("/inloggen", data={"csrf": _csrf(browser.get("/inloggen").text), "account": "m.medewerker",
                                               "wachtwoord": WACHTWOORD, "volgende": "/start"})
    assert antwoord.status_code == 303, antwoord.text
    return browser.cookies["vt_sessie"]


def _met_cookie(poort: TestClient, cookie: str) -> TestClient:
    """The same browser, its next request landing on another gateway."""
    poort.cookies.set("vt_sessie", cookie)
    return poort


@pytest.fixture
def poorten(engine, tmp_path, monkeypatch):
    """Two gateways on one case store, with the demo settings (15 minutes idle)."""
    monkeypatch.delenv("VT_POORT_GEHEIM", raising=False)
    instellingen = regio_voor_test(tmp_path, monkeypatch)
    _account(engine)
    data_map = tmp_path / "vt"
    return _poort(engine, instellingen, data_map), _poort(engine, instellingen, data_map)


def test_a_session_begun_on_one_gateway_is_valid_on_another_and_ends_there_at_log_out(engine, poorten):
    a, b = poorten
    cookie = _inloggen(a)
    start = _met_cookie(b, cookie).get("/start")
    assert start.status_code == 200 and "Werkvoorraad en formulieren" in start.text
    # The log-out form of gateway b, sent to gateway a: the session's CSRF token is the same.
    uit = a.post("/uitloggen", data={"csrf": _csrf(start.text)})
    assert uit.status_code == 200 and "U bent uitgelogd" in uit.text
    na = _met_cookie(b, cookie).get("/start")
    assert na.status_code == 401 and "Sessie verlopen" in na.text


def test_the_case_store_holds_no_session_id_and_is_not_written_on_every_request(engine, poorten, tmp_path):
    a, b = poorten
    cookie = _inloggen(a)
    for poort in (a, _met_cookie(b, cookie), a):
        assert poort.get("/start").status_code == 200
    with Session(engine) as session:
        rij = session.exec(select(Poortsessie)).one()
    sid = URLSafeSerializer((tmp_path / "vt" / "toegangspoort.geheim").read_bytes().strip(), salt="vt-sessie").loads(cookie)
    assert sid not in {rij.sleutel, rij.csrf} and cookie not in {rij.sleutel, rij.csrf}
    assert (rij.account, rij.rollen) == ("m.medewerker", ["medewerker"])
    # Within the write interval (up to a minute at 15 minutes idle) activity only reads.
    assert rij.laatst == rij.aangemaakt


def test_a_tampered_cookie_is_refused_by_every_gateway_with_a_dutch_page(poorten):
    a, b = poorten
    echt = _inloggen(a)
    vals = echt[:-3] + ("AAA" if not echt.endswith("AAA") else "BBB")
    pagina = _met_cookie(b, vals).get("/start")
    assert pagina.status_code == 400 and "Ongeldige sessie" in pagina.text and "niets veranderd" in pagina.text


def test_activity_on_one_gateway_keeps_the_session_alive_on_the_other_until_the_idle_timeout(
        engine, tmp_path, monkeypatch):
    monkeypatch.delenv("VT_POORT_GEHEIM", raising=False)
    instellingen = regio_voor_test(tmp_path, monkeypatch, toegang={"sessie_minuten": 0.03})  # 1.8 s
    _account(engine)
    a, b = _poort(engine, instellingen, tmp_path / "vt"), _poort(engine, instellingen, tmp_path / "vt")
    cookie = _inloggen(a)
    time.sleep(1.1)
    assert _met_cookie(b, cookie).get("/start").status_code == 200  # activity, written for both
    time.sleep(1.1)
    assert a.get("/start").status_code == 200  # 2.2 s after log-in, 1.1 s after the activity on b
    time.sleep(2.0)
    verlopen = _met_cookie(b, cookie).get("/start")
    assert verlopen.status_code == 401 and "Sessie verlopen" in verlopen.text
    assert "langer dan 0.03 minuten niet actief" in verlopen.text


def test_a_restarted_gateway_keeps_everyone_logged_in(engine, tmp_path, monkeypatch):
    monkeypatch.delenv("VT_POORT_GEHEIM", raising=False)
    instellingen = regio_voor_test(tmp_path, monkeypatch)
    _account(engine)
    with _poort(engine, instellingen, tmp_path / "vt") as voor:
        cookie = _inloggen(voor)
    # Its cookie key stays in the data folder, readable by the gateway's user only.
    assert stat.S_IMODE((tmp_path / "vt" / "toegangspoort.geheim").stat().st_mode) == 0o600
    with _met_cookie(_poort(engine, instellingen, tmp_path / "vt"), cookie) as na:
        assert na.get("/start").status_code == 200


def test_losing_one_of_two_gateways_behind_the_load_balancer_logs_no_one_out(tmp_path, monkeypatch):
    from models.opslag.db import maak_engine, migreer
    from scripts.cluster import Cluster, Opzet, vrije_poort

    database_url = f"sqlite:///{tmp_path}/casussen.db"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    monkeypatch.delenv("VT_POORT_GEHEIM", raising=False)
    regio_voor_test(tmp_path, monkeypatch)
    migreer(database_url)
    engine = maak_engine(database_url)
    _account(engine)
    engine.dispose()
    opzet = Opzet(tmp_path / "cluster", vrije_poort(), toegangspoort=vrije_poort())
    c = Cluster(opzet)
    try:
        c.start_toegangspoorten()
        with httpx.Client(base_url=f"http://127.0.0.1:{opzet.toegangspoort}", timeout=10) as browser:
            _inloggen(browser)  # the form from one gateway, sent to the other: round robin
            assert browser.get("/start").status_code == 200
            c.kill("toegangspoort-1")
            for _ in range(4):  # round robin would send every other request to the lost one
                start = browser.get("/start")
                assert start.status_code == 200 and "Werkvoorraad en formulieren" in start.text
    finally:
        c.stop()

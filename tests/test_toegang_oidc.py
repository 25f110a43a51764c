"""Log-in through a region's own OpenID Connect provider: a real provider process
(oidc-provider-mock) started by the test, the gateway as its own process in front of a Prefect
server with its credential. An ID token for another client (wrong audience) and an expired one
are refused."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import vrije_poort
from tests.helpers import regio_voor_test
from tests.served import prefect_server
from tests.test_toegang import SLEUTEL, toegangspoort

MEDEWERKER = {"sub": "5c1e", "preferred_username": "j.devries", "name": "J. de Vries", "roles": ["vt-medewerker"]}
ZONDER_ROL = {"sub": "77aa", "preferred_username": "p.zonderrol", "name": "P. Zonder Rol", "roles": ["bezoeker"]}
CLIENT_ID = "vt-poort"


@contextmanager
def provider(map_: Path, token_seconden: int = 3600) -> Iterator[str]:
    """`python -m oidc_provider_mock` on a free port; yields its issuer address."""
    poort = vrije_poort()
    adres = f"http://127.0.0.1:{poort}"
    log = map_ / f"oidc-{poort}.log"
    with open(log, "wb") as uit:
        proces = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(poort), "--token-max-age", str(token_seconden),
             "--user-claims", json.dumps(MEDEWERKER), "--user-claims", json.dumps(ZONDER_ROL)],
            stdout=uit, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        einde = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{adres}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proces.poll() is not None or time.monotonic() > einde:
                raise RuntimeError(log.read_text())
            time.sleep(0.2)
        yield adres
    finally:
        if proces.poll() is None:
            os.killpg(proces.pid, signal.SIGTERM)
            proces.wait(timeout=10)


def _oidc_instellingen(issuer: str) -> dict:
    return {"issuer": issuer, "client_id": CLIENT_ID, "rollen": {"vt-medewerker": "medewerker"}}


@pytest.fixture(scope="module")
def oidc_stelsel(tmp_path_factory):
    from models.opslag.db import migreer

    map_ = tmp_path_factory.mktemp("oidc")
    with pytest.MonkeyPatch.context() as mp, provider(map_) as issuer:
        mp.setenv("VT_DATA_MAP", str(map_ / "vt"))
        regio_voor_test(map_, mp, toegang={"lokale_accounts": False, "oidc": _oidc_instellingen(issuer)})
        database_url = f"sqlite:///{map_}/casussen.db"
        migreer(database_url)
        omgeving = {"VT_INSTELLINGEN": os.environ["VT_INSTELLINGEN"], "DATABASE_URL": database_url,
                    "VT_DATA_MAP": str(map_ / "vt"), "PREFECT_SERVER_API_AUTH_STRING": SLEUTEL,
                    "VT_OIDC_CLIENT_SECRET": "geheim-van-de-poort"}
        thuis = map_ / "prefect"
        thuis.mkdir()
        with prefect_server(thuis, {"PREFECT_SERVER_API_AUTH_STRING": SLEUTEL}) as api, \
                toegangspoort(api.removesuffix("/api"), omgeving, map_) as adres:
            yield adres, issuer, map_


def _kies_persoon_bij_provider(client: httpx.Client, autorisatie_url: str, sub: str) -> str:
    """What the person does at the provider (here: pick an account); returns where it sends them back."""
    assert client.get(autorisatie_url).status_code == 200
    terug = client.post(autorisatie_url, data={"sub": sub})
    assert terug.status_code == 302, terug.text
    return terug.headers["location"]


def test_a_medewerker_logs_in_at_the_regions_provider_and_gets_the_role_from_its_claims(oidc_stelsel):
    adres, issuer, _ = oidc_stelsel
    poort = httpx.Client(base_url=adres, timeout=30)
    pagina = poort.get("/inloggen")
    assert "Inloggen met het account van uw organisatie" in pagina.text and 'name="wachtwoord"' not in pagina.text
    naar_provider = poort.get("/oidc/inloggen?volgende=/v2/")
    assert naar_provider.status_code == 303 and naar_provider.headers["location"].startswith(issuer)
    vraag = parse_qs(urlsplit(naar_provider.headers["location"]).query)
    assert vraag["client_id"] == [CLIENT_ID] and vraag["nonce"][0] and vraag["state"][0]
    terug = _kies_persoon_bij_provider(httpx.Client(timeout=30), naar_provider.headers["location"], MEDEWERKER["sub"])
    binnen = poort.get(terug)
    assert binnen.status_code == 303 and binnen.headers["location"] == "/v2/", binnen.text
    start = poort.get("/start")
    assert "J. de Vries (j.devries)" in start.text and "Werkvoorraad en formulieren" in start.text
    assert poort.post("/api/flow_runs/filter", json={}).status_code == 200


def test_a_person_without_a_role_in_this_system_is_refused(oidc_stelsel):
    adres, _, _ = oidc_stelsel
    poort = httpx.Client(base_url=adres, timeout=30)
    naar_provider = poort.get("/oidc/inloggen")
    terug = _kies_persoon_bij_provider(httpx.Client(timeout=30), naar_provider.headers["location"], ZONDER_ROL["sub"])
    geweigerd = poort.get(terug)
    assert geweigerd.status_code == 403 and "geen rol in dit systeem" in geweigerd.text
    assert "vt_sessie" not in poort.cookies


def test_an_answer_from_the_provider_for_another_browser_is_refused(oidc_stelsel):
    adres, _, _ = oidc_stelsel
    aanvaller = httpx.Client(base_url=adres, timeout=30)
    naar_provider = aanvaller.get("/oidc/inloggen")
    terug = _kies_persoon_bij_provider(httpx.Client(timeout=30), naar_provider.headers["location"], MEDEWERKER["sub"])
    slachtoffer = httpx.Client(base_url=adres, timeout=30)  # has no log-in of its own under way
    geweigerd = slachtoffer.get(terug)
    assert geweigerd.status_code == 403 and "state klopt niet" in geweigerd.text
    assert "vt_sessie" not in slachtoffer.cookies


def _id_token(issuer: str, client_id: str, sub: str, nonce: str) -> str:
    """A real ID token from the provider for `client_id`, by the authorization code flow."""
    terug_url = "http://127.0.0.1:9/terug"
    client = httpx.Client(timeout=30)
    url = str(httpx.URL(f"{issuer}/oauth2/authorize", params={
        "client_id": client_id, "redirect_uri": terug_url, "response_type": "code", "scope": "openid profile",
        "nonce": nonce, "state": "s"}))
    code = parse_qs(urlsplit(_kies_persoon_bij_provider(client, url, sub)).query)["code"][0]
    token = client.post(f"{issuer}/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": terug_url,
        "client_id": client_id, "client_secret": "iets"})
    assert token.status_code == 200, token.text
    return token.json()["id_token"]


def test_an_id_token_for_another_client_or_an_expired_one_is_refused(tmp_path):
    from models.regels.instellingen import OidcInstellingen
    from web.toegang.oidc import Oidc, OidcGeweigerd

    with provider(tmp_path, token_seconden=10) as issuer:
        controle = Oidc(OidcInstellingen(**_oidc_instellingen(issuer)))
        goed = _id_token(issuer, CLIENT_ID, MEDEWERKER["sub"], "n1")
        uitgegeven = time.time()
        assert asyncio.run(controle.controleer(goed, "n1")).account == "j.devries"
        andere_client = _id_token(issuer, "andere-toepassing", MEDEWERKER["sub"], "n2")
        with pytest.raises(OidcGeweigerd, match="verkeerde audience"):
            asyncio.run(controle.controleer(andere_client, "n2"))
        with pytest.raises(OidcGeweigerd, match="nonce klopt niet"):
            asyncio.run(controle.controleer(goed, "andere-nonce"))
        time.sleep(max(0.0, 11 - (time.time() - uitgegeven)))
        with pytest.raises(OidcGeweigerd, match="verlopen"):
            asyncio.run(controle.controleer(goed, "n1"))

"""The Prefect server as start.sh runs it (`python scripts/prefect_server.py`): the reason the
API gives for refusing a Resume, which the UI shows to staff as it is, is Dutch."""

from __future__ import annotations

import gzip
import json
import urllib.request
from uuid import UUID

import httpx
import pytest
from prefect import flow

from tests.served import prefect_server


@flow(name="formulier-wacht")
def formulier_wacht() -> None:
    """Only its runs are used: set to Paused by the test, as a suspended lifecycle run is."""


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """`python scripts/prefect_server.py` on a free port with its own home and database."""
    thuis = tmp_path_factory.mktemp("prefect-server")
    with prefect_server(thuis, {"PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{thuis}/prefect.db"}) as api:
        yield api


def _gepauzeerde_run(api: str, keyset: dict | None = None, schema: dict | None = None) -> UUID:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import StateDetails
    from prefect.states import State, StateType

    with SyncPrefectClient(api) as client:
        run = client.create_flow_run(formulier_wacht)
        if schema is not None:
            client.create_flow_run_input(run.id, keyset["schema"], json.dumps(schema))
        client.set_flow_run_state(run.id, State(type=StateType.PAUSED, name="Suspended",
                                                state_details=StateDetails(run_input_keyset=keyset)), force=True)
    return run.id


def _hervat(api: str, run_id: UUID, invoer: dict) -> dict:
    """POST .../resume as the UI's Resume button does; the UI shows `details.reason` of a refusal."""
    antwoord = httpx.post(f"{api}/flow_runs/{run_id}/resume", json={"run_input": invoer},
                          headers={"Accept-Encoding": "gzip"}, timeout=30)
    antwoord.raise_for_status()
    return antwoord.json()


def test_the_second_of_two_resumes_of_one_paused_run_is_refused_in_dutch(prefect_api):
    run_id = _gepauzeerde_run(prefect_api)
    eerste = _hervat(prefect_api, run_id, {})
    tweede = _hervat(prefect_api, run_id, {})
    assert eerste["status"] == "ACCEPT"
    assert tweede["status"] == "ABORT"
    assert tweede["details"]["reason"] == (
        "Deze casus wordt al verwerkt: een collega heeft dit formulier net verstuurd, of de casus wacht niet "
        "meer op dit formulier. Ververs de pagina en bekijk de casus opnieuw.")


def test_a_form_that_no_longer_fits_the_current_pause_is_refused_in_dutch(prefect_api):
    from prefect.input.run_input import keyset_from_base_key

    keyset = keyset_from_base_key("suspended-vt-2026-000001-besluit-1")
    schema = {"type": "object", "properties": {"besluit": {"type": "string", "enum": ["afsluiten", "onderzoek"]}},
              "required": ["besluit"]}
    run_id = _gepauzeerde_run(prefect_api, keyset, schema)
    geweigerd = _hervat(prefect_api, run_id, {"uitkomst": "veilig"})  # a monitoring form from another tab
    assert geweigerd["status"] == "REJECT" and geweigerd["details"]["reason"] == (
        "Dit formulier past niet bij de stap waar de casus nu op wacht: de casus is intussen verder gegaan. "
        "Ververs de pagina en vul het formulier dat dan verschijnt opnieuw in.")
    assert _hervat(prefect_api, run_id, {"besluit": "afsluiten"})["status"] == "ACCEPT"


def test_the_server_still_serves_the_ui_and_the_rest_of_the_api_unchanged(prefect_api):
    with urllib.request.urlopen(prefect_api.removesuffix("/api") + "/", timeout=10) as pagina:
        assert pagina.status == 200 and b"<html" in pagina.read().lower()
    antwoord = httpx.post(f"{prefect_api}/flow_runs/filter", json={"limit": 1}, timeout=30)
    assert antwoord.status_code == 200 and isinstance(antwoord.json(), list)


def test_every_ui_page_follows_its_run_so_the_next_form_shows_at_once(prefect_api):
    """Both UIs refresh a run's page only every 5 s; our script (scripts/ui_volgt_run.js) on every
    page shows it anew as soon as the run waits for its next form (BENCHMARKS.md): the new UI by
    re-reading its data as when the window comes back into view, the classic UI by a reload."""
    ui = prefect_api.removesuffix("/api")
    for pagina in ("/", "/runs/flow-run/00000000-0000-0000-0000-000000000000", "/v2/runs"):
        with urllib.request.urlopen(urllib.request.Request(f"{ui}{pagina}", headers={
                "Accept": "text/html", "Accept-Encoding": "gzip"}), timeout=30) as antwoord:
            inhoud = antwoord.read()
            if antwoord.headers.get("Content-Encoding") == "gzip":
                inhoud = gzip.decompress(inhoud)
        assert b'<script src="/vt-ui/volgt-run.js" defer></script></head>' in inhoud, pagina
    with urllib.request.urlopen(f"{ui}/vt-ui/volgt-run.js", timeout=30) as antwoord:
        script = antwoord.read().decode()
    assert "location.reload()" in script and 'new Event("visibilitychange")' in script and "[role=dialog]" in script

"""Decisions carry the identity: a melding registered and a decision taken through the gateway
name the logged-in account in the audit trail, whatever the browser sends; beheer cannot decide;
a decision on a casus lands in the access log. Every deployment served as in production, against
a Prefect server that answers only with its credential."""

from __future__ import annotations

import json
import time
from uuid import UUID

import pytest
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus, Melding
from tests.served import casussysteem, wacht_op_run
from tests.test_intake import ingevuld_formulier
from tests.test_toegang import SLEUTEL, Stelsel, ingelogd, stelsel  # noqa: F401  (the module's system)


@pytest.fixture(scope="module")
def gediend(stelsel: Stelsel):  # noqa: F811
    import prefect.settings

    with prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: stelsel.api,
                                              prefect.settings.PREFECT_API_AUTH_STRING: SLEUTEL}):
        with casussysteem(stelsel.api, stelsel.database_url, stelsel.map,
                          extra={**stelsel.omgeving, "PREFECT_API_AUTH_STRING": SLEUTEL}) as (engine, served):
            yield engine, served


def _formulier(api: str, run_id: str, invoer: dict) -> dict:
    """What the UI submits for `invoer`: every field, in the form's own words (as tests.served.hervat)."""
    from tests.formulierinvoer import als_formulier
    from tests.served import _client

    with _client(api) as client:
        run = client.read_flow_run(UUID(run_id))
        schema = json.loads(client.read_flow_run_input(run.id, run.state.state_details.run_input_keyset["schema"]))
    assert "door" not in schema["properties"]  # nobody types who they are
    standaard = {naam: veld["default"] for naam, veld in schema["properties"].items() if "default" in veld}
    return {**standaard, **als_formulier(schema, invoer)}


def _wacht_op_actor(engine, referentie: str, actor: str, timeout: float = 120) -> list[AuditEvent]:
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        with Session(engine) as session:
            casus = session.exec(select(Casus).where(Casus.referentie == referentie)).one()
            events = list(session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id)))
        if any(e.actor == actor for e in events):
            return events
        time.sleep(0.3)
    raise AssertionError(f"geen audit van {actor} bij {referentie}: {[(e.actor, e.actie) for e in events]}")


def test_the_audit_trail_names_the_logged_in_account_and_not_what_the_browser_typed(stelsel, gediend):  # noqa: F811
    from models.dossier.toegang import inzagen
    from models.opslag.db import sessie

    engine, served = gediend
    medewerker = ingelogd(stelsel.adres, "m.medewerker")
    [intake] = medewerker.post("/api/deployments/filter", json={
        "deployments": {"name": {"any_": ["melding registreren"]}}}).json()
    run = medewerker.post(f"/api/deployments/{intake['id']}/create_flow_run", json={}).json()
    wacht_op_run(stelsel.api, run["id"], "PAUSED", served=served)
    invoer = _formulier(stelsel.api, run["id"], {k: v for k, v in ingevuld_formulier().items() if k != "door"})
    # A browser that adds a name of its own does not get it into the audit trail.
    antwoord = medewerker.post(f"/api/flow_runs/{run['id']}/resume", json={"run_input": {**invoer, "door": "Iemand Anders"}})
    assert antwoord.status_code == 201 and antwoord.json()["status"] == "ACCEPT", antwoord.text
    wacht_op_run(stelsel.api, run["id"], "COMPLETED", served=served)
    with Session(engine) as session:
        referentie = session.exec(select(Casus.referentie).join(Melding, Melding.casus_id == Casus.id)
                                  .where(Melding.extern_id == run["id"])).one()
    events = _wacht_op_actor(engine, referentie, "m.medewerker")
    assert "Iemand Anders" not in {e.actor for e in events}

    with Session(engine) as session:
        levensloop = str(session.exec(select(Casus).where(Casus.referentie == referentie)).one().flow_run_id)
    wacht_op_run(stelsel.api, levensloop, "PAUSED", served=served)
    besluit = _formulier(stelsel.api, levensloop, {"besluit": "afsluiten", "met_advies": True})
    beheer = ingelogd(stelsel.adres, "b.beheer")
    geweigerd = beheer.post(f"/api/flow_runs/{levensloop}/resume", json={"run_input": besluit})
    assert geweigerd.json()["status"] == "ABORT" and "geen besluit" in geweigerd.json()["details"]["reason"]
    assert beheer.get(f"/api/flow_runs/{levensloop}").json()["state"]["type"] == "PAUSED"  # nothing changed

    teamleider = ingelogd(stelsel.adres, "t.teamleider")
    antwoord = teamleider.post(f"/api/flow_runs/{levensloop}/resume", json={"run_input": besluit})
    assert antwoord.status_code == 201 and antwoord.json()["status"] == "ACCEPT", antwoord.text
    events = _wacht_op_actor(engine, referentie, "t.teamleider")
    # People are named by their account; the automatic steps by the orchestration itself.
    assert {e.actor for e in events} == {"m.medewerker", "t.teamleider", "orkestratie"}
    with sessie(stelsel.database_url) as session:
        log = [(r.account, r.wat, r.casus_referentie) for r in inzagen(session, referentie)]
    assert log == [("t.teamleider", "besluit", referentie)]


def test_a_staff_action_started_through_the_gateway_names_the_account_and_needs_the_role(stelsel, gediend):  # noqa: F811
    engine, served = gediend
    medewerker = ingelogd(stelsel.adres, "m.medewerker")
    [capaciteit] = medewerker.post("/api/deployments/filter", json={
        "deployments": {"name": {"any_": ["capaciteit wisselen"]}}}).json()
    assert "door" not in capaciteit["parameter_openapi_schema"]["properties"]
    parameters = {"modus": "normaal werken", "reden": "iedereen is weer terug"}
    geweigerd = medewerker.post(f"/api/deployments/{capaciteit['id']}/create_flow_run", json={"parameters": parameters})
    assert geweigerd.status_code == 403 and "hoort niet bij uw rol" in geweigerd.json()["detail"]
    teamleider = ingelogd(stelsel.adres, "t.teamleider")
    run = teamleider.post(f"/api/deployments/{capaciteit['id']}/create_flow_run",
                          json={"parameters": {**parameters, "door": "Iemand Anders"}}).json()
    assert run["parameters"]["door"] == "t.teamleider"
    wacht_op_run(stelsel.api, run["id"], "COMPLETED", served=served)

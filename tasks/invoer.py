"""What staff typed into a form in the Prefect UI (a flow run input), read once and then
deleted: personal data typed into a form must not stay in Prefect's database.

A suspended run's input lives under three keys derived from the pause key: the form's JSON
schema, the markdown shown above it and the response. Plain functions, called inside tasks, so
the response itself never crosses a task boundary (parameters and results are persisted).
"""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.input.run_input import keyset_from_base_key


def sleutelset(pauzesleutel: str) -> dict[str, str]:
    # A suspend with wait_for_input stores its keys under "suspended-<pause key>-...".
    return keyset_from_base_key(f"suspended-{pauzesleutel}")


def lees_invoer(flow_run_id: UUID | str, pauzesleutel: str) -> dict | None:
    """The response to the form of this pause, or None when there is none (yet)."""
    import orjson

    with get_client(sync_client=True) as client:
        try:
            waarde = client.read_flow_run_input(flow_run_id=UUID(str(flow_run_id)),
                                                key=sleutelset(pauzesleutel)["response"])
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise
    return orjson.loads(waarde) if waarde else None


def verwijder_invoer(flow_run_id: UUID | str, pauzesleutel: str) -> None:
    """Delete the response, the form and its description of this pause (idempotent)."""
    with get_client(sync_client=True) as client:
        for sleutel in sleutelset(pauzesleutel).values():
            _verwijder(client, flow_run_id, sleutel)


def verwijder_alle_antwoorden(flow_run_id: UUID | str) -> int:
    """Delete every form response still stored for this run (e.g. left by a crash between
    reading and deleting). Returns how many were removed."""
    with get_client(sync_client=True) as client:
        invoer = client.filter_flow_run_input(
            flow_run_id=UUID(str(flow_run_id)), key_prefix="suspended-", limit=1000, exclude_keys=set()
        )
        antwoorden = [i.key for i in invoer if i.key.endswith("-response")]
        for sleutel in antwoorden:
            _verwijder(client, flow_run_id, sleutel)
    return len(antwoorden)


def _verwijder(client, flow_run_id: UUID | str, sleutel: str) -> None:
    try:
        client.delete_flow_run_input(flow_run_id=UUID(str(flow_run_id)), key=sleutel)
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code != 404:  # already gone is fine
            raise


def _geweigerd(pauzesleutel: str) -> str:
    # Ends in "-response": verwijder_alle_antwoorden clears a leftover one when the run ends.
    return f"suspended-{pauzesleutel}-geweigerd-response"


def bewaar_geweigerd(flow_run_id: UUID | str, pauzesleutel: str, antwoord: dict) -> None:
    """Keep a refused answer for one step: the next attempt of the form starts with it, so
    nothing that was typed has to be typed again (`neem_geweigerd`)."""
    import orjson

    with get_client(sync_client=True) as client:
        _verwijder(client, flow_run_id, _geweigerd(pauzesleutel))
        client.create_flow_run_input(flow_run_id=UUID(str(flow_run_id)), key=_geweigerd(pauzesleutel),
                                     value=orjson.dumps(antwoord).decode())


def neem_geweigerd(flow_run_id: UUID | str, pauzesleutel: str) -> dict | None:
    """The refused answer to this pause, deleted as it is read (None when there is none)."""
    import orjson

    with get_client(sync_client=True) as client:
        try:
            waarde = client.read_flow_run_input(flow_run_id=UUID(str(flow_run_id)), key=_geweigerd(pauzesleutel))
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise
        _verwijder(client, flow_run_id, _geweigerd(pauzesleutel))
    return orjson.loads(waarde) if waarde else None

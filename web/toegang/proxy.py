"""The way through to the Prefect server: every request of a logged-in person, with the server's
own credential added (`PREFECT_SERVER_API_AUTH_STRING`; the server refuses anything without it)
and the browser's cookies left behind. Answers stream back unchanged, except:

- `ui-settings`: tells the UI that the API needs no password of its own (the gateway supplies it)
  and lives at the gateway's address;
- `POST /api/flow_runs/{id}/resume` (a decision) and `POST /api/deployments/{id}/create_flow_run`
  (a staff action): the person's account goes into the answer / parameters as `door`, whatever
  the browser sent; a role that may not decide is refused in Dutch (see `web.toegang.beslissen`);
- `staten`: the gateway's own question for the work list (/werklijst): the states of the runs
  on its page, in one `POST /api/flow_runs/filter`;
- websockets (`/api/events/out`, `/api/logs/out`, ...): the first message Prefect expects is an
  auth message with the credential; the gateway sends its own.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import httpx
import websockets
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.websockets import WebSocket, WebSocketDisconnect

# Headers that belong to one connection, or that the gateway itself replaces.
_NIET_DOOR = {b"host", b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
              b"trailer", b"transfer-encoding", b"upgrade", b"cookie", b"authorization", b"content-length"}
_NIET_TERUG = {"connection", "keep-alive", "transfer-encoding", "set-cookie"}
# The work list waits this long for the states of its runs, then shows its rows without them.
_STATEN_GEDULD = httpx.Timeout(5, connect=2)


def _is_uuid(tekst: str | None) -> bool:
    try:
        uuid.UUID(str(tekst))
    except ValueError:
        return False
    return True


class Prefect:
    def __init__(self, basis: str, auth_string: str | None) -> None:
        self.basis = basis.rstrip("/")
        self.auth = auth_string
        self.kop = (b"authorization", b"Basic " + base64.b64encode(auth_string.encode())) if auth_string else None
        self.client = httpx.AsyncClient(base_url=self.basis, timeout=httpx.Timeout(60, connect=10),
                                        limits=httpx.Limits(max_keepalive_connections=50))

    def _koppen(self, request: Request) -> list[tuple[bytes, bytes]]:
        koppen = [(k, v) for k, v in request.headers.raw if k.lower() not in _NIET_DOOR]
        return koppen + [self.kop] if self.kop else koppen

    async def door(self, request: Request, inhoud: bytes | None = None) -> Response:
        """Forward `request` (with `inhoud` instead of its body, when given) and stream the answer."""
        if inhoud is None:
            inhoud = await request.body()
        verzoek = self.client.build_request(request.method, request.url.path, params=request.url.query,
                                            headers=self._koppen(request), content=inhoud)
        antwoord = await self.client.send(verzoek, stream=True)
        koppen = [(k, v) for k, v in antwoord.headers.raw if k.decode().lower() not in _NIET_TERUG]
        terug = StreamingResponse(antwoord.aiter_raw(), status_code=antwoord.status_code,
                                  background=BackgroundTask(antwoord.aclose))
        terug.raw_headers = koppen
        return terug

    async def json(self, request: Request, inhoud: bytes | None = None) -> tuple[int, object]:
        """Forward and read the whole JSON answer (uncompressed), for the answers the gateway reads."""
        koppen = [(k, v) for k, v in self._koppen(request) if k.lower() != b"accept-encoding"]
        antwoord = await self.client.request(request.method, request.url.path, params=request.url.query,
                                             headers=koppen, content=await request.body() if inhoud is None else inhoud)
        try:
            return antwoord.status_code, antwoord.json()
        except ValueError:
            return antwoord.status_code, antwoord.text

    async def haal(self, pad: str) -> dict | None:
        antwoord = await self.client.get(pad, headers=dict([self.kop]) if self.kop else None)
        return antwoord.json() if antwoord.status_code == 200 else None

    async def staten(self, run_ids: list[str]) -> dict[str, str] | None:
        """The state type ("PAUSED", ...) of each of these runs that Prefect knows, in one request;
        None when Prefect does not answer (in time): the work list then shows its rows without."""
        ids = sorted({r for r in run_ids if _is_uuid(r)})
        if not ids:
            return {}
        try:
            antwoord = await self.client.post("/api/flow_runs/filter", timeout=_STATEN_GEDULD,
                                              json={"flow_runs": {"id": {"any_": ids}}, "limit": len(ids)},
                                              headers=dict([self.kop]) if self.kop else None)
            if antwoord.status_code != 200:
                return None
            return {run["id"]: (run.get("state") or {}).get("type") for run in antwoord.json()}
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    async def websocket(self, ws: WebSocket) -> None:
        """Relay a websocket both ways; the auth handshake with Prefect is the gateway's own."""
        adres = "ws" + self.basis.removeprefix("http") + ws.url.path + (f"?{ws.url.query}" if ws.url.query else "")
        wil_prefect = "prefect" in ws.scope.get("subprotocols", [])
        async with websockets.connect(adres, subprotocols=["prefect"], open_timeout=10,
                                      max_size=None) as boven:
            await boven.send(json.dumps({"type": "auth", "token": self.auth}))
            if not wil_prefect:
                await boven.recv()  # Prefect's auth_success: a browser without the handshake expects none
            await ws.accept(subprotocol="prefect" if wil_prefect else None)
            eerste = True

            async def naar_boven() -> None:
                nonlocal eerste
                while True:
                    bericht = await ws.receive()
                    if bericht["type"] == "websocket.disconnect":
                        return
                    tekst = bericht.get("text")
                    if eerste and wil_prefect and tekst:
                        eerste = False
                        try:
                            if json.loads(tekst).get("type") == "auth":
                                continue  # the browser's auth message: ours went already
                        except (ValueError, AttributeError):
                            pass
                    await boven.send(tekst if tekst is not None else bericht.get("bytes", b""))

            async def naar_beneden() -> None:
                async for bericht in boven:
                    if isinstance(bericht, bytes):
                        await ws.send_bytes(bericht)
                    else:
                        await ws.send_text(bericht)

            taken = [asyncio.create_task(naar_boven()), asyncio.create_task(naar_beneden())]
            try:
                await asyncio.wait(taken, return_when=asyncio.FIRST_COMPLETED)
            except WebSocketDisconnect:
                pass
            finally:
                for taak in taken:
                    taak.cancel()
        try:
            await ws.close()
        except RuntimeError:
            pass

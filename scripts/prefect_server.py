"""The Prefect server (API, UI, services) as `prefect server start` runs it, with two additions:

- when the API refuses a *Resume*, the reason is in Dutch. The UI shows that reason to staff as
  it is, e.g. Prefect's "Cannot resume a flow run that is not paused." when two colleagues send
  the same form at once;
- the UI follows the run on a flow run's page (`VT_UI_VOLGT_RUN`, on by default): a small
  script of ours (scripts/ui_volgt_run.js, added to the UI's pages) shows the next form as soon
  as the run waits for it. Both UIs refresh a run's page only every 5 s by themselves.

    python scripts/prefect_server.py --host 127.0.0.1 --port 4200      (start.sh does this)

Same app, settings and uvicorn options as the foreground `prefect server start` of Prefect 3.8
(`prefect.cli._server_utils._run_in_foreground`): `create_app(final=True)`, so migrations on
start, the UI and the background services behave exactly as before. With `--no-services` it is
one API replica of the cluster layout (scripts/cluster.py), as `prefect server start --no-services`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repo's templates

from templates import render  # noqa: E402

logger = logging.getLogger("vt.prefect_server")

_HERVATTEN = re.compile(r"/flow_runs/[^/]+/resume/?$")


def nederlandse_reden(reden: str) -> str:
    """Prefect's refusal of a resume (`prefect.server.api.flow_runs.resume_flow_run`), in Dutch."""
    if reden.startswith("Cannot resume a flow run that is not paused"):
        soort = "al_verwerkt"
    elif reden.startswith("Reason: "):  # the form does not match the schema of the current pause
        soort = "past_niet"
    else:
        soort = "anders"
    return render("prefect/hervatten_geweigerd.txt.j2", soort=soort).strip()


async def _herschreven(app, scope, receive, send, herschrijf, alleen_soort: bytes | None = None) -> None:
    """Let `app` answer, then send `herschrijf(body)` instead of its body: uncompressed (Prefect's
    GZipMiddleware may have compressed it) and with the new length. With `alleen_soort` only
    answers of that content type are rewritten; the others stream through as they are."""
    begin: dict = {}
    delen: list[bytes] = []

    async def verzenden(bericht) -> None:
        if bericht["type"] == "http.response.start":
            kop = {k.lower(): v for k, v in bericht.get("headers", [])}
            if alleen_soort and not kop.get(b"content-type", b"").startswith(alleen_soort):
                begin["doorgeven"] = True
                await send(bericht)
            else:
                begin.update(bericht)
            return
        if begin.get("doorgeven") or bericht["type"] != "http.response.body":
            await send(bericht)
            return
        delen.append(bericht.get("body", b""))
        if bericht.get("more_body"):
            return
        kopregels = begin["headers"]
        inhoud = b"".join(delen)
        if {k.lower(): v for k, v in kopregels}.get(b"content-encoding") == b"gzip":
            inhoud = gzip.decompress(inhoud)
        inhoud = herschrijf(inhoud)
        overig = [(k, v) for k, v in kopregels if k.lower() not in (b"content-length", b"content-encoding")]
        await send({**begin, "headers": overig + [(b"content-length", str(len(inhoud)).encode())]})
        await send({"type": "http.response.body", "body": inhoud})

    await app(scope, receive, verzenden)


class NederlandseHervatting:
    """ASGI middleware: rewrites `details.reason` in the JSON answer to POST .../flow_runs/{id}/resume.
    Every other request, and lifespan events, pass through untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _HERVATTEN.search(scope["path"]):
            await self.app(scope, receive, send)
            return
        await _herschreven(self.app, scope, receive, send, _vertaal)


def _vertaal(inhoud: bytes) -> bytes:
    try:
        antwoord = json.loads(inhoud)
        reden = antwoord["details"]["reason"]
    except (ValueError, KeyError, TypeError):
        return inhoud
    if not isinstance(reden, str) or antwoord.get("status") == "ACCEPT":
        return inhoud
    logger.info("Hervatten geweigerd door Prefect: %s", reden)
    antwoord["details"]["reason"] = nederlandse_reden(reden)
    return json.dumps(antwoord).encode()


_VOLG_SCRIPT_PAD = "/vt-ui/volgt-run.js"
_VOLG_SCRIPT = Path(__file__).with_name("ui_volgt_run.js")


class UiVolgtRun:
    """ASGI middleware: serves scripts/ui_volgt_run.js and adds it to every HTML page of the UI.
    API requests, assets and lifespan events pass through untouched."""

    def __init__(self, app) -> None:
        self.app = app
        self.script = _VOLG_SCRIPT.read_bytes()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return
        if scope["path"] == _VOLG_SCRIPT_PAD:
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/javascript; charset=utf-8"), (b"content-length", str(len(self.script)).encode()),
                (b"cache-control", b"no-cache")]})
            await send({"type": "http.response.body", "body": self.script})
            return
        await _herschreven(self.app, scope, receive, send, _voeg_script_toe, alleen_soort=b"text/html")


def _voeg_script_toe(inhoud: bytes) -> bytes:
    return inhoud.replace(b"</head>", f'<script src="{_VOLG_SCRIPT_PAD}" defer></script></head>'.encode(), 1)


def _aan(naam: str) -> bool:
    return os.environ.get(naam, "true").strip().lower() not in ("0", "false", "nee", "no", "")


def maak_app(zonder_diensten: bool = False):
    """The app factory (also: `uvicorn --app-dir scripts --factory prefect_server:maak_app`).
    `zonder_diensten`: the API and UI only, as `prefect server start --no-services` (an API
    replica of the cluster layout; the background services run once, elsewhere)."""
    from prefect.server.api.server import create_app

    app = NederlandseHervatting(create_app(final=True, webserver_only=zonder_diensten))
    return UiVolgtRun(app) if _aan("VT_UI_VOLGT_RUN") else app


def main(argv: list[str] | None = None) -> None:
    import prefect
    import uvicorn
    from prefect.settings import (
        PREFECT_SERVER_API_HOST,
        PREFECT_SERVER_API_KEEPALIVE_TIMEOUT,
        PREFECT_SERVER_API_PORT,
        PREFECT_SERVER_API_WEBSOCKET_PING_INTERVAL,
        PREFECT_SERVER_API_WEBSOCKET_PING_TIMEOUT,
        PREFECT_SERVER_LOGGING_LEVEL,
    )

    parser = argparse.ArgumentParser(description="Prefect-server met Nederlandse meldingen bij hervatten.")
    parser.add_argument("--host", default=PREFECT_SERVER_API_HOST.value())
    parser.add_argument("--port", type=int, default=PREFECT_SERVER_API_PORT.value())
    parser.add_argument("--no-services", action="store_true", dest="zonder_diensten",
                        help="alleen de API en UI, zoals `prefect server start --no-services`")
    argumenten = parser.parse_args(argv)
    uvicorn.run(
        app=maak_app(argumenten.zonder_diensten),
        app_dir=str(prefect.__module_path__.parent),
        host=argumenten.host,
        port=argumenten.port,
        timeout_keep_alive=PREFECT_SERVER_API_KEEPALIVE_TIMEOUT.value(),
        ws_ping_interval=PREFECT_SERVER_API_WEBSOCKET_PING_INTERVAL.value(),
        ws_ping_timeout=PREFECT_SERVER_API_WEBSOCKET_PING_TIMEOUT.value(),
        log_level=PREFECT_SERVER_LOGGING_LEVEL.value().lower(),
    )


if __name__ == "__main__":
    main()

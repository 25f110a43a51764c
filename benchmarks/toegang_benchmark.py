"""Benchmark: the time the gateway (web.toegang) adds to a request, beside direct access.

    .venv/bin/python benchmarks/toegang_benchmark.py [--aantal 300]

Starts, on free ports with its own temporary folder, the Prefect server as start.sh does
(scripts/prefect_server.py, with its credential; on a fresh PostgreSQL database, as in production
and the tests: on SQLite the setup of hundreds of runs meets "database is locked") and the gateway
in front of it, with a migrated case store (SQLite, as in the demo) and one local account. Then, in one run, interleaved request
by request so both paths see the same load:

- **run list**: `POST /api/flow_runs/filter` (the UI's run list, 50 runs of 300 present),
  directly with the server's credential, and through the gateway with a session cookie;
- **form submit**: `POST /api/flow_runs/{id}/resume` with a filled-in form, on runs waiting for
  it (created in the Suspended state with their form's schema, as `suspend_flow_run` stores it,
  named like a casus so the gateway also writes the access log). Direct: the answer as the UI
  sends it; through the gateway: the same, which then adds the account, forwards, reads the
  run's name and writes the access-log line.

Each request on its own keep-alive connection per path (as a browser holds one). Reports p50/p95
per path and their difference, with the load average before and after.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SLEUTEL = "vt:benchmark-sleutel"
WACHTWOORD = "benchmark-wachtwoord"


def vrije_poort() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def proces(argumenten: list[str], env: dict, log: Path, klaar: str):
    with open(log, "wb") as uit:
        p = subprocess.Popen(argumenten, cwd=REPO, env=env, stdout=uit, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        einde = time.monotonic() + 180
        while True:
            try:
                if httpx.get(klaar, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if p.poll() is not None or time.monotonic() > einde:
                raise RuntimeError(log.read_text())
            time.sleep(0.5)
        yield
    finally:
        os.killpg(p.pid, 15)
        p.wait(timeout=30)


def p(waarden: list[float], q: float) -> float:
    return statistics.quantiles(waarden, n=100, method="inclusive")[q - 1] if q < 100 else max(waarden)


def wachtende_runs(direct: httpx.Client, aantal: int) -> list[str]:
    """`aantal` runs Paused with a form schema, as a pause with `wait_for_input` leaves them (a Suspended
    run needs a deployment to resume into; the requests and answers through the gateway are the same)."""
    flow = direct.post("/api/flows/", json={"name": "benchmark-levensloop"}).json()["id"]
    schema = {"type": "object", "properties": {"besluit": {"type": "string"}}, "required": ["besluit"]}
    runs = []
    for n in range(aantal):
        run = direct.post("/api/flow_runs/", json={"flow_id": flow, "name": f"VT-2026-{900000 + n:06d}"}).json()["id"]
        sleutels = {s: f"suspended-stap-{s}" for s in ("schema", "description", "response")}
        direct.post(f"/api/flow_runs/{run}/input", json={"key": sleutels["schema"], "value": json.dumps(schema)})
        antwoord = direct.post(f"/api/flow_runs/{run}/set_state", json={"force": True, "state": {
            "type": "PAUSED", "name": "Suspended",
            "state_details": {"pause_key": "stap", "pause_reschedule": False, "run_input_keyset": sleutels}}})
        assert antwoord.json()["status"] == "ACCEPT", antwoord.text
        runs.append(run)
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aantal", type=int, default=300)
    args = parser.parse_args(argv)

    from models.dossier.toegang import maak_account
    from models.opslag.db import migreer, sessie
    from models.regels.toegang import Rol

    map_ = Path(tempfile.mkdtemp(prefix="vt-toegang-benchmark-"))
    database_url = f"sqlite:///{map_}/casussen.db"
    migreer(database_url)
    with sessie(database_url) as session:
        maak_account(session, "m.medewerker", "Medewerker", [Rol.medewerker], WACHTWOORD)
    prefect_poort, poort = vrije_poort(), vrije_poort()
    basis_env = {**os.environ, "PREFECT_HOME": str(map_ / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                 "PREFECT_SERVER_API_AUTH_STRING": SLEUTEL, "DATABASE_URL": database_url,
                 "VT_DATA_MAP": str(map_ / "vt")}
    prefect = f"http://127.0.0.1:{prefect_poort}"
    poort_adres = f"http://127.0.0.1:{poort}"
    from benchmarks.benchmarkdatabase import postgresql_database

    with postgresql_database() as prefect_db, proces([sys.executable, "scripts/prefect_server.py", "--host", "127.0.0.1", "--port", str(prefect_poort)],
                {**basis_env, "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db.replace("+psycopg", "+asyncpg", 1)},
                map_ / "prefect.log", f"{prefect}/api/health"), \
            proces([sys.executable, "-m", "web.toegang", "--port", str(poort), "--prefect", prefect],
                   basis_env, map_ / "toegangspoort.log", f"{poort_adres}/inloggen"):
        direct = httpx.Client(base_url=prefect, timeout=60, headers={
            "Authorization": "Basic " + base64.b64encode(SLEUTEL.encode()).decode()})
        via = httpx.Client(base_url=poort_adres, timeout=60)
        csrf = re.search(r'name="csrf" value="([^"]+)"', via.get("/inloggen").text).group(1)
        assert via.post("/inloggen", data={"csrf": csrf, "account": "m.medewerker", "wachtwoord": WACHTWOORD}).status_code == 303

        runs = wachtende_runs(direct, 2 * args.aantal)
        belasting_voor = os.getloadavg()
        metingen: dict[tuple[str, str], list[float]] = {}

        def meet(wat: str, pad: str, client: httpx.Client, url: str, body: dict, status: int) -> None:
            begin = time.perf_counter()
            antwoord = client.post(url, json=body)
            metingen.setdefault((wat, pad), []).append((time.perf_counter() - begin) * 1000)
            assert antwoord.status_code == status, (wat, pad, antwoord.status_code, antwoord.text[-400:])

        filter_ = {"limit": 50, "sort": "START_TIME_DESC"}
        for _ in range(5):  # warm both paths (connections, first queries)
            direct.post("/api/flow_runs/filter", json=filter_)
            via.post("/api/flow_runs/filter", json=filter_)
        for i in range(args.aantal):
            meet("runlijst", "direct", direct, "/api/flow_runs/filter", filter_, 200)
            meet("runlijst", "toegangspoort", via, "/api/flow_runs/filter", filter_, 200)
            invoer = {"run_input": {"besluit": "afsluiten"}}
            meet("formulier versturen", "direct", direct, f"/api/flow_runs/{runs[2 * i]}/resume", invoer, 201)
            meet("formulier versturen", "toegangspoort", via, f"/api/flow_runs/{runs[2 * i + 1]}/resume", invoer, 201)
        belasting_na = os.getloadavg()

    print(f"{args.aantal} verzoeken per soort en pad; load average voor {belasting_voor[0]:.1f} / "
          f"{belasting_voor[1]:.1f} / {belasting_voor[2]:.1f}, na {belasting_na[0]:.1f} / {belasting_na[1]:.1f} / "
          f"{belasting_na[2]:.1f}")
    print("| request | path | p50 ms | p95 ms |")
    print("|---|---|---:|---:|")
    for wat in ("runlijst", "formulier versturen"):
        for pad in ("direct", "toegangspoort"):
            w = metingen[(wat, pad)]
            print(f"| {wat} | {pad} | {p(w, 50):.1f} | {p(w, 95):.1f} |")
        # Paired: request i through the gateway right after request i directly, so both saw the
        # same moment of the machine's load.
        verschil = [v - d for d, v in zip(metingen[(wat, "direct")], metingen[(wat, "toegangspoort")])]
        print(f"| {wat} | **added by the gateway** (paired difference) | {p(verschil, 50):.1f} | {p(verschil, 95):.1f} |")


if __name__ == "__main__":
    main()

"""The two layouts the benchmarks compare, started on their own temporary folders and free ports;
shared by benchmarks/cluster_benchmark.py and benchmarks/massastart_benchmark.py.

- `enkel`: start.sh's layout: scripts/prefect_server.py on its own SQLite (API and services in one
  process), `python -m deployments.serve`, the case store on SQLite;
- `cluster`: scripts/cluster.py as `./start.sh --cluster`: Prefect on PostgreSQL, two API replicas
  behind HAProxy, the services process apart (pause expirations off), a private Redis, two worker
  machines; the case store on PostgreSQL.

Each sets DATABASE_URL (the case store, migrated and in line with the settings) for this process
and yields an `Opstelling`; the caller sets VT_DATA_MAP and VT_ENCRYPTION_KEY before.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


@dataclass
class Opstelling:
    api: str  # the Prefect API everything uses (the load balancer in the cluster)
    database_url: str  # the case store
    prefect_database: str  # Prefect's own database (async driver), as its server's settings name it
    processen: dict[str, int]  # "server" (one API replica), "worker", and "diensten", "vorkserver" in the cluster
    prefect: list[int]  # every process of the Prefect server: its API (replicas) and its services
    runs_onder: list[int]  # the processes the runs are started below


@contextmanager
def enkel(map_: Path):
    from tests.served import casussysteem, prefect_server

    thuis = map_ / "prefect"
    thuis.mkdir(parents=True)
    database_url = f"sqlite:///{map_}/casussen.db"
    os.environ["DATABASE_URL"] = database_url
    # Named, not left to PREFECT_HOME: this process reaches the same file (the bulk start's forms),
    # and a URL left in its environment by another layout must not reach the server.
    prefect_database = f"sqlite+aiosqlite:///{thuis / 'prefect.db'}"
    with prefect_server(thuis, {"PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_database}) as api:
        server = _luisteraar(int(api.rsplit(":", 1)[1].split("/")[0]))
        with casussysteem(api, database_url, map_) as (_engine, served):
            yield Opstelling(api, database_url, prefect_database, {"server": server, "worker": served.proces.pid},
                             [server], [served.proces.pid])


@contextmanager
def cluster(map_: Path, warm: bool = True):
    import prefect.settings

    from models.opslag.db import migreer
    from scripts.cluster import Opzet, cluster as start_cluster, maak_database, POSTGRES, vrije_poort

    naam = f"vt_bench_cluster_{uuid.uuid4().hex[:8]}"
    maak_database(POSTGRES, naam)
    database_url = f"{POSTGRES}/{naam}"
    os.environ["DATABASE_URL"] = database_url
    migreer(database_url)
    try:
        with start_cluster(Opzet(map_ / "cluster", vrije_poort(), prefect_database=f"{naam}_prefect", warm=warm)) as c, \
                prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: c.api_url}):
            delen = {d.naam: d.proces.pid for d in c.delen}
            processen = {"server": delen["api-1"], "diensten": delen["diensten"], "worker": delen["worker-1"]}
            if "vorkserver-1" in delen:
                processen["vorkserver"] = delen["vorkserver-1"]
            yield Opstelling(
                c.api_url, database_url, c.prefect_database_url(), processen,
                [pid for naam, pid in delen.items() if naam.startswith("api-") or naam == "diensten"],
                # Runs: below the workers (cold) or below the fork servers (warm).
                [pid for naam, pid in delen.items() if naam.startswith(("worker-", "vorkserver-"))])
    finally:
        import psycopg

        from models.opslag.db import engine_voor

        engine_voor.cache_clear()  # its pool holds connections to the database being dropped
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            for db in (naam, f"{naam}_prefect"):
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _luisteraar(poort: int) -> int:
    """The pid of the process listening on 127.0.0.1:`poort` (the Prefect server of `enkel`)."""
    uit = subprocess.run(["ss", "-Htlnp", f"sport = :{poort}"], capture_output=True, text=True).stdout
    return int(uit.split("pid=")[1].split(",")[0])

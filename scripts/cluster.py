"""The cluster layout on Prefect's own distributed parts, on one machine as a stand-in for several
(`./start.sh --cluster` runs it; tests/test_cluster.py and benchmarks/cluster_benchmark.py start it
from Python with `cluster(...)`). docs/beheer.md, chapter "Cluster", says what runs where.

    Redis (private, on its own port)    messaging broker, cache, lease storage, docket
    PostgreSQL database of Prefect      migrated once, as a step of its own
    API replicas (>= 2)                 scripts/prefect_server.py --no-services
    HAProxy                             the one Prefect address: spreads over the replicas
    gateways (>= 2)                     python -m web.toegang (with --toegangspoort); sessions in the case store
    HAProxy for the gateways            the system's address (4200): spreads over the gateways
    background services (once)          prefect server services start
    deployments on a process work pool  python -m deployments.werkpool (and the heartbeat automation)
    worker machines (>= 2), each:
      fork server                       python -m deployments._vorkserver --socket ... (runs start warm)
      worker                            prefect worker start --pool ... (VT_VORKSERVER_SOCKET: that socket)

    python scripts/cluster.py --map .vt/cluster --poort 4201 [--toegangspoort 4200]
                                                                 (foreground until SIGTERM/Ctrl-C)

Every part is its own process group; `stop()` ends them in reverse order. A worker machine is its
worker and its fork server (and the runs forked from it): `kill_machine(i)` kills all of them. The case store
(DATABASE_URL), the settings (VT_INSTELLINGEN), the key (VT_ENCRYPTION_KEY) and the data folder
(VT_DATA_MAP) are taken from the environment and handed to every worker, and so to every run, and
to the gateways, with the Prefect credential and the gateways' cookie key (VT_POORT_GEHEIM, or the
file in the data folder they share).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PREFECT = str(Path(sys.executable).with_name("prefect"))
POSTGRES = os.environ.get("VT_CLUSTER_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def vrije_poort() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Opzet:
    """What to start. `map` holds every log, the HAProxy configuration and Redis's files."""

    map: Path
    poort: int  # the load balancer: the Prefect API address of everything else
    prefect_database: str = "vt_prefect_cluster"
    replicas: int = 2
    workers: int = 2
    pool: str = "vt"
    # At most this many runs at once over all workers: each run holds connections to the case store
    # (a pool of 5) and may send mail; PostgreSQL's max_connections (100 by default) bounds the sum.
    gelijktijdige_runs: int = 40
    # Runs start warm, forked from a fork server next to each worker (False: each run a cold interpreter).
    warm: bool = True
    postgres: str = POSTGRES
    omgeving: dict[str, str] = field(default_factory=dict)  # extra settings for every part
    # The system's address: a load balancer over `toegangspoorten` gateways (None: no gateways,
    # only the Prefect part).
    toegangspoort: int | None = None
    toegangspoorten: int = 2


@dataclass
class Deel:
    naam: str
    proces: subprocess.Popen
    log: Path


class Cluster:
    def __init__(self, opzet: Opzet) -> None:
        self.opzet = opzet
        self.delen: list[Deel] = []
        self.redis_poort = vrije_poort()
        self.replica_poorten = [vrije_poort() for _ in range(opzet.replicas)]
        self.poort_poorten = [vrije_poort() for _ in range(opzet.toegangspoorten if opzet.toegangspoort else 0)]
        self.api_url = f"http://127.0.0.1:{opzet.poort}/api"
        (opzet.map / "logs").mkdir(parents=True, exist_ok=True)
        # The fork servers' sockets: a short path (a UNIX socket's is at most 107 bytes), 0700.
        self.socketmap = Path(tempfile.mkdtemp(prefix="vt-vork-"))

    # --- environment --------------------------------------------------------------------------

    def prefect_database_url(self) -> str:
        return f"postgresql+asyncpg://{self.opzet.postgres.split('://', 1)[1]}/{self.opzet.prefect_database}"

    def omgeving(self) -> dict[str, str]:
        """The settings every part shares (docs/beheer.md lists them)."""
        from models.regels.instellingen import instellingen

        redis = f"redis://127.0.0.1:{self.redis_poort}/0"
        resultaten = self.opzet.map / "prefect-resultaten"
        resultaten.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "PREFECT_HOME": str(self.opzet.map / "prefect"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": self.prefect_database_url(),
            "PREFECT_SERVER_DATABASE_MIGRATE_ON_START": "false",
            # Our forms wait without a timeout: the service that expires pauses only costs CPU.
            "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
            "PREFECT_SERVER_EVENTS_MESSAGING_BROKER": "prefect_redis.messaging",
            "PREFECT_SERVER_EVENTS_MESSAGING_CACHE": "prefect_redis.messaging",
            "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
            "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
            "PREFECT_SERVER_DOCKET_URL": redis,
            "PREFECT_REDIS_MESSAGING_URL": redis,
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(instellingen().levensloop.hartslag_seconden),
            # A resumed run may land on another worker: task results live where every worker reads them.
            "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
            "PREFECT_LOCAL_STORAGE_PATH": str(resultaten),
            # Staff wait on every step: workers look for resumed runs every second.
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "2",
            "PYTHONPATH": str(REPO),
            **self.opzet.omgeving,
        }

    # --- parts --------------------------------------------------------------------------------

    def _start(self, naam: str, cmd: list[str], omgeving: dict[str, str] | None = None) -> Deel:
        log = self.opzet.map / "logs" / f"{naam}.log"
        with open(log, "ab") as uit:
            proces = subprocess.Popen(cmd, cwd=REPO, env={**self.omgeving(), **(omgeving or {})}, stdout=uit,
                                      stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        deel = Deel(naam, proces, log)
        self.delen.append(deel)
        return deel

    def _stap(self, naam: str, cmd: list[str], timeout: float = 300) -> None:
        log = self.opzet.map / "logs" / f"{naam}.log"
        with open(log, "ab") as uit:
            rc = subprocess.run(cmd, cwd=REPO, env=self.omgeving(), stdout=uit, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=timeout).returncode
        if rc != 0:
            raise RuntimeError(f"stap '{naam}' mislukt (exit {rc}):\n{_staart(log)}")

    def _wacht(self, deel: Deel, klaar, timeout: float = 120) -> None:
        einde = time.monotonic() + timeout
        while not klaar():
            if deel.proces.poll() is not None:
                raise RuntimeError(f"{deel.naam} stopte tijdens het opstarten:\n{_staart(deel.log)}")
            if time.monotonic() > einde:
                raise RuntimeError(f"{deel.naam} is na {timeout} s niet klaar:\n{_staart(deel.log)}")
            time.sleep(0.3)

    def start_redis(self) -> None:
        data = self.opzet.map / "redis"
        data.mkdir(exist_ok=True)
        deel = self._start("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_poort),
                                     "--dir", str(data), "--save", "", "--appendonly", "no"])
        self._wacht(deel, lambda: _antwoordt_tcp(self.redis_poort), 30)

    def maak_prefect_database(self) -> None:
        """Prefect's own database on the PostgreSQL server (not the case store's)."""
        maak_database(self.opzet.postgres, self.opzet.prefect_database)

    def migreer(self) -> None:
        self._stap("prefect-database-upgrade", [PREFECT, "server", "database", "upgrade", "-y"])

    def start_replica(self, i: int) -> Deel:
        poort = self.replica_poorten[i]
        deel = self._start(f"api-{i + 1}", [sys.executable, str(REPO / "scripts" / "prefect_server.py"),
                                            "--host", "127.0.0.1", "--port", str(poort), "--no-services"])
        self._wacht(deel, lambda: _gezond(f"http://127.0.0.1:{poort}/api"))
        return deel

    def start_diensten(self) -> None:
        self._start("diensten", [PREFECT, "server", "services", "start"])

    def start_loadbalancer(self) -> None:
        cfg = self.opzet.map / "haproxy.cfg"
        cfg.write_text(haproxy_configuratie(self.opzet.poort, self.replica_poorten))
        deel = self._start("haproxy", ["haproxy", "-db", "-f", str(cfg)])
        self._wacht(deel, lambda: _gezond(self.api_url), 30)

    def start_toegangspoort(self, i: int) -> Deel:
        """Gateway i: its own process (its own web machine), on the case store and Prefect's load balancer."""
        adres = f"http://127.0.0.1:{self.poort_poorten[i]}"
        deel = self._start(f"toegangspoort-{i + 1}", [
            sys.executable, "-m", "web.toegang", "--host", "127.0.0.1", "--port", str(self.poort_poorten[i]),
            "--prefect", self.api_url.removesuffix("/api")])
        self._wacht(deel, lambda: _antwoordt_http(f"{adres}/inloggen"), 60)
        return deel

    def start_toegangspoorten(self) -> None:
        """The gateways and their load balancer on the system's address (`opzet.toegangspoort`)."""
        for i in range(len(self.poort_poorten)):
            self.start_toegangspoort(i)
        cfg = self.opzet.map / "haproxy-toegang.cfg"
        cfg.write_text(haproxy_toegang_configuratie(self.opzet.toegangspoort, self.poort_poorten))
        deel = self._start("haproxy-toegang", ["haproxy", "-db", "-f", str(cfg)])
        self._wacht(deel, lambda: _antwoordt_http(f"http://127.0.0.1:{self.opzet.toegangspoort}/inloggen"), 30)

    def registreer_deployments(self) -> None:
        self._stap("deployments", [sys.executable, "-m", "deployments.werkpool", "--pool", self.opzet.pool,
                                   "--gelijktijdig", str(self.opzet.gelijktijdige_runs),
                                   *([] if self.opzet.warm else ["--koud"])])

    def socket(self, i: int) -> Path:
        return self.socketmap / f"{i + 1}.sock"

    def start_vorkserver(self, i: int) -> Deel:
        """The fork server of worker machine i: imports everything once, then forks its runs."""
        deel = self._start(f"vorkserver-{i + 1}", [sys.executable, "-m", "deployments._vorkserver",
                                                   "--socket", str(self.socket(i))])
        self._wacht(deel, self.socket(i).exists)
        return deel

    def start_worker(self, i: int) -> Deel:
        return self._start(f"worker-{i + 1}", [PREFECT, "worker", "start", "--pool", self.opzet.pool,
                                               "--type", "process", "--name", f"worker-{i + 1}"],
                           {"VT_VORKSERVER_SOCKET": str(self.socket(i))})

    def start_machine(self, i: int) -> None:
        """One worker machine: its fork server, then its worker."""
        if self.opzet.warm:
            self.start_vorkserver(i)
        self.start_worker(i)

    def start(self) -> None:
        self.start_redis()
        self.maak_prefect_database()
        self.migreer()
        for i in range(self.opzet.replicas):
            self.start_replica(i)
        self.start_loadbalancer()
        self.start_diensten()
        self.registreer_deployments()
        for i in range(self.opzet.workers):
            self.start_machine(i)
        if self.opzet.toegangspoort:
            self.start_toegangspoorten()

    # --- stopping -----------------------------------------------------------------------------

    def deel(self, naam: str) -> Deel:
        return next(d for d in reversed(self.delen) if d.naam == naam)

    def kill(self, *namen: str) -> None:
        """`kill -9` of parts and of every process they started (a worker's runs run in sessions of
        their own), all at once: what the loss of their machine does."""
        delen = [self.deel(naam) for naam in namen]
        for pid in [p for d in delen for p in (d.proces.pid, *_afstammelingen(d.proces.pid))]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for deel in delen:
            deel.proces.wait(timeout=30)

    def kill_machine(self, i: int) -> None:
        """The loss of worker machine i: its worker, its fork server and every run of either."""
        self.kill(*(d.naam for d in self.delen if d.naam in (f"worker-{i + 1}", f"vorkserver-{i + 1}")))

    def stop(self) -> None:
        """SIGTERM to every part at once (workers first), then wait: start.sh gives 15 s in all."""
        nakomelingen = {d.proces.pid: _afstammelingen(d.proces.pid) for d in self.delen}
        for deel in reversed(self.delen):
            if deel.proces.poll() is None:
                _signaal_groep(deel.proces.pid, signal.SIGTERM)
        einde = time.monotonic() + 12
        for deel in reversed(self.delen):
            try:
                deel.proces.wait(timeout=max(0.1, einde - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signaal_groep(deel.proces.pid, signal.SIGKILL)
                deel.proces.wait(timeout=10)
            for pid in nakomelingen[deel.proces.pid]:  # runs a worker started in sessions of their own
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.delen.clear()
        shutil.rmtree(self.socketmap, ignore_errors=True)


def maak_database(postgres: str, naam: str) -> None:
    """An empty database `naam` on the PostgreSQL server, unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (naam,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))


def haproxy_configuratie(poort: int, replicas: list[int]) -> str:
    """Round robin over the API replicas, each checked on /api/health every second. A request
    that finds a replica gone is sent to another one (`retry-on conn-failure`, `redispatch`);
    websockets (events in, logs) stay open as long as they are used."""
    servers = "\n".join(f"    server api{i + 1} 127.0.0.1:{p} check inter 1s fall 2 rise 2"
                        for i, p in enumerate(replicas))
    return f"""global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend prefect
    bind 127.0.0.1:{poort}
    default_backend api

backend api
    balance roundrobin
    option httpchk GET /api/health
{servers}
"""


def haproxy_toegang_configuratie(poort: int, poorten: list[int]) -> str:
    """Round robin over the gateways, each checked on its log-in page every second: no sticky
    sessions (a session is in the case store, the cookie key the same on each). A connection a
    gateway refuses goes to another one; a request a gateway received is never sent twice (it may
    have been a decision). The gateway learns the person's address from X-Forwarded-For (it trusts
    127.0.0.1, `--forwarded-allow-ips`), for the access log."""
    servers = "\n".join(f"    server poort{i + 1} 127.0.0.1:{p} check inter 1s fall 2 rise 2"
                        for i, p in enumerate(poorten))
    return f"""global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend toegang
    bind 127.0.0.1:{poort}
    default_backend toegangspoorten

backend toegangspoorten
    balance roundrobin
    option forwardfor
    option httpchk GET /inloggen
{servers}
"""


def _antwoordt_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as antwoord:
            return antwoord.status == 200
    except OSError:
        return False


def _antwoordt_tcp(poort: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", poort)) == 0


def _gezond(api_url: str) -> bool:
    return _antwoordt_http(f"{api_url}/health")


def _afstammelingen(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren...), from /proc. Processes come and go
    while it reads: one that is gone is skipped."""
    kinderen: dict[int, list[int]] = {}
    for naam in os.listdir("/proc"):
        if not naam.isdigit():
            continue
        try:
            velden = Path(f"/proc/{naam}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        kinderen.setdefault(int(velden[1]), []).append(int(naam))
    gevonden, rij = [], [pid]
    while rij:
        for kind in kinderen.get(rij.pop(), []):
            gevonden.append(kind)
            rij.append(kind)
    return gevonden


def _signaal_groep(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _staart(log: Path, regels: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-regels:])
    except OSError:
        return ""


@contextmanager
def cluster(opzet: Opzet) -> Iterator[Cluster]:
    """The whole layout, started; stopped again afterwards (also after a failed start)."""
    c = Cluster(opzet)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["database"]:  # python scripts/cluster.py database NAAM: the case store's database
        maak_database(POSTGRES, argv[1])
        return
    parser = argparse.ArgumentParser(description="Prefect in de cluster-opzet op deze machine (./start.sh --cluster).")
    parser.add_argument("--map", type=Path, required=True, help="logs, HAProxy-configuratie, Redis")
    parser.add_argument("--poort", type=int, required=True, help="poort van de load balancer (het Prefect-adres)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--prefect-database", default="vt_prefect_cluster")
    parser.add_argument("--toegangspoort", type=int,
                        help="het adres van het systeem: een load balancer over twee toegangspoorten op deze poort")
    argumenten = parser.parse_args(argv)
    opzet = Opzet(argumenten.map.resolve(), argumenten.poort, prefect_database=argumenten.prefect_database,
                  replicas=argumenten.replicas, workers=argumenten.workers, toegangspoort=argumenten.toegangspoort)
    stoppen = False

    def bij_signaal(*_):
        nonlocal stoppen
        stoppen = True

    signal.signal(signal.SIGTERM, bij_signaal)
    signal.signal(signal.SIGINT, bij_signaal)
    c = Cluster(opzet)
    try:
        c.start()
        (opzet.map / "klaar").write_text(c.api_url)
        poorten = f", {len(c.poort_poorten)} toegangspoorten op poort {opzet.toegangspoort}" if c.poort_poorten else ""
        print(f"[cluster] klaar: Prefect-API {c.api_url} ({opzet.replicas} replica's, {opzet.workers} workers{poorten})",
              flush=True)
        while not stoppen:
            if gestopt := [d for d in c.delen if d.proces.poll() is not None]:
                print(f"[cluster] {gestopt[0].naam} is onverwacht gestopt:\n{_staart(gestopt[0].log)}", flush=True)
                sys.exit(1)
            time.sleep(1)
    finally:
        (opzet.map / "klaar").unlink(missing_ok=True)
        c.stop()


if __name__ == "__main__":
    main()

"""Benchmark: one node beside the cluster layout, in one run of this script.

    .venv/bin/python benchmarks/cluster_benchmark.py [--beslissingen 20] [--opzet enkel cluster cluster-koud]
    .venv/bin/python benchmarks/cluster_benchmark.py --opzet enkel --beslissingen 1 20 [--profiel MAP]

The layouts (benchmarks/opstellingen.py, shared with benchmarks/massastart_benchmark.py):
- `enkel`: start.sh's layout: scripts/prefect_server.py on its own SQLite, `python -m
  deployments.serve` (runs forked from the preloaded forkserver), the case store on SQLite;
- `cluster`: scripts/cluster.py as `./start.sh --cluster`: Prefect on PostgreSQL, two API
  replicas behind HAProxy, the services process, a private Redis, two worker machines (a process
  worker and the fork server its runs start from, each); the case store on PostgreSQL;
- `cluster-koud`: the same, but every run started cold by the worker (`python -m prefect.engine`,
  `deployments.werkpool --koud`): the layout before the fork servers, for comparison.

Per layout: `--beslissingen` casussen are registered straight in the case store and get their
lifecycle runs at once (`vt levensloop start-open`), each waiting at its first decision. Then
every decision is sent at the same moment, through the API, as the UI's *Resume* sends it, and
each is timed from that request until the casus's next form is there (the run Suspended at the
next decision, its form stored). Printed as Markdown rows: p50/p95 of that wait, decisions per
minute (all of them over the time until the last one was done), and the largest memory (RSS)
seen during the decisions of the Prefect server (one API replica; and the services process), a
worker (the serving process for `enkel`) and one resumed run (also its PSS). With the load
average: this machine is shared, say so beside the figures.

Several numbers for `--beslissingen` are waves on the same system (`1 20`: one decision alone,
then twenty at once). For `enkel` each wave also prints the CPU seconds per decision, from /proc,
of the Prefect server, the serving process and the runs forked for it (counted when each run
has ended), and the system's CPU at rest with all casussen waiting; `--profiel MAP` records
py-spy stacks (`--gil --subprocesses`) of the server and of the serving process with its runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from opstellingen import cluster, enkel  # noqa: E402  (benchmarks/: the layouts, shared)

BESLUIT = {"besluit": "rvdk_verzoek", "door": "Benchmark"}


class _Omgeving:
    """What tests.helpers.regio_voor_test expects of pytest's monkeypatch."""

    def setenv(self, naam: str, waarde: str) -> None:
        os.environ[naam] = waarde


def belasting() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def rss_mb(pid: int) -> float:
    try:
        for regel in Path(f"/proc/{pid}/status").read_text().splitlines():
            if regel.startswith("VmRSS:"):
                return int(regel.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional memory: pages shared with the forkserver and the other runs count in part."""
    try:
        for regel in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if regel.startswith("Pss:"):
                return int(regel.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Geheugen(threading.Thread):
    """Samples every 0.5 s the RSS of named processes, and the largest run below `runs_onder`."""

    def __init__(self, processen: dict[str, int], runs_onder: list[int], niet: set[int]) -> None:
        super().__init__(daemon=True)
        self.processen, self.runs_onder, self.niet = processen, runs_onder, niet
        self.maximum: dict[str, float] = dict.fromkeys([*processen, "run", "run_pss"], 0.0)
        self.stop = threading.Event()

    def run(self) -> None:
        from scripts.cluster import _afstammelingen

        while not self.stop.wait(0.5):
            for naam, pid in self.processen.items():
                self.maximum[naam] = max(self.maximum[naam], rss_mb(pid))
            for ouder in self.runs_onder:
                for pid in _afstammelingen(ouder):
                    if pid not in self.niet and ("prefect.engine" in _cmdline(pid) or _is_forkserver_kind(pid)):
                        self.maximum["run"] = max(self.maximum["run"], rss_mb(pid))
                        self.maximum["run_pss"] = max(self.maximum["run_pss"], pss_mb(pid))


TIK = os.sysconf("SC_CLK_TCK")


def cpu_seconden(pid: int) -> tuple[float, float]:
    """(CPU seconds of the process itself, of its children that ended and were reaped), user + system."""
    try:
        velden = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return (int(velden[11]) + int(velden[12])) / TIK, (int(velden[13]) + int(velden[14])) / TIK


def forkserver_van(ouder: int) -> int | None:
    from scripts.cluster import _afstammelingen

    return next((pid for pid in _afstammelingen(ouder) if "forkserver" in _cmdline(pid)), None)


class Cpu:
    """CPU seconds, from /proc, of the Prefect server, the serving process and the runs forked from
    its forkserver (each run's CPU is added to the forkserver's children's account when it ends)."""

    def __init__(self, server: int, serve: int) -> None:
        self.server, self.serve, self.forkserver = server, serve, forkserver_van(serve)

    def stand(self) -> dict[str, float]:
        eigen, kinderen = cpu_seconden(self.forkserver) if self.forkserver else (0.0, 0.0)
        return {"server": sum(cpu_seconden(self.server)), "serve": cpu_seconden(self.serve)[0],
                "runs": eigen + kinderen}

    def wacht_tot_runs_weg(self, timeout: float = 120) -> None:
        """Until every run forked for the decisions has ended (its CPU is counted only then)."""
        from scripts.cluster import _afstammelingen

        einde = time.monotonic() + timeout
        while self.forkserver and _afstammelingen(self.forkserver) and time.monotonic() < einde:
            time.sleep(0.2)


@contextmanager
def profiel(map_: Path | None, naam: str, pids: dict[str, int]):
    """py-spy record of each process (with `--subprocesses`: the runs it forks too), raw stacks. Only
    threads that hold the GIL are sampled (`--gil`): Python's CPU, not threads waiting."""
    if map_ is None:
        yield
        return
    map_.mkdir(parents=True, exist_ok=True)
    spionnen = [subprocess.Popen([str(REPO / ".venv" / "bin" / "py-spy"), "record", "--pid", str(pid), "--rate", "100",
                                  "--nonblocking", "--gil", "--format", "raw", "--subprocesses", "-o",
                                  str(map_ / f"{naam}-{wie}.txt")], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL) for wie, pid in pids.items()]
    try:
        yield
    finally:
        for spion in spionnen:
            spion.send_signal(2)
        for spion in spionnen:
            spion.wait(timeout=60)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_forkserver_kind(pid: int) -> bool:
    """A run forked from deployments.serve's forkserver or a worker machine's fork server (its
    parent)."""
    try:
        ouder = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return False
    return any(naam in _cmdline(ouder) for naam in ("forkserver", "_vorkserver"))


# --- casussen waiting at a decision -----------------------------------------------------------------


def maak_casussen(aantal: int) -> None:
    """`aantal` regular meldingen, each its own casus, registered in the case store (no runs yet)."""
    from models.dossier.demo import demo_meldingen
    from models.dossier.registratie import registreer_meldingen
    from models.opslag.db import sessie
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import nu
    from models.regels.instellingen import instellingen

    regio = instellingen()
    meldingen = [m for m in demo_meldingen(regio, aantal * 6, nu=nu(), seed=15, hermelding_aandeel=0.0)
                 if m.urgentie == "regulier"][:aantal]
    with sessie() as session:
        synchroniseer(session, regio)
    with sessie() as session:
        registreer_meldingen(session, meldingen, regio, actor="benchmark")


def wachtende_runs(api: str) -> dict[str, str]:
    """Run id -> pause key, of every lifecycle run waiting at its first decision ("besluit-1")."""
    from prefect.client.orchestration import SyncPrefectClient
    from sqlmodel import select

    from models.opslag.casus import Casus
    from models.opslag.db import sessie

    with sessie() as session:
        runs = [r for r in session.exec(select(Casus.flow_run_id).where(Casus.flow_run_id.is_not(None)))]
    uit = {}
    with SyncPrefectClient(api) as client:
        for run_id in runs:
            state = client.read_flow_run(UUID(run_id)).state
            if state.is_paused() and state.state_details.pause_key.endswith("-besluit-1"):
                uit[run_id] = state.state_details.pause_key
    return uit


def beslis_allemaal(api: str, runs: dict[str, str]) -> list[float]:
    """Every decision at once (one thread each, as many people clicking Resume); seconds until each
    casus's next form is there. One watcher reads all runs in one request every 0.25 s, so the
    measuring itself costs the server little (a thread per run polling its own run did: part of
    the server's CPU per decision was the benchmark's)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.exceptions import PrefectHTTPStatusError

    from tests.served import _client, _formulier_klaar, hervat

    begin: dict[str, float] = {}
    opnieuw: list[str] = []  # resumes refused with 503 and sent again
    fouten: list[BaseException] = []
    start = threading.Barrier(len(runs))

    def een(run_id: str) -> None:
        try:
            start.wait()
            begin[run_id] = time.perf_counter()
            for poging in range(10):  # SQLite's "database is locked" is a 503: a person clicks again
                try:
                    hervat(api, run_id, BESLUIT)
                    break
                except PrefectHTTPStatusError as fout:
                    if fout.response.status_code != 503 or poging == 9:
                        raise
                    opnieuw.append(run_id)
                    time.sleep(1)
        except BaseException as fout:  # noqa: BLE001 - reported after all threads end
            fouten.append(fout)

    draden = [threading.Thread(target=een, args=(run_id,)) for run_id in runs]
    for d in draden:
        d.start()
    volgende = {run_id: sleutel.replace("besluit-1", "uitkomst-rvdk-1") for run_id, sleutel in runs.items()}
    klaar: dict[str, float] = {}
    einde = time.monotonic() + 900
    with _client(api) as client:
        while len(klaar) < len(runs) and not fouten:
            if time.monotonic() > einde:
                raise TimeoutError(f"{len(runs) - len(klaar)} casussen zonder volgend formulier na 900 s")
            time.sleep(0.25)
            huidig = _huidige_runs(runs.values())
            open_ = [UUID(huidig[s]) for r, s in runs.items() if r not in klaar]
            for run in client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=open_))):
                oud = next(r for r, s in runs.items() if huidig[s] == str(run.id))
                if (run.state.is_paused() and run.state.state_details.pause_key == volgende[oud]
                        and _formulier_klaar(client, run)):
                    klaar[oud] = time.perf_counter()
    for d in draden:
        d.join()
    if fouten:
        raise fouten[0]
    if opnieuw:
        print(f"  {len(opnieuw)} keer Resume opnieuw na 503 (SQLite bezet)", flush=True)
    return [klaar[r] - begin[r] for r in runs]


def _huidige_runs(sleutels) -> dict[str, str]:
    """Pause key -> the casus's current run (the pause key starts with its reference in lower case)."""
    from sqlmodel import select

    from models.opslag.casus import Casus
    from models.opslag.db import sessie

    referenties = {s.rsplit("-besluit-1", 1)[0].upper(): s for s in sleutels}
    with sessie() as session:
        rijen = session.exec(select(Casus.referentie, Casus.flow_run_id).where(Casus.referentie.in_(referenties)))
        return {referenties[ref]: run_id for ref, run_id in rijen}


def start_open(api: str) -> None:
    env = {**os.environ, "PREFECT_API_URL": api}
    subprocess.run([str(REPO / ".venv" / "bin" / "vt"), "levensloop", "start-open"], env=env, check=True,
                   cwd=REPO, stdout=subprocess.DEVNULL)


# --- the two layouts ---------------------------------------------------------------------------------


def meet(opzet: str, golven: list[int], smtp, profielmap: Path | None = None) -> list[dict]:
    """Per wave of `golven` (e.g. [1, 20]: one decision alone, then 20 at once, on the same system)
    a result row; for `enkel` with the CPU seconds per decision of each process."""
    import prefect.settings
    from cryptography.fernet import Fernet

    from tests.helpers import regio_voor_test

    map_ = Path(tempfile.mkdtemp(prefix=f"vt-cluster-bench-{opzet}-"))
    os.environ.update(VT_DATA_MAP=str(map_ / "vt"), VT_ENCRYPTION_KEY=Fernet.generate_key().decode())
    regio_voor_test(map_, _Omgeving(), smtp, levensloop={"gelijktijdige_starts": max(golven)})
    uit = []
    opzetten = {"enkel": enkel, "cluster": cluster, "cluster-koud": lambda m: cluster(m, warm=False)}
    with opzetten[opzet](map_) as opstelling:
        api, processen, runs_onder = opstelling.api, opstelling.processen, opstelling.runs_onder
        with prefect.settings.temporary_settings({prefect.settings.PREFECT_API_URL: api}):
            maak_casussen(sum(golven))
            start_open(api)
            wachtend = list(wachtende_runs(api).items())
            teller = Cpu(processen["server"], processen["worker"]) if opzet == "enkel" else None
            rust = None
            if teller:  # the system at rest with all casussen waiting: what it costs per second
                teller.wacht_tot_runs_weg()
                voor = teller.stand()
                time.sleep(20)
                rust = {k: (v - voor[k]) / 20 for k, v in teller.stand().items()}
            for aantal in golven:
                runs = dict(wachtend[:aantal])
                wachtend = wachtend[aantal:]
                print(f"[{opzet}] {aantal} tegelijk, load average {belasting()}", flush=True)
                geheugen = Geheugen(processen, runs_onder, niet=set(processen.values()))
                geheugen.start()
                voor = teller.stand() if teller else None
                with profiel(profielmap, f"{opzet}-{aantal}", {"server": processen["server"],
                                                               "serve": processen["worker"]}):
                    begin = time.perf_counter()
                    tijden = beslis_allemaal(api, runs)
                    duur = time.perf_counter() - begin
                    if teller:
                        teller.wacht_tot_runs_weg()
                geheugen.stop.set()
                geheugen.join()
                cpu = {k: (v - voor[k]) / len(tijden) for k, v in teller.stand().items()} if teller else None
                uit.append(dict(opzet=opzet, n=len(tijden), p50=statistics.median(tijden),
                                p95=sorted(tijden)[max(0, round(0.95 * len(tijden)) - 1)],
                                per_minuut=len(tijden) / duur * 60, rss=geheugen.maximum, belasting=belasting(),
                                cpu=cpu, rust=rust, wachtend=sum(golven)))
                time.sleep(5)  # the runs' last log lines and events settle before the next wave
    return uit


def rapport(resultaten: list[dict]) -> None:
    print("\n| layout | decisions at once | submit → next form p50 | p95 | decisions/min | RSS server "
          "(API replica) | RSS services | RSS worker | RSS one resumed run (PSS) | load average (1/5/15) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in resultaten:
        naam = {"enkel": "one node (serve(), SQLite server)",
                "cluster": "cluster (PostgreSQL, 2 replicas, 2 workers, runs forked warm)",
                "cluster-koud": "cluster, runs started cold (before)"}[r["opzet"]]
        rss = r["rss"]
        diensten = f"{rss['diensten']:.0f} MB" if "diensten" in rss else "(in the server)"
        print(f"| {naam} | {r['n']} | {r['p50']:.1f} s | {r['p95']:.1f} s | {r['per_minuut']:.1f} | "
              f"{rss['server']:.0f} MB | {diensten} | {rss['worker']:.0f} MB | {rss['run']:.0f} MB ({rss['run_pss']:.0f} MB) | {r['belasting']} |")
    cpu = [r for r in resultaten if r.get("cpu")]
    if cpu:
        print("\n| decisions at once | CPU s per decision: Prefect server | serving process | runs (forked) | "
              "total | at rest, CPU s per second: server / serving / forkserver (casussen waiting) |")
        print("|---|---|---|---|---|---|")
        for r in cpu:
            c, rust = r["cpu"], r["rust"]
            print(f"| {r['n']} | {c['server']:.2f} | {c['serve']:.2f} | {c['runs']:.2f} | {sum(c.values()):.2f} | "
                  f"{rust['server']:.3f} / {rust['serve']:.3f} / {rust['runs']:.3f} ({r['wachtend']}) |")
    for r in resultaten:
        if "vorkserver" in r["rss"]:
            print(f"({r['opzet']}: RSS of one fork server {r['rss']['vorkserver']:.0f} MB; a forked run shares "
                  "its pages with it until it writes them)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beslissingen", type=int, nargs="+", default=[20],
                        help="decisions at once; several numbers are waves on the same system, e.g. 1 20")
    parser.add_argument("--profiel", type=Path, default=None,
                        help="folder for py-spy stacks of the server and the serving process with its runs")
    parser.add_argument("--opzet", nargs="+", default=["enkel", "cluster"], choices=["enkel", "cluster", "cluster-koud"])
    argumenten = parser.parse_args()
    from tests.conftest import SmtpServer

    smtp = SmtpServer()
    smtp.start()
    try:
        resultaten = []
        for opzet in argumenten.opzet:
            print(f"[{opzet}] load average {belasting()}", flush=True)
            rijen = meet(opzet, argumenten.beslissingen, smtp, argumenten.profiel)
            resultaten.extend(rijen)
            rapport(rijen)
        rapport(resultaten)
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()

"""A worker machine's fork server (deployments/_vorkserver.py) and the launcher a process worker
runs for each flow run (deployments/_vorkstarter.py): the run behaves towards the worker as the
cold `python -m prefect.engine` would (its output, its exit status, a cancel's SIGTERM), a run
whose launcher is killed dies with it, and without a fork server the launcher runs the cold
engine itself. The engine is given a run it cannot load (no such id, no reachable API), so no
Prefect server is needed; tests/test_cluster.py runs real runs through it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STARTER = [sys.executable, "-I", "-S", str(REPO / "deployments" / "_vorkstarter.py")]


@pytest.fixture(scope="module")
def vorkserver():
    """A fork server on a socket in a short private folder; yields (socket, its log)."""
    map_ = Path(tempfile.mkdtemp(prefix="vt-vork-test-"))
    pad, log = map_ / "v.sock", map_ / "vorkserver.log"
    with open(log, "wb") as uit:
        proces = subprocess.Popen([sys.executable, "-m", "deployments._vorkserver", "--socket", str(pad)], cwd=REPO,
                                  env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=uit, stderr=subprocess.STDOUT)
    try:
        _wacht(lambda: pad.exists() or proces.poll() is not None, "de fork server")
        assert proces.poll() is None, log.read_text()
        yield pad, log
    finally:
        proces.terminate()
        proces.wait(timeout=30)


def _wacht(voorwaarde, wat: str, timeout: float = 300):
    einde = time.monotonic() + timeout
    while not (uitkomst := voorwaarde()):
        if time.monotonic() > einde:
            raise AssertionError(f"{wat}: niet binnen {timeout} s")
        time.sleep(0.2)
    return uitkomst


def _run_omgeving(socket: Path | None, run_id: str) -> dict[str, str]:
    omgeving = {**os.environ, "PREFECT__FLOW_RUN_ID": run_id,
                # an API nobody answers, asked again and again: the run stays alive until signalled
                "PREFECT_API_URL": "http://127.0.0.1:9/api", "PREFECT_CLIENT_MAX_RETRIES": "1000"}
    omgeving.pop("VT_VORKSERVER_SOCKET", None)
    return omgeving | ({"VT_VORKSERVER_SOCKET": str(socket)} if socket else {})


def _kind(log: Path, run_id: str) -> int:
    """The pid the fork server forked for `run_id` (from its log)."""
    return int(_wacht(lambda: re.search(rf"Run {run_id} gestart als proces (\d+)", log.read_text()),
                      "het geforkte proces")[1])


def _leeft(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_forked_run_writes_to_the_workers_output_and_ends_with_the_engines_exit_status(vorkserver):
    socket, log = vorkserver
    uit = subprocess.run(STARTER, env=_run_omgeving(socket, "geen-run-id"), cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert uit.returncode == 1
    assert "Invalid flow run id" in uit.stderr  # the engine's own error, on the launcher's stderr
    assert "found in sys.modules" not in uit.stderr  # nothing a cold engine would not print
    assert "Run geen-run-id gestart als proces" in log.read_text()


def test_a_cancel_reaches_the_forked_run_and_the_worker_sees_it_end_by_that_signal(vorkserver):
    socket, log = vorkserver
    run_id = str(uuid.uuid4())
    starter = subprocess.Popen(STARTER, env=_run_omgeving(socket, run_id), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kind = _kind(log, run_id)
    starter.send_signal(signal.SIGTERM)  # what the worker sends to cancel a run
    assert starter.wait(timeout=120) == -signal.SIGTERM
    assert not _leeft(kind)


def test_a_run_whose_launcher_is_killed_dies_with_it(vorkserver):
    socket, log = vorkserver
    run_id = str(uuid.uuid4())
    starter = subprocess.Popen(STARTER, env=_run_omgeving(socket, run_id), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kind = _kind(log, run_id)
    starter.kill()  # the worker's last resort after a cancel
    starter.wait(timeout=30)
    _wacht(lambda: not _leeft(kind), "het geforkte proces stopt")


def test_without_a_fork_server_the_launcher_runs_the_cold_engine_so_no_run_is_lost(tmp_path):
    uit = subprocess.run(STARTER, env=_run_omgeving(tmp_path / "weg.sock", "geen-run-id"), cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert uit.returncode == 1
    assert "Invalid flow run id" in uit.stderr

"""Serve every deployment with its schedule: `python -m deployments.serve`.

Each module in this package (except this one, `werkpool` and the private `_` modules) defines
`deployments()` for its area; they are collected here, so adding an area never edits this file. Schedules stay active when this process
stops (`pause_on_shutdown=False`): a restart must never silently pause a legal deadline sweep.

No "detect zombie flows" automation (heartbeat missing -> Crashed): tried, it crashed healthy
casussen waiting at their form, because a run's last heartbeat can reach the server after its
Suspended event. A run whose process died is found by the sentinel "casussen in beeld" instead
(Running longer than `levensloop.stap_max_seconden`). The cluster layout (deployments/werkpool.py)
adds an automation that hands a run without heartbeat to that sentinel, which checks it.

Runs start from a preloaded process (`VT_RUNS_VOORGELADEN`, on by default). Prefect 3.8.8's
`serve()` starts every flow run, also every resumed lifecycle run, as `python -m prefect.engine`:
a fresh interpreter that imports Prefect and all our code again (2-5 s on a busy machine)
before the run even starts. Here each deployment's flow object is registered with the runner
(as `flow.serve()` does), so Prefect starts the run with `run_flow_in_subprocess`, and that is
made to fork it from a multiprocessing *forkserver* that imported all of that once. The
forkserver is a single-threaded process started before the runner (no event loop or client
threads are copied into a run), in this process's process group, so stopping the group
(start.sh, `kill -9` in tests/test_crash.py) stops it and its runs too.
tests/test_prefect_smoke.py fails when the Prefect code this relies on changes.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import pkgutil

from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import TerminationSignal
from prefect.flows import Flow
from prefect.runner import Runner

import deployments as pakket
from deployments._voorladen import voorlaadlijst


def deployments() -> list[RunnerDeployment]:
    """Every deployment of the system, in module order."""
    alle: list[RunnerDeployment] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(pakket.__path__)):
        if module not in ("serve", "werkpool") and not module.startswith("_"):
            alle.extend(importlib.import_module(f"deployments.{module}").deployments())
    return alle


class _RunsUitForkserver:
    """Stands in for the `multiprocessing` module inside `prefect.flow_engine`: its
    `run_flow_in_subprocess` asks `multiprocessing.get_context("spawn")` (hard-coded, the one
    place Prefect starts a served run); this answers with the forkserver context instead.
    tests/test_prefect_smoke.py fails when Prefect's code there changes."""

    def __init__(self, context) -> None:
        self._context = context

    def get_context(self, method=None):
        return self._context if method == "spawn" else multiprocessing.get_context(method)

    def __getattr__(self, naam):
        return getattr(multiprocessing, naam)


def start_runs_voorgeladen() -> None:
    """Start the forkserver with Prefect's engine and all our modules imported, and let Prefect
    start served runs from it."""
    import prefect.flow_engine

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(voorlaadlijst())
    multiprocessing.forkserver.ensure_running()
    prefect.flow_engine.multiprocessing = _RunsUitForkserver(context)


def _flow_uit(entrypoint: str) -> Flow:
    """The flow object behind an entrypoint (`flows/levensloop.py:casus_levensloop`), imported."""
    pad, naam = entrypoint.split(":")
    return getattr(importlib.import_module(pad.removesuffix(".py").replace("/", ".")), naam)


class _FlowOpNaam(Flow):
    """A served flow that travels to its run's process as its entrypoint, which that process
    imports (already loaded in the forkserver). Pickled as is, cloudpickle would copy the flow's
    function by value with only the globals its code uses: a parameter annotated `dt.date | None`
    (with `from __future__ import annotations`) then fails Prefect's validation of the
    parameters ("not fully defined; you should define `dt`") and the run fails before it starts."""

    def __reduce__(self):
        return _flow_uit, (self.vt_entrypoint,)


def flow_van(deployment: RunnerDeployment) -> Flow:
    """The flow behind a deployment, to register with the runner: pickled by its entrypoint."""
    flow = _flow_uit(deployment.entrypoint)
    verwijzing = object.__new__(_FlowOpNaam)
    verwijzing.__dict__.update(flow.__dict__, vt_entrypoint=deployment.entrypoint)
    return verwijzing


def serveer(alle: list[RunnerDeployment], voorgeladen: bool) -> None:
    """`prefect.serve(*alle, pause_on_shutdown=False)` of Prefect 3.8.8, with, when `voorgeladen`,
    each flow registered with the runner so its runs start from the forkserver."""
    runner = Runner(pause_on_shutdown=False, query_seconds=poll_seconden())
    for deployment in alle:
        deployment_id = runner.add_deployment(deployment)
        if voorgeladen:
            runner._deployment_registry.register_flow(deployment_id, flow_van(deployment))
    logging.getLogger("vt.serve").warning("%d deployments geserveerd%s", len(alle),
                                          ", runs uit een voorgeladen proces" if voorgeladen else "")
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal):
        pass


def poll_seconden() -> float:
    """How often the runner looks for resumed and new runs. Staff wait on it at every step, and
    Prefect's own setting (PREFECT_RUNNER_POLL_FREQUENCY) takes whole seconds only: half a second
    by default (one light query on the Prefect server), `VT_RUNNER_POLL_SECONDEN` to change it."""
    return float(os.environ.get("VT_RUNNER_POLL_SECONDEN", "0.5"))


def _aan(naam: str) -> bool:
    return os.environ.get(naam, "true").strip().lower() not in ("0", "false", "nee", "no", "")


def main() -> None:
    alle = deployments()
    voorgeladen = _aan("VT_RUNS_VOORGELADEN")
    if voorgeladen:
        start_runs_voorgeladen()
    serveer(alle, voorgeladen)


if __name__ == "__main__":
    main()

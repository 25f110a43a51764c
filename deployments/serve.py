"""Serve every deployment with its schedule: `python -m deployments.serve`.

Each module in this package (except this one) defines `deployments()` for its area; they are
collected here, so adding an area never edits this file. Schedules stay active when this process
stops (`pause_on_shutdown=False`): a restart must never silently pause a legal deadline sweep.

No "detect zombie flows" automation (heartbeat missing -> Crashed): tried, it crashed healthy
casussen waiting at their form, because a run's last heartbeat can reach the server after its
Suspended event. A run whose process died is found by the sentinel "casussen in beeld" instead
(Running longer than `levensloop.stap_max_seconden`).
"""

from __future__ import annotations

import importlib
import pkgutil

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

import deployments as pakket


def deployments() -> list[RunnerDeployment]:
    """Every deployment of the system, in module order."""
    alle: list[RunnerDeployment] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(pakket.__path__)):
        if module != "serve":
            alle.extend(importlib.import_module(f"deployments.{module}").deployments())
    return alle


def main() -> None:
    # In Prefect 3.8.8 pause_on_shutdown is an argument of serve(), not of to_deployment().
    serve(*deployments(), pause_on_shutdown=False)


if __name__ == "__main__":
    main()

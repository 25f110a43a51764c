"""Serve every deployment with its schedule: `python -m deployments.serve`.

Each module in this package (except this one) defines `deployments()` for its area; they are
collected here, so adding an area never edits this file. Schedules stay active when this process
stops (`pause_on_shutdown=False`): a restart must never silently pause a legal deadline sweep.
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


ZOMBIEBEWAKING = "vt: run zonder hartslag is gecrasht"


def zombiebewaking():
    """Prefect's own zombie detection ("detect zombie flows"): a flow run that emitted a heartbeat
    and then nothing at all (no heartbeat, no state change, e.g. Suspended) for three heartbeat
    periods lost its process: mark it Crashed. The heartbeat period is
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY of the serving process (start.sh: 30 s)."""
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification
    from prefect.settings import get_current_settings

    hartslag = get_current_settings().flows.heartbeat_frequency or 180
    return Automation(
        name=ZOMBIEBEWAKING,
        description="Een flow-run die geen hartslag meer geeft, is gestopt: Prefect markeert hem als gecrasht. "
                    "De bewaking 'casussen in beeld' start de levensloop van zijn casus daarna opnieuw.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},  # any heartbeat or state change (Suspended too) of the same run
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=3 * hartslag),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message="Geen hartslag meer van deze run: het proces is gestopt.")],
    )


def zorg_voor_zombiebewaking() -> None:
    """Create the zombie automation once (by name); a restart leaves the existing one alone."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        if not client.read_automations_by_name(ZOMBIEBEWAKING):
            zombiebewaking().create()


def main() -> None:
    zorg_voor_zombiebewaking()
    # In Prefect 3.8.8 pause_on_shutdown is an argument of serve(), not of to_deployment().
    serve(*deployments(), pause_on_shutdown=False)


if __name__ == "__main__":
    main()

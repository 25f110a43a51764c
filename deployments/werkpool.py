"""Every deployment on a process work pool, for the cluster layout (scripts/cluster.py):

    python -m deployments.werkpool --pool vt [--gelijktijdig 40] [--koud]

The same deployments, schedules and forms as `python -m deployments.serve`, but registered on the
work pool `pool` (type process, created when missing, at most `gelijktijdig` runs at once over
all its workers), so any `prefect worker start --pool vt` on any machine runs them, in this
checkout (the deployment's path and the job's working directory: the same path on every worker
machine), importing the flow from its entrypoint. Running it again updates everything in place.

A worker starts each run, also each resumed lifecycle run, with the job command
`<python> -I -S deployments/_vorkstarter.py` (job variable `command`): a launcher that hands the
run to the fork server on the worker's machine (deployments/_vorkserver.py, socket in the
worker's `VT_VORKSERVER_SOCKET`), which forks it warm; without one it runs the cold
`python -m prefect.engine` itself. `--koud`: the worker's own cold command, for comparison.

It also creates the automation "levensloop zonder hartslag": a lifecycle or intake run whose
heartbeats (every `levensloop.hartslag_seconden`) stop for `levensloop.hartslag_venster_seconden`
without the run pausing or ending, or that a worker claimed (Pending) but never started, starts
the sentinel "casussen in beeld" for that run. The sentinel, not the automation, decides: it
checks that Prefect really heard nothing of the run within the window (tasks/in_beeld.py), and
a run's last heartbeat can reach the server after its Suspended event, so the automation also
fires for a healthy run waiting at its form; the sentinel leaves both alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from pathlib import Path
from uuid import UUID

from prefect import get_client
from prefect.events.schemas.automations import AutomationCore
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.events.actions import RunDeployment
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

REPO = Path(__file__).resolve().parent.parent
AUTOMATION = "levensloop zonder hartslag"
BEWAKING = "casussen-in-beeld/casussen in beeld"
STARTER = REPO / "deployments" / "_vorkstarter.py"
_BEWAAKTE_FLOWS = ("casus-levensloop", "melding-registreren")
# Signs of life: after each of these another one must follow within the window (a claimed run
# starts, a running one beats)...
_LEVEN = {"prefect.flow-run.heartbeat", "prefect.flow-run.Pending", "prefect.flow-run.Running"}
# ...unless the run pauses or ends: then it is silent on purpose.
_STILTE_MAG = _LEVEN | {"prefect.flow-run.Completed", "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                        "prefect.flow-run.Crashed", "prefect.flow-run.Paused", "prefect.flow-run.Suspended",
                        "prefect.flow-run.Cancelling"}


def maak_werkpool(pool: str, gelijktijdig: int) -> None:
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(
            name=pool, type="process", concurrency_limit=gelijktijdig,
            base_job_template=ProcessWorker.get_default_base_job_template(),
            description="Alle flows van Veilig Thuis; workers: prefect worker start --pool " + pool,
        ), overwrite=True)


def startcommando() -> str:
    """The job command: the launcher, in an isolated interpreter without site-packages (~20 ms)."""
    return shlex.join([sys.executable, "-I", "-S", str(STARTER)])


def registreer(pool: str, warm: bool = True) -> dict[str, UUID]:
    """Every deployment of deployments.serve on `pool`, run from this checkout."""
    from deployments.serve import deployments

    ids = {}
    for deployment in deployments():
        deployment.job_variables = {**deployment.job_variables, "working_dir": str(REPO),
                                    **({"command": startcommando()} if warm else {})}
        deployment._path = str(REPO)  # no public setter in 3.8.8; the run loads its entrypoint from here
        ids[deployment.full_name] = deployment.apply(work_pool_name=pool)
    return ids


def hartslag_automation(bewaking_id: UUID, venster_seconden: int) -> AutomationCore:
    """No sign of life for `venster_seconden` while the run neither paused nor ended: the
    sentinel looks at that run at once."""
    return AutomationCore(
        name=AUTOMATION,
        description="Een run zonder hartslag (proces of machine weg): de bewaking 'casussen in beeld' kijkt direct.",
        trigger=EventTrigger(
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            # Only the runs that carry a casus: not the sentinel's own runs (which would start it
            # again and again) nor the scheduled sweeps, which their next run repeats.
            match_related=ResourceSpecification({"prefect.resource.role": "flow",
                                                 "prefect.resource.name": list(_BEWAAKTE_FLOWS)}),
            after=_LEVEN,
            expect=_STILTE_MAG,
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=venster_seconden),
        ),
        actions=[RunDeployment(source="selected", deployment_id=bewaking_id, parameters={
            "zonder_hartslag": {"__prefect_kind": "jinja", "template": "{{ event.resource.id }}"}})],
    )


def maak_automation(bewaking_id: UUID) -> None:
    """Replace the automation (by name): running this again leaves exactly one. Its window is the
    settings file's, which the sentinel checks against too."""
    from models.regels.instellingen import instellingen

    venster = instellingen().levensloop.hartslag_venster_seconden
    with get_client(sync_client=True) as client:
        for oud in client.read_automations_by_name(AUTOMATION):
            client.delete_automation(oud.id)
        client.create_automation(hartslag_automation(bewaking_id, venster))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Alle deployments op een work pool (cluster-opzet).")
    parser.add_argument("--pool", default="vt")
    parser.add_argument("--gelijktijdig", type=int, default=40, help="runs tegelijk over alle workers")
    parser.add_argument("--koud", action="store_true",
                        help="runs niet uit het voorgeladen proces van de worker-machine starten")
    argumenten = parser.parse_args(argv)
    maak_werkpool(argumenten.pool, argumenten.gelijktijdig)
    ids = registreer(argumenten.pool, warm=not argumenten.koud)
    maak_automation(ids[BEWAKING])
    print(f"{len(ids)} deployments op work pool {argumenten.pool}; automation '{AUTOMATION}' aangemaakt")


if __name__ == "__main__":
    main()

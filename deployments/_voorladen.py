"""What a preloaded process imports before it forks runs: the forkserver of `deployments.serve`
(one node) and the fork server of a worker machine (deployments/_vorkserver.py, the cluster).
Called after every deployment module was imported, so all our code a run needs is in
`sys.modules`; `deployments._opwarmen` comes last and does the warm-up work."""

from __future__ import annotations

import sys

# Our top-level packages: everything of them that serving imported is preloaded for the runs.
_ONZE_PAKKETTEN = {"deployments", "flows", "tasks", "models", "templates"}
# WeasyPrint: the first letter of a run otherwise imports it (about 1 s).
_PREFECT_EN_ZO = ["prefect.flow_engine", "prefect.runner", "prefect.flow_runs", "prefect.input", "weasyprint"]


def voorlaadlijst() -> list[str]:
    """Module names to import, in order."""
    voorladen = list(_PREFECT_EN_ZO)
    voorladen += sorted(naam for naam in sys.modules if naam.split(".")[0] in _ONZE_PAKKETTEN
                        and naam != "deployments._opwarmen")
    voorladen.append("deployments._opwarmen")  # last: settings, calendar, templates, a first PDF
    return voorladen

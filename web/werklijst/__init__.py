"""The work list (issue 15): the open casussen that wait for a person's decision, server-rendered
so that it shows at once at any volume (Prefect's run list boots its UI in the browser first).

The gateway (web.toegang) mounts `maak_app(engine=..., runstaten=...)` under /werklijst for the
roles that may use the Prefect UI's forms, after it has put a `models.regels.toegang.Gebruiker` in
`request.scope["gebruiker"]`. The list comes from the case store (models.lezen.werklijst);
`runstaten(run_ids)` is the gateway's one question to Prefect per page: the state of the runs on
it (None when Prefect does not answer: the list shows without them, with a notice).

Routes (relative to the mount point):

    GET  /?gemeente=GM0907&stap=onderzoek&urgentie=spoed&pagina=2     the work list, filtered
"""

from web.werklijst.app import Runstaten, maak_app

__all__ = ["Runstaten", "maak_app"]

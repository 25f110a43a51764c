"""The agenda of the overdrachtstafel (seed 004): before each gemeente's tafel, its participants
get the casussen VT registered with their lokale teams in the continuity plan, by reference only.
The outcome per casus is recorded in the casus's own lifecycle (form 'Uitkomst van de
overdrachtstafel')."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tasks.overdrachtstafel import tafelagendas


@flow(name="overdrachtstafel-agenda", log_prints=False)
def overdrachtstafel_agenda(moment: dt.datetime | None = None) -> int:
    """Mail de agenda van elke overdrachtstafel die binnenkort begint aan haar deelnemers."""
    berichten = [plaats_notificatie(**bericht) for bericht in tafelagendas(moment)]
    bezorg_notificaties(alleen=berichten)
    return len(berichten)

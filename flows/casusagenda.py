"""Weekly case agenda: each municipality that keeps a fixed VT contact and a weekly case-level
meeting (seed 000, Gennep) gets the list of its cases in or after the handover, by case
reference and step."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from tasks.bezorging import bezorg_notificaties, plaats_notificatie
from tasks.casusagenda import casusagendas


@flow(name="casusagenda", log_prints=False)
def casusagenda(peildatum: dt.date | None = None) -> int:
    """Mail de wekelijkse casusagenda aan de vaste contactpersoon van elke gemeente met casusoverleg."""
    berichten = [plaats_notificatie(**bericht) for bericht in casusagendas(peildatum)]
    bezorg_notificaties(alleen=berichten)
    return len(berichten)

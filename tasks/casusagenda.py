"""The weekly case agenda for municipalities with a fixed VT contact and a weekly meeting."""

from __future__ import annotations

import datetime as dt

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from models.opslag.db import sessie
from models.regels.kalender import AMSTERDAM
from models.regels.instellingen import instellingen
from models.regels.ontvangers import adres
from models.dossier.voortgang import casussen_na_overdracht


@task(name="casusagenda's opstellen", cache_policy=NO_CACHE)
def casusagendas(peildatum: dt.date | None = None) -> list[dict]:
    """One e-mail per municipality with `wekelijks_casusoverleg`, to its fixed VT contact, keyed
    per municipality and ISO week (a rerun that week sends nothing again). Returns keyword
    arguments for plaats_notificatie."""
    regio = instellingen()
    peildatum = peildatum or dt.datetime.now(AMSTERDAM).date()
    jaar, week, _ = peildatum.isocalendar()
    berichten = []
    with sessie() as session:
        for gemeente in regio.gemeenten:
            if not (gemeente.wekelijks_casusoverleg and gemeente.vaste_contactpersoon):
                continue
            casussen = casussen_na_overdracht(session, gemeente.code)
            berichten.append(dict(
                sleutel=f"casusagenda:{gemeente.code}:{jaar}-W{week:02d}", soort="casusagenda",
                ontvanger=adres(str(gemeente.vaste_contactpersoon.email)),
                template="notificaties/casusagenda.txt.j2",
                context=dict(gemeente_naam=gemeente.naam, week=f"{week} ({jaar})", peildatum=peildatum,
                             contactpersoon=gemeente.vaste_contactpersoon.naam, casussen=casussen),
            ))
            get_run_logger().info("Casusagenda %s: %d casussen.", gemeente.code, len(casussen))
    return berichten

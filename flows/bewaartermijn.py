"""Retention (bewaartermijn): every night the closed casussen whose bewaartermijn has passed lose
their personal data, unless a legal hold stops it; beheer gets a report of what went. A dry run
(proefdraai) shows what would go and changes nothing."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from models.opslag.typen import nu
from tasks.bewaartermijn import Vernietigingsverslag, meld_vernietiging, proef_vernietiging, vernietig_verlopen
from tasks.bezorging import bezorg_notificaties


@flow(name="bewaartermijn", log_prints=False)
def bewaartermijn(proefdraai: bool = False, peildatum: dt.datetime | None = None) -> Vernietigingsverslag:
    """Vernietig de persoonsgegevens van afgesloten casussen waarvan de bewaartermijn voorbij is.

    Args:
        proefdraai: alleen tonen wat er zou worden vernietigd (artefact 'bewaartermijn-proefdraai');
            er wordt niets gewijzigd.
        peildatum: alleen bij een proefdraai: het moment waarop wordt gekeken (leeg = nu). Echt
            vernietigen gebeurt altijd op dit moment, nooit vooruit.
    """
    if proefdraai:
        return proef_vernietiging(peildatum or nu())
    if peildatum is not None:
        raise ValueError("Een peildatum kan alleen bij een proefdraai: vernietigen gebeurt altijd op dit moment.")
    verslag = vernietig_verlopen(nu())
    verslag.bericht = meld_vernietiging()
    if verslag.bericht is not None:
        bezorg_notificaties(alleen=[verslag.bericht])
    return verslag

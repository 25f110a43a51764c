"""Retention (bewaartermijn): every night the closed casussen whose bewaartermijn has passed lose
their personal data, unless a legal hold stops it; beheer gets a report of what went. A dry run
(proefdraai) shows what would go and changes nothing."""

from __future__ import annotations

from prefect import flow
from prefect.states import Failed

from models.opslag.typen import nu
from models.regels.bewaartermijn import VANDAAG, peilmoment
from tasks.bewaartermijn import Vernietigingsverslag, meld_vernietiging, proef_vernietiging, vernietig_verlopen
from tasks.bezorging import bezorg_notificaties


@flow(name="bewaartermijn", log_prints=False)
def bewaartermijn(proefdraai: bool = False, peildatum: str = VANDAAG) -> Vernietigingsverslag:
    """Vernietig de persoonsgegevens van afgesloten casussen waarvan de bewaartermijn voorbij is.

    Args:
        proefdraai: alleen tonen wat er zou worden vernietigd (artefact 'bewaartermijn-proefdraai');
            er wordt niets gewijzigd.
        peildatum: alleen bij een proefdraai: de dag waarop wordt gekeken (dag-maand-jaar), of
            'vandaag'. Echt vernietigen gebeurt altijd op dit moment, nooit vooruit.
    """
    try:
        moment = peilmoment(proefdraai, peildatum, nu())
    except ValueError as exc:  # said in Dutch on the run, no traceback
        return Failed(name="Niet gedaan", message=str(exc))
    if proefdraai:
        return proef_vernietiging(moment)
    verslag = vernietig_verlopen(nu())
    verslag.bericht = meld_vernietiging()
    if verslag.bericht is not None:
        bezorg_notificaties(alleen=[verslag.bericht])
    return verslag

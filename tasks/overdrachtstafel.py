"""The agenda of each gemeente's overdrachtstafel (seed 004): the casussen registered with its
lokale teams in the continuity plan, by reference, sent before the tafel starts."""

from __future__ import annotations

import datetime as dt
import hashlib

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from models.dossier.voortgang import casussen_voor_overdrachtstafel
from models.opslag.db import sessie
from models.opslag.typen import nu
from models.regels.instellingen import instellingen
from models.regels.kalender import werkkalender
from models.regels.ontvangers import adres
from models.regels.overdrachtstafel import agenda_moment, volgende_tafel


def _lijstsleutel(casussen: list[dict]) -> str:
    """A short fingerprint of the agenda's casussen: a rerun with the same list sends nothing, a
    casus registered after the agenda went out gives an updated agenda."""
    return hashlib.sha256(",".join(c["referentie"] for c in casussen).encode()).hexdigest()[:12]


@task(name="agenda's overdrachtstafel opstellen", cache_policy=NO_CACHE)
def tafelagendas(moment: dt.datetime | None = None) -> list[dict]:
    """For every gemeente whose next overdrachtstafel (after `moment`, default now) is within its
    agenda lead time: one e-mail per recipient with the casussen on that tafel, keyed per
    gemeente, tafel, list and recipient. Returns keyword arguments for plaats_notificatie."""
    regio = instellingen()
    moment = moment or nu()
    kalender = werkkalender(regio)
    berichten = []
    with sessie() as session:
        for gemeente in regio.gemeenten:
            tafel = gemeente.overdrachtstafel
            if tafel is None:
                continue
            tafel_op = volgende_tafel(tafel, moment, kalender)
            if moment < agenda_moment(tafel, tafel_op.date()):
                continue  # not yet: the agenda goes out `agenda_minuten_vooraf` before the tafel
            casussen = casussen_voor_overdrachtstafel(session, gemeente.code, tafel_op)
            teams = {t.code: t.naam for t in gemeente.lokale_teams}
            for c in casussen:
                c["team_naam"] = teams.get(c["lokaal_team"], c["lokaal_team"])
            lijst = _lijstsleutel(casussen)
            for ontvanger in tafel.ontvangers:
                berichten.append(dict(
                    sleutel=f"overdrachtstafel:{gemeente.code}:{tafel_op.date().isoformat()}:{lijst}:{ontvanger}",
                    soort="overdrachtstafel_agenda", ontvanger=adres(str(ontvanger)),
                    template="notificaties/overdrachtstafel_agenda.txt.j2",
                    context=dict(gemeente_naam=gemeente.naam, tafel_op=tafel_op, plaats=tafel.plaats,
                                 casussen=casussen, telefoon=regio.afzender.telefoon, afzender=regio.afzender.naam),
                ))
            get_run_logger().info("Overdrachtstafel %s op %s: %d casussen.", gemeente.code, tafel_op.date(),
                                  len(casussen))
    return berichten

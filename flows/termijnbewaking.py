"""Deadline watch (termijnbewaking): every few minutes, every open term that reaches a step of
its escalation ladder is acted on once: a warning to the team, the team leader when it falls
due, the manager and the regional coordinator when it is overdue (roles and moments from the
settings). The e-mails go out in the same run; what fails is retried by `berichten-bezorgen`.
Then the overview of terms over time is refreshed. A settings file that became invalid does
not stop the watch: it works with the last valid version and the beheer role hears of it once."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from models.dossier.termijnbewaking import Bewakingsverslag, is_proefdraai
from models.opslag.typen import nu
from tasks.bezorging import bezorg_notificaties
from tasks.termijnbewaking import (
    bewaak_termijnen,
    meld_ongeldige_instellingen,
    proefdraai_termijnen,
    publiceer_termijnen_over_tijd,
)


@flow(name="termijnbewaking", log_prints=False)
def termijnbewaking(peildatum: dt.datetime | None = None) -> Bewakingsverslag:
    """Bewaak alle open termijnen: waarschuw, meld verlopen en escaleer overschreden termijnen,
    elke stap één keer, en ververs het overzicht 'termijnen over tijd'.

    Args:
        peildatum: het moment waarop de termijnen worden bekeken (met tijdzone); leeg = nu. Ligt
            de peildatum in de toekomst, dan is het een proefdraai: het artefact
            'termijnbewaking-proefdraai' toont wat er zou uitgaan; er wordt niets verstuurd of vastgelegd.
    """
    moment = peildatum or nu()
    if is_proefdraai(moment):
        return proefdraai_termijnen(moment)
    voor_beheer = meld_ongeldige_instellingen()
    verslag = bewaak_termijnen(moment)
    if verslag.notificaties or voor_beheer:
        bezorg_notificaties(alleen=[*verslag.notificaties, *voor_beheer])
    publiceer_termijnen_over_tijd(moment)
    return verslag

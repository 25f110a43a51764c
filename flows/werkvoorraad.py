"""Daily care for families on the werkvoorraad (continuity plan): nobody who waits is lost
from sight. Runs every morning; rerunning it the same day sends nothing twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prefect import flow

from tasks.bezorging import BezorgResultaat
from tasks.brieven import Brievenreeks, bezorg_brieven
from tasks.werkvoorraad import (
    beoordeel_werkvoorraad,
    escaleer_buiten_beeld,
    mail_contactlijsten,
    maak_wachtlijstbrieven,
    toon_contactlijst,
)


@dataclass(frozen=True)
class WerkvoorraadZorgResultaat:
    wachtend: int
    contact_nodig: int
    brieven: Brievenreeks
    contactlijsten: int
    buiten_beeld_gemeld: int
    bezorging: BezorgResultaat


@flow(name="werkvoorraad-zorg", log_prints=False)
def werkvoorraad_zorg(peildatum: dt.date | None = None) -> WerkvoorraadZorgResultaat:
    """1. Look at every waiting casus. 2. Show and mail today's due contacts per team. 3. Escalate
    families that risk going out of sight. 4. Letter 'u staat op de wachtlijst; het duurt langer
    dan gebruikelijk' where the wait passed the usual time. 5. Deliver the new letters."""
    beeld = beoordeel_werkvoorraad(peildatum)
    toon_contactlijst(beeld)
    contactlijsten = mail_contactlijsten(beeld)
    gemeld = escaleer_buiten_beeld(beeld)
    brieven = maak_wachtlijstbrieven(beeld)
    bezorging = bezorg_brieven(alleen=brieven.gemaakt)
    return WerkvoorraadZorgResultaat(
        beeld.wachtend, len(beeld.contact_nodig), brieven, contactlijsten, gemeld, bezorging
    )

"""Tasks of the daily care round for families on the werkvoorraad (waiting list).

Everything here works on all waiting casussen in one run, in batches: one query per thousand
casussen, never one per casus. Results, artifacts and staff e-mails carry case references,
codes, dates and counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from prefect import task
from prefect.artifacts import create_table_artifact
from sqlmodel import select

from models.brieven import inhoud as b
from models.dossier import uitgaand
from models.dossier import werkvoorraad as wv
from models.opslag.casus import AuditEvent, Casus
from models.opslag.db import sessie
from models.dossier.wijzigingen import audit
from models.regels.instellingen import instellingen
from models.regels.ontvangers import rol
from models.regels.termijnbeleid import werkkalender
from models.opslag.typen import nu
from tasks.acties import CONTACT, actielink
from tasks.brieven import ACTOR, Brievenreeks, maak_reeks
from templates import render_onderwerp_en_inhoud

BATCH = 1000


@dataclass(frozen=True)
class Werkvoorraadbeeld:
    """The waiting list on one day: how many wait, and those that need something today."""

    peildatum: dt.date
    wachtend: int
    aandacht: list[wv.Zorg] = field(default_factory=list)

    @property
    def brieven(self) -> list[wv.Zorg]:
        return [z for z in self.aandacht if z.wachtlijstbrief]

    @property
    def contact_nodig(self) -> list[wv.Zorg]:
        return [z for z in self.aandacht if z.contact_nodig]

    @property
    def buiten_beeld(self) -> list[wv.Zorg]:
        return [z for z in self.aandacht if z.buiten_beeld_sinds]


def vandaag() -> dt.date:
    return nu().astimezone(wv.AMSTERDAM).date()


@task(name="werkvoorraad beoordelen")
def beoordeel_werkvoorraad(peildatum: dt.date | None = None) -> Werkvoorraadbeeld:
    """Apply the care rules to every waiting casus, a thousand at a time."""
    regio = instellingen()
    kalender = werkkalender(regio)
    peildatum = peildatum or vandaag()
    wachtend, aandacht, na_id = 0, [], 0
    while True:
        with sessie() as session:
            deel = wv.wachtende_casussen(session, na_id, BATCH)
        if not deel:
            break
        wachtend += len(deel)
        na_id = deel[-1].casus_id
        for casus in deel:
            zorg = wv.beoordeel(casus, peildatum, regio, kalender)
            if zorg.wachtlijstbrief or zorg.contact_nodig or zorg.buiten_beeld_sinds:
                aandacht.append(zorg)
    return Werkvoorraadbeeld(peildatum, wachtend, aandacht)


@task(name="wachtlijstbrieven maken")
def maak_wachtlijstbrieven(beeld: Werkvoorraadbeeld) -> Brievenreeks:
    """The 'langer dan gebruikelijk' letter for each family whose wait passed the usual time,
    made once per key: letters an earlier run made are found in one query per 500 and skipped.
    A letter whose facts are missing does not stop the others; the task fails afterwards so the
    run shows it."""
    regio = instellingen()
    with sessie() as session:
        nog_wachtend = wv.nog_op_werkvoorraad(session, [z.casus_id for z in beeld.brieven])
    reeks = maak_reeks(
        [(z.casus_id, b.BriefSoort.wachtlijst, z.wachtlijstbrief, {"wacht_sinds": z.wacht_sinds.isoformat()})
         for z in beeld.brieven if z.casus_id in nog_wachtend],
        regio,
    )
    if reeks.fouten:
        raise RuntimeError(
            f"{len(reeks.fouten)} wachtlijstbrief(ven) niet gemaakt (gegevens ontbreken): {', '.join(reeks.fouten)}"
        )
    return reeks


def _rij(zorg: wv.Zorg, gemeenten: dict[str, str]) -> dict:
    """One row of the contact list (artifact and e-mail): Dutch dates, "—" for none."""
    return {
        "casus": zorg.referentie,
        "gemeente": gemeenten.get(zorg.gemeente_code, zorg.gemeente_code),
        "urgentie": zorg.urgentie,
        "wacht sinds": f"{zorg.wacht_sinds:%d-%m-%Y}",
        "werkdagen wachtend": zorg.wachtdagen,
        "contact uiterlijk": f"{zorg.contact_uiterlijk:%d-%m-%Y}",
        "werkdagen te laat": zorg.werkdagen_te_laat,
        "laatste poging": f"{zorg.laatste_poging:%d-%m-%Y}" if zorg.laatste_poging else "—",
        "dreigt uit beeld": "ja" if zorg.buiten_beeld_sinds else "nee",
    }


def _op_volgorde(zorgen: list[wv.Zorg]) -> list[wv.Zorg]:
    """Most overdue first; at-risk families before the rest."""
    return sorted(zorgen, key=lambda z: (z.buiten_beeld_sinds is None, -z.werkdagen_te_laat, z.referentie))


@task(name="contactlijst tonen")
def toon_contactlijst(beeld: Werkvoorraadbeeld, maximum: int = 1000) -> None:
    """The due contact moments as a table artifact in the Prefect UI (key 'werkvoorraad-contact')."""
    gemeenten = {g.code: g.naam for g in instellingen().gemeenten}
    zorgen = _op_volgorde(beeld.contact_nodig)
    create_table_artifact(
        key="werkvoorraad-contact",
        table=[_rij(z, gemeenten) for z in zorgen[:maximum]],
        description=(
            f"Contact met wachtende gezinnen, peildatum {beeld.peildatum:%d-%m-%Y}: "
            f"{len(zorgen)} van {beeld.wachtend} wachtende casussen moeten nu gebeld of bezocht worden"
            f"{f' (de eerste {maximum} staan hier)' if len(zorgen) > maximum else ''}; "
            f"{len(beeld.buiten_beeld)} dreigen uit beeld te raken. "
            f"Leg elk contact (ook een poging) vast met de deployment '{CONTACT}' (Run)."
        ),
    )


@task(name="contactlijsten mailen")
def mail_contactlijsten(beeld: Werkvoorraadbeeld) -> int:
    """One e-mail per team (role) with today's due contacts; once per team per day."""
    regio = instellingen()
    gemeenten = {g.code: g.naam for g in regio.gemeenten}
    per_rol: dict[str, list[wv.Zorg]] = defaultdict(list)
    for zorg in beeld.contact_nodig:
        per_rol[regio.werkvoorraad.rol_voor(zorg.gemeente_code)].append(zorg)
    geplaatst = 0
    link = actielink(CONTACT, regio) if per_rol else None
    with sessie() as session:
        for naam, zorgen in sorted(per_rol.items()):
            onderwerp, inhoud = render_onderwerp_en_inhoud(
                "notificaties/werkvoorraad_contactlijst.txt.j2", peildatum=beeld.peildatum,
                rijen=[_rij(z, gemeenten) for z in _op_volgorde(zorgen)], wachtend=beeld.wachtend,
                link=link, deployment=CONTACT,
            )
            _, nieuw = uitgaand.plaats(
                session, sleutel=f"werkvoorraad-contactlijst:{naam}:{beeld.peildatum.isoformat()}",
                soort="werkvoorraad_contactlijst", ontvanger=rol(naam), onderwerp=onderwerp, inhoud=inhoud,
            )
            geplaatst += nieuw
    return geplaatst


def _al_geescaleerd(session, zorgen: list[wv.Zorg]) -> set[tuple[int, str]]:
    """(casus id, since) pairs that were flagged before: one query per 500 casussen."""
    gezien = set()
    ids = [z.casus_id for z in zorgen]
    for start in range(0, len(ids), 500):
        for casus_id, details in session.exec(
            select(AuditEvent.casus_id, AuditEvent.details)
            .where(AuditEvent.actie == "buiten_beeld_risico", AuditEvent.casus_id.in_(ids[start:start + 500]))
        ).all():
            gezien.add((casus_id, details.get("sinds")))
    return gezien


@task(name="dreigend buiten beeld escaleren")
def escaleer_buiten_beeld(beeld: Werkvoorraadbeeld) -> int:
    """Flag each family not reached past its limit (audit `buiten_beeld_risico`, once per period
    without contact) and tell the escalation role in one e-mail listing the new ones."""
    regio = instellingen()
    with sessie() as session:
        gezien = _al_geescaleerd(session, beeld.buiten_beeld)
        nieuw = [z for z in beeld.buiten_beeld if (z.casus_id, z.buiten_beeld_sinds.isoformat()) not in gezien]
        if not nieuw:
            return 0
        casussen = {c.id: c for c in session.exec(select(Casus).where(Casus.id.in_([z.casus_id for z in nieuw])))}
        for zorg in nieuw:
            audit(session, casussen[zorg.casus_id], ACTOR, "buiten_beeld_risico", details=dict(
                  sinds=zorg.buiten_beeld_sinds.isoformat(), urgentie=zorg.urgentie,
                  werkdagen_te_laat=zorg.werkdagen_te_laat))
        gemeenten = {g.code: g.naam for g in regio.gemeenten}
        onderwerp, inhoud = render_onderwerp_en_inhoud(
            "notificaties/werkvoorraad_buiten_beeld.txt.j2", peildatum=beeld.peildatum,
            rijen=[_rij(z, gemeenten) for z in _op_volgorde(nieuw)],
            grens=regio.werkvoorraad.buiten_beeld_na_intervallen,
        )
        vingerafdruk = hashlib.sha256(",".join(sorted(z.referentie for z in nieuw)).encode()).hexdigest()[:12]
        uitgaand.plaats(
            session, sleutel=f"werkvoorraad-buiten-beeld:{beeld.peildatum.isoformat()}:{vingerafdruk}",
            soort="werkvoorraad_buiten_beeld", ontvanger=rol(regio.werkvoorraad.escalatie_rol),
            onderwerp=onderwerp, inhoud=inhoud,
        )
    return len(nieuw)

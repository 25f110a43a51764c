"""Synthetic, clearly fictional demo cases for the demo region, workshops and benchmarks.

Everything is made up and looks it: people are called "Demo ...", streets are "Fictiestraat",
"Verzonnenlaan" and the like, postcodes are in the unused 9990-9999 range, BSNs are in the
99999xxxx test range (they pass the elfproef). Generation is deterministic: the same seed and
reference moment give the same meldingen, and every melding has `bron="demo"` and a fixed
`extern_id`, so registering them again adds nothing twice.

`demo_meldingen` is pure. `breng_demo_casussen_verder` moves demo casussen through the
lifecycle in the caller's session (through `wijzig_status`, like every other change).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from models.opslag.casus import Casus, Kanaal, MelderSoort, Melding, Rol
from models.dossier.wijzigingen import markeer_voldaan, wijzig_status
from models.regels.instellingen import Instellingen, TermijnSoort, Urgentie
from models.regels.kalender import AMSTERDAM
from models.regels.levensloop import Status
from models.dossier.registratie import MeldingInvoer, is_geldig_bsn

BRON = "demo"
ACTOR = "demo-data"
STANDAARD_SEED = 2026
STANDAARD_AANTAL = 120
HERMELDING_AANDEEL = 0.28  # CBS: ~28% of meldingen arrive while VT is still involved

_VOORNAMEN = ["Anna", "Bram", "Chantal", "Daan", "Esra", "Finn", "Gijs", "Hanna", "Ilse", "Jasper",
              "Kim", "Lotte", "Mehmet", "Noor", "Owen", "Priya", "Quinten", "Roos", "Sem", "Tess"]
_ACHTERNAMEN = ["de Vries", "Jansen", "de Jong", "Bakker", "Visser", "Smit", "Mulder", "de Boer",
                "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Verbeek"]
_STRATEN = ["Fictiestraat", "Verzonnenlaan", "Demoweg", "Voorbeeldplein", "Proefsingel", "Testkade"]
_OMSCHRIJVINGEN = [
    "Fictieve demomelding: buren horen regelmatig ruzie en een huilend kind.",
    "Fictieve demomelding: politie is ter plaatse geweest na een melding van huiselijk geweld.",
    "Fictieve demomelding: school maakt zich zorgen over blauwe plekken bij een leerling.",
    "Fictieve demomelding: huisarts ziet signalen van ouderenmishandeling.",
    "Fictieve demomelding: zorgen over verwaarlozing, het kind komt vaak zonder eten naar school.",
    "Fictieve demomelding: ex-partner blijft dreigen en staat geregeld voor de deur.",
]
_MELDERS = [  # (soort, kanaal, naam), weighted roughly like the national figures (~67% police)
    (MelderSoort.politie_justitie, Kanaal.politie, "Demo-agent Politie Eenheid Fictief"),
    (MelderSoort.politie_justitie, Kanaal.politie, "Demo-agent Politie Eenheid Fictief"),
    (MelderSoort.politie_justitie, Kanaal.portaal, "Demo-reclasseerder Fictief"),
    (MelderSoort.professional, Kanaal.telefoon, "Demo-huisarts Zorgvuldig"),
    (MelderSoort.professional, Kanaal.email, "Demo-leerkracht Basisschool De Proef"),
    (MelderSoort.burger, Kanaal.telefoon, "Demo-buurvrouw Oplettend"),
    (MelderSoort.anoniem, Kanaal.telefoon, None),
]
_URGENTIES = [Urgentie.regulier] * 7 + [Urgentie.spoed] * 2 + [Urgentie.acuut]

S = Status
_NA_BESLUIT = (S.veiligheidscheck, S.veiligheidsbeoordeling, S.besluit)
# Where a demo casus ends up: the path from `ontvangen`, with a weight.
DEMO_PADEN: list[tuple[tuple[Status, ...], int]] = [
    ((), 12),
    ((S.veiligheidscheck,), 10),
    ((S.veiligheidscheck, S.veiligheidsbeoordeling), 14),
    (_NA_BESLUIT, 8),
    ((*_NA_BESLUIT, S.werkvoorraad), 12),
    ((*_NA_BESLUIT, S.onderzoek), 8),
    ((*_NA_BESLUIT, S.voorwaarden_en_vervolg), 5),
    ((*_NA_BESLUIT, S.rvdk_verzoek), 4),
    ((*_NA_BESLUIT, S.overdracht), 8),
    ((*_NA_BESLUIT, S.overdracht, S.monitoring), 7),
    ((*_NA_BESLUIT, S.afgesloten), 10),
    ((S.veiligheidscheck, S.afgesloten), 3),  # not admissible
]
_REDENEN = {
    S.afgesloten: "Demo: einde bemoeienis",
    S.werkvoorraad: "Demo: wacht op capaciteit voor onderzoek",
}


def _bsn(rng: random.Random) -> str:
    """A BSN in the 99999xxxx test range that passes the elfproef."""
    while True:
        kandidaat = f"99999{rng.randint(0, 9999):04d}"
        if is_geldig_bsn(kandidaat):
            return kandidaat


@dataclass(frozen=True)
class _Huishouden:
    gemeente_code: str
    woonplaats: str
    straat_huisnummer: str
    postcode: str
    achternaam: str
    personen: tuple[dict, ...]
    eerste_melding: dt.datetime


def _huishouden(rng: random.Random, nummer: int, gemeente_code: str, gemeente_naam: str,
                ontvangen_op: dt.datetime, peildatum: dt.date) -> _Huishouden:
    achternaam = rng.choice(_ACHTERNAMEN)
    # Unique per household number, so different households never share an address.
    straat = f"{_STRATEN[nummer % len(_STRATEN)]} {nummer // len(_STRATEN) + 1}"
    letters = "ABCDEFGHJKLMNPRSTVWXZ"
    postcode = f"99{90 + nummer % 10} {letters[(nummer // 10) % 21]}{letters[(nummer // 210) % 21]}"
    personen = []
    for i in range(rng.choice([1, 2, 2, 3, 3])):
        rol = [Rol.slachtoffer, Rol.pleger, Rol.kind][i] if i < 3 else Rol.overig
        leeftijd = rng.randint(2, 16) if rol is Rol.kind else rng.randint(19, 80)
        geboren = peildatum - dt.timedelta(days=leeftijd * 365 + rng.randint(0, 364))
        personen.append(dict(
            rol=rol.value, naam=f"Demo {rng.choice(_VOORNAMEN)} {achternaam}", geboortedatum=geboren.isoformat(),
            bsn=_bsn(rng) if rng.random() < 0.7 else None,
        ))
    return _Huishouden(gemeente_code, f"Demo-{gemeente_naam}", straat, postcode, achternaam, tuple(personen),
                       ontvangen_op)


def demo_meldingen(
    instellingen: Instellingen,
    aantal: int = STANDAARD_AANTAL,
    *,
    nu: dt.datetime,
    seed: int = STANDAARD_SEED,
    weken: int = 8,
    hermelding_aandeel: float = HERMELDING_AANDEEL,
) -> list[MeldingInvoer]:
    """`aantal` fictional meldingen received in the `weken` weeks before `nu`, spread over every
    municipality of the settings and every urgency; about `hermelding_aandeel` of them concern a
    household that already had a melding (a hermelding once registered)."""
    if nu.tzinfo is None:
        raise ValueError("nu heeft een tijdzone nodig")
    rng = random.Random(seed)
    gemeenten = instellingen.gemeenten
    venster = dt.timedelta(weeks=weken) - dt.timedelta(hours=1)
    huishoudens: list[_Huishouden] = []
    meldingen = []
    for i in range(aantal):
        if huishoudens and rng.random() < hermelding_aandeel:
            huis = rng.choice(huishoudens)
            # Later than that household's first melding, before now.
            ontvangen = huis.eerste_melding + (nu - dt.timedelta(minutes=30) - huis.eerste_melding) * rng.random()
        else:
            ontvangen = nu - dt.timedelta(hours=1) - venster * rng.random()
            gemeente = gemeenten[len(huishoudens) % len(gemeenten)]  # every municipality gets cases
            huis = _huishouden(rng, len(huishoudens), gemeente.code, gemeente.naam, ontvangen,
                               nu.astimezone(AMSTERDAM).date())
            huishoudens.append(huis)
        soort, kanaal, naam = rng.choice(_MELDERS)
        melder = dict(soort=soort.value)
        if naam:
            melder.update(naam=naam, telefoon=f"0600{rng.randint(0, 999999):06d}",
                          wil_terugkoppeling=rng.random() < 0.8)
        meldingen.append(MeldingInvoer.model_validate(dict(
            bron=BRON,
            extern_id=f"demo-{i + 1:05d}",
            ontvangen_op=ontvangen.astimezone(AMSTERDAM).replace(microsecond=0),
            gemeente_code=huis.gemeente_code,
            kanaal=kanaal.value,
            urgentie=rng.choice(_URGENTIES).value,
            omschrijving=rng.choice(_OMSCHRIJVINGEN),
            melder=melder,
            adres=dict(straat_huisnummer=huis.straat_huisnummer, postcode=huis.postcode, woonplaats=huis.woonplaats),
            personen=list(huis.personen),
        )))
    return meldingen


def demo_pad(extern_id: str, seed: int = STANDAARD_SEED) -> tuple[Status, ...]:
    """The states a demo casus passes through after `ontvangen`, decided by the extern_id of its
    first melding alone: running the demo again never moves a casus further."""
    rng = random.Random(f"{seed}:{extern_id}")
    paden, gewichten = zip(*DEMO_PADEN)
    return rng.choices(paden, weights=gewichten)[0]


def breng_demo_casussen_verder(session: Session, nu: dt.datetime, seed: int = STANDAARD_SEED) -> dict[str, int]:
    """Move demo casussen still at `ontvangen` along their `demo_pad`, spreading the steps
    between their last melding and `nu`. Returns how many casussen moved to each final state.
    Reads only non-personal columns: works the same with or without the encryption key."""
    casussen = session.exec(
        select(Casus, Melding.extern_id)
        .join(Melding, Melding.casus_id == Casus.id)
        .where(Melding.bron == BRON, Melding.hermelding.is_(False), Casus.status == Status.ontvangen.value)
        .order_by(Casus.id)
    ).all()
    if not casussen:
        return {}
    laatste = dict(session.exec(
        select(Melding.casus_id, func.max(Melding.ontvangen_op))
        .where(Melding.casus_id.in_([c.id for c, _ in casussen]))
        .group_by(Melding.casus_id)
    ).all())
    verplaatst: dict[str, int] = {}
    for casus, extern_id in casussen:
        pad = demo_pad(extern_id, seed)
        if not pad:
            continue
        begin = _aware(laatste.get(casus.id) or casus.geopend_op)
        stap = (nu - begin) / (len(pad) + 1)
        for n, status in enumerate(pad, 1):
            tijdstip = begin + stap * n
            wijzig_status(session, casus, status, ACTOR, reden=_REDENEN.get(status), tijdstip=tijdstip)
            if status is S.veiligheidscheck:
                markeer_voldaan(session, casus, TermijnSoort.acute_reactie, ACTOR, tijdstip=tijdstip)
            if status is S.besluit:
                markeer_voldaan(session, casus, TermijnSoort.veiligheidsbeoordeling, ACTOR, tijdstip=tijdstip)
        verplaatst[pad[-1].value] = verplaatst.get(pad[-1].value, 0) + 1
    return verplaatst


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite's func.max() returns the stored naive UTC value without the column type.
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# Plustaken (seed 003): voorlichting and deskundigheidsbevordering a gemeente bought, as staff
# would register them (kind, audience, hours, participants); days before the demo's date.
_DEMO_ACTIVITEITEN = [
    (75, "voorlichting", "pedagogisch medewerkers kinderdagverblijf", 3, 22),
    (48, "deskundigheidsbevordering", "werkoverleg sociaal team: in gesprek over huiselijk geweld", 2, 11),
    (26, "voorlichting", "leerkrachten basisschool", 2.5, 17),
    (9, "deskundigheidsbevordering", "casuïstiekoverleg sociaal team", 1.5, 8),
]


def demo_activiteiten(regio, vandaag: dt.date) -> list:
    """Activities for every gemeente that buys them, in the year of `vandaag` (none before
    1 January): registering them again stores nothing twice (their key)."""
    from models.dossier.plustaken import ActiviteitInvoer
    from models.regels.instellingen import Plustaak

    uit = []
    for gemeente in regio.gemeenten:
        for dagen, soort, doelgroep, uren, deelnemers in _DEMO_ACTIVITEITEN:
            datum = vandaag - dt.timedelta(days=dagen)
            if gemeente.neemt_af(Plustaak(soort)) and datum.year == vandaag.year:
                uit.append(ActiviteitInvoer(datum=datum, gemeente_code=gemeente.code, soort=soort, doelgroep=doelgroep,
                                            uren=uren, deelnemers=deelnemers, door=ACTOR))
    return uit

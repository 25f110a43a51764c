"""Inloopplan: when the wachtlijst is back at its usual level, and what extra capacity would get
it there by a target date. Every figure below is worked out by hand.

Settings used throughout: a window of 8 weeks, the usual wait 20 working days (= 4 weeks), so
the usual level is the weekly instroom x 4.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from models.dossier.registratie import registreer_meldingen
from models.dossier.wijzigingen import casus_op_referentie, wijzig_status
from models.lezen.inloopplan import doorstroom, publiceer
from models.opslag.regio import synchroniseer
from models.regels.inloopplan import Doorstroom, OngeldigDoel, Verloop, bereken, doeldatum
from models.regels.levensloop import Status
from models.regels.onderdrukking import REGIO
from tests.helpers import gebruik_database, melding, regio_voor_test

AMS = ZoneInfo("Europe/Amsterdam")
S = Status
PEIL = dt.date(2026, 9, 6)  # a Sunday; the window is 13 July up to and including 6 September
DOEL = PEIL + dt.timedelta(weeks=5)  # 11 October 2026
GENNEP, VENLO = "GM0907", "GM0983"


def vt(*args: str):
    from typer.testing import CliRunner

    from cli import app

    return CliRunner().invoke(app, list(args))


def plan(stand: int, instroom: int, uitstroom: int, extra: int = 0, doel: dt.date = DOEL):
    return bereken(Doorstroom("test", stand, instroom, uitstroom), peildatum=PEIL, venster_weken=8,
                   gebruikelijke_wachttijd_werkdagen=20, doel=doel, extra_capaciteit=extra)


# --- the arithmetic -------------------------------------------------------------------------------


def test_een_slinkende_wachtlijst_krijgt_een_datum_en_wat_extra_nodig_is_voor_het_doel():
    # 16 in and 40 out in 8 weeks: 2 and 5 a week. Usual level 2 x 4 = 8; 38 - 8 = 30 too many,
    # 3 fewer a week: 10 weeks = 70 days after 6 September is 15 November. By the target in 5
    # weeks it must shrink 30 / 5 = 6 a week: 3 more than now.
    p = plan(stand=38, instroom=16, uitstroom=40)
    assert (p.instroom_per_week, p.uitstroom_per_week, p.gebruikelijk_niveau) == (2, 5, 8)
    assert p.verloop is Verloop.slinkt
    assert p.weken == 10
    assert p.datum == dt.date(2026, 11, 15)
    assert p.extra_voor_doel == 3


def test_met_de_extra_capaciteit_die_het_plan_noemt_wordt_het_doel_precies_gehaald():
    p = plan(stand=38, instroom=16, uitstroom=40, extra=3)
    assert p.afname_per_week == 6 and p.weken == 5
    assert p.datum == DOEL
    assert p.extra_voor_doel == 0


def test_een_gelijkblijvende_wachtlijst_krijgt_geen_datum():
    # 24 in, 24 out: 3 a week each way. Usual level 12; 20 - 12 = 8 too many, and it never
    # shrinks. By the target: 8 / 5 = 1.6 a week, rounded up to 2 casussen.
    p = plan(stand=20, instroom=24, uitstroom=24)
    assert p.verloop is Verloop.gelijk
    assert (p.weken, p.datum) == (None, None)
    assert p.gebruikelijk_niveau == 12
    assert p.extra_voor_doel == 2


def test_een_groeiende_wachtlijst_krijgt_geen_datum_en_wat_nodig_is_om_het_doel_te_halen():
    # 40 in, 24 out: 5 in and 3 out a week, so it grows by 2. Usual level 20; 10 too many. By the
    # target: 10 / 5 = 2 a week shrinking, plus the 2 it grows: 4 extra.
    p = plan(stand=30, instroom=40, uitstroom=24)
    assert p.verloop is Verloop.groeit
    assert (p.weken, p.datum) == (None, None)
    assert p.extra_voor_doel == 4
    # With those 4 extra it shrinks by 2 a week: 5 weeks, on the target.
    met_extra = plan(stand=30, instroom=40, uitstroom=24, extra=4)
    assert (met_extra.verloop, met_extra.weken, met_extra.datum) == (Verloop.slinkt, 5, DOEL)


def test_een_wachtlijst_op_het_gebruikelijke_niveau_is_al_klaar():
    p = plan(stand=8, instroom=16, uitstroom=10)
    assert p.verloop is Verloop.op_niveau
    assert p.datum == PEIL and p.extra_voor_doel == 0


def test_een_gedeelte_van_een_dag_telt_als_een_hele_dag():
    # 16 in, 24 out: 1 fewer a week; 9 - 8 = 1 too many: 1 week, 7 days. 17 in (2 1/8 a week):
    # level 8.5, 9 - 8.5 = 1/2 too many, 3 - 2 1/8 = 7/8 fewer a week: 4/7 week = 4 days.
    assert plan(stand=9, instroom=16, uitstroom=24).datum == PEIL + dt.timedelta(days=7)
    p = plan(stand=9, instroom=17, uitstroom=24)
    assert p.gebruikelijk_niveau == Fraction(17, 2) and p.weken == Fraction(4, 7)
    assert p.datum == PEIL + dt.timedelta(days=4)


def test_een_doel_dat_niet_na_de_peildatum_ligt_wordt_geweigerd():
    with pytest.raises(OngeldigDoel, match="ligt niet na de peildatum"):
        plan(stand=38, instroom=16, uitstroom=40, doel=PEIL)


def test_het_doel_uit_de_instellingen():
    assert doeldatum(PEIL, None, 13) == dt.date(2026, 12, 6)
    assert doeldatum(PEIL, dt.date(2026, 10, 1), 13) == dt.date(2026, 10, 1)
    assert doeldatum(PEIL, dt.date(2026, 9, 1), 13) == dt.date(2026, 12, 6)  # a target gone by: weeks again


# --- suppression -------------------------------------------------------------------------------------


def test_een_plan_uit_kleine_aantallen_wordt_niet_getoond_en_verraadt_ze_niet(instellingen):
    """Gennep's 3 in the window is a small count: its plan (a date computed from it) is a small
    count too. Venlo's inflow is then hidden as well ("x"), or region minus Venlo would give
    Gennep's 3 away; the region keeps its plan."""
    tellingen = {g.code: Doorstroom(g.code, 0, 0, 0) for g in instellingen.gemeenten}
    tellingen[GENNEP] = Doorstroom(GENNEP, 12, 3, 16)
    tellingen[VENLO] = Doorstroom(VENLO, 20, 24, 24)
    tellingen[REGIO] = Doorstroom(REGIO, 32, 27, 40)
    gepubliceerd = publiceer(tellingen, instellingen, PEIL, DOEL)
    per_code = {r.code: r for r in gepubliceerd.gebieden}
    assert per_code[GENNEP].instroom == "<5" and per_code[GENNEP].verloop is None
    assert per_code[GENNEP].datum is None and per_code[GENNEP].extra_voor_doel is None
    assert per_code[VENLO].instroom == "x" and per_code[VENLO].verloop is None
    regio = per_code[REGIO]
    # 27 in, 40 out: 27/8 and 5 a week; usual level 27/8 x 4 = 13.5 -> 14 shown; 32 - 13.5 =
    # 18.5 too many, 13/8 fewer a week: 11 5/13 weeks = 79.7 -> 80 days after 6 September.
    assert (regio.stand, regio.instroom, regio.uitstroom, regio.gebruikelijk_niveau) == (32, 27, 40, 14)
    assert regio.verloop is Verloop.slinkt and regio.datum == PEIL + dt.timedelta(days=80)


def _waarden_die_kunnen(gepubliceerd, stand_voor: dict) -> dict:
    """What a reader can work out of each hidden count: per (area, name) the smallest and
    largest whole value that fits everything published (the wachtlijst now, the earlier
    report's wachtlijst at the window's start, the flows) and what the reader knows: per area
    voor + instroom = stand + uitstroom, each column adds up to the region, "<5" is 1 to 4 and
    "x" at least 1."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    namen = ("voor", "instroom", "uitstroom", "stand")
    cel = {(r.code, n): stand_voor[r.code] if n == "voor" else getattr(r, n)
           for r in gepubliceerd.gebieden for n in namen}
    onbekend = [k for k, v in cel.items() if isinstance(v, str)]
    plek = {k: i for i, k in enumerate(onbekend)}
    rijen, rechts = [], []
    for termen in [*({(r.code, "voor"): 1, (r.code, "instroom"): 1, (r.code, "stand"): -1, (r.code, "uitstroom"): -1}
                     for r in gepubliceerd.gebieden),
                   *({**{(r.code, n): 1 for r in gepubliceerd.gemeenten}, (REGIO, n): -1} for n in namen)]:
        rij = np.zeros(len(onbekend))
        for k, teken in termen.items():
            if k in plek:
                rij[plek[k]] += teken
        rijen.append(rij)
        rechts.append(-sum(teken * cel[k] for k, teken in termen.items() if k not in plek))
    laag = [1] * len(onbekend)
    hoog = [4 if cel[k] == "<5" else 10_000 for k in onbekend]
    eisen = LinearConstraint(np.array(rijen), rechts, rechts)
    uitkomst = {}
    for k, i in plek.items():
        c = np.zeros(len(onbekend))
        c[i] = 1
        uitkomst[k] = tuple(round(milp(teken * c, constraints=eisen, bounds=Bounds(laag, hoog),
                                       integrality=np.ones(len(onbekend))).x[i]) for teken in (1, -1))
    return uitkomst


def test_een_kleine_uitstroom_is_niet_af_te_leiden_uit_de_wachtlijsten_van_twee_rapporten(instellingen):
    """Gennep: 10 waiting at the window's start (the report of that day showed it), 6 in, 4 out,
    12 waiting now. The 4 out is a small count; with the 6 in shown beside the two wachtlijsten
    a reader would work it out: 10 + 6 - 12 = 4. So the 6 in is hidden too, and then Venlo's
    instroom, as the region's 30 minus Venlo's 24 would give the 6 back."""
    tellingen = {g.code: Doorstroom(g.code, 0, 0, 0) for g in instellingen.gemeenten}
    tellingen[GENNEP] = Doorstroom(GENNEP, stand=12, instroom=6, uitstroom=4)
    tellingen[VENLO] = Doorstroom(VENLO, stand=20, instroom=24, uitstroom=24)
    tellingen[REGIO] = Doorstroom(REGIO, stand=32, instroom=30, uitstroom=28)
    stand = {code: t.stand for code, t in tellingen.items()}
    stand_voor = {code: t.stand - t.instroom + t.uitstroom for code, t in tellingen.items()}
    gepubliceerd = publiceer(tellingen, instellingen, PEIL, DOEL, stand=stand, stand_voor=stand_voor)
    per_code = {r.code: r for r in gepubliceerd.gebieden}
    assert (per_code[GENNEP].instroom, per_code[GENNEP].uitstroom, per_code[VENLO].instroom) == ("x", "<5", "x")
    assert per_code[GENNEP].verloop is None and per_code[VENLO].verloop is None
    assert (per_code[REGIO].instroom, per_code[REGIO].uitstroom, per_code[REGIO].verloop) == (30, 28, Verloop.groeit)
    kan = _waarden_die_kunnen(gepubliceerd, stand_voor)
    assert kan[(GENNEP, "uitstroom")] == (1, 4)  # anything from 1 to 4: nothing given away
    assert all(laagste < hoogste for laagste, hoogste in kan.values())
    # Without the earlier report's wachtlijst (as before this check) the 6 in was shown.
    assert publiceer(tellingen, instellingen, PEIL, DOEL, stand=stand).gemeenten[0].instroom == 6


def test_een_wachtlijst_die_een_rapport_verborg_volgt_niet_uit_de_stromen(instellingen):
    """Now the report hid Roermond's 3 waiting ("<5": 0 at the window's start, 3 in, none out)
    and Venlo's 20 ("x"), or the region's 35 would give the 3 away. Venlo's flows, 24 in and 24
    out beside its 20 at the window's start, would give its 20 back and with it the 3."""
    tellingen = {g.code: Doorstroom(g.code, 0, 0, 0) for g in instellingen.gemeenten}
    tellingen[GENNEP] = Doorstroom(GENNEP, stand=12, instroom=16, uitstroom=14)
    tellingen[VENLO] = Doorstroom(VENLO, stand=20, instroom=24, uitstroom=24)
    tellingen["GM0957"] = Doorstroom("GM0957", stand=3, instroom=3, uitstroom=0)
    tellingen[REGIO] = Doorstroom(REGIO, stand=35, instroom=43, uitstroom=38)
    stand = {code: t.stand for code, t in tellingen.items()} | {VENLO: "x", "GM0957": "<5"}
    stand_voor = {code: t.stand - t.instroom + t.uitstroom for code, t in tellingen.items()}
    gepubliceerd = publiceer(tellingen, instellingen, PEIL, DOEL, stand=stand, stand_voor=stand_voor)
    per_code = {r.code: r for r in gepubliceerd.gebieden}
    assert (per_code[VENLO].stand, per_code["GM0957"].stand) == ("x", "<5")  # as the report showed them
    assert per_code[VENLO].verloop is None and "x" in (per_code[VENLO].instroom, per_code[VENLO].uitstroom)
    kan = _waarden_die_kunnen(gepubliceerd, stand_voor)
    assert kan[("GM0957", "stand")] == (1, 4) and kan[(VENLO, "stand")][0] < kan[(VENLO, "stand")][1]
    assert all(laagste < hoogste for laagste, hoogste in kan.values())
    oud = publiceer(tellingen, instellingen, PEIL, DOEL, stand=stand).gemeenten[1]  # before this check: 20 + 24 - 24
    assert (oud.instroom, oud.uitstroom) == (24, 24)


# --- from the case store -----------------------------------------------------------------------------


def _op(dag: str, uur: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(dag), dt.time(uur), tzinfo=AMS)


class Wachtlijst:
    """Casussen that enter the wachtlijst on one day and leave it (or not) on another, through
    the real registration and status writers."""

    def __init__(self, session: Session, instellingen) -> None:
        self.session, self.instellingen, self.n = session, instellingen, 0

    def casussen(self, gemeente: str, aantal: int, erop: str, eraf: str | None = None,
                 naar: Status = S.onderzoek) -> None:
        meldingen = []
        for _ in range(aantal):
            self.n += 1
            meldingen.append(melding(ontvangen_op=_op("2026-05-04"), gemeente_code=gemeente,
                                     straat_huisnummer=f"Fictiestraat {self.n}", postcode=f"{1000 + self.n} AB"))
        for geregistreerd in registreer_meldingen(self.session, meldingen, self.instellingen, "test"):
            casus = casus_op_referentie(self.session, geregistreerd.casus_referentie)
            stappen = [(S.veiligheidscheck, _op("2026-05-04", 11)), (S.veiligheidsbeoordeling, _op("2026-05-04", 12)),
                       (S.besluit, _op(erop, 9)), (S.werkvoorraad, _op(erop))]
            if eraf:
                stappen.append((naar, _op(eraf)))
            for status, moment in stappen:
                wijzig_status(self.session, casus, status, "test", tijdstip=moment)


def bouw(session: Session, instellingen, met_latere: bool = True) -> None:
    """Gennep (shrinking): 10 waiting since June leave in the window, 5 come and go in it, 5 come
    and stay, 5 wait since June, one leaves the day after the peildatum, one comes the day after,
    one came and went before the window (left on 12 July, the day before it), one is closed from
    the wachtlijst in the window. Stand 5 + 5 + 1 = 11, instroom 5 + 5 = 10, uitstroom 10 + 5 + 1
    = 16. Venlo (growing): 5 wait since June, 8 come in the window; nobody leaves."""
    synchroniseer(session, instellingen)
    w = Wachtlijst(session, instellingen)
    w.casussen(GENNEP, 10, "2026-06-15", "2026-07-20")
    w.casussen(GENNEP, 5, "2026-07-13", "2026-08-17")  # the window's first day
    w.casussen(GENNEP, 5, "2026-08-24")
    w.casussen(GENNEP, 5, "2026-06-08")
    w.casussen(GENNEP, 1, "2026-06-01", "2026-09-07")
    if met_latere:
        w.casussen(GENNEP, 1, "2026-09-07")
    w.casussen(GENNEP, 1, "2026-07-01", "2026-07-12")
    w.casussen(GENNEP, 1, "2026-06-29", "2026-08-10", naar=S.afgesloten)
    w.casussen(VENLO, 5, "2026-06-08")
    w.casussen(VENLO, 8, "2026-07-20")


def test_instroom_doorstroom_en_stand_uit_het_casusregister(engine, instellingen):
    with Session(engine) as session:
        bouw(session, instellingen)
        tellingen = doorstroom(session, [g.code for g in instellingen.gemeenten], PEIL, 8)
    assert tellingen[GENNEP] == Doorstroom(GENNEP, stand=11, instroom=10, uitstroom=16)
    assert tellingen[VENLO] == Doorstroom(VENLO, stand=13, instroom=8, uitstroom=0)
    assert tellingen[REGIO] == Doorstroom(REGIO, stand=24, instroom=18, uitstroom=16)
    assert tellingen["GM0392"] == Doorstroom("GM0392", 0, 0, 0)


def test_vt_inloopplan_json(engine, database_url, instellingen, tmp_path, monkeypatch):
    """Gennep: 10 in and 16 out: 1.25 and 2 a week; usual level 5; 6 too many, 0.75 fewer a week:
    8 weeks, 1 November. By 4 October (4 weeks): 6 / 4 = 1.5 a week, 0.75 more: 1 extra.
    Venlo: 8 in, none out: grows by 1 a week; usual level 4; by the target 9 / 4 + 1 = 3.25: 4.
    Region: 18 in, 16 out: grows by 0.25; usual level 9; 15 / 4 + 0.25 = 4 extra."""
    with Session(engine) as session:
        bouw(session, instellingen)
        session.commit()
    gebruik_database(monkeypatch, database_url)
    regio_voor_test(tmp_path, monkeypatch)
    uit = vt("inloopplan", "--peildatum", PEIL.isoformat(), "--doel", "2026-10-04", "--gemeente", "Gennep",
             "--gemeente", VENLO, "--json")
    assert uit.exit_code == 0, uit.output
    plan = json.loads(uit.stdout)
    assert plan["venster_weken"] == 8 and plan["doel"] == "2026-10-04"
    assert "laatste 8 weken" in plan["methode"]
    gennep, venlo, regio = plan["gebieden"]
    assert gennep["naam"] == "Gennep" and gennep["verloop"] == "slinkt"
    assert (gennep["instroom_per_week"], gennep["uitstroom_per_week"], gennep["gebruikelijk_niveau"]) == (1.25, 2.0, 5)
    assert gennep["datum"] == "2026-11-01" and gennep["extra_voor_doel"] == 1
    assert "rond 1 november 2026 terug op het gebruikelijke niveau" in gennep["toelichting"]
    assert "is 1 casus per week extra nodig" in gennep["toelichting"]
    assert venlo["verloop"] == "groeit" and venlo["datum"] is None and venlo["extra_voor_doel"] == 4
    assert venlo["toelichting"].startswith("Bij de huidige instroom loopt de werkvoorraad niet in")
    assert regio["code"] == REGIO and regio["verloop"] == "groeit" and regio["extra_voor_doel"] == 4

    # With 4 extra a week Venlo shrinks by 3 a week: 9 / 3 = 3 weeks, 27 September.
    uit = vt("inloopplan", "--peildatum", PEIL.isoformat(), "--doel", "2026-10-04", "--gemeente", VENLO,
             "--extra-capaciteit", "4", "--json")
    venlo = json.loads(uit.stdout)["gebieden"][0]
    assert (venlo["verloop"], venlo["datum"], venlo["extra_voor_doel"]) == ("slinkt", "2026-09-27", 0)


def test_vt_inloopplan_weigert_een_onbekende_gemeente_in_het_nederlands(engine, database_url, monkeypatch,
                                                                         tmp_path):
    gebruik_database(monkeypatch, database_url)
    regio_voor_test(tmp_path, monkeypatch)
    uit = vt("inloopplan", "--gemeente", "Atlantis")
    assert uit.exit_code == 1
    assert "Onbekende gemeente(n): Atlantis" in uit.output and "Traceback" not in uit.output


def verstuur(session: Session, instellingen, tmp_path, *eindes: dt.date) -> None:
    """Make and archive the reports of these period ends, oldest first, as they go out."""
    from models.lezen.rapportage import archiveer
    from models.regels.perioden import periode
    from tasks.rapportage import rapportcijfers

    for eind in eindes:
        cijfers = rapportcijfers(session, instellingen, periode(instellingen.rapportage, eind), instellingen.capaciteit)
        archiveer(session, cijfers, 1, tmp_path / eind.isoformat(), {"rapport.pdf": "0" * 64}, "rapport.pdf")


EERDER = [dt.date(2026, 7, 5), dt.date(2026, 7, 19), dt.date(2026, 8, 2), dt.date(2026, 8, 16)]  # the block's earlier period ends


def blokken_tot(instellingen, eind: dt.date):
    """The demo schedule (same periods) with its anchor the day after `eind`: a block of the
    inloopplan ends on `eind`."""
    anker = dt.datetime.combine(eind + dt.timedelta(days=1), instellingen.rapportage.anker.time())
    return instellingen.model_copy(update={"rapportage": instellingen.rapportage.model_copy(update={"anker": anker})})


def test_het_tweewekelijkse_rapport_toont_het_inloopplan_met_de_methode(engine, instellingen, tmp_path):
    """The report for the period ending Sunday 30 August 2026, the last day of a block of 8
    weeks (the schedule's anchor 31 August), the reports of the block's earlier period ends
    sent: its window is 6 July to 30 August. Gennep: the casus that left on 12 July now left inside the window, so
    17 out; 10 in, 11 waiting. 10 / 8 = 1.25 in and 17 / 8 = 2.125 out a week; usual level 5; 6
    too many, 7/8 fewer a week: 48/7 weeks = 48 days, 17 October. Target 13 weeks on: 29 November,
    no extra needed. Venlo grows (8 in, none out): usual level 4, 9 too many; by the target
    9 / 13 + 1 = 1.7, so 2 a week extra. Region: 18 in, 17 out, grows; 15 / 13 + 1/8 = 1.3: 2."""
    from models.lezen.rapportage import Rapportcijfers
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.regels.perioden import periode
    from tasks.rapportage import rapportcijfers
    from templates import render

    instellingen = blokken_tot(instellingen, dt.date(2026, 8, 30))
    with Session(engine) as session:
        bouw(session, instellingen, met_latere=False)
        synchroniseer_werkdagen(session, instellingen)
        verstuur(session, instellingen, tmp_path, *EERDER)
        cijfers = rapportcijfers(session, instellingen, periode(instellingen.rapportage, dt.date(2026, 8, 30)),
                                 instellingen.capaciteit)
    plan = cijfers.inloopplan
    assert plan.venster_eind == plan.peildatum
    per_code = {r.code: r for r in plan.gebieden}
    gennep, venlo, regio = per_code[GENNEP], per_code[VENLO], per_code[REGIO]
    assert (gennep.stand, gennep.instroom, gennep.uitstroom) == (11, 10, 17)
    assert (gennep.verloop, gennep.datum, gennep.extra_voor_doel) == ("slinkt", dt.date(2026, 10, 17), 0)
    assert plan.doel == dt.date(2026, 11, 29)
    assert (venlo.verloop, venlo.datum, venlo.extra_voor_doel) == ("groeit", None, 2)
    assert (regio.stand, regio.instroom, regio.uitstroom, regio.verloop, regio.extra_voor_doel) == (24, 18, 17,
                                                                                                    "groeit", 2)
    # The same wachtlijst as the report's werkvoorraad table.
    assert gennep.stand == next(r.aantal for r in cijfers.gemeenten[0].werkvoorraad if r.dienst == "wachtlijst")

    markdown = render("rapport/rapport.md.j2", c=cijfers, versie=1)
    assert "## Inloopplan" in markdown and "laatste 8 weken op de wachtlijst kwamen" in markdown
    assert "| Gennep | 11 | 10 | 17 | 1,25 | 2,13 | 5 | 17 oktober 2026 | 0 |" in markdown
    assert "| Venlo | 13 | 8 | 0 | 1 | 0 | 4 | loopt niet in (groeit) | 2 |" in markdown
    assert "Bij de huidige instroom loopt de werkvoorraad niet in" in markdown  # the region's sentence
    # Archived and read back (history), and the report of an older version without a plan still reads.
    assert Rapportcijfers.model_validate(cijfers.model_dump(mode="json")).inloopplan == plan
    assert Rapportcijfers.model_validate(cijfers.model_dump(mode="json", exclude={"inloopplan"})).inloopplan is None
    html = render("rapport/rapport.html.j2", c=cijfers, versie=1, grafiek="grafiek.png")
    assert "Inloopplan: wanneer is de wachtlijst terug op het gebruikelijke niveau?" in html
    email = render("rapport/email.html.j2", c=cijfers, versie=1)
    assert "<h3>Inloopplan</h3>" in email and "zijn 2 casussen per week extra nodig" in email


def test_een_gemeente_waarvan_het_rapport_aan_het_begin_van_het_blok_de_wachtlijst_verborg_krijgt_geen_stromen(
    engine, instellingen, tmp_path
):
    """The report of 5 July, the block's start, went out with Gennep's and Venlo's wachtlijst
    hidden ("x"). Venlo's 8 in and 0 out beside its 13 on 30 August would give its 5 of 5 July
    back (and, block after block, tie every window before and after together), so the flows of
    both are hidden and their plans not shown; the region keeps its plan."""
    from models.lezen.rapportage import archiveer
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.regels.perioden import periode
    from tasks.rapportage import rapportcijfers

    instellingen = blokken_tot(instellingen, dt.date(2026, 8, 30))

    def rapport(session, eind):
        return rapportcijfers(session, instellingen, periode(instellingen.rapportage, eind), instellingen.capaciteit)

    with Session(engine) as session:
        bouw(session, instellingen, met_latere=False)
        synchroniseer_werkdagen(session, instellingen)
        for eind in EERDER:
            cijfers = rapport(session, eind)
            if eind == dt.date(2026, 7, 5):
                cijfers = cijfers.model_copy(update={"gemeenten": [
                    g.model_copy(update={"werkvoorraad": [r.model_copy(update={"aantal": "x"})
                                                          if r.dienst == "wachtlijst" else r for r in g.werkvoorraad]})
                    if g.code in (GENNEP, VENLO) else g for g in cijfers.gemeenten]})
            archiveer(session, cijfers, 1, tmp_path / eind.isoformat(), {"rapport.pdf": "0" * 64}, "rapport.pdf")
        plan = rapport(session, dt.date(2026, 8, 30)).inloopplan
    per_code = {r.code: r for r in plan.gebieden}
    for code in (GENNEP, VENLO):
        assert (per_code[code].instroom, per_code[code].uitstroom, per_code[code].verloop) == ("x", "x", None)
    assert (per_code[REGIO].instroom, per_code[REGIO].uitstroom, per_code[REGIO].verloop) == (18, 17, "groeit")


def test_de_rapporten_binnen_een_blok_tonen_hetzelfde_venster(engine, instellingen, tmp_path):
    """The reports of 13 and 27 September show the block that ended on 30 August, as the report
    of 30 August showed it: Gennep 10 in, 17 out. Their plans start from their own wachtlijst:
    on 13 September Gennep's 10 (one left on 7 September); 5 too many at 7/8 fewer a week: 40/7
    weeks, 40 days, 23 October. Had each report counted its own last 8 weeks, 13 September's
    window (20 July to 13 September) minus 30 August's (6 July to 30 August) would give the
    flows of the two weeks between, per gemeente. Had the report of 30 August not gone out, no
    report published the wachtlijsten of that day: the block's flows stay hidden."""
    from models.lezen.rapportage import archiveer
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.regels.perioden import periode
    from tasks.rapportage import rapportcijfers
    from templates import render

    instellingen = blokken_tot(instellingen, dt.date(2026, 8, 30))

    def rapport(session, eind):
        return rapportcijfers(session, instellingen, periode(instellingen.rapportage, eind), instellingen.capaciteit)

    def stromen(cijfers):
        return {r.code: (r.instroom, r.uitstroom) for r in cijfers.inloopplan.gebieden}

    with Session(engine) as session:
        bouw(session, instellingen, met_latere=False)
        synchroniseer_werkdagen(session, instellingen)
        verstuur(session, instellingen, tmp_path, *EERDER)
        blok = rapport(session, dt.date(2026, 8, 30))
        onverzonden = [rapport(session, dt.date(2026, 9, 13)), rapport(session, dt.date(2026, 9, 27))]
        archiveer(session, blok, 1, tmp_path, {"rapport.pdf": "0" * 64}, "rapport.pdf")
        verzonden = [rapport(session, dt.date(2026, 9, 13)), rapport(session, dt.date(2026, 9, 27))]
    for cijfers in onverzonden:
        assert set(stromen(cijfers).values()) == {("x", "x")}
    for cijfers in [*onverzonden, *verzonden]:
        assert cijfers.inloopplan.venster_eind == dt.date(2026, 8, 30)
    for cijfers in verzonden:
        assert stromen(cijfers) == stromen(blok)
    assert stromen(blok)[GENNEP] == (10, 17)
    gennep = {r.code: r for r in verzonden[0].inloopplan.gebieden}[GENNEP]
    assert (gennep.stand, gennep.verloop, gennep.datum) == (10, "slinkt", dt.date(2026, 10, 23))
    markdown = render("rapport/rapport.md.j2", c=verzonden[0], versie=1)
    assert "in de 8 weken tot en met 30 augustus 2026 op de wachtlijst kwamen" in markdown
    # The next block (to 25 October) is counted afresh.
    with Session(engine) as session:
        assert rapport(session, dt.date(2026, 10, 25)).inloopplan.venster_eind == dt.date(2026, 10, 25)

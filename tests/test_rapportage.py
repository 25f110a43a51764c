"""The biweekly report to the regional overleg: figures computed by the database over a small
synthetic region whose every figure is worked out by hand below, suppression of small counts,
the e-mail with its attachments at a real SMTP server, and the command line.

The period under test ends on Sunday 4 January 2026 and spans Christmas: it runs from Monday
22 December 2025 and has only six working days (22, 23, 24, 29, 30 and 31 December; 25/26
December and 1 January are feestdagen, 2 January 2026 is a bridge day from the settings).
Working days from a day to the period end, as used below ("wd"):
    27 Nov: 22   1 Dec: 20   8 Dec: 15   15 Dec: 10   22 Dec: 5   23 Dec: 4   24 Dec: 3
    29 Dec: 2    31 Dec: 0   3 Nov: 40   10 Nov: 35
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from models.opslag.casus import Casus, Termijn
from models.dossier.wijzigingen import audit, casus_op_referentie, markeer_voldaan, schort_op, voeg_termijn_toe, wijzig_status
from models.regels.instellingen import CapaciteitsModus, TermijnSoort
from models.regels.kalender import werkkalender
from models.regels.levensloop import Status
from models.regels.perioden import OngeldigePeriode, afgesloten_periode, interval_en_anker, laatste_periode, periode
from models.regels.onderdrukking import REGIO, kolomlijnen, onderdruk
from models.opslag.werkdagen import Werkdag, synchroniseer_werkdagen
from models.lezen.rapportage import MedewerkerKnelpunt, bereken, publiceer
from models.opslag.regio import synchroniseer
from models.dossier.registratie import registreer_meldingen
from models.regels.termijnbeleid import TermijnBerekening
from tests.helpers import melding

AMS = ZoneInfo("Europe/Amsterdam")
S = Status
GENNEP, VENLO, ROERMOND, HAARLEM = "GM0907", "GM0983", "GM0957", "GM0392"
EIND = dt.date(2026, 1, 4)


def op(datum: str, uur: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(datum), dt.time(uur), tzinfo=AMS)


def einde_dag(datum: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(datum), dt.time(23, 59, 59), tzinfo=AMS)


# --- the synthetic region --------------------------------------------------------------------------


class Regio:
    """Builds cases through the real paths: registration, status changes, terms, audit events."""

    def __init__(self, session: Session, instellingen) -> None:
        self.session, self.instellingen, self.n = session, instellingen, 0
        self.adressen: dict[int, int] = {}

    def casus(self, gemeente: str, ontvangen: str, urgentie: str = "regulier", adres: int | None = None) -> Casus:
        if adres is None:
            self.n += 1
            adres = self.n
        [geregistreerd] = registreer_meldingen(
            self.session,
            [melding(ontvangen_op=op(ontvangen), gemeente_code=gemeente, urgentie=urgentie,
                     straat_huisnummer=f"Fictiestraat {adres}", postcode=f"{9000 + adres} AB")],
            self.instellingen, actor="test",
        )
        casus = casus_op_referentie(self.session, geregistreerd.casus_referentie)
        self.adressen.setdefault(casus.id, adres)
        return casus

    def status(self, casus: Casus, *stappen: tuple[Status, dt.datetime]) -> None:
        for naar, tijdstip in stappen:
            wijzig_status(self.session, casus, naar, "test", tijdstip=tijdstip)
            if naar is S.besluit:
                markeer_voldaan(self.session, casus, TermijnSoort.veiligheidsbeoordeling, "test", tijdstip=tijdstip)

    def tot_besluit(self, casus: Casus, ontvangen: str, besluit: dt.datetime) -> None:
        self.status(casus, (S.veiligheidscheck, op(ontvangen, 11)), (S.veiligheidsbeoordeling, op(ontvangen, 12)),
                    (S.besluit, besluit))

    def wachtlijst(self, gemeente: str, ontvangen: str, instap: str) -> Casus:
        casus = self.casus(gemeente, ontvangen)
        self.tot_besluit(casus, ontvangen, op(instap, 9))
        self.status(casus, (S.werkvoorraad, op(instap)))
        return casus

    def termijn(self, casus: Casus, soort: TermijnSoort, vervalt: str, voldaan: dt.datetime | None = None) -> Termijn:
        vervalt_op = einde_dag(vervalt)
        berekening = TermijnBerekening(soort, op("2025-10-01"), vervalt_op, vervalt_op - dt.timedelta(days=3), "test")
        termijn = voeg_termijn_toe(self.session, casus, berekening, "test")
        if voldaan:
            termijn.voldaan_op = voldaan
            self.session.add(termijn)
            self.session.flush()
        return termijn


def bouw_regio(session: Session, instellingen) -> None:
    """Gennep: 2 on the wachtlijst. Venlo: 5 at the veiligheidsbeoordeling, 6 on the wachtlijst,
    5 in monitoring, and cases closed or handed over in the period. Roermond: 5 on the wachtlijst,
    5 in onderzoek. Every other municipality (Haarlem among them): nothing at all."""
    r = Regio(session, instellingen)
    synchroniseer(session, instellingen)

    # Gennep: wachtlijst since 15 Dec (10 wd) and 22 Dec (5 wd). G2's VB was due 24 Dec, met 22 Dec.
    g1 = r.wachtlijst(GENNEP, "2025-12-10", "2025-12-15")
    r.wachtlijst(GENNEP, "2025-12-17", "2025-12-22")
    r.termijn(g1, TermijnSoort.werkvoorraad_contact, "2025-12-30")  # open past due: no contact

    # Venlo wachtlijst: 22, 20, 15, 10, 5 and 2 wd. V4 starts its onderzoek after the period
    # end, so on 4 January it is still on the wachtlijst. V5's VB (due 30 Dec) was met on 22 Dec.
    v = [r.wachtlijst(VENLO, ontvangen, instap) for ontvangen, instap in [
        ("2025-11-24", "2025-11-27"), ("2025-11-28", "2025-12-01"), ("2025-12-05", "2025-12-08"),
        ("2025-12-12", "2025-12-15"), ("2025-12-19", "2025-12-22"), ("2025-12-26", "2025-12-29"),
    ]]
    r.status(v[3], (S.onderzoek, op("2026-01-07")))
    r.termijn(v[0], TermijnSoort.werkvoorraad_contact, "2025-12-29")  # open past due
    r.termijn(v[1], TermijnSoort.werkvoorraad_contact, "2025-12-29", voldaan=op("2025-12-28"))
    audit(session, v[3], "test", "escalatie", tijdstip=op("2025-12-19"),
          details={"soort": "veiligheidsbeoordeling", "stap": 1})

    # Venlo at the veiligheidsbeoordeling: received 22, 23, 24, 29 and 31 Dec (5, 4, 3, 2, 0 wd).
    # V7's VB (due 31 Dec) is still open: late. V7's household reports again on 30 Dec (hermelding).
    v7 = r.casus(VENLO, "2025-12-22")
    r.status(v7, (S.veiligheidscheck, op("2025-12-22", 11)))
    v8 = r.casus(VENLO, "2025-12-23")
    r.status(v8, (S.veiligheidscheck, op("2025-12-23", 11)), (S.veiligheidsbeoordeling, op("2025-12-23", 12)))
    r.casus(VENLO, "2025-12-24", urgentie="acuut")
    r.casus(VENLO, "2025-12-29")
    r.casus(VENLO, "2025-12-31")
    r.casus(VENLO, "2025-12-30", adres=r.adressen[v7.id])  # hermelding
    r.casus(VENLO, "2026-01-05")  # after the period: counts nowhere
    for tijdstip in ("2025-12-30", "2025-12-31"):
        audit(session, v7, "test", "escalatie", tijdstip=op(tijdstip),
              details={"soort": "veiligheidsbeoordeling", "stap": 2})

    # Venlo VBs due in the period and closed after the besluit: due 22, 23, 24, 29, 29 Dec,
    # met 19 Dec (on time), 23 Dec (on time), 29 Dec (late), 24 Dec (on time), 30 Dec (late).
    for ontvangen, besluit in [("2025-12-15", "2025-12-19"), ("2025-12-16", "2025-12-23"), ("2025-12-17", "2025-12-29"),
                               ("2025-12-18", "2025-12-24"), ("2025-12-18", "2025-12-30")]:
        casus = r.casus(VENLO, ontvangen)
        r.tot_besluit(casus, ontvangen, op(besluit))
        r.status(casus, (S.afgesloten, op(besluit, 11)))
        if ontvangen == "2025-12-15":  # a contact term left open on a closed casus: not a knelpunt
            r.termijn(casus, TermijnSoort.werkvoorraad_contact, "2025-12-22")

    # Venlo handovers in the period: warm (overdracht_afgerond), by phone, and one recorded as a
    # status change only. Then monitoring since 23 Dec (4 wd), 29 Dec (2 wd) and three since 3 Nov (40 wd).
    def naar_overdracht(ontvangen: str, overdracht: str) -> Casus:
        casus = r.casus(VENLO, ontvangen)
        r.tot_besluit(casus, ontvangen, op(overdracht, 9))
        r.status(casus, (S.overdracht, op(overdracht)))
        return casus

    m1 = naar_overdracht("2025-11-17", "2025-12-10")
    audit(session, m1, "test", "overdracht_afgerond", tijdstip=op("2025-12-23"),
          details={"type": "warm", "regie": "lokaal_team"})
    r.status(m1, (S.monitoring, op("2025-12-23")))
    m2 = naar_overdracht("2025-11-18", "2025-12-11")
    audit(session, m2, "test", "overdracht_afgerond", tijdstip=op("2025-12-29"), details={"type": "telefonisch"})
    r.status(m2, (S.monitoring, op("2025-12-29")))
    h3 = naar_overdracht("2025-11-19", "2025-12-12")
    r.status(h3, (S.afgesloten, op("2025-12-30")))
    m3, m4, m5 = (naar_overdracht(f"2025-10-0{d}", "2025-10-20") for d in (1, 2, 3))
    for m in (m3, m4, m5):
        r.status(m, (S.monitoring, op("2025-11-03")))
    audit(session, m3, "test", "buiten_beeld", tijdstip=op("2025-12-23"), reden="verhuisd")
    # Handover terms at the period end: overdue and open (M4), overdue and met only after the end
    # (M5): both knelpunten; met in time (M3) and due after the end: not.
    r.termijn(m4, TermijnSoort.overdracht, "2025-12-15")
    r.termijn(m5, TermijnSoort.overdracht, "2025-12-20", voldaan=op("2026-01-06"))
    r.termijn(m3, TermijnSoort.overdracht, "2025-12-20", voldaan=op("2025-12-19"))
    r.termijn(m3, TermijnSoort.overdracht, "2026-01-10")

    # Roermond: wachtlijst since 1, 1, 8, 15 and 29 Dec (20, 20, 15, 10, 2 wd), each with a V&V
    # term due 29 Dec: open (late), met 24 Dec, met 22 Dec, met 30 Dec (late), open (late).
    rw = [r.wachtlijst(ROERMOND, ontvangen, instap) for ontvangen, instap in [
        ("2025-11-28", "2025-12-01"), ("2025-11-28", "2025-12-01"), ("2025-12-05", "2025-12-08"),
        ("2025-12-12", "2025-12-15"), ("2025-12-26", "2025-12-29"),
    ]]
    for casus, voldaan in zip(rw, [None, op("2025-12-24"), op("2025-12-22"), op("2025-12-30"), None]):
        r.termijn(casus, TermijnSoort.voorwaarden_en_vervolg, "2025-12-29", voldaan=voldaan)
    opgeschort = r.termijn(rw[1], TermijnSoort.onderzoek, "2025-12-30")  # suspended: left out
    schort_op(session, rw[1], opgeschort, "test", "wacht op informatie", tijdstip=op("2025-12-20"))
    contact = r.termijn(rw[0], TermijnSoort.werkvoorraad_contact, "2026-01-02")  # suspended: not a knelpunt
    schort_op(session, rw[0], contact, "test", "gezin op vakantie", tijdstip=op("2025-12-20"))
    audit(session, rw[0], "test", "escalatie", tijdstip=op("2025-12-29"),
          details={"soort": "voorwaarden_en_vervolg", "stap": 1})

    # Roermond onderzoek since 10 Nov (35 wd); onderzoek terms due 22, 23, 24, 30 Dec and 31 Dec:
    # met 19 Dec, met 23 Dec (on the day), open (late), met 6 Jan (late), met 30 Dec.
    onderzoek = []
    for dag in range(20, 25):
        casus = r.casus(ROERMOND, f"2025-10-{dag}")
        r.tot_besluit(casus, f"2025-10-{dag}", op(f"2025-10-{dag + 7}"))
        r.status(casus, (S.onderzoek, op("2025-11-10")))
        onderzoek.append(casus)
    for casus, vervalt, voldaan in zip(onderzoek, ["2025-12-22", "2025-12-23", "2025-12-24", "2025-12-24", "2025-12-31"],
                                       [op("2025-12-19"), op("2025-12-23"), None, op("2026-01-06"), op("2025-12-30")]):
        r.termijn(casus, TermijnSoort.onderzoek, vervalt, voldaan=voldaan)


@pytest.fixture
def regio(engine, instellingen):
    with Session(engine) as session, session.begin():
        bouw_regio(session, instellingen)
        synchroniseer_werkdagen(session, instellingen)
    return instellingen


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ruw(request, tmp_path_factory):
    """The figures of the synthetic region, computed once per database for the tests that only
    read them (building the region takes a few seconds)."""
    import uuid

    from cryptography.fernet import Fernet
    from psycopg import sql

    from models.opslag.db import maak_engine, migreer
    from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen
    from tests.conftest import POSTGRES_HOST_URL, _postgres_beheer

    naam = f"vt_test_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('rapportage')}/casussen.db"
    else:
        with _postgres_beheer() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))
        url = f"{POSTGRES_HOST_URL}/{naam}"
    instellingen = laad_instellingen(DEMO_INSTELLINGEN)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
        migreer(url)
        engine = maak_engine(url)
        try:
            with Session(engine) as session, session.begin():
                bouw_regio(session, instellingen)
                synchroniseer_werkdagen(session, instellingen)
            with Session(engine) as session:
                yield bereken(session, instellingen, periode(instellingen.rapportage, EIND))
        finally:
            engine.dispose()
            if request.param == "postgresql":
                with _postgres_beheer() as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(naam)))


# --- periods --------------------------------------------------------------------------------------


def test_a_period_ends_the_day_before_each_report_moment_and_spans_the_interval(instellingen):
    r = instellingen.rapportage  # anchor Monday 4 January 2027 08:00, every 2 weeks
    assert periode(r, dt.date(2027, 1, 3)).start == dt.date(2026, 12, 21)
    assert periode(r, EIND).start == dt.date(2025, 12, 22)  # before the anchor: same grid
    assert laatste_periode(r, dt.date(2026, 1, 5)).eind == EIND
    assert laatste_periode(r, dt.date(2026, 1, 4)).eind == dt.date(2025, 12, 21)  # not over yet
    assert interval_en_anker(r) == (dt.timedelta(weeks=2), dt.datetime(2027, 1, 4, 8, tzinfo=ZoneInfo("Europe/Amsterdam")))


def test_the_period_boundaries_are_local_midnight(instellingen):
    p = periode(instellingen.rapportage, EIND)
    assert p.begin_utc == dt.datetime(2025, 12, 21, 23, tzinfo=dt.timezone.utc)
    assert p.eind_utc == dt.datetime(2026, 1, 4, 23, tzinfo=dt.timezone.utc)


def test_a_date_off_the_grid_or_in_the_future_is_refused_with_the_nearest_period_ends(instellingen):
    with pytest.raises(OngeldigePeriode, match="04-01-2026 en 18-01-2026"):
        periode(instellingen.rapportage, dt.date(2026, 1, 10))
    with pytest.raises(OngeldigePeriode, match="nog niet voorbij"):
        afgesloten_periode(instellingen.rapportage, EIND, vandaag=EIND)


# --- working days in the database ----------------------------------------------------------------


def test_the_werkdag_table_counts_like_the_legal_calendar_and_follows_the_settings(engine, instellingen):
    with Session(engine) as session, session.begin():
        assert synchroniseer_werkdagen(session, instellingen) > 10_000
        assert synchroniseer_werkdagen(session, instellingen) == 0  # unchanged: nothing written
    kalender = werkkalender(instellingen)
    with Session(engine) as session:
        volgnummer = dict(session.exec(select(Werkdag.datum, Werkdag.volgnummer)).all())
    for a, b in [("2025-12-22", "2026-01-04"), ("2025-11-03", "2026-01-04"), ("2026-04-01", "2026-05-20"),
                 ("2027-12-20", "2028-01-03"), ("2028-04-20", "2028-06-01")]:
        a, b = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        assert volgnummer[b] - volgnummer[a] == kalender.werkdagen_tussen(a, b)

    # A region closes on 22 December 2025: the table is rewritten and counts one day less.
    extra = [*instellingen.kalender.extra_niet_werkdagen,
             {"datum": dt.date(2025, 12, 22), "reden": "regionale sluitingsdag"}]
    gewijzigd = instellingen.model_copy(update={"kalender": instellingen.kalender.model_copy(
        update={"extra_niet_werkdagen": [type(instellingen.kalender.extra_niet_werkdagen[0]).model_validate(
            d if isinstance(d, dict) else d.model_dump()) for d in extra]})})
    with Session(engine) as session, session.begin():
        assert synchroniseer_werkdagen(session, gewijzigd) > 0
    with Session(engine) as session:
        volgnummer = dict(session.exec(select(Werkdag.datum, Werkdag.volgnummer)).all())
    assert volgnummer[EIND] - volgnummer[dt.date(2025, 12, 19)] == 5


# --- the figures, exactly (hand-computed in bouw_regio) ---------------------------------------------


def test_the_werkvoorraad_per_dienst_is_the_state_at_the_period_end(ruw):
    nu = ruw.werkvoorraad[0]
    assert {k: v for k, v in nu.items() if k[0] == GENNEP} == {(GENNEP, "wachtlijst"): 2, (GENNEP, "totaal"): 2}
    assert {k: v for k, v in nu.items() if k[0] == VENLO} == {
        (VENLO, "veiligheidsbeoordeling"): 5, (VENLO, "wachtlijst"): 6, (VENLO, "monitoring"): 5, (VENLO, "totaal"): 16}
    assert {k: v for k, v in nu.items() if k[0] == ROERMOND} == {
        (ROERMOND, "wachtlijst"): 5, (ROERMOND, "onderzoek"): 5, (ROERMOND, "totaal"): 10}
    assert {k: v for k, v in nu.items() if k[0] == REGIO} == {
        (REGIO, "veiligheidsbeoordeling"): 5, (REGIO, "wachtlijst"): 13, (REGIO, "onderzoek"): 5,
        (REGIO, "monitoring"): 5, (REGIO, "totaal"): 28}
    assert not any(k[0] == HAARLEM for k in nu)


def test_the_previous_period_end_is_reconstructed_from_the_audit_trail(ruw):
    vorige = ruw.werkvoorraad[1]  # 21 December: handovers still open, the VBs of 15-19 Dec not done
    assert {k: v for k, v in vorige.items() if k[0] == VENLO} == {
        (VENLO, "veiligheidsbeoordeling"): 5, (VENLO, "wachtlijst"): 4, (VENLO, "overdracht"): 3,
        (VENLO, "monitoring"): 3, (VENLO, "totaal"): 15}
    assert vorige[(GENNEP, "veiligheidsbeoordeling")] == vorige[(GENNEP, "wachtlijst")] == 1
    assert vorige[(ROERMOND, "wachtlijst")] == 4 and vorige[(REGIO, "totaal")] == 26


def test_waits_are_working_days_so_christmas_does_not_count(ruw):
    w = ruw.wachttijden
    # 22..31 December is 5 working days, not 13 calendar days.
    assert (w[(VENLO, "veiligheidsbeoordeling")].mediaan, w[(VENLO, "veiligheidsbeoordeling")].langste) == (3, 5)
    assert (w[(VENLO, "wachtlijst")].mediaan, w[(VENLO, "wachtlijst")].langste) == (12.5, 22)
    assert w[(VENLO, "wachtlijst")].boven_gebruikelijk == 1  # 22 > 20 working days; 20 is not
    assert (w[(VENLO, "monitoring")].mediaan, w[(VENLO, "monitoring")].langste) == (40, 40)
    assert (w[(GENNEP, "wachtlijst")].mediaan, w[(ROERMOND, "wachtlijst")].mediaan) == (7.5, 15)
    assert (w[(ROERMOND, "onderzoek")].mediaan, w[(ROERMOND, "onderzoek")].langste) == (35, 35)
    regio = w[(REGIO, "wachtlijst")]  # 2 2 5 5 10 10 [10] 15 15 20 20 20 22
    assert (regio.aantal, regio.mediaan, regio.langste, regio.boven_gebruikelijk) == (13, 10, 22, 1)
    # Longer than usual at every period end (each report protects it): on 21 December nobody yet.
    assert ruw.langer_dan_gebruikelijk[0] == {VENLO: 1, REGIO: 1} and ruw.langer_dan_gebruikelijk[1] == {}


def test_terms_due_in_the_period_count_on_time_or_late(ruw):
    t = ruw.termijnen
    assert t[VENLO]["veiligheidsbeoordeling_totaal"] == 7 and t[VENLO]["veiligheidsbeoordeling_op_tijd"] == 4
    assert t[GENNEP]["veiligheidsbeoordeling_totaal"] == t[GENNEP]["veiligheidsbeoordeling_op_tijd"] == 1
    assert (t[ROERMOND]["onderzoek_en_venv_totaal"], t[ROERMOND]["onderzoek_en_venv_op_tijd"]) == (10, 5)
    assert t[REGIO] == {"veiligheidsbeoordeling_totaal": 8, "veiligheidsbeoordeling_op_tijd": 5,
                        "onderzoek_en_venv_totaal": 10, "onderzoek_en_venv_op_tijd": 5}


def test_inflow_handovers_out_of_sight_escalations_and_overdue_work(ruw):
    assert ruw.instroom[VENLO] == {"meldingen": 7, "acuut": 1, "hermeldingen": 1}
    assert ruw.instroom[ROERMOND] == {"meldingen": 1, "acuut": 0, "hermeldingen": 0}
    assert GENNEP not in ruw.instroom and ruw.instroom[REGIO]["meldingen"] == 8
    assert ruw.gebeurtenissen[VENLO] == {"overdrachten": 3, "warm": 1, "buiten_beeld": 1, "escalaties": 2}
    assert ruw.gebeurtenissen[ROERMOND] == {"overdrachten": 0, "warm": 0, "buiten_beeld": 0, "escalaties": 1}
    assert ruw.achterstanden[VENLO] == {"overdracht_over_tijd": 2, "zonder_contact": 1}
    assert ruw.achterstanden[GENNEP] == {"overdracht_over_tijd": 0, "zonder_contact": 1}
    assert ruw.achterstanden[REGIO] == {"overdracht_over_tijd": 2, "zonder_contact": 2}


# --- suppression --------------------------------------------------------------------------------------


def test_a_small_count_is_hidden_and_so_is_one_more_cell_in_its_row_and_column():
    # rows A, B, region; columns p, q, total
    waarden = {("A", "p"): 3, ("A", "q"): 10, ("A", "t"): 13,
               ("B", "p"): 7, ("B", "q"): 6, ("B", "t"): 13,
               ("R", "p"): 10, ("R", "q"): 16, ("R", "t"): 26}
    lijnen = kolomlijnen(["A", "B", "R"], ["p", "q", "t"]) + [[(g, "p"), (g, "q"), (g, "t")] for g in "ABR"]
    uit = onderdruk(waarden, lijnen, 5, rang=lambda k: (k[0] == "R") + (k[1] == "t"))
    # A.p is small. Column p would give it away: B.p (inner, above 5) goes. Row A: A.q. Then
    # row B (B.p hidden): B.q; column q then has two hidden cells, and so has every line.
    assert uit == {("A", "p"): "<5", ("A", "q"): "x", ("A", "t"): 13,
                   ("B", "p"): "x", ("B", "q"): "x", ("B", "t"): 13,
                   ("R", "p"): 10, ("R", "q"): 16, ("R", "t"): 26}


def test_a_difference_that_would_reveal_a_small_count_is_hidden_too():
    # 12 meldingen of which 10 acute: the 2 not-acute are never published but would be 12 - 10.
    waarden = {("A", "meldingen"): 12, ("A", "acuut"): 10, ("A", "niet_acuut"): 2,
               ("R", "meldingen"): 12, ("R", "acuut"): 10, ("R", "niet_acuut"): 2}
    lijnen = [[("A", "acuut"), ("A", "niet_acuut"), ("A", "meldingen")],
              [("R", "acuut"), ("R", "niet_acuut"), ("R", "meldingen")],
              *kolomlijnen(["A", "R"], ["meldingen", "acuut", "niet_acuut"])]
    uit = onderdruk(waarden, lijnen, 5, onzichtbaar=[("A", "niet_acuut"), ("R", "niet_acuut")],
                    rang=lambda k: k[1] == "meldingen")
    assert uit[("A", "acuut")] == "x" and uit[("R", "acuut")] == "x"
    assert uit[("A", "meldingen")] == 12 and ("A", "niet_acuut") not in uit


def test_zero_is_shown_and_nothing_else_is_hidden_without_a_small_count():
    waarden = {("A", "p"): 0, ("A", "q"): 5, ("A", "t"): 5, ("R", "p"): 0, ("R", "q"): 5, ("R", "t"): 5}
    lijnen = kolomlijnen(["A", "R"], ["p", "q", "t"]) + [[(g, "p"), (g, "q"), (g, "t")] for g in "AR"]
    assert onderdruk(waarden, lijnen, 5) == waarden


def test_the_published_report_hides_small_counts_everywhere_and_whatever_gives_them_away(ruw, instellingen):
    regio = instellingen
    knelpunt = MedewerkerKnelpunt(VENLO, "Overdrachtstafel Venlo twee keer niet doorgegaan")
    cijfers = publiceer(ruw, regio, CapaciteitsModus.continuiteitsplan, [knelpunt])
    per = {g.code: g for g in cijfers.gebieden}

    def werkvoorraad(code):
        return [r.aantal for r in per[code].werkvoorraad]

    # Worked out by hand in the module docstring of models/lezen/rapportage.py's onderdruk rule:
    #              VB  wachtl ond V&V ovd mon totaal
    assert werkvoorraad(GENNEP) == [0, "<5", 0, 0, 0, 0, "<5"]
    assert werkvoorraad(VENLO) == ["x", "x", 0, 0, 0, 5, 16]
    assert werkvoorraad(ROERMOND) == [0, "x", 5, 0, 0, 0, "x"]
    assert werkvoorraad(HAARLEM) == [0, 0, 0, 0, 0, 0, 0]  # a municipality without any cases
    assert werkvoorraad(REGIO) == ["x", "x", 5, 0, 0, 5, 28]
    assert per[VENLO].langer_dan_gebruikelijk == "<5" and per[REGIO].langer_dan_gebruikelijk == "<5"

    # Change since the previous report: only where 21 December's report showed the count too.
    # That report hid Venlo's 15 and the region's 26: beside Venlo's three counts under 5 and
    # Gennep's, those totals would pin them down. So the changes of the totals stay hidden.
    verschil = {r.dienst: r.verschil for r in per[VENLO].werkvoorraad}
    assert verschil["totaal"] == "x" and verschil["monitoring"] == "x" and verschil["voorwaarden_en_vervolg"] == 0
    assert per[REGIO].werkvoorraad[-1].verschil == "x" and per[ROERMOND].werkvoorraad[2].verschil == "x"

    # Waits only for groups of at least 5 families, and only beside a count that is shown (a wait
    # beside "x" would tell that count is at least 5); working days.
    venlo = {r.dienst: r for r in per[VENLO].werkvoorraad}
    assert (venlo["monitoring"].mediaan_werkdagen, venlo["monitoring"].langste_werkdagen) == (40, 40)
    assert (venlo["wachtlijst"].mediaan_werkdagen, venlo["wachtlijst"].langste_werkdagen) == (None, None)
    assert per[GENNEP].werkvoorraad[1].mediaan_werkdagen is None

    # Terms: every VB count is small or would reveal one; onderzoek/V&V in Roermond is shown.
    assert per[VENLO].veiligheidsbeoordeling.model_dump() == {
        "totaal": "x", "op_tijd": "<5", "te_laat": "<5", "percentage": "x", "norm": 90.0, "onder_norm": None}
    assert per[REGIO].veiligheidsbeoordeling.totaal == 8
    assert per[ROERMOND].onderzoek_en_venv.model_dump() == {
        "totaal": 10, "op_tijd": 5, "te_laat": 5, "percentage": 50.0, "norm": 80.0, "onder_norm": True}

    # Inflow: Roermond's single melding is small, so Venlo's 7 would give it away.
    assert (per[VENLO].meldingen, per[VENLO].acuut, per[VENLO].hermeldingen) == ("x", "<5", "<5")
    assert (per[ROERMOND].meldingen, per[REGIO].meldingen, per[GENNEP].meldingen) == ("<5", 8, 0)
    assert (per[VENLO].overdrachten, per[VENLO].warm, per[VENLO].anders) == ("<5", "<5", "<5")
    assert (per[VENLO].buiten_beeld, per[VENLO].escalaties, per[REGIO].escalaties) == ("<5", "<5", "<5")

    # Knelpunten: derived where a count is above zero, plus the one staff entered.
    soorten = [k.soort for k in per[VENLO].knelpunten]
    assert soorten == ["veiligheidsbeoordeling_te_laat", "langer_dan_gebruikelijk", "overdracht_over_tijd",
                       "zonder_contact", "medewerker"]
    assert [k.soort for k in per[ROERMOND].knelpunten] == ["onderzoek_en_venv_te_laat"]
    assert per[HAARLEM].knelpunten == []
    assert cijfers.capaciteit == "continuiteitsplan"

    # The chart: each period's total as that period's report showed it.
    assert cijfers.grafiek.perioden[-2:] == [dt.date(2025, 12, 21), EIND]
    assert cijfers.grafiek.reeksen[VENLO][-2:] == ["x", 16] and cijfers.grafiek.reeksen[GENNEP][-1] == "<5"

    # Nothing in the published figures is below the threshold as a number, except zero.
    def getallen(waarde):
        if isinstance(waarde, dict):
            for k, v in waarde.items():
                if k not in ("norm", "percentage", "mediaan_werkdagen", "langste_werkdagen", "verschil",
                             "minimum_aantal", "gebruikelijke_wachttijd_werkdagen"):
                    yield from getallen(v)
        elif isinstance(waarde, list):
            for v in waarde:
                yield from getallen(v)
        elif isinstance(waarde, int) and not isinstance(waarde, bool):
            yield waarde
    assert not [n for n in getallen(cijfers.model_dump()) if 0 < n < 5]


# --- the report as it goes out ---------------------------------------------------------------------


def _pdftekst(pad) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pad), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_report_arrives_with_pdf_csv_and_chart_and_the_same_period_is_sent_once(
    engine, database_url, smtp_server, tmp_path, monkeypatch
):
    from models.opslag.communicatie import Rapport
    from models.dossier.knelpunt import KnelpuntInvoer, voeg_toe
    from flows.rapportage import rapportage_versturen
    from tests.helpers import gebruik_database, regio_voor_test

    gebruik_database(monkeypatch, database_url)
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    regio = regio_voor_test(tmp_path, monkeypatch, smtp_server)
    with Session(engine) as session, session.begin():
        bouw_regio(session, regio)
        voeg_toe(session, KnelpuntInvoer(periode_eind=EIND, gemeente_code=VENLO, door="teamleider",
                                         tekst="Overdrachtstafel Venlo twee keer niet doorgegaan"), regio)

    uitkomst = rapportage_versturen(periode_eind="04-01-2026")
    assert (uitkomst.versie, uitkomst.nieuw_gemaakt, uitkomst.verzonden) == (1, True, True)
    [bericht] = smtp_server.wacht_op_berichten(1)
    assert bericht["To"] == "regionaal-overleg@vt-test.example.org"
    assert bericht["Subject"] == "Werkvoorraad en knelpunten Veilig Thuis Demo-regio (fictief) t/m 4 januari 2026"
    bijlagen = {deel.get_filename(): deel.get_content() for deel in bericht.iter_attachments()}
    csv = sorted(n for n in bijlagen if n.endswith(".csv"))
    assert len(csv) == 9  # every municipality of the settings, and the region
    assert "rapportage-2026-01-04-gm0392-haarlem.csv" in csv
    assert {"rapportage-vt-demo-2026-01-04.pdf", "werkvoorraad-2026-01-04.png"} <= set(bijlagen)
    assert bijlagen["werkvoorraad-2026-01-04.png"][:4] == b"\x89PNG"

    html = bericht.get_body(("html",)).get_content()
    assert "Overdrachtstafel Venlo twee keer niet doorgegaan" in html and "&lt;5" in html

    pdf = tmp_path / "bericht.pdf"
    pdf.write_bytes(bijlagen["rapportage-vt-demo-2026-01-04.pdf"])
    tekst = _pdftekst(pdf)
    assert "22 december 2025 t/m 4 januari 2026" in tekst
    regels = {}  # the first line of each municipality: its row in the werkvoorraad table
    for regel in tekst.splitlines():
        if regel.strip():
            regels.setdefault(regel.split()[0], regel.split()[1:])
    assert regels["Venlo"][:9] == ["x", "x", "0", "0", "0", "5", "16", "x", "<5"]
    assert regels["Roermond"][:9] == ["0", "x", "5", "0", "0", "0", "x", "x", "0"]
    assert regels["Haarlem"][:9] == ["0", "0", "0", "0", "0", "0", "0", "0", "0"]
    assert "50,0%" in tekst and "Overdrachtstafel Venlo" in tekst and "continuïteitsplan" not in tekst

    venlo = bijlagen["rapportage-2026-01-04-gm0983-venlo.csv"]
    venlo = venlo.decode("utf-8-sig") if isinstance(venlo, bytes) else venlo
    assert "werkvoorraad;Totaal;aantal;16" in venlo and "instroom;waarvan acuut;aantal;<5" in venlo
    for inhoud in [html, tekst, *[v.decode("utf-8-sig") if isinstance(v, bytes) else v
                                  for n, v in bijlagen.items() if n.endswith(".csv")]]:
        assert "VT-2025-" not in inhoud and "Fictiestraat" not in inhoud  # aggregates only

    # Archived with the checksum of the PDF; the same period again sends nothing.
    with Session(engine) as session:
        [rapport] = session.exec(select(Rapport)).all()
    import hashlib
    assert rapport.checksum == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert rapport.verzonden_op is not None and rapport.cijfers["regio"]["werkvoorraad"][-1]["aantal"] == 28
    assert (tmp_path / "data" / "rapporten" / "2026-01-04" / "v1" / "werkvoorraad-2026-01-04.png").exists()

    # The same report in the Prefect UI: markdown and table artifacts, aggregates only.
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from prefect.client.schemas.sorting import ArtifactSort

    artefacten = {}
    with get_client(sync_client=True) as client:  # this report's: the newest (other tests report too)
        for a in client.read_artifacts(sort=ArtifactSort.CREATED_DESC,
                                       artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
                                           any_=["rapportage", "rapportage-werkvoorraad"]))):
            artefacten.setdefault(a.key, a)
    markdown, tabel = artefacten["rapportage"].data, artefacten["rapportage-werkvoorraad"].data
    assert "| Venlo | x | x | 0 | 0 | 0 | 5 | 16 | x |" in markdown and "VT-2025-" not in markdown
    assert {"Gemeente": "Gennep", "Wachtlijst": "<5"}.items() <= json.loads(tabel)[0].items(), json.loads(tabel)[0]
    assert not [w for rij in json.loads(tabel) for w in rij.values() if w in ("None", "0.0") or "_" in w]

    nogmaals = rapportage_versturen(periode_eind="04-01-2026")
    assert (nogmaals.versie, nogmaals.nieuw_gemaakt) == (1, False)
    assert len(smtp_server.wacht_op_berichten(2, timeout=1.5)) == 1

    # Unless staff ask for a resend: a new version under a new key.
    opnieuw = rapportage_versturen(periode_eind=EIND.isoformat(), opnieuw_versturen=True)
    assert (opnieuw.versie, opnieuw.nieuw_gemaakt, opnieuw.verzonden) == (2, True, True)
    tweede = smtp_server.wacht_op_berichten(2)[1]
    assert tweede["Subject"].startswith("[opnieuw verstuurd]")
    with Session(engine) as session:
        assert sorted(r.versie for r in session.exec(select(Rapport)).all()) == [1, 2]


def test_the_schedule_is_every_interval_from_the_anchor_in_amsterdam_time_also_before_the_anchor(instellingen):
    import asyncio

    from prefect.server.schemas.schedules import IntervalSchedule

    from deployments.rapportage import deployments

    rapport, knelpunt = deployments()
    [schema] = rapport.schedules
    assert (schema.schedule.interval, schema.schedule.timezone) == (dt.timedelta(days=14), "Europe/Amsterdam")
    # The anchor lies in 2027; a region started in December 2026 gets its first report within two
    # weeks, on the anchor's weekday at 08:00 Dutch time, also after the switch to summer time.
    server = IntervalSchedule(**schema.schedule.model_dump())
    eerste, tweede = asyncio.run(server.get_dates(n=2, start=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)))
    assert (eerste.date(), tweede.date()) == (dt.date(2026, 12, 7), dt.date(2026, 12, 21))
    [zomer] = asyncio.run(server.get_dates(n=1, start=dt.datetime(2027, 3, 20, tzinfo=dt.timezone.utc)))
    assert (zomer.date(), zomer.astimezone(ZoneInfo("Europe/Amsterdam")).hour) == (dt.date(2027, 3, 29), 8)
    velden = rapport._parameter_openapi_schema.properties
    assert [velden[v]["title"] for v in ("periode_eind", "opnieuw_versturen")] == [
        "Laatste dag van de periode", "Opnieuw versturen"]
    assert rapport._parameter_openapi_schema.required == ["periode_eind", "opnieuw_versturen"]  # no "(Optional)"
    assert "nooit iets over een gezin" in knelpunt.description


# --- command line ---------------------------------------------------------------------------------


def vt(*args: str):
    from typer.testing import CliRunner

    from cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_vt_rapport_json_prints_the_published_figures_and_sends_nothing(engine, database_url, regio, monkeypatch):
    from models.opslag.communicatie import Notificatie, Rapport

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    uit = vt("rapport", "--periode-eind", "2026-01-04", "--json")
    assert uit.exit_code == 0, uit.output
    cijfers = json.loads(uit.output)
    assert (cijfers["periode_start"], cijfers["periode_eind"]) == ("2025-12-22", "2026-01-04")
    regio_rij = {r["dienst"]: r["aantal"] for r in cijfers["regio"]["werkvoorraad"]}
    assert regio_rij == {"veiligheidsbeoordeling": "x", "wachtlijst": "x", "onderzoek": 5, "voorwaarden_en_vervolg": 0,
                         "overdracht": 0, "monitoring": 5, "totaal": 28}
    assert [g["code"] for g in cijfers["gemeenten"]][-1] == HAARLEM
    with Session(engine) as session:
        assert session.exec(select(Notificatie)).all() == [] and session.exec(select(Rapport)).all() == []


def test_vt_migreer_fills_the_werkdag_table_and_follows_a_changed_calendar(database_url, instellingen, tmp_path,
                                                                           monkeypatch):
    """start.sh runs `vt migreer`: the working days are there before any report runs, and a
    region's new closing day reaches the table with the next `vt migreer`."""
    import yaml

    from models.opslag.db import maak_engine
    from models.regels.instellingen import DEMO_INSTELLINGEN

    monkeypatch.setenv("DATABASE_URL", database_url)
    van, tot = dt.date(2026, 12, 21), dt.date(2027, 1, 4)

    def werkdagen_tussen() -> int:
        engine = maak_engine(database_url)
        try:
            with Session(engine) as session:
                volgnummer = dict(session.exec(select(Werkdag.datum, Werkdag.volgnummer)
                                               .where(Werkdag.datum.in_([van, tot]))).all())
        finally:
            engine.dispose()
        return volgnummer[tot] - volgnummer[van]

    assert vt("migreer").exit_code == 0
    assert werkdagen_tussen() == werkkalender(instellingen).werkdagen_tussen(van, tot) == 8

    regio = yaml.safe_load(DEMO_INSTELLINGEN.read_text(encoding="utf-8"))
    regio["kalender"]["extra_niet_werkdagen"].append({"datum": dt.date(2026, 12, 28), "reden": "regionale sluitingsdag"})
    gewijzigd = tmp_path / "regio.yaml"
    gewijzigd.write_text(yaml.safe_dump(regio, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("VT_INSTELLINGEN", str(gewijzigd))
    assert vt("migreer").exit_code == 0
    assert werkdagen_tussen() == 7


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_vt_rapport_refuses_a_date_that_is_no_period_end_in_dutch(engine, database_url, instellingen, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    uit = vt("rapport", "--periode-eind", "2026-01-05", "--json")
    assert uit.exit_code == 1
    assert "04-01-2026 en 18-01-2026" in json.loads(uit.output)["fout"]
    assert vt("rapport", "--opnieuw").exit_code == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_knelpunt_is_organisational_text_and_text_that_looks_personal_is_refused(
    engine, database_url, instellingen, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
    goed = vt("knelpunt", "toevoegen", "--periode-eind", "2026-01-04", "--gemeente", VENLO, "--door", "teamleider",
              "--tekst", "Twee vacatures in het onderzoeksteam", "--json")
    assert goed.exit_code == 0, goed.output
    for tekst in ["Gezin VT-2025-000012 wacht al lang", "BSN 111222333 belt steeds", "Fictiestraat 12, 9999 AB",
                  "mail a.devries@example.org"]:
        fout = vt("knelpunt", "toevoegen", "--periode-eind", "2026-01-04", "--door", "x", "--tekst", tekst)
        assert fout.exit_code == 1 and "persoonsgegevens" in fout.output
    lijst = json.loads(vt("knelpunt", "lijst", "--periode-eind", "2026-01-04", "--json").output)
    assert [k["tekst"] for k in lijst] == ["Twee vacatures in het onderzoeksteam"]


def test_the_chart_shows_only_published_values_in_the_artifact_and_names_who_has_none(ruw, instellingen):
    from tasks.rapportage import getoonde_reeksen
    from templates import render

    cijfers = publiceer(ruw, instellingen, CapaciteitsModus.normaal)
    assert getoonde_reeksen(cijfers)["Venlo"] == [None, None, 6, 9, None, 16]  # hidden counts: gaps
    markdown = render("rapport/rapport.md.j2", c=cijfers, versie=1)
    [venlo] = [r for r in markdown.splitlines() if r.startswith("| Venlo |") and "`" in r]
    assert venlo.endswith("| 16 | `  ▄▅ █` |")  # the text chart beside the numbers, gaps blank
    # A municipality whose counts are all hidden is not in the legend without a point.
    cijfers.grafiek.reeksen[GENNEP] = ["<5"] * len(cijfers.grafiek.perioden)
    assert "Gennep" not in getoonde_reeksen(cijfers)

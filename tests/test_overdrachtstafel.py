"""The overdrachtstafel (seed 004, issue 16 item 2): in the continuity plan a regular V&V besluit
for a gemeente with an overdrachtstafel registers the family with the chosen lokaal team and puts
the casus on the agenda of the next tafel; the tafel's outcome is a form in the casus's lifecycle.

The demo region's Haarlem (GM0392) holds its tafel on Tuesday at 10:00; Gennep has none.
Dates below are computed by hand on the Amsterdam calendar: 3 December 2026 is a Thursday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from models.regels.instellingen import CapaciteitsModus
from models.regels.levensloop import Status

AMS = ZoneInfo("Europe/Amsterdam")
DOOR = "Medewerker Tafelbeslisser"
HAARLEM = "GM0392"


def _tafel(instellingen):
    return instellingen.gemeente(HAARLEM).overdrachtstafel


@pytest.mark.parametrize("besluit_op, tafel_op", [
    # Thursday -> the next Tuesday.
    (dt.datetime(2026, 12, 3, 14, 0, tzinfo=AMS), dt.datetime(2026, 12, 8, 10, 0, tzinfo=AMS)),
    # On the tafel's own day before its agenda goes out (08:00, two hours before): that same tafel.
    (dt.datetime(2026, 12, 8, 7, 59, tzinfo=AMS), dt.datetime(2026, 12, 8, 10, 0, tzinfo=AMS)),
    # From the agenda on: a week later, so the casus is on the agenda its participants get.
    (dt.datetime(2026, 12, 8, 8, 0, tzinfo=AMS), dt.datetime(2026, 12, 15, 10, 0, tzinfo=AMS)),
    (dt.datetime(2026, 12, 8, 9, 59, tzinfo=AMS), dt.datetime(2026, 12, 15, 10, 0, tzinfo=AMS)),
    (dt.datetime(2026, 12, 8, 16, 30, tzinfo=AMS), dt.datetime(2026, 12, 15, 10, 0, tzinfo=AMS)),
    # A moment given in UTC counts in Amsterdam time: Tuesday 06:30 UTC is 07:30 in Amsterdam.
    (dt.datetime(2026, 12, 8, 6, 30, tzinfo=dt.timezone.utc), dt.datetime(2026, 12, 8, 10, 0, tzinfo=AMS)),
    # Feestdag rule: a tafel on a day that is not a working day does not take place; the casus goes
    # to the tafel a week later. Tuesday 5 May 2026 (Bevrijdingsdag, every year under the Algemene
    # termijnenwet) -> 12 May; Tuesday 27 April 2027 (Koningsdag) -> 4 May 2027.
    (dt.datetime(2026, 4, 30, 11, 0, tzinfo=AMS), dt.datetime(2026, 5, 12, 10, 0, tzinfo=AMS)),
    (dt.datetime(2027, 4, 22, 11, 0, tzinfo=AMS), dt.datetime(2027, 5, 4, 10, 0, tzinfo=AMS)),
    # Summer time ends on Sunday 25 October 2026: Tuesday 27 October 10:00 is still 10:00 local.
    (dt.datetime(2026, 10, 23, 12, 0, tzinfo=AMS), dt.datetime(2026, 10, 27, 10, 0, tzinfo=AMS)),
])
def test_a_casus_goes_to_the_first_tafel_whose_agenda_has_not_gone_out_and_that_takes_place(
        instellingen, besluit_op, tafel_op):
    from models.regels.kalender import werkkalender
    from models.regels.overdrachtstafel import tafel_voor_besluit

    assert tafel_voor_besluit(_tafel(instellingen), besluit_op, werkkalender(instellingen)) == tafel_op


def test_an_agenda_that_crosses_midnight_moves_the_cut_off_to_the_evening_before(instellingen):
    from models.regels.kalender import werkkalender
    from models.regels.overdrachtstafel import tafel_voor_besluit

    vroeg = _tafel(instellingen).model_copy(update={"tijd": dt.time(0, 30)})  # Tuesday 00:30, agenda Monday 22:30
    kalender = werkkalender(instellingen)
    assert tafel_voor_besluit(vroeg, dt.datetime(2026, 12, 7, 22, 29, tzinfo=AMS), kalender) == dt.datetime(
        2026, 12, 8, 0, 30, tzinfo=AMS)
    assert tafel_voor_besluit(vroeg, dt.datetime(2026, 12, 7, 22, 30, tzinfo=AMS), kalender) == dt.datetime(
        2026, 12, 15, 0, 30, tzinfo=AMS)


def test_the_agenda_is_scheduled_on_the_tafel_day_its_lead_time_before_the_start(instellingen):
    from models.regels.overdrachtstafel import agenda_cron

    assert agenda_cron(_tafel(instellingen)) == "0 8 * * 2"  # Tuesday 10:00 - 120 minutes
    vroeg = _tafel(instellingen).model_copy(update={"weekdag": "maandag", "tijd": dt.time(0, 30)})
    assert agenda_cron(vroeg) == "30 22 * * 0"  # crosses midnight: Sunday evening


def _context(instellingen, gemeente, modus):
    from models.regels.besluiten import CasusContext
    from models.regels.instellingen import Urgentie

    return CasusContext(referentie="VT-2026-000001", gemeente=instellingen.gemeente(gemeente),
                        urgentie=Urgentie.regulier, werkvoorraad_toegestaan=True, modus=CapaciteitsModus(modus))


@pytest.mark.parametrize("gemeente, modus, besluit, naar", [
    (HAARLEM, "continuiteitsplan", "voorwaarden_en_vervolg", "overdracht"),  # to the overdrachtstafel
    (HAARLEM, "continuiteitsplan", "onderzoek", "werkvoorraad"),  # an onderzoek still waits
    (HAARLEM, "normaal", "voorwaarden_en_vervolg", "voorwaarden_en_vervolg"),  # no plan: V&V starts
    ("GM0907", "continuiteitsplan", "voorwaarden_en_vervolg", "werkvoorraad"),  # Gennep has no tafel
])
def test_only_a_regular_venv_in_the_continuity_plan_of_a_gemeente_with_a_tafel_goes_to_the_tafel(
        instellingen, gemeente, modus, besluit, naar):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling as Besluit

    team = instellingen.gemeente(gemeente).lokale_teams[-1].code
    keuze = Besluit(door=DOOR, besluit=besluit, lokaal_team=team, veiligheidsvoorwaarden="afspraken")
    assert keuze.naar(_context(instellingen, gemeente, modus)) == naar


# --- in the case store: the besluit, the agenda, the three outcomes ------------------------------------


@pytest.fixture
def haarlem_op_besluit(engine, instellingen):
    """A regular melding in Haarlem, at its besluit (the veiligheidsbeoordeling done)."""
    from models.dossier import voortgang
    from models.dossier.registratie import registreer_meldingen
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.regio import synchroniseer
    from tests.helpers import melding

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding(gemeente_code=HAARLEM)], instellingen, actor="intake")
        casus = casus_op_referentie(session, geregistreerd.casus_referentie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "test", instellingen)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "test", instellingen)
    return geregistreerd.casus_referentie


def _beslis(engine, instellingen, referentie, invoer, sleutel, modus, moment=None):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie

    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, referentie)
        ctx = voortgang.context(session, casus, instellingen, modus, moment)
        assert invoer.fouten(ctx) == []
        voortgang.leg_beslissing_vast(session, casus, sleutel, invoer, ctx, instellingen)


def _venv_naar_tafel(engine, instellingen, referentie, moment=None):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling

    venv = BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="voorwaarden_en_vervolg", lokaal_team="HAA-SWT",
                                           veiligheidsvoorwaarden="Afspraken over de veiligheid")
    _beslis(engine, instellingen, referentie, venv, f"{referentie.lower()}-besluit-1",
            CapaciteitsModus.continuiteitsplan, moment)


def test_a_venv_besluit_registers_the_family_with_the_chosen_team_for_the_next_tafel(
        engine, instellingen, haarlem_op_besluit):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.casus import AuditEvent, Termijn
    from models.opslag.overdracht import Overdracht, Veiligheidsvoorwaarden
    from models.regels.besluiten import Beslismoment, volgend_beslismoment
    from models.regels.kalender import werkkalender
    from models.regels.overdrachtstafel import tafel_voor_besluit

    voor = dt.datetime.now(AMS)
    _venv_naar_tafel(engine, instellingen, haarlem_op_besluit)
    verwacht = tafel_voor_besluit(_tafel(instellingen), voor, werkkalender(instellingen))
    with Session(engine) as session:
        casus = casus_op_referentie(session, haarlem_op_besluit)
        [overdracht] = session.exec(select(Overdracht).where(Overdracht.casus_id == casus.id)).all()
        assert casus.status == "overdracht"
        assert (overdracht.lokaal_team_code, overdracht.regie, overdracht.overdrachtstafel_op) == (
            "HAA-SWT", "lokaal_team", verwacht)
        assert volgend_beslismoment(voortgang.stand(session, casus)) is Beslismoment.overdrachtstafel
        # The safety conditions VT set are kept for the team; the handover term runs (not V&V's).
        assert session.exec(select(Veiligheidsvoorwaarden).where(Veiligheidsvoorwaarden.casus_id == casus.id)).one()
        open_ = [t.soort for t in session.exec(select(Termijn).where(Termijn.casus_id == casus.id,
                                                                      Termijn.voldaan_op.is_(None)))]
        assert open_ == ["overdracht"]
        acties = [e.actie for e in session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id))]
        assert "aangemeld_overdrachtstafel" in acties
        # The agenda of that tafel lists it by reference and team.
        assert voortgang.casussen_voor_overdrachtstafel(session, HAARLEM, verwacht) == [
            dict(referentie=haarlem_op_besluit, lokaal_team="HAA-SWT", aangemeld_op=overdracht.aangemaakt_op,
                 eerder=None)]
        assert voortgang.casussen_voor_overdrachtstafel(session, HAARLEM, verwacht - dt.timedelta(weeks=1)) == []


@pytest.mark.parametrize("uitkomst, modus, status, termijn, brief", [
    ("team_neemt_over", "continuiteitsplan", "monitoring", "monitoring", "overdracht_bevestiging"),
    ("team_neemt_over_met_hulp_vt", "continuiteitsplan", "voorwaarden_en_vervolg", "voorwaarden_en_vervolg",
     "overdracht_bevestiging"),
    ("terug_naar_veilig_thuis", "continuiteitsplan", "werkvoorraad", "werkvoorraad_contact", None),
    ("terug_naar_veilig_thuis", "normaal", "voorwaarden_en_vervolg", "voorwaarden_en_vervolg", None),  # plan lifted
])
def test_the_tafels_outcome_moves_the_casus_starts_its_terms_and_owes_its_letter(
        engine, instellingen, haarlem_op_besluit, uitkomst, modus, status, termijn, brief):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.casus import Termijn
    from models.opslag.overdracht import Beslissing, Overdracht
    from models.regels import besluiten as b

    _venv_naar_tafel(engine, instellingen, haarlem_op_besluit)
    sleutel = f"{haarlem_op_besluit.lower()}-overdrachtstafel-1"
    _beslis(engine, instellingen, haarlem_op_besluit, b.UitkomstOverdrachtstafel(door=DOOR, uitkomst=uitkomst),
            sleutel, CapaciteitsModus(modus))
    with Session(engine) as session:
        casus = casus_op_referentie(session, haarlem_op_besluit)
        overdracht = session.exec(select(Overdracht).where(Overdracht.casus_id == casus.id)).one()
        beslissing = session.exec(select(Beslissing).where(Beslissing.sleutel == sleutel)).one()
        open_ = [t.soort for t in session.exec(select(Termijn).where(Termijn.casus_id == casus.id,
                                                                      Termijn.voldaan_op.is_(None)))]
        assert casus.status == status and open_ == [termijn]
        assert voortgang.open_overdracht(session, casus) is None  # the tafel's handover is decided
        if uitkomst == "terug_naar_veilig_thuis":
            assert overdracht.status == "terug_naar_vt" and casus.regie is None
            # On the werkvoorraad, 'starten' starts the V&V that was decided.
            assert voortgang.context(session, casus, instellingen, CapaciteitsModus(modus)).gepland == (
                Status.voorwaarden_en_vervolg)
        else:
            assert overdracht.status == "afgerond"
            assert (casus.lokaal_team_code, casus.regie) == ("HAA-SWT", "lokaal_team")
    gevolg = b.nazorg(b.Gevolgd(b.Beslismoment.overdrachtstafel, beslissing.keuze, Status.overdracht,
                                Status(beslissing.naar_status), beslissing.details,
                                overdracht={"lokaal_team_code": "HAA-SWT", "regie": "lokaal_team"}))
    assert [x.soort for x in gevolg.brieven] == ([brief] if brief else [])
    if brief:
        assert gevolg.brieven[0].gegevens["vt_helpt_met_voorwaarden"] is (uitkomst == "team_neemt_over_met_hulp_vt")


def _venv_op(engine, instellingen, monkeypatch, moment: dt.datetime, nummer: int) -> str:
    """A regular melding in Haarlem decided on V&V in the continuity plan at `moment`."""
    from models.dossier import voortgang
    from models.dossier.registratie import registreer_meldingen
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.regio import synchroniseer
    from tests.helpers import melding

    monkeypatch.setattr(voortgang, "nu", lambda: moment)
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding(
            gemeente_code=HAARLEM, postcode=f"20{nummer:02d} AB",
            straat_huisnummer=f"Tafelstraat {nummer}")], instellingen, actor="intake")
        casus = casus_op_referentie(session, geregistreerd.casus_referentie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "test", instellingen, tijdstip=moment)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "test", instellingen, tijdstip=moment)
    _venv_naar_tafel(engine, instellingen, geregistreerd.casus_referentie, moment)
    return geregistreerd.casus_referentie


def test_the_agenda_lists_the_right_casussen_for_each_tafel_and_keeps_those_without_an_outcome(
        engine, instellingen, monkeypatch):
    """A: V&V on Thursday 3 December 14:00 -> tafel Tuesday 8 December. C: Monday 7 December
    16:00 -> the same tafel, whose outcome is recorded there (the team takes over). B: Tuesday 8
    December 09:00, after that tafel's agenda went out at 08:00 -> tafel 15 December. The tafel
    of 8 December did not get to A: A stays on the agenda of 15 December, marked as such."""
    from models.dossier import voortgang
    from models.regels import besluiten as b
    from templates import render

    tafel_8, tafel_15 = (dt.datetime(2026, 12, d, 10, 0, tzinfo=AMS) for d in (8, 15))
    a = _venv_op(engine, instellingen, monkeypatch, dt.datetime(2026, 12, 3, 14, 0, tzinfo=AMS), 1)
    c = _venv_op(engine, instellingen, monkeypatch, dt.datetime(2026, 12, 7, 16, 0, tzinfo=AMS), 2)
    with Session(engine) as session:
        assert [x["referentie"] for x in voortgang.casussen_voor_overdrachtstafel(session, HAARLEM, tafel_8)] == [a, c]
    b_ = _venv_op(engine, instellingen, monkeypatch, dt.datetime(2026, 12, 8, 9, 0, tzinfo=AMS), 3)
    monkeypatch.setattr(voortgang, "nu", lambda: dt.datetime(2026, 12, 8, 11, 0, tzinfo=AMS))
    _beslis(engine, instellingen, c, b.UitkomstOverdrachtstafel(door=DOOR, uitkomst="team_neemt_over"),
            f"{c.lower()}-overdrachtstafel-1", CapaciteitsModus.continuiteitsplan)
    with Session(engine) as session:
        op_8 = voortgang.casussen_voor_overdrachtstafel(session, HAARLEM, tafel_8)
        op_15 = voortgang.casussen_voor_overdrachtstafel(session, HAARLEM, tafel_15)
        assert voortgang.casussen_voor_overdrachtstafel(session, "GM0907", tafel_15) == []  # another gemeente
    assert [(x["referentie"], x["eerder"]) for x in op_8] == [(a, None)]
    assert [(x["referentie"], x["eerder"]) for x in op_15] == [(a, tafel_8), (b_, None)]
    for x in op_15:
        x["team_naam"] = "Sociaal Wijkteam Haarlem"
    agenda = render("notificaties/overdrachtstafel_agenda.txt.j2", gemeente_naam="Haarlem", tafel_op=tafel_15,
                    plaats="Stadskantoor", casussen=op_15, telefoon="0800-2000", afzender="Veilig Thuis")
    assert "Agenda overdrachtstafel Haarlem, dinsdag 15 december 2026 om 10:00" in agenda
    assert (f"- {a}  aangemeld bij Sociaal Wijkteam Haarlem  (stond al op de tafel van 8 december 2026, nog geen "
            "uitkomst)") in agenda
    assert f"- {b_}  aangemeld bij Sociaal Wijkteam Haarlem\n" in agenda and "Totaal: 2." in agenda

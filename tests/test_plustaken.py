"""Plustaken (seed 003, issue 16 item 1), on the case store (both databases): the activities
staff register (voorlichting, deskundigheidsbevordering) against the hours a gemeente bought, in
the biweekly report and in the yearly overview; and samen optrekken at the onderzoek besluit.

The demo region's Helmond (GM0794) buys all three: 40 hours of voorlichting and 24 hours of
deskundigheidsbevordering a year. Venlo (GM0983) buys none. Figures are computed by hand in the
comments."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from models.regels.instellingen import CapaciteitsModus
from models.regels.levensloop import Status

AMS = ZoneInfo("Europe/Amsterdam")
DOOR = "Medewerker Plustaken"
HELMOND, VENLO = "GM0794", "GM0983"
EIND_2025 = dt.date(2025, 12, 31)


@pytest.fixture
def regio_in_store(engine, instellingen):
    from models.opslag.regio import synchroniseer
    from models.opslag.werkdagen import synchroniseer_werkdagen

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        synchroniseer_werkdagen(session, instellingen)
    return engine


def _activiteit(engine, instellingen, vandaag=EIND_2025, **velden):
    from models.dossier.plustaken import ActiviteitInvoer, registreer_activiteit

    invoer = ActiviteitInvoer(**{"gemeente_code": HELMOND, "door": DOOR, **velden})
    with Session(engine) as session, session.begin():
        rij, nieuw = registreer_activiteit(session, invoer, instellingen, vandaag)
        return rij.id, nieuw


# Helmond, 2025: voorlichting on 10 March (3 h, 25) and 12 November (2.5 h, 18);
# deskundigheidsbevordering on 20 November (1.75 h, 9); voorlichting on 15 December 2024 (another year).
ACTIVITEITEN = [
    dict(datum=dt.date(2025, 3, 10), soort="voorlichting", doelgroep="pedagogisch medewerkers kinderdagverblijf",
         uren=3, deelnemers=25),
    dict(datum=dt.date(2025, 11, 12), soort="voorlichting", doelgroep="leerkrachten basisschool", uren=2.5,
         deelnemers=18),
    dict(datum=dt.date(2025, 11, 20), soort="deskundigheidsbevordering", doelgroep="werkoverleg sociaal team",
         uren=1.75, deelnemers=9),
    dict(datum=dt.date(2024, 12, 15), soort="voorlichting", doelgroep="huisartsen", uren=4, deelnemers=30),
]


@pytest.fixture
def activiteiten(regio_in_store, instellingen):
    for velden in ACTIVITEITEN:
        _activiteit(regio_in_store, instellingen, **velden)
    return regio_in_store


def test_an_activity_is_stored_once_with_an_audit_event_however_often_it_is_sent(regio_in_store, instellingen):
    from models.opslag.casus import AuditEvent
    from models.opslag.plustaken import PlustaakActiviteit

    eerste = _activiteit(regio_in_store, instellingen, **ACTIVITEITEN[1])
    tweede = _activiteit(regio_in_store, instellingen, **{**ACTIVITEITEN[1], "doelgroep": "Leerkrachten basisschool"})
    assert eerste == (eerste[0], True) and tweede == (eerste[0], False)
    with Session(regio_in_store) as session:
        assert len(session.exec(select(PlustaakActiviteit)).all()) == 1
        [event] = session.exec(select(AuditEvent).where(AuditEvent.actie == "plustaak_activiteit")).all()
    assert (event.casus_id, event.actor, event.details["uren"], event.details["deelnemers"]) == (None, DOOR, 2.5, 18)


@pytest.mark.parametrize("velden, reden", [
    (dict(gemeente_code=VENLO), "gemeente Venlo neemt de plustaak voorlichting niet af"),
    (dict(datum=dt.date(2026, 1, 1)), "de datum ligt in de toekomst"),
    (dict(soort="samen_optrekken"), "kies voorlichting of deskundigheidsbevordering"),
    (dict(doelgroep="gezin van jan@example.org"), "lijkt persoonsgegevens"),
    (dict(uren=0), "greater than 0"),
])
def test_an_activity_that_cannot_be_right_is_refused_and_nothing_is_stored(regio_in_store, instellingen, velden, reden):
    from pydantic import ValidationError

    from models.dossier.plustaken import OngeldigeActiviteit
    from models.opslag.plustaken import PlustaakActiviteit

    with pytest.raises((OngeldigeActiviteit, ValidationError), match=reden):
        _activiteit(regio_in_store, instellingen, **{**ACTIVITEITEN[1], **velden})
    with Session(regio_in_store) as session:
        assert session.exec(select(PlustaakActiviteit)).all() == []


def _samen_optrekken_besluit(engine, instellingen, monkeypatch, moment: dt.datetime, postcode: str = "9999 AB") -> str:
    """A regular melding in Helmond (the household at `postcode`) decided on an onderzoek started
    together with its sociaal team, at `moment` (the clock of the writers set to it)."""
    from models.dossier import voortgang
    from models.dossier.registratie import registreer_meldingen
    from models.dossier.wijzigingen import casus_op_referentie
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling
    from tests.helpers import melding

    monkeypatch.setattr(voortgang, "nu", lambda: moment)
    with Session(engine) as session, session.begin():
        [geregistreerd] = registreer_meldingen(session, [melding(gemeente_code=HELMOND, ontvangen_op=moment - dt.timedelta(days=2),
                                                                   postcode=postcode)],
                                               instellingen, actor="intake")
        casus = casus_op_referentie(session, geregistreerd.casus_referentie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "test", instellingen, tijdstip=moment)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "test", instellingen, tijdstip=moment)
        invoer = BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="onderzoek", samen_optrekken=True,
                                                 lokaal_team="HEL-ST", samen_start_op=moment + dt.timedelta(days=3))
        ctx = voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal, moment)
        assert invoer.fouten(ctx) == []
        voortgang.leg_beslissing_vast(session, casus, f"{casus.referentie.lower()}-besluit-1", invoer, ctx, instellingen)
    return geregistreerd.casus_referentie


def test_samen_optrekken_marks_the_onderzoek_joint_and_owes_the_team_its_invitation(
        regio_in_store, instellingen, monkeypatch):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie
    from models.opslag.overdracht import Beslissing
    from models.regels import besluiten as b

    moment = dt.datetime(2025, 11, 14, 10, 0, tzinfo=AMS)
    referentie = _samen_optrekken_besluit(regio_in_store, instellingen, monkeypatch, moment)
    with Session(regio_in_store) as session:
        casus = casus_op_referentie(session, referentie)
        samen = voortgang.samen_optrekken_van_onderzoek(session, casus)
        beslissing = session.exec(select(Beslissing).where(Beslissing.casus_id == casus.id)).one()
    assert casus.status == "onderzoek"
    assert (samen.lokaal_team_code, samen.start_op) == ("HEL-ST", dt.datetime(2025, 11, 17, 10, 0, tzinfo=AMS))
    gevolg = b.nazorg(b.Gevolgd(b.Beslismoment.besluit, beslissing.keuze, Status.besluit, Status.onderzoek,
                                beslissing.details))
    assert gevolg.berichten == [b.Bericht.samen_optrekken_uitnodiging]
    # Its outcome form proposes a warm handover to that same team, which keeps the lead.
    assert b.voorstel_warme_overdracht(samen.lokaal_team_code) == {
        "uitkomst": "overdracht", "lokaal_team": "HEL-ST", "overdracht_type": "warm", "regie": "lokaal_team"}


def _context(instellingen, gemeente, modus="normaal", urgentie="regulier"):
    from models.regels.besluiten import CasusContext
    from models.regels.instellingen import Urgentie

    return CasusContext(referentie="VT-2026-000001", gemeente=instellingen.gemeente(gemeente), urgentie=Urgentie(urgentie),
                        werkvoorraad_toegestaan=urgentie == "regulier", modus=CapaciteitsModus(modus),
                        nu=dt.datetime(2026, 12, 3, 9, 0, tzinfo=AMS))


@pytest.mark.parametrize("gemeente, modus, velden, fout", [
    (VENLO, "normaal", {}, "Gemeente Venlo neemt de plustaak samen optrekken niet af"),
    (HELMOND, "continuiteitsplan", {}, "kan alleen bij een onderzoek dat nu start"),
    (HELMOND, "normaal", {"onderzoek_start": "werkvoorraad"}, "kan alleen bij een onderzoek dat nu start"),
    (HELMOND, "normaal", {"besluit": "overdracht"}, "Samen optrekken hoort bij een onderzoek"),
    (HELMOND, "normaal", {"samen_start_op": None}, "Vul bij samen optrekken de datum en tijd van de start in."),
    (HELMOND, "normaal", {"samen_start_op": dt.datetime(2026, 12, 2, 9, 0, tzinfo=AMS)}, "ligt in het verleden"),
    (HELMOND, "normaal", {"lokaal_team": "VEN-WT"}, "hoort niet bij gemeente Helmond"),
])
def test_samen_optrekken_only_where_the_gemeente_buys_it_and_the_onderzoek_starts_now(
        instellingen, gemeente, modus, velden, fout):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling

    invoer = BesluitNaVeiligheidsbeoordeling(**{
        "door": DOOR, "besluit": "onderzoek", "samen_optrekken": True, "lokaal_team": "HEL-ST",
        "samen_start_op": dt.datetime(2026, 12, 7, 9, 30, tzinfo=AMS), **velden})
    [melding] = invoer.fouten(_context(instellingen, gemeente, modus))
    assert fout in melding
    assert BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="onderzoek", samen_optrekken=True, lokaal_team="HEL-ST",
                                           samen_start_op=dt.datetime(2026, 12, 7, 9, 30, tzinfo=AMS)
                                           ).fouten(_context(instellingen, HELMOND)) == []


def test_the_biweekly_report_shows_activities_against_purchased_hours_and_suppresses_joint_onderzoeken(
        activiteiten, instellingen, monkeypatch):
    from models.lezen.rapportage import bereken, publiceer
    from models.regels.perioden import periode

    # One joint onderzoek decided on Friday 14 November 2025, in the period 10-23 November 2025.
    _samen_optrekken_besluit(activiteiten, instellingen, monkeypatch, dt.datetime(2025, 11, 14, 10, tzinfo=AMS))
    huidig = periode(instellingen.rapportage, dt.date(2025, 11, 23))
    with Session(activiteiten) as session:
        cijfers = publiceer(bereken(session, instellingen, huidig), instellingen, CapaciteitsModus.normaal)
    helmond = next(g for g in cijfers.gemeenten if g.code == HELMOND)
    rijen = {r.soort: r.model_dump(exclude={"soort"}) for r in helmond.plustaken}
    # Voorlichting: in the period only 12 November (2.5 h, 18); this year also 10 March: 3 + 2.5 =
    # 5.5 h of 40 = 13.75% -> 13.8. Deskundigheidsbevordering: 1.75 h of 24 = 7.29% -> 7.3.
    assert rijen == {
        "voorlichting": dict(activiteiten=1, uren=2.5, deelnemers=18, uren_jaar=5.5, ingekocht_uren=40,
                             aandeel_jaar=13.8),
        "deskundigheidsbevordering": dict(activiteiten=1, uren=1.75, deelnemers=9, uren_jaar=1.75, ingekocht_uren=24,
                                          aandeel_jaar=7.3),
    }
    # One joint onderzoek is a small count about a family: "<5", and the region (the same 1) too.
    assert (helmond.samen_optrekken, cijfers.regio.samen_optrekken) == ("<5", "<5")
    assert all(g.plustaken == [] and g.samen_optrekken == 0 for g in cijfers.gemeenten if g.code != HELMOND)
    from templates import render

    md = render("rapport/rapport.md.j2", c=cijfers, versie=1)
    assert "| Helmond | Voorlichting | 1 | 2,5 | 18 | 5,5 | 40 | 13,8% |" in md
    assert "| Helmond | Deskundigheidsbevordering | 1 | 1,75 | 9 | 1,75 | 24 | 7,3% |" in md


def _verstuur_rapport(engine, instellingen, eind: dt.date, tmp_path) -> None:
    """The biweekly report of the period ending `eind` published, archived and sent."""
    from models.lezen.rapportage import archiveer, bereken, markeer_verzonden, publiceer
    from models.regels.perioden import periode

    with Session(engine) as session, session.begin():
        cijfers = publiceer(bereken(session, instellingen, periode(instellingen.rapportage, eind)), instellingen,
                            CapaciteitsModus.normaal)
        versie = archiveer(session, cijfers, 1, tmp_path, {"rapport.pdf": "0" * 64}, "rapport.pdf")
        markeer_verzonden(session, versie.rapport_id, dt.datetime(2025, 12, 1, tzinfo=AMS))


def test_the_yearly_overview_per_gemeente_for_the_contract_talks(activiteiten, instellingen, monkeypatch, tmp_path):
    from models.lezen.plustaken import jaaroverzicht
    from tasks.plustaken import schrijf_jaaroverzicht

    _samen_optrekken_besluit(activiteiten, instellingen, monkeypatch, dt.datetime(2025, 11, 14, 10, tzinfo=AMS))
    with Session(activiteiten) as session:
        voor_het_rapport = jaaroverzicht(session, instellingen, 2025, dt.date(2026, 12, 2))
    # No report of 2025 went out yet: no period whose joint onderzoeken a report showed.
    assert (voor_het_rapport.samen_van, voor_het_rapport.gemeenten[0].samen_optrekken) == (None, "x")
    _verstuur_rapport(activiteiten, instellingen, dt.date(2025, 11, 23), tmp_path)
    with Session(activiteiten) as session:
        overzicht = jaaroverzicht(session, instellingen, 2025, dt.date(2026, 12, 2))
    [helmond] = overzicht.gemeenten  # the only gemeente of the demo region with plustaken
    assert (overzicht.tot_en_met, helmond.naam, helmond.samen_optrekken) == (EIND_2025, "Helmond", "<5")
    assert (overzicht.samen_van, overzicht.samen_tot_en_met) == (dt.date(2025, 11, 10), dt.date(2025, 11, 23))
    # Voorlichting 2025: 3 + 2.5 = 5.5 h of 40 (13.8%), 25 + 18 = 43 participants; the 2024 one not.
    assert [t.model_dump() for t in helmond.taken] == [
        dict(soort="voorlichting", activiteiten=2, uren=5.5, deelnemers=43, ingekocht_uren=40, aandeel=13.8),
        dict(soort="deskundigheidsbevordering", activiteiten=1, uren=1.75, deelnemers=9, ingekocht_uren=24,
             aandeel=7.3),
    ]
    md, csv = schrijf_jaaroverzicht(overzicht, tmp_path / "uit")
    assert "| Voorlichting | 2 | 5,5 | 40 | 13,8% | 43 |" in md.read_text(encoding="utf-8")
    assert ("Onderzoeken samen opgetrokken met het sociale team van 10 november 2025 t/m 23 november 2025: <5."
            in md.read_text(encoding="utf-8"))
    assert "Helmond;GM0794;samen_optrekken;onderzoeken;<5" in csv.read_text(encoding="utf-8-sig")
    assert oct(md.stat().st_mode & 0o777) == "0o600"


def test_the_yearly_overview_does_not_give_away_a_count_a_biweekly_report_hid(activiteiten, instellingen, monkeypatch,
                                                                              tmp_path):
    from models.lezen.plustaken import jaaroverzicht

    # Five joint onderzoeken in Helmond in the period 27 October - 9 November 2025 (its report
    # shows 5), one in 10 - 23 November (its report shows "<5").
    for dag in (3, 4, 5, 6, 7):
        _samen_optrekken_besluit(activiteiten, instellingen, monkeypatch, dt.datetime(2025, 11, dag, 10, tzinfo=AMS),
                                 postcode=f"9999 A{'CDEFG'[dag - 3]}")
    _verstuur_rapport(activiteiten, instellingen, dt.date(2025, 11, 9), tmp_path / "1")
    _samen_optrekken_besluit(activiteiten, instellingen, monkeypatch, dt.datetime(2025, 11, 14, 10, tzinfo=AMS))
    _verstuur_rapport(activiteiten, instellingen, dt.date(2025, 11, 23), tmp_path / "2")
    with Session(activiteiten) as session:
        overzicht = jaaroverzicht(session, instellingen, 2025, dt.date(2026, 12, 2))
    # 6 in the overview beside the 5 of the first report gives the hidden 1 away: "x".
    assert overzicht.gemeenten[0].samen_optrekken == "x"
    assert (overzicht.samen_van, overzicht.samen_tot_en_met) == (dt.date(2025, 10, 27), dt.date(2025, 11, 23))
    # One more on 26 November, in a period whose report has not gone out: an overview made
    # later counts the same periods, so set beside this one it tells nothing about that day.
    _samen_optrekken_besluit(activiteiten, instellingen, monkeypatch, dt.datetime(2025, 11, 26, 10, tzinfo=AMS),
                             postcode="9999 AH")
    with Session(activiteiten) as session:
        later = jaaroverzicht(session, instellingen, 2025, dt.date(2026, 12, 3))
    assert later.model_dump(exclude={"tot_en_met"}) == overzicht.model_dump(exclude={"tot_en_met"})


def _stukken(*perioden):
    """Stretches of Helmond (Venlo 0), each (count, as its report showed it); None: no report."""
    from models.lezen.plustaken import Stuk
    from models.regels.perioden import Periode

    dag = dt.date(2025, 1, 6)
    uit = []
    for n, (aantal, getoond) in enumerate(perioden):
        periode = Periode(dag + dt.timedelta(weeks=2 * n), dag + dt.timedelta(weeks=2 * n, days=13))
        uit.append(Stuk(periode, {HELMOND: aantal, VENLO: 0},
                        None if getoond is None else {HELMOND: getoond, VENLO: 0, "regio": getoond}))
    return uit


@pytest.mark.parametrize("perioden, overzichten", [
    # 5 shown, then 1 hidden: 6 - 5 = 1, so the second overview hides its 6.
    ([(5, 5), (1, "<5")], [5, "x"]),
    # 5 and 7 shown: 12 gives nothing away.
    ([(5, 5), (7, 7)], [5, 12]),
    # 5 and 6 shown, and between them 1 no report showed: 12 - 5 - 6 = 1, hidden.
    ([(5, 5), (1, None), (6, 6)], [5, "x"]),
    # 3, 4 and 2, each "<5": 7 after two periods fits 3 + 4 and 4 + 3; 9 after three would fit
    # many on its own, but 9 - 7 (the overview made after the second report) gives the 2 away.
    ([(3, "<5"), (4, "<5"), (2, "<5")], ["<5", 7, "x"]),
])
def test_the_yearly_joint_count_is_suppressed_with_the_reports_and_the_overviews_before_it(perioden, overzichten):
    from models.lezen.plustaken import samen_in_jaaroverzicht

    uit = samen_in_jaaroverzicht(_stukken(*perioden), [HELMOND, VENLO], 5)
    assert [o[HELMOND] for o in uit] == overzichten
    assert [o["regio"] for o in uit] == overzichten  # Venlo has none: the region is Helmond's count
    assert all(o[VENLO] == 0 for o in uit)


def test_vt_plustaken_records_an_activity_and_prints_the_yearly_overview(activiteiten, database_url, monkeypatch, tmp_path):
    from cli import app

    monkeypatch.setenv("DATABASE_URL", database_url)
    vt = CliRunner().invoke
    uit = vt(app, ["plustaken", "activiteit", "--datum", "2025-06-03", "--gemeente", "helmond", "--soort",
                   "deskundigheidsbevordering", "--doelgroep", "teamoverleg wijkteam", "--uren", "2",
                   "--deelnemers", "11", "--door", DOOR, "--json"])
    assert uit.exit_code == 0, uit.output
    assert json.loads(uit.output)["nieuw"] is True
    geweigerd = vt(app, ["plustaken", "activiteit", "--datum", "2025-06-03", "--gemeente", VENLO, "--soort",
                         "voorlichting", "--doelgroep", "huisartsen", "--uren", "2", "--deelnemers", "11",
                         "--door", DOOR])
    assert geweigerd.exit_code == 1 and "Venlo neemt de plustaak voorlichting niet af" in geweigerd.output
    uit = vt(app, ["plustaken", "jaaroverzicht", "--jaar", "2025", "--json", "--uitvoer", str(tmp_path / "uit")])
    assert uit.exit_code == 0, uit.output
    [helmond] = json.loads(uit.output)["gemeenten"]
    # Deskundigheidsbevordering: 1.75 + 2 = 3.75 h of 24 = 15.625% -> 15.6; 9 + 11 participants.
    assert helmond["taken"][1] == dict(soort="deskundigheidsbevordering", activiteiten=2, uren=3.75, deelnemers=20,
                                       ingekocht_uren=24, aandeel=15.6)
    assert sorted(p.name for p in (tmp_path / "uit").iterdir()) == ["plustaken-2025.csv", "plustaken-2025.md"]

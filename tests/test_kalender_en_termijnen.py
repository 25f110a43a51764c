"""Specifications of the working-day calendar and the deadlines a case manager sees.

Dates are Europe/Amsterdam local time unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from models.regels.instellingen import (
    DEMO_INSTELLINGEN,
    Eenheid,
    ExtraNietWerkdag,
    Instellingen,
    TermijnRegel,
    TermijnSoort,
    TermijnStart,
    Urgentie,
    laad_instellingen,
)
from models.regels.kalender import Werkkalender, werkkalender
from models.regels.termijnbeleid import (
    TermijnBerekening, bereken_termijn, eenheid_van, na_opschorting, termijnen_bij_ontvangst,
)

AMS = ZoneInfo("Europe/Amsterdam")
UTC = dt.timezone.utc
D = dt.date


def lokaal(jaar: int, maand: int, dag: int, uur: int = 10, minuut: int = 0, fold: int = 0) -> dt.datetime:
    return dt.datetime(jaar, maand, dag, uur, minuut, tzinfo=AMS, fold=fold)


@pytest.fixture(scope="module")
def instellingen() -> Instellingen:
    return laad_instellingen(DEMO_INSTELLINGEN)


@pytest.fixture(scope="module")
def kalender(instellingen: Instellingen) -> Werkkalender:
    return werkkalender(instellingen)


def met_kalender(instellingen: Instellingen, **wijzigingen) -> Instellingen:
    return instellingen.model_copy(
        update={"kalender": instellingen.kalender.model_copy(update=wijzigingen)}
    )


def termijn(instellingen: Instellingen, soort: TermijnSoort, start: dt.datetime) -> TermijnBerekening:
    return bereken_termijn(
        soort,
        instellingen.termijnen[soort],
        start,
        werkkalender(instellingen),
        instellingen.kalender.termijn_eindigt_om,
    )


def vervaldag(berekening: TermijnBerekening) -> dt.datetime:
    return berekening.vervalt_op.astimezone(AMS)


# -- het wettelijke kalender ---------------------------------------------------------------


def test_zaterdag_en_zondag_zijn_geen_werkdag(kalender):
    assert kalender.reden_niet_werkdag(D(2026, 3, 14)) == "zaterdag"
    assert kalender.reden_niet_werkdag(D(2026, 3, 15)) == "zondag"
    assert kalender.is_werkdag(D(2026, 3, 13))  # vrijdag
    assert kalender.is_werkdag(D(2026, 3, 16))  # maandag
    assert kalender.reden_niet_werkdag(D(2026, 3, 16)) is None


@pytest.mark.parametrize(
    ("datum", "feestdag"),
    [
        (D(2026, 1, 1), "Nieuwjaarsdag"),
        (D(2027, 1, 1), "Nieuwjaarsdag"),
        (D(2026, 4, 3), "Goede vrijdag"),
        (D(2027, 3, 26), "Goede vrijdag"),
        (D(2026, 4, 6), "Tweede paasdag"),
        (D(2027, 3, 29), "Tweede paasdag"),
        (D(2026, 4, 27), "Koningsdag"),
        (D(2027, 4, 27), "Koningsdag"),
        (D(2026, 5, 5), "Bevrijdingsdag"),  # geen lustrumjaar: telt toch (Algemene termijnenwet)
        (D(2027, 5, 5), "Bevrijdingsdag"),
        (D(2026, 5, 14), "Hemelvaartsdag"),
        (D(2027, 5, 6), "Hemelvaartsdag"),
        (D(2026, 5, 25), "Tweede pinksterdag"),
        (D(2027, 5, 17), "Tweede pinksterdag"),
        (D(2026, 12, 25), "Eerste kerstdag"),
        (D(2026, 12, 26), "Tweede kerstdag"),  # zaterdag: de feestdag is de betere reden
        (D(2027, 12, 25), "Eerste kerstdag"),
        (D(2027, 12, 26), "Tweede kerstdag"),
    ],
)
def test_feestdagen_van_de_algemene_termijnenwet_zijn_geen_werkdag(kalender, datum, feestdag):
    assert not kalender.is_werkdag(datum)
    assert kalender.reden_niet_werkdag(datum).lower() == feestdag.lower()


def test_de_dagen_rond_de_feestdagen_zijn_gewoon_werkdagen(kalender):
    for datum in [D(2026, 5, 4), D(2026, 5, 6), D(2026, 4, 2), D(2026, 4, 7), D(2026, 12, 24)]:
        assert kalender.is_werkdag(datum), datum


@pytest.mark.parametrize("datum", [D(2026, 1, 2), D(2026, 5, 15), D(2027, 5, 7)])
def test_bij_besluit_gelijkgestelde_brugdagen_uit_de_instellingen_zijn_geen_werkdag(kalender, datum):
    assert not kalender.is_werkdag(datum)
    assert "Besluit gelijkstelling" in kalender.reden_niet_werkdag(datum)


def test_een_brugdag_geldt_alleen_zolang_hij_in_de_instellingen_staat(instellingen):
    zonder = [d for d in instellingen.kalender.extra_niet_werkdagen if d.datum != D(2026, 1, 2)]
    regio = met_kalender(instellingen, extra_niet_werkdagen=zonder)
    assert werkkalender(regio).is_werkdag(D(2026, 1, 2))
    assert werkkalender(regio).volgende_werkdag(D(2025, 12, 31)) == D(2026, 1, 2)
    assert werkkalender(instellingen).volgende_werkdag(D(2025, 12, 31)) == D(2026, 1, 5)


def test_een_regio_kan_een_eigen_sluitingsdag_toevoegen(instellingen):
    sluiting = ExtraNietWerkdag(datum=D(2026, 6, 1), reden="Regionale sluitingsdag")
    regio = met_kalender(
        instellingen, extra_niet_werkdagen=[*instellingen.kalender.extra_niet_werkdagen, sluiting]
    )
    assert werkkalender(regio).reden_niet_werkdag(D(2026, 6, 1)) == "Regionale sluitingsdag"
    assert werkkalender(instellingen).is_werkdag(D(2026, 6, 1))


# -- werkdagen tellen ----------------------------------------------------------------------


def test_volgende_werkdag_ligt_altijd_na_de_gegeven_dag(kalender):
    assert kalender.volgende_werkdag(D(2026, 3, 16)) == D(2026, 3, 17)
    assert kalender.volgende_werkdag(D(2026, 3, 13)) == D(2026, 3, 16)  # vrijdag -> maandag
    assert kalender.volgende_werkdag(D(2026, 12, 24)) == D(2026, 12, 28)  # over kerst heen


def test_werkdag_op_of_na_laat_een_werkdag_staan(kalender):
    assert kalender.werkdag_op_of_na(D(2026, 3, 16)) == D(2026, 3, 16)
    assert kalender.werkdag_op_of_na(D(2026, 4, 3)) == D(2026, 4, 7)  # Goede vrijdag t/m 2e paasdag


def test_nul_werkdagen_erbij_is_dezelfde_dag_ook_in_het_weekend(kalender):
    assert kalender.plus_werkdagen(D(2026, 3, 14), 0) == D(2026, 3, 14)
    with pytest.raises(ValueError):
        kalender.plus_werkdagen(D(2026, 3, 14), -1)


def test_werkdagen_tussen_telt_feestdagen_en_brugdagen_niet_mee(kalender):
    # (vr 18 dec 2026, vr 8 jan 2027]: 15 weekdagen, minus 1e kerstdag en Nieuwjaarsdag.
    assert kalender.werkdagen_tussen(D(2026, 12, 18), D(2027, 1, 8)) == 13
    # Heel 2026: 261 weekdagen, 8 feestdagen op een weekdag en 2 brugdagen.
    assert kalender.werkdagen_tussen(D(2025, 12, 31), D(2026, 12, 31)) == 251
    assert kalender.werkdagen_tussen(D(2026, 5, 1), D(2026, 5, 1)) == 0
    assert kalender.werkdagen_tussen(D(2026, 5, 8), D(2026, 5, 1)) == 0


def test_werkdagen_tussen_en_plus_werkdagen_kloppen_met_dag_voor_dag_tellen(kalender):
    begin, eind = D(2025, 12, 1), D(2028, 12, 31)
    dagen = [begin + dt.timedelta(days=i) for i in range((eind - begin).days + 1)]
    werkdagen = [d for d in dagen if kalender.is_werkdag(d)]
    # (begin, eind] laat begin zelf weg, en 1 december 2025 is een maandag.
    assert kalender.werkdagen_tussen(begin, eind) == len(werkdagen) - 1
    for van in dagen[:-120:13]:  # ruimte voor 60 werkdagen binnen de lijst
        volgende = [d for d in werkdagen if d > van]
        for n in (1, 5, 10, 60):
            assert kalender.plus_werkdagen(van, n) == volgende[n - 1], (van, n)
            assert kalender.werkdagen_tussen(van, volgende[n - 1]) == n


# -- dag 0: wanneer begint een termijn te lopen ------------------------------------------


def test_melding_op_werkdag_onder_kantoortijd_telt_vanaf_dezelfde_dag(kalender):
    assert kalender.startdag(lokaal(2026, 3, 16, 16, 59)) == D(2026, 3, 16)


def test_melding_om_17_uur_of_later_telt_vanaf_de_volgende_werkdag(kalender):
    assert kalender.startdag(lokaal(2026, 3, 16, 17, 0)) == D(2026, 3, 17)
    assert kalender.startdag(lokaal(2026, 3, 13, 18, 0)) == D(2026, 3, 16)  # vrijdagavond
    assert kalender.startdag(lokaal(2026, 12, 24, 17, 30)) == D(2026, 12, 28)  # kerstavond


def test_melding_op_zondag_of_feestdag_telt_vanaf_de_volgende_werkdag(kalender):
    assert kalender.startdag(lokaal(2026, 3, 15, 11, 0)) == D(2026, 3, 16)
    assert kalender.startdag(lokaal(2026, 4, 27, 9, 0)) == D(2026, 4, 28)  # Koningsdag


def test_startdag_gebruikt_de_nederlandse_datum_niet_de_utc_datum(kalender):
    # zondag 23:30 UTC is maandag 01:30 in Amsterdam (zomertijd).
    assert kalender.startdag(dt.datetime(2026, 6, 14, 23, 30, tzinfo=UTC)) == D(2026, 6, 15)


def test_zonder_kantoortijdregel_telt_een_avondmelding_vanaf_dezelfde_dag(instellingen):
    regio = met_kalender(instellingen, na_kantoortijd_volgende_werkdag=False)
    assert werkkalender(regio).startdag(lokaal(2026, 3, 16, 22, 0)) == D(2026, 3, 16)


def test_startdag_weigert_een_tijdstip_zonder_tijdzone(kalender):
    with pytest.raises(ValueError, match="tijdzone"):
        kalender.startdag(dt.datetime(2026, 3, 16, 10, 0))


# -- termijnen -----------------------------------------------------------------------------


def test_veiligheidsbeoordeling_op_maandag_ontvangen_vervalt_maandag_erna_om_23_59_59(instellingen):
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 3, 9, 10, 0))
    assert vervaldag(vb) == dt.datetime(2026, 3, 16, 23, 59, 59, tzinfo=AMS)
    assert vb.vervalt_op == dt.datetime(2026, 3, 16, 22, 59, 59, tzinfo=UTC)


def test_veiligheidsbeoordeling_na_kantoortijd_of_in_het_weekend_begint_maandag(instellingen):
    for ontvangen in [lokaal(2026, 3, 13, 18, 0), lokaal(2026, 3, 14, 12, 0), lokaal(2026, 3, 15, 9, 0)]:
        vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, ontvangen)
        assert vervaldag(vb).date() == D(2026, 3, 23), ontvangen


def test_veiligheidsbeoordeling_van_5_werkdagen_over_kerst_2026_heen(instellingen):
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 12, 21, 10, 0))
    assert vervaldag(vb).date() == D(2026, 12, 29)  # 22, 23, 24, 28, 29 december
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 12, 24, 17, 30))
    assert vervaldag(vb).date() == D(2027, 1, 5)  # dag 0 = 28/12; 29, 30, 31, 4, 5


def test_onderzoek_van_10_weken_dat_op_een_feestdag_eindigt_schuift_naar_de_volgende_werkdag(
    instellingen,
):
    onderzoek = termijn(instellingen, TermijnSoort.onderzoek, lokaal(2026, 2, 16, 10, 0))
    assert vervaldag(onderzoek) == dt.datetime(2026, 4, 28, 23, 59, 59, tzinfo=AMS)  # na Koningsdag
    # Goede vrijdag en Tweede paasdag achter elkaar: van vrijdag naar dinsdag.
    onderzoek = termijn(instellingen, TermijnSoort.onderzoek, lokaal(2026, 1, 23, 10, 0))
    assert vervaldag(onderzoek).date() == D(2026, 4, 7)


def test_termijn_in_maanden_aan_het_eind_van_de_maand_en_in_het_weekend(instellingen):
    # 30 november + 3 maanden = 28 februari 2027 (zondag) -> maandag 1 maart.
    monitoring = termijn(instellingen, TermijnSoort.monitoring, lokaal(2026, 11, 30, 10, 0))
    assert vervaldag(monitoring).date() == D(2027, 3, 1)


def test_werkdagentermijn_die_na_de_overgang_naar_zomertijd_vervalt_eindigt_om_23_59_59_zomertijd(
    instellingen,
):
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 3, 23, 10, 0))
    assert vb.start.astimezone(AMS).utcoffset() == dt.timedelta(hours=1)
    assert vervaldag(vb).replace(tzinfo=None) == dt.datetime(2026, 3, 30, 23, 59, 59)
    assert vervaldag(vb).utcoffset() == dt.timedelta(hours=2)
    assert vb.vervalt_op == dt.datetime(2026, 3, 30, 21, 59, 59, tzinfo=UTC)


def test_werkdagentermijn_die_na_de_overgang_naar_wintertijd_vervalt_eindigt_om_23_59_59_wintertijd(
    instellingen,
):
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 10, 19, 10, 0))
    assert vb.start.astimezone(AMS).utcoffset() == dt.timedelta(hours=2)
    assert vervaldag(vb).replace(tzinfo=None) == dt.datetime(2026, 10, 26, 23, 59, 59)
    assert vervaldag(vb).utcoffset() == dt.timedelta(hours=1)
    assert vb.vervalt_op == dt.datetime(2026, 10, 26, 22, 59, 59, tzinfo=UTC)


def test_acute_reactie_in_de_nacht_van_de_zomertijd_duurt_60_echte_minuten(instellingen):
    acuut = termijn(instellingen, TermijnSoort.acute_reactie, lokaal(2026, 3, 29, 1, 30))
    assert acuut.vervalt_op == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert vervaldag(acuut).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 3, 30)  # klok verzet
    assert acuut.vervalt_op - acuut.start == dt.timedelta(minutes=60)


def test_acute_reactie_in_de_nacht_van_de_wintertijd_duurt_60_echte_minuten(instellingen):
    # 02:15 zomertijd (het eerste 02:15) + 60 minuten = 02:15 wintertijd: de klok toont hetzelfde.
    acuut = termijn(instellingen, TermijnSoort.acute_reactie, lokaal(2026, 10, 25, 2, 15, fold=0))
    assert acuut.start == dt.datetime(2026, 10, 25, 0, 15, tzinfo=UTC)
    assert acuut.vervalt_op == dt.datetime(2026, 10, 25, 1, 15, tzinfo=UTC)
    assert vervaldag(acuut).replace(tzinfo=None) == dt.datetime(2026, 10, 25, 2, 15)
    assert vervaldag(acuut).utcoffset() == dt.timedelta(hours=1)


def test_termijn_in_uren_loopt_dag_en_nacht_door_ook_over_de_zomertijd(instellingen):
    regel = TermijnRegel(aantal=24, eenheid=Eenheid.uren, omschrijving="Binnen 24 uur")
    berekening = bereken_termijn(
        TermijnSoort.acute_reactie, regel, lokaal(2026, 3, 28, 12, 0), werkkalender(instellingen),
        dt.time(23, 59, 59),
    )
    assert vervaldag(berekening).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 13, 0)


def test_waarschuwing_komt_na_het_ingestelde_deel_van_de_termijn(instellingen):
    acuut = termijn(instellingen, TermijnSoort.acute_reactie, lokaal(2026, 3, 16, 10, 0))
    assert acuut.waarschuw_op - acuut.start == dt.timedelta(minutes=30)  # aandeel 0,5
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 3, 16, 10, 0))
    verwacht = vb.start + 0.6 * (vb.vervalt_op - vb.start)
    assert vb.waarschuw_op == verwacht.replace(microsecond=0)  # whole seconds


def test_alle_tijdstippen_van_een_termijn_zijn_in_utc(instellingen):
    vb = termijn(instellingen, TermijnSoort.veiligheidsbeoordeling, lokaal(2026, 7, 1, 10, 0))
    for moment in (vb.start, vb.vervalt_op, vb.waarschuw_op):
        assert moment.tzinfo is UTC


def test_een_termijn_zonder_tijdzone_wordt_geweigerd(instellingen):
    with pytest.raises(ValueError, match="tijdzone"):
        termijn(instellingen, TermijnSoort.acute_reactie, dt.datetime(2026, 3, 16, 10, 0))


# -- de planning van `vt termijnen` --------------------------------------------------------


def test_planning_volgt_de_volgorde_van_het_protocol(instellingen):
    soorten = [t.soort for t in termijnen_bij_ontvangst(instellingen, lokaal(2026, 3, 9), Urgentie.acuut)]
    assert soorten == [
        TermijnSoort.acute_reactie,
        TermijnSoort.veiligheidsbeoordeling,
        TermijnSoort.onderzoek,
        TermijnSoort.voorwaarden_en_vervolg,
        TermijnSoort.overdracht,
        TermijnSoort.monitoring,
        TermijnSoort.monitoring,
        TermijnSoort.monitoring,
    ]  # an acute case never waits on the werkvoorraad, so it gets no waiting-list contact
    regulier = termijnen_bij_ontvangst(instellingen, lokaal(2026, 3, 9), Urgentie.regulier)
    assert regulier[0].soort == TermijnSoort.veiligheidsbeoordeling
    assert regulier[-1].soort == TermijnSoort.werkvoorraad_contact


def test_planning_laat_elke_stap_beginnen_waar_de_vorige_uiterlijk_klaar_is(instellingen):
    ontvangen = lokaal(2026, 3, 9, 10, 0)
    plan = {t.omschrijving: t for t in termijnen_bij_ontvangst(instellingen, ontvangen, Urgentie.regulier)}
    vb = plan[instellingen.termijnen[TermijnSoort.veiligheidsbeoordeling].omschrijving]
    onderzoek = plan[instellingen.termijnen[TermijnSoort.onderzoek].omschrijving]
    overdracht = plan[instellingen.termijnen[TermijnSoort.overdracht].omschrijving]
    contact = plan[instellingen.termijnen[TermijnSoort.werkvoorraad_contact].omschrijving]
    assert onderzoek.start == ontvangen  # demo-instelling: onderzoek telt vanaf ontvangst
    assert overdracht.start == vb.vervalt_op
    assert contact.start == vb.vervalt_op
    for maanden in (3, 9, 18):
        assert plan[f"Monitoring na {maanden} maanden"].start == overdracht.vervalt_op


def test_monitoringmomenten_komen_uit_de_lijst_in_de_instellingen(instellingen):
    plan = termijnen_bij_ontvangst(instellingen, lokaal(2026, 3, 9), Urgentie.regulier)
    monitoring = [t for t in plan if t.soort == TermijnSoort.monitoring]
    overdracht_klaar = vervaldag(next(t for t in plan if t.soort == TermijnSoort.overdracht)).date()
    for moment, maanden in zip(monitoring, (3, 9, 18), strict=True):
        verwacht = werkkalender(instellingen).werkdag_op_of_na(
            overdracht_klaar + relativedelta(months=maanden)
        )
        assert moment.omschrijving == f"Monitoring na {maanden} maanden"
        assert vervaldag(moment).date() == verwacht


def test_onderzoek_dat_bij_aanvang_telt_begint_na_de_veiligheidsbeoordeling(instellingen):
    regels = dict(instellingen.termijnen)
    regels[TermijnSoort.onderzoek] = regels[TermijnSoort.onderzoek].model_copy(
        update={"start": TermijnStart.aanvang}
    )
    regio = instellingen.model_copy(update={"termijnen": regels})
    plan = termijnen_bij_ontvangst(regio, lokaal(2026, 3, 9), Urgentie.regulier)
    vb = next(t for t in plan if t.soort == TermijnSoort.veiligheidsbeoordeling)
    onderzoek = next(t for t in plan if t.soort == TermijnSoort.onderzoek)
    assert onderzoek.start == vb.vervalt_op


def test_contact_met_een_wachtend_gezin_volgt_het_interval_van_de_urgentie(instellingen):
    plan = termijnen_bij_ontvangst(instellingen, lokaal(2026, 3, 9), Urgentie.regulier)
    contact = plan[-1]
    kalender = werkkalender(instellingen)
    assert contact.soort == TermijnSoort.werkvoorraad_contact
    dag_0 = kalender.startdag(contact.start)
    assert vervaldag(contact).date() == kalender.plus_werkdagen(dag_0, 10)


def test_zaken_die_niet_mogen_wachten_krijgen_geen_contactmomenten_voor_de_wachtlijst(instellingen):
    for urgentie in (Urgentie.acuut, Urgentie.spoed):
        soorten = {t.soort for t in termijnen_bij_ontvangst(instellingen, lokaal(2026, 3, 9), urgentie)}
        assert TermijnSoort.werkvoorraad_contact not in soorten


def test_werkkalender_wordt_per_instellingen_hergebruikt(instellingen):
    assert werkkalender(instellingen) is werkkalender(instellingen)
    anders = met_kalender(instellingen, na_kantoortijd_volgende_werkdag=False)
    assert werkkalender(anders) is not werkkalender(instellingen)


# --- opschorten: the deadline after a suspension ---------------------------------------------------


def test_een_weekend_in_de_opschorting_verlengt_een_werkdagentermijn_niet(kalender):
    # Due Mon 23 Nov; suspended Fri 20 Nov 09:00 to Mon 23 Nov 09:00: one working day (Monday)
    # in that span, so due Tue 24 Nov. Shifting by the 72 hours would have given Thu 26 Nov.
    nieuw = na_opschorting(Eenheid.werkdagen, lokaal(2026, 11, 23, 23, 59), lokaal(2026, 11, 20, 9),
                           lokaal(2026, 11, 23, 9), kalender)
    assert nieuw == lokaal(2026, 11, 24, 23, 59)


def test_een_opgeschorte_kalendertermijn_eindigt_niet_op_kerst_of_in_het_weekend(kalender):
    # Onderzoek due Mon 21 Dec; suspended four days: Fri 25 Dec is Kerstmis, then Tweede
    # Kerstdag and a Sunday, so the deadline is Mon 28 Dec (Algemene termijnenwet art. 1).
    nieuw = na_opschorting(Eenheid.weken, lokaal(2026, 12, 21, 23, 59), lokaal(2026, 12, 14, 10),
                           lokaal(2026, 12, 18, 10), kalender)
    assert nieuw == lokaal(2026, 12, 28, 23, 59)


def test_een_opgeschorte_werkdagentermijn_houdt_zijn_kloktijd_over_het_einde_van_de_zomertijd(kalender):
    # Due Fri 23 Oct 23:59 CEST; suspended Thu 22 to Tue 27 Oct (Fri, Mon, Tue: three working
    # days): due Wed 28 Oct 23:59 CET, one hour later in UTC than the same wall clock in CEST.
    nieuw = na_opschorting(Eenheid.werkdagen, lokaal(2026, 10, 23, 23, 59), lokaal(2026, 10, 22, 14),
                           lokaal(2026, 10, 27, 11), kalender)
    assert nieuw == lokaal(2026, 10, 28, 23, 59)
    assert nieuw.astimezone(UTC).time() == dt.time(22, 59)


def test_een_opgeschorte_acute_termijn_schuift_met_de_echte_tijd(kalender):
    nieuw = na_opschorting(Eenheid.minuten, lokaal(2026, 11, 21, 3, 30), lokaal(2026, 11, 21, 3, 5),
                           lokaal(2026, 11, 21, 3, 20), kalender)
    assert nieuw == lokaal(2026, 11, 21, 3, 45)


def test_monitoring_telt_in_maanden_en_wachtlijstcontact_in_werkdagen_wat_hun_regel_ook_noemt(instellingen):
    # Both are set elsewhere (monitoring_momenten_maanden, contact_interval_werkdagen): a
    # suspension moves them by that unit, not by the unit their regel happens to name.
    regels = {**instellingen.termijnen,
              TermijnSoort.monitoring: instellingen.termijnen[TermijnSoort.monitoring].model_copy(
                  update={"eenheid": Eenheid.werkdagen}),
              TermijnSoort.werkvoorraad_contact: instellingen.termijnen[TermijnSoort.werkvoorraad_contact].model_copy(
                  update={"eenheid": Eenheid.weken})}
    anders = instellingen.model_copy(update={"termijnen": regels})
    assert eenheid_van(TermijnSoort.monitoring, anders) is Eenheid.maanden
    assert eenheid_van(TermijnSoort.werkvoorraad_contact, anders) is Eenheid.werkdagen
    assert eenheid_van(TermijnSoort.veiligheidsbeoordeling, anders) is Eenheid.werkdagen
    assert eenheid_van(TermijnSoort.acute_reactie, anders) is Eenheid.minuten


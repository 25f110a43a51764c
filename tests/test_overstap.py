"""Switching over a running werkvoorraad (overstap): open casussen of another system taken over
in their current state, all or nothing, once; after it the deadline watch sends only the steps
still ahead.

The file under test is the documented example, docs/voorbeelden/overstap.json: eight casussen,
one in each state a casus can be switched over in. The old system stopped on Friday 20 November
2026 at 17:00 (the switch moment, STAND_OP); the watch then runs on Monday 23 November at 08:00
(WACHT). The ladder of the demo region: waarschuwing (behandelteam) at the warning moment,
vervallen (teamleider) at the deadline, overschreden (manager and regiocoördinator) 2 working
days after it. Per casus, the steps at or before the switch (recorded as sent before it) and the
steps due between the switch and the watch run (sent by the watch):

| rij | status | term: warning / deadline | before the switch | due at the watch |
|---|---|---|---|---|
| 1 | veiligheidsbeoordeling | VB: fri 20-11 09:00 / mon 23-11 23:59 | waarschuwing | - |
| 2 | besluit | VB met on 18-11 (file: waarschuwing sent) | waarschuwing | - |
| 3 | werkvoorraad | contact: sat 21-11 12:00 / mon 23-11 10:00 | - | waarschuwing (behandelteam) |
| 4 | onderzoek | 20-10 / 10-11, overschreden 12-11 | all three (file: only waarschuwing) | - |
| 5 | voorwaarden en vervolg | sun 22-11 08:00 / 5-1-2027 | - | waarschuwing (behandelteam) |
| 6 | rvdk-verzoek | no term | - | - |
| 7 | overdracht (warm, driegesprek 25-11) | tue 17-11 / fri 20-11 23:59 | waarschuwing | vervallen (teamleider) |
| 8 | monitoring | 21-12 / 4-1-2027 | - | - |

So 1 + 1 + 3 + 1 = 6 steps before the switch, and 3 e-mails at the watch run. Without the
overstap, row 4 alone would have sent 4 e-mails (one per step and role) about news weeks old.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from models.dossier.importformaat import ImportAfgekeurd
from models.dossier.overstap import lees_overstapbestand, neem_over
from models.dossier.registratie import AdresInvoer, huishoudsleutel
from models.opslag.casus import AuditEvent, Casus, Contactmoment, Huishouden, Melding, Persoon, Termijn
from models.opslag.communicatie import Notificatie
from models.opslag.overdracht import Beslissing, Overdracht, Veiligheidsvoorwaarden
from models.opslag.regio import synchroniseer
from tests.helpers import gebruik_database, regio_voor_test

AMS = ZoneInfo("Europe/Amsterdam")
VOORBEELD = Path(__file__).resolve().parent.parent / "docs" / "voorbeelden" / "overstap.json"
STAND_OP = dt.datetime(2026, 11, 20, 17, 0, tzinfo=AMS)
WACHT = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AMS)


def ams(*delen) -> dt.datetime:
    return dt.datetime(*delen, tzinfo=AMS)


@pytest.fixture
def regio(engine, database_url, smtp_server, tmp_path, monkeypatch):
    gebruik_database(monkeypatch, database_url)
    regio = regio_voor_test(tmp_path, monkeypatch, smtp_server)
    with Session(engine) as session, session.begin():
        synchroniseer(session, regio)
    return regio


def overstap(engine, regio, pad: Path = VOORBEELD, stand_op: dt.datetime = STAND_OP):
    """The writer in one transaction, as the flow's task runs it."""
    gelezen = lees_overstapbestand(pad, regio, stand_op)
    assert not gelezen.fouten, gelezen.fouten
    with Session(engine) as session, session.begin():
        return neem_over(session, gelezen.casussen, regio, "beheerder-test", stand_op, bestand=str(pad))


def per_extern_id(session: Session) -> dict[str, Casus]:
    """The casussen by the extern_id of the old system (in the 'overstap' audit event)."""
    events = session.exec(select(AuditEvent).where(AuditEvent.actie == "overstap")).all()
    return {e.details["extern_id"]: session.get(Casus, e.casus_id) for e in events}


def tel(session: Session, *modellen) -> tuple[int, ...]:
    return tuple(session.exec(select(func.count()).select_from(m)).one() for m in modellen)


ALLE = (Casus, Melding, Huishouden, Persoon, Termijn, Beslissing, Overdracht, Veiligheidsvoorwaarden, Contactmoment,
        AuditEvent, Notificatie)


def test_elke_casus_staat_na_de_overstap_in_zijn_stap_met_besluit_overdracht_termijnen_en_ladder(engine, regio):
    uitkomst = overstap(engine, regio)
    assert (uitkomst.gelezen, uitkomst.overgenomen, uitkomst.overgeslagen, uitkomst.stappen_voor_overstap) == (8, 8, 0, 6)
    assert uitkomst.per_status == {s: 1 for s in ["veiligheidsbeoordeling", "besluit", "werkvoorraad", "onderzoek",
                                                 "voorwaarden_en_vervolg", "rvdk_verzoek", "overdracht", "monitoring"]}
    with Session(engine) as session:
        c = per_extern_id(session)
        assert {k: (v.status, v.urgentie) for k, v in c.items()} == {
            "C-1": ("veiligheidsbeoordeling", "regulier"), "C-2": ("besluit", "spoed"),
            "C-3": ("werkvoorraad", "regulier"), "C-4": ("onderzoek", "regulier"),
            "C-5": ("voorwaarden_en_vervolg", "regulier"), "C-6": ("rvdk_verzoek", "regulier"),
            "C-7": ("overdracht", "regulier"), "C-8": ("monitoring", "regulier")}
        assert c["C-3"].status_sinds == ams(2026, 10, 26, 10, 0)
        assert c["C-2"].aantal_meldingen == 2 and c["C-2"].geopend_op == ams(2026, 11, 13, 11, 0)

        # The decision taken, with the step the waiting casus will start, its follow-ups done.
        [wacht] = session.exec(select(Beslissing).where(Beslissing.casus_id == c["C-3"].id)).all()
        assert (wacht.keuze, wacht.gepland, wacht.door) == ("onderzoek", "onderzoek", "Medewerker Jansen")
        assert wacht.nazorg_klaar_op is not None
        assert session.exec(select(func.count()).select_from(Beslissing)).one() == 6  # every state after a besluit
        [voorwaarden] = session.exec(select(Veiligheidsvoorwaarden)).all()
        assert voorwaarden.casus_id == c["C-5"].id and voorwaarden.tekst.startswith("Geen geweld")

        # Handovers: the warm one waits for its driegesprek; the monitoring casus's one is done.
        warm = session.exec(select(Overdracht).where(Overdracht.casus_id == c["C-7"].id)).one()
        assert (warm.type, warm.lokaal_team_code, warm.status) == ("warm", "GEN-SD", "driegesprek_gepland")
        assert warm.driegesprek_op == ams(2026, 11, 25, 14, 0) and warm.locatie == "kantoor_lokaal_team"
        assert (c["C-8"].lokaal_team_code, c["C-8"].regie) == ("VEN-WT", "lokaal_team")

        # Terms with their real deadlines; the ladder stands after the steps past at the switch.
        def termijnen(ref: str) -> list[tuple]:
            return [(t.soort, t.vervalt_op, t.voldaan_op is not None, t.escalatie_stap, t.volgende_actie_op)
                    for t in session.exec(select(Termijn).where(Termijn.casus_id == c[ref].id).order_by(Termijn.id))]

        assert termijnen("C-1") == [("veiligheidsbeoordeling", ams(2026, 11, 23, 23, 59, 59), False, 1,
                                     ams(2026, 11, 23, 23, 59, 59))]
        assert termijnen("C-2") == [("veiligheidsbeoordeling", ams(2026, 11, 20, 23, 59, 59), True, 1, None)]
        assert termijnen("C-3")[-1] == ("werkvoorraad_contact", ams(2026, 11, 23, 10, 0), False, 0,
                                        ams(2026, 11, 21, 12, 0))
        assert termijnen("C-4") == [("onderzoek", ams(2026, 11, 10, 23, 59, 59), False, 3, None)]
        assert termijnen("C-7") == [("overdracht", ams(2026, 11, 20, 23, 59, 59), False, 1,
                                     ams(2026, 11, 20, 23, 59, 59))]
        # Monitoring: the warning is a month ahead.
        assert termijnen("C-8") == [("monitoring", ams(2027, 1, 4, 23, 59, 59), False, 0, ams(2026, 12, 21, 9, 0))]

        # Recorded as sent before the switch, saying which the old system reported itself.
        stappen = session.exec(select(AuditEvent).where(AuditEvent.actie == "escalatie_voor_overstap",
                                                        AuditEvent.casus_id == c["C-4"].id)
                               .order_by(AuditEvent.tijdstip)).all()
        assert [(e.details["stap"], e.details["verstuurd_in_bronsysteem"]) for e in stappen] == [
            ("waarschuwing", True), ("vervallen", False), ("overschreden", False)]
        assert stappen[2].tijdstip == ams(2026, 11, 12, 23, 59, 59)  # 2 working days after 10 November
        assert session.exec(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.actie == "escalatie_voor_overstap")).one() == 6
        assert session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.actie == "escalatie")).one() == 0

        # Contacts with the waiting family; the free-text note encrypted like the rest.
        contacten = session.exec(select(Contactmoment).where(Contactmoment.casus_id == c["C-3"].id)
                                 .order_by(Contactmoment.tijdstip)).all()
        assert [(k.vorm, k.bereikt) for k in contacten] == [("telefoon", True), ("huisbezoek", False)]
        assert contacten[0].notitie == "Moeder gesproken; situatie stabiel"

        # Status history for the report: one status event to the current step, at its moment.
        [status] = session.exec(select(AuditEvent).where(AuditEvent.casus_id == c["C-4"].id,
                                                         AuditEvent.actie == "status")).all()
        assert (status.van_status, status.naar_status, status.tijdstip) == ("ontvangen", "onderzoek",
                                                                           ams(2026, 9, 7, 9, 0))


def test_persoonsgegevens_zijn_versleuteld_en_blind_geindexeerd_als_bij_een_melding(engine, regio):
    overstap(engine, regio)
    with Session(engine) as session:
        ruw = session.execute(text("SELECT naam, bsn FROM persoon")).all()
        assert ruw and all("Testpersoon" not in naam and "111222333" not in (bsn or "") for naam, bsn in ruw)
        assert "Moeder" not in session.execute(text("SELECT notitie FROM contactmoment WHERE notitie IS NOT NULL")).scalar()
        assert "Geen geweld" not in session.execute(text("SELECT tekst FROM veiligheidsvoorwaarden")).scalar()
        huishouden = session.get(Huishouden, per_extern_id(session)["C-1"].huishouden_id)
        adres = AdresInvoer(straat_huisnummer="Fictiestraat 1", postcode="9001 AB", woonplaats="Gennep")
        assert huishouden.zoeksleutel == huishoudsleutel(adres) and huishouden.straat_huisnummer == "Fictiestraat 1"
        # No intake letter or crisis alert is owed for a melding the old system handled.
        assert session.exec(select(func.count()).select_from(Melding)
                            .where(Melding.intake_nazorg_klaar_op.is_(None))).one() == 0


def test_een_tweede_keer_hetzelfde_bestand_verandert_niets(engine, regio):
    overstap(engine, regio)
    with Session(engine) as session:
        voor = tel(session, *ALLE)
    tweede = overstap(engine, regio)
    assert (tweede.overgenomen, tweede.overgeslagen, tweede.stappen_voor_overstap) == (0, 8, 0)
    with Session(engine) as session:
        assert tel(session, *ALLE) == voor


def test_een_foute_rij_slaat_niets_op_en_noemt_elke_rij_met_de_reden(engine, regio, tmp_path):
    casussen = json.loads(VOORBEELD.read_text(encoding="utf-8"))
    casussen[3]["besluit"]["keuze"] = "overdracht"  # row 4 is in onderzoek
    casussen[3]["termijnen"][0]["verstuurde_stappen"] = ["vervallen"]
    casussen[6]["overdracht"]["lokaal_team"] = "VEN-WT"  # Venlo's team for a Gennep casus
    casussen[7]["status_sinds"] = "2026-10-01T10:00:00"  # no timezone
    casussen[1]["termijnen"][0]["voldaan_op"] = "2026-11-21T10:00:00+01:00"  # after the switch
    pad = tmp_path / "overstap.json"
    pad.write_text(json.dumps(casussen), encoding="utf-8")

    gelezen = lees_overstapbestand(pad, regio, STAND_OP)
    assert [f.rij for f in gelezen.fouten] == [2, 4, 7, 8]
    regels = ImportAfgekeurd(str(pad), gelezen.fouten).regels()
    assert regels == [
        "Rij 2: termijnen.1.voldaan_op: ligt na het overstapmoment",
        "Rij 4: besluit.keuze: past niet bij status onderzoek; kies uit: onderzoek",
        "Rij 4: termijnen.1.verstuurde_stappen: moeten de eerste stappen van de ladder zijn, op volgorde "
        "(waarschuwing, vervallen, overschreden)",
        "Rij 7: overdracht.lokaal_team: is geen lokaal team van Gennep; kies uit: GEN-SD",
        "Rij 8: status_sinds: mist een tijdzone (bijvoorbeeld +01:00)",
    ]
    assert not any("Testpersoon" in r or "Fictiestraat" in r for r in regels)  # reasons, never values

    # Through the flow, as `vt overstap` runs it: nothing stored, the rows in the error.
    from flows.overstap import werkvoorraad_overnemen

    with pytest.raises(ImportAfgekeurd) as fout:
        werkvoorraad_overnemen.fn(bestand=str(pad), door="beheerder-test", stand_op=STAND_OP)
    assert "Er is niets opgeslagen" in str(fout.value) and "Rij 7: overdracht.lokaal_team" in str(fout.value)
    with Session(engine) as session:
        assert tel(session, Casus, Melding, Persoon, Termijn, AuditEvent) == (0, 0, 0, 0, 0)


def test_een_huishouden_met_een_open_casus_hier_weigert_het_hele_bestand(engine, regio, tmp_path):
    casussen = json.loads(VOORBEELD.read_text(encoding="utf-8"))
    overstap(engine, regio)
    nieuw = [dict(casussen[0], extern_id="C-99", meldingen=[dict(casussen[0]["meldingen"][0], extern_id="M-99")]),
             dict(casussen[1], extern_id="C-98", meldingen=[dict(m, extern_id=m["extern_id"] + "b")
                                                           for m in casussen[1]["meldingen"]],
                  adres=dict(casussen[1]["adres"], straat_huisnummer="Andere straat 5"))]
    pad = tmp_path / "overstap.json"
    pad.write_text(json.dumps(nieuw), encoding="utf-8")
    with Session(engine) as session:
        voor = tel(session, *ALLE)
        referentie = per_extern_id(session)["C-1"].referentie
    with pytest.raises(ImportAfgekeurd) as fout:
        overstap(engine, regio, pad)
    assert fout.value.regels() == [f"Rij 1: adres: dit huishouden heeft hier al een open casus ({referentie})"]
    with Session(engine) as session:
        assert tel(session, *ALLE) == voor


def test_de_levensloop_begint_bij_het_besluit_van_elke_stap(engine, regio, monkeypatch):
    """`vt levensloop start-open` starts a run for every open casus without one; each run reads its
    step from the case store (lees_stap), so an imported casus waits at the decision of its step."""
    from models.regels.instellingen import CapaciteitsModus
    from tasks import levensloop

    monkeypatch.setattr(levensloop, "capaciteitsmodus", lambda regio: CapaciteitsModus.normaal)
    overstap(engine, regio)
    with Session(engine) as session:
        referenties = {k: v.referentie for k, v in per_extern_id(session).items()}
        assert all(c.flow_run_id is None for c in per_extern_id(session).values())  # start-open picks them up
    momenten = {k: levensloop.lees_stap.fn(ref).moment for k, ref in referenties.items()}
    assert momenten == {"C-1": "besluit", "C-2": "besluit", "C-3": "werkvoorraad", "C-4": "uitkomst_onderzoek",
                        "C-5": "uitkomst_venv", "C-6": "uitkomst_rvdk", "C-7": "overdracht_afronden",
                        "C-8": "monitoring"}
    # The waiting casus's form asks the werkvoorraad decision for the first time (not a repeat).
    assert levensloop.lees_stap.fn(referenties["C-3"]).sleutel.endswith("-werkvoorraad-1")


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_de_termijnbewaking_na_de_overstap_stuurt_alleen_wat_nog_komt(engine, regio, smtp_server):
    from flows.termijnbewaking import termijnbewaking

    overstap(engine, regio)
    verslag = termijnbewaking(peildatum=WACHT)
    assert verslag.gevuurd == 3 and verslag.per_stap == {"waarschuwing": 2, "vervallen": 1}
    berichten = smtp_server.wacht_op_berichten(3)
    with Session(engine) as session:
        c = {k: v.referentie for k, v in per_extern_id(session).items()}
    assert sorted((b["To"], b["Subject"]) for b in berichten) == sorted([
        ("behandelteam@vt-test.example.org", f"[Veilig Thuis] Termijn verloopt binnenkort: casus {c['C-3']} (werkvoorraad contact)"),
        ("behandelteam@vt-test.example.org", f"[Veilig Thuis] Termijn verloopt binnenkort: casus {c['C-5']} (voorwaarden en vervolg)"),
        ("teamleider@vt-test.example.org", f"[Veilig Thuis] Termijn verlopen: casus {c['C-7']} (overdracht)"),
    ])
    # A second run at the same moment sends nothing more.
    assert termijnbewaking(peildatum=WACHT).gevuurd == 0
    assert len(smtp_server.berichten) == 3


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_48_casussen_over_elke_stap_en_dan_de_termijnbewaking(engine, regio, smtp_server, tmp_path):
    """6 casussen per state; per state 2 of each pattern (models/dossier/overstap_demo.py). The six
    states with a running term: 2 x 3 steps past at the switch each = 36 recorded; 2 warnings due
    half an hour after the switch each = 12 e-mails to the behandelteam, nothing else."""
    from flows.termijnbewaking import termijnbewaking
    from models.dossier.overstap_demo import overstapcasussen, verwacht

    pad = tmp_path / "overstap-48.json"
    pad.write_text(json.dumps(overstapcasussen(regio, 48, STAND_OP)), encoding="utf-8")
    assert verwacht(48).stappen_voor_overstap == 36 and verwacht(48).berichten_na_half_uur == 12
    uitkomst = overstap(engine, regio, pad)
    assert (uitkomst.overgenomen, uitkomst.stappen_voor_overstap) == (48, 36)
    assert set(uitkomst.per_status.values()) == {6}

    verslag = termijnbewaking(peildatum=STAND_OP + dt.timedelta(hours=1))
    assert (verslag.gevuurd, verslag.per_stap) == (12, {"waarschuwing": 12})
    berichten = smtp_server.wacht_op_berichten(12)
    assert len(berichten) == 12 and {b["To"] for b in berichten} == {"behandelteam@vt-test.example.org"}
    assert overstap(engine, regio, pad).overgeslagen == 48


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_vt_overstap_en_wat_prefect_ervan_weet(engine, regio, tmp_path):
    from typer.testing import CliRunner

    from cli import app
    from flows.overstap import werkvoorraad_overnemen
    from tests.test_import import _alles_wat_prefect_weet

    uit = CliRunner().invoke(app, ["overstap", str(VOORBEELD), "--stand-op", "2026-11-20T17:00", "--door", "beheer",
                                   "--json"])
    assert uit.exit_code == 0, uit.output
    assert json.loads(uit.stdout)["overgenomen"] == 8

    # Again, as a flow run: nothing new, and Prefect holds counts and references, no personal data.
    state = werkvoorraad_overnemen(bestand=str(VOORBEELD), door="beheer", stand_op=STAND_OP, return_state=True)
    assert state.result().overgeslagen == 8
    prefect = _alles_wat_prefect_weet(state.state_details.flow_run_id)
    assert "overgeslagen (al eerder overgenomen) | 8" in prefect
    for geheim in ["Testpersoon", "Fictiestraat", "111222333", "Moeder gesproken", "Geen geweld", "Huisarts"]:
        assert geheim not in prefect

    kapot = tmp_path / "kapot.json"
    kapot.write_text(json.dumps([{"bron": "regas"}]), encoding="utf-8")
    uit = CliRunner().invoke(app, ["overstap", str(kapot)])
    assert uit.exit_code == 1 and "Er is niets opgeslagen" in uit.output and "Rij 1: extern_id: " in uit.output


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_vt_levensloop_start_open_laat_elke_overgenomen_casus_bij_het_besluit_van_zijn_stap_wachten(
        engine, regio, database_url, tmp_path, monkeypatch):
    """With the deployments served, as after `./start.sh`: one run per imported casus, each
    suspended at the form of its own step (the form's key is the decision occurrence)."""
    import prefect.settings
    from typer.testing import CliRunner

    from cli import app
    from tasks.levensloop import lees_stap
    from tests.served import serveer, wacht_op_run

    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "vt"))
    overstap(engine, regio)
    api = prefect.settings.PREFECT_API_URL.value()
    with serveer(api, database_url, tmp_path) as served:
        uit = CliRunner().invoke(app, ["levensloop", "start-open", "--json"])
        assert uit.exit_code == 0, uit.output
        assert json.loads(uit.stdout)["gestart"] == 8
        with Session(engine) as session:
            runs = {k: (c.referentie, c.flow_run_id) for k, c in per_extern_id(session).items()}
        for extern_id, (referentie, run_id) in runs.items():
            run = wacht_op_run(api, run_id, "PAUSED", served=served)
            assert run.state.state_details.pause_key == lees_stap.fn(referentie).sleutel, extern_id
        assert {k: lees_stap.fn(ref).moment for k, (ref, _) in runs.items()}["C-7"] == "overdracht_afronden"

"""Retention: a closed casus keeps its personal data for the bewaartermijn (settings, 20 years in
the demo) counted on the Dutch calendar from the day it closed; then the data is destroyed in the
case store, the letter archive and the print queue, unless a legal hold stops it. Afterwards no
value of the casus can be found anywhere: not in the rows, not in the raw bytes of the SQLite file
(free space and write-ahead log included), not in a PDF."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text
from sqlmodel import SQLModel, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cli import app
from models.brieven import inhoud as b
from models.dossier import voortgang
from models.dossier.bewaartermijn import BewaartermijnFout, begin, blokkeer, brieven_van
from models.dossier.registratie import MelderInvoer, registreer_meldingen
from models.dossier.werkvoorraad import registreer_contact
from models.dossier.wijzigingen import casus_op_referentie
from models.lezen.dossier import zoek_op_bsn
from models.opslag.casus import AuditEvent, ContactVorm, Huishouden, Melder, Melding, Persoon
from models.opslag.communicatie import Brief
from models.opslag.db import sessie
from models.regels.bewaartermijn import afgesloten_voor, vernietigen_vanaf
from models.regels.levensloop import Status
from tasks import bewaartermijn as bt
from tasks.brieven import maak_brieven, naar_printwachtrij
from tests.dossier_lokaal import AlsPoort, Inzagelog
from tests.helpers import AMS, melding, regio_in_opslag, regio_voor_test

runner = CliRunner()
DOOR = "Beheerder Bakker"


# --- the rule: calendar years in Dutch time -----------------------------------------------------------


def ams(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize("afgesloten, jaren, vanaf", [
    (ams(2027, 3, 1, 23, 30), 20, ams(2047, 3, 1)),    # late in the evening: still that day in the Netherlands
    (ams(2027, 3, 2, 0, 15), 20, ams(2047, 3, 2)),     # just after midnight: in UTC still 1 March
    (ams(2028, 2, 29, 12, 0), 20, ams(2048, 2, 29)),   # a leap day onto a leap day
    (ams(2028, 2, 29, 12, 0), 15, ams(2043, 2, 28)),   # a leap day onto a year without one
])
def test_the_term_runs_from_the_dutch_closing_day_to_the_same_calendar_day_years_later(afgesloten, jaren, vanaf):
    assert vernietigen_vanaf(afgesloten, jaren) == vanaf
    # The query bound agrees, the day before and on the day.
    assert not afgesloten < afgesloten_voor(vanaf - dt.timedelta(minutes=1), jaren)
    assert afgesloten < afgesloten_voor(vanaf, jaren)


def test_on_28_february_of_a_year_without_leap_day_both_28_and_29_february_are_due():
    grens = afgesloten_voor(ams(2043, 2, 28, 9, 0), 15)
    assert ams(2028, 2, 29, 23, 59) < grens and not ams(2028, 3, 1, 0, 0) < grens


# --- a region with three closed casussen ------------------------------------------------------------------


@dataclass
class Gezin:
    """One casus with values of its own, so a scan can tell whose values it finds."""

    kenmerk: str
    bsn: str
    postcode: str
    referentie: str = ""

    @property
    def waarden(self) -> list[str]:
        k = self.kenmerk
        return [f"Ouder {k} Testpersoon", f"Kind {k} Testpersoon", f"Huisarts {k} Zorgvuldig", self.bsn,
                f"{k}laan 17", f"Buren van {k} horen geschreeuw", f"Notitie over gezin {k}", f"06-{k}-4455"]


def sluit(regio, gezin: Gezin, afgesloten_op: dt.datetime) -> str:
    """Register a melding for `gezin`, close its casus at `afgesloten_op`, record a contact, make two
    letters and put them in the print queue."""
    naam_ouder, naam_kind, naam_melder, bsn, straat, omschrijving, notitie, telefoon = gezin.waarden
    invoer = melding(ontvangen_op=afgesloten_op - dt.timedelta(days=20), straat_huisnummer=straat,
                     postcode=gezin.postcode).model_copy(update=dict(
        omschrijving=omschrijving,
        melder=MelderInvoer(soort="professional", naam=naam_melder, telefoon=telefoon),
        personen=[p.model_copy(update=dict(naam=n, bsn=s)) for p, n, s in
                  zip(melding().personen, (naam_ouder, naam_kind), (bsn, None))]))
    with sessie() as session:
        gezin.referentie = registreer_meldingen(session, [invoer], regio, actor="intake")[0].casus_referentie
        casus = casus_op_referentie(session, gezin.referentie)
        registreer_contact(session, casus, tijdstip=afgesloten_op - dt.timedelta(days=2), vorm=ContactVorm.telefoon,
                           bereikt=True, medewerker="Medewerker", regio=regio, notitie=notitie)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "orkestratie", regio,
                          tijdstip=afgesloten_op - dt.timedelta(days=1))
        voortgang.ga_naar(session, casus, Status.afgesloten, "orkestratie", regio, tijdstip=afgesloten_op)
    maak_brieven(gezin.referentie, b.BriefSoort.melding_ontvangen, "intake", None, regio)
    maak_brieven(gezin.referentie, b.BriefSoort.afsluiting, "afsluiting", None, regio)
    with sessie() as session:
        casus = casus_op_referentie(session, gezin.referentie)
        for brief in brieven_van(session, casus.id):
            naar_printwachtrij(brief, gezin.referentie, regio)
    return gezin.referentie


# Closed exactly the bewaartermijn (20 years) before the peildatum, a day less (just after midnight
# Dutch time: in UTC still the same day as the first), and on the same day as the first, but held.
PEILDATUM = ams(2045, 3, 1, 10, 0)


@pytest.fixture
def gezinnen(regio) -> tuple[Gezin, Gezin, Gezin]:
    verlopen, dag_minder, geblokkeerd = (Gezin("Alfa", "123456708", "9999 AA"), Gezin("Bravo", "123456721", "9999 BB"),
                                         Gezin("Charlie", "123456733", "9999 CC"))
    sluit(regio, verlopen, ams(2025, 3, 1, 23, 30))
    sluit(regio, dag_minder, ams(2025, 3, 2, 0, 15))
    sluit(regio, geblokkeerd, ams(2025, 3, 1, 12, 0))
    with sessie() as session:
        blokkeer(session, geblokkeerd.referentie, "Klacht 2045-017 loopt", DOOR)
    return verlopen, dag_minder, geblokkeerd


# --- scanning everything the system stores ------------------------------------------------------------------

_FERNET_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-]{40,}=*")


def _ontsleuteld(kandidaat: bytes, fernet: Fernet) -> str | None:
    """A token stored right before a value that starts with a letter or digit runs on in the raw
    bytes: try each length a token can have (57 + 16k bytes before base64), longest first."""
    for k in range((len(kandidaat) * 3 // 4 - 57) // 16, 0, -1):
        try:
            return fernet.decrypt(kandidaat[:-(-(57 + 16 * k) // 3) * 4]).decode()
        except InvalidToken:
            continue
    return None  # cut off by a page boundary: nobody can read it


def leesbaar(ruw: bytes, sleutel: str) -> str:
    """The bytes as text, with every encrypted value in them decrypted and appended: what someone
    with the key could read from them."""
    fernet = Fernet(sleutel.encode())
    ontsleuteld = [_ontsleuteld(t, fernet) for t in _FERNET_TOKEN.findall(ruw)]
    return ruw.decode("latin-1") + "\n".join(t for t in ontsleuteld if t)


def opslag_inhoud(engine, database_url: str) -> bytes:
    """SQLite: the raw file and its write-ahead log, free space included. PostgreSQL: every row of
    every table as text."""
    if database_url.startswith("sqlite"):
        pad = Path(database_url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (pad, Path(f"{pad}-wal")) if p.exists())
    with engine.connect() as verbinding:
        return "\n".join(str(rij[0]) for tabel in SQLModel.metadata.sorted_tables
                         for rij in verbinding.execute(text(f'SELECT t::text FROM "{tabel.name}" t'))).encode()


def bestanden_inhoud(regio) -> str:
    """The text of every PDF in the letter archive and the print queue."""
    pdfs = [*b.archiefmap().rglob("*.pdf"), *b.printwachtrij(regio).glob("*.pdf")]
    return "\n".join(subprocess.run(["pdftotext", str(p), "-"], check=True, capture_output=True, text=True).stdout
                     for p in pdfs)


def gevonden(gezin: Gezin, *inhoud: str) -> list[str]:
    return [w for w in gezin.waarden if any(w in i for i in inhoud)]


def ruwe_waarden(engine, referentie: str) -> list[str]:
    """The stored (encrypted) values and blind indexes of a casus, as the database holds them."""
    with engine.connect() as v:
        casus = v.execute(text("SELECT id, huishouden_id FROM casus WHERE referentie = :r"), {"r": referentie}).one()
        rijen = [
            *v.execute(text("SELECT straat_huisnummer, postcode, woonplaats, zoeksleutel, adres_zoeksleutel "
                            "FROM huishouden WHERE id = :h"), {"h": casus.huishouden_id}),
            *v.execute(text("SELECT naam, bsn, geboortedatum, bsn_zoeksleutel FROM persoon WHERE huishouden_id = :h"),
                       {"h": casus.huishouden_id}),
            *v.execute(text("SELECT m.omschrijving, d.naam, d.telefoon FROM melding m JOIN melder d "
                            "ON d.id = m.melder_id WHERE m.casus_id = :c"), {"c": casus.id}),
            *v.execute(text("SELECT notitie FROM contactmoment WHERE casus_id = :c"), {"c": casus.id}),
        ]
    return [w for rij in rijen for w in rij if w]


def bestanden_van(regio, referentie: str) -> list[Path]:
    return [*b.archiefmap_van(referentie).rglob("*.pdf"), *b.printwachtrij(regio).glob(f"*-{referentie}-*.pdf")]


def audit_acties(referentie: str) -> list[str]:
    with sessie() as session:
        casus = casus_op_referentie(session, referentie)
        return list(session.exec(select(AuditEvent.actie).where(AuditEvent.casus_id == casus.id)
                                 .order_by(AuditEvent.id)))


# --- the retention run ----------------------------------------------------------------------------------------


def test_only_the_casus_closed_exactly_the_term_ago_loses_its_personal_data_and_none_of_it_is_left(
        engine, database_url, regio, gezinnen, encryption_key):
    verlopen, dag_minder, geblokkeerd = gezinnen
    ruw = ruwe_waarden(engine, verlopen.referentie)
    voor = leesbaar(opslag_inhoud(engine, database_url), encryption_key)
    assert gevonden(verlopen, voor, bestanden_inhoud(regio)) == verlopen.waarden  # the scan sees every value
    assert len(bestanden_van(regio, verlopen.referentie)) == 4  # two letters, archived and queued for print

    # The dry run names the first only and changes nothing; a day earlier it names none.
    assert [k.referentie for k in bt.proef(PEILDATUM, regio)] == [verlopen.referentie]
    assert bt.proef(PEILDATUM - dt.timedelta(days=1), regio) == []
    assert ruwe_waarden(engine, verlopen.referentie) == ruw

    assert bt.vernietig(PEILDATUM, regio).vernietigd == [verlopen.referentie]

    with sessie() as session:
        casus = casus_op_referentie(session, verlopen.referentie)
        huishouden = session.get(Huishouden, casus.huishouden_id)
        personen = session.exec(select(Persoon).where(Persoon.huishouden_id == casus.huishouden_id)).all()
        melders = session.exec(select(Melder).join(Melding).where(Melding.casus_id == casus.id)).all()
        # The non-personal record stays: reference, state, dates, the people's roles, the letters' kinds.
        assert (casus.status, casus.afgesloten_op) == (Status.afgesloten, ams(2025, 3, 1, 23, 30))
        assert sorted(p.rol for p in personen) == ["kind", "ouder"]
        assert sorted(r.soort for r in session.exec(select(Brief).where(Brief.casus_id == casus.id))) == [
            "afsluiting", "melding_ontvangen"]
        assert (huishouden.straat_huisnummer, huishouden.adres_zoeksleutel) == ("", None)
        assert {(p.naam, p.bsn, p.bsn_zoeksleutel) for p in personen} == {("", None, None)}
        assert [(m.naam, m.telefoon) for m in melders] == [(None, None)]
        assert zoek_op_bsn(session, verlopen.bsn) == []
        assert [t.referentie for t in zoek_op_bsn(session, dag_minder.bsn)] == [dag_minder.referentie]
    assert bestanden_van(regio, verlopen.referentie) == [] and not b.archiefmap_van(verlopen.referentie).exists()
    assert audit_acties(verlopen.referentie)[-1] == "vernietigd"

    na = leesbaar(opslag_inhoud(engine, database_url), encryption_key)
    pdf_tekst = bestanden_inhoud(regio)
    assert gevonden(verlopen, na, pdf_tekst) == []
    assert [w for w in ruw if w in na] == []  # not even its old ciphertexts and blind indexes
    for bewaard in (dag_minder, geblokkeerd):  # the other two are whole, in the store and in their letters
        assert gevonden(bewaard, na) == bewaard.waarden
        assert len(bestanden_van(regio, bewaard.referentie)) == 4 and bewaard.waarden[0] in pdf_tekst

    # A second run finds nothing to do and writes nothing.
    assert bt.vernietig(PEILDATUM, regio).vernietigd == []
    assert audit_acties(verlopen.referentie).count("vernietigd") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_zgw_export_that_names_the_melder_goes_too_and_the_next_export_names_no_one(
        engine, database_url, regio, gezinnen, tmp_path, monkeypatch):
    from prefect.logging import disable_run_logger

    from tasks.zgw import exportmap, schrijf_zgw_export

    def exporteer():
        with disable_run_logger():
            assert not schrijf_zgw_export.fn().geweigerd

    verlopen, dag_minder, _ = gezinnen
    regio = regio_voor_test(tmp_path, monkeypatch, zgw={"personen": True})  # the export may name melders
    exporteer()
    zaak = exportmap() / f"{verlopen.referentie}.json"
    assert verlopen.waarden[2] in zaak.read_text(encoding="utf-8")  # the melder, as initiator

    assert bt.vernietig(PEILDATUM, regio).vernietigd == [verlopen.referentie]
    assert not zaak.exists()
    assert dag_minder.waarden[2] in (exportmap() / f"{dag_minder.referentie}.json").read_text(encoding="utf-8")
    # The next night's export writes the casus again from what is kept: nobody in it.
    exporteer()
    assert verlopen.waarden[2] not in zaak.read_text(encoding="utf-8")


def test_a_run_that_crashed_halfway_is_finished_by_the_next_and_a_hold_can_no_longer_stop_it(
        engine, database_url, regio, gezinnen):
    verlopen, _, _ = gezinnen
    with sessie() as session:  # step 1 done, then the archive deleted: the crash came before the print queue
        begin(session, casus_op_referentie(session, verlopen.referentie).id, "systeem")
    shutil.rmtree(b.archiefmap_van(verlopen.referentie))

    with pytest.raises(BewaartermijnFout, match="al vernietigd"), sessie() as session:
        blokkeer(session, verlopen.referentie, "Klacht", DOOR)
    # Started is finished, whatever the date: the dry run says so too.
    assert [(k.referentie, k.al_begonnen) for k in bt.proef(PEILDATUM - dt.timedelta(days=400), regio)] == [
        (verlopen.referentie, True)]
    assert bt.vernietig(PEILDATUM - dt.timedelta(days=400), regio).vernietigd == [verlopen.referentie]
    assert bestanden_van(regio, verlopen.referentie) == []
    assert audit_acties(verlopen.referentie).count("vernietigd") == 1
    with sessie() as session:
        casus = casus_op_referentie(session, verlopen.referentie)
        assert session.exec(select(Melding.omschrijving).where(Melding.casus_id == casus.id)).all() == [""]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_household_shared_with_a_kept_casus_keeps_its_people_until_that_casus_goes_too(
        engine, database_url, regio):
    """Registration gives every new casus a household of its own; a store where two casussen share
    one (taken over from another system) must not lose the kept casus's family with the other."""
    eerder, later = Gezin("Delta", "123456745", "9999 DD"), Gezin("Echo", "123456757", "9999 EE")
    sluit(regio, eerder, ams(2025, 3, 1, 9, 0))
    sluit(regio, later, ams(2026, 3, 1, 9, 0))
    with sessie() as session:
        gedeeld = casus_op_referentie(session, eerder.referentie).huishouden_id
        casus_op_referentie(session, later.referentie).huishouden_id = gedeeld

    assert bt.vernietig(PEILDATUM, regio).vernietigd == [eerder.referentie]
    with sessie() as session:
        assert {t.referentie for t in zoek_op_bsn(session, eerder.bsn)} == {eerder.referentie, later.referentie}
    assert bt.vernietig(ams(2046, 3, 1, 10, 0), regio).vernietigd == [later.referentie]
    with sessie() as session:
        assert zoek_op_bsn(session, eerder.bsn) == []
        assert session.get(Huishouden, gedeeld).straat_huisnummer == ""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_run_killed_after_deleting_the_files_is_finished_by_the_next(engine, regio, tmp_path, monkeypatch):
    """`vt bewaartermijn vernietig` killed (kill -9) between deleting the letter files and emptying
    the fields: the record says the casus must still go, and the next run finishes it."""
    from dateutil.relativedelta import relativedelta

    from models.opslag.typen import nu

    gezin = Gezin("Golf", "123456708", "9999 GG")
    sluit(regio, gezin, nu().astimezone(AMS) - relativedelta(years=regio.bewaartermijn_jaren, days=1))
    punten = tmp_path / "storingspunten"
    punten.mkdir()
    (punten / "vernietiging-bestanden-weg.actief").touch()
    monkeypatch.setenv("VT_STORINGSPUNTEN", str(punten))
    vt_opdracht = Path(sys.executable).parent / "vt"
    proces = subprocess.Popen([str(vt_opdracht), "bewaartermijn", "vernietig", "--door", DOOR],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        einde = time.monotonic() + 120
        while not (punten / "vernietiging-bestanden-weg.geraakt").exists():
            assert proces.poll() is None, proces.stderr.read().decode()
            assert time.monotonic() < einde, "storingspunt niet geraakt"
            time.sleep(0.1)
    finally:
        proces.kill()
        proces.wait()
    monkeypatch.delenv("VT_STORINGSPUNTEN")
    assert bestanden_van(regio, gezin.referentie) == []  # the files went, the fields did not yet
    with sessie() as session:
        casus = casus_op_referentie(session, gezin.referentie)
        assert session.exec(select(Melding.omschrijving).where(Melding.casus_id == casus.id)).all() == [
            gezin.waarden[5]]

    assert bt.vernietig(nu(), regio, DOOR).vernietigd == [gezin.referentie]
    with sessie() as session:
        casus = casus_op_referentie(session, gezin.referentie)
        assert session.exec(select(Melding.omschrijving).where(Melding.casus_id == casus.id)).all() == [""]
    assert audit_acties(gezin.referentie).count("vernietigd") == 1


# --- holds and the dry run on the command line --------------------------------------------------------------------


def vt(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_beheer_holds_and_lifts_a_casus_on_the_command_line_and_each_is_audited(engine, regio, gezinnen):
    verlopen, _, geblokkeerd = gezinnen
    lijst = vt("bewaartermijn", "lijst")
    assert lijst.exit_code == 0 and geblokkeerd.referentie in lijst.output and "Klacht 2045-017 loopt" in lijst.output

    blok = vt("bewaartermijn", "blokkeer", verlopen.referentie, "--reden", "Rechtszaak C/01/123", "--door", DOOR)
    assert blok.exit_code == 0, blok.output
    dubbel = vt("bewaartermijn", "blokkeer", verlopen.referentie, "--reden", "Nog een", "--door", DOOR)
    assert dubbel.exit_code == 1 and "al geblokkeerd" in dubbel.output
    leeg = vt("bewaartermijn", "deblokkeer", verlopen.referentie, "--reden", "  ", "--door", DOOR)
    assert leeg.exit_code == 1 and "De reden (--reden) ontbreekt" in leeg.output
    proef = vt("bewaartermijn", "vernietig", "--proef", "--peildatum", "2045-03-01", "--json")
    assert proef.exit_code == 0 and '"casussen": []' in proef.output  # both held now

    assert vt("bewaartermijn", "deblokkeer", verlopen.referentie, "--reden", "Uitspraak gedaan", "--door", DOOR
              ).exit_code == 0
    proef = vt("bewaartermijn", "vernietig", "--proef", "--peildatum", "2045-03-01")
    assert proef.exit_code == 0 and verlopen.referentie in proef.output and geblokkeerd.referentie not in proef.output
    zonder_proef = vt("bewaartermijn", "vernietig", "--peildatum", "2045-03-01")
    assert zonder_proef.exit_code == 1 and "alleen met --proef" in zonder_proef.output
    geschiedenis = vt("bewaartermijn", "lijst", verlopen.referentie, "--json")
    assert '"opheffingsreden": "Uitspraak gedaan"' in geschiedenis.output
    assert audit_acties(verlopen.referentie)[-2:] == ["bewaarblokkade_geplaatst", "bewaarblokkade_opgeheven"]
    onbekend = vt("bewaartermijn", "blokkeer", "VT-2025-999999", "--reden", "Klacht", "--door", DOOR)
    assert onbekend.exit_code == 1 and "bestaat niet" in onbekend.output


# --- the dossier page -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_dossier_page_shows_a_destroyed_casus_as_such_and_a_held_one_with_its_hold(engine, regio, gezinnen):
    verlopen, _, geblokkeerd = gezinnen
    bt.vernietig(PEILDATUM, regio)
    browser = TestClient(AlsPoort(engine, Inzagelog()), follow_redirects=False)
    vernietigd = browser.get(f"/dossier/casus/{verlopen.referentie}")
    assert vernietigd.status_code == 200
    assert "Vernietigd op" in vernietigd.text and "Persoonsgegevens vernietigd" in vernietigd.text
    assert "Adres en personen zijn vernietigd (2 personen: ouder, kind)" in vernietigd.text
    assert gevonden(verlopen, vernietigd.text) == []
    vastgehouden = browser.get(f"/dossier/casus/{geblokkeerd.referentie}")
    assert "Wordt niet vernietigd: Klacht 2045-017 loopt" in vastgehouden.text
    assert "Blokkade geplaatst" in vastgehouden.text and geblokkeerd.waarden[0] in vastgehouden.text


# --- the nightly flow and the report to beheer -------------------------------------------------------------------


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_nightly_flow_destroys_what_is_due_today_and_tells_beheer_once_with_references_and_counts(
        engine, database_url, tmp_path, monkeypatch, smtp_server):
    from dateutil.relativedelta import relativedelta

    from flows.bewaartermijn import bewaartermijn
    from models.opslag.typen import nu

    ingesteld = regio_in_opslag(engine, database_url, tmp_path, monkeypatch, smtp_server)
    vandaag = nu().astimezone(AMS).replace(hour=0, minute=5, second=0, microsecond=0)
    gezin = Gezin("Foxtrot", "123456708", "9999 FF")
    sluit(ingesteld, gezin, vandaag - relativedelta(years=ingesteld.bewaartermijn_jaren))

    assert bewaartermijn(proefdraai=True).vernietigd == [gezin.referentie]
    assert audit_acties(gezin.referentie)[-1] != "vernietigd"  # the dry run changed nothing
    # A peildatum outside a dry run, or no date at all: refused in Dutch on the run, nothing done.
    for peildatum, reden in [(f"{nu() + dt.timedelta(days=365):%d-%m-%Y}", "kan alleen bij een proefdraai"),
                             ("morgen", "'morgen' is geen datum")]:
        staat = bewaartermijn(peildatum=peildatum, return_state=True)
        assert staat.is_failed() and reden in staat.message, staat.message

    verslag = bewaartermijn()
    assert verslag.vernietigd == [gezin.referentie] and verslag.bericht is not None
    [bericht] = smtp_server.wacht_op_berichten(1)
    inhoud = bericht.get_content()
    assert bericht["To"] == "beheer@vt-test.example.org"
    assert "persoonsgegevens van 1 casus vernietigd" in bericht["Subject"]
    assert f"- {gezin.referentie}: 1 melding, 2 personen, 1 melder, 1 contactnotitie, 2 brieven, " \
           "4 bestanden verwijderd" in inhoud
    assert gevonden(gezin, inhoud, bericht["Subject"]) == []

    assert bewaartermijn().bericht is None  # a second night: nothing new, no second message
    assert len(smtp_server.wacht_op_berichten(2, timeout=1)) == 1


def test_the_retention_run_is_served_every_night_at_half_past_two_dutch_time_as_a_real_run():
    from deployments.serve import deployments

    [deployment] = [d for d in deployments() if d.name == "bewaartermijn"]
    [schema] = deployment.schedules
    assert (schema.schedule.cron, schema.schedule.timezone) == ("30 2 * * *", "Europe/Amsterdam")
    assert deployment.parameters == {"proefdraai": False}


def test_every_encrypted_column_is_one_the_retention_run_empties():
    """A tripwire: a new column with personal data must be emptied by models/dossier/bewaartermijn.py
    `rond_af` too; add it there, then here."""
    from models.opslag.typen import Versleuteld

    versleuteld = {f"{t.name}.{k.name}" for t in SQLModel.metadata.sorted_tables for k in t.columns
                   if isinstance(k.type, Versleuteld)}
    assert versleuteld == {
        "huishouden.straat_huisnummer", "huishouden.postcode", "huishouden.woonplaats", "huishouden.email",
        "persoon.naam", "persoon.geboortedatum", "persoon.bsn",
        "melder.naam", "melder.telefoon", "melder.email", "melder.straat_huisnummer", "melder.postcode",
        "melder.woonplaats",
        "melding.omschrijving", "contactmoment.notitie", "veiligheidsvoorwaarden.tekst",
    }


def test_a_dry_run_looks_at_the_start_of_the_dutch_day_typed_and_a_real_run_only_at_now():
    from models.regels.bewaartermijn import VANDAAG, peilmoment

    nu = ams(2026, 12, 2, 10, 0)
    assert peilmoment(False, VANDAAG, nu) == nu and peilmoment(True, "", nu) == nu
    assert peilmoment(True, "01-03-2047", nu) == ams(2047, 3, 1, 0, 0)
    with pytest.raises(ValueError, match="kan alleen bij een proefdraai"):
        peilmoment(False, "01-03-2047", nu)
    with pytest.raises(ValueError, match="'1 maart' is geen datum"):
        peilmoment(True, "1 maart", nu)


def test_the_retention_deployment_has_a_dutch_run_form():
    from deployments.bewaartermijn import deployments

    [deployment] = deployments()
    velden = deployment._parameter_openapi_schema.properties
    assert [v["title"] for v in velden.values()] == ["Proefdraai", "Peildatum (alleen bij een proefdraai)"]

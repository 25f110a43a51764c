"""Letters to families and melders: every kind renders to a PDF that says what it must to whom,
a missing fact stops the letter instead of printing a gap, each letter exists once, and delivery
(print queue or e-mail) survives outages without losing or doubling a letter."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from sqlmodel import Session, select

from models.brieven import inhoud as b
from models.dossier import uitgaand
from models.opslag.casus import AuditEvent, Casus
from models.opslag.communicatie import Bezorgstatus, Brief, Notificatie
from models.opslag.db import sessie
from models.dossier.wijzigingen import casus_op_referentie
from models.regels.instellingen import instellingen
from models.dossier.registratie import MelderInvoer, registreer_meldingen
from models.opslag.regio import synchroniseer
from tasks.brieven import bezorg_brieven, maak_brief, maak_brieven
from tests.helpers import (
    AMS, FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, gebruik_database, melding, regio_voor_test,
)

MELDER_ADRES = dict(straat_huisnummer="Praktijkweg 3", postcode="9999 CC", woonplaats="Zorgstad")
GEZIN_EMAIL = "gezin.devries@example.org"
MELDER_EMAIL = "huisarts.zorgvuldig@example.org"


@pytest.fixture
def regio(engine, database_url, smtp_server, tmp_path, monkeypatch):
    gebruik_database(monkeypatch, database_url)
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    ingesteld = regio_voor_test(
        tmp_path, monkeypatch, smtp_server,
        bezorging={"max_pogingen": 3, "eerste_wachttijd_seconden": 1, "maximale_wachttijd_seconden": 1},
    )
    with sessie() as session:
        synchroniseer(session, ingesteld)
    return ingesteld


def registreer(*meldingen) -> list[str]:
    with sessie() as session:
        return [g.casus_referentie for g in registreer_meldingen(session, list(meldingen), instellingen(), "test")]


def melding_met(*, postcode="9999 AB", gezin_email=None, melder=None, **extra):
    invoer = melding(postcode=postcode, **extra)
    wijzigingen = {}
    if gezin_email:
        wijzigingen.update(gezin_email=gezin_email, gezin_brief_per_email=True)
    if melder is not None:
        wijzigingen["melder"] = MelderInvoer.model_validate(melder)
    return invoer.model_copy(update=wijzigingen)


def melder_met_adres(**extra) -> dict:
    return dict(soort="professional", naam=FICTIEVE_NAMEN[2], telefoon="0600000000", adres=MELDER_ADRES, **extra)


def zet_casus(referentie: str, **velden) -> None:
    with sessie() as session:
        casus = casus_op_referentie(session, referentie)
        for naam, waarde in velden.items():
            setattr(casus, naam, waarde)
        session.add(casus)


def maak(referentie: str, soort: str, aanleiding: str = "proef", gegevens: dict | None = None) -> list[int]:
    """The letter-making step without a Prefect task run around it (the task is a thin shell)."""
    return maak_brieven(referentie, b.BriefSoort(soort), aanleiding, gegevens, instellingen())


def brief(engine, brief_id: int) -> Brief:
    with Session(engine) as session:
        return session.get(Brief, brief_id)


def pdf_tekst(pad: Path) -> str:
    uit = subprocess.run(["pdftotext", "-layout", str(pad), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(uit.split())


def archief(rij: Brief) -> Path:
    return b.archiefmap() / rij.pad


# --- every kind, rendered --------------------------------------------------------------------------

GEZIN = [FICTIEVE_NAMEN[0], FICTIEF_ADRES, "9999 AB DEMODORP"]
DRIEGESPREK = {"lokaal_team_code": "GEN-SD", "datum": "2026-12-03T14:30:00+01:00",
               "plaats": "gemeentehuis", "locatie": "gemeentehuis"}

SOORTEN = {
    "melding_ontvangen": (None, [
        "Veilig Thuis heeft een melding over uw gezin ontvangen", "Op 16 november 2026 heeft Veilig Thuis een melding",
        "Binnen 5 werkdagen bekijken wij of iedereen in uw gezin veilig is", "Dat heet een veiligheidsbeoordeling",
    ]),
    "wachtlijst": ({"wacht_sinds": "2026-10-01"}, [
        "U staat op de wachtlijst; het duurt langer dan gebruikelijk.", "Sinds 1 oktober 2026 wacht uw gezin",
        "Bel Veilig Thuis op 0800-2000", "Consulenten Sociaal Domein Gennep van de gemeente Gennep: telefoon 0485-000000",
    ]),
    "overdracht_bevestiging": ({"lokaal_team_code": "GEN-SD", "regie": "lokaal_team"}, [
        "overgedragen aan Consulenten Sociaal Domein Gennep van de gemeente Gennep",
        "Consulenten Sociaal Domein Gennep heeft vanaf nu de regie", "Regie hebben betekent: het overzicht houden",
        "0485-000000", "sociaaldomein@gennep.example.org",
    ]),
    "uitnodiging_driegesprek": (DRIEGESPREK, [
        # The place with its address from the settings, not just "gemeentehuis".
        "Wij noemen dit een driegesprek", "donderdag 3 december 2026", "14.30 uur", "Gemeentehuis",
        "Raadhuisplein 1, 6591 BV Gennep",
        "Een medewerker van Consulenten Sociaal Domein Gennep",
    ]),
    "afsluiting": (None, [
        "Veilig Thuis stopt met de bemoeienis met uw gezin", "Wij sluiten uw dossier",
        "Wij bewaren uw dossier 20 jaar",
    ]),
    "terugkoppeling_veiligheidsbeoordeling": ({"besluit": "overdracht", "lokaal_team_code": "GEN-SD"}, [
        "Op 16 november 2026 heeft u een melding gedaan bij Veilig Thuis", "Dat heet een veiligheidsbeoordeling",
        "Wij hebben de hulp overgedragen aan Consulenten Sociaal Domein Gennep",
        "Wij moeten de privacy van de betrokkenen beschermen",
    ]),
    "terugkoppeling_onderzoek": ({"besluit": "rvdk_verzoek"}, [
        "Het onderzoek is nu klaar", "Raad voor de Kinderbescherming gevraagd om onderzoek te doen",
        "Wij moeten de privacy van de betrokkenen beschermen",
    ]),
}


def test_there_is_a_rendering_test_for_every_letter_kind():
    assert set(SOORTEN) == {s.value for s in b.BriefSoort}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("soort", sorted(SOORTEN))
def test_each_letter_kind_names_its_recipient_the_facts_and_the_required_sentences(regio, engine, soort):
    [referentie] = registreer(melding_met(melder=melder_met_adres()))
    gegevens, zinnen = SOORTEN[soort]

    [brief_id] = maak(referentie, soort, gegevens=gegevens)

    rij = brief(engine, brief_id)
    with Session(engine) as session:
        melding_ref = session.exec(select(AuditEvent.details).where(AuditEvent.actie == "melding_geregistreerd")).one()["melding"]
    tekst = pdf_tekst(archief(rij))
    for zin in zinnen:
        assert zin in tekst, f"{zin!r} ontbreekt in de brief {soort}"
    # The sender's details and the crisis number are on every letter.
    for afzender in ["Veilig Thuis Demo-regio", "Voorbeeldplein 1", "0800-2000", "Bel dan meteen 112"]:
        assert afzender in tekst
    if soort.startswith("terugkoppeling"):
        assert rij.ontvanger == "melder"
        assert f"Beste {FICTIEVE_NAMEN[2]}" in tekst and "Praktijkweg 3" in tekst and "9999 CC ZORGSTAD" in tekst
        assert f"Ons kenmerk {melding_ref}" in tekst
        # Nothing the melder may not know: no names, address or situation of the family.
        for geheim in [*GEZIN, FICTIEVE_NAMEN[1], FICTIEVE_OMSCHRIJVING, FICTIEF_BSN]:
            assert geheim not in tekst
    else:
        assert rij.ontvanger == "familie"
        assert f"Beste {FICTIEVE_NAMEN[0]}" in tekst and all(regel in tekst for regel in GEZIN)
        assert f"Ons kenmerk {referentie}" in tekst
        assert FICTIEVE_NAMEN[1] not in tekst, "a letter is never addressed to the child"
        assert FICTIEVE_OMSCHRIJVING not in tekst and FICTIEF_BSN not in tekst


def test_a_template_missing_a_value_fails_loudly_instead_of_printing_an_empty_field(instellingen):
    from templates import render

    with pytest.raises(UndefinedError, match="gegevens"):
        render("brieven/wachtlijst.html.j2", afzender=instellingen.afzender, datum=dt.date(2026, 11, 23),
               ontvanger=dict(naam="X", aanhef="Beste X", adresregels=["a", "b"], kanaal="post"),
               casus=dict(kenmerk="VT-2026-000001", gemeente="Gennep"), gemeente_teams=[])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("soort", "gegevens", "reden"), [
    ("uitnodiging_driegesprek", {"lokaal_team_code": "GEN-SD", "datum": "2026-12-03T14:30:00+01:00"}, "plaats: ontbreekt"),
    ("uitnodiging_driegesprek", {**DRIEGESPREK, "datum": "2026-12-03T14:30:00"}, "datum: mist een tijdzone"),
    ("overdracht_bevestiging", {"regie": "lokaal_team"}, "lokaal_team_code: ontbreekt"),
    ("overdracht_bevestiging", {"lokaal_team_code": "GEN-SD", "regie": "niemand"}, "regie: heeft een niet-toegestane"),
    ("overdracht_bevestiging", {"lokaal_team_code": "XX-ONBEKEND", "regie": "lokaal_team"}, "staat niet in de instellingen"),
    ("wachtlijst", None, "wacht_sinds: ontbreekt"),
])
def test_a_letter_without_its_facts_is_refused_and_nothing_is_archived(regio, engine, soort, gegevens, reden):
    [referentie] = registreer(melding_met())

    with pytest.raises(b.OngeldigeBriefgegevens, match=reden):
        maak(referentie, soort, gegevens=gegevens)

    with Session(engine) as session:
        assert session.exec(select(Brief)).all() == []
    assert not b.archiefmap().exists() or not any(b.archiefmap().rglob("*.pdf"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_facts_left_out_by_the_caller_come_from_the_casus(regio, engine):
    [referentie] = registreer(melding_met())
    zet_casus(referentie, lokaal_team_code="GEN-SD", regie="veilig_thuis", status="overdracht")

    [brief_id] = maak(referentie, "overdracht_bevestiging")

    tekst = pdf_tekst(archief(brief(engine, brief_id)))
    assert "Veilig Thuis houdt de regie" in tekst and "Consulenten Sociaal Domein Gennep" in tekst


# --- one letter per key ----------------------------------------------------------------------------


def test_asking_twice_gives_the_same_archived_letter_never_a_second_one(regio, engine):
    [referentie] = registreer(melding_met())

    eerste = maak(referentie, "melding_ontvangen", "intake")
    tweede = maak(referentie, "melding_ontvangen", "intake")
    ander = maak(referentie, "melding_ontvangen", "hermelding-2")

    assert eerste == tweede and ander != eerste
    rij = brief(engine, eerste[0])
    assert rij.sleutel == f"brief:{referentie}:melding_ontvangen:intake"
    assert rij.checksum == hashlib.sha256(archief(rij).read_bytes()).hexdigest()
    assert rij.template_versie == b.template_versie(b.BriefSoort.melding_ontvangen) and len(rij.template_versie) == 12
    assert archief(rij).is_relative_to(b.archiefmap() / referentie)
    with Session(engine) as session:
        assert len(session.exec(select(Brief)).all()) == 2
        aangemaakt = session.exec(select(AuditEvent).where(AuditEvent.actie == "brief_aangemaakt")).all()
    assert [e.details["aanleiding"] for e in aangemaakt] == ["intake", "hermelding-2"]
    assert all(FICTIEVE_NAMEN[0] not in str(e.details) for e in aangemaakt)


def test_a_letter_whose_archiving_fails_leaves_no_empty_letter_behind(regio, engine, monkeypatch):
    # On SQLite a savepoint opened before the first write commits on release: the reserved key
    # would survive the rollback and asking again would return a letter without a PDF.
    [referentie] = registreer(melding_met())

    def volle_schijf(pad, inhoud, *toegang):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr("tasks.brieven.schrijf_atomisch", volle_schijf)
        with pytest.raises(OSError):
            maak(referentie, "afsluiting", "afsluiting")

    with Session(engine) as session:
        assert session.exec(select(Brief)).all() == []
    [brief_id] = maak(referentie, "afsluiting", "afsluiting")
    assert archief(brief(engine, brief_id)).is_file()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_while_a_letters_pdf_is_made_an_intake_or_alert_can_still_write_to_the_case_store(regio, engine, monkeypatch):
    # SQLite has one writer at a time, and a first PDF in a fresh process takes seconds: holding
    # the write lock meanwhile made a crisis alert wait behind other cases' letters.
    [referentie] = registreer(melding_met())
    schrijven_tijdens_pdf = []

    def pdf_terwijl_een_ander_schrijft(html: str) -> bytes:
        ander = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            ander.execute("BEGIN IMMEDIATE")  # takes the write lock at once, or fails at once
            ander.execute("ROLLBACK")
            schrijven_tijdens_pdf.append("gelukt")
        except sqlite3.OperationalError as exc:
            schrijven_tijdens_pdf.append(str(exc))
        finally:
            ander.close()
        return echte_pdf(html)

    echte_pdf = b.render_pdf
    monkeypatch.setattr(b, "render_pdf", pdf_terwijl_een_ander_schrijft)
    [brief_id] = maak(referentie, "afsluiting", "afsluiting")

    assert schrijven_tijdens_pdf == ["gelukt"]
    assert archief(brief(engine, brief_id)).is_file()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_runs_asking_for_the_same_letter_at_once_make_it_once(regio, engine):
    [referentie] = registreer(melding_met())

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(lambda _: maak(referentie, "afsluiting", "afsluiting"), range(2)))

    assert ids[0] == ids[1]
    with Session(engine) as session:
        assert len(session.exec(select(Brief)).all()) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_melder_who_asked_gets_feedback_and_an_anonymous_melder_none(regio, engine):
    eerste = melding_met(melder=melder_met_adres())
    anoniem = melding_met(melder=dict(soort="anoniem"), ontvangen_op=dt.datetime(2026, 11, 17, 9, tzinfo=AMS))
    tweede = melding_met(melder=dict(soort="burger", naam="Buurman Testpersoon", email="buurman@example.org",
                                     brief_per_email=True),
                         ontvangen_op=dt.datetime(2026, 11, 18, 9, tzinfo=AMS))
    geen_terugkoppeling = melding_met(melder=melder_met_adres(wil_terugkoppeling=False),
                                      ontvangen_op=dt.datetime(2026, 11, 19, 9, tzinfo=AMS))
    [referentie, *_] = registreer(eerste, anoniem, tweede, geen_terugkoppeling)

    ids = maak(referentie, "terugkoppeling_veiligheidsbeoordeling", "vb", {"besluit": "onderzoek"})

    assert len(ids) == 2
    assert maak(referentie, "terugkoppeling_veiligheidsbeoordeling", "vb", {"besluit": "onderzoek"}) == ids
    post, email = (brief(engine, i) for i in ids)
    assert (post.kanaal, email.kanaal) == ("post", "email")
    assert "Beste Buurman Testpersoon" in pdf_tekst(archief(email))
    assert FICTIEVE_NAMEN[2] not in pdf_tekst(archief(email)), "melders never learn of each other"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_melder_without_address_or_email_consent_is_escalated_at_once(regio, engine):
    [referentie] = registreer(melding_met())  # the helper's melder has a phone number only

    [brief_id] = maak(referentie, "terugkoppeling_veiligheidsbeoordeling", "vb", {"besluit": "afsluiten"})

    rij = brief(engine, brief_id)
    assert (rij.status, rij.kanaal) == (Bezorgstatus.mislukt, "geen")
    with Session(engine) as session:
        [melding_aan_staf] = session.exec(select(Notificatie).where(Notificatie.soort == "brief_onbestelbaar")).all()
    assert melding_aan_staf.ontvanger == "rol:teamleider"
    assert referentie in melding_aan_staf.onderwerp and "terugkoppeling_veiligheidsbeoordeling" in melding_aan_staf.inhoud
    assert FICTIEVE_NAMEN[2] not in melding_aan_staf.inhoud


# --- delivery ------------------------------------------------------------------------------------------


@pytest.mark.prefect
def test_a_letter_by_post_lands_once_in_the_print_queue(regio, engine):
    [referentie] = registreer(melding_met())
    [brief_id] = maak(referentie, "melding_ontvangen", "intake")

    assert bezorg_brieven().verzonden == 1
    assert bezorg_brieven().verzonden == 0

    [geprint] = list(b.printwachtrij(regio).iterdir())
    assert geprint.name == f"{brief_id:08d}-{referentie}-melding_ontvangen.pdf"
    rij = brief(engine, brief_id)
    assert geprint.read_bytes() == archief(rij).read_bytes()
    assert (rij.status, rij.pogingen, rij.kanaal) == (Bezorgstatus.verzonden, 1, "post")
    with Session(engine) as session:
        [verzonden] = session.exec(select(AuditEvent).where(AuditEvent.actie == "brief_verzonden")).all()
    assert verzonden.details == {"brief_id": brief_id, "soort": "melding_ontvangen", "ontvanger": "familie",
                                 "kanaal": "post"}


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unwritable_print_queue_keeps_the_letter_queued_until_it_works(regio, engine, tmp_path, monkeypatch):
    geblokkeerd = tmp_path / "geen-map"
    geblokkeerd.write_text("een bestand waar een map hoort")
    regio = regio_voor_test(tmp_path, monkeypatch, brieven={"printwachtrij": str(geblokkeerd / "wachtrij")},
                            bezorging=regio.bezorging.model_dump())
    [referentie] = registreer(melding_met())
    [brief_id] = maak(referentie, "afsluiting", "afsluiting")

    resultaat = bezorg_brieven()

    assert (resultaat.verzonden, resultaat.mislukte_pogingen) == (0, 1)
    rij = brief(engine, brief_id)
    assert rij.status == Bezorgstatus.wachtend and rij.pogingen == 1 and "Printwachtrij" in rij.laatste_fout
    geblokkeerd.unlink()
    time.sleep(1.1)
    assert bezorg_brieven().verzonden == 1
    assert len(list((geblokkeerd / "wachtrij").iterdir())) == 1


@pytest.mark.prefect
def test_an_smtp_outage_then_recovery_delivers_each_emailed_letter_exactly_once(regio, engine, smtp_server):
    referenties = registreer(*[
        melding_met(postcode=f"9999 A{letter}", gezin_email=f"gezin.{letter.lower()}@example.org")
        for letter in "BCD"
    ])
    ids = [maak(r, "melding_ontvangen", "intake")[0] for r in referenties]

    smtp_server.stop()
    resultaat = bezorg_brieven()
    assert (resultaat.verzonden, resultaat.mislukte_pogingen, resultaat.opgegeven) == (0, 3, 0)
    for brief_id in ids:
        rij = brief(engine, brief_id)
        assert rij.status == Bezorgstatus.wachtend and rij.pogingen == 1
        assert "@example.org" not in rij.laatste_fout, "the citizen's address is not kept in the error"

    smtp_server.start()
    assert bezorg_brieven().verzonden == 0  # backoff: not due yet
    time.sleep(1.1)
    assert bezorg_brieven().verzonden == 3
    assert bezorg_brieven().verzonden == 0

    berichten = smtp_server.wacht_op_berichten(3)
    time.sleep(0.3)
    assert len(smtp_server.berichten) == 3
    assert sorted(m["To"] for m in berichten) == [f"gezin.{c}@example.org" for c in "bcd"]
    for bericht in berichten:
        [bijlage] = list(bericht.iter_attachments())
        assert bijlage.get_content_type() == "application/pdf"
        assert bijlage.get_content().startswith(b"%PDF")
        assert "Brief van Veilig Thuis Demo-regio" in bericht["Subject"]
    assert not b.printwachtrij(regio).exists(), "an e-mailed letter is not printed as well"
    assert all(brief(engine, i).status == Bezorgstatus.verzonden for i in ids)


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_undeliverable_letter_is_kept_escalated_and_can_be_queued_again(regio, engine, smtp_server):
    [referentie] = registreer(melding_met(gezin_email=GEZIN_EMAIL))
    [brief_id] = maak(referentie, "wachtlijst", "wachtlijst-20261001-1", {"wacht_sinds": "2026-10-01"})
    smtp_server.stop()

    for _ in range(3):
        bezorg_brieven()
        time.sleep(1.1)

    rij = brief(engine, brief_id)
    assert (rij.status, rij.pogingen) == (Bezorgstatus.mislukt, 3)
    assert archief(rij).is_file(), "never dropped: the letter stays in the archive"
    with Session(engine) as session:
        [escalatie] = session.exec(select(Notificatie).where(Notificatie.soort == "brief_onbestelbaar")).all()
        assert session.exec(select(AuditEvent).where(AuditEvent.actie == "brief_onbestelbaar")).one()
    assert escalatie.ontvanger == "rol:teamleider" and referentie in escalatie.onderwerp
    assert "wachtlijst" in escalatie.inhoud and GEZIN_EMAIL not in escalatie.inhoud
    assert '"brief opnieuw versturen"' in escalatie.inhoud and f"Briefnummer {brief_id}" in escalatie.inhoud

    smtp_server.start()
    with sessie() as session:
        uitgaand.zet_opnieuw_klaar(session, Brief, brief_id)
    assert bezorg_brieven().verzonden == 1
    [bericht] = smtp_server.wacht_op_berichten(1)
    assert bericht["To"] == GEZIN_EMAIL


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_delivery_runs_at_the_same_time_send_each_letter_once(regio, smtp_server):
    referenties = registreer(*[
        melding_met(postcode=f"9999 B{letter}", gezin_email=f"gezin.{letter.lower()}@example.org")
        for letter in "ABCDEF"
    ])
    for r in referenties:
        maak(r, "melding_ontvangen", "intake")

    with ThreadPoolExecutor(max_workers=2) as pool:
        resultaten = list(pool.map(lambda _: bezorg_brieven(), range(2)))

    assert sum(r.verzonden for r in resultaten) == 6
    time.sleep(0.5)
    assert len(smtp_server.wacht_op_berichten(6)) == 6


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_task_for_the_lifecycle_returns_letter_ids_only(regio):
    [referentie] = registreer(melding_met(melder=melder_met_adres()))

    ids = maak_brief(referentie, "terugkoppeling_veiligheidsbeoordeling", "vb-1", {"besluit": "afsluiten"})

    assert isinstance(ids, list) and all(isinstance(i, int) for i in ids) and len(ids) == 1
    assert maak_brief(referentie, "terugkoppeling_veiligheidsbeoordeling", "vb-1", {"besluit": "afsluiten"}) == ids
    with pytest.raises(b.OngeldigeBriefgegevens, match="onbekende briefsoort"):
        maak_brief(referentie, "kerstkaart", "x")
    with pytest.raises(b.OngeldigeBriefgegevens, match="aanleiding"):
        maak_brief(referentie, "afsluiting", "met spaties en /")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_batch_of_letters_is_rendered_on_every_core_once_and_a_bad_one_stops_no_other(regio, engine):
    from tasks.brieven import maak_reeks

    referenties = registreer(*[melding_met(postcode=f"{1000 + n} CD") for n in range(7)])
    with Session(engine) as session:
        ids = dict(session.exec(select(Casus.referentie, Casus.id)).all())
    verzoeken = [(ids[r], b.BriefSoort.wachtlijst, "wachtlijst-20261001-1", {"wacht_sinds": "2026-10-01"})
                 for r in referenties[1:]]
    verzoeken.insert(3, (ids[referenties[0]], b.BriefSoort.uitnodiging_driegesprek, "driegesprek", {"plaats": "Hier"}))

    eerste = maak_reeks(verzoeken, instellingen(), per_transactie=4, parallel=2)
    tweede = maak_reeks(verzoeken, instellingen(), per_transactie=4, parallel=2)

    assert (len(eerste.gemaakt), eerste.al_gemaakt, eerste.fouten) == (6, 0, [referenties[0]])
    assert (tweede.gemaakt, tweede.al_gemaakt, tweede.fouten) == ([], 6, [referenties[0]])
    for brief_id in eerste.gemaakt:
        rij = brief(engine, brief_id)
        assert rij.checksum == hashlib.sha256(archief(rij).read_bytes()).hexdigest()
        assert "U staat op de wachtlijst; het duurt langer dan gebruikelijk." in pdf_tekst(archief(rij))


def test_the_driegesprek_invitation_to_the_team_gives_the_moment_once_in_dutch_time_and_the_address(instellingen):
    import datetime as dt

    from models.regels.locaties import adres_van
    from templates import render_onderwerp_en_inhoud

    _, inhoud = render_onderwerp_en_inhoud(
        "notificaties/driegesprek_uitnodiging.txt.j2", casus_referentie="VT-2026-000123", gemeente_naam="Gennep",
        telefoon="0800-2000", afzender="Veilig Thuis", lokaal_team_naam="Consulenten Sociaal Domein Gennep",
        datum=dt.datetime(2026, 12, 10, 13, tzinfo=dt.timezone.utc), plaats="kantoor van het lokaal team",
        adres=adres_van("kantoor_lokaal_team", instellingen, "GM0907", "GEN-SD"), deelnemers=["het gezin"],
        regie="het lokaal team",
    )
    assert "Datum en tijd:  donderdag 10 december 2026 om 14:00 (Nederlandse tijd)\n" in inhoud
    assert "10-12-2026" not in inhoud  # one format, not two
    assert "Plaats:         kantoor van het lokaal team, Teamstraat 1, 6591 BV Gennep" in inhoud


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_handover_letter_after_an_overdrachtstafel_says_when_veilig_thuis_helps_with_the_conditions(regio, engine):
    """The tafel's outcome "the team takes over with VT's help" (seed 004) tells the family so."""
    [referentie] = registreer(melding_met(melder=melder_met_adres()))
    gegevens = {"lokaal_team_code": "GEN-SD", "regie": "lokaal_team"}
    [met_hulp] = maak(referentie, "overdracht_bevestiging", gegevens={**gegevens, "vt_helpt_met_voorwaarden": True},
                      aanleiding="tafel-met-hulp")
    [zonder] = maak(referentie, "overdracht_bevestiging", gegevens=gegevens, aanleiding="tafel-zonder-hulp")
    zin = "Veilig Thuis helpt Consulenten Sociaal Domein Gennep bij de afspraken over de veiligheid in uw gezin."
    assert zin in pdf_tekst(archief(brief(engine, met_hulp)))
    assert zin not in pdf_tekst(archief(brief(engine, zonder)))

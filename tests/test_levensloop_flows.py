"""The lifecycle of a casus.

First its rules, on the case store alone (both databases): which decision a casus waits for,
what each decision needs, and what it changes (states, terms, handover, audit trail).

Then end to end, as staff use it: meldingen entered through the intake form of a served
deployment, every decision taken by resuming the suspended run with a filled-in form, against
a real Prefect server, a real database and a real SMTP server on loopback. That scenario runs
once for the module (`verloop`); the tests after it each check one aspect of it. Every casus
runs in its own thread, all at the same time, as a team works.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from uuid import UUID

import pytest
from sqlmodel import Session, select

from models.opslag.casus import AuditEvent, Casus, Melding
from models.opslag.communicatie import Brief
from models.regels.instellingen import CapaciteitsModus
from models.regels.levensloop import Status
from models.opslag.overdracht import Beslissing, Overdracht, Veiligheidsvoorwaarden
from tests.served import Systeem, hervat, wacht_op_run

AMS = dt.timezone(dt.timedelta(hours=1))
DOOR = "Medewerker Testbeslisser"
GEHEIME_VOORWAARDEN = "Vader Geheimvoorwaarde komt niet meer in de Zeldzaamstraat"

# Every seeded personal value: none may ever show up in Prefect.
PERSOONSGEGEVENS: list[str] = []


def _bsn(n: int) -> str:
    """A valid (elfproef) test BSN, different per n."""
    basis = f"12345{n:03d}"
    for laatste in range(10):
        kandidaat = basis + str(laatste)
        som = sum(int(c) * w for c, w in zip(kandidaat[:8], range(9, 1, -1))) - int(kandidaat[8])
        if som % 11 == 0:
            return kandidaat
    return _bsn(n + 1)


def formulier(n: int, gemeente: str, urgentie: str = "regulier", straat: str | None = None) -> dict:
    """What staff type into the intake form: unmistakable, unique personal data per melding."""
    straat = straat or f"Zeldzaamstraat {100 + n}"
    naam = f"Xanthippe Testgezin{n}"
    bsn = _bsn(n)
    omschrijving = f"Omschrijvingsgeheim {n}: buren horen geschreeuw"
    PERSOONSGEGEVENS.extend([naam, bsn, straat, omschrijving, f"Melder Meldersnaam{n}"])
    return {
        "door": DOOR,
        "ontvangen_op": (dt.datetime.now(AMS) - dt.timedelta(minutes=5)).isoformat(),
        "gemeente_code": gemeente,
        "kanaal": "telefoon",
        "urgentie": urgentie,
        "omschrijving": omschrijving,
        "melder": {"soort": "professional", "naam": f"Melder Meldersnaam{n}", "telefoon": "0612345678",
                   "wil_terugkoppeling": True},
        "adres": {"straat_huisnummer": straat, "postcode": "9999 ZZ", "woonplaats": "Verzinsel"},
        "personen": [{"rol": "ouder", "naam": naam, "geboortedatum": "1985-04-03", "bsn": bsn},
                     {"rol": "kind", "naam": f"Kind Testgezin{n}", "geboortedatum": "2018-09-01"}],
    }


# --- the rules, on the case store alone -------------------------------------------------------------


def _context(instellingen, gemeente="GM0907", urgentie="regulier", modus="normaal", **kwargs):
    from models.regels.besluiten import CasusContext
    from models.regels.instellingen import Urgentie

    return CasusContext(referentie="VT-2026-000001", gemeente=instellingen.gemeente(gemeente),
                        urgentie=Urgentie(urgentie),
                        werkvoorraad_toegestaan=instellingen.urgenties[Urgentie(urgentie)].werkvoorraad_toegestaan,
                        modus=CapaciteitsModus(modus), **kwargs)


def test_an_overdracht_needs_a_team_of_the_casus_gemeente_a_type_and_who_holds_regie(instellingen):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling as Besluit

    ctx = _context(instellingen)
    assert len(Besluit(door=DOOR, besluit="overdracht").fouten(ctx)) == 3
    [fout] = Besluit(door=DOOR, besluit="overdracht", lokaal_team="VEN-WT", overdracht_type="warm",
                     regie="lokaal_team").fouten(ctx)
    assert fout == "Lokaal team VEN-WT hoort niet bij gemeente Gennep; kies uit: Consulenten Sociaal Domein Gennep."
    goed = Besluit(door=DOOR, besluit="overdracht", lokaal_team="GEN-SD", overdracht_type="warm", regie="lokaal_team")
    assert goed.fouten(ctx) == [] and goed.naar(ctx) == "overdracht"


def test_venv_needs_the_safety_conditions_and_the_team_that_receives_them(instellingen):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling as Besluit

    ctx = _context(instellingen)
    assert Besluit(door=DOOR, besluit="voorwaarden_en_vervolg", lokaal_team="GEN-SD").fouten(ctx) == [
        "Vul bij Voorwaarden & Vervolg de veiligheidsvoorwaarden in."]
    assert Besluit(door=DOOR, besluit="voorwaarden_en_vervolg", lokaal_team="GEN-SD",
                   veiligheidsvoorwaarden="afspraken").fouten(ctx) == []


def test_urgent_cases_never_wait_on_the_werkvoorraad(instellingen):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling as Besluit

    wachten = Besluit(door=DOOR, besluit="onderzoek", onderzoek_start="werkvoorraad")
    assert wachten.fouten(_context(instellingen, urgentie="regulier")) == []
    [fout] = wachten.fouten(_context(instellingen, urgentie="spoed"))
    assert "mag niet op de werkvoorraad" in fout


@pytest.mark.parametrize("besluit, urgentie, modus, naar", [
    ("onderzoek", "regulier", "normaal", "onderzoek"),
    ("onderzoek", "regulier", "continuiteitsplan", "werkvoorraad"),
    ("voorwaarden_en_vervolg", "regulier", "continuiteitsplan", "werkvoorraad"),
    ("onderzoek", "spoed", "continuiteitsplan", "onderzoek"),  # urgent investigations go on
    ("voorwaarden_en_vervolg", "acuut", "continuiteitsplan", "voorwaarden_en_vervolg"),
    ("overdracht", "regulier", "continuiteitsplan", "overdracht"),  # handovers go on
])
def test_the_continuity_plan_holds_back_only_regular_onderzoek_and_venv(instellingen, besluit, urgentie, modus, naar):
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling as Besluit

    keuze = Besluit(door=DOOR, besluit=besluit, lokaal_team="GEN-SD", overdracht_type="warm", regie="lokaal_team",
                    veiligheidsvoorwaarden="afspraken")
    assert keuze.naar(_context(instellingen, urgentie=urgentie, modus=modus)) == naar


def test_a_prefect_variable_overrides_the_capacity_setting_and_nonsense_is_ignored():
    from models.regels.besluiten import effectieve_modus

    assert effectieve_modus(CapaciteitsModus.normaal, None) == (CapaciteitsModus.normaal, "instellingen")
    assert effectieve_modus(CapaciteitsModus.normaal, " Continuiteitsplan ") == (
        CapaciteitsModus.continuiteitsplan, "variabele")
    assert effectieve_modus(CapaciteitsModus.continuiteitsplan, "half") == (
        CapaciteitsModus.continuiteitsplan, "instellingen")


def test_the_casus_waits_for_the_decision_of_its_step():
    from models.regels.besluiten import Beslismoment as B
    from models.regels.besluiten import Stand, automatische_stap, volgend_beslismoment
    from models.regels.instellingen import OverdrachtType, Urgentie
    from models.regels.levensloop import Status as S

    def stand(status, **kwargs):
        return Stand(status=status, urgentie=Urgentie.regulier, **kwargs)

    assert automatische_stap(stand(S.ontvangen)) == S.veiligheidscheck
    assert automatische_stap(stand(S.veiligheidscheck)) == S.veiligheidsbeoordeling
    assert volgend_beslismoment(stand(S.veiligheidscheck, acute_termijn_open=True)) == B.acute_actie
    assert volgend_beslismoment(stand(S.besluit)) == B.besluit  # e.g. imported after the VB
    assert volgend_beslismoment(stand(S.overdracht)) == B.overdracht_gegevens
    assert volgend_beslismoment(stand(S.overdracht, overdracht_type=OverdrachtType.warm)) == B.driegesprek
    assert volgend_beslismoment(stand(S.overdracht, overdracht_type=OverdrachtType.warm,
                                      driegesprek_gepland=True)) == B.overdracht_afronden
    assert volgend_beslismoment(stand(S.overdracht, overdracht_type=OverdrachtType.telefonisch)) == B.overdracht_afronden
    assert volgend_beslismoment(stand(S.afgesloten)) is None


def test_follow_ups_tell_the_melder_the_family_and_the_college_at_the_protocol_moments():
    from models.regels.besluiten import Bericht, Beslismoment, Gevolgd, nazorg
    from models.regels.levensloop import Status as S

    vb = nazorg(Gevolgd(Beslismoment.besluit, "rvdk_verzoek", S.besluit, S.rvdk_verzoek))
    assert [b.soort for b in vb.brieven] == ["terugkoppeling_veiligheidsbeoordeling"]
    assert vb.brieven[0].gegevens == {"besluit": "rvdk_verzoek"} and vb.berichten == [Bericht.rvdk_college]
    slot = nazorg(Gevolgd(Beslismoment.monitoring, "veilig", S.monitoring, S.afgesloten))
    assert [(b.soort, b.gegevens) for b in slot.brieven] == [("afsluiting", {"reden": "na_monitoring"})]
    weg = nazorg(Gevolgd(Beslismoment.monitoring, "buiten_beeld", S.monitoring, None))
    assert weg.brieven == [] and weg.berichten == [Bericht.buiten_beeld]


@pytest.fixture
def casus_in_store(engine, instellingen):
    """A regular melding in Gennep, registered as intake does, in the store under test."""
    from models.opslag.regio import synchroniseer
    from models.dossier.registratie import registreer_meldingen
    from tests.helpers import melding

    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        [geregistreerd] = registreer_meldingen(session, [melding()], instellingen, actor="intake")
    return geregistreerd.casus_referentie


def _beslis(engine, instellingen, referentie, invoer, sleutel, modus=CapaciteitsModus.normaal):
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie

    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, referentie)
        ctx = voortgang.context(session, casus, instellingen, modus)
        assert invoer.fouten(ctx) == []
        voortgang.leg_beslissing_vast(session, casus, sleutel, invoer, ctx, instellingen)


def test_a_case_through_handover_and_monitoring_starts_and_meets_each_steps_terms(engine, instellingen, casus_in_store):
    from models.regels import besluiten as b
    from models.dossier import voortgang
    from models.opslag.casus import Termijn
    from models.dossier.wijzigingen import casus_op_referentie

    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, casus_in_store)
        voortgang.zet_automatische_stap(session, casus, b.automatische_stap(voortgang.stand(session, casus)), instellingen)
        voortgang.zet_automatische_stap(session, casus, b.automatische_stap(voortgang.stand(session, casus)), instellingen)
    stappen = [
        b.BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="overdracht", lokaal_team="GEN-SD",
                                          overdracht_type="telefonisch", regie="lokaal_team"),
        b.OverdrachtAfronden(door=DOOR, regie="veilig_thuis"),
        b.MonitoringBeslissing(door=DOOR, uitkomst="veilig"),
        b.MonitoringBeslissing(door=DOOR, uitkomst="veilig"),
        b.MonitoringBeslissing(door=DOOR, uitkomst="veilig"),
    ]
    for n, stap in enumerate(stappen):
        _beslis(engine, instellingen, casus_in_store, stap, f"sleutel-{n}")

    with Session(engine) as session:
        casus = casus_op_referentie(session, casus_in_store)
        termijnen = session.exec(select(Termijn).where(Termijn.casus_id == casus.id).order_by(Termijn.id)).all()
        trail = session.exec(select(AuditEvent).where(AuditEvent.casus_id == casus.id).order_by(AuditEvent.id)).all()
    assert casus.status == "afgesloten" and (casus.lokaal_team_code, casus.regie) == ("GEN-SD", "veilig_thuis")
    assert [t.soort for t in termijnen] == ["veiligheidsbeoordeling", "overdracht", *["monitoring"] * 3]
    assert all(t.voldaan_op is not None for t in termijnen)
    # The monitoring moments come from the settings ([3, 9, 18] months after the handover).
    maanden = [round((t.vervalt_op - t.start_op).days / 30.4) for t in termijnen if t.soort == "monitoring"]
    assert maanden == [3, 9, 18]
    assert [e.actor for e in trail if e.actie == "besluit"] == [DOOR] * 5


def test_a_decision_is_carried_out_once_however_often_it_is_submitted(engine, instellingen, casus_in_store):
    from models.regels import besluiten as b
    from models.dossier import voortgang
    from models.dossier.wijzigingen import casus_op_referentie

    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, casus_in_store)
        voortgang.ga_naar(session, casus, Status.veiligheidscheck, "test", instellingen)
        voortgang.ga_naar(session, casus, Status.veiligheidsbeoordeling, "test", instellingen)
    afsluiten = b.BesluitNaVeiligheidsbeoordeling(door=DOOR, besluit="afsluiten")
    _beslis(engine, instellingen, casus_in_store, afsluiten, "vt-2026-000001-besluit-1")
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, casus_in_store)
        with pytest.raises(voortgang.BeslissingAlVastgelegd):
            voortgang.leg_beslissing_vast(session, casus, "vt-2026-000001-besluit-1", afsluiten,
                                          voortgang.context(session, casus, instellingen, CapaciteitsModus.normaal),
                                          instellingen)
    with Session(engine) as session:
        assert len(session.exec(select(Beslissing)).all()) == 1
        assert len(session.exec(select(AuditEvent).where(AuditEvent.actie == "besluit")).all()) == 1


# --- driving the UI's forms ----------------------------------------------------------------------


def start_intake(systeem: Systeem) -> UUID:
    from prefect.deployments import run_deployment

    return run_deployment("melding-registreren/melding registreren", timeout=0).id


def vul_intake_in(systeem: Systeem, run_id: UUID, invoer: dict) -> None:
    wacht_op_run(systeem.api_url, run_id, "PAUSED", served=systeem.served)
    hervat(systeem.api_url, run_id, invoer)


def casus_van_intake(systeem: Systeem, run_id: UUID) -> str:
    wacht_op_run(systeem.api_url, run_id, "COMPLETED", served=systeem.served)
    with Session(systeem.engine) as session:
        return session.exec(
            select(Casus.referentie).join(Melding, Melding.casus_id == Casus.id)
            .where(Melding.extern_id == str(run_id))
        ).one()


def beslis(systeem: Systeem, referentie: str, invoer: dict) -> None:
    """Wait until the casus's run waits for a form, then submit it (as 'Resume' in the UI)."""
    run_id = systeem.casus(referentie).flow_run_id
    wacht_op_run(systeem.api_url, run_id, "PAUSED", served=systeem.served)
    hervat(systeem.api_url, run_id, {"door": DOOR, **invoer})


def wacht_op_status(systeem: Systeem, referentie: str, status: str, timeout: float = 180) -> Casus:
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        casus = systeem.casus(referentie)
        if casus.status == status:
            return casus
        time.sleep(0.3)
    raise AssertionError(f"{referentie} staat op {casus.status}, verwacht {status}\n{systeem.served.log()[-5000:]}")


def eerste_veld_van_formulier(systeem: Systeem, run_id) -> str:
    """Title and help text of the first field of the form the run waits for: where both UIs
    show the casus and the reasons a form was refused."""
    import json

    from prefect.client.orchestration import SyncPrefectClient

    wacht_op_run(systeem.api_url, run_id, "PAUSED", served=systeem.served)
    with SyncPrefectClient(systeem.api_url) as client:
        run = client.read_flow_run(UUID(str(run_id)))
        schema = json.loads(client.read_flow_run_input(run.id, run.state.state_details.run_input_keyset["schema"]))
    velden = schema["properties"]
    eerste = velden[min(velden, key=lambda naam: velden[naam].get("position", 0))]
    return f"{eerste['title']}: {eerste.get('description', '')}"


def tekst(bericht) -> str:
    """The plain-text body of a received e-mail."""
    return bericht.get_body(preferencelist=("plain", "html")).get_content()


def zet_modus(modus: CapaciteitsModus) -> None:
    from tasks.capaciteit import zet_capaciteitsmodus

    zet_capaciteitsmodus(modus)


# --- the scenario ---------------------------------------------------------------------------------


@dataclass
class Verloop:
    casussen: dict[str, str] = field(default_factory=dict)  # branch -> casus reference
    intake_runs: dict[str, UUID] = field(default_factory=dict)
    meldingen: dict[str, str] = field(default_factory=dict)
    acuut_mail_op: dt.datetime | None = None
    acuut_mail_na_indienen: float | None = None  # includes Prefect picking up the resumed run
    intake_weigering: str = ""
    afronden_te_vroeg: str = ""
    venv_weigering: str = ""
    continuiteit_weigering: str = ""
    hermelding_casus: str = ""
    voor_herhaling: dict = field(default_factory=dict)
    na_herhaling: dict = field(default_factory=dict)


def _intake(systeem, verloop, tak, invoer) -> str:
    run_id = start_intake(systeem)
    verloop.intake_runs[tak] = run_id
    vul_intake_in(systeem, run_id, invoer)
    referentie = casus_van_intake(systeem, run_id)
    verloop.casussen[tak] = referentie
    return referentie


def tak_afsluiten(systeem: Systeem, verloop: Verloop) -> None:
    """A form with errors is refused with the reasons and asked again; then closed after the VB."""
    run_id = start_intake(systeem)
    verloop.intake_runs["afsluiten"] = run_id
    fout = formulier(1, "GM0983")
    fout["adres"]["postcode"] = "postcode?"
    fout["personen"][0]["bsn"] = "123456789"
    vul_intake_in(systeem, run_id, fout)
    wacht_op_run(systeem.api_url, run_id, "PAUSED", served=systeem.served)
    verloop.intake_weigering = eerste_veld_van_formulier(systeem, run_id)
    hervat(systeem.api_url, run_id, formulier(1, "GM0983"))
    referentie = casus_van_intake(systeem, run_id)
    verloop.casussen["afsluiten"] = referentie
    beslis(systeem, referentie, {"besluit": "afsluiten", "met_advies": True})
    wacht_op_status(systeem, referentie, "afgesloten")


def tak_warm(systeem: Systeem, verloop: Verloop) -> None:
    """Gennep prefers a warm handover: driegesprek, completion, then monitoring: two safe checks."""
    referentie = _intake(systeem, verloop, "warm", formulier(2, "GM0907", straat="Zeldzaamstraat 2"))
    beslis(systeem, referentie, {"besluit": "overdracht"})  # team, type (warm) and regie: the defaults
    wacht_op_status(systeem, referentie, "overdracht")
    # A second melding about the same household joins the open casus as a hermelding.
    run_id = start_intake(systeem)
    vul_intake_in(systeem, run_id, formulier(20, "GM0907", straat="Zeldzaamstraat 2"))
    verloop.hermelding_casus = casus_van_intake(systeem, run_id)
    verloop.intake_runs["hermelding"] = run_id
    driegesprek = (dt.datetime.now(AMS) + dt.timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    beslis(systeem, referentie, {"datum_tijd": driegesprek.isoformat(), "locatie": "gemeentehuis"})
    # Completing before the driegesprek took place is refused; the driegesprek is moved to the next
    # minutes instead (a new invitation goes out), and completed once that moment has passed.
    beslis(systeem, referentie, {"regie": "lokaal_team"})
    verloop.afronden_te_vroeg = eerste_veld_van_formulier(systeem, systeem.casus(referentie).flow_run_id)
    straks = (dt.datetime.now(AMS) + dt.timedelta(seconds=90)).replace(second=0, microsecond=0)
    beslis(systeem, referentie, {"regie": "lokaal_team", "driegesprek_verplaatst": True,
                                 "nieuw_driegesprek_op": straks.isoformat()})
    wacht_op_run(systeem.api_url, systeem.casus(referentie).flow_run_id, "PAUSED", served=systeem.served)
    time.sleep(max(0.0, (straks - dt.datetime.now(AMS)).total_seconds() + 1))
    beslis(systeem, referentie, {"regie": "lokaal_team"})
    wacht_op_status(systeem, referentie, "monitoring")
    beslis(systeem, referentie, {"uitkomst": "veilig"})
    beslis(systeem, referentie, {"uitkomst": "veilig"})
    wacht_op_status(systeem, referentie, "afgesloten")


def tak_telefonisch(systeem: Systeem, verloop: Verloop) -> None:
    """Venlo: a handover by phone; at the monitoring check it is not safe: back to VT."""
    referentie = _intake(systeem, verloop, "telefonisch", formulier(3, "GM0983", urgentie="spoed"))
    beslis(systeem, referentie, {"besluit": "overdracht", "regie": "veilig_thuis"})
    beslis(systeem, referentie, {"regie": "veilig_thuis"})
    wacht_op_status(systeem, referentie, "monitoring")
    beslis(systeem, referentie, {"uitkomst": "niet_veilig"})
    wacht_op_status(systeem, referentie, "veiligheidsbeoordeling")
    beslis(systeem, referentie, {"besluit": "afsluiten"})
    wacht_op_status(systeem, referentie, "afgesloten")


def tak_venv(systeem: Systeem, verloop: Verloop) -> None:
    """V&V without conditions is refused; with them it runs, then monitoring: out of sight."""
    referentie = _intake(systeem, verloop, "venv", formulier(4, "GM0957", urgentie="spoed"))
    beslis(systeem, referentie, {"besluit": "voorwaarden_en_vervolg"})
    run_id = systeem.casus(referentie).flow_run_id
    wacht_op_run(systeem.api_url, run_id, "PAUSED", served=systeem.served)
    verloop.venv_weigering = eerste_veld_van_formulier(systeem, run_id)
    beslis(systeem, referentie, {"besluit": "voorwaarden_en_vervolg", "veiligheidsvoorwaarden": GEHEIME_VOORWAARDEN})
    wacht_op_status(systeem, referentie, "voorwaarden_en_vervolg")
    beslis(systeem, referentie, {"uitkomst": "monitoring"})
    wacht_op_status(systeem, referentie, "monitoring")
    beslis(systeem, referentie, {"uitkomst": "buiten_beeld", "reden_buiten_beeld": "verhuisd"})
    beslis(systeem, referentie, {"uitkomst": "afsluiten"})
    wacht_op_status(systeem, referentie, "afgesloten")


def tak_werkvoorraad(systeem: Systeem, verloop: Verloop, plan_aan: threading.Event) -> None:
    """Continuity plan on: a regular onderzoek waits on the werkvoorraad and cannot start until
    the plan is lifted (a Prefect Variable, no restart)."""
    referentie = _intake(systeem, verloop, "werkvoorraad", formulier(5, "GM0392"))
    plan_aan.wait(60)
    beslis(systeem, referentie, {"besluit": "onderzoek", "onderzoek_start": "direct"})
    wacht_op_status(systeem, referentie, "werkvoorraad")
    beslis(systeem, referentie, {"keuze_werkvoorraad": "starten"})
    run_id = systeem.casus(referentie).flow_run_id
    wacht_op_run(systeem.api_url, run_id, "PAUSED", served=systeem.served)
    verloop.continuiteit_weigering = eerste_veld_van_formulier(systeem, run_id)
    zet_modus(CapaciteitsModus.normaal)
    beslis(systeem, referentie, {"keuze_werkvoorraad": "starten"})
    wacht_op_status(systeem, referentie, "onderzoek")
    beslis(systeem, referentie, {"uitkomst": "afsluiten"})
    wacht_op_status(systeem, referentie, "afgesloten")


def tak_rvdk(systeem: Systeem, verloop: Verloop) -> None:
    """An acute melding: the crisis service hears within a minute; first action; then a verzoek
    to the Raad, of which the college hears."""
    def alarmen() -> int:
        return len([b for b in list(systeem.smtp.berichten) if b["To"] == "crisisdienst@vt-test.example.org"])

    eerdere = alarmen()  # the served system is shared: count from here
    run_id = start_intake(systeem)
    verloop.intake_runs["rvdk"] = run_id
    vul_intake_in(systeem, run_id, formulier(6, "GM0296", urgentie="acuut"))
    ingediend = time.monotonic()
    while time.monotonic() - ingediend < 180:
        if alarmen() > eerdere:
            verloop.acuut_mail_op = dt.datetime.now(dt.timezone.utc)
            verloop.acuut_mail_na_indienen = time.monotonic() - ingediend
            break
        time.sleep(0.2)
    referentie = casus_van_intake(systeem, run_id)
    verloop.casussen["rvdk"] = referentie
    beslis(systeem, referentie, {"actie": "politie_ingeschakeld"})
    wacht_op_status(systeem, referentie, "veiligheidsbeoordeling")
    beslis(systeem, referentie, {"besluit": "rvdk_verzoek"})
    wacht_op_status(systeem, referentie, "rvdk_verzoek")
    beslis(systeem, referentie, {"uitkomst": "afsluiten"})
    wacht_op_status(systeem, referentie, "afgesloten")


def forceer_herhaling(systeem: Systeem, run_ids: list) -> None:
    """Run finished runs again from the top, as 'Retry' in the UI does."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.states import Scheduled

    with SyncPrefectClient(systeem.api_url) as client:
        for run_id in run_ids:
            client.set_flow_run_state(UUID(str(run_id)), Scheduled(), force=True)
    for run_id in run_ids:
        wacht_op_run(systeem.api_url, run_id, "COMPLETED", served=systeem.served)


@pytest.fixture(scope="module")
def verloop(systeem: Systeem) -> Verloop:
    verloop = Verloop()
    zet_modus(CapaciteitsModus.normaal)
    plan_aan = threading.Event()
    takken = [
        lambda: tak_afsluiten(systeem, verloop),
        lambda: tak_warm(systeem, verloop),
        lambda: tak_telefonisch(systeem, verloop),
        lambda: tak_venv(systeem, verloop),
        lambda: tak_werkvoorraad(systeem, verloop, plan_aan),
        lambda: tak_rvdk(systeem, verloop),
    ]
    try:
        with ThreadPoolExecutor(len(takken)) as pool:
            lopend = [pool.submit(tak) for tak in takken]
            # Switch the plan on while cases are under way: it takes effect at the next decision.
            while "werkvoorraad" not in verloop.casussen and not any(t.done() for t in lopend):
                time.sleep(0.2)
            zet_modus(CapaciteitsModus.continuiteitsplan)
            plan_aan.set()
            for tak in lopend:
                tak.result()
    finally:  # the plan is a Prefect Variable on the session's server: never leave it on for others
        zet_modus(CapaciteitsModus.normaal)
    systeem.smtp.wacht_op_berichten(len(systeem.smtp.berichten) + 1, timeout=3)
    verloop.voor_herhaling = systeem.tellingen(list(verloop.casussen.values()))
    # Rerun the runs behind every kind of side effect: registration, crisis alert, letters,
    # invitation to the lokaal team, e-mail to the college and to the team leader.
    intakes = [verloop.intake_runs["rvdk"], verloop.intake_runs["hermelding"]]
    levenslopen = [systeem.casus(verloop.casussen[tak]).flow_run_id for tak in ("warm", "venv", "rvdk")]
    forceer_herhaling(systeem, [*intakes, *levenslopen])
    time.sleep(2)
    verloop.na_herhaling = systeem.tellingen(list(verloop.casussen.values()))
    return verloop


# --- the specifications ---------------------------------------------------------------------------


def test_every_branch_ends_closed_with_the_decisions_in_the_audit_trail(systeem, verloop):
    for tak, referentie in verloop.casussen.items():
        casus = systeem.casus(referentie)
        assert casus.status == "afgesloten", (tak, casus.status)
        besluiten = [e for e in systeem.audit(referentie) if e.actie == "besluit"]
        assert besluiten and all(e.actor == DOOR for e in besluiten), tak


def test_an_invalid_intake_form_is_refused_with_dutch_reasons_and_asked_again(verloop):
    assert verloop.intake_weigering.startswith("Niet opgeslagen: pas het formulier aan")
    assert "Adres van het gezin, postcode: is geen geldige postcode" in verloop.intake_weigering
    assert "Eerste persoon, BSN: is geen geldig BSN" in verloop.intake_weigering
    assert "postcode?" not in verloop.intake_weigering  # the value itself is never echoed


def test_a_warm_handover_completed_before_its_driegesprek_is_refused_naming_the_planned_moment(verloop):
    assert verloop.afronden_te_vroeg.startswith("Niet verwerkt: pas het formulier aan")
    assert "om 10:00 en heeft nog niet plaatsgevonden" in verloop.afronden_te_vroeg


def test_a_hermelding_joins_the_open_casus_without_a_second_lifecycle_run(systeem, verloop):
    assert verloop.hermelding_casus == verloop.casussen["warm"]
    with Session(systeem.engine) as session:
        meldingen = session.exec(select(Melding).join(Casus).where(Casus.referentie == verloop.hermelding_casus)).all()
    assert [m.hermelding for m in sorted(meldingen, key=lambda m: m.referentie)] == [False, True]
    acties = [e.actie for e in systeem.audit(verloop.hermelding_casus)]
    assert acties.count("hermelding_geregistreerd") == 1


def test_warm_handover_plans_the_driegesprek_invites_the_lokaal_team_and_records_regie(systeem, verloop):
    referentie = verloop.casussen["warm"]
    with Session(systeem.engine) as session:
        [overdracht] = session.exec(select(Overdracht).join(Casus).where(Casus.referentie == referentie)).all()
    assert (overdracht.type, overdracht.lokaal_team_code, overdracht.regie) == ("warm", "GEN-SD", "lokaal_team")
    assert overdracht.driegesprek_op and overdracht.locatie == "gemeentehuis" and overdracht.afgerond_op
    # Planned, then moved: the lokaal team is invited again for the new moment.
    uitnodigingen = [b for b in systeem.smtp.berichten
                     if b["To"] == "sociaaldomein@gennep.example.org" and referentie in b["Subject"]]
    assert len(uitnodigingen) == 2
    for uitnodiging in uitnodigingen:
        inhoud = tekst(uitnodiging)
        assert "gemeentehuis" in inhoud
        assert not any(waarde in inhoud for waarde in PERSOONSGEGEVENS)
    [verplaatst] = [e for e in systeem.audit(referentie) if e.actie == "driegesprek_verplaatst"]
    assert dt.datetime.fromisoformat(verplaatst.details["naar"]) == overdracht.driegesprek_op
    [afgerond] = [e for e in systeem.audit(referentie) if e.actie == "overdracht_afgerond"]
    assert afgerond.details == {"type": "warm", "lokaal_team": "GEN-SD", "regie": "lokaal_team"}
    casus = systeem.casus(referentie)
    assert (casus.lokaal_team_code, casus.regie) == ("GEN-SD", "lokaal_team")


def test_monitoring_checks_follow_the_settings_and_close_after_the_last_one(systeem, verloop):
    trail = systeem.audit(verloop.casussen["warm"])
    gestart = [e for e in trail if e.actie == "termijn_gestart" and e.details["soort"] == "monitoring"]
    assert len(gestart) == 2  # moments [3, 9] months after the handover
    statussen = [(e.van_status, e.naar_status) for e in trail if e.actie == "status"]
    assert statussen[-1] == ("monitoring", "afgesloten")


def test_phone_handover_not_safe_at_monitoring_goes_back_to_a_new_assessment(systeem, verloop):
    trail = systeem.audit(verloop.casussen["telefonisch"])
    [afgerond] = [e for e in trail if e.actie == "overdracht_afgerond"]
    assert afgerond.details == {"type": "telefonisch", "lokaal_team": "VEN-WT", "regie": "veilig_thuis"}
    statussen = [(e.van_status, e.naar_status) for e in trail if e.actie == "status"]
    assert ("monitoring", "veiligheidsbeoordeling") in statussen
    gestart = [e.details["soort"] for e in trail if e.actie == "termijn_gestart"]
    assert gestart.count("veiligheidsbeoordeling") == 1  # the new assessment has its own term


def test_venv_needs_its_conditions_which_are_stored_encrypted(systeem, verloop):
    assert "Vul bij Voorwaarden & Vervolg de veiligheidsvoorwaarden in." in verloop.venv_weigering
    referentie = verloop.casussen["venv"]
    with Session(systeem.engine) as session:
        [voorwaarden] = session.exec(select(Veiligheidsvoorwaarden).join(Casus)
                                     .where(Casus.referentie == referentie)).all()
        assert voorwaarden.tekst == GEHEIME_VOORWAARDEN
    ruw = sqlite3.connect(systeem.database_url.removeprefix("sqlite:///")).execute(
        "SELECT tekst FROM veiligheidsvoorwaarden").fetchall()
    assert GEHEIME_VOORWAARDEN not in str(ruw)


def test_a_family_out_of_sight_is_flagged_reported_and_closed_only_by_a_decision(systeem, verloop):
    referentie = verloop.casussen["venv"]
    trail = systeem.audit(referentie)
    [buiten] = [e for e in trail if e.actie == "buiten_beeld"]
    assert buiten.details == {"reden": "verhuisd"} and buiten.actor == DOOR
    [melding] = [b for b in systeem.smtp.berichten
                 if referentie in b["Subject"] and "buiten beeld" in b["Subject"].lower()]
    assert melding["To"] == "teamleider@vt-test.example.org"
    afsluiten = [e for e in trail if e.actie == "besluit" and e.details["besluit"] == "afsluiten"]
    assert len(afsluiten) == 1 and afsluiten[0].id > buiten.id
    assert systeem.casus(referentie).buiten_beeld


def test_continuity_plan_sends_a_regular_onderzoek_to_the_werkvoorraad_until_it_is_lifted(systeem, verloop):
    assert "continuïteitsplan is actief" in verloop.continuiteit_weigering
    statussen = [(e.van_status, e.naar_status) for e in systeem.audit(verloop.casussen["werkvoorraad"])
                 if e.actie == "status"]
    assert ("besluit", "werkvoorraad") in statussen and ("werkvoorraad", "onderzoek") in statussen
    # The spoed V&V ran while the plan was on: urgent cases go on.
    assert ("besluit", "voorwaarden_en_vervolg") in [
        (e.van_status, e.naar_status) for e in systeem.audit(verloop.casussen["venv"]) if e.actie == "status"]


def test_acute_melding_alerts_the_crisis_service_within_a_minute_with_reference_and_link_only(systeem, verloop):
    with Session(systeem.engine) as session:
        [melding] = session.exec(select(Melding).join(Casus).where(Casus.referentie == verloop.casussen["rvdk"])).all()
    assert verloop.acuut_mail_op is not None
    print(f"crisismail {verloop.acuut_mail_na_indienen:.1f} s na indienen van het formulier, "
          f"{(verloop.acuut_mail_op - melding.geregistreerd_op).total_seconds():.1f} s na registratie")
    assert verloop.acuut_mail_op - melding.geregistreerd_op < dt.timedelta(minutes=1)
    referentie = verloop.casussen["rvdk"]
    [alarm] = [b for b in systeem.smtp.berichten
               if b["To"] == "crisisdienst@vt-test.example.org" and referentie in b["Subject"]]
    inhoud = tekst(alarm)
    assert f"/runs/flow-run/{systeem.casus(referentie).flow_run_id}" in inhoud
    assert not any(waarde in inhoud for waarde in PERSOONSGEGEVENS)


def test_rvdk_verzoek_informs_the_college_of_the_gemeente(systeem, verloop):
    referentie = verloop.casussen["rvdk"]
    [bericht] = [b for b in systeem.smtp.berichten
                 if b["To"] == "college@wijchen.example.org" and referentie in b["Subject"]]
    assert referentie in tekst(bericht)
    assert not any(waarde in tekst(bericht) for waarde in PERSOONSGEGEVENS)


def test_letters_follow_the_protocol_moments(systeem, verloop):
    with Session(systeem.engine) as session:
        soorten = Counter(session.exec(select(Brief.soort).join(Casus).where(
            Casus.referentie.in_(verloop.casussen.values()))).all())
    assert soorten["melding_ontvangen"] == 7  # six cases and one hermelding
    assert soorten["terugkoppeling_veiligheidsbeoordeling"] >= 6
    # The warm branch moves its driegesprek once: the family is invited again for the new moment.
    assert soorten["uitnodiging_driegesprek"] == 2 and soorten["overdracht_bevestiging"] == 2
    assert soorten["terugkoppeling_onderzoek"] >= 1 and soorten["afsluiting"] == 6


def test_runs_carry_tags_and_each_casus_has_an_artifact(systeem, verloop):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
    from prefect.client.schemas.sorting import ArtifactCollectionSort

    referentie = verloop.casussen["warm"]
    with SyncPrefectClient(systeem.api_url) as client:
        run = client.read_flow_run(UUID(systeem.casus(referentie).flow_run_id))
        artefact = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(like_="casus-")),
            sort=ArtifactCollectionSort.KEY_ASC, limit=200)
    assert run.name == referentie
    assert {"levensloop", "gemeente:Gennep", "stap:afgesloten", "urgentie:regulier"} <= set(run.tags)
    sleutels = {a.key for a in artefact}
    assert {f"casus-{ref.lower()}" for ref in verloop.casussen.values()} <= sleutels


def test_a_forced_rerun_of_every_run_repeats_no_side_effect(verloop):
    assert verloop.na_herhaling == verloop.voor_herhaling


def _prefect_database() -> tuple[dict[str, int], str, list[str]]:
    """Everything in the session Prefect server's PostgreSQL database: (rows per table, every
    row of every table as text, the keys of form answers still stored)."""
    import prefect.settings
    import psycopg
    from psycopg import sql

    url = prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value().replace("+asyncpg", "", 1)
    with psycopg.connect(url) as verbinding:
        tabellen = [t for (t,) in verbinding.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        aantallen, regels = {}, []
        for tabel in tabellen:
            rijen = verbinding.execute(sql.SQL("SELECT t::text FROM {} AS t").format(sql.Identifier(tabel))).fetchall()
            aantallen[tabel] = len(rijen)
            regels.extend(r for (r,) in rijen)
        antwoorden = [k for (k,) in verbinding.execute("SELECT key FROM flow_run_input WHERE key LIKE '%-response'")]
    return aantallen, "\n".join(regels), antwoorden


def test_prefect_keeps_no_personal_data_in_parameters_inputs_logs_artifacts_events_or_results(systeem, verloop):
    """Everything Prefect stored during the scenario, read back in full: none of the seeded
    names, BSNs, addresses, descriptions or safety conditions."""
    geheimen = [*PERSOONSGEGEVENS, GEHEIME_VOORWAARDEN]
    aantallen, dump, antwoorden = _prefect_database()
    assert {"flow_run", "flow_run_input", "log", "artifact", "events"} <= set(aantallen)
    assert aantallen["log"] > 0 and aantallen["artifact"] > 0 and aantallen["events"] > 0

    gevonden = [g for g in geheimen if g in dump]
    assert gevonden == [], f"persoonsgegevens in Prefects database: {gevonden}"
    assert [a for a in antwoorden if a.startswith("suspended-melding") or "vt-20" in a] == []

    resultaten = b"".join(p.read_bytes() for p in systeem.served.opslag.rglob("*") if p.is_file())
    assert resultaten, "the scenario persisted results: the scan must have something to read"
    assert [g for g in geheimen if g.encode() in resultaten] == []
    assert [g for g in geheimen if g in systeem.served.log()] == []

    intake_parameters = [r.parameters for r in _runs(systeem, "melding-registreren")]
    assert intake_parameters and all(p == {} for p in intake_parameters)
    assert all(set(r.parameters) == {"casus_referentie"} for r in _runs(systeem, "casus-levensloop"))


def _runs(systeem: Systeem, flow: str):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with SyncPrefectClient(systeem.api_url) as client:
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])),
                                     sort=FlowRunSort.ID_DESC, limit=200)


def test_every_scheduled_deployment_runs_to_completion_in_the_served_system(systeem):
    """The deadline watch, the weekly case agenda, the werkvoorraad care, the report and the
    sentinels run from the served system as their schedules start them (no parameters): each
    reaches Completed. A flow whose parameter is annotated with a module alias (`dt.datetime`)
    once failed there before it started, because its run's process got a copy of the function
    without that alias."""
    from prefect.deployments import run_deployment

    from deployments.serve import deployments

    geplande = [d for d in deployments() if d.schedules]
    assert {"termijnbewaking", "casusagenda", "werkvoorraad-zorg"} <= {d.flow_name for d in geplande}
    # As the UI's Run button: the form's start values (a schedule starts a run the same way).
    runs = {d.flow_name: run_deployment(f"{d.flow_name}/{d.name}", timeout=0, parameters={
        naam: veld["default"] for naam, veld in d._parameter_openapi_schema.properties.items() if "default" in veld})
        for d in geplande}
    for naam, run in runs.items():
        klaar = wacht_op_run(systeem.api_url, run.id, "COMPLETED", served=systeem.served)
        assert klaar.state.is_completed(), naam

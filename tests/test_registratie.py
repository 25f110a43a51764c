"""Registering meldingen: a new household opens a casus with the terms its urgency asks for;
a melding about a household with an open casus joins it as a hermelding; bad input is refused
in Dutch without echoing personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from models.opslag.casus import Casus, Melding, Termijn
from models.dossier.wijzigingen import casus_op_referentie, wijzig_status
from models.regels.fouten import beschrijf_validatiefouten
from models.regels.levensloop import Status
from models.opslag.regio import synchroniseer
from models.dossier.registratie import MeldingInvoer, controleer_tegen_instellingen, is_geldig_bsn, registreer_meldingen
from tests.helpers import AMS, FICTIEF_BSN, melding


def _registreer(engine, instellingen, *meldingen):
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        return registreer_meldingen(session, list(meldingen), instellingen, actor="intake-test")


def test_a_regular_melding_opens_a_casus_with_a_safety_assessment_term(engine, instellingen):
    [r] = _registreer(engine, instellingen, melding())
    assert r.casus_referentie.startswith("VT-2026-") and not r.hermelding
    with Session(engine) as session:
        casus = casus_op_referentie(session, r.casus_referentie)
        termijnen = session.exec(select(Termijn).where(Termijn.casus_id == casus.id)).all()
    assert casus.status == Status.ontvangen and casus.gemeente_code == "GM0907"
    assert [(t.soort, t.vervalt_op.astimezone(AMS).isoformat()) for t in termijnen] == [
        ("veiligheidsbeoordeling", "2026-11-23T23:59:59+01:00")  # Mon 16 Nov + 5 working days
    ]


def test_an_acute_melding_also_gets_the_short_acute_term(engine, instellingen):
    ontvangen = dt.datetime(2026, 11, 21, 3, 15, tzinfo=AMS)  # Saturday night
    [r] = _registreer(engine, instellingen, melding(urgentie="acuut", ontvangen_op=ontvangen))
    with Session(engine) as session:
        casus = casus_op_referentie(session, r.casus_referentie)
        termijnen = {t.soort: t for t in session.exec(select(Termijn).where(Termijn.casus_id == casus.id))}
    assert termijnen["acute_reactie"].vervalt_op == ontvangen + dt.timedelta(hours=1)
    assert "veiligheidsbeoordeling" in termijnen


def test_a_second_melding_about_the_same_household_is_a_hermelding_on_the_open_casus(engine, instellingen):
    [eerste] = _registreer(engine, instellingen, melding())
    [tweede] = _registreer(
        engine, instellingen,
        melding(ontvangen_op=dt.datetime(2026, 11, 18, 9, tzinfo=AMS), urgentie="spoed",
                straat_huisnummer="fictiestraat  12", postcode="9999ab"),  # typed differently, same address
    )
    assert tweede.hermelding and tweede.casus_referentie == eerste.casus_referentie
    assert tweede.melding_referentie == f"{eerste.casus_referentie}-M2"
    with Session(engine) as session:
        casus = casus_op_referentie(session, eerste.casus_referentie)
        assert casus.aantal_meldingen == 2 and casus.urgentie == "spoed"  # the most urgent counts
        assert session.exec(select(Melding).where(Melding.casus_id == casus.id)).all()[1].hermelding


def test_a_melding_after_the_casus_was_closed_opens_a_new_casus(engine, instellingen):
    [eerste] = _registreer(engine, instellingen, melding())
    with Session(engine) as session, session.begin():
        casus = casus_op_referentie(session, eerste.casus_referentie)
        wijzig_status(session, casus, Status.veiligheidscheck, "x")
        wijzig_status(session, casus, Status.afgesloten, "x", reden="niet ontvankelijk")
    [tweede] = _registreer(engine, instellingen, melding(ontvangen_op=dt.datetime(2026, 11, 19, 9, tzinfo=AMS)))
    assert tweede.casus_referentie != eerste.casus_referentie and not tweede.hermelding


def test_different_households_in_one_batch_get_their_own_casus(engine, instellingen):
    resultaten = _registreer(
        engine, instellingen,
        melding(), melding(straat_huisnummer="Fictiestraat 14"), melding(postcode="9999 AC"),
    )
    assert len({r.casus_referentie for r in resultaten}) == 3
    with Session(engine) as session:
        assert len(session.exec(select(Casus)).all()) == 3


def test_the_same_import_row_is_never_registered_twice(engine, instellingen):
    rij = melding(bron="regas", extern_id="R-1001")
    assert len(_registreer(engine, instellingen, rij)) == 1
    assert _registreer(engine, instellingen, rij) == []
    with Session(engine) as session:
        assert len(session.exec(select(Melding)).all()) == 1


def test_bsn_must_pass_the_eleven_test():
    assert is_geldig_bsn(FICTIEF_BSN)
    assert not is_geldig_bsn("123456789") and not is_geldig_bsn("12345678")


def test_bad_input_is_explained_in_dutch_per_field_without_echoing_values():
    ruw = melding().model_dump(mode="json")
    ruw["ontvangen_op"] = "2026-11-16T10:00:00"  # no timezone
    ruw["adres"]["postcode"] = "ABCD 12"
    ruw["personen"][0]["bsn"] = "123456789"
    ruw["urgentie"] = "heel dringend"
    with pytest.raises(ValidationError) as fout:
        MeldingInvoer.model_validate(ruw)
    regels = beschrijf_validatiefouten(fout.value)
    assert "ontvangen_op: mist een tijdzone (bijvoorbeeld +01:00)" in regels
    assert "adres.postcode: is geen geldige postcode (1234 AB)" in regels
    assert "personen.0.bsn: is geen geldig BSN (9 cijfers, elfproef)" in regels
    assert any(r.startswith("urgentie: heeft een niet-toegestane waarde") for r in regels)
    assert not any("ABCD" in r or "123456789" in r or "heel dringend" in r for r in regels)


def test_a_municipality_outside_the_region_is_refused(instellingen):
    fouten = controleer_tegen_instellingen(melding(gemeente_code="GM0363"), instellingen)
    assert fouten == ["gemeente_code: GM0363 hoort niet bij regio VT-DEMO"]


def test_an_anonymous_melder_carries_no_contact_details():
    ruw = melding().model_dump(mode="json")
    ruw["melder"] = {"soort": "anoniem", "naam": "Iemand"}
    with pytest.raises(ValidationError) as fout:
        MeldingInvoer.model_validate(ruw)
    assert beschrijf_validatiefouten(fout.value) == ["melder: een anonieme melder heeft geen naam, telefoon of e-mail"]

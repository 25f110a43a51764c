"""The ZGW export: every casus as Zaken API 1.5.1 resources (zaak, statussen, resultaat, rollen)
that pass our schemas of the specification (models/regels/zgw_schemas/), and a schema that
refuses what breaks the specification. Refused exports write nothing; Prefect sees counts only."""

from __future__ import annotations

import copy
import datetime as dt
import json
import stat

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from models.dossier.demo import ACTOR
from models.dossier.wijzigingen import open_termijnen, schort_op, verleng
from models.lezen.zgw import te_exporteren, zaakgegevens
from models.opslag.typen import nu
from models.opslag.casus import AuditEvent, Casus, Huishouden, Melder, Melding, Persoon
from models.regels.instellingen import DEMO_INSTELLINGEN, OngeldigeInstellingen, TermijnSoort, laad_instellingen
from models.regels.kalender import AMSTERDAM, werkkalender
from models.regels.levensloop import AFLOOP_VANUIT, OVERGANGEN, Status
from models.regels.zgw import ZaakGegevens, Statusovergang, TermijnStand, Termijnverlenging, zgw_zaak
from models.regels.zgw_schema import controleer, fouten_in_resource
from tests.helpers import gebruik_database, regio_voor_test

GEOPEND = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)


def _demo(database_url, monkeypatch) -> None:
    gebruik_database(monkeypatch, database_url)
    uit = CliRunner().invoke(app, ["demo-data", "--json"])
    assert uit.exit_code == 0, uit.output


def _schort_op_en_verleng(engine) -> tuple[str, str, int]:
    """Suspend the safety assessment of one demo casus and extend it by a week for another, as
    staff would; returns both references and the extension in working days."""
    regio = laad_instellingen(DEMO_INSTELLINGEN)
    with Session(engine) as session, session.begin():
        eerste, tweede = session.exec(select(Casus).where(Casus.status == Status.veiligheidsbeoordeling.value)
                                      .order_by(Casus.id).limit(2)).all()
        schort_op(session, eerste, open_termijnen(session, eerste, TermijnSoort.veiligheidsbeoordeling)[0], "test",
                  "Wacht op informatie van de huisarts")
        termijn = open_termijnen(session, tweede, TermijnSoort.veiligheidsbeoordeling)[0]
        oud = termijn.vervalt_op
        verleng(session, tweede, termijn, oud + dt.timedelta(days=7), "test", "Gezin pas volgende week bereikbaar")
        dagen = werkkalender(regio).werkdagen_tussen(oud.astimezone(AMSTERDAM).date(),
                                                     (oud + dt.timedelta(days=7)).astimezone(AMSTERDAM).date())
        return eerste.referentie, tweede.referentie, dagen


def _exporteer(engine, regio) -> dict[str, object]:
    with Session(engine) as session:
        gegevens = list(zaakgegevens(session, te_exporteren(session), personen=bool(regio.zgw.personen)))
    return {g.referentie: zgw_zaak(g, regio, werkkalender(regio)) for g in gegevens}


def _persoonsgegevens(engine) -> set[str]:
    """Every personal value in the store, decrypted: names, BSNs, birth dates, addresses, phone
    numbers, the melding's text."""
    with Session(engine) as session:
        waarden = [*session.exec(select(Persoon.naam, Persoon.bsn, Persoon.geboortedatum)).all(),
                   *session.exec(select(Huishouden.straat_huisnummer, Huishouden.postcode, Huishouden.woonplaats)).all(),
                   *session.exec(select(Melder.naam, Melder.telefoon, Melder.email)).all(),
                   *((m,) for m in session.exec(select(Melding.omschrijving)).all())]
    return {w for rij in waarden for w in rij if w}


def test_every_demo_casus_exports_as_valid_zaken_api_resources_without_any_person(engine, database_url, monkeypatch,
                                                                                   instellingen):
    _demo(database_url, monkeypatch)
    na_de_demo = nu()
    opgeschort, verlengd, dagen = _schort_op_en_verleng(engine)

    zaken = _exporteer(engine, instellingen)
    with Session(engine) as session:  # --sinds: only what changed from then on
        assert {session.get(Casus, i).referentie for i in te_exporteren(session, sinds=na_de_demo)} == {
            opgeschort, verlengd}

    with Session(engine) as session:
        casussen = {c.referentie: c for c in session.exec(select(Casus)).all()}
        statusevents = session.exec(select(AuditEvent.casus_id).where(AuditEvent.actie == "status")).all()
    assert set(zaken) == set(casussen) and len(zaken) > 50
    assert [f for z in zaken.values() for f in controleer(z)] == []
    # One Status for the opening and one per state change of the audit trail; the last is the casus's state.
    assert sum(len(z.statussen) for z in zaken.values()) == len(casussen) + len(statusevents)
    for ref, z in zaken.items():
        assert z.statussen[-1]["indicatieLaatstGezetteStatus"] and z.zaak["status"] == z.statussen[-1]["url"]
        assert z.statussen[-1]["statustype"].endswith(str(instellingen.zgw.statustypen[Status(casussen[ref].status)]))
        assert (z.resultaat is not None) == (casussen[ref].status == Status.afgesloten)
        assert [r["omschrijvingGeneriek"] for r in z.rollen] == ["behandelaar"]
    gesloten = [z for z in zaken.values() if z.resultaat]
    assert gesloten and all(z.zaak["einddatum"] and z.zaak["archiefactiedatum"] for z in gesloten)

    assert zaken[opgeschort].zaak["opschorting"] == {"indicatie": True, "reden": "Wacht op informatie van de huisarts"}
    assert zaken[verlengd].zaak["verlenging"] == {"reden": "Gezin pas volgende week bereikbaar", "duur": f"P{dagen}D"}
    assert zaken[verlengd].zaak["opschorting"] == {"indicatie": False, "reden": ""}

    # With the default setting no person at all: no value of the store's personal data appears.
    tekst = json.dumps([z.als_json() for z in zaken.values()], ensure_ascii=False)
    assert "natuurlijk_persoon" not in tekst
    assert [w for w in _persoonsgegevens(engine) if w in tekst] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_with_persons_allowed_the_initiator_is_the_melder_by_name_and_nothing_more(engine, database_url, monkeypatch,
                                                                                   tmp_path):
    _demo(database_url, monkeypatch)
    regio = regio_voor_test(tmp_path, monkeypatch, zgw={"personen": True})

    zaken = _exporteer(engine, regio)

    with Session(engine) as session:
        melders = dict(session.exec(select(Casus.referentie, Melder).join(Melding, Melding.casus_id == Casus.id)
                                    .join(Melder, Melder.id == Melding.melder_id)
                                    .where(Melding.hermelding.is_(False))).all())
    assert [f for z in zaken.values() for f in controleer(z)] == []
    for ref, z in zaken.items():
        initiatoren = [r for r in z.rollen if r["omschrijvingGeneriek"] == "initiator"]
        if melders[ref].soort == "anoniem":
            assert initiatoren == []
            continue
        [rol] = initiatoren
        assert (rol["betrokkeneType"], rol["betrokkeneIdentificatie"]) == (
            "natuurlijk_persoon", {"geslachtsnaam": melders[ref].naam})
    tekst = json.dumps([z.als_json() for z in zaken.values()], ensure_ascii=False)
    namen = {m.naam for m in melders.values() if m.naam}
    assert [w for w in _persoonsgegevens(engine) - namen if w in tekst] == []


def test_a_closed_casus_gets_the_resultaat_of_the_state_it_was_closed_from(instellingen):
    # Every state from which a casus can be closed has a way it ended.
    assert {s for s, naar in OVERGANGEN.items() if Status.afgesloten in naar} == set(AFLOOP_VANUIT)
    gegevens = _gegevens(overgangen=[(1, Status.veiligheidscheck), (2, Status.afgesloten)], afgesloten=True)

    zaak = zgw_zaak(gegevens, instellingen, werkkalender(instellingen))

    assert zaak.resultaat["resultaattype"].endswith(str(instellingen.zgw.resultaattypen["niet_ontvankelijk"]))
    assert zaak.zaak["resultaat"] == zaak.resultaat["url"]
    # Closed 2 November 2026; destroyed after the bewaartermijn (20 years in the demo).
    assert (zaak.zaak["einddatum"], zaak.zaak["archiefactiedatum"]) == ("2026-11-02", "2046-11-02")
    assert zaak.zaak["uiterlijkeEinddatumAfdoening"] is None


def test_the_same_casus_exported_twice_has_the_same_identities(instellingen):
    eerste = zgw_zaak(_gegevens(), instellingen, werkkalender(instellingen)).als_json()
    tweede = zgw_zaak(_gegevens(), instellingen, werkkalender(instellingen)).als_json()
    assert eerste == tweede
    anders = zgw_zaak(_gegevens(referentie="VT-2026-000002"), instellingen, werkkalender(instellingen))
    assert anders.zaak["uuid"] != eerste["zaak"]["uuid"]


# --- the schemas refuse what breaks the specification ------------------------------------------------


def _gegevens(referentie="VT-2026-000001", overgangen=((1, Status.veiligheidscheck),), afgesloten=False, **extra):
    uren = [(GEOPEND + dt.timedelta(hours=h), s) for h, s in overgangen]
    return ZaakGegevens(
        referentie=referentie, gemeente_code="GM0907", urgentie="regulier", geopend_op=GEOPEND,
        afgesloten_op=uren[-1][0] if afgesloten else None,
        overgangen=tuple(Statusovergang(t, s) for t, s in uren), **extra)


@pytest.fixture
def voorbeeld(instellingen) -> dict:
    """Valid resources of each kind: a closed casus with a suspension and an extension."""
    gegevens = _gegevens(
        overgangen=[(1, Status.veiligheidscheck), (2, Status.veiligheidsbeoordeling), (3, Status.besluit),
                    (4, Status.afgesloten)], afgesloten=True,
        termijnen=(TermijnStand("onderzoek", GEOPEND + dt.timedelta(weeks=10), None, GEOPEND, "Wacht op de school"),),
        verlengingen=(Termijnverlenging(GEOPEND, "Meer tijd nodig", GEOPEND, GEOPEND + dt.timedelta(days=14)),))
    zaak = zgw_zaak(gegevens, instellingen, werkkalender(instellingen))
    assert controleer(zaak) == []
    assert zaak.zaak["verlenging"]["duur"] == "P10D"  # two weeks on the legal calendar
    return {"zaak": zaak.zaak, "status": zaak.statussen[-1], "resultaat": zaak.resultaat, "rol": zaak.rollen[0]}


@pytest.mark.parametrize(("resource", "veld"), [
    ("zaak", "bronorganisatie"), ("zaak", "zaaktype"), ("zaak", "startdatum"), ("zaak", "einddatum"),
    ("status", "statustype"), ("status", "datumStatusGezet"), ("resultaat", "resultaattype"), ("resultaat", "zaak"),
    ("rol", "roltype"), ("rol", "betrokkeneType"), ("rol", "roltoelichting"),
])
def test_each_schema_refuses_a_resource_without_a_required_field(voorbeeld, resource, veld):
    kapot = copy.deepcopy(voorbeeld[resource])
    del kapot[veld]
    assert fouten_in_resource(resource, kapot) == [("", f"mist verplicht veld {veld} (required)")]


@pytest.mark.parametrize(("resource", "pad", "waarde"), [
    ("zaak", ["vertrouwelijkheidaanduiding"], "supergeheim"),
    ("zaak", ["archiefnominatie"], "bewaren"),
    ("zaak", ["archiefstatus"], "weg"),
    ("zaak", ["betalingsindicatie"], "gratis"),
    ("rol", ["betrokkeneType"], "persoon"),
    ("rol", ["omschrijvingGeneriek"], "melder"),
    ("rol", ["indicatieMachtiging"], "ja"),
])
def test_each_schema_with_enumerations_refuses_a_value_outside_them(voorbeeld, resource, pad, waarde):
    kapot = copy.deepcopy(voorbeeld[resource])
    kapot[pad[0]] = waarde
    [(plek, reden)] = fouten_in_resource(resource, kapot)
    assert plek == pad[0] and reden.startswith("heeft geen toegestane waarde (enum: ")
    assert f"'{waarde}'" not in reden  # a refusal never repeats the value: it may be personal data


@pytest.mark.parametrize(("resource", "veld", "waarde", "reden"), [
    # Status and Resultaat have no enumeration in the specification: they refuse a wrong format.
    ("status", "datumStatusGezet", "gisteren", "is geen geldige date-time (format)"),
    ("status", "indicatieLaatstGezetteStatus", "ja", "heeft het verkeerde type; verwacht boolean (type)"),
    ("resultaat", "resultaattype", "resultaattype-1", "is geen geldige uri (format)"),
    ("resultaat", "toelichting", "x" * 1001, "is langer dan 1000 tekens (maxLength)"),
    ("zaak", "uuid", "VT-2026-000001", "is geen geldige uuid (format)"),
    ("zaak", "bronorganisatie", "12345678X", "voldoet niet aan de specificatie (pattern)"),
    ("zaak", "identificatie", "VT-" + "9" * 40, "is langer dan 40 tekens (maxLength)"),
])
def test_a_wrong_type_format_or_length_is_refused(voorbeeld, resource, veld, waarde, reden):
    kapot = copy.deepcopy(voorbeeld[resource])
    kapot[veld] = waarde
    assert fouten_in_resource(resource, kapot) == [(veld, reden)]


def test_nested_parts_are_checked_too(voorbeeld):
    zaak = copy.deepcopy(voorbeeld["zaak"])
    zaak["verlenging"] = {"reden": "Meer tijd", "duur": "tien werkdagen"}
    zaak["opschorting"] = {"indicatie": True}
    rol = copy.deepcopy(voorbeeld["rol"])
    rol["betrokkeneIdentificatie"]["naam"] = "x" * 51  # an organisatorische eenheid's name: at most 50
    rol["bijnaam"] = "x"
    assert fouten_in_resource("zaak", zaak) == [("opschorting", "mist verplicht veld reden (required)"),
                                                 ("verlenging.duur", "is geen geldige duration (format)")]
    assert fouten_in_resource("rol", rol) == [
        ("", "heeft een veld dat de specificatie niet kent: bijnaam (additionalProperties)"),
        ("betrokkeneIdentificatie.naam", "is langer dan 50 tekens (maxLength)")]


def test_the_example_export_in_the_docs_passes_the_schemas_and_holds_no_person():
    from models.regels.instellingen import REPO_ROOT

    bestanden = sorted((REPO_ROOT / "docs" / "voorbeelden" / "zgw").glob("VT-*.json"))
    assert len(bestanden) >= 4
    voorbeelden = [json.loads(b.read_text(encoding="utf-8")) for b in bestanden]
    for v in voorbeelden:
        delen = [("zaak", v["zaak"]), *(("status", s) for s in v["statussen"]), *(("rol", r) for r in v["rollen"])]
        delen += [("resultaat", v["resultaat"])] if v["resultaat"] else []
        assert [f for resource, deel in delen for f in fouten_in_resource(resource, deel)] == []
        assert [r["betrokkeneType"] for r in v["rollen"]] == ["organisatorische_eenheid"]
    # What the docs promise to show: a closed casus, a suspended and an extended term.
    assert any(v["resultaat"] for v in voorbeelden)
    assert any(v["zaak"]["opschorting"]["indicatie"] for v in voorbeelden)
    assert any(v["zaak"]["verlenging"] for v in voorbeelden)


# --- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("wijziging", "melding"), [
    ({"bronorganisatie": "123456789"}, "'123456789' is geen geldig RSIN (elfproef)"),
    ({"zaken_api": "https://open-zaak.example.org/zaken/api/v1"}, "met een / aan het eind"),
    ({"statustypen": {"ontvangen": "0f4fd8b0-2b63-512b-9a02-e930a9499e96"}}, "zgw.statustypen mist: veiligheidscheck"),
    ({"behandelaar": {"identificatie": "VT-DEMO", "naam": "x" * 51}}, "zgw.behandelaar.naam"),
])
def test_a_catalogue_that_cannot_give_valid_resources_is_refused_when_the_settings_are_read(
        tmp_path, monkeypatch, wijziging, melding):
    with pytest.raises(OngeldigeInstellingen) as fout:
        regio_voor_test(tmp_path, monkeypatch, zgw={**laad_instellingen(DEMO_INSTELLINGEN).zgw.model_dump(mode="json"),
                                                    **wijziging})
    assert melding in str(fout.value)


def test_without_a_catalogue_there_is_no_export_and_no_deployment(tmp_path, monkeypatch):
    from deployments.zgw import deployments

    regio_voor_test(tmp_path, monkeypatch, zgw=None)

    uit = CliRunner().invoke(app, ["export", "zgw"])
    assert uit.exit_code == 1 and "geen blok 'zgw'" in uit.output
    assert deployments() == []


# --- the command and the flow ------------------------------------------------------------------------


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_vt_export_zgw_writes_a_file_per_casus_and_prefect_sees_counts_only(engine, database_url, monkeypatch,
                                                                            tmp_path):
    from flows.zgw import zgw_exporteren
    from tests.test_import import _alles_wat_prefect_weet

    _demo(database_url, monkeypatch)
    map_ = tmp_path / "export"

    uit = CliRunner().invoke(app, ["export", "zgw", "--map", str(map_), "--json"])

    assert uit.exit_code == 0, uit.output
    telling = json.loads(uit.stdout)
    bestanden = sorted(map_.glob("VT-*.json"))
    assert telling["zaken"] == len(bestanden) > 50 and telling["personen"] is False
    assert stat.S_IMODE(map_.stat().st_mode) == 0o700
    assert {stat.S_IMODE(b.stat().st_mode) for b in bestanden} == {0o600}
    for bestand in bestanden:
        inhoud = json.loads(bestand.read_text(encoding="utf-8"))
        assert inhoud["specificatie"] == "Zaken API 1.5.1"
        assert fouten_in_resource("zaak", inhoud["zaak"]) == []
        assert all(fouten_in_resource("status", s) == [] for s in inhoud["statussen"])
    assert json.loads((map_ / "export.json").read_text())["statussen"] == telling["statussen"]

    # One casus, as a flow run: Prefect holds the reference and counts, none of the personal data.
    referentie = bestanden[0].stem
    monkeypatch.setenv("VT_ZGW_MAP", str(map_))
    staat = zgw_exporteren(casus=referentie, return_state=True)
    assert staat.result().zaken == 1
    prefect = _alles_wat_prefect_weet(staat.state_details.flow_run_id)
    assert referentie in prefect and "| zaken | 1 |" in prefect
    assert [w for w in _persoonsgegevens(engine) if w in prefect] == []


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_export_that_breaks_the_specification_writes_nothing_and_names_casus_and_field(
        engine, database_url, monkeypatch, tmp_path):
    _demo(database_url, monkeypatch)
    # A Zaken API base so long that every URL passes the specification's 1000 characters.
    regio_voor_test(tmp_path, monkeypatch, zgw={"zaken_api": "https://open-zaak.example.org/" + "z" * 1000 + "/"})
    map_ = tmp_path / "export"

    uit = CliRunner().invoke(app, ["export", "zgw", "--map", str(map_)])

    assert uit.exit_code == 1
    assert "ZGW-export geweigerd, niets geschreven." in uit.output
    assert "Casus VT-2026-" in uit.output and "zaak.url is langer dan 1000 tekens (maxLength)" in uit.output
    assert list(map_.iterdir()) == []

    uit = CliRunner().invoke(app, ["export", "zgw", "--map", str(map_), "--casus", "VT-1999-000001"])
    assert uit.exit_code == 1 and "Casus VT-1999-000001 bestaat niet." in uit.output


def test_the_run_form_asks_for_a_day_or_one_casus_or_all_and_says_in_dutch_what_it_cannot_read():
    from models.regels.zgw import ALLE, exportkeuze

    assert exportkeuze(ALLE, ALLE) == (None, None)
    assert exportkeuze("01-11-2026", ALLE) == (dt.date(2026, 11, 1), None)
    assert exportkeuze("alle", " vt-2026-000123 ") == (None, "VT-2026-000123")
    for sinds, casus, reden in [("gisteren", ALLE, "'gisteren' is geen datum. Vul bij 'Alleen casussen gewijzigd sinds'"),
                                (ALLE, "123", "Vul een casusnummer in zoals VT-2026-000123."),
                                ("01-11-2026", "VT-2026-000123", "Kies een dag of één casus, niet allebei")]:
        with pytest.raises(ValueError, match=reden):
            exportkeuze(sinds, casus)


def test_the_export_deployment_has_a_dutch_run_form_without_type_names():
    from deployments.zgw import deployments

    [deployment] = deployments()
    velden = deployment._parameter_openapi_schema.properties
    assert [v["title"] for v in velden.values()] == ["Alleen casussen gewijzigd sinds", "Alleen deze casus"]
    assert set(deployment._parameter_openapi_schema.required) == {"sinds", "casus"}

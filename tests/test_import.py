"""Importing a file of meldingen: every row is checked first and one bad row stores nothing;
a good file is imported in exactly one flow run, all or nothing, and importing it again adds
nothing. Prefect only ever sees the file path, counts, row numbers and case references."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter, ArtifactFilterFlowRunId, FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId,
    LogFilter, LogFilterFlowRunId, TaskRunFilter,
)
from prefect.client.schemas.sorting import ArtifactSort, FlowRunSort
from prefect.logging.handlers import APILogHandler

from flows.importeren import ImportAfgekeurd, meldingen_importeren
from models.opslag.db import _normaliseer, engine_voor, migreer
from models.dossier.importformaat import lees_importbestand, schrijf_csv, schrijf_json
from tests.helpers import AMS, FICTIEF_ADRES, FICTIEF_BSN, FICTIEVE_NAMEN, FICTIEVE_OMSCHRIJVING, melding

FLOW = "meldingen-importeren"
PERSOONSGEGEVENS = [*FICTIEVE_NAMEN, FICTIEF_BSN, FICTIEF_ADRES, "Fictiestraat 14", FICTIEVE_OMSCHRIJVING,
                    "Demodorp", "9999 AB", "0600000000"]


@pytest.fixture
def opslag(database_url, monkeypatch) -> str:
    """A fresh, migrated database that the flow finds through DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    migreer()
    yield database_url
    engine_voor(_normaliseer(database_url)).dispose()


def _meldingen():
    """Three meldingen: two households, the second melding about the first household is a hermelding."""
    return [
        melding(bron="oud-systeem", extern_id="A-1", ontvangen_op=dt.datetime(2026, 11, 16, 10, tzinfo=AMS)),
        melding(bron="oud-systeem", extern_id="A-2", ontvangen_op=dt.datetime(2026, 11, 17, 9, tzinfo=AMS),
                straat_huisnummer="Fictiestraat 14", gemeente_code="GM0983"),
        melding(bron="oud-systeem", extern_id="A-3", ontvangen_op=dt.datetime(2026, 11, 18, 11, tzinfo=AMS),
                urgentie="spoed"),
    ]


def _tel(url: str) -> dict[str, int]:
    engine = sa.create_engine(_normaliseer(url))
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("casus", "melding", "termijn", "huishouden", "persoon", "melder", "auditevent")}
    finally:
        engine.dispose()


def _aantal_import_runs() -> int:
    with get_client(sync_client=True) as client:
        return client.count_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW])))


def _importeer(pad: Path, door: str = "medewerker-import"):
    """Run the flow in-process; returns its final state (not raising)."""
    return meldingen_importeren(bestand=str(pad), door=door, return_state=True)


def _alles_wat_prefect_weet(flow_run_id) -> str:
    """Parameters, state message, logs and artifacts of one flow run, as one string."""
    APILogHandler().flush()
    # Every paging/sorting argument explicit: with our FastAPI pin the server refuses the nulls
    # the client sends for arguments left out (422).
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
                                limit=200, offset=0)
        artefacten = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])),
            flow_run_filter=FlowRunFilter(), task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC, limit=50, offset=0,
        )
    assert logs, "the flow run should have logged something"
    assert artefacten, "the flow run should have published its counts"
    return "\n".join([
        json.dumps(run.parameters), run.state.message or "", run.name,
        *(log.message for log in logs), *(str(a.data) for a in artefacten),
    ])


# --- a bad file stores nothing --------------------------------------------------------------------


@pytest.mark.prefect
def test_a_csv_with_one_bad_row_among_good_ones_stores_nothing_and_names_the_row(opslag, tmp_path):
    pad = schrijf_csv(_meldingen(), tmp_path / "meldingen.csv")
    regels = pad.read_text(encoding="utf-8").splitlines()
    regels[2] = regels[2].replace("9999 AB", "ABCD 12")  # line 3 in the file (the header is line 1)
    pad.write_text("\n".join(regels) + "\n", encoding="utf-8")

    state = _importeer(pad)

    assert state.is_failed()
    with pytest.raises(ImportAfgekeurd) as fout:
        state.result()
    melding_tekst = str(fout.value)
    assert "Rij 3: postcode: is geen geldige postcode (1234 AB)" in melding_tekst
    assert "Er is niets opgeslagen" in melding_tekst
    assert "ABCD" not in melding_tekst  # the reason names the field, never the value
    assert [f.rij for f in fout.value.fouten] == [3]
    assert _tel(opslag) == dict.fromkeys(
        ("casus", "melding", "termijn", "huishouden", "persoon", "melder", "auditevent"), 0
    )
    prefect = _alles_wat_prefect_weet(state.state_details.flow_run_id)
    assert "Rij 3" in prefect
    for geheim in [*PERSOONSGEGEVENS, "ABCD 12"]:
        assert geheim not in prefect


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_bad_row_is_reported_at_once(opslag, tmp_path):
    meldingen = _meldingen()
    pad = schrijf_json(meldingen, tmp_path / "meldingen.json")
    data = json.loads(pad.read_text(encoding="utf-8"))
    data[0]["personen"][0]["bsn"] = "123456789"
    data[2]["gemeente_code"] = "GM9999"
    data[2]["kanaal"] = "duif"
    pad.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ImportAfgekeurd) as fout:
        meldingen_importeren(bestand=str(pad), door="medewerker-import")

    assert fout.value.regels() == [
        "Rij 1: personen.1.bsn: is geen geldig BSN (9 cijfers, elfproef)",
        "Rij 3: kanaal: heeft een niet-toegestane waarde; toegestaan: "
        "'telefoon', 'politie', 'email', 'post' of 'portaal'",
        "Rij 3: gemeente_code: GM9999 hoort niet bij regio VT-DEMO",
    ]
    assert _tel(opslag)["melding"] == 0


# --- a good file: one flow run, everything stored -------------------------------------------------


def _controleer_opgeslagen(url: str, uitkomst, door: str) -> None:
    assert (uitkomst.gelezen, uitkomst.geregistreerd, uitkomst.nieuwe_casussen, uitkomst.hermeldingen,
            uitkomst.overgeslagen) == (3, 3, 2, 1, 0)
    assert len(uitkomst.casus_referenties) == 2
    assert _tel(url) | {"auditevent": None} == dict(
        casus=2, melding=3, termijn=3, huishouden=2, persoon=4, melder=3, auditevent=None
    )
    engine = sa.create_engine(_normaliseer(url))
    try:
        with engine.connect() as conn:
            termijnen = conn.execute(sa.text("SELECT soort FROM termijn")).scalars().all()
            audit = conn.execute(sa.text("SELECT actor, actie FROM auditevent ORDER BY id")).all()
            meldingen = conn.execute(sa.text("SELECT bron, extern_id FROM melding ORDER BY id")).all()
    finally:
        engine.dispose()
    assert termijnen == ["veiligheidsbeoordeling"] * 3
    assert [tuple(a) for a in audit] == [
        (door, "melding_geregistreerd"), (door, "melding_geregistreerd"), (door, "hermelding_geregistreerd")
    ]
    assert sorted(tuple(m) for m in meldingen) == [("oud-systeem", "A-1"), ("oud-systeem", "A-2"), ("oud-systeem", "A-3")]


@pytest.mark.prefect
@pytest.mark.parametrize("formaat", ["csv", "json"])
def test_a_good_file_is_imported_in_exactly_one_flow_run(opslag, tmp_path, formaat):
    schrijf = schrijf_csv if formaat == "csv" else schrijf_json
    pad = schrijf(_meldingen(), tmp_path / f"meldingen.{formaat}")
    runs_voor = _aantal_import_runs()

    state = _importeer(pad, door="medewerker-import")

    assert state.is_completed(), state
    assert _aantal_import_runs() == runs_voor + 1
    _controleer_opgeslagen(opslag, state.result(), door="medewerker-import")


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_meldingen_about_the_same_address_become_one_casus_with_a_hermelding(opslag, tmp_path):
    eerste, _, derde = _meldingen()
    # Same household typed differently; the file is not in order of receipt.
    derde = derde.model_copy(update={"adres": derde.adres.model_copy(update={"straat_huisnummer": "fictiestraat  12"})})
    pad = schrijf_csv([derde, eerste], tmp_path / "meldingen.csv")

    uitkomst = meldingen_importeren(bestand=str(pad), door="medewerker-import")

    assert (uitkomst.nieuwe_casussen, uitkomst.hermeldingen) == (1, 1)
    engine = sa.create_engine(_normaliseer(opslag))
    with engine.connect() as conn:
        rijen = conn.execute(sa.text(
            "SELECT m.referentie, m.hermelding, m.extern_id, c.aantal_meldingen, c.urgentie "
            "FROM melding m JOIN casus c ON c.id = m.casus_id ORDER BY m.ontvangen_op"
        )).all()
    engine.dispose()
    casus = uitkomst.casus_referenties[0]
    # The earliest melding opens the casus, whatever its place in the file.
    assert [(r[0], bool(r[1]), r[2]) for r in rijen] == [(f"{casus}-M1", False, "A-1"), (f"{casus}-M2", True, "A-3")]
    assert (rijen[0][3], rijen[0][4]) == (2, "spoed")


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_importing_the_same_file_again_adds_nothing(opslag, tmp_path):
    pad = schrijf_csv(_meldingen(), tmp_path / "meldingen.csv")
    meldingen_importeren(bestand=str(pad), door="medewerker-import")
    voor = _tel(opslag)

    opnieuw = meldingen_importeren(bestand=str(pad), door="medewerker-import")

    assert (opnieuw.gelezen, opnieuw.geregistreerd, opnieuw.overgeslagen, opnieuw.casus_referenties) == (3, 0, 3, [])
    assert _tel(opslag) == voor


@pytest.mark.prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_prefect_sees_no_personal_data_from_the_file(opslag, tmp_path):
    pad = schrijf_csv(_meldingen(), tmp_path / "meldingen.csv")

    state = _importeer(pad)

    assert state.is_completed(), state
    prefect = _alles_wat_prefect_weet(state.state_details.flow_run_id)
    assert "3 geregistreerd" in prefect and state.result().casus_referenties[0] in prefect
    for geheim in PERSOONSGEGEVENS:
        assert geheim not in prefect, f"{geheim!r} is visible in Prefect"
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])),
            sort=FlowRunSort.ID_DESC, limit=10,
        )
    assert run.parameters == {"bestand": str(pad), "door": "medewerker-import"}


def test_the_import_flow_is_served_as_a_deployment_without_schedule():
    from deployments.serve import deployments

    [import_deployment] = [d for d in deployments() if d.flow_name == FLOW]
    assert import_deployment.name == "meldingen importeren"
    assert not import_deployment.schedules
    assert import_deployment.description and "niets opgeslagen" in import_deployment.description


# --- the file format (pure, no database) ------------------------------------------------------------


def _lees(tmp_path, naam: str, tekst: str, instellingen):
    pad = tmp_path / naam
    pad.write_text(tekst, encoding="utf-8")
    return lees_importbestand(pad, instellingen)


def test_an_empty_file_is_refused(tmp_path, instellingen):
    gelezen = _lees(tmp_path, "leeg.csv", "  \n", instellingen)
    assert [f.regels() for f in gelezen.fouten] == [["Bestand: het bestand is leeg"]]
    gelezen = _lees(tmp_path, "leeg.json", "[]", instellingen)
    assert [f.regels() for f in gelezen.fouten] == [["Bestand: het bestand bevat geen meldingen"]]


def test_unknown_and_missing_columns_are_refused_before_any_row(tmp_path, instellingen):
    pad = schrijf_csv(_meldingen(), tmp_path / "goed.csv")
    kop, *rest = pad.read_text(encoding="utf-8").splitlines()
    kop = kop.replace("postcode", "pc").replace("persoon2_bsn", "persoon2_lengte")
    gelezen = _lees(tmp_path, "kolommen.csv", "\n".join([kop, *rest]), instellingen)
    assert not gelezen.meldingen
    assert gelezen.fouten[0].rij == 1
    assert gelezen.fouten[0].fouten == [
        "kolom 14 'pc' is onbekend",
        "kolom 23 'persoon2_lengte' is onbekend",
        "verplichte kolom(men) ontbreken: postcode",
    ]


def test_a_file_without_header_row_does_not_echo_its_first_row(tmp_path, instellingen):
    pad = schrijf_csv(_meldingen(), tmp_path / "goed.csv")
    _, *rijen = pad.read_text(encoding="utf-8").splitlines()
    gelezen = _lees(tmp_path, "zonder_kop.csv", "\n".join(rijen), instellingen)
    tekst = " ".join(r for f in gelezen.fouten for r in f.regels())
    assert "kopregel" in tekst
    for geheim in PERSOONSGEGEVENS:
        assert geheim not in tekst


def test_a_duplicate_bron_and_extern_id_within_the_file_is_refused(tmp_path, instellingen):
    a, b, _ = _meldingen()
    pad = schrijf_csv([a, b, a.model_copy(update={"ontvangen_op": dt.datetime(2026, 11, 19, 9, tzinfo=AMS)})],
                      tmp_path / "dubbel.csv")
    gelezen = lees_importbestand(pad, instellingen)
    assert [(f.rij, f.fouten) for f in gelezen.fouten] == [(4, ["bron + extern_id: komt ook voor in rij 2"])]


def test_an_import_needs_bron_and_extern_id(tmp_path, instellingen):
    pad = schrijf_json([melding()], tmp_path / "zonder_kenmerk.json")
    gelezen = lees_importbestand(pad, instellingen)
    assert gelezen.fouten[0].regels() == [
        "Rij 1: bron en extern_id: ontbreken (verplicht bij een import, zo wordt niets dubbel ingelezen)"
    ]


def test_csv_row_numbers_are_file_lines_even_with_multiline_cells_and_comma_separator(tmp_path, instellingen):
    eerste, tweede, derde = _meldingen()
    eerste = eerste.model_copy(update={"omschrijving": "Regel een\nregel twee\nregel drie"})
    derde = derde.model_copy(update={"adres": derde.adres.model_copy(update={"woonplaats": ""})})
    pad = schrijf_csv([eerste, tweede, derde], tmp_path / "komma.csv", scheiding=",")
    gelezen = lees_importbestand(pad, instellingen)
    # header = 1, first row = lines 2-4, second row = 5, third row = 6
    assert [(f.rij, f.fouten) for f in gelezen.fouten] == [(6, ["woonplaats: ontbreekt"])]
    assert gelezen.rijen == 3 and len(gelezen.meldingen) == 2


def test_empty_person_groups_and_yes_no_cells_are_read_as_a_person_would_expect(tmp_path, instellingen):
    kop = ("bron;extern_id;ontvangen_op;gemeente_code;kanaal;urgentie;omschrijving;melder_soort;melder_naam;"
           "melder_wil_terugkoppeling;straat_huisnummer;postcode;woonplaats;persoon1_rol;persoon1_naam;"
           "persoon2_rol;persoon2_naam;persoon3_rol;persoon3_naam")
    rij = ("x;1;2026-11-16T10:00:00+01:00;GM0907;telefoon;regulier;Iets;burger;Demo Buur;nee;"
           "Fictiestraat 1;9999ab;Demodorp;ouder;Demo Een;;;kind;Demo Drie")
    fout = ("x;2;2026-11-16T10:00:00+01:00;GM0907;telefoon;regulier;Iets;burger;Demo Buur;nee;"
            "Fictiestraat 1;9999ab;Demodorp;ouder;Demo Een;;;kind;")
    gelezen = _lees(tmp_path, "personen.csv", "\n".join([kop, rij, fout]), instellingen)
    [m] = gelezen.meldingen
    assert [p.naam for p in m.personen] == ["Demo Een", "Demo Drie"]
    assert m.melder.wil_terugkoppeling is False and m.adres.postcode == "9999 AB"
    assert [(f.rij, f.fouten) for f in gelezen.fouten] == [(3, ["persoon3_naam: ontbreekt"])]

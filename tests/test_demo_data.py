"""Demo data: clearly fictional, deterministic, spread over every municipality and over the
lifecycle, and running it again adds nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import sqlalchemy as sa
from typer.testing import CliRunner

from cli import app
from models.dossier.demo import demo_meldingen, demo_pad
from models.regels.levensloop import Status
from models.regels.levensloop import OVERGANGEN, Status
from models.dossier.registratie import is_geldig_bsn
from models.dossier.registratie import huishoudsleutel

NU = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


def _demo(database_url, monkeypatch, *args):
    monkeypatch.setenv("DATABASE_URL", database_url)
    resultaat = CliRunner().invoke(app, ["demo-data", "--json", *args])
    assert resultaat.exit_code == 0, resultaat.output
    return json.loads(resultaat.stdout)


def test_demo_data_twice_gives_the_same_cases_in_the_same_states(engine, database_url, monkeypatch):
    eerste = _demo(database_url, monkeypatch)
    tweede = _demo(database_url, monkeypatch)

    assert eerste["geregistreerd"] == 120 and eerste["hermeldingen"] > 0
    assert (tweede["geregistreerd"], tweede["overgeslagen"], tweede["verder_gebracht"]) == (0, 120, 0)
    assert tweede["democasussen_per_status"] == eerste["democasussen_per_status"]
    # Helmond's plustaak activities of this year (up to four; fewer early in January): once.
    assert (eerste["plustaakactiviteiten"] > 0 or dt.date.today().month == 1, tweede["plustaakactiviteiten"]) == (True, 0)


def test_demo_cases_stand_in_every_state_of_the_lifecycle_and_in_every_municipality(
        engine, database_url, monkeypatch, instellingen):
    uitkomst = _demo(database_url, monkeypatch)

    # So the UI shows demo casussen waiting at every kind of decision.
    assert set(uitkomst["democasussen_per_status"]) == {s.value for s in Status}
    with engine.connect() as conn:
        gemeenten = set(conn.execute(sa.text("SELECT DISTINCT gemeente_code FROM casus")).scalars())
        audit = conn.execute(sa.text("SELECT DISTINCT actor FROM auditevent")).scalars().all()
        # Every casus that got past the besluit has its safety assessment marked done.
        open_vb_na_besluit = conn.execute(sa.text(
            "SELECT count(*) FROM termijn t JOIN casus c ON c.id = t.casus_id "
            "WHERE t.soort = 'veiligheidsbeoordeling' AND t.voldaan_op IS NULL "
            "AND c.status IN ('besluit', 'werkvoorraad', 'onderzoek', 'voorwaarden_en_vervolg', 'overdracht', 'monitoring')"
        )).scalar_one()
    assert gemeenten == {g.code for g in instellingen.gemeenten}
    assert audit == ["demo-data"]
    assert open_vb_na_besluit == 0


def test_demo_meldingen_are_deterministic_and_obviously_fictional(instellingen, encryption_key):
    meldingen = demo_meldingen(instellingen, 200, nu=NU)

    assert meldingen == demo_meldingen(instellingen, 200, nu=NU)
    for m in meldingen:
        assert m.bron == "demo" and m.extern_id.startswith("demo-")
        assert m.adres.postcode.startswith("999") and m.adres.woonplaats.startswith("Demo-")
        assert 1 <= len(m.personen) <= 3
        for p in m.personen:
            assert p.naam.startswith("Demo ")
            assert p.bsn is None or (p.bsn.startswith("99999") and is_geldig_bsn(p.bsn))
        assert NU - dt.timedelta(weeks=8) <= m.ontvangen_op <= NU
    huishoudens = Counter(huishoudsleutel(m.adres) for m in meldingen)
    hermeldingen = sum(n - 1 for n in huishoudens.values())
    assert 0.2 <= hermeldingen / len(meldingen) <= 0.36  # ~28%, the national figure
    assert {m.urgentie.value for m in meldingen} == {"acuut", "spoed", "regulier"}


def test_every_demo_path_follows_the_lifecycle():
    for nummer in range(1, 300):
        huidig = Status.ontvangen
        for volgende in demo_pad(f"demo-{nummer:05d}"):
            assert volgende in OVERGANGEN[huidig], (huidig, volgende)
            huidig = volgende

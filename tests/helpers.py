"""Small builders shared by tests: realistic (fictional) input without repeating it everywhere."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from models.dossier.registratie import MeldingInvoer

AMS = ZoneInfo("Europe/Amsterdam")

FICTIEVE_NAMEN = ["Testpersoon Anna de Vries", "Testpersoon Bram de Vries", "Huisarts Zorgvuldig"]
FICTIEF_BSN = "111222333"
FICTIEF_ADRES = "Fictiestraat 12"
FICTIEVE_OMSCHRIJVING = "Buren horen nachtelijk geschreeuw en een huilend kind"


def melding(
    *,
    ontvangen_op: dt.datetime = dt.datetime(2026, 11, 16, 10, 0, tzinfo=AMS),
    gemeente_code: str = "GM0907",
    urgentie: str = "regulier",
    straat_huisnummer: str = FICTIEF_ADRES,
    postcode: str = "9999 AB",
    **extra,
) -> MeldingInvoer:
    return MeldingInvoer.model_validate(
        dict(
            ontvangen_op=ontvangen_op,
            gemeente_code=gemeente_code,
            kanaal="telefoon",
            urgentie=urgentie,
            omschrijving=FICTIEVE_OMSCHRIJVING,
            melder=dict(soort="professional", naam=FICTIEVE_NAMEN[2], telefoon="0600000000"),
            adres=dict(straat_huisnummer=straat_huisnummer, postcode=postcode, woonplaats="Demodorp"),
            personen=[
                dict(rol="ouder", naam=FICTIEVE_NAMEN[0], geboortedatum="1990-02-03", bsn=FICTIEF_BSN),
                dict(rol="kind", naam=FICTIEVE_NAMEN[1], geboortedatum="2019-05-06"),
            ],
            **extra,
        )
    )


def regio_voor_test(tmp_path, monkeypatch, smtp_server=None, **wijzigingen):
    """Demo settings with every e-mail pointing at the loopback test SMTP server, written to a
    file and activated through VT_INSTELLINGEN (as in production). `wijzigingen` updates
    top-level sections, e.g. bezorging={"max_pogingen": 2}."""
    import yaml

    from models.regels import instellingen as instellingen_module
    from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen

    ruw = yaml.safe_load(DEMO_INSTELLINGEN.read_text(encoding="utf-8"))
    if smtp_server is not None:
        ruw["escalatie"]["rollen"] = {
            naam: [smtp_server.apprise_url(f"{naam}@vt-test.example.org")] for naam in ruw["escalatie"]["rollen"]
        }
        ruw["rapportage"]["ontvangers"] = [smtp_server.apprise_url("regionaal-overleg@vt-test.example.org")]
        ruw["auditketen"]["anker_ontvangers"] = [smtp_server.apprise_url("fg@vt-test.example.org")]
        ruw["bezorging"]["smtp_url"] = (
            f"mailto://127.0.0.1:{smtp_server.port}?from=orkestratie@vt-test.example.org&mode=insecure"
        )
        ruw["bezorging"]["tweede_kanaal"] = []  # the demo's second relay is not there: a test sets its own
    for sectie, waarden in wijzigingen.items():
        if isinstance(waarden, dict) and isinstance(ruw.get(sectie), dict):
            ruw[sectie].update(waarden)
        else:
            ruw[sectie] = waarden
    pad = tmp_path / "regio.yaml"
    pad.write_text(yaml.safe_dump(ruw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("VT_INSTELLINGEN", str(pad))
    instellingen_module._cache.clear()
    return laad_instellingen(pad)


def regio_in_opslag(engine, database_url: str, tmp_path, monkeypatch, smtp_server=None, **wijzigingen):
    """The region as the application under test sees it: DATABASE_URL at the test's database,
    VT_DATA_MAP in `tmp_path`, the test settings (`regio_voor_test`) active and synchronised
    into the case store, as `vt migreer` does."""
    from sqlmodel import Session

    from models.opslag.regio import synchroniseer

    gebruik_database(monkeypatch, database_url)
    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    ingesteld = regio_voor_test(tmp_path, monkeypatch, smtp_server, **wijzigingen)
    with Session(engine) as session, session.begin():
        synchroniseer(session, ingesteld)
    return ingesteld


def gebruik_database(monkeypatch, database_url: str) -> None:
    """Point the application (tasks, flows, CLI) at the test database, as DATABASE_URL does."""
    monkeypatch.setenv("DATABASE_URL", database_url)

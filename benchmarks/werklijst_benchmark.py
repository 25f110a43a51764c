"""Benchmark: the work list page (/werklijst, models/lezen/werklijst.py) with many open casussen
in the case store, on a fresh SQLite file and a fresh PostgreSQL database. Goal (issue 15): well
under 1 s at 50,000 open casussen.

    .venv/bin/python benchmarks/werklijst_benchmark.py [--casussen 50000] [--alleen sqlite|postgresql]

Volume: the casus rows and their open terms are inserted in bulk (one executemany each), spread
over every step a casus waits in, the region's gemeenten and the three urgencies, a tenth without
a running term; only the tables the work list reads matter here, with the indexes the migrations
made. Measured, p50/p95 over `--herhalingen`: the read model alone (count + one page) for the
first page, one gemeente, one step, one gemeente + step + urgentie, and the last page; and the
whole page in-process (the app behind the gateway, role check, query, template) without Prefect's
part (its states are one request for at most 50 runs: measured in Chromium by
benchmarks/massastart_benchmark.py, view "eigen werklijst"). The query plans are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarkdatabase import postgresql_database, sqlite_database  # noqa: E402


class _Omgeving:
    """What tests.helpers.regio_voor_test expects of pytest's monkeypatch."""

    def setenv(self, naam: str, waarde: str) -> None:
        os.environ[naam] = waarde


def belasting() -> str:
    return "load average " + " ".join(f"{w:.1f}" for w in os.getloadavg())


def vul(engine, regio, aantal: int) -> None:
    from sqlalchemy import insert, select
    from sqlmodel import Session

    from models.opslag.casus import Casus, Huishouden, Termijn
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import nu
    from models.lezen.werklijst import stappen
    from models.regels.besluiten import TERMIJNEN_BIJ_START
    from models.regels.instellingen import TermijnSoort, Urgentie

    moment = nu()
    wachtend, gemeenten, urgenties = stappen(), regio.gemeenten, list(Urgentie)
    with Session(engine) as session, session.begin():
        synchroniseer(session, regio)
        huis = Huishouden(zoeksleutel="benchmark", straat_huisnummer="Benchmarkstraat 1", postcode="9999 ZZ",
                          woonplaats="Demodorp")
        session.add(huis)
        session.flush()
        casussen = [dict(referentie=f"VT-2026-{i:06d}", huishouden_id=huis.id,
                         gemeente_code=gemeenten[i % len(gemeenten)].code, status=wachtend[i % len(wachtend)].value,
                         urgentie=urgenties[i % 3].value, geopend_op=moment - dt.timedelta(days=60),
                         status_sinds=moment - dt.timedelta(minutes=i), aantal_meldingen=1, versie=1)
                    for i in range(1, aantal + 1)]
        session.execute(insert(Casus), casussen)
        termijnen = []
        for casus_id, status in session.execute(select(Casus.id, Casus.status)).all():
            if casus_id % 10 == 0:
                continue  # no running term
            soort = (TERMIJNEN_BIJ_START.get(status) or [TermijnSoort.acute_reactie])[0]
            vervalt = moment + dt.timedelta(hours=(casus_id * 7919) % 2000 - 200)
            termijnen.append(dict(casus_id=casus_id, soort=soort.value, start_op=moment - dt.timedelta(days=5),
                                  waarschuw_op=vervalt - dt.timedelta(days=2), vervalt_op=vervalt,
                                  oorspronkelijk_vervalt_op=vervalt, escalatie_stap=0))
        session.execute(insert(Termijn), termijnen)


def tijden(werk, herhalingen: int) -> str:
    werk()  # warm
    gemeten = []
    for _ in range(herhalingen):
        begin = time.perf_counter()
        werk()
        gemeten.append((time.perf_counter() - begin) * 1000)
    gemeten.sort()
    return (f"p50 {statistics.median(gemeten):.0f} ms, p95 {gemeten[int(0.95 * (len(gemeten) - 1))]:.0f} ms, "
            f"max {gemeten[-1]:.0f} ms")


def plan(engine, filter_) -> str:
    """The database's plan for the page query (EXPLAIN / EXPLAIN QUERY PLAN)."""
    from sqlalchemy import event
    from sqlmodel import Session

    from models.lezen import werklijst as lezen

    vastgelegd = []

    def bewaar(conn, cursor, statement, parameters, context, executemany):
        vastgelegd.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", bewaar)
    try:
        with Session(engine) as session:
            lezen.werklijst(session, filter_)
    finally:
        event.remove(engine, "before_cursor_execute", bewaar)
    statement, parameters = vastgelegd[-1]
    voorvoegsel = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rijen = conn.exec_driver_sql(voorvoegsel + statement, parameters).all()
    return "\n".join("    " + " ".join(str(k) for k in rij[-1:]) for rij in rijen)


def meet(database_url: str, map_: Path, aantal: int, herhalingen: int) -> None:
    from sqlmodel import Session
    from starlette.testclient import TestClient

    from models.lezen import werklijst as lezen
    from models.opslag.db import maak_engine, migreer
    from models.regels.instellingen import Urgentie
    from models.regels.levensloop import Status
    from models.regels.toegang import Gebruiker, Rol
    from tests.helpers import regio_voor_test
    from web.werklijst import maak_app

    naam = database_url.split(":")[0].split("+")[0]
    migreer(database_url)
    engine = maak_engine(database_url)
    regio = regio_voor_test(map_, _Omgeving())
    begin = time.perf_counter()
    vul(engine, regio, aantal)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # as autovacuum (or SQLite's optimize) would after such a growth
    print(f"{naam}: {aantal} open casussen in {time.perf_counter() - begin:.0f} s; {belasting()}", flush=True)
    gemeente = regio.gemeenten[0].code
    with Session(engine) as session:
        laatste = lezen.werklijst(session, lezen.Filter()).paginas
    filters = {
        "eerste pagina": lezen.Filter(),
        f"gemeente {regio.gemeenten[0].naam}": lezen.Filter(gemeente=gemeente),
        "stap onderzoek": lezen.Filter(stap=Status.onderzoek),
        "gemeente + stap + urgentie": lezen.Filter(gemeente=gemeente, stap=Status.onderzoek, urgentie=Urgentie.spoed),
        f"laatste pagina ({laatste})": lezen.Filter(pagina=laatste),
    }
    for wat, filter_ in filters.items():
        def lees(filter_=filter_):
            with Session(engine) as session:
                return lezen.werklijst(session, filter_)
        print(f"{naam}: leesmodel, {wat} ({lees().totaal} casussen): {tijden(lees, herhalingen)}", flush=True)
    print(f"{naam}: plan van de paginavraag (eerste pagina):\n{plan(engine, lezen.Filter())}", flush=True)

    async def geen_antwoord(run_ids):
        return None  # Prefect's part is measured in Chromium (massastart_benchmark.py)

    app = maak_app(engine=engine, runstaten=geen_antwoord)
    medewerker = Gebruiker(account="benchmark", naam="Benchmark", rollen=frozenset({Rol.medewerker}))

    async def als_medewerker(scope, receive, send):
        await app({**scope, "gebruiker": medewerker}, receive, send)

    with TestClient(als_medewerker) as browser:
        def pagina():
            antwoord = browser.get("/")
            assert antwoord.status_code == 200 and "VT-2026-" in antwoord.text, antwoord.text[-500:]
        print(f"{naam}: hele pagina (zonder de staten uit Prefect): {tijden(pagina, herhalingen)}; {belasting()}",
              flush=True)
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--casussen", type=int, default=50_000)
    parser.add_argument("--herhalingen", type=int, default=20)
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    if not os.environ.get("VT_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    print(f"{os.cpu_count()} cores; {belasting()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="vt-werklijst-") as tmp:
        databases = {"sqlite": lambda: sqlite_database(Path(tmp)), "postgresql": postgresql_database}
        for naam, maak in databases.items():
            if args.alleen and naam != args.alleen:
                continue
            map_ = Path(tmp) / naam
            map_.mkdir()
            with maak() as url:
                meet(url, map_, args.casussen, args.herhalingen)


if __name__ == "__main__":
    main()

"""Benchmark: switch over 5,000 open casussen spread over every state (what `vt overstap` does),
then run the deadline watch once, on a fresh SQLite file and on a fresh PostgreSQL database.

    .venv/bin/python benchmarks/overstap_benchmark.py [--aantal 5000] [--alleen sqlite|postgresql]

The file is synthetic (models/dossier/overstap_demo.py): casus i in state i % 8, its running
term a third each with every ladder step before the switch, a warning due half an hour after it,
or nothing due yet. The switch moment is one hour ago; the watch runs now, in-process against a
real Prefect server (PREFECT_API_URL, else a temporary one) and a loopback SMTP server, and must
send exactly the warnings due after the switch: 0 for the steps that were past at it. The machine
is shared: the load average is printed beside the figures. Goal: the import under 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarkdatabase import postgresql_database, sqlite_database  # noqa: E402
from import_benchmark import prefect_server  # noqa: E402


class _Omgeving:
    """What tests.helpers.regio_voor_test expects of pytest's monkeypatch."""

    def setenv(self, naam: str, waarde: str) -> None:
        os.environ[naam] = waarde


def belasting() -> str:
    return " ".join(f"{w:.2f}" for w in os.getloadavg())


def meet(database_url: str, map_: Path, aantal: int, smtp) -> dict:
    from flows.overstap import werkvoorraad_overnemen
    from flows.termijnbewaking import termijnbewaking
    from models.dossier.overstap_demo import overstapcasussen, verwacht
    from models.opslag.db import migreer
    from models.opslag.typen import nu
    from tests.helpers import regio_voor_test

    os.environ["DATABASE_URL"] = database_url
    migreer()
    regio = regio_voor_test(map_, _Omgeving(), smtp)
    stand_op = nu() - dt.timedelta(hours=1)
    bestand = map_ / f"overstap-{aantal}.json"
    bestand.write_text(json.dumps(overstapcasussen(regio, aantal, stand_op)), encoding="utf-8")
    smtp.berichten.clear()

    last_voor = belasting()
    start = time.perf_counter()
    uitkomst = werkvoorraad_overnemen(bestand=str(bestand), door="benchmark", stand_op=stand_op)
    importtijd = time.perf_counter() - start
    last_na = belasting()

    start = time.perf_counter()
    verslag = termijnbewaking()
    bewaking = time.perf_counter() - start
    doel = verwacht(aantal)
    berichten = len(smtp.wacht_op_berichten(doel.berichten_na_half_uur, timeout=120))
    tweede = termijnbewaking().gevuurd
    fouten = []
    if uitkomst.overgenomen != aantal:
        fouten.append(f"{uitkomst.overgenomen} overgenomen, verwacht {aantal}")
    if uitkomst.stappen_voor_overstap != doel.stappen_voor_overstap:
        fouten.append(f"{uitkomst.stappen_voor_overstap} stappen vóór de overstap, verwacht {doel.stappen_voor_overstap}")
    if verslag.gevuurd != doel.berichten_na_half_uur or berichten != doel.berichten_na_half_uur or tweede:
        fouten.append(f"{verslag.gevuurd} stappen gevuurd, {berichten} e-mails, tweede run {tweede}; "
                      f"verwacht {doel.berichten_na_half_uur} en 0")
    return dict(importtijd=importtijd, bewaking=bewaking, uitkomst=uitkomst, berichten=berichten,
                stappen=verslag.gevuurd, last=(last_voor, last_na), fouten=fouten)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aantal", type=int, default=5000)
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)

    if not os.environ.get("VT_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from tests.conftest import SmtpServer

    smtp = SmtpServer()
    smtp.start()
    mislukt = False
    try:
        with tempfile.TemporaryDirectory(prefix="vt-benchmark-") as tmp, prefect_server() as api:
            print(f"Prefect API: {api}; belasting (1/5/15 min) bij de start: {belasting()}", flush=True)
            databases = {"sqlite": lambda: sqlite_database(Path(tmp)), "postgresql": postgresql_database}
            for naam, maak in databases.items():
                if args.alleen and naam != args.alleen:
                    continue
                map_ = Path(tmp) / naam
                map_.mkdir()
                with maak() as url:
                    m = meet(url, map_, args.aantal, smtp)
                u = m["uitkomst"]
                print(f"{naam:<11} overstap van {u.overgenomen} casussen in {m['importtijd']:.1f} s "
                      f"(doel < 30 s; belasting voor/na: {m['last'][0]} / {m['last'][1]}); "
                      f"{u.stappen_voor_overstap} ladderstappen vastgelegd als verstuurd vóór de overstap; "
                      f"per status {json.dumps(u.per_status)}", flush=True)
                print(f"{naam:<11} termijnbewaking daarna: {m['stappen']} stappen gevuurd, {m['berichten']} e-mails, "
                      f"in {m['bewaking']:.1f} s", flush=True)
                for fout in m["fouten"]:
                    mislukt = True
                    print(f"{naam:<11} FOUT: {fout}", flush=True)
    finally:
        smtp.stop()
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.platform()}")
    if mislukt:
        raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main())

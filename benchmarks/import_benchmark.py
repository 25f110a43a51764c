"""Benchmark: import 10,000 meldingen with the import flow (what `vt import` does), on a fresh
SQLite file and on a fresh PostgreSQL database.

    .venv/bin/python benchmarks/import_benchmark.py [--aantal 10000] [--alleen sqlite|postgresql]
                                                    [--profiel PAD.prof]

The file is synthetic (models/dossier/demo.py): ~28% hermeldingen like the national figure, 1-3 people
per household. The flow runs in-process against a real Prefect server: the one in
PREFECT_API_URL if set, otherwise a temporary one (prefect_test_harness). Checks that exactly
one flow run is created per import. PostgreSQL: postgresql+psycopg://postgres@127.0.0.1:5432,
a database with a fresh name that is dropped afterwards (VT_BENCHMARK_POSTGRES_URL to change).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarkdatabase import postgresql_database, sqlite_database


def maak_bestand(map_: Path, aantal: int) -> Path:
    from models.dossier.demo import demo_meldingen
    from models.dossier.importformaat import schrijf_csv
    from models.regels.instellingen import instellingen
    from models.opslag.typen import nu

    meldingen = demo_meldingen(instellingen(), aantal, nu=nu(), seed=10_000, weken=52)
    return schrijf_csv(meldingen, map_ / f"meldingen-{aantal}.csv")


@contextlib.contextmanager
def prefect_server():
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield PREFECT_API_URL.value()


def aantal_import_runs() -> int:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        return client.count_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["meldingen-importeren"])))


def meet(database_url: str, bestand: Path, profiel: Path | None) -> dict:
    from flows.importeren import meldingen_importeren
    from models.opslag.db import migreer

    os.environ["DATABASE_URL"] = database_url
    migreer()
    runs_voor = aantal_import_runs()
    profiler = cProfile.Profile() if profiel else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    uitkomst = meldingen_importeren(bestand=str(bestand), door="benchmark")
    if profiler:
        profiler.disable()
        profiler.dump_stats(profiel)
    seconden = time.perf_counter() - start
    runs = aantal_import_runs() - runs_voor
    if runs != 1:
        raise SystemExit(f"verwacht precies 1 flow run, maar er zijn er {runs} gemaakt")
    keten = controleer_keten()
    return dict(seconden=seconden, per_seconde=uitkomst.gelezen / seconden, uitkomst=uitkomst, runs=runs, keten=keten)


def controleer_keten() -> str:
    """The audit chain after the import, checked as `vt audit controleer` does (not timed)."""
    from models.lezen.auditketen import controleer
    from models.opslag.db import sessie

    start = time.perf_counter()
    with sessie() as session:
        controle = controleer(session, [])
    if not controle.in_orde:
        raise SystemExit(f"de auditketen is na de import niet in orde: {controle.breuken[:3]}")
    return f"auditketen in orde: {controle.ketens} ketens, {controle.gebeurtenissen} gebeurtenissen, " \
           f"nagerekend in {time.perf_counter() - start:.1f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aantal", type=int, default=10_000)
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    parser.add_argument("--herhaal", type=int, default=1, help="Aantal metingen per database (elk op een verse database).")
    parser.add_argument("--profiel", type=Path, help="cProfile-uitvoer (per database: PAD.<database>)")
    args = parser.parse_args(argv)

    if not os.environ.get("VT_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    with tempfile.TemporaryDirectory(prefix="vt-benchmark-") as tmp:
        map_ = Path(tmp)
        start = time.perf_counter()
        bestand = maak_bestand(map_, args.aantal)
        print(f"{args.aantal} meldingen gegenereerd in {time.perf_counter() - start:.1f} s: {bestand} "
              f"({bestand.stat().st_size / 1e6:.1f} MB)")
        databases = {"sqlite": lambda: sqlite_database(map_), "postgresql": postgresql_database}
        with prefect_server() as api:
            print(f"Prefect API: {api}")
            for naam, maak in databases.items():
                if args.alleen and naam != args.alleen:
                    continue
                tijden = []
                for _ in range(args.herhaal):
                    with maak() as url:
                        profiel = args.profiel.with_suffix(f".{naam}.prof") if args.profiel else None
                        m = meet(url, bestand, profiel)
                    u = m["uitkomst"]
                    tijden.append(m["seconden"])
                    print(
                        f"{naam:<11} {u.gelezen} meldingen in {m['seconden']:.1f} s = {m['per_seconde']:.0f} meldingen/s "
                        f"({u.nieuwe_casussen} casussen, {u.hermeldingen} hermeldingen; {m['runs']} flow run); {m['keten']}"
                        + (f"; profiel: {profiel}" if profiel else ""), flush=True,
                    )
                if len(tijden) > 1:
                    print(f"{naam:<11} mediaan {statistics.median(tijden):.1f} s, snelste {min(tijden):.1f} s, "
                          f"traagste {max(tijden):.1f} s over {len(tijden)} metingen", flush=True)
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.platform()}")


if __name__ == "__main__":
    sys.exit(main())

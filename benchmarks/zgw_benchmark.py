"""Benchmark: the ZGW export's own work over N demo casussen, on SQLite and PostgreSQL: read
(models/lezen/zgw.py), map (models/regels/zgw.py), check against the schemas
(models/regels/zgw_schema.py) and write one JSON file per casus, as tasks/zgw.py does; without
Prefect (a flow run adds its ~1 s once).

    .venv/bin/python benchmarks/zgw_benchmark.py [--aantal 5000] [--alleen sqlite|postgresql]

The casussen are the synthetic demo ones (models/dossier/demo.py), moved along the lifecycle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarkdatabase import postgresql_database, sqlite_database  # noqa: E402


def meet(url: str, aantal: int, map_: Path) -> dict[str, float]:
    from sqlmodel import Session

    from models.dossier.demo import breng_demo_casussen_verder, demo_meldingen
    from models.dossier.registratie import registreer_meldingen
    from models.lezen.zgw import te_exporteren, zaakgegevens
    from models.opslag.db import maak_engine, migreer
    from models.opslag.regio import synchroniseer
    from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen
    from models.regels.kalender import werkkalender
    from models.regels.zgw import zgw_zaak
    from models.regels.zgw_schema import controleer

    regio = laad_instellingen(DEMO_INSTELLINGEN)
    kalender = werkkalender(regio)
    migreer(url)
    engine = maak_engine(url)
    nu = dt.datetime.now(dt.timezone.utc)
    with Session(engine) as session, session.begin():
        synchroniseer(session, regio)
        registreer_meldingen(session, demo_meldingen(regio, aantal, nu=nu, weken=52), regio, actor="benchmark")
        breng_demo_casussen_verder(session, nu)
    tijden = dict(lezen=0.0, omzetten=0.0, controleren=0.0, schrijven=0.0)
    zaken = statussen = 0
    begin = time.perf_counter()
    with Session(engine) as session:
        ids = te_exporteren(session)
        gegevens = iter(zaakgegevens(session, ids, personen=False))
        while True:
            t = time.perf_counter()
            g = next(gegevens, None)
            tijden["lezen"] += time.perf_counter() - t
            if g is None:
                break
            t = time.perf_counter()
            zaak = zgw_zaak(g, regio, kalender)
            tijden["omzetten"] += time.perf_counter() - t
            t = time.perf_counter()
            assert controleer(zaak) == []
            tijden["controleren"] += time.perf_counter() - t
            t = time.perf_counter()
            (map_ / f"{zaak.referentie}.json").write_text(json.dumps(zaak.als_json(), ensure_ascii=False, indent=2))
            tijden["schrijven"] += time.perf_counter() - t
            zaken += 1
            statussen += len(zaak.statussen)
    engine.dispose()
    return dict(zaken=zaken, statussen=statussen, totaal=time.perf_counter() - begin, **tijden)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aantal", type=int, default=5000)
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    from cryptography.fernet import Fernet

    os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    print(f"ZGW export of {args.aantal} demo meldingen; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for naam, database in (("sqlite", sqlite_database(Path(tmp))), ("postgresql", postgresql_database())):
            if args.alleen and args.alleen != naam:
                continue
            with database as url:
                uit = Path(tmp) / f"export-{naam}"
                uit.mkdir()
                r = meet(url, args.aantal, uit)
            print(f"{naam:>10}: {r['zaken']} zaken, {r['statussen']} statussen in {r['totaal']:.1f} s "
                  f"({r['zaken'] / r['totaal']:.0f} zaken/s): lezen {r['lezen']:.1f} s, omzetten {r['omzetten']:.1f} s, "
                  f"controleren {r['controleren']:.1f} s, schrijven {r['schrijven']:.1f} s; "
                  f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

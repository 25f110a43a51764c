"""Benchmark: the retention run destroys N closed casussen past their bewaartermijn (what the nightly
deployment 'bewaartermijn' and `vt bewaartermijn vernietig` do), on a fresh SQLite file and a
fresh PostgreSQL database.

    .venv/bin/python benchmarks/bewaartermijn_benchmark.py [--aantal 1000] [--alleen sqlite|postgresql]

Synthetic meldingen (models/dossier/demo.py), one casus each, closed 21 years before now; two
letter files per casus (archive and print queue; small stand-in files: deleting a PDF costs the
same whatever it holds). Measures the run itself (tasks.bewaartermijn.vernietig), without Prefect.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarkdatabase import postgresql_database, sqlite_database


def vul(database_url: str, aantal: int, regio) -> int:
    from dateutil.relativedelta import relativedelta
    from sqlalchemy import update

    from models.brieven.inhoud import archiefmap_van, printwachtrij, printwachtrij_naam
    from models.dossier.demo import demo_meldingen
    from models.dossier.registratie import registreer_meldingen
    from models.opslag.casus import Casus
    from models.opslag.communicatie import Brief
    from models.opslag.db import migreer, sessie
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import nu
    from models.regels.levensloop import Status

    migreer(database_url)
    gesloten = nu() - relativedelta(years=regio.bewaartermijn_jaren + 1)
    # Every melding at an address of its own: one casus each.
    meldingen = [m.model_copy(update=dict(ontvangen_op=gesloten - relativedelta(days=30), adres=m.adres.model_copy(
        update=dict(straat_huisnummer=f"Benchmarkstraat {i + 1}"))))
                 for i, m in enumerate(demo_meldingen(regio, aantal, nu=nu(), seed=17, weken=52))]
    with sessie(database_url) as session:
        synchroniseer(session, regio)
        registreer_meldingen(session, meldingen, regio, actor="benchmark")
        # Closed straight away (the lifecycle's own writers are measured elsewhere).
        session.execute(update(Casus).values(status=Status.afgesloten, afgesloten_op=gesloten, status_sinds=gesloten))
        casussen = session.exec(Casus.__table__.select()).all()
        wachtrij = printwachtrij(regio)
        wachtrij.mkdir(parents=True, exist_ok=True)
        for casus in casussen:
            brief = Brief(sleutel=f"bench:{casus.id}", casus_id=casus.id, soort="afsluiting", aanleiding="bench",
                          ontvanger="familie", kanaal="post", template_versie="bench", pad=f"{casus.referentie}/a.pdf")
            session.add(brief)
            session.flush()
            archiefmap_van(casus.referentie).mkdir(parents=True, exist_ok=True)
            (archiefmap_van(casus.referentie) / "a.pdf").write_bytes(b"%PDF-1.7 stand-in" * 200)
            (wachtrij / printwachtrij_naam(brief.id, casus.referentie, "afsluiting")).write_bytes(b"%PDF" * 800)
        return len(casussen)


def meet(database_url: str, aantal: int) -> dict:
    from models.opslag.typen import nu
    from models.regels.instellingen import instellingen
    from tasks.bewaartermijn import vernietig

    os.environ["DATABASE_URL"] = database_url
    regio = instellingen()
    aantal = vul(database_url, aantal, regio)
    start = time.perf_counter()
    verslag = vernietig(nu(), regio)
    duur = time.perf_counter() - start
    assert len(verslag.vernietigd) == aantal, len(verslag.vernietigd)
    start = time.perf_counter()
    assert vernietig(nu(), regio).vernietigd == []
    return dict(casussen=aantal, seconden=round(duur, 2), per_casus_ms=round(1000 * duur / aantal, 1),
                tweede_run_s=round(time.perf_counter() - start, 2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aantal", type=int, default=1000)
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if not os.environ.get("VT_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VT_DATA_MAP"] = tmp
        for naam in ("sqlite", "postgresql"):
            if args.alleen and args.alleen != naam:
                continue
            database = sqlite_database(Path(tmp)) if naam == "sqlite" else postgresql_database()
            with database as url:
                uitslag = meet(url, args.aantal)
            print(f"{naam}: {uitslag}  (load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f})", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()

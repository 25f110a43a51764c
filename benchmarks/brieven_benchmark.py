"""Benchmark: make 1,000 letters to PDF the way production does (read the recipient from the case
store, render the Jinja2 template, WeasyPrint to PDF, archive the file, write the Brief row and
its audit event), on a fresh SQLite file.

    .venv/bin/python benchmarks/brieven_benchmark.py [--aantal 1000]

The casussen are synthetic (models/dossier/demo.py), registered through the normal bulk path. Letters
rotate over every family kind, so templates of each kind are measured. Prints the wall time,
the rate, the CPU time (this process and the PDF processes), the load average at the start and
the end, and for letters made one at a time the median and 95th percentile; the goal is under
60 s for 1,000 letters.
No Prefect server is needed: the letter-making step is the same function the task calls.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

FAMILIE = [
    ("melding_ontvangen", None),
    ("wachtlijst", {"wacht_sinds": "2026-10-01"}),
    ("overdracht_bevestiging", {"regie": "lokaal_team"}),
    ("uitnodiging_driegesprek", {"datum": "2026-12-03T14:30:00+01:00", "plaats": "Gemeentehuis, Markt 1"}),
    ("afsluiting", None),
]


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the PDF pool)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aantal", type=int, default=1000)
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    map_ = Path(tempfile.mkdtemp(prefix="vt-brieven-benchmark-"))
    os.environ.setdefault("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    os.environ["DATABASE_URL"] = f"sqlite:///{map_ / 'benchmark.db'}"
    os.environ["VT_DATA_MAP"] = str(map_ / "data")

    from sqlalchemy import update
    from sqlmodel import select

    from models.brieven import inhoud as b
    from models.opslag.casus import Casus
    from models.opslag.db import migreer, sessie
    from models.dossier.demo import demo_meldingen
    from models.regels.instellingen import instellingen
    from models.dossier.registratie import registreer_meldingen
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import nu
    from tasks.brieven import maak_brieven, maak_reeks

    regio = instellingen()
    migreer()
    with sessie() as session:
        synchroniseer(session, regio)
        geregistreerd = registreer_meldingen(
            session, demo_meldingen(regio, args.aantal * 2, nu=nu(), seed=5, weken=20), regio, "benchmark"
        )
    referenties = sorted({g.casus_referentie for g in geregistreerd})[: args.aantal]
    if len(referenties) < args.aantal:
        raise SystemExit(f"slechts {len(referenties)} casussen; verhoog het aantal meldingen")
    with sessie() as session:  # every casus handed to a lokaal team, so every kind has its facts
        for gemeente in regio.gemeenten:
            session.execute(update(Casus).where(Casus.gemeente_code == gemeente.code)
                            .values(lokaal_team_code=gemeente.lokale_teams[0].code))

    with sessie() as session:
        casus_ids = dict(session.exec(select(Casus.referentie, Casus.id).where(Casus.referentie.in_(referenties))).all())
    verzoeken = [
        (casus_ids[r], b.BriefSoort(FAMILIE[i % len(FAMILIE)][0]), "benchmark", FAMILIE[i % len(FAMILIE)][1])
        for i, r in enumerate(referenties)
    ]

    # As the waiting-list round makes them: per 50 letters one writing transaction, PDFs on every core.
    belasting = os.getloadavg()[0]
    cpu_voor = _cpu()
    start = time.perf_counter()
    reeks = maak_reeks(verzoeken, regio)
    totaal = time.perf_counter() - start
    cpu = _cpu() - cpu_voor
    belasting_na = os.getloadavg()[0]  # includes this run itself (up to 3 busy processes)
    assert len(reeks.gemaakt) == args.aantal and not reeks.fouten, reeks

    # One at a time: what the lifecycle's maak_brief does per occasion.
    enkel = min(100, args.aantal)
    duren = []
    referentie_van = {casus_id: referentie for referentie, casus_id in casus_ids.items()}
    for casus_id, soort, _, gegevens in verzoeken[:enkel]:
        begin = time.perf_counter()
        maak_brieven(referentie_van[casus_id], soort, "enkel", gegevens, regio)
        duren.append(time.perf_counter() - begin)

    pdfs = list((map_ / "data" / "brieven").rglob("*.pdf"))
    grootte = sum(p.stat().st_size for p in pdfs) / len(pdfs)
    duren.sort()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{args.aantal} brieven naar PDF in één reeks (incl. archief en database): {totaal:.1f} s "
          f"({args.aantal / totaal:.1f} brieven/s)")
    print(f"  CPU-tijd (dit proces + PDF-processen): {cpu:.1f} s = {cpu / args.aantal * 1000:.0f} ms per brief; "
          f"load average bij start/einde: {belasting:.1f}/{belasting_na:.1f} "
          f"(andere processen op de machine remmen de kloktijd)")
    print(f"{enkel} brieven één voor één (maak_brief): mediaan {statistics.median(duren) * 1000:.0f} ms, "
          f"p95 {duren[int(len(duren) * 0.95) - 1] * 1000:.0f} ms, max {duren[-1] * 1000:.0f} ms per brief")
    print(f"PDF's in archief: {len(pdfs)}, gemiddeld {grootte / 1024:.0f} KiB")
    print(f"doel < 60 s voor 1000 brieven: {'gehaald' if totaal * 1000 / args.aantal < 60 else 'NIET gehaald'}")


if __name__ == "__main__":
    main()

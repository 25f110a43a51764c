"""Make the example report in this folder from fictional data (the demo region's eight
municipalities, synthetic history from the benchmark's seeder): the PDF as the overleg receives
it, its first page as PNG (pdftoppm), the chart and the region's CSV.

    .venv/bin/python docs/voorbeeldrapport/maak_voorbeeld.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HIER = Path(__file__).resolve().parent
sys.path[:0] = [str(HIER.parent.parent), str(HIER.parent.parent / "benchmarks")]


def main() -> None:
    from cryptography.fernet import Fernet

    os.environ.setdefault("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    from sqlmodel import Session

    from models.opslag.db import maak_engine, migreer
    from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen
    from models.regels.kalender import AMSTERDAM
    from models.dossier.knelpunt import KnelpuntInvoer, voeg_toe
    from models.regels.perioden import laatste_periode
    from models.opslag.typen import nu
    from rapportage_benchmark import zaai
    from tasks.rapportage import rapportcijfers, schrijf_rapportbestanden

    regio = laad_instellingen(DEMO_INSTELLINGEN)
    with tempfile.TemporaryDirectory(prefix="vt-voorbeeld-") as tmp:
        url = f"sqlite:///{tmp}/voorbeeld.db"
        migreer(url)
        engine = maak_engine(url)
        moment = nu()
        zaai(engine, regio, aantal_meldingen=30_000, jaren=3, nu=moment, verschil=4)  # ~10,000 a year
        periode = laatste_periode(regio.rapportage, moment.astimezone(AMSTERDAM).date())
        with Session(engine) as session, session.begin():
            for gemeente, tekst in [
                (None, "Twee vacatures in het onderzoeksteam; werving loopt, verwachte invulling over zes weken."),
                ("GM0983", "Overdrachtstafel Venlo is twee keer niet doorgegaan door ziekte bij het wijkteam."),
            ]:
                voeg_toe(session, KnelpuntInvoer(periode_eind=periode.eind, gemeente_code=gemeente, tekst=tekst,
                                                 door="teamleider (voorbeeld)"), regio)
        with Session(engine) as session:
            cijfers = rapportcijfers(session, regio, periode, regio.capaciteit)
        bestanden = schrijf_rapportbestanden(cijfers, 1, Path(tmp) / "rapport")
        engine.dispose()
        map_ = Path(tmp) / "rapport"
        pdf = next(n for n in bestanden if n.endswith(".pdf"))
        png = next(n for n in bestanden if n.endswith(".png"))
        csv = next(n for n in bestanden if n.endswith(".csv") and "-regio-" in n)
        shutil.copy(map_ / pdf, HIER / "voorbeeldrapport.pdf")
        shutil.copy(map_ / png, HIER / "voorbeeldrapport-grafiek.png")
        shutil.copy(map_ / csv, HIER / "voorbeeldrapport-regio.csv")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(HIER / "voorbeeldrapport.pdf"), str(HIER / "voorbeeldrapport-pagina-1")], check=True)
    print(f"Voorbeeldrapport t/m {periode.eind} in {HIER}")


if __name__ == "__main__":
    main()

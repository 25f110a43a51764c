"""Make the example ZGW export in this folder: a few demo casussen as Zaken API 1.5.1 resources,
exactly as `vt export zgw` writes them, with the demo settings (no persons).

    .venv/bin/python docs/voorbeelden/zgw/voorbeelden.py

Uses a throw-away SQLite file and the demo data (models/dossier/demo.py: fictional, fixed seed
and date), one suspended and one extended term; every file passes the schemas.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from cryptography.fernet import Fernet  # noqa: E402

os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()  # a throw-away key: the store is thrown away

from sqlmodel import Session, select  # noqa: E402

from models.dossier.demo import breng_demo_casussen_verder, demo_meldingen  # noqa: E402
from models.dossier.registratie import registreer_meldingen  # noqa: E402
from models.dossier.wijzigingen import open_termijnen, schort_op, verleng  # noqa: E402
from models.lezen.zgw import te_exporteren, zaakgegevens  # noqa: E402
from models.opslag.casus import Casus  # noqa: E402
from models.opslag.db import maak_engine, migreer  # noqa: E402
from models.opslag.regio import synchroniseer  # noqa: E402
from models.regels.instellingen import DEMO_INSTELLINGEN, TermijnSoort, laad_instellingen  # noqa: E402
from models.regels.kalender import werkkalender  # noqa: E402
from models.regels.levensloop import Status  # noqa: E402
from models.regels.zgw import zgw_zaak  # noqa: E402
from models.regels.zgw_schema import controleer  # noqa: E402

MAP = Path(__file__).resolve().parent
NU = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


def main() -> None:
    regio = laad_instellingen(DEMO_INSTELLINGEN)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        migreer(url)
        engine = maak_engine(url)
        with Session(engine) as session, session.begin():
            synchroniseer(session, regio)
            registreer_meldingen(session, demo_meldingen(regio, 60, nu=NU), regio, actor="demo-data")
            breng_demo_casussen_verder(session, NU)
            opgeschort, verlengd = session.exec(select(Casus).where(
                Casus.status == Status.veiligheidsbeoordeling.value).order_by(Casus.id).limit(2)).all()
            schort_op(session, opgeschort, open_termijnen(session, opgeschort, TermijnSoort.veiligheidsbeoordeling)[0],
                      "demo-data", "Wacht op informatie van de school", tijdstip=NU)
            termijn = open_termijnen(session, verlengd, TermijnSoort.veiligheidsbeoordeling)[0]
            verleng(session, verlengd, termijn, termijn.vervalt_op + dt.timedelta(days=7), "demo-data",
                    "Gezin pas volgende week bereikbaar", tijdstip=NU)
            gekozen = {opgeschort.referentie, verlengd.referentie}
            for status in (Status.afgesloten, Status.monitoring):
                gekozen.add(session.exec(select(Casus.referentie).where(Casus.status == status.value)
                                         .order_by(Casus.id)).first())
        with Session(engine) as session:
            ids = te_exporteren(session)
            zaken = [zgw_zaak(g, regio, werkkalender(regio)) for g in zaakgegevens(session, ids, personen=False)]
        engine.dispose()
    for oud in MAP.glob("VT-*.json"):
        oud.unlink()
    for zaak in zaken:
        if zaak.referentie in gekozen:
            assert controleer(zaak) == [], controleer(zaak)
            (MAP / f"{zaak.referentie}.json").write_text(
                json.dumps(zaak.als_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(MAP / f"{zaak.referentie}.json")


if __name__ == "__main__":
    main()

"""Make the example report in this folder from fictional data (the demo region's eight
municipalities, synthetic history from the benchmark's seeder, Helmond's plustaken recorded
through the writers): the PDF as the overleg receives it, its first page as PNG (pdftoppm), the
chart and the region's CSV. tests/test_voorbeeldrapport.py runs it small, so it cannot silently
break again.

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


def main(uit: Path = HIER, aantal_meldingen: int = 30_000) -> None:
    """The example into `uit` (this folder; a test makes a small one elsewhere)."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    from sqlmodel import Session

    from models.opslag.db import maak_engine, migreer
    from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen
    from models.regels.kalender import AMSTERDAM
    from models.dossier.knelpunt import KnelpuntInvoer, voeg_toe
    from models.lezen.inloopplan import vensterperioden
    from models.lezen.rapportage import archiveer
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
        zaai(engine, regio, aantal_meldingen=aantal_meldingen, jaren=3, nu=moment, verschil=4)  # ~10,000 a year
        periode = laatste_periode(regio.rapportage, moment.astimezone(AMSTERDAM).date())
        with Session(engine) as session, session.begin():
            for gemeente, tekst in [
                (None, "Twee vacatures in het onderzoeksteam; werving loopt, verwachte invulling over zes weken."),
                ("GM0983", "Overdrachtstafel Venlo is twee keer niet doorgegaan door ziekte bij het wijkteam."),
            ]:
                voeg_toe(session, KnelpuntInvoer(periode_eind=periode.eind, gemeente_code=gemeente, tekst=tekst,
                                                 door="teamleider (voorbeeld)"), regio)
        plustaken(engine, regio, periode)
        with Session(engine) as session, session.begin():
            # The reports of the inloopplan's block went out before this one (it reads what they showed).
            for eerder in vensterperioden(regio, periode.eind):
                archiveer(session, rapportcijfers(session, regio, eerder, regio.capaciteit), 1, Path(tmp) / "eerder",
                          {"rapport.pdf": "0" * 64}, "rapport.pdf")
        with Session(engine) as session:
            cijfers = rapportcijfers(session, regio, periode, regio.capaciteit)
        bestanden = schrijf_rapportbestanden(cijfers, 1, Path(tmp) / "rapport")
        engine.dispose()
        map_ = Path(tmp) / "rapport"
        pdf = next(n for n in bestanden if n.endswith(".pdf"))
        png = next(n for n in bestanden if n.endswith(".png"))
        csv = next(n for n in bestanden if n.endswith(".csv") and "-regio-" in n)
        shutil.copy(map_ / pdf, uit / "voorbeeldrapport.pdf")
        shutil.copy(map_ / png, uit / "voorbeeldrapport-grafiek.png")
        shutil.copy(map_ / csv, uit / "voorbeeldrapport-regio.csv")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(uit / "voorbeeldrapport.pdf"), str(uit / "voorbeeldrapport-pagina-1")], check=True)
    print(f"Voorbeeldrapport t/m {periode.eind} in {uit}")


HELMOND = "GM0794"  # the demo region's gemeente with plustaken


def plustaken(engine, regio, periode) -> None:
    """Helmond's plustaken through the writers, as staff record them: two activities in the
    period and one earlier this year, and seven onderzoeken started together with its sociaal
    team in the period (fictional households, decided on days of the period)."""
    import datetime as dt

    from sqlmodel import Session

    from models.dossier import voortgang
    from models.dossier.plustaken import ActiviteitInvoer, registreer_activiteit
    from models.dossier.registratie import MeldingInvoer, registreer_meldingen
    from models.dossier.wijzigingen import casus_op_referentie
    from models.regels.besluiten import BesluitNaVeiligheidsbeoordeling
    from models.regels.instellingen import CapaciteitsModus
    from models.regels.kalender import AMSTERDAM
    from models.regels.levensloop import Status

    activiteiten = [(periode.start, "voorlichting", "pedagogisch medewerkers kinderdagverblijf", 3, 22),
                    (periode.eind - dt.timedelta(days=4), "deskundigheidsbevordering", "werkoverleg sociaal team", 1.5, 9),
                    (dt.date(periode.eind.year, 3, 12), "voorlichting", "leerkrachten basisschool", 2.5, 31)]
    with Session(engine) as session, session.begin():
        for datum, soort, doelgroep, uren, deelnemers in activiteiten:
            registreer_activiteit(session, ActiviteitInvoer(datum=datum, gemeente_code=HELMOND, soort=soort,
                                                            doelgroep=doelgroep, uren=uren, deelnemers=deelnemers,
                                                            door="medewerker (voorbeeld)"), regio, periode.eind)
    echte_klok = voortgang.nu
    try:
        for n in range(7):
            moment = dt.datetime.combine(periode.start + dt.timedelta(days=1 + n), dt.time(10), tzinfo=AMSTERDAM)
            voortgang.nu = lambda moment=moment: moment  # the writers' clock: the decision lies in the period
            melding = MeldingInvoer.model_validate(dict(
                ontvangen_op=moment - dt.timedelta(days=2), gemeente_code=HELMOND, kanaal="telefoon",
                urgentie="regulier", omschrijving="Fictieve melding voor het voorbeeldrapport",
                melder=dict(soort="professional", naam="Fictieve melder", telefoon="0600000000"),
                adres=dict(straat_huisnummer=f"Voorbeeldstraat {n + 1}", postcode="9999 ZZ", woonplaats="Demodorp"),
                personen=[dict(rol="kind", naam="Fictief kind", geboortedatum="2019-05-06")]))
            with Session(engine) as session, session.begin():
                [geregistreerd] = registreer_meldingen(session, [melding], regio, actor="intake (voorbeeld)")
                casus = casus_op_referentie(session, geregistreerd.casus_referentie)
                for status in (Status.veiligheidscheck, Status.veiligheidsbeoordeling):
                    voortgang.ga_naar(session, casus, status, "medewerker (voorbeeld)", regio, tijdstip=moment)
                invoer = BesluitNaVeiligheidsbeoordeling(door="medewerker (voorbeeld)", besluit="onderzoek",
                                                         samen_optrekken=True, lokaal_team="HEL-ST",
                                                         samen_start_op=moment + dt.timedelta(days=3))
                ctx = voortgang.context(session, casus, regio, CapaciteitsModus.normaal, moment)
                voortgang.leg_beslissing_vast(session, casus, f"{casus.referentie.lower()}-besluit-1", invoer, ctx, regio)
    finally:
        voortgang.nu = echte_klok


if __name__ == "__main__":
    main()

"""Make the example letters in this folder: one PDF of every kind on fictional data, plus a PNG
preview of its first page (pdftoppm, from poppler-utils).

    .venv/bin/python docs/letters/voorbeelden.py

Uses the real templates and settings (config/demo-regio.yaml); no database is needed. Every
name and address below is made up.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.brieven import inhoud as b  # noqa: E402
from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen  # noqa: E402

MAP = Path(__file__).resolve().parent
AMS = ZoneInfo("Europe/Amsterdam")

GEZIN = b.Geadresseerde(
    naam="Testpersoon Anna de Vries", aanhef="Beste Testpersoon Anna de Vries",
    adresregels=["Fictiestraat 12", "9999 AB  DEMODORP"], kanaal=b.BriefKanaal.post,
)
MELDER = b.Geadresseerde(
    naam="Huisarts Zorgvuldig", aanhef="Beste Huisarts Zorgvuldig",
    adresregels=["Praktijkweg 3", "9999 CC  ZORGSTAD"], kanaal=b.BriefKanaal.post,
)

VOORBEELDEN = {
    b.BriefSoort.melding_ontvangen: b.MeldingOntvangenGegevens(),
    b.BriefSoort.wachtlijst: b.WachtlijstGegevens(wacht_sinds=dt.date(2026, 10, 1)),
    b.BriefSoort.overdracht_bevestiging: b.OverdrachtBevestigingGegevens(lokaal_team_code="GEN-SD", regie=b.Regie.lokaal_team),
    b.BriefSoort.uitnodiging_driegesprek: b.DriegesprekGegevens(
        lokaal_team_code="GEN-SD", datum=dt.datetime(2026, 12, 3, 14, 30, tzinfo=AMS),
        plaats="gemeentehuis", locatie="gemeentehuis",
    ),
    b.BriefSoort.afsluiting: b.AfsluitingGegevens(reden=b.AfsluitReden.overgedragen, lokaal_team_code="GEN-SD"),
    b.BriefSoort.terugkoppeling_veiligheidsbeoordeling: b.TerugkoppelingGegevens(
        besluit=b.TerugkoppelingBesluit.overdracht, lokaal_team_code="GEN-SD"
    ),
    b.BriefSoort.terugkoppeling_onderzoek: b.TerugkoppelingOnderzoekGegevens(
        besluit=b.TerugkoppelingBesluit.voorwaarden_en_vervolg, lokaal_team_code="GEN-SD"
    ),
}


def main() -> None:
    from models.regels.locaties import adres_van

    regio = laad_instellingen(DEMO_INSTELLINGEN)
    gennep = regio.gemeente("GM0907")
    for soort, gegevens in VOORBEELDEN.items():
        aan_melder = soort in b.AAN_MELDER
        inhoud = b.BriefInhoud(
            soort=soort, datum=dt.date(2026, 11, 23), afzender=regio.afzender,
            ontvanger=MELDER if aan_melder else GEZIN,
            casus=b.Casusfeiten(
                referentie="VT-2026-000042", kenmerk="VT-2026-000042-M1" if aan_melder else "VT-2026-000042",
                gemeente=gennep.naam, melding_ontvangen_op=dt.datetime(2026, 11, 16, 10, tzinfo=AMS),
            ),
            gegevens=gegevens, lokaal_team=b.lokaal_team(regio, getattr(gegevens, "lokaal_team_code", None)),
            gemeente_teams=list(gennep.lokale_teams), vb_termijn="5 werkdagen",
            bewaartermijn_jaren=regio.bewaartermijn_jaren,
            plaats_adres=adres_van(getattr(gegevens, "locatie", None), regio, gennep.code,
                                   getattr(gegevens, "lokaal_team_code", None)),
        )
        pdf = MAP / f"{soort.value}.pdf"
        pdf.write_bytes(b.render_pdf(b.render_html(inhoud)))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(MAP / soort.value)], check=True)
        print(pdf.relative_to(MAP.parents[1]))


if __name__ == "__main__":
    main()

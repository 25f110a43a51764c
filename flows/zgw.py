"""The ZGW export: every casus as Zaken API 1.5.1 resources (zaak, statussen, resultaat, rollen)
for a municipal case system such as Open Zaak. Parameters, logs, results and the artifact carry
a date, a case reference and counts only; the files go to the operator's folder (VT_ZGW_MAP)."""

from __future__ import annotations

from prefect import flow
from prefect.states import Failed

from models.regels.zgw import ALLE, exportkeuze
from tasks.zgw import ZgwExport, publiceer_exportverslag, schrijf_zgw_export


@flow(name="zgw-export", log_prints=False)
def zgw_exporteren(sinds: str = ALLE, casus: str = ALLE) -> ZgwExport:
    """Schrijf de casussen als ZGW-zaken (Zaken API 1.5.1), elk in een eigen JSON-bestand. Past één
    resource niet op de specificatie, dan wordt niets geschreven en noemt de run casus en veld.

    Args:
        sinds: alleen casussen met een wijziging vanaf deze dag (dag-maand-jaar), of 'alle'.
        casus: alleen deze casus (casusnummer, bijv. VT-2026-000123), of 'alle'.
    """
    try:
        sinds, casus = exportkeuze(sinds, casus)
    except ValueError as exc:  # said in Dutch on the run, no traceback
        return Failed(name="Niet gedaan", message=str(exc))
    uitkomst: ZgwExport = schrijf_zgw_export(sinds, casus)
    publiceer_exportverslag(uitkomst, sinds, casus)
    if uitkomst.geweigerd:
        meer = f"; en nog {uitkomst.meer_fouten} fout(en)" if uitkomst.meer_fouten else ""
        return Failed(name="Geweigerd", message="ZGW-export geweigerd, niets geschreven: "
                      + "; ".join(uitkomst.fouten) + meer)
    return uitkomst

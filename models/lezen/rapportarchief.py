"""The report archive as a municipality sees it: per period, the newest version of its own CSV
(`tasks.rapportage.schrijf_rapportbestanden` writes <archive>/<period end>/v<n>/ with one CSV per
municipality). The regional PDF names every municipality, so a municipality gets only its own file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

RAPPORTMAP = "rapporten"  # the archive: <VT_DATA_MAP>/rapporten/
_VERSIE = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class Gemeenterapport:
    periode_eind: dt.date
    versie: int
    pad: Path

    @property
    def sleutel(self) -> str:
        """How the gateway names the file in a link: period end and version, nothing else."""
        return f"{self.periode_eind.isoformat()}-v{self.versie}"


def gemeenterapporten(archief: Path, gemeente_code: str) -> list[Gemeenterapport]:
    """The reports of one municipality, newest period first."""
    rapporten = []
    if not archief.is_dir():
        return rapporten
    for periode in archief.iterdir():
        try:
            eind = dt.date.fromisoformat(periode.name)
        except ValueError:
            continue
        versies = sorted((int(m.group(1)), v) for v in periode.iterdir() if (m := _VERSIE.match(v.name)))
        for versie, map_ in reversed(versies):
            eigen = sorted(map_.glob(f"rapportage-{eind.isoformat()}-{gemeente_code.lower()}-*.csv"))
            if eigen:
                rapporten.append(Gemeenterapport(eind, versie, eigen[0]))
                break
    return sorted(rapporten, key=lambda r: r.periode_eind, reverse=True)

"""Named fault-injection points ("failpoints") for the crash tests.

In production a point does nothing but one environment lookup. A crash test sets
`VT_STORINGSPUNTEN` to a folder and creates `<naam>.actief` in it: the first process that
reaches the point renames that file to `<naam>.geraakt` and then waits there, so the test can
`kill -9` the process tree at exactly that moment of a decision or an intake.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

MAP_VARIABELE = "VT_STORINGSPUNTEN"


def storingspunt(naam: str) -> None:
    map_ = os.environ.get(MAP_VARIABELE)
    if not map_:
        return
    actief = Path(map_) / f"{naam}.actief"
    try:
        actief.rename(actief.with_suffix(".geraakt"))  # atomic: only the first process waits here
    except FileNotFoundError:
        return
    while True:  # until the test kills this process
        time.sleep(3600)

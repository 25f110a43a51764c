"""Named fault-injection points ("failpoints") for the crash tests.

In production a point does nothing but one environment lookup. A crash test sets
`VT_STORINGSPUNTEN` to a folder and creates `<naam>.actief` in it: the first process that
reaches the point renames that file to `<naam>.geraakt`, writes its process id in it and then
waits there, so the test can `kill -9` the process tree (or the machine it runs on: the cluster
test finds the worker by that id) at exactly that moment of a decision or an intake.
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
    geraakt = actief.with_suffix(".geraakt")
    try:
        actief.rename(geraakt)  # atomic: only the first process waits here
    except FileNotFoundError:
        return
    geraakt.write_text(str(os.getpid()))
    while True:  # until the test kills this process
        time.sleep(3600)

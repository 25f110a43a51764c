"""Folders and files at rest: letters and reports are readable by the system's own user only;
the print queue also by the mail room's group, when the settings name one.

    archive (letters, reports)   folders 0700, files 0600
    print queue                  folders 0750, files 0640, group brieven.printwachtrij_groep
"""

from __future__ import annotations

import grp
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Toegang:
    map: int
    bestand: int
    groep: str | None = None

    @property
    def gid(self) -> int:
        """The group's id, or -1 (chown leaves the group as it is)."""
        return -1 if self.groep is None else grp.getgrnam(self.groep).gr_gid


PRIVE = Toegang(map=0o700, bestand=0o600)


def printwachtrij_toegang(groep: str | None) -> Toegang:
    return Toegang(map=0o750, bestand=0o640, groep=groep)


def maak_map(map_: Path, toegang: Toegang, basis: Path | None = None) -> None:
    """Create `map_` and give it and every folder from `basis` down to it the access of `toegang`,
    also when they exist already (a folder made before this rule is closed on the next write).
    A folder of another user (e.g. a print queue the mail room owns) is left as its owner set it."""
    map_.mkdir(parents=True, exist_ok=True)
    basis = basis or map_
    for niveau in [map_, *(p for p in map_.parents if p.is_relative_to(basis))]:
        stat = niveau.stat()
        if stat.st_uid != os.geteuid():
            continue
        if stat.st_mode & 0o7777 != toegang.map:
            os.chmod(niveau, toegang.map)
        if toegang.groep is not None and stat.st_gid != toegang.gid:
            os.chown(niveau, -1, toegang.gid)


def beperk_bestand(fd: int, toegang: Toegang) -> None:
    """Give an open file the access of `toegang` before it gets its final name."""
    os.fchmod(fd, toegang.bestand)
    if toegang.groep is not None:
        os.fchown(fd, -1, toegang.gid)

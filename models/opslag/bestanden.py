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
    """Create `map_` and the folders from `basis` down to it. A new folder gets exactly the mode
    of `toegang`; an existing one loses what `toegang` gives nobody (others, and for the archive
    the group too), so a folder left world-readable by an earlier version is closed on the next
    write, while a group-write bit the administrator gave the mail room (to delete printed
    letters) stays. A folder of another user is left as its owner set it."""
    basis = basis or map_
    basis.parent.mkdir(parents=True, exist_ok=True)
    for niveau in [*reversed([p for p in map_.parents if p.is_relative_to(basis)]), map_]:
        try:
            niveau.mkdir()
            nieuw = True
        except FileExistsError:
            nieuw = False
        _beperk_map(niveau, toegang, nieuw)


def _beperk_map(map_: Path, toegang: Toegang, nieuw: bool) -> None:
    stat = map_.stat()
    if stat.st_uid != os.geteuid():
        return
    niemand = (0o070 if not toegang.map & 0o070 else 0) | (0o007 if not toegang.map & 0o007 else 0)
    modus = toegang.map if nieuw else stat.st_mode & 0o7777 & ~niemand
    if stat.st_mode & 0o7777 != modus:
        os.chmod(map_, modus)
    if toegang.groep is not None and stat.st_gid != toegang.gid:
        os.chown(map_, -1, toegang.gid)


def beperk_bestand(fd: int, toegang: Toegang) -> None:
    """Give an open file the access of `toegang` before it gets its final name."""
    os.fchmod(fd, toegang.bestand)
    if toegang.groep is not None:
        os.fchown(fd, -1, toegang.gid)

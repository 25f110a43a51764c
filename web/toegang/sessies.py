"""Sessions of the gateway: who is logged in, since when idle, and the CSRF token of their forms.

A session is a row in the case store (`models.opslag.toegang.Poortsessie`), so every gateway
process on the same database knows it: the cluster runs two gateways behind a load balancer
without sticky sessions, and a restart of a gateway logs no one out. The browser holds only the
session's random id, signed (itsdangerous) with the gateway's secret, in a cookie that is
HttpOnly, SameSite=Lax and Secure behind TLS; the row is keyed by the id's SHA-256, so whoever
reads the database cannot take over a session. Logging out deletes the row: the session ends on
every gateway at once; a changed cookie is recognised as tampered with. Every gateway of a region
needs the same secret (`gedeeld_geheim`).

Wrong passwords (`Pogingen`) are counted per gateway process: with two gateways, a guesser gets
at most twice the attempts before the delay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Engine
from sqlmodel import Session

from models.opslag.toegang import (Poortsessie, beeindig_poortsessie, lees_poortsessie, raak_poortsessie_aan,
                                   ruim_poortsessies_op)
from models.opslag.typen import nu
from models.regels.toegang import Gebruiker, Rol

COOKIE = "vt_sessie"
INLOG_COOKIE = "vt_inloggen"  # the CSRF token of the log-in form, before there is a session
GEHEIM_BESTAND = "toegangspoort.geheim"  # in VT_DATA_MAP, when VT_POORT_GEHEIM is not set

# The last activity is written at most once per this many seconds per session (and at most once
# per twentieth of the idle time), not on every request: every request of the Prefect UI reads the
# session (one primary-key read), and a write each time would make each of them a transaction on
# the shared database (on SQLite: its one write lock). So a session may expire up to this much
# early: 45 s of the default 15 minutes.
MAX_SCHRIJFINTERVAL_SECONDEN = 60


@dataclass
class Sessie:
    gebruiker: Gebruiker
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class Ongeldig(Exception):
    """The cookie was changed (tampered with): the gateway shows a Dutch page and forgets it."""


class Verlopen(Exception):
    """The session existed but was idle too long, or was ended by logging out."""


def _sleutel(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessies:
    def __init__(self, engine: Engine, geheim: bytes, idle_seconden: float) -> None:
        self.engine = engine
        self._ondertekenaar = URLSafeSerializer(geheim, salt="vt-sessie")
        self._idle = dt.timedelta(seconds=idle_seconden)
        self._schrijfinterval = dt.timedelta(seconds=min(MAX_SCHRIJFINTERVAL_SECONDEN, idle_seconden / 20))

    def begin(self, gebruiker: Gebruiker) -> tuple[str, Sessie]:
        """A new session (a new id after log-in: no session fixation). Returns the cookie value.
        Expired rows are cleaned up here: at each log-in, often enough to keep the table small."""
        sid, sessie, moment = secrets.token_urlsafe(32), Sessie(gebruiker), nu()
        with Session(self.engine) as session, session.begin():
            ruim_poortsessies_op(session, moment - self._idle)
            session.add(Poortsessie(sleutel=_sleutel(sid), account=gebruiker.account, naam=gebruiker.naam,
                                    rollen=sorted(r.value for r in gebruiker.rollen), gemeente=gebruiker.gemeente,
                                    csrf=sessie.csrf, aangemaakt=moment, laatst=moment))
        return self._ondertekenaar.dumps(sid), sessie

    def lees(self, cookie: str | None, activiteit: bool = True) -> Sessie | None:
        """The session of this cookie; with `activiteit` its idle time starts again. None without
        a cookie; `Ongeldig` for a changed cookie, `Verlopen` for one that expired or was logged out.
        A blocking call of about a millisecond (one primary-key read; now and then a write)."""
        if not cookie:
            return None
        try:
            sleutel = _sleutel(self._ondertekenaar.loads(cookie))
        except BadSignature as exc:
            raise Ongeldig() from exc
        with Session(self.engine) as session, session.begin():
            rij, moment = lees_poortsessie(session, sleutel), nu()
            if rij is not None and moment - rij.laatst > self._idle:
                beeindig_poortsessie(session, sleutel)
                rij = None
            if rij is not None:
                if activiteit and moment - rij.laatst >= self._schrijfinterval:
                    raak_poortsessie_aan(session, sleutel, moment)
                sessie = Sessie(Gebruiker(account=rij.account, naam=rij.naam, gemeente=rij.gemeente,
                                          rollen=frozenset(Rol(r) for r in rij.rollen)), csrf=rij.csrf)
        if rij is None:
            raise Verlopen()
        return sessie

    def beeindig(self, cookie: str | None) -> None:
        """Log out: the row goes, so the cookie opens nothing on any gateway any more."""
        try:
            sleutel = _sleutel(self._ondertekenaar.loads(cookie or ""))
        except BadSignature:
            return
        with Session(self.engine) as session, session.begin():
            beeindig_poortsessie(session, sleutel)


def gedeeld_geheim(geheim: str | None, data_map: Path) -> bytes:
    """The key that signs the gateway's cookies: VT_POORT_GEHEIM when set (every gateway machine
    the same value), else the file in the data folder, made at the first start (0600). The same on
    every gateway and across restarts: a cookie signed by one gateway is valid on the others."""
    if geheim:
        if len(geheim) < 32:
            raise ValueError("VT_POORT_GEHEIM is te kort: gebruik minstens 32 willekeurige tekens.")
        return geheim.encode()
    pad = data_map / GEHEIM_BESTAND
    if not pad.exists():
        data_map.mkdir(parents=True, exist_ok=True)
        tijdelijk = pad.with_name(f"{GEHEIM_BESTAND}.{os.getpid()}")
        descriptor = os.open(tijdelijk, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as uit:
            uit.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tijdelijk, pad)  # atomic: of two gateways starting at once, one file wins
        except FileExistsError:
            pass
        finally:
            tijdelijk.unlink()
    return pad.read_bytes().strip()


def zelfde_token(verwacht: str | None, gegeven: str | None) -> bool:
    return bool(verwacht) and bool(gegeven) and hmac.compare_digest(verwacht, gegeven)


class Pogingen:
    """Wrong passwords per account: after `maximum` in a row, log-in for that account waits
    `vertraging` seconds, doubling with every further wrong one; a right password resets it. Per
    account, not per address: guessing one person's password from many addresses is slowed too."""

    def __init__(self, maximum: int, vertraging: float) -> None:
        self.maximum, self.vertraging = maximum, vertraging
        self._fout: dict[str, tuple[int, float]] = {}  # account -> (wrong in a row, not before)

    def wacht_nog(self, account: str) -> float:
        """Seconds before this account may try again (0: now)."""
        _, niet_voor = self._fout.get(account.lower(), (0, 0.0))
        return max(0.0, niet_voor - time.monotonic())

    def fout(self, account: str) -> None:
        aantal, _ = self._fout.get(account.lower(), (0, 0.0))
        aantal += 1
        wachten = self.vertraging * 2 ** (aantal - self.maximum) if aantal >= self.maximum else 0.0
        self._fout[account.lower()] = (aantal, time.monotonic() + wachten)

    def goed(self, account: str) -> None:
        self._fout.pop(account.lower(), None)

"""Sessions of the gateway: who is logged in, since when idle, and the CSRF token of their forms.

A session lives in the gateway's memory; the browser holds only its random id, signed
(itsdangerous), in a cookie that is HttpOnly, SameSite=Lax and Secure behind TLS. So logging out
really ends it, a changed cookie is recognised as tampered with, and a restart of the gateway
logs everyone out (they log in again; nothing else is lost). One gateway process serves a region.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer

from models.regels.toegang import Gebruiker

COOKIE = "vt_sessie"
INLOG_COOKIE = "vt_inloggen"  # the CSRF token of the log-in form, before there is a session


@dataclass
class Sessie:
    gebruiker: Gebruiker
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    laatst: float = field(default_factory=time.monotonic)


class Ongeldig(Exception):
    """The cookie was changed (tampered with): the gateway shows a Dutch page and forgets it."""


class Verlopen(Exception):
    """The session existed but was idle too long, or was ended by logging out."""


class Sessies:
    def __init__(self, geheim: bytes, idle_seconden: float) -> None:
        self._ondertekenaar = URLSafeSerializer(geheim, salt="vt-sessie")
        self._idle = idle_seconden
        self._open: dict[str, Sessie] = {}

    def begin(self, gebruiker: Gebruiker) -> tuple[str, Sessie]:
        """A new session (a new id after log-in: no session fixation). Returns the cookie value."""
        self._ruim_op()
        sid = secrets.token_urlsafe(32)
        sessie = self._open[sid] = Sessie(gebruiker)
        return self._ondertekenaar.dumps(sid), sessie

    def lees(self, cookie: str | None, activiteit: bool = True) -> Sessie | None:
        """The session of this cookie; with `activiteit` its idle time starts again. None without
        a cookie; `Ongeldig` for a changed cookie, `Verlopen` for one that expired or was logged out."""
        if not cookie:
            return None
        try:
            sid = self._ondertekenaar.loads(cookie)
        except BadSignature as exc:
            raise Ongeldig() from exc
        sessie = self._open.get(sid)
        nu = time.monotonic()
        if sessie is None or nu - sessie.laatst > self._idle:
            self._open.pop(sid, None)
            raise Verlopen()
        if activiteit:
            sessie.laatst = nu
        return sessie

    def beeindig(self, cookie: str | None) -> None:
        try:
            self._open.pop(self._ondertekenaar.loads(cookie or ""), None)
        except BadSignature:
            pass

    def _ruim_op(self) -> None:
        grens = time.monotonic() - self._idle
        for sid in [s for s, sessie in self._open.items() if sessie.laatst < grens]:
            del self._open[sid]


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

"""The writers of access: local accounts (created, password set) and the access log (one line
per dossier view, letter download, search and decision). The access log only grows."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from models.opslag.toegang import Account, Inzage
from models.regels.toegang import Gebruiker, Rol

_HASHER = PasswordHasher()
# Verifying against this hash when the account does not exist costs the same time as a real
# check: the answer's timing does not tell which account names exist.
_LEGE_HASH = _HASHER.hash(secrets.token_urlsafe(16))

WAT = {  # the codes of the access log, in the words beheer reads
    "dossier_bekeken": "dossier bekeken",
    "brief_geopend": "brief geopend",
    "gezocht": "gezocht",
    "gezocht_casusnummer": "gezocht op casusnummer",
    "gezocht_bsn": "gezocht op BSN",
    "gezocht_adres": "gezocht op postcode en huisnummer",
    "besluit": "besluit genomen",
}


def inzagecode(wat: str) -> str:
    """The code of an access-log line, given as its code or in the words beheer reads (as the
    dossier pages pass it)."""
    return next((code for code, woorden in WAT.items() if wat in (code, woorden)), wat)


def maak_account(session: Session, account: str, naam: str, rollen: list[Rol], wachtwoord: str,
                 gemeente: str | None = None) -> Account:
    if session.get(Account, account) is not None:
        raise ValueError(f"account {account} bestaat al")
    if Rol.gemeente in rollen and not gemeente:
        raise ValueError("een account met de rol gemeente hoort bij één gemeente (gemeentecode)")
    rij = Account(account=account, naam=naam, rollen=[Rol(r).value for r in rollen], gemeente=gemeente,
                  wachtwoord_hash=_HASHER.hash(wachtwoord))
    session.add(rij)
    return rij


def zet_wachtwoord(session: Session, account: str, wachtwoord: str) -> None:
    rij = session.get(Account, account)
    if rij is None:
        raise ValueError(f"account {account} bestaat niet")
    rij.wachtwoord_hash = _HASHER.hash(wachtwoord)


def controleer_wachtwoord(session: Session, account: str, wachtwoord: str) -> Gebruiker | None:
    """The person when the account exists, is active and the password matches; else None."""
    rij = session.get(Account, account)
    try:
        _HASHER.verify(rij.wachtwoord_hash if rij and rij.actief else _LEGE_HASH, wachtwoord)
    except (VerificationError, InvalidHashError):
        return None
    if rij is None or not rij.actief:
        return None
    return Gebruiker(account=rij.account, naam=rij.naam, rollen=frozenset(Rol(r) for r in rij.rollen),
                     gemeente=rij.gemeente)


def schrijf_inzage(session: Session, account: str, wat: str, casus_referentie: str | None,
                   adres: str | None) -> Inzage:
    wat = inzagecode(wat)
    if wat not in WAT:
        raise ValueError(f"onbekende soort inzage: {wat}")
    rij = Inzage(account=account, wat=wat, casus_referentie=casus_referentie, adres=(adres or None) and adres[:64])
    session.add(rij)
    return rij


def inzagen(session: Session, casus_referentie: str) -> list[Inzage]:
    """Who looked at (or decided on) this casus, oldest first."""
    return list(session.exec(select(Inzage).where(Inzage.casus_referentie == casus_referentie)
                             .order_by(Inzage.tijdstip, Inzage.id)))

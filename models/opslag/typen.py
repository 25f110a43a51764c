"""Column types: UTC timestamps on every database, and personal data encrypted at rest.

Personal data (names, BSN, addresses, birth dates, free text) is stored Fernet-encrypted with
the key(s) in VT_ENCRYPTION_KEY. Only code that reads or writes those columns needs the key:
deadline watch, reports and the audit trail never touch them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator


class SleutelOntbreekt(RuntimeError):
    """Personal data was read or written without VT_ENCRYPTION_KEY."""


@lru_cache(maxsize=4)
def _fernet(sleutels: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(s.strip().encode()) for s in sleutels.split(",") if s.strip()])
    except ValueError as exc:
        raise SleutelOntbreekt(
            "VT_ENCRYPTION_KEY is geen geldige Fernet-sleutel (32 bytes, url-safe base64)."
        ) from exc


def _sleutels() -> str:
    sleutels = os.environ.get("VT_ENCRYPTION_KEY", "").strip()
    if not sleutels:
        raise SleutelOntbreekt(
            "VT_ENCRYPTION_KEY ontbreekt: persoonsgegevens kunnen niet worden gelezen of opgeslagen."
        )
    return sleutels


def versleutel(waarde: str) -> str:
    return _fernet(_sleutels()).encrypt(waarde.encode("utf-8")).decode("ascii")


def ontsleutel(token: str) -> str:
    try:
        return _fernet(_sleutels()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SleutelOntbreekt("Persoonsgegevens zijn met een andere sleutel versleuteld.") from exc


def zoeksleutel(*delen: str) -> str:
    """A keyed hash (blind index) to find equal values, e.g. the same household, without
    decrypting. Derived from the first encryption key: rotating that key means re-indexing."""
    eerste = _sleutels().split(",")[0].strip().encode()
    genormaliseerd = "|".join(
        unicodedata.normalize("NFKC", d).casefold().replace(" ", "") for d in delen
    )
    return hmac.new(eerste, genormaliseerd.encode("utf-8"), hashlib.sha256).hexdigest()


class Versleuteld(TypeDecorator):
    """Text column holding personal data, encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else versleutel(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else ontsleutel(value)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored as UTC. Naive datetimes are refused: a deadline
    without a timezone is a bug waiting for the next daylight-saving change."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("tijdstip zonder tijdzone")
        value = value.astimezone(dt.timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            # SQLite hands back the stored text (naive UTC): parsing it with the offset appended
            # is several times faster than parsing and then replace(tzinfo=...), which the
            # deadline watch and the reports do for thousands of timestamps per query.
            return _utc_uit_sqlite_tekst
        return super().result_processor(dialect, coltype)


def _utc_uit_sqlite_tekst(waarde: str | None) -> dt.datetime | None:
    if waarde is None:
        return None
    try:
        return dt.datetime.fromisoformat(waarde + "+00:00")  # the stored form
    except ValueError:  # written by other means, e.g. with an offset of its own
        moment = dt.datetime.fromisoformat(waarde)
        return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def nu() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)

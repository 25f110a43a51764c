"""Database engine, sessions and migrations. SQLite file by default, PostgreSQL when
DATABASE_URL says so; the schema is owned by the alembic migrations in models/opslag/migrations."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

# Every table module, so SQLModel.metadata knows the whole schema.
from models.opslag import bewaartermijn, casus, communicatie, overdracht, plustaken, referenties, regio, toegang, werkdagen  # noqa: F401
from models.regels.instellingen import Omgeving

MIGRATIES = Path(__file__).resolve().parent / "migrations"


def _normaliseer(url: str) -> str:
    # psycopg 3 is the installed driver; accept the plain postgresql:// spelling too.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def maak_engine(url: str | None = None) -> Engine:
    url = _normaliseer(url or Omgeving().database_url)
    if url.startswith("sqlite"):
        pad = url.split("///", 1)[-1]
        if pad and pad != ":memory:":
            Path(pad).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error that gets logged must never show the values (personal data).
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


@lru_cache(maxsize=8)
def engine_voor(url: str) -> Engine:
    """One shared engine (and pool) per database URL per process."""
    return maak_engine(url)


@contextmanager
def sessie(url: str | None = None, *, expire_on_commit: bool = True) -> Iterator[Session]:
    """A unit of work: commits at the end, rolls back everything on any error.
    expire_on_commit=False keeps what was read usable after the session (read-only work whose
    results are carried into a later transaction)."""
    with Session(engine_voor(_normaliseer(url or Omgeving().database_url)), expire_on_commit=expire_on_commit) as session:
        with session.begin():
            yield session


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIES))
    config.set_main_option("sqlalchemy.url", _normaliseer(url).replace("%", "%%"))
    return config


def migreer(url: str | None = None) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(url or Omgeving().database_url), "head")

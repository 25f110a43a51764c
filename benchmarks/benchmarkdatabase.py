"""A fresh database for one benchmark run: a new SQLite file, or a new PostgreSQL database that
is dropped afterwards (server: VT_BENCHMARK_POSTGRES_URL, default the local one, trust auth).
Shared by the scripts in this folder, which run as `.venv/bin/python benchmarks/<script>.py`."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

POSTGRES_BEHEER = os.environ.get("VT_BENCHMARK_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def sqlite_database(map_: Path):
    yield f"sqlite:///{map_ / f'benchmark-{uuid.uuid4().hex[:8]}.db'}"


@contextlib.contextmanager
def postgresql_database():
    import psycopg
    from psycopg import sql

    naam = f"vt_benchmark_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_BEHEER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))
    try:
        yield POSTGRES_BEHEER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{naam}"
    finally:
        from models.opslag.db import engine_voor

        engine_voor.cache_clear()  # its pool holds connections to the database being dropped
        with psycopg.connect(POSTGRES_BEHEER, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(naam)))

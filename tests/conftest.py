"""Shared test fixtures.

- `prefect_server` (session): one Prefect server (subprocess, on a fresh PostgreSQL database) for
  the whole session. Not autouse: request it, use `@pytest.mark.usefixtures("prefect_server")`, or
  mark the test `@pytest.mark.prefect` (the marker pulls the fixture in).
- `database_url`: every test that uses it runs twice, ids `sqlite` and `postgresql`; each run gets
  its own fresh, empty database (a file in tmp_path, or a new PostgreSQL database that is dropped
  afterwards). An unreachable PostgreSQL FAILS the test, it never skips.
  Only one backend: `@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)`.
- `engine`: `database_url` with our schema migrated (`models.opslag.db.migreer`) and an engine on it.
- `encryption_key` (autouse): a fresh Fernet key in `VT_ENCRYPTION_KEY`, or the key of the
  served system a test uses (`systeem`, `achter_de_poort`).
- `instellingen`: the demo region's settings (config/demo-regio.yaml).
- `regio`: those settings active (VT_INSTELLINGEN) and synchronised into `engine`'s database, with
  DATABASE_URL and VT_DATA_MAP pointing at the test's database and folder.
- `smtp_server`: a real SMTP server (aiosmtpd) on 127.0.0.1 and a free port collecting messages.
- `systeem` (module): the served system the scenario modules share (`tests.served.GedeeldSysteem`):
  one case store, SMTP server and serving process for the session, started by the first test
  that asks for it and stopped after the last; its modules run one after another.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

# Before Prefect is imported: its own home for the test session (result storage, local files),
# so tests never read or write the developer's ~/.prefect, and the scan for personal data in
# Prefect's storage sees only what the tests produced.
if "PREFECT_HOME" not in os.environ:
    import tempfile

    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="vt-test-prefect-")
# Tasks called outside a flow run (in tests) cannot send their logs to the API: not a problem.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

# Maintenance connection used to create/drop one database per test. The machine's PostgreSQL uses
# trust auth on 127.0.0.1; both roles `postgres` and `root` work, we use `postgres`.
POSTGRES_BEHEER_URL = os.environ.get(
    "VT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_HOST_URL = POSTGRES_BEHEER_URL.rsplit("/", 1)[0].replace(
    "postgresql://", "postgresql+psycopg://", 1
)

_harness_opstarttijd: float | None = None


# --- Prefect ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A Prefect server for the whole test session, on its own fresh PostgreSQL database (as in
    production: on SQLite the server answers "database is locked" under the bursts of runs the
    lifecycle and crash tests make), in a subprocess; dropped afterwards."""
    global _harness_opstarttijd
    import prefect.context
    import prefect.settings
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.server.database.dependencies import temporary_database_interface
    from psycopg import sql

    naam = f"vt_test_prefect_{uuid.uuid4().hex[:12]}"
    with _postgres_beheer() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))
    database = POSTGRES_HOST_URL.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1) + f"/{naam}"
    start = time.monotonic()
    try:
        with temporary_database_interface(), prefect.settings.temporary_settings(
            updates={prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: database}
        ):
            server = SubprocessASGIServer(port=vrije_poort())
            server.start(timeout=90)  # a slow CI needs more than the default 30 s (PREFECT_NOTES.md)
            try:
                with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}), \
                        prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()):
                    _harness_opstarttijd = time.monotonic() - start
                    yield
            finally:
                server.stop()
    finally:
        with _postgres_beheer() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(naam)))


@pytest.fixture(autouse=True)
def _prefect_marker(request: pytest.FixtureRequest) -> None:
    """`@pytest.mark.prefect` on a test is enough to get the `prefect_server` fixture."""
    if request.node.get_closest_marker("prefect") is not None:
        request.getfixturevalue("prefect_server")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _harness_opstarttijd is not None:
        terminalreporter.write_line(
            f"Prefect test harness: server started in {_harness_opstarttijd:.1f} s"
        )


# --- the shared served system -----------------------------------------------------------------------

_GEDEELD = pytest.StashKey[object]()
_LAATSTE_GEBRUIKER = pytest.StashKey[pytest.Item]()


@pytest.fixture(scope="session")
def gedeeld_systeem(prefect_server, tmp_path_factory, pytestconfig):
    import prefect.settings

    from tests.served import GedeeldSysteem

    gedeeld = GedeeldSysteem(tmp_path_factory.mktemp("casussysteem"), prefect.settings.PREFECT_API_URL.value())
    pytestconfig.stash[_GEDEELD] = gedeeld
    yield gedeeld
    gedeeld.stop()


@pytest.fixture(scope="module")
def systeem(gedeeld_systeem):
    """The shared served system, with its settings, case store, key and data folder set for this
    module's tests (and only for them)."""
    from models.regels import instellingen as instellingen_module

    draaiend = gedeeld_systeem.start()
    with pytest.MonkeyPatch.context() as mp:
        for naam, waarde in draaiend.omgeving.items():
            mp.setenv(naam, waarde)
        instellingen_module._cache.clear()
        yield draaiend
    instellingen_module._cache.clear()


def pytest_collection_modifyitems(session, config, items: list) -> None:
    """The modules that use the shared served system run one after another (where the first of
    them stands), so it serves only while they run; its last test stops it."""
    gebruikers = [item for item in items if "gedeeld_systeem" in item.fixturenames]
    if not gebruikers:
        return
    modules = {item.path for item in gebruikers}
    samen = [item for item in items if item.path in modules]
    eerste = next(i for i, item in enumerate(items) if item.path in modules)
    rest = [item for item in items if item.path not in modules]
    items[:] = rest[:eerste] + samen + rest[eerste:]
    config.stash[_LAATSTE_GEBRUIKER] = [item for item in items if "gedeeld_systeem" in item.fixturenames][-1]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem) -> None:
    if item is item.config.stash.get(_LAATSTE_GEBRUIKER, None) and _GEDEELD in item.config.stash:
        item.config.stash[_GEDEELD].stop()


# --- databases ----------------------------------------------------------------------------------


def _postgres_beheer():
    import psycopg

    try:
        return psycopg.connect(POSTGRES_BEHEER_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        fout = str(exc).strip()
    pytest.fail(
        f"PostgreSQL is niet bereikbaar via {POSTGRES_BEHEER_URL}: {fout}\n"
        "De tests hebben een draaiende PostgreSQL op 127.0.0.1:5432 nodig; "
        "./test.sh start die (scripts/install.sh), of handmatig: "
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
        pytrace=False,
    )


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty database per test, as a SQLAlchemy URL; runs once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/casussen.db"
        return

    from psycopg import sql

    naam = f"vt_test_{uuid.uuid4().hex[:12]}"
    with _postgres_beheer() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(naam)))
    try:
        yield f"{POSTGRES_HOST_URL}/{naam}"
    finally:
        with _postgres_beheer() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(naam))
            )


@pytest.fixture
def engine(database_url: str):
    """An engine on `database_url` with the schema migrated to the newest version."""
    from models.opslag.db import maak_engine, migreer

    migreer(database_url)
    eng = maak_engine(database_url)
    yield eng
    eng.dispose()


# --- settings and secrets -------------------------------------------------------------------------


# Wider fixtures that start processes with a key of their own, set for their tests: such a test
# keeps that key, so it reads what those processes wrote.
_EIGEN_SLEUTEL = {"systeem", "achter_de_poort"}


@pytest.fixture(autouse=True)
def encryption_key(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh Fernet key in VT_ENCRYPTION_KEY for every test (but see `_EIGEN_SLEUTEL`)."""
    from cryptography.fernet import Fernet

    if _EIGEN_SLEUTEL & set(request.fixturenames) and "VT_ENCRYPTION_KEY" in os.environ:
        return os.environ["VT_ENCRYPTION_KEY"]

    sleutel = Fernet.generate_key().decode()
    monkeypatch.setenv("VT_ENCRYPTION_KEY", sleutel)
    return sleutel


@pytest.fixture
def regio(engine, database_url, tmp_path, monkeypatch):
    """The demo region in the test's database, its settings active (`tests.helpers.regio_in_opslag`)."""
    from tests.helpers import regio_in_opslag

    return regio_in_opslag(engine, database_url, tmp_path, monkeypatch)


@pytest.fixture
def instellingen():
    """The demo region's settings (config/demo-regio.yaml), validated."""
    from models.regels.instellingen import DEMO_INSTELLINGEN, laad_instellingen

    return laad_instellingen(DEMO_INSTELLINGEN)


# --- e-mail ---------------------------------------------------------------------------------------


def vrije_poort() -> int:
    """A port that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _VerzamelHandler:
    def __init__(self, berichten: list[EmailMessage], lock: threading.Lock) -> None:
        self.berichten = berichten
        self.lock = lock

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        inhoud = envelope.content
        if isinstance(inhoud, str):
            inhoud = inhoud.encode("utf-8")
        bericht = email.message_from_bytes(inhoud, policy=email.policy.default)
        with self.lock:
            self.berichten.append(bericht)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A real SMTP server on 127.0.0.1:`port`; received mail is in `berichten` (parsed).

    `stop()` and `start()` simulate an outage and recovery on the same port.
    """

    host: str = "127.0.0.1"
    port: int = field(default_factory=vrije_poort)
    berichten: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._controller = None

    @property
    def draait(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            return
        # A stopped Controller closed its event loop: every start gets a new one.
        controller = Controller(
            _VerzamelHandler(self.berichten, self._lock), hostname=self.host, port=self.port
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def apprise_url(self, to: str) -> str:
        return (
            f"mailto://127.0.0.1:{self.port}?from=orkestratie@vt-test.example.org"
            f"&to={to}&mode=insecure"
        )

    def wacht_op_berichten(self, aantal: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least `aantal` messages arrived; returns (a copy of) `berichten`."""
        einde = time.monotonic() + timeout
        while time.monotonic() < einde:
            with self._lock:
                if len(self.berichten) >= aantal:
                    return list(self.berichten)
            time.sleep(0.05)
        with self._lock:
            return list(self.berichten)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    for poging in range(5):
        server = SmtpServer()
        try:
            server.start()
            break
        except Exception:  # the free port was taken in between: try another one
            if poging == 4:
                raise
    try:
        yield server
    finally:
        server.stop()

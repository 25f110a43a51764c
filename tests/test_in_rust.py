"""At rest: letters, reports and the demo mail are readable by the system's own user only (the
print queue also by the mail room's group, when the settings name one), and the Prefect API
answers cross-origin requests from the UI's own origin only."""

from __future__ import annotations

import datetime as dt
import grp
import os
import signal
import smtplib
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import Session

from models.brieven import inhoud as b
from models.regels.instellingen import OngeldigeInstellingen
from tasks.brieven import naar_printwachtrij
from tests.conftest import vrije_poort
from tests.helpers import regio_voor_test
from tests.test_brieven import archief, brief, maak, melding_met, registreer
from tests.test_brieven import regio  # noqa: F401 (the fixture)

REPO = Path(__file__).resolve().parent.parent
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # files, no database matter


def modus(pad: Path) -> int:
    return stat.S_IMODE(pad.stat().st_mode)


def groep_van_de_postkamer() -> grp.struct_group:
    """A group this user may give files to, other than its own when it can (root: any)."""
    kandidaten = grp.getgrall() if os.geteuid() == 0 else [grp.getgrgid(g) for g in os.getgroups()]
    return next((g for g in kandidaten if g.gr_gid != os.getgid()), grp.getgrgid(os.getgid()))


def wacht_tot(voorwaarde, timeout: float = 60.0, wat: str = "") -> None:
    einde = time.monotonic() + timeout
    while not voorwaarde():
        assert time.monotonic() < einde, f"na {timeout} s nog niet: {wat}"
        time.sleep(0.2)


# --- letters and reports -----------------------------------------------------------------------


@SQLITE
def test_letters_in_the_archive_are_readable_by_the_system_user_only(regio, engine):
    b.archiefmap().mkdir(parents=True, mode=0o755)  # as an earlier version left it: closed on the next letter
    [referentie] = registreer(melding_met())

    [brief_id] = maak(referentie, "melding_ontvangen", "intake")

    pdf = archief(brief(engine, brief_id))
    assert (modus(b.archiefmap()), modus(pdf.parent), modus(pdf)) == (0o700, 0o700, 0o600)


@SQLITE
def test_the_print_queue_is_readable_by_the_mail_rooms_group_and_nobody_else(regio, engine, tmp_path, monkeypatch):
    postkamer = groep_van_de_postkamer()
    regio = regio_voor_test(tmp_path, monkeypatch, brieven={"printwachtrij_groep": postkamer.gr_name})
    [referentie] = registreer(melding_met())
    [brief_id] = maak(referentie, "melding_ontvangen", "intake")

    naar_printwachtrij(brief(engine, brief_id), referentie, regio)

    wachtrij = b.printwachtrij(regio)
    [geprint] = list(wachtrij.iterdir())
    assert (modus(wachtrij), wachtrij.stat().st_gid) == (0o750, postkamer.gr_gid)
    assert (modus(geprint), geprint.stat().st_gid) == (0o640, postkamer.gr_gid)


@SQLITE
def test_without_a_mail_room_group_the_print_queue_keeps_the_users_own_group(regio, engine):
    [referentie] = registreer(melding_met())
    [brief_id] = maak(referentie, "afsluiting", "afsluiting")

    naar_printwachtrij(brief(engine, brief_id), referentie, regio)

    [geprint] = list(b.printwachtrij(regio).iterdir())
    assert (modus(b.printwachtrij(regio)), modus(geprint)) == (0o750, 0o640)
    assert geprint.stat().st_gid == os.getgid()


@SQLITE
@pytest.mark.parametrize(("voor", "na"), [(0o755, 0o750), (0o770, 0o770)])
def test_an_existing_print_queue_is_closed_to_others_but_keeps_what_the_mail_room_was_given(regio, engine, voor, na):
    # 0755: left world-readable by an earlier version. 0770: the administrator let the mail room
    # delete printed letters; that stays.
    b.printwachtrij(regio).mkdir(parents=True)
    b.printwachtrij(regio).chmod(voor)
    [referentie] = registreer(melding_met())
    [brief_id] = maak(referentie, "afsluiting", "afsluiting")

    naar_printwachtrij(brief(engine, brief_id), referentie, regio)

    assert modus(b.printwachtrij(regio)) == na


def test_a_mail_room_group_that_does_not_exist_is_refused_in_dutch(tmp_path, monkeypatch):
    with pytest.raises(OngeldigeInstellingen, match="de groep 'postkamer-bestaat-niet' bestaat niet op deze machine"):
        regio_voor_test(tmp_path, monkeypatch, brieven={"printwachtrij_groep": "postkamer-bestaat-niet"})


@SQLITE
def test_the_report_archive_is_readable_by_the_system_user_only(engine, instellingen, tmp_path, monkeypatch):
    from models.regels.instellingen import CapaciteitsModus
    from models.regels.perioden import periode
    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.lezen.rapportage import bereken, publiceer
    from models.opslag.regio import synchroniseer
    from tasks.rapportage import maak_rapportbestanden

    monkeypatch.setenv("VT_DATA_MAP", str(tmp_path / "data"))
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        synchroniseer_werkdagen(session, instellingen)
    with Session(engine) as session:
        ruw = bereken(session, instellingen, periode(instellingen.rapportage, dt.date(2026, 1, 4)))
    cijfers = publiceer(ruw, instellingen, CapaciteitsModus.normaal, [])

    maak_rapportbestanden.fn(cijfers, 1)

    rapporten = tmp_path / "data" / "rapporten"
    versie = rapporten / "2026-01-04" / "v1"
    assert [modus(m) for m in (rapporten, versie.parent, versie)] == [0o700, 0o700, 0o700]
    assert any(versie.glob("*.pdf")) and any(versie.glob("*.csv")) and any(versie.glob("*.png"))
    assert {modus(bestand) for bestand in versie.iterdir()} == {0o600}


# --- the demo mail sink ------------------------------------------------------------------------


def test_the_demo_mail_sink_stores_each_mail_for_its_own_user_only(tmp_path):
    poort, mailmap = vrije_poort(), tmp_path / "mail"
    proces = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "demo_smtp.py"), "--map", str(mailmap), "--port", str(poort)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        def bereikbaar() -> bool:
            try:
                with smtplib.SMTP("127.0.0.1", poort, timeout=2) as smtp:
                    return smtp.noop()[0] == 250
            except OSError:
                return proces.poll() is not None  # stopped: the assertion below says so

        wacht_tot(bereikbaar, wat="de demo-SMTP luistert")
        assert proces.poll() is None
        bericht = EmailMessage()
        bericht["From"], bericht["To"], bericht["Subject"] = "a@example.org", "b@example.org", "Brief"
        bericht.set_content("Een brief met een naam en een adres.")
        with smtplib.SMTP("127.0.0.1", poort, timeout=10) as smtp:
            smtp.send_message(bericht)
    finally:
        proces.send_signal(signal.SIGTERM)
        proces.wait(timeout=30)

    [eml] = list(mailmap.glob("*.eml"))
    assert (modus(mailmap), modus(eml)) == (0o700, 0o600)


# --- the Prefect API ---------------------------------------------------------------------------


def start_sh_waarde(naam: str) -> str:
    """What ./start.sh exports as `naam` (evaluated by bash with start.sh's own ports)."""
    regels = [r for r in (REPO / "start.sh").read_text().splitlines()
              if r.startswith(("POORT=", "PREFECT_POORT=", f"export {naam}="))]
    script = "\n".join([*regels, f'printf %s "${{{naam}:-}}"'])
    return subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True).stdout


def antwoord(url: str, methode: str = "GET", **kopregels) -> tuple[int, dict[str, str]]:
    verzoek = urllib.request.Request(url, method=methode, headers=kopregels)
    try:
        with urllib.request.urlopen(verzoek, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as fout:
        return fout.code, {k.lower(): v for k, v in fout.headers.items()}


def test_the_prefect_api_answers_cross_origin_requests_from_the_ui_only(tmp_path):
    ui = "http://127.0.0.1:4200"
    oorsprong = start_sh_waarde("PREFECT_SERVER_CORS_ALLOWED_ORIGINS")
    assert oorsprong == ui, "start.sh beperkt de CORS van de Prefect-API niet tot de UI"

    poort = vrije_poort()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        PREFECT_SERVER_CORS_ALLOWED_ORIGINS=oorsprong,
    )
    prefect = Path(sys.executable).parent / "prefect"
    proces = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(poort), "--no-services", "--no-ui"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    api = f"http://127.0.0.1:{poort}/api"
    try:
        def gezond() -> bool:
            try:
                return antwoord(f"{api}/health")[0] == 200
            except OSError:
                return proces.poll() is not None

        wacht_tot(gezond, timeout=120, wat="de Prefect-server is gezond")
        assert proces.poll() is None

        voorcontrole = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        status, kop = antwoord(f"{api}/flow_runs/filter", "OPTIONS", Origin="http://evil.example", **voorcontrole)
        assert status >= 400 and "access-control-allow-origin" not in kop
        status, kop = antwoord(f"{api}/health", Origin="http://evil.example")
        assert status == 200 and "access-control-allow-origin" not in kop

        status, kop = antwoord(f"{api}/flow_runs/filter", "OPTIONS", Origin=ui, **voorcontrole)
        assert status == 200 and kop["access-control-allow-origin"] == ui
    finally:
        os.killpg(proces.pid, signal.SIGTERM)
        proces.wait(timeout=30)

"""Benchmark: `vt levensloop start-open` for many open casussen that wait for a decision, the
bulk way (tasks/massastart.py: runs created Suspended at their form, no process per casus)
beside the old way (a deployment run per casus, served by `deployments.serve`, each running the
flow up to its form) on a small sample.

    .venv/bin/python benchmarks/massastart_benchmark.py [--casussen 10000] [--oud 50]

On its own temporary folders and free ports, as start.sh runs it: the Prefect server
(scripts/prefect_server.py, SQLite), `python -m deployments.serve`, a SQLite case store.
Volume: demo meldingen (models/dossier/demo.py) registered and moved along their demo paths
until `--casussen` casussen are open; a casus at an automatic step (the front-door check) is
moved on in the store as the flow's first task would, so every open casus waits for a person.
Then:
1. the old way for the first `--oud` casussen (`tasks.in_beeld.herstel`, in the groups of
   `levensloop.gelijktijdige_starts` as the CLI does), timed until each waits at its form;
2. the bulk way for all others (`tasks.massastart.start_in_bulk`), timed until it returns: then
   every run is Suspended with its form, tags and artifact stored. Checked afterwards: the number
   of Suspended lifecycle runs, and the form of a sample of runs;
3. the work list of one gemeente through the API as the UI asks it (Suspended runs with its
   `gemeente:` tag, first page): `POST /api/flow_runs/filter` and the classic UI's run list
   `POST /api/flow_runs/paginate` (which also counts), p50/p95 of `--lijst` requests each;
4. the same work list as a page load in headless Chromium, in the new view and the classic one
   (docs/medewerkers.md, chapter 1): from navigation start until the first row shows, `--pagina`
   loads each.
The sentinel "casussen in beeld" is paused during the measurement (its passes would compete for
the same casussen). The load average is printed with each figure (the machine is shared).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from uuid import UUID

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def belasting() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def maak_casussen(aantal_open: int) -> int:
    """Demo casussen until `aantal_open` are open, each waiting for a decision. Returns how many."""
    from sqlmodel import select

    from models.dossier import voortgang
    from models.dossier.demo import breng_demo_casussen_verder, demo_meldingen
    from models.dossier.registratie import registreer_meldingen
    from models.opslag.casus import Casus
    from models.opslag.db import sessie
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import nu
    from models.regels.besluiten import automatische_stap
    from models.regels.instellingen import instellingen
    from models.regels.levensloop import OPEN_STATUSSEN

    regio = instellingen()
    moment = nu()
    # About 0.63 open casus per demo melding (hermeldingen join a casus, some paths close it).
    meldingen = demo_meldingen(regio, int(aantal_open / 0.6), nu=moment, seed=4_2026)
    with sessie() as session:
        synchroniseer(session, regio)
    for begin in range(0, len(meldingen), 2_000):
        with sessie() as session:
            registreer_meldingen(session, meldingen[begin:begin + 2_000], regio, actor="benchmark")
    with sessie() as session:
        breng_demo_casussen_verder(session, moment)
    open_statussen = [s.value for s in OPEN_STATUSSEN]
    with sessie() as session:
        ids = session.exec(select(Casus.id).where(Casus.status.in_(open_statussen)).order_by(Casus.id)).all()
    teveel = ids[aantal_open:]
    with sessie() as session:  # the surplus is closed: exactly `aantal_open` stay open
        if teveel:
            from sqlalchemy import update

            for begin in range(0, len(teveel), 500):
                session.execute(update(Casus).where(Casus.id.in_(teveel[begin:begin + 500]))
                                .values(status="afgesloten"))
    for begin in range(0, min(len(ids), aantal_open), 500):
        with sessie() as session:
            for casus in session.exec(select(Casus).where(Casus.id.in_(ids[begin:begin + 500]))):
                while (naar := automatische_stap(voortgang.stand(session, casus))) is not None:
                    voortgang.zet_automatische_stap(session, casus, naar, regio)
    return min(len(ids), aantal_open)


def oude_weg(gevallen, api: str) -> float:
    """A deployment run per casus, in groups, each until it waits at its form (as before)."""
    from models.regels.instellingen import instellingen
    from tasks.in_beeld import herstel
    from tests.served import wacht_op_run

    groep = instellingen().levensloop.gelijktijdige_starts
    begin = time.perf_counter()
    for n in range(0, len(gevallen), groep):
        runs = [herstel(g).nieuwe_run for g in gevallen[n:n + groep]]
        for run in runs:
            wacht_op_run(api, run, "PAUSED", timeout=600)
    return time.perf_counter() - begin


def cpu_seconden(*kenmerken: str) -> float:
    """CPU time (user + system) so far of every process whose command line holds one of
    `kenmerken` (the Prefect server by its port)."""
    totaal = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            regel = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if any(k in regel for k in kenmerken):
                velden = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                totaal += int(velden[11]) + int(velden[12])
        except OSError:  # ended meanwhile
            continue
    return totaal / os.sysconf("SC_CLK_TCK")


def pauzeer_bewaking(api: str) -> None:
    """The sentinel's schedule off: its passes would start the same casussen the normal way."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    with SyncPrefectClient(api) as client:
        for deployment in client.read_deployments(deployment_filter=DeploymentFilter(
                name=DeploymentFilterName(any_=["casussen in beeld"]))):
            client.pause_deployment(deployment.id)


def werklijst(api: str, herhalingen: int) -> None:
    """The work list of the gemeente of one waiting run, first page, as the UI asks it."""
    import statistics

    import httpx

    tag = next(t for t in _labels_van_een_run(api) if t.startswith("gemeente:"))
    filter_ = {"state": {"operator": "and_", "name": {"any_": ["Suspended"]}},
               "tags": {"operator": "and_", "all_": [tag]}, "operator": "and_"}
    vragen = {
        "flow_runs/filter": {"flow_runs": filter_, "sort": "START_TIME_DESC", "limit": 10, "offset": 0},
        "flow_runs/paginate": {"flow_runs": filter_, "sort": "START_TIME_DESC", "limit": 10, "page": 1},
    }
    with httpx.Client(base_url=api, timeout=120) as client:
        for pad, body in vragen.items():
            for _ in range(3):  # warm: connection, first queries
                assert client.post(f"/{pad}", json=body).status_code == 200
            tijden = []
            for _ in range(herhalingen):
                begin = time.perf_counter()
                antwoord = client.post(f"/{pad}", json=body)
                tijden.append((time.perf_counter() - begin) * 1000)
                assert antwoord.status_code == 200, antwoord.text[-300:]
            tijden.sort()
            print(f"werklijst {tag} via POST /api/{pad} (eerste pagina, 10 runs): p50 "
                  f"{statistics.median(tijden):.0f} ms, p95 {tijden[int(0.95 * (len(tijden) - 1))]:.0f} ms, "
                  f"max {tijden[-1]:.0f} ms over {herhalingen}; {belasting()}", flush=True)


# Set before the page's own scripts run: the moment (ms after navigation start) at which the
# first casus reference shows in the page, i.e. the first row of the work list is on screen.
_EERSTE_RIJ = r"""
window.__vtEersteRij = null;
new MutationObserver((_, waarnemer) => {
  if (document.body && /VT-\d/.test(document.body.innerText)) {
    window.__vtEersteRij = performance.now();
    waarnemer.disconnect();
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""

# The work list as staff open it (docs/medewerkers.md, chapter 1): Runs, state Suspended, one
# `gemeente:` tag, in the new view and the classic one; and our own page (web/werklijst, from the
# case store) through the gateway, for the same gemeente.
WEERGAVEN = {
    "nieuw": "/v2/runs?state=Suspended&tags={tag}",
    "klassiek": "/runs?state=Suspended&tag={tag}",
    "eigen werklijst": "/werklijst/?gemeente={gemeente}",
}
_ACHTER_DE_POORT = {"eigen werklijst"}  # views served by the gateway (after logging in), not by Prefect


def werklijst_in_chromium(api: str, herhalingen: int, schermafdruk: Path | None = None) -> None:
    """The same work list as a page load in headless Chromium: from navigation start until the
    first row shows, p50/p95 over `herhalingen` loads per view (a fresh page each time, the
    browser's cache warm after the first, as for a medewerker who opens it again). Prefect's two
    views straight from the server; our own page /werklijst through the gateway, logged in with
    a local account made for the measurement."""
    import statistics
    from urllib.parse import quote

    if herhalingen <= 0:
        return

    from models.regels.instellingen import instellingen
    from tests.served import chromium

    tag = next(t for t in _labels_van_een_run(api) if t.startswith("gemeente:"))
    gemeente = next(g.code for g in instellingen().gemeenten if g.naam == tag.removeprefix("gemeente:"))
    ui = api.removesuffix("/api")
    with tempfile.TemporaryDirectory(prefix="vt-chromium-") as map_, chromium(Path(map_)) as browser, \
            _toegangspoort(ui, Path(map_)) as (poort, account, wachtwoord):
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _EERSTE_RIJ})
        _log_in(browser, poort, account, wachtwoord)
        for weergave, pad in WEERGAVEN.items():
            url = (poort if weergave in _ACHTER_DE_POORT else ui) + pad.format(tag=quote(tag), gemeente=gemeente)
            tijden = [_laad(browser, url) for _ in range(herhalingen + 1)][1:]  # the first fills the cache
            if schermafdruk:
                time.sleep(2)  # the whole list, to see that the filter holds
                browser.save_screenshot(str(schermafdruk / f"werklijst-{weergave.replace(' ', '-')}-"
                                                           f"{_aantal_runs(api)}.png"))
            tijden.sort()
            print(f"werklijst {tag} in Chromium, {weergave} ({pad.split('?')[0]}): eerste rij na p50 "
                  f"{statistics.median(tijden):.0f} ms, p95 {tijden[int(0.95 * (len(tijden) - 1))]:.0f} ms, "
                  f"max {tijden[-1]:.0f} ms over {herhalingen} keer laden; {belasting()}", flush=True)


@contextlib.contextmanager
def _toegangspoort(prefect_basis: str, map_: Path):
    """The gateway as start.sh runs it, in front of this Prefect server, on the benchmark's case
    store, with a local medewerker account for the measurement: (address, account, password)."""
    import secrets

    from models.dossier.toegang import maak_account
    from models.opslag.db import sessie
    from models.regels.toegang import Rol
    from tests.test_toegang import toegangspoort

    account, wachtwoord = f"benchmark.{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    with sessie() as session:
        maak_account(session, account, "Benchmark", [Rol.medewerker], wachtwoord)
    with toegangspoort(prefect_basis, {}, map_) as adres:
        yield adres, account, wachtwoord


def _log_in(browser, poort: str, account: str, wachtwoord: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{poort}/inloggen")
    browser.find_element(By.ID, "account").send_keys(account)
    browser.find_element(By.ID, "wachtwoord").send_keys(wachtwoord)
    browser.find_element(By.ID, "inloggen").click()
    einde = time.monotonic() + 30
    while "/start" not in browser.current_url:
        if time.monotonic() > einde:
            raise AssertionError(f"niet ingelogd bij de toegangspoort: {browser.current_url}")
        time.sleep(0.1)


def _aantal_runs(api: str) -> int:
    import httpx

    return httpx.post(f"{api}/flow_runs/count", json={}, timeout=60).json()


def _laad(browser, url: str, geduld: float = 60) -> float:
    browser.get("about:blank")
    browser.get(url)
    einde = time.monotonic() + geduld
    while (moment := browser.execute_script("return window.__vtEersteRij")) is None:
        if time.monotonic() > einde:
            raise AssertionError(f"geen rij van de werklijst na {geduld:.0f} s op {url}")
        time.sleep(0.02)
    return moment


def _labels_van_een_run(api: str) -> list[str]:
    import httpx

    runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 1, "flow_runs": {"state": {"name": {
        "any_": ["Suspended"]}}}}, timeout=60).json()
    return runs[0]["tags"] if runs else []


def kloon_runs(tot: int) -> int:
    """Copies of the waiting lifecycle runs in Prefect's PostgreSQL database (new id, name and
    idempotency key; same tags and state) until it holds `tot` runs: the work list at a volume
    this shared machine cannot create in a session. Only the list is measured on them."""
    import psycopg
    from psycopg import sql

    url = os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"].replace("+asyncpg", "", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        kolommen = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_name = 'flow_run' ORDER BY ordinal_position")]
        wachtend = conn.execute("SELECT count(*) FROM flow_run WHERE state_name = 'Suspended'").fetchone()[0]
        nodig = tot - conn.execute("SELECT count(*) FROM flow_run").fetchone()[0]
        if nodig <= 0 or not wachtend:
            return 0
        anders = {"id": sql.SQL("gen_random_uuid()"), "name": sql.SQL("name || '-k' || g"),
                  "idempotency_key": sql.SQL("idempotency_key || '-k' || g")}
        conn.execute(sql.SQL("INSERT INTO flow_run ({}) SELECT {} FROM flow_run, generate_series(1, {}) AS g "
                             "WHERE state_name = 'Suspended' LIMIT {}").format(
            sql.SQL(", ").join(map(sql.Identifier, kolommen)),
            sql.SQL(", ").join(anders.get(k, sql.Identifier(k)) for k in kolommen),
            sql.Literal(-(-nodig // wachtend)), sql.Literal(nodig)))
        conn.execute("ANALYZE flow_run")  # as autovacuum would after such a growth
    return nodig


def controleer(api: str, verwacht: int, steekproef: int = 100) -> None:
    """Every lifecycle run Suspended; a sample of them has its form and description stored."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState, \
        FlowRunFilterStateType
    from sqlmodel import select

    from models.opslag.casus import Casus
    from models.opslag.db import sessie

    with SyncPrefectClient(api) as client:
        wachtend = client.count_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["casus-levensloop"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["PAUSED"]))))
        with sessie() as session:
            run_ids = [r for r in session.exec(select(Casus.flow_run_id).where(Casus.flow_run_id.is_not(None)))]
        for run_id in random.Random(1).sample(run_ids, min(steekproef, len(run_ids))):
            run = client.read_flow_run(UUID(run_id))
            for sleutel in ("schema", "description"):
                client.read_flow_run_input(run.id, run.state.state_details.run_input_keyset[sleutel])
    print(f"  controle: {wachtend} van {verwacht} levensloop-runs Suspended; formulier van {steekproef} "
          "steekproef-runs aanwezig", flush=True)
    if wachtend != verwacht:
        raise SystemExit("niet elke casus wacht bij zijn formulier")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--casussen", type=int, default=10_000)
    parser.add_argument("--oud", type=int, default=50, help="casussen die de oude weg gaan (steekproef; 0: geen)")
    parser.add_argument("--lijst", type=int, default=20, help="verzoeken per meting van de werklijst")
    parser.add_argument("--pagina", type=int, default=10,
                        help="keer de werklijst laden in Chromium, per weergave (0: niet)")
    parser.add_argument("--schermafdruk", type=Path, help="map voor een schermafdruk van de werklijst per weergave")
    parser.add_argument("--kloon-tot", type=int, default=0,
                        help="daarna de werklijst opnieuw bij zoveel runs, aangevuld met kopieën (alleen postgresql)")
    parser.add_argument("--rust", type=float, default=60,
                        help="bij --kloon-tot: zoveel seconden de CPU van de server in rust, voor en na het kopiëren")
    parser.add_argument("--api", action="store_true",
                        help="formulieren en artefacten via de API (een verzoek elk), niet in Prefects database")
    parser.add_argument("--prefect-database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="database van de Prefect-server (postgresql: een nieuwe database op 127.0.0.1:5432)")
    args = parser.parse_args(argv)

    from cryptography.fernet import Fernet

    map_ = Path(tempfile.mkdtemp(prefix="vt-massastart-"))
    os.environ.setdefault("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    os.environ["VT_DATA_MAP"] = str(map_ / "vt")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    database_url = f"sqlite:///{map_}/casussen.db"
    os.environ["DATABASE_URL"] = database_url
    (map_ / "prefect").mkdir()

    from models.opslag.db import migreer
    from tests.served import prefect_server

    print(f"{os.cpu_count()} cores; {belasting()}", flush=True)
    migreer(database_url)
    begin = time.perf_counter()
    aantal = maak_casussen(args.casussen)
    print(f"{aantal} open casussen gemaakt in {time.perf_counter() - begin:.0f} s; {belasting()}", flush=True)

    with contextlib.ExitStack() as stapel:
        # The server's database, also in this process's settings: as an operator runs the command
        # with the services' environment, forms and artifacts go straight into it.
        url = f"sqlite+aiosqlite:///{map_ / 'prefect' / 'prefect.db'}"
        if args.prefect_database == "postgresql":
            from benchmarkdatabase import postgresql_database

            url = stapel.enter_context(postgresql_database()).replace("+psycopg", "+asyncpg", 1)
        omgeving = {"PREFECT_SERVER_DATABASE_CONNECTION_URL": url}
        os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = url
        print(f"Prefect-server op {args.prefect_database}", flush=True)
        meet(stapel.enter_context(prefect_server(map_ / "prefect", omgeving)), database_url, map_, aantal, args)


def meet(api: str, database_url: str, map_: Path, aantal: int, args) -> None:
    import prefect.settings

    from tests.served import serveer

    os.environ["PREFECT_API_URL"] = api
    with prefect.settings.temporary_settings({
            prefect.settings.PREFECT_API_URL: api,
            prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"]}), \
            serveer(api, database_url, map_):
        from tasks.in_beeld import zoek_buiten_beeld
        from tasks.massastart import start_in_bulk

        pauzeer_bewaking(api)
        gevallen = zoek_buiten_beeld()
        print(f"{len(gevallen)} casussen zonder run; {belasting()}", flush=True)
        oud, rest = gevallen[:args.oud], gevallen[args.oud:]
        if oud:
            duur = oude_weg(oud, api)
            print(f"oude weg: {len(oud)} casussen in {duur:.1f} s = {duur / len(oud):.2f} s per casus "
                  f"(geëxtrapoleerd naar {aantal}: {duur / len(oud) * aantal / 3600:.1f} uur); {belasting()}",
                  flush=True)
        server = f"--port {api.rsplit(':', 1)[1].split('/')[0]}"
        cpu_voor = (time.process_time(), cpu_seconden(server))
        begin = time.perf_counter()
        uitkomst = start_in_bulk(rest, lambda n: print(
            f"  {n} klaar na {time.perf_counter() - begin:.0f} s; {belasting()}", flush=True),
            via_database=not args.api)
        duur = time.perf_counter() - begin
        print(f"bulk (formulieren en artefacten via {uitkomst.weg}): {len(uitkomst.gestart)} casussen wachtend bij "
              f"hun formulier in {duur:.1f} s = {duur / max(1, len(uitkomst.gestart)) * 1000:.1f} ms per casus; "
              f"{len(uitkomst.anders)} via de normale weg; {uitkomst.herhaald} verzoeken herhaald (server bezet); "
              f"{belasting()}", flush=True)
        n = max(1, len(uitkomst.gestart))
        cpu = [na - voor for na, voor in zip(
            (time.process_time(), cpu_seconden(server)), cpu_voor)]
        print(f"CPU per casus: dit proces (lezen, formulieren, verzoeken, Prefects database) {cpu[0] / n * 1000:.1f} ms, "
              f"Prefect-server (API en diensten) {cpu[1] / n * 1000:.1f} ms; PostgreSQL niet gemeten (de server "
              f"opent en sluit zijn verbindingen)", flush=True)
        controleer(api, aantal)
        werklijst(api, args.lijst)
        werklijst_in_chromium(api, args.pagina, args.schermafdruk)
        if args.kloon_tot and args.prefect_database == "postgresql":
            rust(server, args.rust)
            begin = time.perf_counter()
            print(f"{kloon_runs(args.kloon_tot)} kopieën van wachtende runs erbij (tot {args.kloon_tot} runs) in "
                  f"{time.perf_counter() - begin:.0f} s; {belasting()}", flush=True)
            werklijst(api, args.lijst)
            werklijst_in_chromium(api, args.pagina, args.schermafdruk)
            rust(server, args.rust)


def rust(server: str, seconden: float) -> None:
    """The server's CPU while nobody asks anything (its services, the served schedules)."""
    if seconden:
        voor = cpu_seconden(server)
        time.sleep(seconden)
        print(f"Prefect-server in rust: {cpu_seconden(server) - voor:.1f} s CPU in {seconden:.0f} s; {belasting()}",
              flush=True)


if __name__ == "__main__":
    main()

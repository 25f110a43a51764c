"""Benchmark: `vt levensloop start-open` for many open casussen that wait for a decision, the
bulk way (tasks/massastart.py: runs created Suspended at their form, no process per casus)
beside the old way (a deployment run per casus) on a small sample, on one machine beside the
cluster layout in one run of this script.

    .venv/bin/python benchmarks/massastart_benchmark.py [--casussen 10000] [--oud 50] [--opzet enkel cluster]

Per layout (benchmarks/opstellingen.py), each started afresh on its own temporary folders, free
ports and databases:
- `enkel`: as start.sh runs it: the Prefect server (scripts/prefect_server.py) on SQLite, API and
  services in one process, `python -m deployments.serve`, a SQLite case store;
- `cluster`: as `./start.sh --cluster` (scripts/cluster.py): Prefect on PostgreSQL, two API
  replicas behind HAProxy (the bulk start goes through it), the services apart with
  `pause_expirations` off, Redis, two worker machines; the case store on PostgreSQL.
The sentinel "casussen in beeld" is paused first (its passes would start the same casussen the
normal way). Volume: `--casussen` open casussen through the overstap import (models/dossier/
overstap.py, the demo file of models/dossier/overstap_demo.py), evenly over the eight states a
casus is switched over in, each waiting for a person's decision; printed apart as the set-up,
which is not the figure. Then:
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
   loads each;
5. with `--kloon-tot` (cluster only: copies made in Prefect's PostgreSQL database) the work list
   again at that many runs.
The load average is printed with each figure (the machine is shared).
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


PORTIE = 5_000  # casussen per import transaction: the size measured in "Overstap" (BENCHMARKS.md)


def maak_casussen(aantal: int) -> int:
    """`aantal` open casussen through the overstap import (models/dossier/overstap.py), in
    transactions of `PORTIE`: the demo file of models/dossier/overstap_demo.py, spread evenly over
    the eight states a casus is switched over in, each waiting for a person's decision (none is at
    an automatic step: the front-door check is not a state of the overstap). Returns how many."""
    from models.dossier.overstap import OverstapCasus, controleer, neem_over
    from models.dossier.overstap_demo import overstapcasussen
    from models.opslag.db import sessie
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import nu
    from models.regels.instellingen import instellingen

    regio = instellingen()
    stand_op = nu()
    with sessie() as session:
        synchroniseer(session, regio)
    rijen = [_niets_binnenkort(r, stand_op) for r in overstapcasussen(regio, aantal, stand_op, bron="benchmark")]
    overgenomen, start = 0, time.perf_counter()
    for begin in range(0, aantal, PORTIE):
        casussen = [(begin + n, OverstapCasus.model_validate(r, context={"instellingen": regio}))
                    for n, r in enumerate(rijen[begin:begin + PORTIE], 1)]
        fouten = [f for _, c in casussen for f in controleer(c, regio, stand_op)]
        assert not fouten, fouten[:3]
        with sessie() as session:
            overgenomen += neem_over(session, casussen, regio, "benchmark", stand_op).overgenomen
        _analyseer()
        print(f"  {overgenomen} overgenomen na {time.perf_counter() - start:.0f} s; {belasting()}", flush=True)
    return overgenomen


def _analyseer() -> None:
    """PostgreSQL's statistics brought up to date after each portion, as autovacuum would after such
    a growth (it had not yet, minutes in): otherwise the planner still takes the fresh tables for
    empty, and each portion's look-ups by melding scan everything imported before (superlinear)."""
    from sqlalchemy import text

    from models.opslag.db import sessie

    with sessie() as session:
        if session.bind.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))


def _niets_binnenkort(casus: dict, stand_op) -> dict:
    """The demo's warnings due half an hour after the switch moved to five days: the deadline
    watch (every five minutes) would otherwise send thousands of them during the measurement."""
    import datetime as dt

    binnenkort = (stand_op + dt.timedelta(hours=1)).isoformat()
    for termijn in casus["termijnen"]:
        if termijn.get("waarschuw_op") and termijn["waarschuw_op"] < binnenkort:
            termijn["waarschuw_op"] = (stand_op + dt.timedelta(days=5)).isoformat()
    return casus


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


def cpu_seconden(pids: list[int]) -> float:
    """CPU time (user + system) so far of the processes `pids` (the Prefect server's)."""
    totaal = 0
    for pid in pids:
        try:
            velden = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            totaal += int(velden[11]) + int(velden[12])
        except OSError:  # ended meanwhile
            continue
    return totaal / os.sysconf("SC_CLK_TCK")


def pauzeer_bewaking(api: str, geduld: float = 300) -> None:
    """The sentinel's schedule off before the casussen exist (its passes would start them the
    normal way), and a pass already under way waited for."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, DeploymentFilterName, \
        FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType

    with SyncPrefectClient(api) as client:
        deployments = client.read_deployments(deployment_filter=DeploymentFilter(
            name=DeploymentFilterName(any_=["casussen in beeld"])))
        for deployment in deployments:
            client.pause_deployment(deployment.id)
        einde = time.monotonic() + geduld
        while client.count_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[d.id for d in deployments])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                    any_=["SCHEDULED", "PENDING", "RUNNING"])))):
            if time.monotonic() > einde:
                raise SystemExit(f"de bewaking 'casussen in beeld' loopt na {geduld:.0f} s nog")
            time.sleep(1)


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


def kloon_runs(prefect_database: str, tot: int) -> int:
    """Copies of the waiting lifecycle runs in Prefect's PostgreSQL database (new id, name and
    idempotency key; same tags and state) until it holds `tot` runs: the work list at a volume
    this shared machine cannot create in a session. Only the list is measured on them."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(prefect_database.replace("+asyncpg", "", 1), autocommit=True) as conn:
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
        raise SystemExit("niet elke in bulk gestarte casus wacht bij zijn formulier")


OPZETTEN = {"enkel": "één machine (Prefect-server op SQLite, deployments.serve, casussen in SQLite)",
            "cluster": "cluster (Prefect op PostgreSQL, 2 API-replica's achter HAProxy, diensten apart, "
                       "Redis, 2 workers; casussen in PostgreSQL)"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--casussen", type=int, default=10_000)
    parser.add_argument("--opzet", nargs="+", choices=list(OPZETTEN), default=list(OPZETTEN),
                        help="de opzetten, na elkaar, elk vers gestart (standaard beide)")
    parser.add_argument("--oud", type=int, default=50, help="casussen die de oude weg gaan (steekproef; 0: geen)")
    parser.add_argument("--lijst", type=int, default=20, help="verzoeken per meting van de werklijst")
    parser.add_argument("--pagina", type=int, default=10,
                        help="keer de werklijst laden in Chromium, per weergave (0: niet)")
    parser.add_argument("--schermafdruk", type=Path, help="map voor een schermafdruk van de werklijst per weergave")
    parser.add_argument("--kloon-tot", type=int, default=0,
                        help="daarna de werklijst opnieuw bij zoveel runs, aangevuld met kopieën (alleen cluster)")
    parser.add_argument("--rust", type=float, default=60,
                        help="bij --kloon-tot: zoveel seconden de CPU van de server in rust, voor en na het kopiëren")
    parser.add_argument("--api", action="store_true",
                        help="formulieren en artefacten via de API (een verzoek elk), niet in Prefects database")
    args = parser.parse_args(argv)

    from cryptography.fernet import Fernet

    os.environ.setdefault("VT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    print(f"{os.cpu_count()} cores; {belasting()}", flush=True)
    for opzet in args.opzet:
        from opstellingen import cluster, enkel

        map_ = Path(tempfile.mkdtemp(prefix=f"vt-massastart-{opzet}-"))
        os.environ["VT_DATA_MAP"] = str(map_ / "vt")
        print(f"\n[{opzet}] {OPZETTEN[opzet]}; {belasting()}", flush=True)
        with {"enkel": enkel, "cluster": cluster}[opzet](map_) as opstelling:
            meet(opstelling, args, kopieren=opzet == "cluster")


def meet(opstelling, args, kopieren: bool) -> None:
    import prefect.settings
    from prefect.server.database.dependencies import temporary_database_interface

    api = opstelling.api
    with prefect.settings.temporary_settings({
            prefect.settings.PREFECT_API_URL: api,
            # Prefect's database in this process's settings too: as an operator runs the command with
            # the server's environment, forms and artifacts go straight into it.
            prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: opstelling.prefect_database}), \
            temporary_database_interface():  # else Prefect keeps the first layout's database for the process
        from tasks.in_beeld import zoek_buiten_beeld
        from tasks.massastart import start_in_bulk

        pauzeer_bewaking(api)
        begin = time.perf_counter()
        aantal = maak_casussen(args.casussen)
        print(f"opzet (telt niet mee): {aantal} open casussen overgenomen in {time.perf_counter() - begin:.0f} s; "
              f"{belasting()}", flush=True)
        gevallen = zoek_buiten_beeld()
        print(f"{len(gevallen)} casussen zonder run; {belasting()}", flush=True)
        oud, rest = gevallen[:args.oud], gevallen[args.oud:]
        if oud:
            duur = oude_weg(oud, api)
            print(f"oude weg: {len(oud)} casussen in {duur:.1f} s = {duur / len(oud):.2f} s per casus "
                  f"(geëxtrapoleerd naar {aantal}: {duur / len(oud) * aantal / 3600:.1f} uur); {belasting()}",
                  flush=True)
        cpu_voor = (time.process_time(), cpu_seconden(opstelling.prefect))
        begin = time.perf_counter()
        uitkomst = start_in_bulk(rest, lambda n: print(
            f"  {n} klaar na {time.perf_counter() - begin:.0f} s; {belasting()}", flush=True),
            via_database=not args.api)
        duur = time.perf_counter() - begin
        if not args.api and uitkomst.weg != "database":
            raise SystemExit(f"Prefects database ({opstelling.prefect_database}) niet bereikt: de meting zou de API-weg zijn")
        print(f"bulk (formulieren en artefacten via {uitkomst.weg}): {len(uitkomst.gestart)} casussen wachtend bij "
              f"hun formulier in {duur:.1f} s = {duur / max(1, len(uitkomst.gestart)) * 1000:.1f} ms per casus; "
              f"{len(uitkomst.anders)} via de normale weg; {uitkomst.herhaald} verzoeken herhaald (server bezet); "
              f"{belasting()}", flush=True)
        n = max(1, len(uitkomst.gestart))
        cpu = [na - voor for na, voor in zip(
            (time.process_time(), cpu_seconden(opstelling.prefect)), cpu_voor)]
        print(f"CPU per casus: dit proces (lezen, formulieren, verzoeken, Prefects database) {cpu[0] / n * 1000:.1f} ms, "
              f"Prefect-server (API en diensten) {cpu[1] / n * 1000:.1f} ms; PostgreSQL niet gemeten (de server "
              f"opent en sluit zijn verbindingen)", flush=True)
        # What the bulk leaves (Prefect refused part of a page) goes the normal way in `vt levensloop
        # start-open`; the benchmark does not start those: it checks the runs the old way and the
        # bulk created.
        controleer(api, len(oud) + len(uitkomst.gestart))
        werklijst(api, args.lijst)
        werklijst_in_chromium(api, args.pagina, args.schermafdruk)
        if args.kloon_tot and kopieren:
            rust(opstelling.prefect, args.rust)
            begin = time.perf_counter()
            print(f"{kloon_runs(opstelling.prefect_database, args.kloon_tot)} kopieën van wachtende runs erbij (tot "
                  f"{args.kloon_tot} runs) in {time.perf_counter() - begin:.0f} s; {belasting()}", flush=True)
            werklijst(api, args.lijst)
            werklijst_in_chromium(api, args.pagina, args.schermafdruk)
            rust(opstelling.prefect, args.rust)


def rust(server: list[int], seconden: float) -> None:
    """The server's CPU while nobody asks anything (its services, the served schedules)."""
    if seconden:
        voor = cpu_seconden(server)
        time.sleep(seconden)
        print(f"Prefect-server in rust: {cpu_seconden(server) - voor:.1f} s CPU in {seconden:.0f} s; {belasting()}",
              flush=True)


if __name__ == "__main__":
    main()

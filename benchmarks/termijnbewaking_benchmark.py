"""Benchmark: the deadline watch over many open cases, against the bare indexed SQL query for
the same rows, on a fresh SQLite file and a fresh PostgreSQL database.

    .venv/bin/python benchmarks/termijnbewaking_benchmark.py [--casussen 100000 10000]
        [--te-doen 1000] [--herhaal 5] [--alleen sqlite|postgresql]

Per database and case count: seeds N open cases with bulk inserts (one open term each, plus the
met safety-assessment term of every case past that step), of which `--te-doen` terms per
repetition need action at that repetition's moment (a warning, a deadline or an overdue step).
Then, per repetition, in one run: the bare query (the watch's SELECT as plain SQL on the DB-API
cursor), the watch's own selection (`te_bewaken`), and the watch itself (`tasks.termijnbewaking.
bewaak`: selection, decision, compare-and-set, rendering the e-mails, outbox and audit inserts,
in batches of 200 per transaction; delivery excluded). Also times the overview of terms over
time and prints the query plans. PostgreSQL: postgresql+psycopg://postgres@127.0.0.1:5432, a
database with a fresh name that is dropped afterwards (VT_BENCHMARK_POSTGRES_URL to change).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarkdatabase import postgresql_database, sqlite_database
UTC = dt.timezone.utc
# A Monday, 11:00 in Amsterdam; repetition r looks at START + r hours (all on working days).
START = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BLOK = 5_000

# Open terms by kind (the casus is in the matching phase); every case past the safety
# assessment also has its met safety-assessment term.
SOORTEN = [("veiligheidsbeoordeling", 0.25), ("onderzoek", 0.15), ("voorwaarden_en_vervolg", 0.10),
           ("overdracht", 0.10), ("monitoring", 0.30), ("werkvoorraad_contact", 0.10)]
STATUS = {"veiligheidsbeoordeling": "veiligheidsbeoordeling", "onderzoek": "onderzoek",
          "voorwaarden_en_vervolg": "voorwaarden_en_vervolg", "overdracht": "overdracht",
          "monitoring": "monitoring", "werkvoorraad_contact": "werkvoorraad"}

BARE_QUERY = """
SELECT t.id, t.casus_id, t.soort, t.start_op, t.waarschuw_op, t.vervalt_op, t.oorspronkelijk_vervalt_op,
       t.escalatie_stap, c.referentie, c.gemeente_code, c.flow_run_id
FROM termijn t JOIN casus c ON c.id = t.casus_id
WHERE t.voldaan_op IS NULL AND t.opgeschort_op IS NULL AND {zelden}(t.volgende_actie_op <= {p}{kans})
ORDER BY t.volgende_actie_op
"""
BARE_OVERZICHT = """
SELECT t.id, t.soort, t.vervalt_op, t.oorspronkelijk_vervalt_op, t.escalatie_stap, c.referentie, c.gemeente_code
FROM termijn t JOIN casus c ON c.id = t.casus_id
WHERE t.voldaan_op IS NULL AND t.opgeschort_op IS NULL AND {zelden}(t.vervalt_op < {p}{kans})
ORDER BY c.gemeente_code, t.vervalt_op, t.id
"""




# --- seeding --------------------------------------------------------------------------------------


def _twee_werkdagen_terug(moment: dt.datetime, kalender) -> dt.datetime:
    """The deadline whose 'overschreden + 2 werkdagen' step falls exactly at `moment`."""
    from models.regels.kalender import AMSTERDAM

    lokaal = moment.astimezone(AMSTERDAM)
    dag = lokaal.date()
    for _ in range(2):
        dag -= dt.timedelta(days=1)
        while not kalender.is_werkdag(dag):
            dag -= dt.timedelta(days=1)
    return dt.datetime.combine(dag, lokaal.time(), tzinfo=AMSTERDAM).astimezone(UTC)


def _dag_eind(moment: dt.datetime) -> dt.datetime:
    from models.regels.kalender import AMSTERDAM

    lokaal = moment.astimezone(AMSTERDAM)
    return dt.datetime.combine(lokaal.date(), dt.time(23, 59, 59), tzinfo=AMSTERDAM).astimezone(UTC)


def _te_doen(rng: random.Random, k: int, peil: dt.datetime, kalender) -> dict:
    """An open term whose step k (0 warning, 1 due, 2 overdue) fell due in the 5 minutes before `peil`."""
    moment = peil - dt.timedelta(seconds=rng.randrange(0, 290))
    if k == 0:
        waarschuw, vervalt = moment, _dag_eind(moment + dt.timedelta(days=3))
    elif k == 1:
        waarschuw, vervalt = moment - dt.timedelta(days=2), moment
    else:
        vervalt = _twee_werkdagen_terug(moment, kalender)
        waarschuw = vervalt - dt.timedelta(days=2)
    return dict(start_op=waarschuw - dt.timedelta(days=3), waarschuw_op=waarschuw, vervalt_op=vervalt,
                oorspronkelijk_vervalt_op=vervalt, volgende_actie_op=moment, escalatie_stap=k)


def _later(rng: random.Random, na: dt.datetime) -> dict:
    """An open term whose next step lies ahead (from 2 hours to 90 days after `na`)."""
    waarschuw = na + dt.timedelta(hours=2, seconds=rng.randrange(0, 90 * 86400))
    vervalt = _dag_eind(waarschuw + dt.timedelta(days=rng.randrange(1, 40)))
    return dict(start_op=waarschuw - dt.timedelta(days=rng.randrange(3, 60)), waarschuw_op=waarschuw,
                vervalt_op=vervalt, oorspronkelijk_vervalt_op=vervalt, volgende_actie_op=waarschuw, escalatie_stap=0)


def _klaar_maar_over_tijd(rng: random.Random) -> dict:
    """An open term long overdue whose whole ladder has fired: in the overview, not in the watch."""
    vervalt = _dag_eind(START - dt.timedelta(days=rng.randrange(5, 90)))
    return dict(start_op=vervalt - dt.timedelta(days=7), waarschuw_op=vervalt - dt.timedelta(days=3),
                vervalt_op=vervalt, oorspronkelijk_vervalt_op=vervalt, volgende_actie_op=None, escalatie_stap=3)


def zaai(url: str, casussen: int, te_doen: int, herhaal: int, seed: int = 4) -> dict:
    import sqlalchemy as sa
    from sqlmodel import Session

    from models.opslag.casus import Casus, Termijn
    from models.opslag.db import engine_voor, migreer
    from models.regels.instellingen import instellingen
    from models.regels.kalender import werkkalender
    from models.opslag.regio import synchroniseer
    from models.opslag.typen import UTCDateTime, versleutel

    rng = random.Random(seed)
    regio = instellingen()
    kalender = werkkalender(regio)
    migreer(url)
    engine = engine_voor(url)
    with Session(engine) as session, session.begin():
        synchroniseer(session, regio)
    gemeenten = [g.code for g in regio.gemeenten]
    # Households are never read by the watch: one encrypted placeholder, inserted without re-encrypting.
    huishouden = sa.table("huishouden", sa.column("id"), sa.column("zoeksleutel"), sa.column("straat_huisnummer"),
                          sa.column("postcode"), sa.column("woonplaats"), sa.column("aangemaakt_op", UTCDateTime()))
    geheim = versleutel("benchmark")
    peil_laatst = START + dt.timedelta(hours=herhaal - 1)
    # Which cases carry a term that needs action in repetition r: spread over the id range.
    volgorde = list(range(casussen))
    rng.shuffle(volgorde)
    ronde = {i: (n // te_doen) for n, i in enumerate(volgorde[: te_doen * herhaal])}
    aantallen = dict(te_doen=0, later=0, over_tijd=0, opgeschort=0, voldaan=0)

    start = time.perf_counter()
    with engine.begin() as conn:
        for blok in range(0, casussen, BLOK):
            ids = range(blok + 1, min(blok + BLOK, casussen) + 1)
            conn.execute(sa.insert(huishouden), [
                dict(id=i, zoeksleutel=uuid.uuid4().hex, straat_huisnummer=geheim, postcode=geheim, woonplaats=geheim,
                     aangemaakt_op=START) for i in ids])
            casus_rijen, termijn_rijen = [], []
            for i in ids:
                soort = rng.choices([s for s, _ in SOORTEN], [w for _, w in SOORTEN])[0]
                geopend = START - dt.timedelta(seconds=rng.randrange(3600, 400 * 86400))
                casus_rijen.append(dict(
                    id=i, referentie=f"VT-2026-{i:06d}", huishouden_id=i, gemeente_code=rng.choice(gemeenten),
                    status=STATUS[soort], urgentie=rng.choices(["acuut", "spoed", "regulier"], [3, 15, 82])[0],
                    geopend_op=geopend, status_sinds=geopend, afgesloten_op=None, aantal_meldingen=rng.choice([1, 1, 1, 2]),
                    buiten_beeld=False, lokaal_team_code=None, regie=None,
                    flow_run_id=str(uuid.UUID(int=rng.getrandbits(128))) if rng.random() < 0.3 else None, versie=1))
                if i - 1 in ronde:
                    open_ = _te_doen(rng, rng.choice([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]), START + dt.timedelta(hours=ronde[i - 1]),
                                     kalender)
                    aantallen["te_doen"] += 1
                elif rng.random() < 0.03:
                    open_ = _klaar_maar_over_tijd(rng)
                    aantallen["over_tijd"] += 1
                else:
                    open_ = _later(rng, peil_laatst)
                    aantallen["later"] += 1
                opgeschort = open_["escalatie_stap"] == 0 and i - 1 not in ronde and rng.random() < 0.01
                aantallen["opgeschort"] += opgeschort
                termijn_rijen.append(dict(
                    casus_id=i, melding_id=None, soort=soort, voldaan_op=None,
                    opgeschort_op=START - dt.timedelta(days=2) if opgeschort else None,
                    opschort_reden="wacht op informatie" if opgeschort else None, verleng_reden=None, **open_))
                if soort != "veiligheidsbeoordeling":  # its safety assessment was met
                    vb_vervalt = _dag_eind(geopend + dt.timedelta(days=7))
                    termijn_rijen.append(dict(
                        casus_id=i, melding_id=None, soort="veiligheidsbeoordeling", start_op=geopend,
                        waarschuw_op=geopend + dt.timedelta(days=4), vervalt_op=vb_vervalt,
                        oorspronkelijk_vervalt_op=vb_vervalt, volgende_actie_op=None, escalatie_stap=rng.choice([0, 1, 2]),
                        voldaan_op=vb_vervalt - dt.timedelta(hours=rng.randrange(-48, 100)), opgeschort_op=None,
                        opschort_reden=None, verleng_reden=None))
                    aantallen["voldaan"] += 1
            conn.execute(sa.insert(Casus.__table__), casus_rijen)
            conn.execute(sa.insert(Termijn.__table__), termijn_rijen)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text("ANALYZE"))
    aantallen["seconden"] = time.perf_counter() - start
    return aantallen


# --- measuring ------------------------------------------------------------------------------------


def _sql(engine, sql: str, moment: dt.datetime) -> tuple[str, object]:
    """The bare SQL and its parameter as the driver takes them. SQLite: the moment as naive UTC
    text (as UTCDateTime stores it), and the same planner hint the watch gives (likelihood, see
    models.dossier.termijnbewaking.zelden_waar) so the partial index is used."""
    if engine.dialect.name == "postgresql":
        return sql.format(p="%(p)s", zelden="", kans=""), {"p": moment}
    tekst = moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return sql.format(p="?", zelden="likelihood", kans=", 0.001"), (tekst,)


def bare_query(engine, sql: str, moment: dt.datetime) -> tuple[float, int]:
    sql, parameters = _sql(engine, sql, moment)
    verbinding = engine.raw_connection()
    try:
        cursor = verbinding.cursor()
        start = time.perf_counter()
        cursor.execute(sql, parameters)
        rijen = cursor.fetchall()
        seconden = time.perf_counter() - start
        verbinding.rollback()
    finally:
        verbinding.close()
    return seconden, len(rijen)


CAS = ("UPDATE termijn SET escalatie_stap = {p}, volgende_actie_op = NULL WHERE id = {p} AND escalatie_stap = {p} "
       "AND vervalt_op = {p} AND voldaan_op IS NULL AND opgeschort_op IS NULL")
IN_NOTIFICATIE = ("INSERT INTO notificatie (sleutel, casus_id, soort, ontvanger, onderwerp, inhoud, opmaak, bijlagen, status, "
                  "pogingen, volgende_poging_op, aangemaakt_op) VALUES ({p}, {p}, 'escalatie', {p}, {p}, {p}, 'text', '[]', "
                  "'wachtend', 0, {p}, {p}) ON CONFLICT (sleutel) DO NOTHING")
IN_AUDIT = ("INSERT INTO auditevent (casus_id, tijdstip, actor, actie, details, volgnummer, vorige_hash, hash) "
            "VALUES ({p}, {p}, 'termijnbewaking', 'escalatie', {p}, {p}, {p}, {p})")
# The heads of the audit chains of these casussen (models/dossier/auditketen.py does the same).
KOPPEN = ("SELECT a.casus_id, a.volgnummer, a.hash FROM auditevent a JOIN (SELECT casus_id, max(volgnummer) AS n "
          "FROM auditevent WHERE casus_id IN ({ids}) GROUP BY casus_id) h ON h.casus_id = a.casus_id AND h.n = a.volgnummer")


def bare_firing(engine, moment: dt.datetime, ladder) -> tuple[float, int]:
    """The same work as the watch in plain SQL on the DB-API cursor, as a floor: the bare query,
    a compare-and-set per term, one outbox row per role and one chained audit event per step, with a
    fixed text instead of a rendered e-mail. Timed up to its commit, then rolled back, so the
    watch then fires the very same rows."""
    import json

    from models.regels.auditketen import schakels

    postgres = engine.dialect.name == "postgresql"
    teken = "%s" if postgres else "?"

    def tijd(moment_):
        return moment_ if postgres else moment_.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    sql, parameters = _sql(engine, BARE_QUERY, moment)
    verbinding = engine.raw_connection()
    try:
        cursor = verbinding.cursor()
        start = time.perf_counter()
        cursor.execute(sql, parameters)
        rijen = sorted(cursor.fetchall())
        gewonnen = []
        for rij in rijen:
            cursor.execute(CAS.format(p=teken), (rij[7] + 1, rij[0], rij[7], rij[5]))
            if cursor.rowcount == 1:
                gewonnen.append(rij)
        nu_ = tijd(dt.datetime.now(UTC))
        cursor.executemany(IN_NOTIFICATIE.format(p=teken), [
            (f"kaal:{rij[0]}:{rij[7]}:{rol}", rij[1], f"rol:{rol}", f"Termijn {rij[2]} casus {rij[8]}",
             "vaste tekst", nu_, nu_)
            for rij in gewonnen for rol in ladder[rij[7]].rollen])
        casus_ids = sorted({rij[1] for rij in gewonnen})
        koppen = {}
        if casus_ids:
            if postgres:  # the chains are locked first, as the writer does
                cursor.execute(f"SELECT id FROM casus WHERE id IN ({','.join(map(str, casus_ids))}) ORDER BY id "
                               "FOR NO KEY UPDATE")
            cursor.execute(KOPPEN.format(ids=",".join(map(str, casus_ids))))
            koppen = {casus_id: (volgnummer, hash_) for casus_id, volgnummer, hash_ in cursor.fetchall()}
        gekoppeld = schakels([
            dict(casus_id=rij[1], tijdstip=moment, actor="termijnbewaking", actie="escalatie",
                 details={"termijn_id": rij[0], "soort": rij[2], "stap": ladder[rij[7]].naam})
            for rij in gewonnen], koppen)
        cursor.executemany(IN_AUDIT.format(p=teken), [
            (r["casus_id"], tijd(moment), json.dumps(r["details"]), r["volgnummer"], r["vorige_hash"], r["hash"])
            for r in gekoppeld])
        seconden = time.perf_counter() - start
        verbinding.rollback()
    finally:
        verbinding.close()
    return seconden, len(gewonnen)


def plan(engine, sql: str, moment: dt.datetime) -> str:
    sql, parameters = _sql(engine, sql, moment)
    postgres = engine.dialect.name == "postgresql"
    verbinding = engine.raw_connection()
    try:
        cursor = verbinding.cursor()
        cursor.execute(("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " if postgres else "EXPLAIN QUERY PLAN ")
                       + sql, parameters)
        regels = [str(r[0]) if postgres else str(r[-1]) for r in cursor.fetchall()]
        verbinding.rollback()
    finally:
        verbinding.close()
    return "\n".join(regels)


def meet(url: str, casussen: int, te_doen: int, herhaal: int) -> dict:
    from sqlmodel import Session

    from models.opslag.db import engine_voor
    from models.regels.instellingen import instellingen
    from models.dossier.termijnbewaking import over_tijd, te_bewaken
    from models.lezen.auditketen import controleer
    from tasks.termijnbewaking import bewaak

    os.environ["DATABASE_URL"] = url
    gezaaid = zaai(url, casussen, te_doen, herhaal)
    engine = engine_voor(url)
    regio = instellingen()
    kaal, selectie, kaal_vuren, wacht, cpu, overzicht_kaal, overzicht = [], [], [], [], [], [], []
    ladder = regio.escalatie.ladder
    plannen = dict(bewaking=plan(engine, BARE_QUERY, START), overzicht=plan(engine, BARE_OVERZICHT, START))
    for r in range(herhaal):
        peil = START + dt.timedelta(hours=r)
        seconden, aantal = bare_query(engine, BARE_QUERY, peil)
        kaal.append(seconden)
        start = time.perf_counter()
        with Session(engine) as session:
            gekozen = te_bewaken(session, peil, 10**6)
        selectie.append(time.perf_counter() - start)
        seconden, kaal_gevuurd = bare_firing(engine, peil, ladder)
        kaal_vuren.append(seconden)
        start, start_cpu = time.perf_counter(), time.process_time()
        verslag = bewaak(peil, regio)
        wacht.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if not aantal == len(gekozen) == kaal_gevuurd == verslag.gevuurd == te_doen:
            raise SystemExit(f"ronde {r}: kaal {aantal}, selectie {len(gekozen)}, kaal gevuurd {kaal_gevuurd}, "
                             f"gevuurd {verslag.gevuurd}; verwacht {te_doen}")
        seconden, over = bare_query(engine, BARE_OVERZICHT, peil)
        overzicht_kaal.append(seconden)
        start = time.perf_counter()
        with Session(engine) as session:
            rijen = over_tijd(session, peil)
        overzicht.append(time.perf_counter() - start)
        if len(rijen) != over:
            raise SystemExit(f"overzicht: {len(rijen)} rijen, kaal {over}")
    with Session(engine) as session:  # the audit chain after all rounds, as `vt audit controleer` checks it
        controle = controleer(session, [])
    if not controle.in_orde:
        raise SystemExit(f"de auditketen is niet in orde: {controle.breuken[:3]}")
    print(f"auditketen in orde: {controle.ketens} ketens, {controle.gebeurtenissen} gebeurtenissen", flush=True)
    return dict(gezaaid=gezaaid, kaal=kaal, selectie=selectie, kaal_vuren=kaal_vuren, wacht=wacht, cpu=cpu,
                overzicht_kaal=overzicht_kaal,
                overzicht=overzicht, over_tijd=over, notificaties=len(verslag.notificaties), plannen=plannen)


def ms(waarden: list[float]) -> str:
    return f"{statistics.median(waarden) * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--casussen", type=int, nargs="+", default=[100_000, 10_000])
    parser.add_argument("--te-doen", type=int, default=1_000, help="Termijnen die per ronde actie vragen.")
    parser.add_argument("--herhaal", type=int, default=5, help="Rondes per meting (mediaan).")
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)

    from cryptography.fernet import Fernet

    belasting = os.getloadavg()

    os.environ["VT_ENCRYPTION_KEY"] = os.environ.get("VT_ENCRYPTION_KEY") or Fernet.generate_key().decode()
    # The roles in the settings are never mailed: delivery is not part of the measurement.
    regels = ["| database | open cases | needing action | bare query | watch selection (x bare) | bare firing "
              "| watch: select + fire (x bare firing) | of which CPU | overview bare / watch (rows) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="vt-benchmark-") as tmp:
        databases = {"sqlite": lambda: sqlite_database(Path(tmp)), "postgresql": postgresql_database}
        for naam, maak in databases.items():
            if args.alleen and naam != args.alleen:
                continue
            for casussen in args.casussen:
                with maak() as url:
                    m = meet(url, casussen, args.te_doen, args.herhaal)
                g = m["gezaaid"]
                print(f"\n## {naam}, {casussen} open casussen (gezaaid in {g['seconden']:.1f} s: {g['te_doen']} te doen, "
                      f"{g['later']} later, {g['over_tijd']} over tijd met ladder klaar, {g['opgeschort']} opgeschort, "
                      f"{g['voldaan']} voldane termijnen)", flush=True)
                for sleutel in ("kaal", "selectie", "kaal_vuren", "wacht", "cpu", "overzicht_kaal", "overzicht"):
                    print(f"{sleutel:<15} {[round(x * 1000, 1) for x in m[sleutel]]} ms")
                print(f"{m['notificaties']} berichten in de laatste ronde")
                print(f"plan bewaking:\n{m['plannen']['bewaking']}\nplan overzicht:\n{m['plannen']['overzicht']}", flush=True)
                med = {k: statistics.median(v) for k, v in m.items() if isinstance(v, list)}
                regels.append(
                    f"| {naam} | {casussen:,} | {args.te_doen:,} | {ms(m['kaal'])} "
                    f"| {ms(m['selectie'])} ({med['selectie'] / med['kaal']:.1f}x) | {ms(m['kaal_vuren'])} "
                    f"| {ms(m['wacht'])} ({med['wacht'] / med['kaal_vuren']:.1f}x) | {ms(m['cpu'])} "
                    f"| {ms(m['overzicht_kaal'])} / {ms(m['overzicht'])} ({m['over_tijd']:,}) |")
    print("\n" + "\n".join(regels))
    print(f"\nmediaan van {args.herhaal} rondes; Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{platform.platform()}; load average bij start {belasting[0]:.1f}, bij einde {os.getloadavg()[0]:.1f} "
          "(de machine wordt gedeeld)")


if __name__ == "__main__":
    sys.exit(main())

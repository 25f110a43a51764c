"""Benchmark: the biweekly report's figures over 1,000,000 historical meldingen across 342
municipalities, on SQLite and PostgreSQL, beside hand-written SQL GROUP BY queries for the same
figures in the same run (which must give the same numbers).

    flock /tmp/vt-bench.lock .venv/bin/python benchmarks/rapportage_benchmark.py \
        [--meldingen 1000000] [--gemeenten 342] [--alleen sqlite|postgresql] [--herhaal 5]

(`flock`: on a shared machine, so that no two benchmarks run at once.) Seeding uses bulk Core
inserts of synthetic rows (no personal data: encrypted columns hold a dash), ~8 years of
history: every casus goes through the lifecycle (closed after the veiligheidsbeoordeling,
handed over, waiting list then onderzoek, V&V ...) with its status events, terms, handovers,
escalations and out-of-sight events, truncated at "now". Then ANALYZE (SQLite) or VACUUM ANALYZE
(PostgreSQL, what autovacuum does after a bulk load), as a production database has its
statistics and visibility map. PostgreSQL: a database with a fresh name on
postgresql+psycopg://postgres@127.0.0.1:5432, dropped afterwards (VT_BENCHMARK_POSTGRES_URL).

Measured: `tasks.rapportage.rapportcijfers` (what the flow and `vt rapport` run: every grouped
query and the suppression) against the bare queries in one transaction, after one untimed round
of each; median of --herhaal rounds. On PostgreSQL the bare queries run with JIT off like the
model, and once more per round with the server's default (JIT on), for the record. The load
average is printed at the start and around the measurements.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from benchmarkdatabase import postgresql_database, sqlite_database

UTC = dt.timezone.utc
DAG = dt.timedelta(days=1)


# --- settings for 342 municipalities ------------------------------------------------------------


def instellingen_voor(aantal_gemeenten: int):
    from models.regels.instellingen import DEMO_INSTELLINGEN, GemeenteInstelling, laad_instellingen

    demo = laad_instellingen(DEMO_INSTELLINGEN)
    gemeenten = [
        GemeenteInstelling.model_validate(dict(
            code=f"GM{n:04d}", naam=f"Gemeente {n}", college_email=f"college@gm{n:04d}.example.org",
            lokale_teams=[dict(code=f"T{n:04d}", naam=f"Team {n}", email=f"team@gm{n:04d}.example.org",
                               telefoon="0800-0000")],
        ))
        for n in range(1, aantal_gemeenten + 1)
    ]
    return demo.model_copy(update={"gemeenten": gemeenten})


# --- seeding --------------------------------------------------------------------------------------

# Lightweight tables: no column types, so bulk inserts skip encryption and type decorators.
def _tabel(naam: str, *kolommen: str):
    return sa.table(naam, *[sa.column(k) for k in kolommen])


HUISHOUDEN = _tabel("huishouden", "id", "zoeksleutel", "straat_huisnummer", "postcode", "woonplaats", "aangemaakt_op")
MELDER = _tabel("melder", "id", "soort", "naam", "telefoon", "email", "wil_terugkoppeling")
CASUS = _tabel("casus", "id", "referentie", "huishouden_id", "gemeente_code", "status", "urgentie", "geopend_op",
               "status_sinds", "afgesloten_op", "aantal_meldingen", "buiten_beeld", "versie")
MELDING = _tabel("melding", "id", "referentie", "casus_id", "melder_id", "gemeente_code", "ontvangen_op", "kanaal",
                 "urgentie", "hermelding", "omschrijving", "geregistreerd_op")
TERMIJN = _tabel("termijn", "id", "casus_id", "melding_id", "soort", "start_op", "waarschuw_op", "vervalt_op",
                 "oorspronkelijk_vervalt_op", "volgende_actie_op", "escalatie_stap", "voldaan_op")
AUDIT = _tabel("auditevent", "id", "casus_id", "tijdstip", "actor", "actie", "van_status", "naar_status", "details",
               "volgnummer", "vorige_hash", "hash")


class Zaaier:
    """Generates one chunk of casussen at a time with everything that belongs to them."""

    def __init__(self, codes: list[str], nu: dt.datetime, jaren: int, postgres: bool, seed: int = 342,
                 verschil: float = 1.2):
        self.rng = random.Random(seed)
        self.codes, self.nu, self.postgres = codes, nu, postgres
        self.begin = nu - dt.timedelta(days=365 * jaren)
        self.ids = {"casus": 0, "melding": 0, "termijn": 0, "audit": 0}
        # Municipalities differ in size, like real ones (a smaller `verschil`: more unequal).
        self.cumulatief = list(itertools.accumulate(self.rng.paretovariate(verschil) for _ in codes))

    def _t(self, moment: dt.datetime):
        # SQLite: the text UTCDateTime stores there; PostgreSQL: aware timestamps.
        return moment if self.postgres else moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    def _id(self, soort: str) -> int:
        self.ids[soort] += 1
        return self.ids[soort]

    def _pad(self, besluit: dt.datetime) -> list[tuple[str, dt.datetime]]:
        r, d = self.rng, lambda lo, hi: dt.timedelta(days=self.rng.uniform(lo, hi))
        keuze = r.random()
        if keuze < 0.35:
            return [("afgesloten", besluit + d(0.01, 2))]
        if keuze < 0.65:
            t1 = besluit + d(0.01, 1)
            t2 = t1 + d(3, 25)
            return [("overdracht", t1), ("monitoring", t2), ("afgesloten", t2 + d(90, 540))]
        if keuze < 0.85:
            t1 = besluit + d(0.01, 1)
            t2 = t1 + d(5, 90)
            t3 = t2 + d(30, 80)
            t4 = t3 + d(5, 20)
            return [("werkvoorraad", t1), ("onderzoek", t2), ("overdracht", t3), ("monitoring", t4),
                    ("afgesloten", t4 + d(60, 365))]
        if keuze < 0.95:
            t1 = besluit + d(0.01, 1)
            t2 = t1 + d(30, 90)
            return [("voorwaarden_en_vervolg", t1), ("monitoring", t2), ("afgesloten", t2 + d(180, 540))]
        t1 = besluit + d(0.01, 1)
        return [("onderzoek", t1), ("afgesloten", t1 + d(40, 80))]

    def chunk(self, aantal_casussen: int, aantal_meldingen: int) -> dict[str, list[dict]]:
        r = self.rng
        rijen = {"casus": [], "melding": [], "termijn": [], "audit": []}
        span = (self.nu - self.begin).total_seconds()
        extra = aantal_meldingen - aantal_casussen
        for i in range(aantal_casussen):
            casus_id = self._id("casus")
            gemeente = r.choices(self.codes, cum_weights=self.cumulatief)[0]
            geopend = self.begin + dt.timedelta(seconds=r.random() * span)
            besluit = geopend + dt.timedelta(days=r.uniform(0.5, 10))
            stappen = [("veiligheidscheck", geopend + dt.timedelta(hours=1)),
                       ("veiligheidsbeoordeling", geopend + dt.timedelta(hours=2)),
                       ("besluit", besluit), *self._pad(besluit)]
            stappen = [(s, t) for s, t in stappen if t <= self.nu]
            status, sinds = stappen[-1] if stappen else ("ontvangen", geopend)
            afgesloten = sinds if status == "afgesloten" else None
            eind = afgesloten or self.nu
            # About 28% of all meldingen are hermeldingen on an open casus.
            aantal = 1 + sum(1 for _ in range(3) if r.random() < extra / aantal_casussen / 3)
            urgentie = r.choices(["regulier", "spoed", "acuut"], weights=[7, 2, 1])[0]
            rijen["casus"].append(dict(
                id=casus_id, referentie=f"VT-B-{casus_id:09d}", huishouden_id=1, gemeente_code=gemeente,
                status=status, urgentie=urgentie, geopend_op=self._t(geopend), status_sinds=self._t(sinds),
                afgesloten_op=self._t(afgesloten) if afgesloten else None, aantal_meldingen=aantal,
                buiten_beeld=False, versie=1,
            ))
            for n in range(aantal):
                ontvangen = geopend if n == 0 else geopend + (eind - geopend) * r.random()
                melding_id = self._id("melding")
                rijen["melding"].append(dict(
                    id=melding_id, referentie=f"VT-B-{casus_id:09d}-{n + 1}", casus_id=casus_id, melder_id=1,
                    gemeente_code=gemeente, ontvangen_op=self._t(ontvangen), kanaal="politie",
                    urgentie=urgentie if n == 0 else r.choice(["regulier", "spoed", "acuut"]),
                    hermelding=n > 0, omschrijving="-", geregistreerd_op=self._t(ontvangen),
                ))
                vb_klaar = besluit if n == 0 else ontvangen + dt.timedelta(days=r.uniform(0.5, 10))
                self._termijn(rijen, casus_id, melding_id, "veiligheidsbeoordeling", ontvangen,
                              ontvangen + dt.timedelta(days=7), vb_klaar)
                self._audit(rijen, casus_id, ontvangen, "hermelding_geregistreerd" if n else "melding_geregistreerd",
                            details={"melding": f"VT-B-{casus_id:09d}-{n + 1}"})
            vorige = "ontvangen"
            for naar, tijdstip in stappen:
                self._audit(rijen, casus_id, tijdstip, "status", vorige, naar)
                self._gevolgen(rijen, casus_id, geopend, vorige, naar, tijdstip, stappen)
                vorige = naar
        return rijen

    def _gevolgen(self, rijen, casus_id, geopend, van, naar, tijdstip, stappen):
        """Terms, handovers, escalations and out-of-sight events that go with a status change."""
        r = self.rng
        volgende = next((t for s, t in stappen if t > tijdstip), None)
        if naar in ("werkvoorraad", "voorwaarden_en_vervolg") or (naar == "onderzoek" and van == "besluit"):
            soort = "voorwaarden_en_vervolg" if naar == "voorwaarden_en_vervolg" else "onderzoek"
            klaar = next((t for s, t in stappen if s in ("overdracht", "monitoring", "afgesloten") and t > tijdstip), None)
            self._termijn(rijen, casus_id, None, soort, geopend, geopend + dt.timedelta(days=70), klaar)
        if naar == "werkvoorraad":
            contact = tijdstip + dt.timedelta(days=r.uniform(5, 20))
            self._termijn(rijen, casus_id, None, "werkvoorraad_contact", tijdstip, tijdstip + dt.timedelta(days=14),
                          contact if volgende is None or contact < volgende else volgende)
        if naar == "overdracht":
            self._termijn(rijen, casus_id, None, "overdracht", tijdstip, tijdstip + dt.timedelta(days=14), volgende)
        if van == "overdracht" and naar == "monitoring":
            soort = r.choices(["warm", "telefonisch", "schriftelijk"], weights=[3, 5, 2])[0]
            self._audit(rijen, casus_id, tijdstip, "overdracht_afgerond", details={"type": soort, "regie": "lokaal_team"})
        if naar == "monitoring" and r.random() < 0.02 and volgende:
            self._audit(rijen, casus_id, tijdstip + (volgende - tijdstip) / 2, "buiten_beeld", details={"reden": "verhuisd"})

    def _termijn(self, rijen, casus_id, melding_id, soort, start, vervalt, voldaan):
        voldaan = voldaan if voldaan and voldaan <= self.nu else None
        rijen["termijn"].append(dict(
            id=self._id("termijn"), casus_id=casus_id, melding_id=melding_id, soort=soort, start_op=self._t(start),
            waarschuw_op=self._t(start + (vervalt - start) * 0.6), vervalt_op=self._t(vervalt),
            oorspronkelijk_vervalt_op=self._t(vervalt), volgende_actie_op=None if voldaan else self._t(vervalt),
            escalatie_stap=0, voldaan_op=self._t(voldaan) if voldaan else None,
        ))
        if (voldaan is None or voldaan > vervalt) and vervalt <= self.nu:
            self._audit(rijen, casus_id, vervalt, "escalatie", details={"soort": soort, "stap": 2})

    def _audit(self, rijen, casus_id, tijdstip, actie, van=None, naar=None, details=None):
        # The time as an aware datetime: the audit chain hashes it (`geketend` stores it after).
        rijen["audit"].append(dict(id=self._id("audit"), casus_id=casus_id, tijdstip=tijdstip, actor="benchmark",
                                   actie=actie, van_status=van, naar_status=naar, details=details or {}))

    def geketend(self, verbinding, rijen: list[dict], casus_ids: set[int]) -> list[dict]:
        """The audit rows chained as every writer chains them (`keten`: place and hashes; these
        casussen are new, so their chains start here), with the time as the table stores it."""
        from sqlmodel import Session

        from models.dossier.auditketen import keten

        with Session(bind=verbinding) as session:
            return [{**r, "tijdstip": self._t(r["tijdstip"])} for r in keten(session, rijen, casus_ids)]


def voeg_in(verbinding, tabel, rijen: list[dict]) -> None:
    """Bulk insert as fast as each database allows: COPY on PostgreSQL, one executemany of
    plain tuples on SQLite (SQLAlchemy's per-row processing would dominate the seeding)."""
    if not rijen:
        return
    kolommen = [k.name for k in tabel.columns]
    waarden = [tuple(json.dumps(r[k]) if k == "details" else r[k] for k in kolommen) for r in rijen]
    if verbinding.dialect.name == "postgresql":
        cursor = verbinding.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {tabel.name} ({', '.join(kolommen)}) FROM STDIN") as copy:
            for rij in waarden:
                copy.write_row(rij)
        return
    vraagtekens = ", ".join("?" for _ in kolommen)
    verbinding.exec_driver_sql(f"INSERT INTO {tabel.name} ({', '.join(kolommen)}) VALUES ({vraagtekens})", waarden)


def zaai(engine, instellingen, aantal_meldingen: int, jaren: int, nu: dt.datetime, verschil: float = 1.2) -> dict[str, int]:
    from sqlmodel import Session

    from models.opslag.werkdagen import synchroniseer_werkdagen
    from models.opslag.regio import synchroniseer

    postgres = engine.dialect.name == "postgresql"
    with Session(engine) as session, session.begin():
        synchroniseer(session, instellingen)
        synchroniseer_werkdagen(session, instellingen)
    zaaier = Zaaier([g.code for g in instellingen.gemeenten], nu, jaren, postgres, verschil=verschil)
    with engine.begin() as verbinding:  # the one household and melder every casus points to
        voeg_in(verbinding, HUISHOUDEN, [dict(id=1, zoeksleutel="-", straat_huisnummer="-", postcode="-",
                                              woonplaats="-", aangemaakt_op=zaaier._t(nu))])
        voeg_in(verbinding, MELDER, [dict(id=1, soort="politie_justitie", naam=None, telefoon=None, email=None,
                                          wil_terugkoppeling=False)])
    casussen_totaal = round(aantal_meldingen * 0.72)
    per_chunk = 20_000
    gedaan_m = 0
    for start in range(0, casussen_totaal, per_chunk):
        aantal_c = min(per_chunk, casussen_totaal - start)
        aantal_m = round(aantal_meldingen * (start + aantal_c) / casussen_totaal) - gedaan_m
        rijen = zaaier.chunk(aantal_c, aantal_m)
        gedaan_m += len(rijen["melding"])
        with engine.begin() as verbinding:
            rijen["audit"] = zaaier.geketend(verbinding, rijen["audit"], {r["id"] for r in rijen["casus"]})
            for naam, tabel in (("casus", CASUS), ("melding", MELDING), ("termijn", TERMIJN), ("audit", AUDIT)):
                voeg_in(verbinding, tabel, rijen[naam])
    with engine.begin() as verbinding:
        if postgres:  # our explicit ids: move the sequences past them
            for naam in ("casus", "melding", "termijn", "auditevent"):
                verbinding.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{naam}', 'id'), max(id)) FROM {naam}"))
        else:
            verbinding.execute(sa.text("ANALYZE"))
    if postgres:
        # What autovacuum does soon after a bulk load in production: statistics, and the
        # visibility map without which no index-only scan skips the table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as verbinding:
            verbinding.execute(sa.text("VACUUM (ANALYZE)"))
    return dict(zaaier.ids)


# --- the hand-written queries ---------------------------------------------------------------------

_DIENST = """CASE {k} WHEN 'ontvangen' THEN 'veiligheidsbeoordeling' WHEN 'veiligheidscheck' THEN 'veiligheidsbeoordeling'
  WHEN 'veiligheidsbeoordeling' THEN 'veiligheidsbeoordeling' WHEN 'besluit' THEN 'veiligheidsbeoordeling'
  WHEN 'werkvoorraad' THEN 'wachtlijst' WHEN 'onderzoek' THEN 'onderzoek' WHEN 'rvdk_verzoek' THEN 'onderzoek'
  WHEN 'voorwaarden_en_vervolg' THEN 'voorwaarden_en_vervolg' WHEN 'overdracht' THEN 'overdracht'
  WHEN 'monitoring' THEN 'monitoring' ELSE 'afgesloten' END"""


def kale_queries(dialect: str) -> dict[str, str]:
    """The same figures as models/lezen/rapportage.py, written by hand per dialect (PostgreSQL with
    GROUPING SETS and its own percentile_cont for the median), with the same strategy as the
    model (window over the status events of the cases concerned, intervals counted per range of
    period ends). Parameters: :e0..:e5 period ends (UTC, e0 newest), :d0 the report's last day,
    :begin/:eind the period, :gebruikelijk."""
    eindes = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(6))
    van_k = " + ".join(f"CASE WHEN tot < :e{k} OR afgesloten_op < :e{k} THEN 1 ELSE 0 END" for k in range(6))
    tot_k = " + ".join(f"CASE WHEN sinds < :e{k} AND geopend_op < :e{k} THEN 1 ELSE 0 END" for k in range(6))
    stand = f"""
      WITH eindes AS ({eindes}),
      kandidaat AS (
        SELECT id, geopend_op FROM casus WHERE afgesloten_op IS NULL AND geopend_op < :e0
        UNION ALL
        SELECT id, geopend_op FROM casus WHERE afgesloten_op >= :e5 AND geopend_op < :e0),
      wissels AS (
        SELECT c.id, a.tijdstip, a.id AS volgorde, {_DIENST.format(k='a.naar_status')} AS dienst
        FROM kandidaat c JOIN auditevent a ON a.casus_id = c.id
        WHERE a.actie = 'status' AND a.tijdstip < :e0
          AND {_DIENST.format(k='a.van_status')} <> {_DIENST.format(k='a.naar_status')}
        UNION ALL SELECT id, geopend_op, 0, 'veiligheidsbeoordeling' FROM kandidaat),
      intervallen AS MATERIALIZED (
        SELECT c.gemeente_code, c.geopend_op, c.afgesloten_op, i.dienst, i.sinds, i.tot
        FROM (SELECT id, dienst, tijdstip AS sinds,
                     LEAD(tijdstip) OVER (PARTITION BY id ORDER BY tijdstip, volgorde) AS tot FROM wissels) i
        JOIN casus c ON c.id = i.id
        WHERE i.dienst <> 'afgesloten' AND i.sinds < :e0 AND (i.tot IS NULL OR i.tot >= :e5)),
      bereik AS (
        SELECT gemeente_code, dienst, van_k, tot_k, count(*) AS n
        FROM (SELECT gemeente_code, dienst, {van_k} AS van_k, {tot_k} AS tot_k FROM intervallen) r
        GROUP BY gemeente_code, dienst, van_k, tot_k),
      stand AS (
        SELECT e.k, b.gemeente_code, b.dienst, sum(b.n) AS n
        FROM bereik b JOIN eindes e ON e.k >= b.van_k AND e.k < b.tot_k
        GROUP BY e.k, b.gemeente_code, b.dienst),
      wacht AS (
        SELECT gemeente_code, dienst,
               (SELECT volgnummer FROM werkdag WHERE datum = :d0)
               - coalesce((SELECT volgnummer FROM werkdag WHERE begin_utc <= i.sinds ORDER BY begin_utc DESC LIMIT 1), 0) AS w
        FROM intervallen i
        WHERE sinds < :e0 AND (tot IS NULL OR tot >= :e0) AND geopend_op < :e0
          AND (afgesloten_op IS NULL OR afgesloten_op >= :e0))"""
    if dialect == "postgresql":
        werkvoorraad = f"""{stand}
          SELECT k, gemeente_code, dienst, sum(n), NULL::float8, NULL::int, NULL::bigint FROM stand
          GROUP BY GROUPING SETS ((k, gemeente_code, dienst), (k, gemeente_code), (k, dienst), (k))
          UNION ALL
          SELECT -1, gemeente_code, dienst, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY w), max(w),
                 sum(CASE WHEN w > :gebruikelijk THEN 1 ELSE 0 END)
          FROM wacht GROUP BY GROUPING SETS ((gemeente_code, dienst), (dienst))"""
    else:
        werkvoorraad = f"""{stand},
          per_dienst AS (SELECT k, gemeente_code, dienst, n FROM stand),
          alle AS (SELECT gemeente_code, dienst, w FROM wacht UNION ALL SELECT NULL, dienst, w FROM wacht),
          r AS (SELECT gemeente_code, dienst, w,
                       ROW_NUMBER() OVER (PARTITION BY gemeente_code, dienst ORDER BY w) AS rn,
                       COUNT(*) OVER (PARTITION BY gemeente_code, dienst) AS n FROM alle)
          SELECT k, gemeente_code, dienst, n, NULL, NULL, NULL FROM per_dienst
          UNION ALL SELECT k, gemeente_code, NULL, sum(n), NULL, NULL, NULL FROM per_dienst GROUP BY k, gemeente_code
          UNION ALL SELECT k, NULL, dienst, sum(n), NULL, NULL, NULL FROM per_dienst GROUP BY k, dienst
          UNION ALL SELECT k, NULL, NULL, sum(n), NULL, NULL, NULL FROM per_dienst GROUP BY k
          UNION ALL
          SELECT -1, gemeente_code, dienst, max(n), avg(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN w END), max(w),
                 sum(CASE WHEN w > :gebruikelijk THEN 1 ELSE 0 END)
          FROM r GROUP BY gemeente_code, dienst"""
    return {
        "werkvoorraad": werkvoorraad,
        "termijnen": """
          SELECT c.gemeente_code,
            sum(CASE WHEN t.soort = 'veiligheidsbeoordeling' THEN 1 ELSE 0 END),
            sum(CASE WHEN t.soort = 'veiligheidsbeoordeling' AND t.voldaan_op <= t.vervalt_op THEN 1 ELSE 0 END),
            sum(CASE WHEN t.soort <> 'veiligheidsbeoordeling' THEN 1 ELSE 0 END),
            sum(CASE WHEN t.soort <> 'veiligheidsbeoordeling' AND t.voldaan_op <= t.vervalt_op THEN 1 ELSE 0 END)
          FROM termijn t JOIN casus c ON c.id = t.casus_id
          WHERE t.vervalt_op >= :begin AND t.vervalt_op < :eind AND t.opgeschort_op IS NULL
            AND t.soort IN ('veiligheidsbeoordeling', 'onderzoek', 'voorwaarden_en_vervolg')
          GROUP BY c.gemeente_code""",
        "achterstanden": """
          SELECT c.gemeente_code,
            count(DISTINCT CASE WHEN t.soort = 'overdracht' THEN t.casus_id END),
            count(DISTINCT CASE WHEN t.soort = 'werkvoorraad_contact' THEN t.casus_id END)
          FROM termijn t JOIN casus c ON c.id = t.casus_id
          WHERE t.soort IN ('overdracht', 'werkvoorraad_contact') AND t.start_op < :eind AND t.vervalt_op < :eind
            AND (t.voldaan_op IS NULL OR t.voldaan_op >= :eind) AND t.opgeschort_op IS NULL
            AND (c.afgesloten_op IS NULL OR c.afgesloten_op >= :eind)
          GROUP BY c.gemeente_code""",
        "instroom": """
          SELECT gemeente_code, count(*), sum(CASE WHEN urgentie = 'acuut' THEN 1 ELSE 0 END),
                 sum(CASE WHEN hermelding THEN 1 ELSE 0 END)
          FROM melding WHERE ontvangen_op >= :begin AND ontvangen_op < :eind GROUP BY gemeente_code""",
        "gebeurtenissen": f"""
          SELECT c.gemeente_code, sum(p.overdracht), sum(p.warm), sum(p.buiten_beeld), sum(p.escalaties)
          FROM (SELECT casus_id,
                  max(CASE WHEN actie = 'overdracht_afgerond' OR (actie = 'status' AND van_status = 'overdracht'
                      AND naar_status IN ('monitoring', 'afgesloten')) THEN 1 ELSE 0 END) AS overdracht,
                  max(CASE WHEN actie = 'overdracht_afgerond' AND {"details->>'type'" if dialect == "postgresql" else "json_extract(details, '$.type')"} = 'warm' THEN 1 ELSE 0 END) AS warm,
                  max(CASE WHEN actie = 'buiten_beeld' THEN 1 ELSE 0 END) AS buiten_beeld,
                  sum(CASE WHEN actie = 'escalatie' THEN 1 ELSE 0 END) AS escalaties
                FROM auditevent
                WHERE actie IN ('overdracht_afgerond', 'status', 'buiten_beeld', 'escalatie')
                  AND tijdstip >= :begin AND tijdstip < :eind AND (actie <> 'status' OR van_status = 'overdracht')
                GROUP BY casus_id) p JOIN casus c ON c.id = p.casus_id
          GROUP BY c.gemeente_code""",
    }


def kaal(engine, instellingen, periode, jit: bool = False) -> dict[str, list]:
    """The hand-written queries in one transaction. On PostgreSQL with JIT off like the model
    (`models.lezen.rapportage.bereken`), unless `jit`: then with the server's default."""
    from models.regels.perioden import eerdere_perioden

    perioden = eerdere_perioden(instellingen.rapportage, periode, instellingen.rapportage.grafiek_perioden)
    assert len(perioden) == 6, "de kale queries gaan uit van zes perioden (rapportage.grafiek_perioden)"
    postgres = engine.dialect.name == "postgresql"

    def moment(m):  # the stored representation, as UTCDateTime binds it
        return m if postgres else m.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    waarden = {f"e{k}": moment(p.eind_utc) for k, p in enumerate(perioden)}
    waarden.update({f"d{k}": p.eind for k, p in enumerate(perioden)})
    waarden.update(begin=moment(periode.begin_utc), eind=moment(periode.eind_utc),
                   gebruikelijk=instellingen.gebruikelijke_wachttijd_werkdagen)
    uitkomst = {}
    with engine.connect() as verbinding:
        if postgres and not jit:
            verbinding.execute(sa.text("SET LOCAL jit = off"))
        for naam, sql in kale_queries(engine.dialect.name).items():
            uitkomst[naam] = [tuple(r) for r in verbinding.execute(sa.text(sql), waarden)]
    return uitkomst


def vergelijk(ruw, kale) -> None:
    """The model's raw figures must equal the hand-written queries' (per municipality)."""
    from models.regels.onderdrukking import REGIO

    aantallen = {(k, g or REGIO, d or "totaal"): n for k, g, d, n, *_ in kale["werkvoorraad"] if k >= 0}
    assert aantallen == {(k, g, d): n for k, cellen in ruw.werkvoorraad.items() for (g, d), n in cellen.items()}, \
        "werkvoorraad verschilt"
    for _, g, d, n, mediaan, langste, boven in (r for r in kale["werkvoorraad"] if r[0] == -1):
        w = ruw.wachttijden[(g or REGIO, d)]
        assert (w.aantal, round(w.mediaan, 6), w.langste, w.boven_gebruikelijk) == \
               (n, round(float(mediaan), 6), langste, boven), f"wachttijd {g} {d} verschilt"
    for naam, kolommen in [("termijnen", ["veiligheidsbeoordeling_totaal", "veiligheidsbeoordeling_op_tijd",
                                           "onderzoek_en_venv_totaal", "onderzoek_en_venv_op_tijd"]),
                           ("achterstanden", ["overdracht_over_tijd", "zonder_contact"]),
                           ("instroom", ["meldingen", "acuut", "hermeldingen"]),
                           ("gebeurtenissen", ["overdrachten", "warm", "buiten_beeld", "escalaties"])]:
        model = {g: tuple(v[k] for k in kolommen) for g, v in getattr(ruw, naam).items() if g != REGIO}
        assert model == {r[0]: tuple(int(x or 0) for x in r[1:]) for r in kale[naam]}, f"{naam} verschilt"


# --- running ---------------------------------------------------------------------------------------


def _belasting() -> str:
    een, vijf, vijftien = os.getloadavg()
    return f"load average {een:.2f} / {vijf:.2f} / {vijftien:.2f} (1/5/15 min), {os.cpu_count()} cores"


def meet(url: str, args, instellingen) -> None:
    from sqlmodel import Session

    from models.opslag.db import maak_engine, migreer
    from models.regels.kalender import AMSTERDAM
    from models.regels.perioden import laatste_periode
    from models.lezen.rapportage import bereken
    from models.opslag.typen import nu as nu_
    from tasks.rapportage import rapportcijfers

    migreer(url)
    engine = maak_engine(url)
    nu = nu_()
    start = time.perf_counter()
    aantallen = zaai(engine, instellingen, args.meldingen, args.jaren, nu)
    naam = engine.dialect.name
    print(f"{naam:<10} gezaaid in {time.perf_counter() - start:.0f} s: {aantallen['casus']:,} casussen, "
          f"{aantallen['melding']:,} meldingen, {aantallen['termijn']:,} termijnen, {aantallen['audit']:,} auditevents",
          flush=True)
    periode = laatste_periode(instellingen.rapportage, nu.astimezone(AMSTERDAM).date())

    def model():
        with Session(engine) as session:
            return rapportcijfers(session, instellingen, periode, instellingen.capaciteit)

    # One untimed round each first: the first reads the tables from disk into the caches.
    cijfers, kale = model(), kaal(engine, instellingen, periode)
    with Session(engine) as session:
        vergelijk(bereken(session, instellingen, periode), kale)
    print(f"{naam:<10} metingen beginnen; {_belasting()}", flush=True)
    tijden_model, tijden_kaal, tijden_jit = [], [], []
    for _ in range(args.herhaal):
        start = time.perf_counter()
        cijfers = model()
        tijden_model.append(time.perf_counter() - start)
        start = time.perf_counter()
        kaal(engine, instellingen, periode)
        tijden_kaal.append(time.perf_counter() - start)
        if naam == "postgresql":  # for the record: the bare queries with the server's default JIT
            start = time.perf_counter()
            kaal(engine, instellingen, periode, jit=True)
            tijden_jit.append(time.perf_counter() - start)
    m, k = statistics.median(tijden_model), statistics.median(tijden_kaal)
    open_ = cijfers.regio.werkvoorraad[-1].aantal
    print(f"{naam:<10} rapport t/m {periode.eind}: model {m:.2f} s (min {min(tijden_model):.2f}, max "
          f"{max(tijden_model):.2f}), kale SQL {k:.2f} s (min {min(tijden_kaal):.2f}, max {max(tijden_kaal):.2f}), "
          f"verhouding {m / k:.2f}; {open_:,} open casussen, {cijfers.regio.meldingen:,} meldingen in de periode; "
          f"zelfde cijfers: ja", flush=True)
    if tijden_jit:
        print(f"{naam:<10} kale SQL met JIT aan (standaard van de server): {statistics.median(tijden_jit):.2f} s "
              f"(min {min(tijden_jit):.2f})", flush=True)
    print(f"{naam:<10} metingen klaar; {_belasting()}", flush=True)
    if args.bestanden:
        from tasks.rapportage import schrijf_rapportbestanden

        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            schrijf_rapportbestanden(cijfers, 1, Path(tmp))
        print(f"{naam:<10} PDF, grafiek en {len(cijfers.gebieden)} CSV-bestanden: {time.perf_counter() - start:.1f} s")
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meldingen", type=int, default=1_000_000)
    parser.add_argument("--gemeenten", type=int, default=342)
    parser.add_argument("--jaren", type=int, default=8)
    parser.add_argument("--herhaal", type=int, default=5)
    parser.add_argument("--alleen", choices=["sqlite", "postgresql"])
    parser.add_argument("--bestanden", action="store_true", help="Meet ook PDF, grafiek en CSV's (342 gemeenten).")
    args = parser.parse_args(argv)
    if not os.environ.get("VT_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["VT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    instellingen = instellingen_voor(args.gemeenten)
    print(f"start {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {_belasting()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="vt-rapportage-") as tmp:
        databases = {"sqlite": lambda: sqlite_database(Path(tmp)), "postgresql": postgresql_database}
        for naam, maak in databases.items():
            if args.alleen and naam != args.alleen:
                continue
            with maak() as url:
                meet(url, args, instellingen)
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.platform()}")


if __name__ == "__main__":
    sys.exit(main())

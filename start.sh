#!/usr/bin/env bash
# Start the whole system locally, in the foreground, until Ctrl-C:
#   - the gateway (web.toegang) on http://127.0.0.1:4200: THE address of the system; log-in, and
#     behind it the Prefect UI/API, the dossiers, the reports for municipalities
#   - Prefect server (own SQLite under .vt/prefect) on 127.0.0.1:4201, behind the gateway: it
#     refuses every request without its credential (PREFECT_SERVER_API_AUTH_STRING, new per start)
#   - demo SMTP sink on 127.0.0.1:8025, every mail stored as .eml in .vt/mail/
#   - a second demo SMTP sink on 127.0.0.1:8026 (bezorging.tweede_kanaal: the channel that is
#     told about undeliverable mail without the first server), stored in .vt/mail-tweede-kanaal/
#   - database schema (vt migreer), demo cases (vt demo-data), a demo account per role (vt account demo)
#   - all deployments with their schedules (python -m deployments.serve)
#   - a lifecycle run for every open demo casus, waiting at its decision (vt levensloop start-open)
# Everything this script writes goes under .vt/ (gitignored). Logs: .vt/logs/.
#
# ./start.sh --cluster: the same system on the cluster layout (docs/beheer.md, "Cluster"), as a
# stand-in for several machines: Prefect on PostgreSQL with two API replicas behind HAProxy on
# 127.0.0.1:4201, the background services in their own process, a private Redis, two process
# workers (each with the fork server its runs start from) instead of deployments.serve, two
# gateways behind HAProxy on 127.0.0.1:4200 (scripts/cluster.py), and the case store on PostgreSQL
# (which also holds the gateways' sessions).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
REPO="$(pwd)"

CLUSTER=false
case "${1:-}" in
"") ;;
--cluster) CLUSTER=true ;;
*)
    echo "gebruik: ./start.sh [--cluster]" >&2
    exit 2
    ;;
esac

POORT=4200         # the gateway: the only address people use
PREFECT_POORT=4201 # the Prefect server, behind the gateway
SMTP_POORT=8025
TWEEDE_POORT=8026
VT="$REPO/.vt"
LOGS="$VT/logs"
MAIL="$VT/mail"
TWEEDE_MAIL="$VT/mail-tweede-kanaal"

log() { echo "[start] $*"; }

# --- children and cleanup ------------------------------------------------------------------------
# Each child runs in its own process group (setsid), so Ctrl-C reaches only this script, which then
# stops the children in order (deployments first, Prefect server last) with SIGTERM, and SIGKILL
# for whatever is still there after a grace period.
KINDEREN=()     # pids (= process group ids), in start order
declare -A NAAM # pid -> name

start_kind() { # start_kind NAME LOGFILE CMD...
    local naam=$1 logbestand=$2
    shift 2
    setsid "$@" >>"$logbestand" 2>&1 </dev/null &
    local pid=$!
    KINDEREN+=("$pid")
    NAAM[$pid]=$naam
}

leeft() { kill -0 "$1" 2>/dev/null; }

stop_kinderen() {
    local i pid t
    for ((i = ${#KINDEREN[@]} - 1; i >= 0; i--)); do
        pid=${KINDEREN[i]}
        leeft "$pid" || continue
        log "stoppen: ${NAAM[$pid]} (pid $pid)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((t = 0; t < 150; t++)); do # 15 s
            leeft "$pid" || break
            sleep 0.1
        done
        if leeft "$pid"; then
            log "${NAAM[$pid]} reageert niet op SIGTERM: SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    KINDEREN=()
}

opruimen() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if ((${#KINDEREN[@]})); then
        stop_kinderen
        log "alles gestopt"
    fi
    exit "$rc"
}
trap opruimen EXIT
trap 'echo; log "Ctrl-C ontvangen, systeem wordt gestopt"; exit 130' INT
trap 'log "signaal ontvangen, systeem wordt gestopt"; exit 143' TERM HUP

mislukt() { # mislukt MESSAGE [LOGFILE]
    echo "[start] FOUT: $1" >&2
    if [[ -n "${2:-}" && -f "$2" ]]; then
        echo "[start] laatste regels van $2:" >&2
        tail -n 30 "$2" | sed 's/^/    /' >&2
    fi
    exit 1
}

stap() { # stap NAME CMD...: run one step in the foreground; stop everything if it fails
    local naam=$1
    shift
    log "stap: $naam"
    local rc=0
    "$@" || rc=$?
    ((rc == 0)) || mislukt "stap '$naam' mislukt (exit $rc); zie de uitvoer hierboven. Het systeem wordt gestopt."
}

poort_vrij() { # poort_vrij PORT: true when nothing listens on 127.0.0.1:PORT
    ! .venv/bin/python - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

wacht_op() { # wacht_op PID LOGFILE SECONDS DESCRIPTION PYTHON-CHECK (exit 0 = ready)
    local pid=$1 logbestand=$2 sec=$3 wat=$4 check=$5 begin=$SECONDS
    while ((SECONDS - begin < sec)); do
        leeft "$pid" || mislukt "$wat is gestopt tijdens het opstarten" "$logbestand"
        if .venv/bin/python -c "$check" 2>/dev/null; then
            log "$wat is klaar na $((SECONDS - begin)) s"
            return 0
        fi
        sleep 0.5
    done
    mislukt "$wat is na ${sec} s nog niet bereikbaar" "$logbestand"
}

# --- installation ----------------------------------------------------------------------------------
bash scripts/install.sh || mislukt "installatie mislukt (zie hierboven)"

# Nothing this script or its children write is readable by other users of the machine (the
# case store, logs, Prefect's results); the archive and print queue set their own modes.
umask 027
mkdir -p "$LOGS" "$MAIL" "$TWEEDE_MAIL" "$VT/prefect/storage"

poort_vrij "$POORT" || mislukt "poort $POORT is al in gebruik: draait ./start.sh al? Stop die eerst."
poort_vrij "$PREFECT_POORT" || mislukt "poort $PREFECT_POORT is al in gebruik: draait ./start.sh (of een andere Prefect-server) al? Stop die eerst."
poort_vrij "$SMTP_POORT" || mislukt "poort $SMTP_POORT is al in gebruik: draait ./start.sh al? Stop die eerst."
poort_vrij "$TWEEDE_POORT" || mislukt "poort $TWEEDE_POORT is al in gebruik: draait ./start.sh al? Stop die eerst."

# --- environment for all children ------------------------------------------------------------------
export PREFECT_HOME="$VT/prefect"
export PREFECT_API_URL="http://127.0.0.1:$PREFECT_POORT/api"
# Staff wait on every step (BENCHMARKS.md, "A step in the UI"): the runner looks for resumed runs
# every half second, starts runs from a preloaded process, and the UI shows the next form at once.
export VT_RUNNER_POLL_SECONDEN=0.5 # deployments/serve.py
export VT_RUNS_VOORGELADEN=true # deployments/serve.py
export VT_UI_VOLGT_RUN=true     # scripts/prefect_server.py
# Prefect's runner runs at most 5 flow runs at once by default: staff deciding together, a report
# and the deadline watch would queue behind each other. Each run is one process (~150 MB).
export PREFECT_RUNNER_PROCESS_LIMIT=20
export PREFECT_RESULTS_PERSIST_BY_DEFAULT=true
export PREFECT_LOCAL_STORAGE_PATH="$VT/prefect/storage"
export PREFECT_SERVER_ANALYTICS_ENABLED=false # no network here; and nothing of ours leaves the machine
# Prefect's pause-expiration service reads every paused run every 5 s to fail those past their
# timeout; our forms wait without one, so at a region's volume it is a core's work for nothing
# (BENCHMARKS.md, "Starting lifecycle runs in bulk").
export PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED=false
# The API answers cross-origin requests from the UI's own origin only (Prefect's default is `*`:
# any web page the user opens could read and drive the API through the browser).
export PREFECT_SERVER_CORS_ALLOWED_ORIGINS="http://127.0.0.1:$POORT"
# The Prefect server answers only the gateway, the deployments and `vt`: one credential, new at
# every start, never shown to a person (the gateway adds it to what it lets through).
PREFECT_SERVER_API_AUTH_STRING="vt:$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
export PREFECT_SERVER_API_AUTH_STRING
export PREFECT_API_AUTH_STRING="$PREFECT_SERVER_API_AUTH_STRING"
export PREFECT_UI_URL="http://127.0.0.1:$POORT" # links Prefect itself makes point at the gateway

SLEUTEL="$VT/encryption.key"
if [[ ! -s "$SLEUTEL" ]]; then
    log "nieuwe Fernet-sleutel in $SLEUTEL"
    (
        umask 077
        .venv/bin/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" >"$SLEUTEL.tmp"
        mv "$SLEUTEL.tmp" "$SLEUTEL"
    )
fi
chmod 600 "$SLEUTEL"
VT_ENCRYPTION_KEY="$(head -n1 "$SLEUTEL")"
export VT_ENCRYPTION_KEY

# --- Prefect server --------------------------------------------------------------------------------
PREFECT_LOG="$LOGS/prefect-server.log"
if $CLUSTER; then
    # The case store on PostgreSQL too: the workers (each could be on another machine) share it.
    export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/vt_cluster_casussen"
    stap "database van het casusregister (PostgreSQL)" .venv/bin/python scripts/cluster.py database vt_cluster_casussen
    stap "database-schema (vt migreer), voor de workers starten" .venv/bin/vt migreer
    PREFECT_LOG="$LOGS/cluster.log"
    log "Prefect in cluster-opzet starten (log: $PREFECT_LOG, onderdelen: $VT/cluster/logs/)"
    echo "=== $(date '+%F %T') ./start.sh --cluster ===" >>"$PREFECT_LOG"
    rm -f "$VT/cluster/klaar"
    start_kind "Prefect-cluster" "$PREFECT_LOG" \
        .venv/bin/python -u scripts/cluster.py --map "$VT/cluster" --poort "$PREFECT_POORT" --toegangspoort "$POORT"
    PREFECT_PID=$!
    wacht_op "$PREFECT_PID" "$PREFECT_LOG" 300 "de Prefect-cluster" "
import pathlib, sys
sys.exit(0 if pathlib.Path('$VT/cluster/klaar').exists() else 1)
"
else
    log "Prefect-server starten (log: $PREFECT_LOG)"
    echo "=== $(date '+%F %T') ./start.sh ===" >>"$PREFECT_LOG"
    # `prefect server start` as it runs in the foreground, plus Dutch reasons when a Resume is refused
    # (two colleagues sending one form): scripts/prefect_server.py.
    start_kind "Prefect-server" "$PREFECT_LOG" \
        .venv/bin/python scripts/prefect_server.py --host 127.0.0.1 --port "$PREFECT_POORT"
    PREFECT_PID=$!
fi
wacht_op "$PREFECT_PID" "$PREFECT_LOG" 120 "de Prefect-server" "
import json, sys, urllib.request
with urllib.request.urlopen('http://127.0.0.1:$PREFECT_POORT/api/health', timeout=2) as r:
    sys.exit(0 if r.status == 200 and json.load(r) is True else 1)
"
log "Prefect-server gezond: http://127.0.0.1:$PREFECT_POORT/api/health"

# --- demo SMTP sink --------------------------------------------------------------------------------
SMTP_LOG="$LOGS/smtp.log"
log "demo-SMTP starten op 127.0.0.1:$SMTP_POORT (log: $SMTP_LOG)"
start_kind "demo-SMTP" "$SMTP_LOG" \
    .venv/bin/python -u scripts/demo_smtp.py --map "$MAIL" --host 127.0.0.1 --port "$SMTP_POORT"
SMTP_PID=$!
wacht_op "$SMTP_PID" "$SMTP_LOG" 30 "de demo-SMTP-server" "
import smtplib
with smtplib.SMTP('127.0.0.1', $SMTP_POORT, timeout=2) as s:
    s.noop()
"
TWEEDE_LOG="$LOGS/smtp-tweede-kanaal.log"
log "tweede kanaal (demo-SMTP) starten op 127.0.0.1:$TWEEDE_POORT (log: $TWEEDE_LOG)"
start_kind "tweede kanaal" "$TWEEDE_LOG" \
    .venv/bin/python -u scripts/demo_smtp.py --map "$TWEEDE_MAIL" --host 127.0.0.1 --port "$TWEEDE_POORT"
TWEEDE_PID=$!

# --- database and demo data ------------------------------------------------------------------------
stap "database-schema (vt migreer)" .venv/bin/vt migreer
stap "demodata (vt demo-data)" .venv/bin/vt demo-data

# --- the gateway -----------------------------------------------------------------------------------
log "stap: demo-accounts (vt account demo)"
# Kept in this shell only (never on disk) and printed once, below.
DEMO_ACCOUNTS="$(.venv/bin/vt account demo)" || mislukt "stap 'demo-accounts' mislukt; zie de uitvoer hierboven."
POORT_LOG="$LOGS/toegangspoort.log"
if $CLUSTER; then
    POORT_PID="" # two gateways behind HAProxy on 127.0.0.1:$POORT, started with the cluster
    log "toegangspoorten: 2 achter HAProxy op 127.0.0.1:$POORT (logs: $VT/cluster/logs/toegangspoort-*.log)"
else
    log "toegangspoort starten op 127.0.0.1:$POORT (log: $POORT_LOG)"
    start_kind "toegangspoort" "$POORT_LOG" \
        .venv/bin/python -m web.toegang --host 127.0.0.1 --port "$POORT" --prefect "http://127.0.0.1:$PREFECT_POORT"
    POORT_PID=$!
    wacht_op "$POORT_PID" "$POORT_LOG" 60 "de toegangspoort" "
import sys, urllib.request
with urllib.request.urlopen('http://127.0.0.1:$POORT/inloggen', timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
"
fi

# --- deployments -----------------------------------------------------------------------------------
SERVE_LOG="$LOGS/deployments.log"
if $CLUSTER; then
    SERVE_PID="" # the cluster's workers run the deployments (registered on their work pool)
else
    log "deployments serveren (python -m deployments.serve; log: $SERVE_LOG)"
    start_kind "deployments" "$SERVE_LOG" .venv/bin/python -m deployments.serve
    SERVE_PID=$!
    sleep 2
    leeft "$SERVE_PID" || mislukt "deployments.serve is direct gestopt" "$SERVE_LOG"
fi

# Every open demo casus gets its lifecycle run, waiting at the form of its step: the UI's run
# list filtered on "Suspended" then shows demo cases waiting at each kind of decision. Runs of
# casussen that only wait for a decision are created at once (no process each).
log "het systeem is al bereikbaar op http://127.0.0.1:$POORT/ (inloggen); de casus-runs starten nu"
if $CLUSTER; then
    # The bulk start writes forms straight into Prefect's database (tasks/prefect_database.py).
    export PREFECT_SERVER_DATABASE_CONNECTION_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/vt_prefect_cluster"
fi
stap "levensloop-runs van de open demo-casussen (vt levensloop start-open)" .venv/bin/vt levensloop start-open

cat <<EOF

================================================================================
  Veilig Thuis orkestratie draait lokaal.

  Adres:           http://127.0.0.1:$POORT/   (inloggen; daarna werkvoorraad, formulieren,
                   dossiers; zie docs/medewerkers.md)
$(sed 's/^/  /' <<<"$DEMO_ACCOUNTS")
  Prefect-server:  achter de toegangspoort op 127.0.0.1:$PREFECT_POORT (weigert verzoeken zonder
                   de sleutel van deze start)
  E-mail:          gaat naar de demo-SMTP op 127.0.0.1:$SMTP_POORT en wordt als
                   .eml opgeslagen in $MAIL/
  Tweede kanaal:   onbestelbare berichten worden ook gemeld via 127.0.0.1:$TWEEDE_POORT,
                   opgeslagen in $TWEEDE_MAIL/
  Database:        $($CLUSTER && echo "PostgreSQL vt_cluster_casussen" || echo "$VT/casussen.db (SQLite)"), sleutel in $SLEUTEL
$($CLUSTER && echo "  Cluster:         2 toegangspoorten achter HAProxy op 127.0.0.1:$POORT, 2 API-replica's achter
                   HAProxy op 127.0.0.1:$PREFECT_POORT, 2 workers (elk met een voorgeladen proces waaruit
                   zijn runs starten), eigen Redis; logs in $VT/cluster/logs/ (docs/beheer.md, Cluster)")
  Logs:            $LOGS/ ($($CLUSTER || echo "toegangspoort.log, ")$(basename "$PREFECT_LOG"), smtp.log$($CLUSTER || echo ", deployments.log"))

  Stoppen:         Ctrl-C in dit venster (stopt alle onderdelen netjes)
================================================================================

EOF

# Stay in the foreground until Ctrl-C or until one of the parts stops on its own.
gestopt_pid=""
rc=0
wait -n -p gestopt_pid "${KINDEREN[@]}" || rc=$?
naam="${NAAM[$gestopt_pid]:-een onderdeel}"
case "$gestopt_pid" in
"$PREFECT_PID") logbestand=$PREFECT_LOG ;;
"$SMTP_PID") logbestand=$SMTP_LOG ;;
"$TWEEDE_PID") logbestand=$TWEEDE_LOG ;;
"$POORT_PID") logbestand=$POORT_LOG ;;
*) logbestand=$SERVE_LOG ;;
esac
mislukt "$naam is onverwacht gestopt (exit $rc); de rest wordt ook gestopt" "$logbestand"

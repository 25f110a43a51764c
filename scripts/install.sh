#!/usr/bin/env bash
# Idempotent installation for this checkout, used by ./test.sh and ./start.sh (and CI via .ci/run).
#
#   bash scripts/install.sh      # run it
#   source scripts/install.sh    # or source it: runs in a subshell, leaves the caller's shell alone
#
# What it does, each step only when needed:
#   1. Debian packages the project needs (apt-get, only the missing ones, one `apt-get update` first);
#   2. .venv with Python 3.11/3.12 (recreated when missing or broken);
#   3. `pip install -e ".[dev]"` only when pyproject.toml changed since the last successful install
#      (its sha256 is kept in .venv/.pyproject.sha256);
#   4. PostgreSQL on 127.0.0.1:5432 running (tests use it).
# Works without stdin (CI=true); we expect to be root (CI is), otherwise sudo is used for apt-get.

# Debian packages, one list:
#   poppler-utils                      pdftotext, for the letter tests
#   chromium chromium-driver           browser tests (/usr/bin/chromium, /usr/bin/chromedriver)
#   libpango-1.0-0 libpangoft2-1.0-0   WeasyPrint's system libraries ...
#   libharfbuzz-subset0 fonts-dejavu-core
#   haproxy redis-server               the cluster layout (./start.sh --cluster): the load balancer in
#                                      front of the API replicas, and a private Redis for Prefect
VT_DEBIAN_PAKKETTEN="poppler-utils chromium chromium-driver libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core haproxy redis-server"

vt_install() (
    set -euo pipefail

    local repo
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    cd "$repo"

    log() { echo "[install] $*"; }
    fout() { echo "[install] FOUT: $*" >&2; exit 1; }

    # One install at a time per checkout (test.sh and start.sh may be started together).
    mkdir -p .vt
    exec 9>.vt/install.lock
    flock 9

    local sudo=""
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || fout "niet root en geen sudo: kan geen Debian-pakketten installeren"
        sudo="sudo"
    fi

    # --- 1. Debian packages -------------------------------------------------------------------
    is_geinstalleerd() {
        dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
    }

    local python=""
    kies_python() {
        local kandidaat
        for kandidaat in python3.11 python3.12 python3; do
            if command -v "$kandidaat" >/dev/null 2>&1 &&
                "$kandidaat" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null; then
                python="$(command -v "$kandidaat")"
                return 0
            fi
        done
        return 1
    }

    local nodig=() pakket
    for pakket in $VT_DEBIAN_PAKKETTEN; do
        is_geinstalleerd "$pakket" || nodig+=("$pakket")
    done
    # A fresh Debian's own python3 can't make a venv without python3-venv (no ensurepip).
    if [[ ! -x .venv/bin/python ]]; then
        if ! kies_python; then
            nodig+=(python3 python3-venv)
        elif [[ "$python" == /usr/bin/* ]] && ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
            is_geinstalleerd python3-venv || nodig+=(python3-venv)
        fi
    fi
    if ((${#nodig[@]})); then
        log "Debian-pakketten installeren: ${nodig[*]}"
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            -o DPkg::Lock::Timeout=300 --no-install-recommends "${nodig[@]}" </dev/null
    else
        log "Debian-pakketten aanwezig"
    fi

    # --- 2. virtualenv -------------------------------------------------------------------------
    if [[ -e .venv ]] && ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
        log ".venv is kapot (python start niet): opnieuw aanmaken"
        rm -rf .venv
    fi
    if [[ ! -x .venv/bin/python ]]; then
        [[ -n "$python" ]] || kies_python || fout "geen Python 3.11 of 3.12 gevonden"
        log "virtualenv .venv aanmaken met $python ($("$python" --version 2>&1))"
        "$python" -m venv .venv
    fi

    # --- 3. the project, when pyproject.toml changed -----------------------------------------
    local stempel=.venv/.pyproject.sha256 nu
    nu="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [[ ! -f "$stempel" || "$(cat "$stempel")" != "$nu" ]]; then
        log "pip install -e \".[dev]\" (pyproject.toml gewijzigd of eerste installatie)"
        .venv/bin/python -m pip install --disable-pip-version-check -q -e ".[dev]" </dev/null
        echo "$nu" >"$stempel"
    else
        log "Python-pakketten actueel (pyproject.toml ongewijzigd)"
    fi

    # --- 4. PostgreSQL -------------------------------------------------------------------------
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        log "PostgreSQL draait op 127.0.0.1:5432"
    else
        command -v pg_isready >/dev/null && [[ -d /etc/postgresql ]] ||
            fout "PostgreSQL is niet geïnstalleerd op deze machine (geen pg_isready of /etc/postgresql)"
        local versie
        versie="$(ls /etc/postgresql | sort -V | tail -n1)"
        log "PostgreSQL $versie starten"
        $sudo pg_ctlcluster --skip-systemctl-redirect "$versie" main start ||
            log "pg_ctlcluster gaf een fout; wachten of de server toch opkomt"
        local i
        for i in $(seq 1 60); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 1
        done
        pg_isready -q -h 127.0.0.1 -p 5432 ||
            fout "PostgreSQL op 127.0.0.1:5432 komt niet op (zie /var/log/postgresql/)"
        log "PostgreSQL draait op 127.0.0.1:5432"
    fi
)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    vt_install "$@"
else
    vt_install
fi

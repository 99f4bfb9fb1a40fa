#!/usr/bin/env bash
# Builds the knowledge graph from data/ into the embedded store and serves it.
# Works on a fresh machine with only Python 3.11+; creates .venv on first use, and installs
# again only when pyproject.toml changed (so a later start needs no network).
# Options after `./run.sh` go to `s3kg serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
STAMP=.venv/.s3kg-installed
WANTED="$(.venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest())')"
if [ ! -x .venv/bin/s3kg ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANTED" ]; then
    echo "Installing s3kg into .venv (once; again only when pyproject.toml changes) ..."
    LOG="$(mktemp)"
    if ! { .venv/bin/python -m pip install --quiet --upgrade pip && .venv/bin/python -m pip install --quiet -e .; } >"$LOG" 2>&1; then
        cat "$LOG" >&2; rm -f "$LOG"; exit 1
    fi
    rm -f "$LOG"
    echo "$WANTED" > "$STAMP"
fi
.venv/bin/s3kg build
exec .venv/bin/s3kg serve "$@"

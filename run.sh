#!/usr/bin/env bash
# Builds the knowledge graph from data/ into the embedded store and serves it.
# Works on a fresh machine with only Python 3.11+; creates .venv on first use.
# Options after `./run.sh` go to `s3kg serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/s3kg build
exec .venv/bin/s3kg serve "$@"

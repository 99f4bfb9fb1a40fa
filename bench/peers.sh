#!/usr/bin/env bash
# The peer servers for bench/endpoint_bench.py, in their own virtual environment.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv-peers/bin/python ] || python3 -m venv .venv-peers
.venv-peers/bin/pip install --quiet oxigraph 'rdflib-endpoint[cli]' click uvicorn

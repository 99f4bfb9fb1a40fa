#!/usr/bin/env bash
# The peers of the benchmarks, each in its own virtual environment: the servers of
# bench/endpoint_bench.py and the declarative mapper of bench/rml_bench.py.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv-peers/bin/python ] || python3 -m venv .venv-peers
.venv-peers/bin/pip install --quiet oxigraph py-spy 'rdflib-endpoint[cli]' click uvicorn
# morph-kgc for bench/rml_bench.py (2.8.1: 2.10.0 fails on functions that return literals)
[ -x .venv-rml/bin/python ] || python3 -m venv .venv-rml
.venv-rml/bin/pip install --quiet 'morph-kgc==2.8.1'

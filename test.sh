#!/usr/bin/env bash
# Runs every check of the project on a fresh machine with only Python 3.11+:
# creates .venv if needed, installs the project with its dev tools, then lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The browser tests drive Debian's Chromium (Playwright's own browser download needs outside network).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test.sh: Chromium is missing; install Debian's 'chromium' package (as root) for tests/test_browser.py" >&2
  fi
fi
# Query workers keep themselves off the network with a seccomp filter through libseccomp.
if ! ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp2 >/dev/null
  else
    echo "test.sh: libseccomp is missing; install Debian's 'libseccomp2' package (the server refuses to start without it)" >&2
  fi
fi
# Virtuoso open source, one of the remote engines the tests run s3kg over (tests/engines.py).
if ! command -v virtuoso-t >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null
  else
    echo "test.sh: Virtuoso is missing; install Debian's 'virtuoso-opensource' package (as root) for the remote-engine tests" >&2
  fi
fi
# axe-core's command line for tests/test_accessibility.py: it drives Debian's Chromium through Debian's
# ChromeDriver (the npm chromedriver package's own download needs outside network, so it is skipped).
if ! command -v chromedriver >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-driver >/dev/null
fi
if command -v npm >/dev/null 2>&1 && [ ! -x .axe/node_modules/.bin/axe ]; then
  CHROMEDRIVER_SKIP_DOWNLOAD=true npm install --silent --no-audit --no-fund --prefix .axe @axe-core/cli@4 >/dev/null \
    || echo "test.sh: could not install @axe-core/cli from npm; tests/test_accessibility.py will be skipped" >&2
fi
# Comunica 4 for tests/test_comunica.py, where Node.js is present (skipped, saying why, elsewhere).
if command -v npm >/dev/null 2>&1 && [ ! -x .comunica/node_modules/.bin/comunica-sparql ]; then
  npm install --silent --no-audit --no-fund --prefix .comunica @comunica/query-sparql@4 >/dev/null \
    || echo "test.sh: could not install Comunica from npm; tests/test_comunica.py will be skipped" >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache  # the layout's contracts, pyproject.toml [tool.importlinter]
.venv/bin/pytest "$@"

"""Debian's Chromium, as the browser tests drive it (installed by ./test.sh where it can)."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
# Whatever sticks out of the page sideways at the viewport's width: elements whose right edge is past it
# (an SVG drawing counts as a whole: what its viewBox clips, Turkey's east on the map, is not shown).
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(e => !e.ownerSVGElement && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                 && !e.closest('.table-wrap, pre, details:not([open])'))
    .map(e => e.tagName + (e.className ? '.' + e.className : '') + ': ' + (e.textContent || '').slice(0, 40))"""

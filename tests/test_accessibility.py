"""Accessibility, as axe-core judges it: the command line of axe-core (npm @axe-core/cli, which
test.sh installs in .axe/) drives Debian's Chromium through Debian's ChromeDriver over the main
pages of a live server holding the real default build, and no page may have a serious or
critical violation. Where Node.js or ChromeDriver is missing the test is skipped, saying why."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from chromium import CHROMIUM

AXE = Path(__file__).resolve().parent.parent / ".axe" / "node_modules" / ".bin" / "axe"
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (AXE.exists() and shutil.which("node") and CHROMEDRIVER),
    reason=f"axe-core's command line is not at {AXE} or ChromeDriver is missing "
    "(test.sh installs @axe-core/cli with npm and Debian's chromium-driver, as root)",
)
PAGES = [
    "",
    "search?q=textiel",
    "browse/Project",
    "browse/Organisation?lang=pl",
    "map",
    "map?measure=budget&level=1&lang=fr",
    "map/embed",
    "sparql",
    "id/project/keep-interreg-vb-central-europe-2014-2020-fablabnet",
    "id/project/keep-interreg-vb-central-europe-2014-2020-fablabnet?lang=nl",
    "id/organisation/keep-id-muse-science-museum-ita",
    "id/programme/2014TC16RFTN003",
    "region/DEG0",
    "id/strategy/thueringen-2014-2020",
    "id/strategy/flanders-speerpuntclusters/priority/blauwe-economie",
    "catalog",
    "versions/",
    "dumps/",
    "sources/seed-000",
    "ontology",
    "shapes",
]
BLOCKING = {"serious", "critical"}


def test_no_main_page_has_a_serious_or_critical_axe_violation(site: str, tmp_path: Path) -> None:
    options = "headless,no-sandbox,disable-gpu,disable-background-networking,disable-dev-shm-usage"
    command = [str(AXE), *(site + page for page in PAGES), "--stdout", f"--chromedriver-path={CHROMEDRIVER}",
               f"--chrome-path={CHROMIUM}", f"--chrome-options={options}", "--timeout=120"]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    assert [r["url"] for r in results] == [site + page for page in PAGES], "axe checked every page"
    found = [
        f"{r['url']}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes'][0]['target']}"
        for r in results
        for v in r["violations"]
        if v["impact"] in BLOCKING
    ]
    assert found == []
    assert all(r["passes"] for r in results), "axe ran its rules on every page"

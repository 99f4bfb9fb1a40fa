"""s3kg as a wheel (issue 22): built from the checkout, installed into a fresh virtual environment
outside it, then `s3kg build` and `s3kg serve` run from that environment with the checkout out of
reach. Pages render only if the wheel carries the templates and static files; the build only
works if it carries the ontology, the shapes and the default data.

The fresh environment gets s3kg from the wheel alone; its dependencies (fastapi, pyoxigraph, …)
come from the test environment's site-packages through a .pth line, so the test needs no network
and no second download. A .pth line only adds a folder: the test environment's own editable
install of s3kg (its .pth and finder) is not read there."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import free_port, wait_until_ready

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `bin` folder of a fresh virtual environment with only the wheel installed into it."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    skip = shutil.ignore_patterns(
        ".git", ".venv", "var", "build", "*.egg-info", "__pycache__", ".*_cache", ".comunica", "bench", "tests"
    )
    shutil.copytree(PROJECT, source, symlinks=True, ignore=skip)
    wheels = root / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("s3kg-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dependencies = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "test-dependencies.pth").write_text("".join(f"{p}\n" for p in dependencies), encoding="utf-8")
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    yield venv / "bin"


def _environment(home: Path) -> dict[str, str]:
    """The caller's environment without anything that points at the checkout or its settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3KG_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, "HOME": str(home), "PATH": os.defpath}


def test_the_installed_wheel_imports_nothing_from_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import loaders, server, s3kg.cli; print(loaders.__file__, server.__file__, s3kg.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(tmp_path),
        check=True,
    ).stdout.split()
    assert len(where) == 3 and all(str(installed.parent) in path for path in where), where


def test_the_installed_wheel_builds_and_serves_pages(installed: Path, tmp_path: Path) -> None:
    env = _environment(tmp_path)
    build = subprocess.run([str(installed / "s3kg"), "build"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (tmp_path / "var" / "store" / "current").exists(), "the store goes under the working directory"
    port = free_port()
    command = [str(installed / "s3kg"), "serve", "--port", str(port), "--processes", "1"]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_ready(base, server, 120)
        home = httpx.get(base, headers={"Accept": "text/html"}, timeout=30)
        assert home.status_code == 200 and "<html" in home.text and "/static/pages.css" in home.text
        assert httpx.get(base + "static/pages.css", timeout=30).status_code == 200
        table = httpx.get(base + "browse/Project", headers={"Accept": "text/html"}, timeout=30)
        assert table.status_code == 200 and table.text.count('<tr><th scope="row"><a href="') == 50  # a page of the real projects
        editor = httpx.get(base + "sparql", headers={"Accept": "text/html"}, timeout=30)
        assert editor.status_code == 200 and "competency questions" in editor.text
        examples = httpx.get(base + "examples.json", timeout=30).json()
        assert len(examples) > 10
        answer = httpx.get(
            base + "sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s a <https://w3id.org/s3kg/ontology#Project> }"}
        )
        assert answer.status_code == 200 and int(answer.json()["results"]["bindings"][0]["n"]["value"]) >= 4
        assert httpx.get(base + "map", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=60)

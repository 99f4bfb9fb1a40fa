"""./run.sh, the README's first command: it installs into .venv once, and again only when
pyproject.toml changes, so a later start needs no network and prints no installer noise; an
install that fails shows why and stops. Run here over a stand-in project whose `s3kg` records
what it was asked to do."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT


def _project(root: Path, pyproject: str) -> Path:
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(sys.executable)
    fake = root / ".venv" / "bin" / "s3kg"
    fake.write_text('#!/bin/sh\necho "s3kg $*" >> "$(dirname "$0")/../../calls"\n', encoding="utf-8")
    fake.chmod(0o755)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (root / "run.sh").write_bytes((PROJECT / "run.sh").read_bytes())
    return root


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_NO_INDEX": "1"}  # no network: an install would have to fail
    return subprocess.run(["bash", "run.sh", "--port", "9"], cwd=root, capture_output=True, text=True, env=env, timeout=120)


def test_a_second_start_installs_nothing_and_builds_then_serves(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "stand-in"\nversion = "1"\n'
    root = _project(tmp_path, pyproject)
    (root / ".venv" / ".s3kg-installed").write_text(hashlib.sha256(pyproject.encode()).hexdigest() + "\n", encoding="utf-8")
    done = _run(root)
    assert done.returncode == 0, done.stderr
    assert "Installing" not in done.stdout and done.stderr == ""
    assert (root / "calls").read_text(encoding="utf-8").splitlines() == ["s3kg build", "s3kg serve --port 9"]


def test_a_changed_pyproject_installs_again_and_a_failed_install_says_why_and_stops(tmp_path: Path) -> None:
    root = _project(tmp_path, "[project]\nname = \n")  # not TOML: pip fails
    (root / ".venv" / ".s3kg-installed").write_text("an older pyproject\n", encoding="utf-8")
    done = _run(root)
    assert done.returncode != 0 and "Installing" in done.stdout
    assert "pyproject.toml" in done.stderr or "TOML" in done.stderr or "error" in done.stderr.lower()
    assert not (root / "calls").exists(), "nothing built or served after a failed install"
    assert (root / ".venv" / ".s3kg-installed").read_text(encoding="utf-8") == "an older pyproject\n"

"""Hostile files given to `s3kg load` or put in `data/` (issue 21): each is refused, naming the
limit and its setting, within seconds and a bounded memory, and the published graph and the
sources list stay as they were."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import PROJECT
from seed_data import copy_seed_data

KEEP_EU = PROJECT / "tests" / "golden" / "keep-eu" / "keep-eu.xlsx"
MEMORY_BOUND = 1 << 30  # bytes of peak memory a refusal may take (the command itself is ~200 MB)
TIME_BOUND = 60.0


def run(*args: str, root: Path, **settings: str) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """`s3kg …` as a user runs it; its time and its peak memory (RSS, bytes)."""
    env = {**os.environ, "S3KG_STORE_DIR": str(root / "store"), "S3KG_REPORT_DIR": str(root / "reports"), "COLUMNS": "200"}
    env.update({f"S3KG_{key.upper()}": value for key, value in settings.items()})
    # VmHWM, the peak of this process's own memory: getrusage's ru_maxrss would also count the test
    # process's size at the fork (Linux keeps the larger across exec), and that holds a whole build
    code = (
        "import re, sys\nfrom pathlib import Path\nfrom s3kg.cli import app\ntry:\n    app()\nfinally:\n"
        "    peak = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)\n"
        "    print(f'peak-rss={peak}', file=sys.stderr)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=PROJECT, timeout=600)
    seconds = time.monotonic() - started
    peak = int(done.stderr.rsplit("peak-rss=", 1)[1].split()[0]) * 1024 if "peak-rss=" in done.stderr else 0
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 < 8 << 30
    return done, seconds, peak


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder and a published store, as a user has them."""
    root = tmp_path_factory.mktemp("hostile-files")
    copy_seed_data(root / "data")
    done, _, _ = run("build", "--data-dir", str(root / "data"), root=root)
    assert done.returncode == 0, done.stderr
    return root


def _refused(done: subprocess.CompletedProcess[str], seconds: float, peak: int, *words: str) -> None:
    assert done.returncode == 1, done.stderr[-2000:]
    text = " ".join(done.stderr.split())
    for word in words:
        assert word in text, text[-2000:]
    assert seconds < TIME_BOUND and peak < MEMORY_BOUND, (seconds, peak)


def _unchanged(project: Path, before: tuple[bytes, str]) -> None:
    assert (project / "data" / "sources.yaml").read_bytes() == before[0]
    assert os.readlink(project / "store" / "current") == before[1]


def _state(project: Path) -> tuple[bytes, str]:
    return (project / "data" / "sources.yaml").read_bytes(), os.readlink(project / "store" / "current")


ALIAS_BOMB = "".join(
    [
        "- &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
        *(f"- &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 12)),
    ]
)
CURATED_CASES = {
    "alias-bomb": (ALIAS_BOMB, ["anchors and aliases"]),
    "deep": ("x: " + "[" * 100_000 + "]" * 100_000 + "\n", ["nesting deeper than 64 levels", "max_nesting"]),
    "empty-list": ("[]\n", ["is an empty list: it has no records"]),
}


@pytest.mark.parametrize("case", sorted(CURATED_CASES))
def test_a_hostile_curated_file_in_data_is_refused_by_the_build(project: Path, case: str) -> None:
    text, words = CURATED_CASES[case]
    curated = project / "data" / "curated" / f"hostile-{case}.yaml"
    curated.write_text(text, encoding="utf-8")
    before = _state(project)
    try:
        sources = project / "data" / "sources.yaml"
        original = sources.read_text(encoding="utf-8")
        entry = f"sources:\n  - {{kind: curated, path: curated/hostile-{case}.yaml}}\n"
        sources.write_text(original.replace("sources:\n", entry, 1))
        try:
            built, seconds, peak = run("build", "--data-dir", str(project / "data"), root=project)
            _refused(built, seconds, peak, f"hostile-{case}.yaml", *words)
        finally:
            sources.write_text(original, encoding="utf-8")
    finally:
        curated.unlink()
    _unchanged(project, before)


def _workbook(path: Path, sheet_xml: bytes | None = None, extra: tuple[str, bytes] | None = None) -> Path:
    """keep.eu's test workbook with its projects sheet replaced, or an extra part added."""
    with zipfile.ZipFile(KEEP_EU) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if sheet_xml is not None and item.filename == "xl/worksheets/sheet2.xml":
                data = sheet_xml
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
        if extra is not None:
            target.writestr(extra[0], extra[1], compress_type=zipfile.ZIP_DEFLATED)
    return path


def _with_doctype(doctype: str, text: str) -> bytes:
    sheet = zipfile.ZipFile(KEEP_EU).read("xl/worksheets/sheet2.xml").decode()
    sheet = sheet.replace("<t>Programme</t>", f"<t>{text}</t>")
    return (f'<?xml version="1.0"?>\n<!DOCTYPE worksheet [{doctype}]>\n' + sheet).encode()


LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10)
)
WORKBOOK_CASES = {
    "billion-laughs": (lambda p: _workbook(p, _with_doctype(LAUGHS, "&lol9;")), ["cannot be read as a keep.eu workbook"]),
    "xxe": (
        lambda p: _workbook(p, _with_doctype('<!ENTITY xxe SYSTEM "file:///etc/passwd">', "&xxe;")),
        ["cannot be read as a keep.eu workbook"],
    ),
    "zip-bomb": (
        lambda p: _workbook(p, extra=("xl/sharedStrings.xml", b"<sst>" + b"<si><t>a</t></si>" * 4_000_000 + b"</sst>")),
        ["unpacks", "times larger than it is packed", "max_unpack_ratio"],
    ),
}


@pytest.mark.parametrize("case", sorted(WORKBOOK_CASES))
def test_a_hostile_workbook_given_to_load_is_refused(project: Path, case: str) -> None:
    make, words = WORKBOOK_CASES[case]
    path = make(project / f"hostile-{case}.xlsx")
    before = _state(project)
    done, seconds, peak = run("load", "keep-eu", str(path), "--data-dir", str(project / "data"), root=project)
    _refused(done, seconds, peak, f"hostile-{case}.xlsx", *words)
    assert "root:" not in done.stderr + done.stdout, "nothing of /etc/passwd reaches the output"
    _unchanged(project, before)


def test_a_workbook_over_the_size_setting_is_refused_naming_it(project: Path) -> None:
    path = _workbook(project / "hostile-big.xlsx", extra=("xl/media/filler.bin", os.urandom(3 << 20)))
    data = str(project / "data")
    done, seconds, peak = run("load", "keep-eu", str(path), "--data-dir", data, root=project, max_workbook_mb="2")
    _refused(done, seconds, peak, "hostile-big.xlsx", "over the limit of 2 MB", "max_workbook_mb")


def test_a_tsv_with_a_field_over_the_limit_is_refused_not_read_as_nothing(project: Path) -> None:
    path = project / "hostile-field.tsv"
    header = "Country\tRegion\tBeneficiary Name\tTotal Budget\tEU Contribution\tNumber of Projects\tTransliterated Name\n"
    path.write_text(header + "Belgium\tWest-Vlaanderen\tA\t1\t1\t1\t" + "x" * (3 << 20) + "\n", encoding="utf-8")
    before = _state(project)
    done, seconds, peak = run("load", "kohesio-beneficiaries", str(path), "--data-dir", str(project / "data"), root=project)
    _refused(done, seconds, peak, "hostile-field.tsv", "line 2", "over 1 MB", "max_field_mb")
    assert "Source added" not in done.stdout
    _unchanged(project, before)


def test_deeply_nested_json_is_refused_with_its_line_not_a_traceback(project: Path) -> None:
    path = project / "hostile-deep.json"
    path.write_text('[{"Programme": ' + "[" * 200_000 + "]" * 200_000 + "}]", encoding="utf-8")
    before = _state(project)
    done, seconds, peak = run("load", "jems-partners", str(path), "--data-dir", str(project / "data"), root=project)
    _refused(done, seconds, peak, "hostile-deep.json", "line 1: nesting deeper than 64 levels", "max_nesting")
    assert "Traceback" not in done.stderr
    _unchanged(project, before)


def test_a_limit_below_its_floor_is_refused_by_name(project: Path) -> None:
    done, _, _ = run("validate", root=project, max_nesting="1")
    assert done.returncode == 2 and "max_nesting" in done.stderr

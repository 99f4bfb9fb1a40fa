"""Hand-written mapping vs a declarative one: the CORDIS project.csv loader of s3kg
(loaders/map/exports/cordis.py) against the same mapping in YARRRML (bench/rml/cordis-projects.yml) run by
morph-kgc, on one synthetic file, one fresh process each. Reports wall time, rows per second
and peak memory (resident set of the whole process tree, sampled every 20 ms), checks that
both produce the same triples for well-formed rows, and runs both on the golden fixture with
bad rows to show what each does with them.

    bash bench/peers.sh   # installs morph-kgc into bench/.venv-rml
    python bench/rml_bench.py --projects 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
OUT = PROJECT / "bench" / "out" / "rml"
RML_PYTHON = PROJECT / "bench" / ".venv-rml" / "bin" / "python"
GOLDEN = PROJECT / "tests" / "golden" / "cordis-projects" / "project.csv"


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        rss[int(entry.name)] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree)


def measured(command: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Run a command; (seconds, peak MiB of its process tree, exit code, last line of output)."""
    log = cwd / "output.log"
    with log.open("w", encoding="utf-8") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return seconds, peak / 1024, process.returncode, lines[-1] if lines else ""


def ours(csv_file: str, out_file: str) -> None:
    """Child: s3kg's loader, writing N-Triples."""
    from loaders.core.iris import IriMinter
    from loaders.core.terms import TripleSink
    from loaders.map.exports import cordis

    with TripleSink(Path(out_file)) as sink:
        load, problems = cordis.load_projects(Path(csv_file), "project.csv", IriMinter(), sink)
    print(json.dumps({"rows": load.summary.read, "rejected": load.summary.rejected, "problems": len(problems)}))


def rml_config(work: Path, csv_file: Path, processes: int) -> Path:
    config = work / f"morph-kgc-{processes}.ini"
    config.write_text(
        "[CONFIGURATION]\n"
        f"output_file={work / 'rml.nt'}\noutput_format=N-TRIPLES\nnumber_of_processes={processes}\n"
        f"udfs={PROJECT / 'bench' / 'rml' / 'udfs.py'}\n"
        "[CordisProjects]\n"
        f"mappings={PROJECT / 'bench' / 'rml' / 'cordis-projects.yml'}\nfile_path={csv_file}\n",
        encoding="utf-8",
    )
    return config


def same_triples(ours_file: Path, rml_file: Path) -> tuple[int, int, int]:
    """(triples only s3kg wrote, only morph-kgc wrote, in both), leaving out the description of
    the source file (its checksum, name and language), which RML has no way to state."""
    import pyoxigraph as ox

    source = "https://w3id.org/s3kg/id/source/cordis-projects"  # the RML mapping's; ours adds the checksum
    mine = set()
    for triple in ox.parse(path=str(ours_file), format=ox.RdfFormat.N_TRIPLES):
        if triple.subject.value.startswith(source + "-"):
            continue  # the description of the file
        value = triple.object.value if isinstance(triple.object, ox.NamedNode) else ""
        mine.add(ox.Quad(triple.subject, triple.predicate, ox.NamedNode(source)) if value.startswith(source + "-") else triple)
    theirs = set(ox.parse(path=str(rml_file), format=ox.RdfFormat.N_TRIPLES))
    return len(mine - theirs), len(theirs - mine), len(mine & theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        ours(*args.child)
        return
    from exports_bench import cordis

    OUT.mkdir(parents=True, exist_ok=True)
    cordis(args.projects, OUT)
    csv_file = OUT / "project.csv"
    rows = args.projects
    print(f"{rows:,} rows of CORDIS project.csv ({csv_file.stat().st_size / 1e6:.1f} MB)\n")
    print("| mapper | seconds | rows/s | peak MiB | time ÷ s3kg's | memory ÷ s3kg's |")
    print("|---|---|---|---|---|---|")
    results = {
        "s3kg (hand-written, 1 process)": measured(
            [sys.executable, __file__, "--child", str(csv_file), str(OUT / "ours.nt")], OUT
        )
    }
    for processes in (1, 2):
        command = [str(RML_PYTHON), "-m", "morph_kgc", str(rml_config(OUT, csv_file, processes))]
        results[f"morph-kgc YARRRML ({processes} process{'es' if processes > 1 else ''})"] = measured(command, OUT)
        if processes == 1:
            os.replace(OUT / "rml.nt", OUT / "rml-1.nt")
    base_seconds, base_peak = results["s3kg (hand-written, 1 process)"][:2]
    for name, (seconds, peak, code, tail) in results.items():
        if code != 0:
            print(f"| {name} | failed ({tail}) | | | | |")
            continue
        ratios = f"{seconds / base_seconds:.2f}× | {peak / base_peak:.2f}×"
        print(f"| {name} | {seconds:.1f} | {rows / seconds:,.0f} | {peak:,.0f} | {ratios} |")
    only_ours, only_rml, both = same_triples(OUT / "ours.nt", OUT / "rml-1.nt")
    print(f"\nSame output: {both:,} triples in both, {only_ours} only from s3kg, {only_rml} only from morph-kgc.")
    print("\nOn the golden fixture with bad rows (tests/golden/cordis-projects/project.csv):")
    bad = measured([sys.executable, __file__, "--child", str(GOLDEN), str(OUT / "ours-golden.nt")], OUT)
    print(f"- s3kg: exit {bad[2]}: {bad[3]}")
    command = [str(RML_PYTHON), "-m", "morph_kgc", str(rml_config(OUT, GOLDEN, 1))]
    bad = measured(command, OUT)
    print(f"- morph-kgc: exit {bad[2]}: {bad[3]}")


if __name__ == "__main__":
    main()

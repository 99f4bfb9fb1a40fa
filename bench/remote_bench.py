"""s3kg over remote engines: publishing a build into each, and the endpoint over each beside
the engine queried directly (issue 12).

Publishing is measured two ways into a fresh engine each (issue 26): over HTTP in chunks of
50,000 triples (Graph Store Protocol POST, the way into any engine), and by the engine's own bulk
loader (Oxigraph's `no_transaction` POST, Virtuoso's `ld_add`/`rdf_loader_run` beside the build);
then, by the bulk loader, two later builds made from the first: one whose default graph changed
(its named graph is carried over, not uploaded) and one where nothing changed.

For each size (triples of synthetic projects, in one named graph and the default graph, as a
build stages them), and each engine (Oxigraph's server, Virtuoso; the embedded store as the
reference): the time to publish the staged build into it (upload, count check, switch), the
peak memory of the publishing s3kg process and of the engine; then the same queries as
bench/endpoint_bench.py sent by one client to `s3kg serve` over that engine (answer cache
off) and to the engine itself (the same graph named with FROM), and the ratio of latencies.

    python bench/remote_bench.py --triples 1000000 6000000 --seconds 8
    python bench/remote_bench.py --triples 6000000 --publish-only
    python bench/remote_bench.py --report      # the tables again, from bench/out/remote.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import httpx
import pyoxigraph as ox
from rdflib import URIRef

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests")]

from engines import STARTERS, RunningEngine  # noqa: E402

from bench.endpoint_bench import BASE, PREFIX, load, queries, wait_until_up  # noqa: E402
from loaders.publish.remote import RemoteEngine, RemoteTarget, current_view, default_graph_name  # noqa: E402
from loaders.publish.remote_upload import publish_remote  # noqa: E402
from loaders.publish.staging import publish  # noqa: E402
from loaders.publish.store import PublishedStore  # noqa: E402

GRAPH = "https://w3id.org/s3kg/id/graph/bench"
PER_PROJECT = 12


def project_lines(i: int) -> str:
    p = f"<{BASE}project/p-{i}>"
    s3 = "<https://w3id.org/s3kg/ontology#"
    xsd = "<http://www.w3.org/2001/XMLSchema#"
    return (
        f"{p} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {s3}Project> .\n"
        f'{p} {s3}acronym> "P{i}" .\n'
        f'{p} <http://purl.org/dc/terms/title> "Project number {i} on smart specialisation"@en .\n'
        f"{p} {s3}programme> <{BASE}programme/prog-{i % 76}> .\n"
        f'{p} {s3}startDate> "2016-0{1 + i % 9}-01"^^{xsd}date> .\n'
        f'{p} {s3}endDate> "2020-0{1 + i % 9}-30"^^{xsd}date> .\n'
        f'{p} {s3}totalBudget> "{1000 + i}.50"^^{xsd}decimal> .\n'
        f"{p} {s3}s3Domain> <{BASE}concept/domain-{i % 40}> .\n"
        f"{p} {s3}hasParticipation> <{BASE}project/p-{i}/partner/1> .\n"
        f"<{BASE}project/p-{i}/partner/1> {s3}participant> <{BASE}organisation/o-{i % 50000}> .\n"
        f"<{BASE}project/p-{i}/partner/1> {s3}role> {s3}LeadPartner> .\n"
        f'{p} <http://www.w3.org/2000/01/rdf-schema#label> "Projekt {i}"@nl .\n'
    )


def staged(triples: int, folder: Path) -> PublishedStore:
    """A published embedded build of `triples` synthetic triples (made once, then reused)."""
    published = PublishedStore(folder / "store")
    if published.has_current():
        return published
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data = folder / "bench.nt"
    with data.open("w", encoding="utf-8") as out:
        for i in range(triples // PER_PROJECT):
            out.write(project_lines(i))
    started = time.monotonic()
    publish(published, {URIRef(GRAPH): data}, build_id="20260101T000000000000Z")
    (folder / "embedded-publish.json").write_text(json.dumps({"seconds": time.monotonic() - started}), encoding="utf-8")
    return published


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


FIRST = "20260101T000000000000Z"
# later builds made from the first: (build id, the graphs unchanged since; "default": the merged one)
LATER = {
    "later, the default graph changed": ("20260102T000000000000Z", frozenset({GRAPH})),
    "later, nothing changed": ("20260103T000000000000Z", frozenset({GRAPH, "default"})),
}


def _note_current(started: float, current: list[float], message: str) -> None:
    if message.endswith("is current in the engine"):
        current.append(time.monotonic() - started)


def publish_child(store_path: str, target_json: str, later: bool) -> None:
    """Runs in its own process, so that its peak memory is the publishing alone. With `later`, then
    two later builds of the same triples, as if one graph or none had changed: each uploads only
    the graphs not carried over (the previous build is dropped after each, as a build does)."""
    target = RemoteTarget(**json.loads(target_json))
    store = ox.Store.read_only(store_path)
    engine = RemoteEngine(target)
    started = time.monotonic()
    publish_remote(engine, store, FIRST, [GRAPH], lambda _: None, grace=0)
    figures = {"seconds": time.monotonic() - started}
    base = FIRST
    for name, (build_id, unchanged) in LATER.items() if later else ():
        started = time.monotonic()
        current: list[float] = []  # when the build became current (the drop of the one before follows)
        progress = partial(_note_current, started, current)
        publish_remote(engine, store, build_id, [GRAPH], progress, 0, None, base, unchanged)
        figures[name], figures[f"{name}: current after"], base = time.monotonic() - started, current[0], build_id
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**figures, "peak_mib": peak}))


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "s3kg.cli", "serve", "--query-timeout", "120", "--port", str(port), "--processes", "1"]
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def with_from(template: str, graph: str) -> str:
    """The query over one named graph as its default graph (what s3kg asks the engine)."""
    head, where = template.split(" WHERE ", 1) if " WHERE " in template else (template, None)
    return f"{head} FROM <{graph}> WHERE {where}" if where else f"{template} FROM <{graph}>"


TARGET_FIELDS = ("query_url", "update_url", "store_url", "engine", "user", "password", "load_dir", "sql_address")


def over_http(target: RemoteTarget) -> RemoteTarget:
    """The same engine loaded in chunks over HTTP (Graph Store Protocol), not by its bulk loader."""
    engine = "generic" if target.engine == "oxigraph" else target.engine  # the auth and answers stay the engine's
    return dataclasses.replace(target, engine=engine, load_dir=None, sql_address=None)


def publish_into(name: str, folder: Path, store_path: str, bulk: bool) -> tuple[RunningEngine, dict[str, float]]:
    """A fresh engine, the staged build published into it (in a process of its own); the engine
    (running) and the publishing's time and peaks."""
    shutil.rmtree(folder / name, ignore_errors=True)
    engine = STARTERS[name](folder / name)
    target = engine.target if bulk else over_http(engine.target)
    fields = {k: getattr(target, k) for k in TARGET_FIELDS}
    child = [sys.executable, __file__, "--publish-child", store_path, json.dumps(fields), "later" if bulk else ""]
    done = subprocess.run(child, capture_output=True, text=True, check=False, cwd=PROJECT)
    if done.returncode:
        engine.stop()
        raise SystemExit(f"publishing into {name} failed:\n{done.stderr[-3000:]}")
    return engine, {
        **json.loads(done.stdout.splitlines()[-1]),
        "engine_peak_mib": peak_mib(engine.process.pid),
        "engine_disk_mib": sum(f.stat().st_size for f in (folder / name).rglob("*") if f.is_file()) / 2**20,
    }


def run(
    sizes: list[int], seconds: float, engines: list[str], publish_only: bool = False, bulk_only: bool = False
) -> dict[str, object]:
    results: dict[str, object] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3KG_")}
    env |= {"S3KG_CACHE_BYTES": "0", "S3KG_CLIENT_SECONDS_PER_MINUTE": "1e9", "S3KG_CLIENT_CONCURRENCY": "64"}
    for size in sizes:
        folder = PROJECT / "bench" / "out" / f"remote-{size}"
        published = staged(size, folder)
        store_path = str(published.current().path)
        n_projects = size // PER_PROJECT
        for name in engines:
            key = f"{size} {name}"
            row: dict[str, object] = {}
            results[key] = row
            if name == "embedded":
                if publish_only:
                    continue
                process = serve({**env, "S3KG_STORE_DIR": str(published.root)}, 7101)
                targets = {"s3kg": "http://127.0.0.1:7101/sparql"}
                engine: RunningEngine | None = None
            else:
                if not bulk_only:
                    engine, row["publish over http"] = publish_into(name, folder, store_path, bulk=False)
                    print(key, "publish over http", row["publish over http"], file=sys.stderr)
                    engine.stop()
                engine, row["publish"] = publish_into(name, folder, store_path, bulk=True)
                print(key, "publish by the bulk loader", row["publish"], file=sys.stderr)
                if publish_only:
                    engine.stop()
                    continue
                target = engine.target
                remote_env = {
                    **env,
                    "S3KG_STORE": "sparql",
                    "S3KG_SPARQL_QUERY_URL": target.query_url,
                    "S3KG_SPARQL_UPDATE_URL": target.update_url,
                    "S3KG_SPARQL_ENGINE": target.engine,
                    "S3KG_STORE_DIR": str(folder / "no-local-files"),
                }
                process = serve(remote_env, 7102)
                targets = {"s3kg": "http://127.0.0.1:7102/sparql", "engine": target.query_url}
            try:
                for url in targets.values():
                    wait_until_up(url, process)
                # the pages' per-build figures are computed once at start (sorting, counting):
                # wait for them, so that they do not share the cores with the measured queries
                for page in ("", "browse/Project", "browse/Organisation"):
                    httpx.get(targets["s3kg"].removesuffix("sparql") + page, timeout=600)
                default = default_graph_name(current_view(RemoteEngine(engine.target)).build_id) if engine else None
                for query_name, (template, accept) in queries(n_projects).items():
                    for who, url in targets.items():
                        text = (
                            PREFIX + with_from(template.removeprefix(PREFIX), default)
                            if who == "engine" and default
                            else template
                        )
                        row[f"{query_name} / {who}"] = figures = load(url, text, accept, n_projects, 1, seconds)
                        print(key, query_name, who, json.dumps(figures), file=sys.stderr)
                if engine is not None:
                    row["engine_peak_mib_after_queries"] = peak_mib(engine.process.pid)
            finally:
                process.terminate()
                process.wait(timeout=30)
                if engine is not None:
                    engine.stop()
    return results


def report(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """The two tables of docs/benchmarks.md from bench/out/remote.json."""
    lines = [
        "| triples | engine | loaded by | publish s | ÷ over HTTP | triples sent/s | s3kg peak MiB | engine peak MiB "
        "| engine disk MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        size, name = key.split()
        http = row.get("publish over http")
        for way, done in (("HTTP chunks", http), ("bulk loader", row.get("publish"))):
            if done is None:
                continue
            rate = 2 * int(size) / done["seconds"]
            share = f"{done['seconds'] / http['seconds']:.2f}" if http else "–"
            cells = [f"{int(size):,}", name, way, f"{done['seconds']:.0f}", share, f"{rate:,.0f}", f"{done['peak_mib']:.0f}"]
            lines.append("| " + " | ".join([*cells, f"{done['engine_peak_mib']:.0f}", f"{done['engine_disk_mib']:.0f}"]) + " |")
            for later in LATER if way == "bulk loader" else ():
                if later in done:
                    share = f"{done[later] / http['seconds']:.2f}" if http else "–"
                    current = done.get(f"{later}: current after", done[later])
                    lines.append(f"| {int(size):,} | {name} | {later} | {current:.0f} ({done[later]:.0f}) | {share} | | | | |")
    lines += ["", "| triples | engine | query | s3kg p50 ms | engine p50 ms | s3kg ÷ engine (p50) | s3kg p99 | engine p99 |"]
    lines.append("|---|---|---|---|---|---|---|---|")
    for key, row in results.items():
        size, name = key.split()
        for query_name in queries(1):
            ours, theirs = row.get(f"{query_name} / s3kg"), row.get(f"{query_name} / engine")
            if ours is None:
                continue
            if theirs is None:
                cells = [f"{ours['p50_ms']:.1f}", "–", "–", f"{ours['p99_ms']:.1f}", "–"]
            else:
                ratio = ours["p50_ms"] / theirs["p50_ms"]
                cells = [
                    f"{ours['p50_ms']:.1f}",
                    f"{theirs['p50_ms']:.1f}",
                    f"{ratio:.2f}×",
                    f"{ours['p99_ms']:.1f}",
                    f"{theirs['p99_ms']:.1f}",
                ]
            lines.append("| " + " | ".join([f"{int(size):,}", name, query_name, *cells]) + " |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--report":
        print(report(json.loads((PROJECT / "bench" / "out" / "remote.json").read_text(encoding="utf-8"))))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--publish-child":
        publish_child(sys.argv[2], sys.argv[3], sys.argv[4] == "later")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--engines", nargs="+", default=["embedded", "oxigraph", "virtuoso"])
    parser.add_argument("--publish-only", action="store_true", help="publish both ways; no queries")
    parser.add_argument("--bulk-only", action="store_true", help="publish by the bulk loader only")
    args = parser.parse_args()
    results = run(args.triples, args.seconds, args.engines, args.publish_only, args.bulk_only)
    out = PROJECT / "bench" / "out" / "remote.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report(results))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Where the endpoint's time goes (issue 13): a flame graph of `s3kg serve` (every process: the
# server and its query workers) under uncached point lookups with varied IRIs, by py-spy.
#   bash bench/peers.sh && bash bench/profile_endpoint.sh bench/out/remote-1000000/store docs/profiles/point-lookup.svg
set -euo pipefail
cd "$(dirname "$0")/.."
store="${1:?a published store directory}"
out="${2:-bench/out/point-lookup.svg}"
seconds="${SECONDS_TO_RECORD:-20}"
export S3KG_STORE_DIR="$store" S3KG_CACHE_BYTES=0 S3KG_CLIENT_SECONDS_PER_MINUTE=1e9 S3KG_CLIENT_CONCURRENCY=64
.venv/bin/s3kg serve --port 7201 --processes 1 --query-timeout 120 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:7201/sparql?query=ASK%7B%7D" && break; sleep 0.5; done
for page in "" browse/Project browse/Organisation browse/Programme; do curl -s -o /dev/null --max-time 600 "http://127.0.0.1:7201/$page"; done  # the pages' warm-up, done before recording
.venv/bin/python - "$seconds" <<'PY' &
import random, sys, threading, time
import httpx
stop = time.monotonic() + float(sys.argv[1]) + 2
def client(seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=60) as http:
        while time.monotonic() < stop:
            query = f"SELECT ?p ?o WHERE {{ <https://w3id.org/s3kg/id/project/p-{rng.randrange(80000)}> ?p ?o }}"
            http.post("http://127.0.0.1:7201/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
PY
load=$!
sleep 1
mkdir -p "$(dirname "$out")"
bench/.venv-peers/bin/py-spy record --subprocesses --rate 250 --duration "$seconds" --pid "$server" --output "$out" --format flamegraph
wait $load
echo "flame graph: $out"

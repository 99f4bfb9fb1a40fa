"""Who runs which query when: a fixed set of worker processes shared fairly between clients.

The rules, each against a way a few connections could deny service to everyone else:
- a client runs at most `client_concurrency` queries at once; its others wait, and every wait
  (for the client's turn, then for a free worker) is bounded by `queue_wait`: past it, 503 with
  Retry-After, before any worker is touched;
- a query's time limit starts when a worker takes it (waiting is not charged to anyone) and is
  enforced by a timer that kills the worker, whether or not the client reads the answer; the
  killed worker is replaced at once, so a slow reader holds nothing;
- a query still running after `nice_after` seconds is lowered to the lowest CPU priority, so
  cheap queries of other clients keep a core;
- run time, timeouts included, is charged to the client that sent the query (ClientBudget: 429
  when a client spent more than its share of the last minute), and a query that ends its worker
  (crash, memory cap) is charged DEATH_CHARGE seconds more, so a client that keeps killing
  workers is refused before the restarts slow everyone else;
- a worker is checked to be alive before it is used, and one that died (memory cap, crash) is
  answered 503 with Retry-After and replaced.

One exception, for speed: a query whose work is bounded by the rows it answers (`server.sparql.cheap`)
is answered in the server process itself when it needs at most `INLINE_ROWS` rows (a point
lookup, a DESCRIBE); it is stopped there and given to a worker from the start otherwise. Its time
is charged to the client's budget like any other.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from server.backends.embedded.sandbox import SandboxUnavailable
from server.backends.embedded.worker import Failure, WorkerLimits, WorkerProcess, execute
from server.sparql.cheap import INLINE_ROWS, CheapQuery, parse
from server.sparql.contract import RETRY_AFTER, Answer, ClientBudget, QueryFailed, QueryJob, QuerySettings
from server.web.observe import Metrics

if TYPE_CHECKING:
    from loaders.core.queries import Readable
    from server.backends.port import Backend

DEATH_CHARGE = 5.0  # seconds charged to a client whose query ended its worker (a new one costs about that)


class _Collected:
    """An inline answer, held whole (it is at most INLINE_ROWS rows)."""

    def __init__(self) -> None:
        self.media = ""
        self.chunks: list[bytes] = []

    def start(self, media: str) -> None:
        self.media = media

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the chunks are kept."""

    async def body(self) -> AsyncIterator[bytes]:
        yield b"".join(self.chunks)


class _Lease:
    """One query on one worker: ends exactly once, by completion, failure or its deadline."""

    def __init__(self, pool: QueryPool, worker: WorkerProcess, client: str):
        self.pool, self.worker, self.client = pool, worker, client
        self.started = time.monotonic()
        self.deadline = self.started + pool.settings.timeout
        self.timed_out = self.ended = False
        loop = asyncio.get_running_loop()
        self.timers = [loop.call_at(loop.time() + pool.settings.timeout, self._expire)]
        if pool.settings.nice_after < pool.settings.timeout:
            self.timers.append(loop.call_later(pool.settings.nice_after, self._lower_priority))

    def _lower_priority(self) -> None:
        if not self.ended:
            try:
                os.setpriority(os.PRIO_PROCESS, self.worker.pid, 19)
                self.worker.reniced = True
            except (ProcessLookupError, PermissionError):
                pass

    def _expire(self) -> None:
        if not self.ended:
            self.timed_out = True
            self.worker.process.kill()  # the thread waiting on its pipe sees EOF
            self.pool.metrics.worker("killed", reason="time limit", pid=self.worker.pid, client=self.client)
            self.end(reuse=False)

    def end(self, reuse: bool) -> None:
        if self.ended:
            return
        self.ended = True
        for timer in self.timers:
            timer.cancel()
        self.pool.budget.record(self.client, time.monotonic() - self.started)
        self.pool.client_done(self.client)
        self.pool.give_back(self.worker, reuse)


class QueryPool:
    def __init__(self, backend: Backend, settings: QuerySettings, budget: ClientBudget, metrics: Metrics | None = None):
        self.backend, self.settings, self.budget = backend, settings, budget
        self.metrics = metrics or Metrics()
        total = settings.workers + settings.network_workers
        self._threads = ThreadPoolExecutor(max_workers=total + 4, thread_name_prefix="query-pipe")
        self._idle: dict[bool, asyncio.Queue[WorkerProcess]] = {False: asyncio.Queue(), True: asyncio.Queue()}
        self._running: Counter[str] = Counter()
        self._turns = asyncio.Condition()
        self._starting: set[asyncio.Task[None]] = set()  # replacement workers being started
        self._local: tuple[str, Readable] | None = None  # (build id, store) for inline queries
        self._first = [self._spawn(network) for network, count in ((False, settings.workers), (True, settings.network_workers))
                       for _ in range(count)]  # fmt: skip
        for worker in self._first:
            self._idle[worker.limits.network].put_nowait(worker)

    def _spawn(self, network: bool) -> WorkerProcess:
        return WorkerProcess(self.backend, WorkerLimits(network=network, memory_bytes=self.settings.memory_bytes))

    async def start(self) -> None:
        """Wait until every worker is confined and has the store open; fail if one cannot be confined."""
        for worker in self._first:
            try:
                await self._ready(worker, time.monotonic() + 120)
            except (EOFError, OSError, TimeoutError):
                raise SandboxUnavailable(f"a query worker did not start: {worker.exit_description()}") from None
        for worker in self._first:
            self.metrics.worker("start", pid=worker.pid, network=worker.limits.network)
        self._first.clear()  # from now on the queues alone hold the workers

    def close(self) -> None:
        for task in self._starting:
            task.cancel()
        for queue in self._idle.values():
            while not queue.empty():
                queue.get_nowait().kill()
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _recv(self, worker: WorkerProcess, deadline: float) -> tuple[Any, ...]:
        """The worker's next message, waiting at most until `deadline`."""

        def wait() -> tuple[Any, ...] | None:
            remaining = deadline - time.monotonic()
            return worker.conn.recv() if remaining > 0 and worker.conn.poll(remaining) else None

        message = await asyncio.get_running_loop().run_in_executor(self._threads, wait)
        if message is None:
            raise TimeoutError
        return message

    async def _ready(self, worker: WorkerProcess, deadline: float) -> None:
        if worker.ready:
            return
        message = await self._recv(worker, deadline)
        if message[0] == "fatal":
            raise SandboxUnavailable(message[1])
        worker.ready = True

    def give_back(self, worker: WorkerProcess, reuse: bool) -> None:
        if reuse and worker.reniced:
            try:
                os.setpriority(os.PRIO_PROCESS, worker.pid, 0)
                worker.reniced = False
            except (ProcessLookupError, PermissionError):  # only a privileged process may raise priority
                reuse = False
        if reuse and worker.alive():
            self._idle[worker.limits.network].put_nowait(worker)
            return
        worker.process.kill()
        self._threads.submit(worker.process.join, 5)  # reaped off the event loop; its pipe closes when collected
        task = asyncio.get_running_loop().create_task(self._admit(worker.limits.network))
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _admit(self, network: bool) -> None:
        """Start a worker in the background and make it available once it is ready, so that no
        query waits on a worker still starting while others are free."""
        while True:
            worker = self._spawn(network)
            try:
                await self._ready(worker, time.monotonic() + 120)
            except asyncio.CancelledError:  # the pool is closing
                worker.process.kill()
                raise
            except (TimeoutError, EOFError, OSError, SandboxUnavailable) as error:
                self.metrics.worker("failed to start", reason=str(error) or worker.exit_description(), pid=worker.pid)
                worker.process.kill()
                await asyncio.sleep(1)
                continue
            self.metrics.worker("start", pid=worker.pid, network=network)
            self._idle[network].put_nowait(worker)
            return

    def client_done(self, client: str) -> None:
        self._running[client] -= 1
        if self._running[client] <= 0:
            del self._running[client]

        async def notify() -> None:
            async with self._turns:
                self._turns.notify_all()

        asyncio.get_running_loop().create_task(notify())

    def _busy(self, why: str) -> QueryFailed:
        return QueryFailed(503, f"{why} Retry in {RETRY_AFTER} s.", RETRY_AFTER)

    async def _take_turn(self, client: str, until: float) -> None:
        limit = self.settings.client_concurrency
        async with self._turns:
            try:
                await asyncio.wait_for(self._turns.wait_for(lambda: self._running[client] < limit), until - time.monotonic())
            except TimeoutError:
                raise self._busy(
                    f"This client already has {limit} queries running here and the next did not start "
                    f"within {self.settings.queue_wait:g} s."
                ) from None
            self._running[client] += 1

    async def _take_worker(self, network: bool, until: float) -> WorkerProcess:
        while True:
            try:
                worker = await asyncio.wait_for(self._idle[network].get(), until - time.monotonic())
            except TimeoutError:
                wait = self.settings.queue_wait
                raise self._busy(f"Every query worker is busy and none came free within {wait:g} s.") from None
            if not worker.alive():  # died while idle (killed, crashed): replace it, take another
                self.give_back(worker, reuse=False)
                continue
            try:
                await self._ready(worker, until)
            except (TimeoutError, EOFError, OSError, SandboxUnavailable):
                self.give_back(worker, reuse=False)
                raise self._busy("A query worker is starting up.") from None
            return worker

    def _inline(self, job: QueryJob, cheap: CheapQuery, client: str) -> Answer | None:
        """The answer of a cheap query run here, or None when it wants more than INLINE_ROWS rows.
        What runs is the query written from the parsed value, never the request's text."""
        build = self.backend.build_id()
        if self._local is None or self._local[0] != build:
            self._local = (build, self.backend.open())
        collected = _Collected()
        started = time.monotonic()
        try:
            written = replace(job, query=cheap.text, prefixes={}, base_iri=None, max_rows=min(job.max_rows, INLINE_ROWS))
            _, truncated = execute(self._local[1], written, collected)
        except Failure as failure:
            raise QueryFailed(failure.status, failure.message) from None
        finally:
            self.budget.record(client, time.monotonic() - started)
        if truncated and job.max_rows > INLINE_ROWS:
            return None
        return Answer(collected.media, collected.body(), job.max_rows, truncated)

    async def run(self, job: QueryJob, client: str, facts: dict[str, Any] | None = None) -> Answer:
        """Start the job; return once the media type is known, with the body still streaming.
        `facts` (the request's access-log event) learns who answered, the wait and the rows."""
        facts = {} if facts is None else facts
        self.budget.check(client)
        cheap = None if job.network or job.default_graphs or job.named_graphs else parse(job.query, job.prefixes, job.base_iri)
        if cheap is not None:
            answer = self._inline(job, cheap, client)
            if answer is not None:
                facts["served_by"] = "inline"
                return answer
        arrived = time.monotonic()
        until = arrived + self.settings.queue_wait
        await self._take_turn(client, until)
        try:
            worker = await self._take_worker(job.network, until)
        except QueryFailed:
            self.client_done(client)
            raise
        finally:
            self.metrics.queue_wait.observe(time.monotonic() - arrived)
        facts.update(served_by=f"worker {worker.pid}", queue_wait_ms=round((time.monotonic() - arrived) * 1000, 3))
        lease = _Lease(self, worker, client)
        try:
            worker.conn.send(job)
            first = await self._recv(worker, lease.deadline)
        except (TimeoutError, OSError, EOFError):
            raise self._failure(lease) from None  # ends the lease
        if first[0] == "error":
            lease.end(reuse=True)
            raise QueryFailed(*first[1])
        _, media, chunks, ending = first

        async def body() -> AsyncIterator[bytes]:
            nonlocal chunks, ending
            try:
                while True:
                    if ending is not None:  # the worker is done: give it back before the last bytes go out
                        facts.update(rows=ending[0], truncated=bool(ending[1]))
                        lease.end(reuse=True)
                    for chunk in chunks:
                        yield chunk
                    if ending is not None:
                        return
                    if lease.ended:  # the deadline passed while the client was not reading
                        raise self._failure(lease)
                    try:
                        message = await self._recv(worker, lease.deadline)
                    except (TimeoutError, OSError, EOFError):
                        # Headers are sent: break the stream so the client sees an incomplete answer, not a short one.
                        raise self._failure(lease) from None
                    if message[0] == "error":  # evaluation failed after the first results went out: break the stream too
                        lease.end(reuse=True)
                        raise QueryFailed(*message[1])
                    _, chunks, ending = message
            finally:
                lease.end(reuse=False)  # no-op when the answer completed

        truncated = None if ending is None else bool(ending[1])
        return Answer(media, body(), job.max_rows, truncated)

    def _failure(self, lease: _Lease) -> QueryFailed:
        if lease.timed_out or time.monotonic() >= lease.deadline:
            lease.end(reuse=False)
            limit = self.settings.timeout
            return QueryFailed(503, f"The query did not finish within the time limit of {limit:g} s and was stopped.")
        description = lease.worker.exit_description()
        memory_like = lease.worker.process.exitcode in (-signal.SIGABRT, -signal.SIGKILL)  # allocation failed, or the OOM killer
        lease.end(reuse=False)
        self.budget.record(lease.client, DEATH_CHARGE)  # a client that keeps ending workers runs out of its share
        memory = self.settings.memory_bytes >> 20
        why = (
            f", most likely because the query needed more than the memory limit of {memory:,} MB per query" if memory_like else ""
        )
        self.metrics.worker("died", reason=description + why, pid=lease.worker.pid, client=lease.client)
        return QueryFailed(
            503,
            f"The query worker stopped ({description}){why}; the query was not answered. Retry in {RETRY_AFTER} s.",
            RETRY_AFTER,
        )

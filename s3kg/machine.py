"""The server's pool from the machine it runs on: how many processes and query workers.

A server process spends its time in Python (HTTP, checks, formatting answers): one per core
keeps every core busy with requests. A query worker spends its time in Oxigraph, on one core,
and may hold up to its memory cap: there are twice as many workers as cores (while one waits on
the disk or its answer is being written, another computes), but never more than fit in three
quarters of the memory at their cap. A machine whose memory fits fewer workers than cores gets
fewer processes too, each with at least one worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from loaders.core.cores import usable_cores

WORKERS_PER_CORE = 2
MEMORY_SHARE = 0.75  # of the machine's memory, for the query workers at their cap


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_bytes: int

    @classmethod
    def here(cls) -> Machine:
        """This machine: the cores this process may run on and the physical memory."""
        return cls(usable_cores(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


@dataclass(frozen=True)
class Pool:
    processes: int
    workers: int  # per process


def pool_for(machine: Machine, query_memory_mb: int) -> Pool:
    """The processes and workers per process for `machine`, with each worker capped at
    `query_memory_mb` (0: no cap, so memory sets no bound)."""
    workers = WORKERS_PER_CORE * machine.cores
    if query_memory_mb > 0:
        workers = min(workers, int(MEMORY_SHARE * machine.memory_bytes) // (query_memory_mb << 20))
    workers = max(1, workers)
    processes = max(1, min(machine.cores, workers))
    return Pool(processes, max(1, workers // processes))

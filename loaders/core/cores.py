"""The cores this process may run on (its CPU affinity, which a container or `taskset` narrows;
`os.cpu_count()` would count the machine's)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))

"""The server's pool is decided from the machine: cores for processes, memory for workers."""

from __future__ import annotations

import pytest

from s3kg.machine import Machine, Pool, pool_for
from s3kg.settings import Settings

GB = 1 << 30


@pytest.mark.parametrize(
    ("cores", "memory_gb", "cap_mb", "expected"),
    [
        (2, 24, 4096, Pool(2, 2)),  # this project's machine: the defaults it always had
        (16, 128, 4096, Pool(16, 1)),  # memory fits 24 workers at 4 GB, fewer than 2 per core: one each
        (16, 256, 4096, Pool(16, 2)),  # memory fits all 32
        (16, 64, 4096, Pool(12, 1)),  # 48 GB fit 12 workers: 12 processes, not 16 without a worker
        (4, 2, 4096, Pool(1, 1)),  # no room for one worker at its cap: still one, the cap then binds
        (8, 4, 0, Pool(8, 2)),  # no cap: memory sets no bound
        (1, 8, 1024, Pool(1, 2)),
    ],
)
def test_the_pool_follows_cores_and_memory(cores: int, memory_gb: int, cap_mb: int, expected: Pool) -> None:
    assert pool_for(Machine(cores, memory_gb * GB), cap_mb) == expected


def test_settings_take_the_pool_from_this_machine_unless_told() -> None:
    here = pool_for(Machine.here(), 4096)
    settings = Settings()
    assert (settings.processes, settings.workers) == (here.processes, here.workers)
    assert Settings(processes=3, workers=5).workers == 5
    assert Settings(query_memory_mb=1 << 30).workers == 1  # a cap no memory fits: one worker each

"""A build's disk space: files it shares with an earlier build instead of writing them again, and
what it says when the disk fills up (which phase ran out, how much a build needs, what is free)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from loaders.publish.store import PublishedStore


def share(earlier: Path, target: Path) -> None:
    """Publish an earlier build's file again as `target`: a hard link (a published file is never
    written in place, so both builds keep the same bytes), or a copy on another file system."""
    target.unlink(missing_ok=True)
    try:
        os.link(earlier, target)
    except OSError:
        shutil.copyfile(earlier, target)


def out_of_space(error: OSError) -> bool:
    """A full disk, as Python or as Oxigraph's RocksDB reports it."""
    return error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(error)


def out_of_space_message(store_dir: Path, published: PublishedStore, phase: str) -> str:
    """Which phase ran out, how much a build needs (measured on the current one) and what is free."""
    free = shutil.disk_usage(store_dir).free
    if published.has_current():
        current = published.current()
        used = sum(
            f.stat().st_size for d in (current.path, published.dumps_dir(current.build_id)) for f in d.rglob("*") if f.is_file()
        )
        need = f"a build needs about {used / 1e6:,.0f} MB (the size of the current one, store and dumps)"
    else:
        need = "there is no earlier build to measure a build by (here one took 4-5 times the size of data/)"
    return (
        f"The disk ran out of space while {phase}; nothing was published and the current build is intact. "
        f"{need[0].upper() + need[1:]}, and {free / 1e6:,.0f} MB are free in {store_dir}. Free some space and build again."
    )

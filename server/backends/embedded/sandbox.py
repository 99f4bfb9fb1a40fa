"""What a query worker process may do, set once when it starts: no network, bounded memory and stack.
A server process over the embedded store takes the same network rule once it listens.

Network. pyoxigraph evaluates `SERVICE <url>` with its own HTTP client, and no text check of a
query can be sure to see every SERVICE the parser will (comments ended by a carriage return,
`\\u0053ERVICE`, escapes in local names …). So a sandboxed worker cannot make a network socket
at all: a seccomp filter (installed with libseccomp through `pyseccomp`) makes `socket()` fail
with EACCES for every address family but AF_UNIX (the worker talks to the server over a pipe
made before the filter), and `io_uring_setup` fail too, so nothing can go around it. We chose
seccomp because it works unprivileged on any Linux since 3.5, inside containers and in CI; a
network namespace needs root or user namespaces (often disabled), and pyoxigraph's wheels
always carry the HTTP client. The filter cannot be lifted by the process once loaded.

Memory. RLIMIT_DATA caps the worker's private writable memory (heap, anonymous maps, thread
stacks), not the store's memory-mapped files: a query that needs more fails its allocation and
the worker dies (Rust aborts) or raises MemoryError; the server answers 503 and replaces it.

Stack. Queries run on a thread with a large stack, so deep but legal queries parse; the
lexical limits in `server.sparql.guard` keep nesting well below what that stack holds.
"""

from __future__ import annotations

import errno
import resource
import socket

import pyseccomp

QUERY_THREAD_STACK = 64 << 20  # holds ~2,000 levels of nested groups (measured), 4× the nesting limit


class SandboxUnavailable(RuntimeError):
    """The worker could not be confined; it must not run queries."""


def forbid_network() -> None:
    """From now on this process cannot open any socket but a Unix one."""
    try:
        rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
        rules.add_rule(pyseccomp.ERRNO(errno.EACCES), "socket", pyseccomp.Arg(0, pyseccomp.NE, socket.AF_UNIX))
        rules.add_rule(pyseccomp.ERRNO(errno.EACCES), "io_uring_setup")
        rules.load()
    except (OSError, RuntimeError, ValueError) as error:
        message = f"cannot install the seccomp filter that keeps query workers off the network: {error}"
        raise SandboxUnavailable(message) from error


def cap_memory(limit_bytes: int) -> None:
    """Cap private writable memory (RLIMIT_DATA); 0 leaves it unlimited."""
    if limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (limit_bytes, limit_bytes))

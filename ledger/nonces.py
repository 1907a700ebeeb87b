"""Nonce reservation shared by several OS processes that sign for the same accounts (the API's
uvicorn workers, the CLI next to a running service).

Each process's pipeline otherwise counts nonces in memory, seeded from the node: two processes
signing for one member then hand out the same nonce and one transaction fails "nonce too low".
Here a process reserves nonces for an account only while it holds that account's lock (``flock``
on ``<dir>/<chain id>-<address>.lock``) and keeps the lock until the node has answered the
``eth_sendRawTransaction`` of every nonce it took. Under the lock the node's *pending* count
(mined + ready in its pool) is therefore exact: it is the next nonce. The file also records the
last nonce handed out; when the node's pending count is below it, a reserved nonce never reached
the node (a build, signing or send that failed after the reservation, a process killed while
holding the lock) and the gap is closed by starting again from the node's count: later
transactions are never queued behind a nonce that will not come. ``flock`` locks belong to
the open file, so they also keep threads of one process apart, and the kernel drops them when a
process dies. Hand-written: the standard library's ``fcntl`` is all it takes; the lock-file
packages on PyPI add timeouts and Windows support this service does not need.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .rpc import Rpc

log = logging.getLogger("ledger.nonces")


class SharedNonces:
    """Nonces of accounts reserved under per-account file locks in ``directory`` (see module doc)."""

    def __init__(self, rpc: Rpc, directory: Path, chain_id: int) -> None:
        self.rpc = rpc
        self.directory = Path(directory)
        self.chain_id = chain_id
        self.directory.mkdir(parents=True, exist_ok=True)
        self.gaps_closed = 0  # reservations found not sent and re-synced from the node (tests, logs)
        self._thread_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, address: str) -> Path:
        """The lock file of ``address`` (it holds the last nonce handed out, as decimal text)."""
        return self.directory / f"{self.chain_id}-{address.lower()}.lock"

    def _thread_lock(self, address: str) -> threading.Lock:
        with self._guard:
            return self._thread_locks.setdefault(address.lower(), threading.Lock())

    @contextmanager
    def _locked(self, address: str) -> Iterator[int]:
        """Hold ``address``'s lock; yields the open lock file's descriptor."""
        with self._thread_lock(address):
            fd = os.open(self.path(address), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield fd
            finally:
                os.close(fd)  # closing the descriptor releases the flock

    def _next(self, fd: int, address: str) -> int:
        pending = int(self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16)
        raw = os.pread(fd, 64, 0).strip()
        last = int(raw) if raw.isdigit() else None
        if last is not None and last + 1 > pending:
            self.gaps_closed += 1
            log.warning("nonce gap for %s: nonces up to %d were reserved, the node has %d pending; continuing from the node", address, last, pending)
        return pending

    @contextmanager
    def hold(self, addresses: Iterable[str]) -> Iterator[Callable[[str], int]]:
        """Lock ``addresses`` (in a fixed order: no deadlock between processes) and yield
        ``reserve(address) -> nonce``. Send every reserved nonce before leaving the block; a
        nonce that was not sent is found and reused by the next holder."""
        addrs = sorted({a.lower(): a for a in addresses}.items())
        with ExitStack() as stack:
            fds = {low: stack.enter_context(self._locked(a)) for low, a in addrs}
            nxt: dict[str, int] = {}

            def reserve(address: str) -> int:
                low = address.lower()
                if low not in fds:
                    raise KeyError(f"{address} is not held by this reservation")
                n = nxt[low] if low in nxt else self._next(fds[low], address)
                nxt[low] = n + 1
                os.pwrite(fds[low], str(n).encode().ljust(24), 0)  # the last nonce handed out
                return n

            yield reserve

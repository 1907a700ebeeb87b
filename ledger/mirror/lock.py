"""One writer at a time.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) taken on the writer's own
  connection; it goes away with the connection, so a dead indexer releases it at once.
- SQLite: a lease in the ``indexer_lock`` row (owner + expiry). A process killed with -9 cannot
  release a row, so the lease expires ``ttl`` seconds after its last renewal; every batch renews
  it inside its own transaction (fencing: a writer whose lease was taken over cannot commit).

A second indexer polls until the lock is free and then takes over.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Connection, Engine, or_, text, update

from ..errors import LedgerError
from .models import IndexerLock

ADVISORY_KEY = 0x6C69626C6564676572 & 0x7FFFFFFFFFFFFFFF  # "libledger"
DEFAULT_TTL = 15.0


class LockLost(LedgerError):
    """Another indexer took over the mirror (this one stalled beyond its lease)."""


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WriterLock:
    """The writer's connection and its right to write. Use ``conn`` for every write."""

    def __init__(self, engine: Engine, *, ttl: float = DEFAULT_TTL, owner: str | None = None) -> None:
        self.engine = engine
        self.ttl = ttl
        self.owner = owner or owner_id()
        self.sqlite = engine.dialect.name == "sqlite"
        self.conn: Connection = engine.connect()
        if self.sqlite:
            self.conn.info["writer"] = True  # BEGIN IMMEDIATE: take SQLite's write lock up front
        self.held = False
        self._renewed = 0.0

    def try_acquire(self) -> bool:
        if self.sqlite:
            now = time.time()
            with self.conn.begin():
                self.conn.exec_driver_sql("INSERT OR IGNORE INTO indexer_lock (id, owner, expires_at) VALUES (1, NULL, 0)")
                got = self.conn.execute(
                    update(IndexerLock)
                    .where(IndexerLock.id == 1, or_(IndexerLock.owner.is_(None), IndexerLock.expires_at < now, IndexerLock.owner == self.owner))
                    .values(owner=self.owner, expires_at=now + self.ttl)
                ).rowcount == 1
            self._renewed = now
        else:
            got = bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
            self.conn.commit()
        self.held = got
        return got

    def acquire(self, *, poll: float = 0.5, on_wait: Callable[[], None] | None = None, stop: Callable[[], bool] | None = None) -> bool:
        """Wait until this process is the writer; False if ``stop()`` said to give up."""
        told = False
        while not self.try_acquire():
            if not told and on_wait is not None:
                on_wait()
                told = True
            if stop is not None and stop():
                return False
            time.sleep(poll)
        return True

    def fence(self, conn: Connection) -> None:
        """Inside a write transaction: renew the lease, or fail if another writer took over."""
        if not self.sqlite:
            return  # the advisory lock lives on this very connection
        now = time.time()
        renewed = conn.execute(
            update(IndexerLock).where(IndexerLock.id == 1, IndexerLock.owner == self.owner).values(expires_at=now + self.ttl)
        ).rowcount
        if renewed != 1:
            raise LockLost("another indexer took over the mirror while this one stalled; stopping")
        self._renewed = now

    def heartbeat(self) -> None:
        """Between batches (idle, waiting for the node): keep the lease alive."""
        if self.sqlite and time.time() - self._renewed > self.ttl / 3:
            with self.conn.begin():
                self.fence(self.conn)

    def release(self) -> None:
        try:
            if self.held:
                if self.sqlite:
                    with self.conn.begin():
                        self.conn.execute(
                            update(IndexerLock).where(IndexerLock.id == 1, IndexerLock.owner == self.owner).values(owner=None, expires_at=0)
                        )
                else:
                    self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                    self.conn.commit()
        finally:
            self.held = False
            self.conn.info.pop("writer", None)
            self.conn.close()

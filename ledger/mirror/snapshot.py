"""Run a read on a connection of its own that sees what the caller's session sees.

PostgreSQL only: the session's transaction exports its snapshot (``pg_export_snapshot``), and
a thread opens another connection, imports it (REPEATABLE READ) and runs the read there, so a
caller can run several long aggregates at once (each backend on its own core) and still judge
them against one state of the mirror. A session in autocommit (the API's reader) holds no
snapshot to share: each of its statements sees the latest commit, and so does the side read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

T = TypeVar("T")


def started_beside(session: Session, read: Callable[[Connection], T], *, name: str = "mirror-read") -> Callable[[], T]:
    """Start ``read(connection)`` in a thread on a new connection sharing ``session``'s snapshot
    (PostgreSQL) and return a function that waits for its result (and raises its error)."""
    conn = session.connection()
    autocommit = conn.connection.driver_connection.autocommit  # type: ignore[union-attr]
    snapshot = None if autocommit else conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
    engine = conn.engine

    def work() -> T:
        opts = {"isolation_level": "REPEATABLE READ"} if snapshot else {"isolation_level": "READ COMMITTED"}
        with engine.connect().execution_options(**opts) as c, c.begin():
            if snapshot:
                c.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return read(c)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    future = pool.submit(work)
    pool.shutdown(wait=False)
    return future.result


@contextmanager
def one_snapshot(session: Session) -> Iterator[Session]:
    """A session whose reads all see one state of the mirror, for a read made of several
    statements (the payout reconciliation) while the indexer keeps committing.

    PostgreSQL: a session of its own in a REPEATABLE READ transaction on ``session``'s engine
    (the API's readers are in autocommit, where each statement, and each side read, would see
    the latest commit: a payment indexed between two legs would look like a difference).
    SQLite: ``session`` itself (its BEGIN already holds one snapshot for the transaction).
    """
    bind = session.get_bind()
    engine = bind.engine
    if engine.dialect.name != "postgresql":
        yield session
        return
    # on the connection, not the engine: an engine derived from the readers' AUTOCOMMIT engine
    # keeps their isolation level (both options' connect hooks run, the parent's last)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with Session(conn, expire_on_commit=False) as own:
            try:
                yield own
            finally:
                own.rollback()

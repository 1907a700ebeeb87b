"""Projections from raw events alone: replay ``raw_events`` in chain order through the handlers.

Used by the dev-chain rollback (wipe the projections, replay what is left) and by
``mirror check`` (replay into a scratch database and compare with the live projections).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, delete, select, tuple_

from .decode import LogEvent
from .handlers import apply
from .models import Block, RawEvent, projection_tables
from .store import Store

CHUNK = 20_000


def raw_events(conn: Connection, *, after_block: int = -1, chunk: int = CHUNK) -> Iterator[list[LogEvent]]:
    """Raw events with their block timestamps, in chain order, ``chunk`` at a time."""
    r, b = RawEvent.__table__, Block.__table__
    cols = [r.c[n] for n in ("block_number", "block_hash", "log_index", "tx_hash", "tx_index", "address", "contract", "event", "args", "topics", "data")]
    last = (after_block, 2**31 - 1)
    while True:
        rows = conn.execute(
            select(*cols, b.c.timestamp)
            .join(b, b.c.number == r.c.block_number)
            .where(tuple_(r.c.block_number, r.c.log_index) > last)
            .order_by(r.c.block_number, r.c.log_index)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield [LogEvent(*row) for row in rows]
        last = (rows[-1].block_number, rows[-1].log_index)


def wipe_projections(conn: Connection) -> None:
    for t in reversed(projection_tables()):
        conn.execute(delete(t))


def replay(src: Connection, dst: Connection) -> int:
    """Apply every raw event of ``src`` to the projections of ``dst`` (which start empty)."""
    n = 0
    for events in raw_events(src):
        db = Store(dst)
        apply(events, db)
        db.flush()
        n += len(events)
    return n


def rebuild(conn: Connection) -> int:
    """Wipe and rebuild the projections of ``conn`` from its raw events (caller's transaction)."""
    wipe_projections(conn)
    return replay(conn, conn)

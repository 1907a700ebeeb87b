"""The raw-events leg of the payout reconciliation: the period's payment entries (chain data in
``payment_entries``, one typed row per account a ``Royalties:RoyaltyPaid`` / ``RoyaltyEscrowed``
/ ``EscrowReleased`` log credits, written by the indexer with the raw event and checked against
it by ``mirror check``) summed per (account, work, kind) — the same keys and figures as the
``royalty_rollups`` projection, computed without the projection code (no handler, no rollup, no
accrual row is read). The period is cut at the entries' block timestamps.

PostgreSQL: one GROUP BY over the typed columns (exact NUMERIC sums; parallel workers allowed),
which ``mirror_legs`` runs on a connection of its own while it reads the projections
(``raw_sums_started``). SQLite (small, embedded mirrors, whose SUM is 64-bit only): the same
sums in Python over the entry rows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from rights.payouts import SumKey
from rights.periods import Period

from .mirror.db import is_sqlite
from .mirror.models import PaymentEntry

PG_SUMS = """
SELECT account, work_id::text, kind, SUM(net)::text, SUM(gross)::text, COUNT(*)
FROM payment_entries
WHERE block_timestamp >= %(start)s AND block_timestamp < %(end)s
GROUP BY account, work_id, kind
"""


def raw_sums(session: Session, period: Period) -> dict[SumKey, list[int]]:
    """[net, gross, entries] in fen per (account, work, kind) of the period's payment entries."""
    if is_sqlite(session.get_bind()):
        e = PaymentEntry
        out: dict[SumKey, list[int]] = {}
        for account, work, kind, net, gross in session.execute(
            select(e.account, e.work_id, e.kind, e.net, e.gross)
            .where(e.block_timestamp >= period.start, e.block_timestamp < period.end)
        ):
            s = out.get((account, work, kind))
            if s is None:
                out[(account, work, kind)] = [net, gross, 1]
            else:
                s[0] += net
                s[1] += gross
                s[2] += 1
        return out
    return _pg_sums(session.connection(), period)


def _pg_sums(conn: Connection, period: Period) -> dict[SumKey, list[int]]:
    from .payouts_projection import _fetch, _tune_pg

    _tune_pg(conn)
    # a month is millions of entries hashed into a few hundred thousand keys: let the planner
    # split the scan and the partial aggregates over parallel workers (it rarely does by itself
    # for so many groups), for this statement only
    conn.exec_driver_sql("SET LOCAL parallel_setup_cost = 0")
    conn.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0")
    rows = _fetch(conn, PG_SUMS, {"start": period.start, "end": period.end})
    conn.exec_driver_sql("SET LOCAL parallel_setup_cost TO DEFAULT")
    conn.exec_driver_sql("SET LOCAL parallel_tuple_cost TO DEFAULT")
    return {(account, int(work), kind): [int(net), int(gross), int(n)] for account, work, kind, net, gross, n in rows}


def raw_sums_started(session: Session, period: Period) -> Callable[[], dict[SumKey, list[int]]]:
    """Start ``raw_sums`` and return a function that waits for its result.

    PostgreSQL: computed in a thread on a connection of its own that reads the snapshot of the
    session's transaction (``pg_export_snapshot``, REPEATABLE READ), so the caller can run the
    projection leg meanwhile and both legs see the same data (a session in autocommit has no
    snapshot to share: the raw leg then reads the latest commit, as the session's statements do).
    SQLite: computed at once.
    """
    if is_sqlite(session.get_bind()):
        done = raw_sums(session, period)
        return lambda: done
    conn = session.connection()
    # a reader in autocommit (the API's) holds no snapshot to share: each of its statements sees
    # the latest commit, and so does the raw leg's own transaction
    autocommit = conn.connection.driver_connection.autocommit
    snapshot = None if autocommit else conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
    engine = conn.engine

    def work() -> dict[SumKey, list[int]]:
        opts = {"isolation_level": "REPEATABLE READ"} if snapshot else {"isolation_level": "READ COMMITTED"}
        with engine.connect().execution_options(**opts) as c, c.begin():
            if snapshot:
                c.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return _pg_sums(c, period)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payouts-raw-leg")
    future = pool.submit(work)
    pool.shutdown(wait=False)
    return future.result

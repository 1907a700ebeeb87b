"""The raw-events leg of the payout reconciliation: the period's payment entries (chain data in
``payment_entries``, one typed row per account a ``Royalties:RoyaltyPaid`` / ``RoyaltyEscrowed``
/ ``EscrowReleased`` log credits, written by the indexer with the raw event and checked against
it by ``mirror check``) summed per (account, work, kind) — the same keys and figures as the
``royalty_rollups`` projection, computed without the projection code (no handler, no rollup, no
accrual row is read). The period is cut at the entries' block timestamps.

PostgreSQL: a month's entries are read through the key-ordered covering index
``ix_payment_entries_month_key`` (UTC month, account, work, kind; migration 0006): an index-only
scan that feeds a streaming GROUP BY (exact NUMERIC sums), with no hash table of the month's
~300k keys (hashing them cost ~2.5x more CPU). A UTC month the period only touches at its edge
(the 8 hours before a Shanghai month) is read by block timestamp instead. ``mirror_legs`` runs
this on a connection of its own while it reads the projections (``raw_sums_started``). SQLite
(small, embedded mirrors, whose SUM is 64-bit only): the same sums in Python over the entry rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from rights.payouts import SumKey
from rights.periods import Period, utc_months_plan

from .mirror.db import is_sqlite
from .mirror.models import PaymentEntry
from .mirror.snapshot import started_beside

_SUMS = "SELECT account, work_id::text, kind, SUM(net)::text, SUM(gross)::text, COUNT(*) FROM payment_entries "
#: a UTC month read in index order (the period's cut as a filter on the index's block_timestamp)
PG_MONTH_SUMS = _SUMS + (
    "WHERE month = %(month)s AND block_timestamp >= %(start)s AND block_timestamp < %(end)s GROUP BY account, work_id, kind"
)
#: a part of a UTC month, through the block_timestamp index
PG_RANGE_SUMS = _SUMS + "WHERE block_timestamp >= %(start)s AND block_timestamp < %(end)s GROUP BY account, work_id, kind"


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
    """``raw_sums`` on PostgreSQL: the UTC months ``utc_months_plan`` reads whole, each in index
    order (cut to the period by a filter), plus the parts of the months it reads as slices."""
    from .payouts_projection import _fetch, _stream, _tune_pg

    _tune_pg(conn)
    months, slices = utc_months_plan(period)
    out: dict[SumKey, list[int]] = {}
    # the index hands a month over in key order: only a streaming aggregate uses that (the
    # planner's estimate of ~1M groups makes it pick a hash table or a sort otherwise)
    conn.exec_driver_sql("SET LOCAL enable_hashagg = off")
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    for month in months:
        _add(out, _stream(conn, PG_MONTH_SUMS, {"month": month, "start": period.start, "end": period.end}))
    conn.exec_driver_sql("SET LOCAL enable_hashagg TO DEFAULT")
    conn.exec_driver_sql("SET LOCAL enable_sort TO DEFAULT")
    # the negative slices are parts of ``months`` outside the period: the filter left them out
    for lo, hi, sign in slices:
        if sign > 0:
            _add(out, _fetch(conn, PG_RANGE_SUMS, {"start": lo, "end": hi}))
    return out


def _add(out: dict[SumKey, list[int]], rows: Iterable[tuple]) -> None:
    """Add [net, gross, entries] rows (amounts as decimal text) to ``out``."""
    if not out:  # the first (usually the only big) part: one comprehension, no lookups
        out.update({(account, int(work), kind): [int(net), int(gross), int(n)] for account, work, kind, net, gross, n in rows})
        return
    for account, work, kind, net, gross, n in rows:
        key = (account, int(work), kind)
        cur = out.get(key)
        if cur is None:
            out[key] = [int(net), int(gross), int(n)]
        else:
            cur[0] += int(net)
            cur[1] += int(gross)
            cur[2] += int(n)


def raw_sums_started(session: Session, period: Period) -> Callable[[], dict[SumKey, list[int]]]:
    """Start ``raw_sums`` and return a function that waits for its result.

    PostgreSQL: computed in a thread on a connection of its own that reads the snapshot of the
    session's transaction (``ledger.mirror.snapshot``), so the caller can run the projection
    leg meanwhile and both legs see the same data. SQLite: computed at once.
    """
    if is_sqlite(session.get_bind()):
        done = raw_sums(session, period)
        return lambda: done
    return started_beside(session, lambda c: _pg_sums(c, period), name="payouts-raw-leg")

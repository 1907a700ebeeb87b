"""The projection leg of the payout reconciliation, and the statement totals at scale.

Statement totals are read from ``royalty_rollups`` (sums per UTC month, account, work, kind,
kept by the indexer's handlers); a calendar month in any zone is assembled exactly from the
UTC months it overlaps plus or minus the accruals of its boundary slices
(``rights.periods.utc_months_plan``). The accrual rows themselves are checked per account with
one scan of the period (``accrual_credits``). When a figure differs from the raw events, the
``*_rows_differing`` functions name the projection rows involved. Amounts in fen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from rights.payouts import PaymentRecord
from rights.periods import Period, utc_month_bounds, utc_months_plan

from .mirror.db import is_sqlite
from .mirror.models import ESCROW_ACCOUNT, RoyaltyAccrual, RoyaltyRollup
from .mirror.snapshot import started_beside

CREDITING_KINDS = ("paid", "fee", "released")


def accrual_credits(session: Session, period: Period) -> dict[str, int]:
    """Fen credited per account in ``period`` according to the ``royalty_accruals`` rows
    themselves (one scan of the period's accruals; the statements read the rollup instead).

    Summed by the database on PostgreSQL (exact NUMERIC); on SQLite, whose SUM goes through
    floating point beyond 64 bits, the rows are summed in Python.
    """
    if is_sqlite(session.get_bind()):
        out: dict[str, int] = defaultdict(int)
        for account, net in session.execute(select(RoyaltyAccrual.account, RoyaltyAccrual.net).where(*_crediting(period))):
            out[account] += int(net)
        return dict(out)
    return _accrual_credits_pg(session.connection(), period)


def _crediting(period: Period) -> tuple:
    a = RoyaltyAccrual
    return (a.account.is_not(None), a.kind.in_(CREDITING_KINDS), a.block_timestamp >= period.start, a.block_timestamp < period.end)


def _accrual_credits_pg(conn: Connection, period: Period) -> dict[str, int]:
    a = RoyaltyAccrual
    rows = conn.execute(select(a.account, func.sum(a.net)).where(*_crediting(period)).group_by(a.account))
    return {account: int(total) for account, total in rows}


def accrual_credits_started(session: Session, period: Period) -> Callable[[], dict[str, int]]:
    """Start ``accrual_credits`` and return a function that waits for its result. PostgreSQL: in
    a thread on a connection of its own sharing the session's snapshot (``ledger.mirror.snapshot``),
    so the rollup can be read meanwhile; SQLite: computed at once."""
    if is_sqlite(session.get_bind()):
        done = accrual_credits(session, period)
        return lambda: done
    return started_beside(session, lambda conn: _accrual_credits_pg(conn, period), name="payouts-accruals")


RollupKey = tuple[str, int, str]  # (account or ESCROW_ACCOUNT, work id, kind)


def _accrual_sums(session: Session, lo: int, hi: int, *, account: str | None = None) -> dict[RollupKey, list[int]]:
    """Sums of the accruals with ``lo <= block_timestamp < hi`` per rollup key: [net, gross, rows]."""
    a = RoyaltyAccrual
    where = [a.block_timestamp >= lo, a.block_timestamp < hi]
    if account is not None:
        where.append(a.account == account if account != ESCROW_ACCOUNT else a.account.is_(None))
    out: dict[RollupKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    if is_sqlite(session.get_bind()):
        for acct, work, kind, net, gross in session.execute(select(a.account, a.work_id, a.kind, a.net, a.gross).where(*where)):
            s = out[(acct or ESCROW_ACCOUNT, int(work), kind)]
            s[0] += int(net)
            s[1] += int(gross)
            s[2] += 1
        return out
    rows = session.execute(
        select(a.account, a.work_id, a.kind, func.sum(a.net), func.sum(a.gross), func.count())
        .where(*where).group_by(a.account, a.work_id, a.kind)
    )
    for acct, work, kind, net, gross, n in rows:
        s = out[(acct or ESCROW_ACCOUNT, int(work), kind)]
        s[0] += int(net)
        s[1] += int(gross)
        s[2] += int(n)
    return out


def rollup_sums(session: Session, period: Period) -> dict[RollupKey, list[int]]:
    """[net, gross, accrual rows] per (account, work, kind) for ``period``, from ``royalty_rollups``.

    The rollup is kept per UTC month; the period's month in its own zone is assembled exactly
    from the UTC months it overlaps plus or minus the accruals of the boundary slices
    (``rights.periods.utc_months_plan``; 8 hours at each end for Asia/Shanghai).
    """
    months, slices = utc_months_plan(period)
    if not is_sqlite(session.get_bind()):
        return _rollup_sums_pg(session, months, slices)
    out: dict[RollupKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    if months:
        r = RoyaltyRollup
        for acct, work, kind, net, gross, n in session.execute(
            select(r.account, r.work_id, r.kind, r.net, r.gross, r.accruals).where(r.month.in_(months))
        ):
            s = out[(acct, work, kind)]
            s[0] += net
            s[1] += gross
            s[2] += n
    for lo, hi, sign in slices:
        for key, (net, gross, n) in _accrual_sums(session, lo, hi).items():
            s = out[key]
            s[0] += sign * net
            s[1] += sign * gross
            s[2] += sign * n
    return {k: v for k, v in out.items() if v != [0, 0, 0]}


def _rollup_sums_pg(session: Session, months: list[int], slices: list[tuple[int, int, int]]) -> dict[RollupKey, list[int]]:
    """``rollup_sums`` on PostgreSQL: the month rows fetched as text without ORM type processing
    (exact: NUMERIC as decimal text), the slices aggregated by the database, merged in Python."""
    conn = session.connection()
    _tune_pg(conn)
    out: dict[RollupKey, list[int]] = {}
    for i, month in enumerate(months):
        rows = _stream(conn, "SELECT account, work_id::text, kind, net::text, gross::text, accruals FROM royalty_rollups "
                             "WHERE month = %(m)s", {"m": month})
        if i == 0:  # one comprehension, no lookups: a month's keys are unique
            out = {(account, int(work), kind): [int(net), int(gross), n] for account, work, kind, net, gross, n in rows}
            continue
        for account, work, kind, net, gross, n in rows:
            cur = out.setdefault((account, int(work), kind), [0, 0, 0])
            cur[0] += int(net)
            cur[1] += int(gross)
            cur[2] += n
    for lo, hi, sign in slices:
        for account, work, kind, net, gross, n in _fetch(
            conn,
            "SELECT COALESCE(account, ''), work_id::text, kind, SUM(net)::text, SUM(gross)::text, COUNT(*) FROM royalty_accruals "
            "WHERE block_timestamp >= %(lo)s AND block_timestamp < %(hi)s GROUP BY 1, 2, 3",
            {"lo": lo, "hi": hi},
        ):
            cur = out.setdefault((account, int(work), kind), [0, 0, 0])
            cur[0] += sign * int(net)
            cur[1] += sign * int(gross)
            cur[2] += sign * n
    return {k: v for k, v in out.items() if v != [0, 0, 0]}


def _fetch(conn, sql: str, params: dict[str, object]) -> list[tuple]:  # type: ignore[no-untyped-def]
    """All rows of ``sql`` through the driver's own cursor (psycopg), in the session's transaction:
    for hundreds of thousands of plain rows, SQLAlchemy's per-row result machinery costs more
    than the query."""
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        cur.close()


#: rows per chunk of a streamed result (libpq's chunked-rows mode)
STREAM_CHUNK = 5_000


def _stream(conn, sql: str, params: dict[str, object]) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    """The rows of ``sql`` as the database produces them (libpq chunked-rows mode), so Python
    builds its dict while PostgreSQL still scans (the raw leg's streaming GROUP BY emits each key
    as soon as its entries are summed): the two overlap instead of running one after the other
    (``_fetch`` waits for the last row). Consume it fully before the next statement."""
    cur = conn.connection.driver_connection.cursor()
    try:
        yield from cur.stream(sql, params, size=STREAM_CHUNK)
    finally:
        cur.close()


def _tune_pg(conn) -> None:  # type: ignore[no-untyped-def]
    """Aggregates of a few hundred thousand groups: hash them in memory, skip JIT compilation
    (planned for misestimated row counts, it costs more than it saves here). Transaction-local."""
    conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    conn.exec_driver_sql("SET LOCAL jit = off")


def projection_credits(session: Session, period: Period) -> dict[str, int]:
    """Fen credited per account in ``period`` according to the projection (``royalty_rollups``)."""
    return period_totals(session, period).credits


@dataclass
class PeriodTotals:
    """A period's statements at scale, read from the ``royalty_rollups`` projection: net fen per
    (payee, work), per payee, per account credited (fee recipient included), the platform's fee
    and the payments' gross."""

    by_payee_work: dict[tuple[str, int], int]
    by_payee: dict[str, int]
    platform_fee: int
    gross: int
    escrowed: int
    paid_nets: int = 0
    credits: dict[str, int] = field(default_factory=dict)

    def check(self) -> list[str]:
        """gross = fee + payees' nets from payments + escrow kept (released escrow excluded)."""
        return [] if self.gross == self.platform_fee + self.paid_nets + self.escrowed else [
            f"gross {self.gross} != fee {self.platform_fee} + nets {self.paid_nets} + escrow {self.escrowed}"
        ]


def period_totals(session: Session, period: Period) -> PeriodTotals:
    """Statement totals for ``period`` from the rollup (see ``rollup_sums``); amounts in fen."""
    return totals_from_sums(rollup_sums(session, period))


def totals_from_sums(sums: dict[RollupKey, list[int]]) -> PeriodTotals:
    """Statement totals from [net, gross, entries] per (account, work, kind) (rollup or raw events)."""
    by_pw: dict[tuple[str, int], int] = {}
    by_p: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    gross = 0
    for (account, work, kind), (net, g, _n) in sums.items():
        kinds[kind] += net
        if kind in CREDITING_KINDS and account != ESCROW_ACCOUNT:
            credits[account] += net
        if kind in ("paid", "released"):
            by_pw[(account, work)] = by_pw.get((account, work), 0) + net
            by_p[account] += net
        elif kind == "fee":
            # gross once per payment: every payment has exactly one fee row (a zero fee reverts on chain)
            gross += g
    return PeriodTotals(
        by_payee_work=by_pw,
        by_payee=dict(by_p),
        platform_fee=kinds["fee"],
        gross=gross,
        escrowed=kinds["escrowed"],
        paid_nets=kinds["paid"],
        credits=dict(credits),
    )


def rollup_rows_differing(session: Session, period: Period, account: str) -> list[str]:
    """Rows of ``royalty_rollups`` for ``account`` (in the UTC months ``period`` reads whole)
    that differ from the sums of the accrual rows they stand for."""
    months, _ = utc_months_plan(period)
    r = RoyaltyRollup
    bad: list[str] = []
    for month in months:
        lo, hi = utc_month_bounds(month)
        expected = _accrual_sums(session, lo, hi, account=account)
        stored = {
            (work, kind): [net, gross, n]
            for work, kind, net, gross, n in session.execute(
                select(r.work_id, r.kind, r.net, r.gross, r.accruals).where(r.month == month, r.account == account)
            )
        }
        for work, kind in sorted(stored.keys() | {(w, k) for (_a, w, k) in expected}):
            want = expected.get((account, work, kind), [0, 0, 0])
            have = stored.get((work, kind))
            if have is None:
                bad.append(f"missing royalty_rollups row month={month} account={account} work_id={work} kind={kind}")
            elif have != want:
                bad.append(
                    f"royalty_rollups month={month} account={account} work_id={work} kind={kind} "
                    f"(net/gross/accruals {have[0]}/{have[1]}/{have[2]}, the accruals give {want[0]}/{want[1]}/{want[2]})"
                )
    return bad


def accrual_rows_differing(session: Session, period: Period, account: str, records: list[PaymentRecord]) -> list[str]:
    """Rows of ``royalty_accruals`` for ``account`` whose amount the raw events do not confirm."""
    expected: dict[tuple[int, int], int] = defaultdict(int)
    for r in records:
        if r.fee and r.fee_recipient == account:
            expected[(r.block_number, r.log_index)] += r.fee
        for payee, net in r.nets:
            if payee == account:
                expected[(r.block_number, r.log_index)] += net
    seen: dict[tuple[int, int], int] = defaultdict(int)
    rows = session.execute(
        select(RoyaltyAccrual.block_number, RoyaltyAccrual.log_index, RoyaltyAccrual.seq, RoyaltyAccrual.net, RoyaltyAccrual.tx_hash)
        .where(RoyaltyAccrual.account == account, RoyaltyAccrual.kind.in_(CREDITING_KINDS))
        .where(RoyaltyAccrual.block_timestamp >= period.start, RoyaltyAccrual.block_timestamp < period.end)
    ).all()
    for block, log, _seq, net, _tx in rows:
        seen[(block, log)] += int(net)
    bad = [f"royalty_accruals block {b} log {lg} (seq {sq}, tx {tx})" for b, lg, sq, _n, tx in rows if seen[(b, lg)] != expected.get((b, lg), 0)]
    bad += [f"missing royalty_accruals row for block {b} log {lg}" for (b, lg) in expected if (b, lg) not in seen]
    return bad

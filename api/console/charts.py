"""Server-rendered SVG bar charts (no JavaScript): loans per day, ILL by status, royalties per month.

Figures are counted and summed in SQL over bounded windows (the last days / months, found as a
block range) on indexed columns, so a chart costs the same on a 1M-record mirror as on the demo;
each chart is a list of (label, value) bars.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ledger.mirror.models import Block, DigitalLoan, IllRequest, IllTransition, RoyaltyAccrual, RoyaltyRollup
from rights.periods import parse_period, utc_months_plan

from ..services import reads
from . import i18n


def first_block_since(session: Session, ts: int) -> int | None:
    """The first mirrored block at or after ``ts`` (unix seconds), None if there is none."""
    return first_key_since(session, Block.number, Block.timestamp, ts)


def first_key_since(session: Session, key: Any, time: Any, ts: int) -> int | None:
    """The smallest ``key`` (an integer primary key column) whose ``time`` (unix seconds) is at or
    after ``ts``, for a table where time never goes down as the key grows (blocks by number;
    digital loans by id: the contract counts them). None if there is none.

    A binary search on the key: ~log2(key span) point reads, and cached per (database, column,
    ts) with one read to check the cached answer is still the first. Neither ``blocks.timestamp``
    nor ``digital_loans.checked_out_at`` has an index (a new one needs a migration); this keeps
    every chart a bounded range scan on an existing index. Keys may have gaps."""
    ck = (id(session.get_bind()), str(key), int(ts))
    hit = _FIRST_KEY.get(ck)
    if hit is not None:  # still the first one? (one read: the row and the one before it)
        rows = session.execute(select(key, time).where(key <= hit).order_by(key.desc()).limit(2)).all()
        if rows and rows[0][0] == hit and rows[0][1] >= ts and (len(rows) == 1 or rows[1][1] < ts):
            return hit
    found = _first_key_search(session, key, time, ts)
    if found is not None:
        if len(_FIRST_KEY) > 256:
            _FIRST_KEY.clear()
        _FIRST_KEY[ck] = found
    return found


#: (database, column, unix seconds) → first key at/after it; checked with one read before use (a
#: rebuilt or rolled-back mirror just misses and searches again)
_FIRST_KEY: dict[tuple[int, str, int], int] = {}


def _first_key_search(session: Session, key: Any, time: Any, ts: int) -> int | None:
    lo, best = session.execute(select(func.min(key), func.max(key))).one()
    if lo is None or session.execute(select(time).where(key == best)).scalar_one() < ts:
        return None
    lo, best = int(lo), int(best)
    r = best  # invariant: ``best`` is at/after ts; any earlier answer lies in [lo, r)
    while lo < r:
        mid = (lo + r) // 2
        at = session.execute(select(key, time).where(key >= mid, key < r).order_by(key).limit(1)).one_or_none()
        if at is None:
            r = mid
        elif at[1] >= ts:
            best = r = int(at[0])
        else:
            lo = int(at[0]) + 1
    return best


#: unix seconds → day number in Asia/Shanghai (UTC+8, no DST): the same expression in SQLite and PostgreSQL
def _shanghai_day(ts: Any) -> Any:
    return (ts + 8 * 3600) // 86400


def loans_per_day(session: Session, *, days: int = 14, now: datetime | None = None) -> list[tuple[str, int]]:
    """Digital checkouts + ILL loans per day (Asia/Shanghai) over the last ``days`` days: counted in
    SQL over the window's key ranges (``digital_loans`` by loan id, ``ill_transitions`` by block)."""
    now = now or datetime.now(timezone.utc)
    start = (now.astimezone(i18n.TZ) - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    labels = [(start + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
    first = first_block_since(session, int(start.timestamp()))
    if first is None:
        return [(d[5:], 0) for d in labels]
    counts: Counter[int] = Counter()
    d = DigitalLoan
    first_loan = first_key_since(session, d.loan_id, d.checked_out_at, int(start.timestamp()))
    day = _shanghai_day(d.checked_out_at).label("day")
    checkouts = select(day, func.count()).where(d.loan_id >= (first_loan if first_loan is not None else -1)).group_by(day)
    t = IllTransition
    tday = _shanghai_day(t.block_timestamp).label("day")
    ill_loans = (
        select(tday, func.count())
        .where(t.block_number >= first, t.event == "StatusChanged", t.applied.is_(True), t.to_status == "Loaned")
        .group_by(tday)
    )
    for q in (checkouts, ill_loans) if first_loan is not None else (ill_loans,):
        for d, n in session.execute(q):
            counts[int(d)] += int(n)
    epoch_day = (int(start.timestamp()) + 8 * 3600) // 86400
    return [(d[5:], counts.get(epoch_day + i, 0)) for i, d in enumerate(labels)]


#: the ILL chart counts the newest this many requests (the party's, or the consortium's)
ILL_CHART_REQUESTS = 1000


def ill_by_status(session: Session, *, party: str | None = None, newest: int = ILL_CHART_REQUESTS) -> list[tuple[str, int]]:
    """The newest ``newest`` requests by current status: ``party``'s (as requester or supplier) or
    the consortium's. Read backwards on the (party,) requested-block indexes, counted in SQL."""
    r = IllRequest
    order = (r.requested_block.desc(), r.request_id.desc())
    if party is None:
        parts = [select(r.status, r.requested_block, r.request_id).order_by(*order).limit(newest)]
    else:
        parts = [select(r.status, r.requested_block, r.request_id).where(r.requester == party).order_by(*order).limit(newest),
                 select(r.status, r.requested_block, r.request_id).where(r.supplier == party, r.requester != party).order_by(*order).limit(newest)]
    rows: list[tuple[str, int, int]] = []
    for q in parts:
        rows += [(st, int(b), int(i)) for st, b, i in session.execute(q)]
    rows.sort(key=lambda x: (x[1], x[2]), reverse=True)
    counts = Counter(st for st, _, _ in rows[:newest])
    return [(st, counts[st]) for st in reads.ILL_STATUS[1:] if counts.get(st)]


def month_keys(now: datetime, months: int) -> list[str]:
    local = now.astimezone(i18n.TZ)
    keys = []
    y, m = local.year, local.month
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    return keys


def royalties_per_month(session: Session, *, account: str | None = None, months: int = 12, now: datetime | None = None) -> list[tuple[str, int]]:
    """Fen per month (Asia/Shanghai): ``account``'s payee nets and fees (its accrual rows, on the
    (account, block) index), or the consortium's gross payments (``royalty_rollups``, exact per
    local month: whole UTC months plus the boundary slices of ``rights.periods.utc_months_plan``)."""
    now = now or datetime.now(timezone.utc)
    keys = month_keys(now, months)
    sums: Counter[str] = Counter()
    a = RoyaltyAccrual
    if account is not None:
        since = int(datetime(int(keys[0][:4]), int(keys[0][5:]), 1, tzinfo=i18n.TZ).timestamp())
        first = first_block_since(session, since)
        if first is not None:
            q = select(a.block_timestamp, a.net).where(a.account == account, a.block_number >= first, a.kind.in_(("paid", "fee")))
            for ts, net in session.execute(q):
                sums[i18n.month_in_shanghai(int(ts))] += int(net)
        return [(k[2:], sums.get(k, 0)) for k in keys]
    plans = {k: utc_months_plan(parse_period(k, "Asia/Shanghai")) for k in keys}
    utc_months = sorted({m for whole, _ in plans.values() for m in whole})
    r = RoyaltyRollup
    gross = dict(session.execute(select(r.month, func.sum(r.gross)).where(r.month.in_(utc_months), r.kind == "fee").group_by(r.month)).all())
    slices = sorted({(lo, hi) for _, sl in plans.values() for lo, hi, _sign in sl})
    edge: list[tuple[int, int]] = []  # (timestamp, gross) of the payments in the boundary slices, one query
    if slices:
        inside = or_(*(and_(a.block_timestamp >= lo, a.block_timestamp < hi) for lo, hi in slices))
        edge = [(int(ts), int(g)) for ts, g in session.execute(select(a.block_timestamp, a.gross).where(a.kind == "fee", inside))]
    for k, (whole, sl) in plans.items():
        total = sum(int(gross.get(m) or 0) for m in whole)
        for lo, hi, sign in sl:
            total += sign * sum(g for ts, g in edge if lo <= ts < hi)
        sums[k] = total
    return [(k[2:], sums.get(k, 0)) for k in keys]  # "25-12": fits under a bar


def bars(data: list[tuple[str, int]], *, title: str, value_label: Any = str, width: int = 560, height: int = 220) -> dict[str, Any]:
    """Geometry for ``chart.svg``: one bar per (label, value), scaled to the largest value."""
    top = max([v for _, v in data] + [1])
    n = max(len(data), 1)
    left, bottom, pad = 8, 40, 4
    slot = (width - left * 2) / n
    plot_h = height - bottom - 20
    out = []
    for i, (label, v) in enumerate(data):
        h = 0 if top == 0 else round(plot_h * v / top, 1)
        out.append({
            "x": round(left + i * slot + pad / 2, 1), "w": round(max(slot - pad, 1), 1), "y": round(20 + plot_h - h, 1), "h": h,
            "label": label, "value": value_label(v), "cx": round(left + i * slot + slot / 2, 1),
        })
    return {"title": title, "width": width, "height": height, "bars": out, "base": 20 + plot_h}

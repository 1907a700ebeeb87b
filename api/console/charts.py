"""Server-rendered SVG bar charts (no JavaScript): loans per day, ILL by status, royalties per month.

Figures come from the mirror's decoded events; each chart is a list of (label, value) bars.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.mirror.models import Block, RawEvent

from ..services import reads
from . import i18n


def _events_since(session: Session, contract: str, event: str, since: int) -> list[tuple[dict[str, Any], int]]:
    q = (
        select(RawEvent.args, Block.timestamp)
        .join(Block, Block.number == RawEvent.block_number)
        .where(RawEvent.contract == contract, RawEvent.event == event, Block.timestamp >= since)
    )
    return [(a or {}, int(ts)) for a, ts in session.execute(q)]


def loans_per_day(session: Session, *, days: int = 14, now: datetime | None = None) -> list[tuple[str, int]]:
    """Digital checkouts + ILL loans per day (Asia/Shanghai) over the last ``days`` days."""
    now = now or datetime.now(timezone.utc)
    start = (now.astimezone(i18n.TZ) - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts: Counter[str] = Counter()
    for _, ts in _events_since(session, "Licensing", "LoanCheckedOut", int(start.timestamp())):
        counts[i18n.day_in_shanghai(ts)] += 1
    loaned = reads.ILL_STATUS.index("Loaned")
    for a, ts in _events_since(session, "InterlibraryLoan", "StatusChanged", int(start.timestamp())):
        if int(a.get("to", -1)) == loaned:
            counts[i18n.day_in_shanghai(ts)] += 1
    labels = [(start + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
    return [(d[5:], counts.get(d, 0)) for d in labels]


def ill_by_status(requests: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counts = Counter(r["status"] for r in requests)
    return [(s, counts[s]) for s in reads.ILL_STATUS[1:] if counts.get(s)]


def royalties_per_month(session: Session, *, account: str | None = None, months: int = 12, now: datetime | None = None) -> list[tuple[str, int]]:
    """Fen per month: ``account``'s payee nets (and fees), or the consortium's gross payments."""
    now = now or datetime.now(timezone.utc)
    local = now.astimezone(i18n.TZ)
    keys = []
    y, m = local.year, local.month
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    since = int(datetime(int(keys[0][:4]), int(keys[0][5:]), 1, tzinfo=i18n.TZ).timestamp())
    sums: Counter[str] = Counter()
    for a, ts in _events_since(session, "Royalties", "RoyaltyPaid", since):
        if account is None:
            amount = int(a["gross"])
        else:
            amount = sum(int(n) for p, n in zip(a["payees"], a["nets"]) if p == account)
            amount += int(a["fee"]) if a.get("feeRecipient") == account else 0
        sums[i18n.month_in_shanghai(ts)] += amount
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

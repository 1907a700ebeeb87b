"""The publisher's royalties page in a bounded number of indexed queries: the licences sold of its
works (newest first, capped) and its statement months (payments, gross, fee and
what it was credited per Asia/Shanghai month) — whatever the size of its catalogue."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.mirror.models import Licence, RoyaltyAccrual, Work

from ..services.reads.licences import licence_dict
from . import charts, i18n

#: the statement months listed (the newest; older statements stay downloadable by URL and CLI)
STATEMENT_MONTHS = 12


def licences_sold(session: Session, account: str, *, limit: int = 200) -> tuple[list[dict[str, Any]], bool]:
    """The newest ``limit`` licences of works ``account`` holds, and whether there are more (no
    count: counting every licence of a large catalogue is a join over the whole table)."""
    mine = select(Work.work_id).where(Work.holder == account)
    rows = session.scalars(select(Licence).where(Licence.work_id.in_(mine)).order_by(Licence.licence_id.desc()).limit(limit + 1)).all()
    return [licence_dict(x) for x in rows[:limit]], len(rows) > limit


def statement_months(session: Session, account: str, *, months: int = STATEMENT_MONTHS, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per month (newest first, the last ``months``) what ``account`` was credited as payee or fee
    recipient: payments, their gross and fee, and its amount (fen); ``open`` while the month runs."""
    now = now or datetime.now(timezone.utc)
    keys = charts.month_keys(now, months)
    since = int(datetime(int(keys[0][:4]), int(keys[0][5:]), 1, tzinfo=i18n.TZ).timestamp())
    first = charts.first_block_since(session, since)
    if first is None:
        return []
    a = RoyaltyAccrual
    q = (
        select(a.block_number, a.log_index, a.block_timestamp, a.gross, a.fee, a.net)
        .where(a.account == account, a.block_number >= first, a.kind.in_(("paid", "fee")))
    )
    out: dict[str, dict[str, Any]] = {}
    seen: set[tuple[int, int]] = set()
    for block, log, ts, gross, fee, net in session.execute(q):
        month = i18n.month_in_shanghai(int(ts))
        m = out.setdefault(month, {"month": month, "payments": 0, "gross": 0, "fee": 0, "amount": 0})
        m["amount"] += int(net)
        if (block, log) not in seen:  # one payment may credit the account as payee and as fee recipient
            seen.add((block, log))
            m["payments"] += 1
            m["gross"] += int(gross)
            m["fee"] += int(fee)
    current = i18n.month_in_shanghai(now)
    for m in out.values():
        m["open"] = m["month"] >= current  # a signed statement exists once the month is over
    return sorted(out.values(), key=lambda m: m["month"], reverse=True)

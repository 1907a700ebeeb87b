"""Settlement periods and net positions from ``settlement_periods`` / ``net_positions`` /
``clearing_charges``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.mirror.models import ClearingCharge, NetPosition, SettlementPeriod

from .common import iso, keyset, not_found


def _position(p: NetPosition) -> dict[str, Any]:
    # ``settled`` is what a debtor paid in, or what a creditor withdrew
    debtor = p.net < 0
    return {"library": p.library, "net": p.net, "paid": p.settled if debtor else 0, "withdrawn": 0 if debtor else p.settled, "defaulted": p.defaulted}


def _dicts(session: Session, periods: list[SettlementPeriod]) -> list[dict[str, Any]]:
    if not periods:
        return []
    ids = [p.period_id for p in periods]
    positions: dict[int, list[dict[str, Any]]] = {}
    for n in session.scalars(select(NetPosition).where(NetPosition.period_id.in_(ids))):
        positions.setdefault(n.period_id, []).append(_position(n))
    charges = dict(
        session.execute(select(ClearingCharge.period_id, func.count()).where(ClearingCharge.period_id.in_(ids)).group_by(ClearingCharge.period_id)).all()
    )
    out = []
    for p in periods:
        pos = sorted(positions.get(p.period_id, []), key=lambda x: (x["net"], x["library"]))
        out.append({
            "id": p.period_id, "status": "Closed" if p.closed_at else "Open", "opened_at": iso(p.opened_at), "closed_at": iso(p.closed_at),
            "deadline": iso(p.deadline), "owed": p.owed, "paid_in": p.paid_in, "withdrawn": p.withdrawn,
            "charges": int(charges.get(p.period_id, 0)), "positions": pos, "net_sum": sum(x["net"] for x in pos),
        })
    return out


def get_period(session: Session, period_id: int) -> dict[str, Any]:
    """One period with its net positions (fen), debtors first."""
    p = session.get(SettlementPeriod, int(period_id))
    if p is None:
        raise not_found("period", period_id, "settlement period")
    return _dicts(session, [p])[0]


def list_periods(session: Session, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Periods newest first (keyset on period id)."""
    rows, nxt = keyset(session, select(SettlementPeriod), [SettlementPeriod.period_id], limit=limit, cursor=cursor)
    return _dicts(session, rows), nxt

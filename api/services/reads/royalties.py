"""Royalty balances and accruals from ``royalty_balances`` / ``royalty_accruals``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from ledger.mirror.models import RoyaltyAccrual, RoyaltyBalance

from .common import cursor_ints, encode_cursor, iso

ROLE = {"paid": "payee", "fee": "platform-fee"}


def royalty_balance(session: Session, account: str) -> dict[str, Any]:
    """Accrued (payee nets + fees + escrow releases) minus withdrawn, in fen."""
    b = session.get(RoyaltyBalance, account)
    if b is None:
        return {"account": account, "accrued": 0, "withdrawn": 0, "balance": 0}
    return {"account": account, "accrued": b.credited, "withdrawn": b.withdrawn, "balance": b.balance}


def royalty_accruals(session: Session, account: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Payments that credited ``account`` (as payee and/or as the fee recipient), newest first;
    one entry per payment (keyset on block number + log index)."""
    q = select(RoyaltyAccrual).where(RoyaltyAccrual.account == account, RoyaltyAccrual.kind.in_(list(ROLE)))
    pos = cursor_ints(cursor, 2)
    if pos is not None:
        bound = (bindparam(None, pos[0], type_=RoyaltyAccrual.block_number.type), bindparam(None, pos[1], type_=RoyaltyAccrual.log_index.type))
        q = q.where(tuple_(RoyaltyAccrual.block_number, RoyaltyAccrual.log_index) < tuple_(*bound))
    # a payment gives an account at most a fee row and its payee rows: read enough rows for limit + 1 payments
    q = q.order_by(RoyaltyAccrual.block_number.desc(), RoyaltyAccrual.log_index.desc(), RoyaltyAccrual.seq).limit(4 * limit + 4)
    out: list[dict[str, Any]] = []
    by_event: dict[tuple[int, int], dict[str, Any]] = {}
    for r in session.scalars(q):
        k = (r.block_number, r.log_index)
        e = by_event.get(k)
        if e is None:
            e = by_event[k] = {
                "work_id": r.work_id, "terms_id": r.terms_id or 0, "ref_kind": r.ref_kind or "None", "ref_id": str(r.ref_id or 0),
                "payer": r.payer or "", "gross": r.gross, "fee": r.fee, "amount": 0, "as": None, "block_number": r.block_number,
                "tx_hash": r.tx_hash, "at": iso(r.block_timestamp), "_key": k,
            }
            out.append(e)
        e["amount"] += r.net
        role = ROLE[r.kind]
        e["as"] = role if e["as"] in (None, role) else "payee+fee"
    nxt = None
    if len(out) > limit:
        out = out[:limit]
        nxt = encode_cursor(*(str(v) for v in out[-1]["_key"]))
    for e in out:
        e.pop("_key")
    return out, nxt

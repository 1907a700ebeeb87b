"""Royalties: accruals (one row per account credited by a payment or a release) and their
monthly rollup (per UTC month, account, work, kind), balances, withdrawals, escrow per work."""

from __future__ import annotations

from typing import Any

from ..decode import LogEvent
from rights.periods import utc_month

from ..models import ESCROW_ACCOUNT, RoyaltyAccrual, RoyaltyBalance, RoyaltyEscrow, RoyaltyRollup, RoyaltyWithdrawal
from ..store import Store
from . import on

PAYMENT_REF = ("None", "Licence", "DigitalLoan", "IllRequest")


def _credit(db: Store, account: str, amount: int, block: int) -> None:
    row = db.get(RoyaltyBalance, account)
    if row is None:
        db.put(RoyaltyBalance, {"account": account, "balance": amount, "credited": amount, "withdrawn": 0, "block_number": block})
    else:
        db.update(RoyaltyBalance, account, balance=row["balance"] + amount, credited=row["credited"] + amount, block_number=block)


def _accrue(db: Store, row: dict[str, Any]) -> None:
    """One accrual row, and the same amounts added to its month's rollup row."""
    db.append(RoyaltyAccrual, row)
    db.accumulate(RoyaltyRollup, {
        "month": utc_month(row["block_timestamp"]), "account": row["account"] or ESCROW_ACCOUNT, "work_id": row["work_id"],
        "kind": row["kind"], "net": row["net"], "gross": row["gross"], "accruals": 1,
    })


def _payment(ev: LogEvent) -> dict[str, Any]:
    a = ev.args
    return {
        "block_number": ev.block_number, "log_index": ev.log_index, "tx_hash": ev.tx_hash, "block_timestamp": ev.timestamp,
        "work_id": int(a["workId"]), "terms_id": int(a["termsId"]), "ref_kind": PAYMENT_REF[int(a["refKind"])],
        "ref_id": int(a["refId"]), "payer": a["payer"], "gross": int(a["gross"]), "fee": int(a["fee"]),
    }


def _fee(ev: LogEvent, db: Store, base: dict[str, Any], seq: int) -> None:
    fee = base["fee"]
    _accrue(db, {**base, "seq": seq, "account": ev.args["feeRecipient"], "net": fee, "kind": "fee"})
    _credit(db, ev.args["feeRecipient"], fee, ev.block_number)


@on("Royalties:RoyaltyPaid")
def royalty_paid(ev: LogEvent, db: Store) -> None:
    base = _payment(ev)
    _fee(ev, db, base, 0)
    for i, (payee, net) in enumerate(zip(ev.args["payees"], ev.args["nets"]), 1):
        _accrue(db, {**base, "seq": i, "account": payee, "net": int(net), "kind": "paid"})
        _credit(db, payee, int(net), ev.block_number)


@on("Royalties:RoyaltyEscrowed")
def royalty_escrowed(ev: LogEvent, db: Store) -> None:
    base = _payment(ev)
    held = int(ev.args["held"])
    _fee(ev, db, base, 0)
    _accrue(db, {**base, "seq": 1, "account": None, "net": held, "kind": "escrowed"})
    work_id = base["work_id"]
    row = db.get(RoyaltyEscrow, work_id)
    if row is None:
        db.put(RoyaltyEscrow, {"work_id": work_id, "held": held, "released": 0, "block_number": ev.block_number})
    else:
        db.update(RoyaltyEscrow, work_id, held=row["held"] + held, block_number=ev.block_number)


@on("Royalties:EscrowReleased")
def escrow_released(ev: LogEvent, db: Store) -> None:
    a = ev.args
    work_id, amount = int(a["workId"]), int(a["amount"])
    base = {
        "block_number": ev.block_number, "log_index": ev.log_index, "tx_hash": ev.tx_hash, "block_timestamp": ev.timestamp,
        "work_id": work_id, "terms_id": None, "ref_kind": None, "ref_id": None, "payer": None, "gross": amount, "fee": 0,
    }
    for i, (account, part) in enumerate(zip(a["accounts"], a["amounts"])):
        _accrue(db, {**base, "seq": i, "account": account, "net": int(part), "kind": "released"})
        _credit(db, account, int(part), ev.block_number)
    row = db.get(RoyaltyEscrow, work_id)
    if row is not None:
        db.update(RoyaltyEscrow, work_id, held=row["held"] - amount, released=row["released"] + amount, block_number=ev.block_number)


@on("Royalties:Withdrawn")
def withdrawn(ev: LogEvent, db: Store) -> None:
    account, amount = ev.args["account"], int(ev.args["amount"])
    db.append(RoyaltyWithdrawal, {
        "block_number": ev.block_number, "log_index": ev.log_index, "tx_hash": ev.tx_hash, "block_timestamp": ev.timestamp,
        "account": account, "amount": amount,
    })
    row = db.get(RoyaltyBalance, account)
    if row is not None:
        db.update(RoyaltyBalance, account, balance=row["balance"] - amount, withdrawn=row["withdrawn"] + amount, block_number=ev.block_number)

"""Credit: balances and allowances in fen; total supply as a contract setting."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import ContractSetting, CreditAllowance, CreditBalance
from ..store import Store
from . import on

ZERO = "0x0000000000000000000000000000000000000000"


def _add(db: Store, account: str, delta: int, block: int) -> None:
    row = db.get(CreditBalance, account)
    if row is None:
        db.put(CreditBalance, {"account": account, "balance": delta, "block_number": block})
    else:
        db.update(CreditBalance, account, balance=row["balance"] + delta, block_number=block)


def _supply(db: Store, ev: LogEvent, delta: int) -> None:
    row = db.get(ContractSetting, "Credit", "totalSupply")
    total = (int(row["value"]) if row else 0) + delta
    db.put(ContractSetting, {"contract": "Credit", "name": "totalSupply", "value": str(total), "block_number": ev.block_number})


@on("Credit:Transfer")
def transfer(ev: LogEvent, db: Store) -> None:
    a = ev.args
    value = int(a["value"])
    if a["from"] == ZERO:
        _supply(db, ev, value)
    else:
        _add(db, a["from"], -value, ev.block_number)
    if a["to"] == ZERO:
        _supply(db, ev, -value)
    else:
        _add(db, a["to"], value, ev.block_number)


@on("Credit:Approval")
def approval(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(CreditAllowance, {"owner": a["owner"], "spender": a["spender"], "value": int(a["value"]), "block_number": ev.block_number})

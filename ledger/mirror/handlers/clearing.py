"""Clearing: settlement periods, libraries' net positions per period (with the default flag),
every charge posted; ILL charges also land on their request (``ill_requests``)."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import ClearingCharge, IllRequest, NetPosition, SettlementPeriod
from ..store import Store
from . import on
from .common import set_setting

CHARGE_KIND = ("Lending", "Replacement", "Refund")


def _debt(net: int) -> int:
    return -net if net < 0 else 0


def _position(db: Store, period_id: int, library: str) -> dict:
    row = db.get(NetPosition, period_id, library)
    if row is None:
        row = db.put(NetPosition, {
            "period_id": period_id, "library": library, "net": 0, "settled": 0, "paid_late": False, "defaulted": False,
            "defaulted_outstanding": None, "defaulted_block": None, "block_number": 0,
        })
    return row


@on("Clearing:PeriodOpened")
def period_opened(ev: LogEvent, db: Store) -> None:
    db.put(SettlementPeriod, {
        "period_id": int(ev.args["periodId"]), "opened_at": int(ev.args["openedAt"]), "closed_at": 0, "deadline": 0,
        "owed": 0, "paid_in": 0, "withdrawn": 0, "block_number": ev.block_number,
    })


@on("Clearing:PeriodClosed")
def period_closed(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.update(SettlementPeriod, int(a["periodId"]), closed_at=int(a["closedAt"]), deadline=int(a["deadline"]), owed=int(a["owed"]),
              block_number=ev.block_number)


@on("Clearing:ChargePosted")
def charge_posted(ev: LogEvent, db: Store) -> None:
    a = ev.args
    period_id, request_id, kind, amount = int(a["periodId"]), int(a["requestId"]), CHARGE_KIND[int(a["kind"])], int(a["amount"])
    d_new, c_new = int(a["debtorNet"]), int(a["creditorNet"])
    db.append(ClearingCharge, {
        "block_number": ev.block_number, "log_index": ev.log_index, "tx_hash": ev.tx_hash, "block_timestamp": ev.timestamp,
        "period_id": period_id, "request_id": request_id, "kind": kind, "debtor": a["debtor"], "creditor": a["creditor"],
        "amount": amount, "debtor_net": d_new, "creditor_net": c_new,
    })
    d = _position(db, period_id, a["debtor"])
    c = _position(db, period_id, a["creditor"])
    delta = _debt(d_new) - _debt(d["net"]) + _debt(c_new) - _debt(c["net"])
    db.update(NetPosition, period_id, a["debtor"], net=d_new, block_number=ev.block_number)
    db.update(NetPosition, period_id, a["creditor"], net=c_new, block_number=ev.block_number)
    p = db.get(SettlementPeriod, period_id)
    if p is not None:
        db.update(SettlementPeriod, period_id, owed=p["owed"] + delta, block_number=ev.block_number)
    q = db.get(IllRequest, request_id)
    if q is not None:
        if kind == "Lending":
            db.update(IllRequest, request_id, lending_charged=amount, block_number=ev.block_number)
        elif kind == "Replacement":
            db.update(IllRequest, request_id, replacement_charged=amount, block_number=ev.block_number)


@on("Clearing:SettlementPaid")
def settlement_paid(ev: LogEvent, db: Store) -> None:
    a = ev.args
    period_id, library, amount = int(a["periodId"]), a["library_"], int(a["amount"])
    pos = _position(db, period_id, library)
    db.update(NetPosition, period_id, library, settled=pos["settled"] + amount, paid_late=pos["paid_late"] or bool(a["late"]),
              block_number=ev.block_number)
    p = db.get(SettlementPeriod, period_id)
    if p is not None:
        db.update(SettlementPeriod, period_id, paid_in=p["paid_in"] + amount, block_number=ev.block_number)


@on("Clearing:SettlementWithdrawn")
def settlement_withdrawn(ev: LogEvent, db: Store) -> None:
    a = ev.args
    period_id, library, amount = int(a["periodId"]), a["library_"], int(a["amount"])
    _position(db, period_id, library)
    db.update(NetPosition, period_id, library, settled=int(a["withdrawnTotal"]), block_number=ev.block_number)
    p = db.get(SettlementPeriod, period_id)
    if p is not None:
        db.update(SettlementPeriod, period_id, withdrawn=p["withdrawn"] + amount, block_number=ev.block_number)


@on("Clearing:SettlementDefaulted")
def settlement_defaulted(ev: LogEvent, db: Store) -> None:
    a = ev.args
    period_id, library = int(a["periodId"]), a["library_"]
    _position(db, period_id, library)
    db.update(NetPosition, period_id, library, defaulted=True, defaulted_outstanding=int(a["outstanding"]),
              defaulted_block=ev.block_number, block_number=ev.block_number)


@on("Clearing:SettlementWindowSet")
def settlement_window_set(ev: LogEvent, db: Store) -> None:
    set_setting(db, ev, "settlementWindow", ev.args["current"])

"""InterlibraryLoan: ISO 18626 requests (current state, as ``request(id)`` shows it) and the full
history of their messages (``ill_transitions``), applied or ignored.

Lending and replacement charges come from Clearing's ``ChargePosted`` (see ``clearing.py``);
refunds from ``LendingChargeRefunded`` and ``FoundAfterLost``.
"""

from __future__ import annotations

from typing import Any

from ..decode import LogEvent
from ..models import IllRequest, IllTransition
from ..store import Store
from . import on

STATUS = (
    "None", "RequestReceived", "ExpectToSupply", "WillSupply", "RetryPossible", "Unfilled", "Loaned", "Overdue", "Recalled",
    "Cancelled", "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted",
)
ACTION = ("Received", "Cancel", "Renew", "ShippedReturn", "ShippedForward", "Lost")
SERVICE = ("Loan", "Copy")
ITEM_KIND = ("Work", "Bibliographic")
ZERO = "0x0000000000000000000000000000000000000000"


def _transition(ev: LogEvent, db: Store, request_id: int, from_status: str, to_status: str, *, applied: bool, **extra: Any) -> None:
    row = {
        "block_number": ev.block_number, "log_index": ev.log_index, "tx_hash": ev.tx_hash, "block_timestamp": ev.timestamp,
        "request_id": request_id, "event": ev.event, "actor": ev.args["actor"], "from_status": from_status,
        "to_status": to_status, "applied": applied, "action": None, "accepted": None, "reason_scheme": None,
        "reason_code": None, "due_date": None, "forward_to": None, "amount": None,
    }
    row.update(extra)
    db.append(IllTransition, row)


def _status(db: Store, request_id: int) -> str:
    row = db.get(IllRequest, request_id)
    return row["status"] if row else "None"


@on("InterlibraryLoan:IllRequested")
def ill_requested(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(IllRequest, {
        "request_id": int(a["requestId"]), "requester": a["requester"], "supplier": a["supplier"], "borrower": a["requester"],
        "own_id": a["ownId"], "status": "RequestReceived", "service": SERVICE[int(a["service"])],
        "item_kind": ITEM_KIND[int(a["itemKind"])], "item": a["item"], "max_cost": int(a["maxCost"]),
        "need_before": int(a["needBefore"]), "due_date": 0, "cancel_pending": False, "renew_pending": False, "received": False,
        "return_shipped": False, "lost_reported": False, "found": False, "licence_id": int(a["licenceId"]),
        "retry_of": int(a["retryOf"]), "lending_charged": 0, "lending_refunded": 0, "replacement_charged": 0,
        "replacement_refunded": 0, "requested_block": ev.block_number, "requested_at": ev.timestamp, "requested_tx": ev.tx_hash,
        "block_number": ev.block_number,
    })


@on("InterlibraryLoan:StatusChanged")
def status_changed(ev: LogEvent, db: Store) -> None:
    a = ev.args
    rid, to, due = int(a["requestId"]), STATUS[int(a["to"])], int(a["dueDate"])
    changes: dict[str, Any] = {"status": to, "due_date": due, "block_number": ev.block_number}
    if to in ("Recalled", "LoanCompleted", "CompletedWithoutReturn"):
        changes["renew_pending"] = False
    db.update(IllRequest, rid, **changes)
    _transition(ev, db, rid, STATUS[int(a["from"])], to, applied=True, reason_scheme=int(a["reasonScheme"]),
                reason_code=int(a["reasonCode"]), due_date=due)


@on("InterlibraryLoan:StatusUpdateIgnored")
def status_update_ignored(ev: LogEvent, db: Store) -> None:
    a = ev.args
    _transition(ev, db, int(a["requestId"]), STATUS[int(a["current"])], STATUS[int(a["proposed"])], applied=False,
                reason_scheme=int(a["reasonScheme"]), reason_code=int(a["reasonCode"]))


@on("InterlibraryLoan:ActionRecorded")
def action_recorded(ev: LogEvent, db: Store) -> None:
    a = ev.args
    rid, action, status = int(a["requestId"]), ACTION[int(a["action"])], STATUS[int(a["status"])]
    changes: dict[str, Any]
    if action == "Cancel":
        changes = {"cancel_pending": True}
    elif action == "Received":
        changes = {"received": True}
    elif action == "Renew":
        changes = {"renew_pending": True}
    elif action == "ShippedReturn":
        changes = {"return_shipped": True, "renew_pending": False}
    elif action == "ShippedForward":
        changes = {"borrower": a["forwardTo"], "received": False, "renew_pending": False}
    else:  # Lost
        changes = {"lost_reported": True, "renew_pending": False}
    db.update(IllRequest, rid, **changes, block_number=ev.block_number)
    forward = a["forwardTo"] if a["forwardTo"] != ZERO else None
    _transition(ev, db, rid, status, status, applied=True, action=action, forward_to=forward)


@on("InterlibraryLoan:ActionIgnored")
def action_ignored(ev: LogEvent, db: Store) -> None:
    a = ev.args
    status = STATUS[int(a["status"])]
    _transition(ev, db, int(a["requestId"]), status, status, applied=False, action=ACTION[int(a["action"])])


@on("InterlibraryLoan:CancelAnswered")
def cancel_answered(ev: LogEvent, db: Store) -> None:
    rid = int(ev.args["requestId"])
    status = _status(db, rid)  # an accepted cancel: the StatusChanged to Cancelled follows
    db.update(IllRequest, rid, cancel_pending=False, block_number=ev.block_number)
    _transition(ev, db, rid, status, status, applied=True, action="Cancel", accepted=bool(ev.args["accepted"]))


@on("InterlibraryLoan:RenewAnswered")
def renew_answered(ev: LogEvent, db: Store) -> None:
    rid = int(ev.args["requestId"])
    status = _status(db, rid)  # an accepted renewal: the StatusChanged to Loaned follows
    db.update(IllRequest, rid, renew_pending=False, block_number=ev.block_number)
    _transition(ev, db, rid, status, status, applied=True, action="Renew", accepted=bool(ev.args["accepted"]),
                due_date=int(ev.args["dueDate"]))


@on("InterlibraryLoan:FoundAfterLost")
def found_after_lost(ev: LogEvent, db: Store) -> None:
    rid, refund = int(ev.args["requestId"]), int(ev.args["refund"])
    row = db.get(IllRequest, rid)
    status = row["status"] if row else "None"
    if row is not None:
        db.update(IllRequest, rid, found=True, replacement_refunded=row["replacement_refunded"] + refund, block_number=ev.block_number)
    _transition(ev, db, rid, status, status, applied=True, amount=refund)


@on("InterlibraryLoan:LendingChargeRefunded")
def lending_charge_refunded(ev: LogEvent, db: Store) -> None:
    rid = int(ev.args["requestId"])
    row = db.get(IllRequest, rid)
    if row is not None:
        db.update(IllRequest, rid, lending_refunded=row["lending_refunded"] + int(ev.args["amount"]), block_number=ev.block_number)

"""Digital loans (checkout, check-in, expiry): kept by Licensing since the loans moved into it
(one contract fewer per checkout, issue #3); the projection is unchanged."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import DigitalLoan
from ..store import Store
from . import on


@on("Licensing:LoanCheckedOut")
def loan_checked_out(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(DigitalLoan, {
        "loan_id": int(a["loanId"]), "licence_id": int(a["licenceId"]), "library": a["library_"], "ref": a["ref"],
        "due_at": int(a["dueAt"]), "charge": int(a["charge"]), "status": "Active", "checked_out_block": ev.block_number,
        "checked_out_at": ev.timestamp, "checked_out_tx": ev.tx_hash, "closed_by": None, "closed_at": None, "block_number": ev.block_number,
    })


@on("Licensing:LoanCheckedIn")
def loan_checked_in(ev: LogEvent, db: Store) -> None:
    db.update(DigitalLoan, int(ev.args["loanId"]), status="Returned", closed_by=ev.args["library_"], closed_at=ev.timestamp, block_number=ev.block_number)


@on("Licensing:LoanExpired")
def loan_expired(ev: LogEvent, db: Store) -> None:
    db.update(DigitalLoan, int(ev.args["loanId"]), status="Expired", closed_by=ev.args["caller"], closed_at=ev.timestamp, block_number=ev.block_number)

"""Works: registered works, their current payees, disputes."""

from __future__ import annotations

from ..decode import LogEvent
from ..models import Dispute, Work, WorkPayee
from ..store import Store
from . import on
from .common import set_setting

WORK_STATUS = ("None", "Active", "Disputed", "Revoked")
DISPUTE_STATUS = ("None", "Open", "Resolved")
RULING = ("None", "Uphold", "Transfer", "Revoke")
ZERO = "0x0000000000000000000000000000000000000000"


@on("Works:WorkRegistered")
def work_registered(ev: LogEvent, db: Store) -> None:
    a = ev.args
    db.put(Work, {
        "work_id": int(a["workId"]), "content_hash": a["contentHash"], "iscc_code": a["isccCode"],
        "metadata_uri": a["metadataURI"], "holder": a["holder"], "status": "Active", "payee_count": 0,
        "last_dispute_id": 0, "revoked_to": None, "registered_block": ev.block_number, "registered_at": ev.timestamp,
        "registered_tx": ev.tx_hash, "block_number": ev.block_number,
    })


@on("Works:PayeesSet")
def payees_set(ev: LogEvent, db: Store) -> None:
    a = ev.args
    work_id = int(a["workId"])
    work = db.get(Work, work_id)
    old = work["payee_count"] if work else 0
    for i, (payee, bps) in enumerate(zip(a["payees"], a["bps"])):
        db.put(WorkPayee, {"work_id": work_id, "position": i, "payee": payee, "bps": int(bps), "block_number": ev.block_number})
    for i in range(len(a["payees"]), old):
        db.delete(WorkPayee, work_id, i)
    db.update(Work, work_id, payee_count=len(a["payees"]), block_number=ev.block_number)


@on("Works:RightsTransferred")
def rights_transferred(ev: LogEvent, db: Store) -> None:
    db.update(Work, int(ev.args["workId"]), holder=ev.args["to"], block_number=ev.block_number)


@on("Works:MetadataUpdated")
def metadata_updated(ev: LogEvent, db: Store) -> None:
    db.update(Work, int(ev.args["workId"]), metadata_uri=ev.args["metadataURI"], block_number=ev.block_number)


@on("Works:DisputeOpened")
def dispute_opened(ev: LogEvent, db: Store) -> None:
    a = ev.args
    dispute_id, work_id = int(a["disputeId"]), int(a["workId"])
    db.put(Dispute, {
        "dispute_id": dispute_id, "work_id": work_id, "claimant": a["claimant"], "opened_at": ev.timestamp,
        "respond_by": int(a["respondBy"]), "status": "Open", "responded": False, "ruling": "None", "beneficiary": None,
        "evidence_uri": a["evidenceURI"], "response_uri": None, "ruling_uri": None, "resolved_at": None,
        "block_number": ev.block_number,
    })
    db.update(Work, work_id, status="Disputed", last_dispute_id=dispute_id, block_number=ev.block_number)


@on("Works:DisputeAnswered")
def dispute_answered(ev: LogEvent, db: Store) -> None:
    db.update(Dispute, int(ev.args["disputeId"]), responded=True, response_uri=ev.args["responseURI"], block_number=ev.block_number)


@on("Works:DisputeResolved")
def dispute_resolved(ev: LogEvent, db: Store) -> None:
    a = ev.args
    ruling = RULING[int(a["ruling"])]
    beneficiary = None if a["beneficiary"] == ZERO else a["beneficiary"]
    db.update(Dispute, int(a["disputeId"]), status="Resolved", ruling=ruling, beneficiary=beneficiary, ruling_uri=a["rulingURI"],
              resolved_at=ev.timestamp, block_number=ev.block_number)
    if ruling != "Revoke":  # Revoke: WorkRevoked came first and set the status
        db.update(Work, int(a["workId"]), status="Active", block_number=ev.block_number)


@on("Works:WorkRevoked")
def work_revoked(ev: LogEvent, db: Store) -> None:
    db.update(Work, int(ev.args["workId"]), status="Revoked", revoked_to=ev.args["escrowBeneficiary"], block_number=ev.block_number)


@on("Works:ResponseWindowSet")
def response_window_set(ev: LogEvent, db: Store) -> None:
    set_setting(db, ev, "responseWindow", ev.args["current"])

"""``POST /loans/{id}/expire``: refused (decoded contract error) before the due date, then any
member ends the loan and the licence's copy is free again."""

from __future__ import annotations

from tests.api.conftest import content_hash, iscc
from tests.api.test_e2e import ok

PUB, LIB, OTHER = "PUB-SHYW", "CN-330200-NBL", "CN-330100-HZL"


def test_a_loan_past_its_due_date_expires(api):
    w = ok(api.post("/works", PUB, {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://expiry"}))
    t = ok(api.post("/terms", PUB, {"kind": "PerpetualCopies", "price": 100, "copies": 1, "loan_period_seconds": 60, "legal_text_uri": "ipfs://legal-expiry"}))
    ok(api.post(f"/works/{w['id']}/terms", PUB, {"terms_id": int(t["id"])}))
    lic = ok(api.post("/licences", LIB, {"work_id": int(w["id"]), "terms_id": int(t["id"])}))
    loan = ok(api.post("/loans", LIB, {"licence_id": int(lic["id"])}))
    assert loan["data"]["status"] == "Active" and loan["data"]["closed_at"] is None

    early = api.post(f"/loans/{loan['id']}/expire", OTHER)
    assert early.status_code == 409 and early.headers["content-type"].startswith("application/problem+json"), early.text
    assert early.json()["error"] == "LendingNotDue" and early.json()["args"]["loanId"] == int(loan["id"])
    assert ok(api.get(f"/loans/{loan['id']}"))["data"]["status"] == "Active"  # nothing half-written

    from ledger.rpc import Rpc

    with Rpc(api.settings.rpc_url) as rpc:  # 61 s later on the chain
        rpc.call("evm_increaseTime", [61])
        rpc.call("evm_mine")
    done = ok(api.post(f"/loans/{loan['id']}/expire", OTHER))
    assert done["data"]["status"] == "Expired" and done["data"]["closed_at"] is not None
    assert ok(api.get(f"/licences/{lic['id']}"))["data"]["active_loans"] == 0
    trail = ok(api.get(f"/audit/trail/loan/{loan['id']}"))["items"]
    assert [e["event"] for e in trail] == ["LoanCheckedOut", "LoanExpired"] and trail[1]["args"]["caller"] == api.accounts[OTHER]
    missing = api.post("/loans/999999/expire", OTHER)
    assert missing.status_code in (404, 409) and missing.headers["content-type"].startswith("application/problem+json")

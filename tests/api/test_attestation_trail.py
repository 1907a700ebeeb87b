"""An auditor's anchored report shows in the work's provenance trail."""

from __future__ import annotations

import hashlib

from tests.api.conftest import content_hash, iscc


def test_anchored_report_appears_in_the_work_trail(api):
    r = api.post("/works", "PUB-ZJPP", {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://att", "title": "审计"})
    work_id = int(r.json()["id"])
    rt = api.client.app.state.runtime
    report = hashlib.sha256(f"audit report {work_id} {api.backend}".encode()).digest()
    out = rt.chain.contract("Attestations").transact("anchor", 0, work_id, report, "ipfs://report", sender=rt.signer("AUDIT-ZJ"))
    assert rt.wait_for_block(out.block_number, timeout=60) is not None
    trail = api.get(f"/audit/trail/work/{work_id}").json()["items"]
    anchored = [t for t in trail if t["event"] == "ReportAnchored"]
    assert len(anchored) == 1 and anchored[0]["tx_hash"] == out.tx_hash
    assert [t["event"] for t in trail][0] == "WorkRegistered"

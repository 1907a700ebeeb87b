"""GET /royalties/statements: reconciled figures for a month; payees see only their own."""

from __future__ import annotations

from rights.periods import period_of
from rights.split import split_payment
from tests.api.conftest import content_hash, iscc

def test_statements_reconcile_and_are_scoped(api):
    from ledger.chain import Chain

    chain = Chain(api.settings)
    try:
        r = api.post("/works", "PUB-SHYW", {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://s", "title": "统计"})
        wid = r.json()["id"]
        t = api.post("/terms", "PUB-SHYW", {"kind": "PerpetualCopies", "price": 9_999, "copies": 1, "ill_allowed": True,
                                            "legal_text_uri": f"ipfs://legal-stmt-{wid}"})
        assert t.status_code in (200, 201), t.text
        terms_id = int(t.json()["id"])
        assert api.post(f"/works/{wid}/terms", "PUB-SHYW", {"terms_id": terms_id}).status_code == 201
        r = api.post("/licences", "CN-330100-HZL", {"work_id": int(wid), "terms_id": int(terms_id), "copies": 1})
        assert r.status_code == 201, r.text
        ts = int(chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        period = period_of(ts)
        r = api.get("/royalties/statements", who="AUDIT-ZJ", params={"period": period.label})
        assert r.status_code == 409 and r.json()["title"] == "Period not closed"
        chain.rpc.call("evm_increaseTime", [period.end - ts + 60])
        chain.rpc.call("evm_mine")
        head = chain.block_number()
        from api.runtime import Runtime  # noqa: F401  (the app's indexer runs in-process)

        for _ in range(600):
            if api.get("/health").json()["indexer"]["mirror_head"] >= head:
                break
            __import__("time").sleep(0.05)
        r = api.get("/royalties/statements", who="AUDIT-ZJ", params={"period": period.label})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["reconciled"] and body["platform"]["totals"]["gross"] >= 9_999
        mine = api.get("/royalties/statements", who="PUB-SHYW", params={"period": period.label}).json()
        assert [s["payee"] for s in mine["statements"]] == [api.accounts["PUB-SHYW"]] and mine["platform"] is None
        lines = [ln for ln in mine["statements"][0]["lines"] if ln["work_id"] == int(wid)]
        assert lines and lines[0]["net"] == split_payment(9_999, 3000, [10_000]).nets[0] and lines[0]["fee"] == 2_999
        assert api.get("/royalties/statements", who="AUDIT-ZJ", params={"period": "2026-13"}).status_code == 422
    finally:
        chain.close()

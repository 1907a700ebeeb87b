"""End to end through HTTP: publish, license, lend, interlibrary loan, settle, royalties to the fen."""

from __future__ import annotations

import time

from tests.api.conftest import content_hash, iscc


def ok(r, code=(200, 201)):
    assert r.status_code in (code if isinstance(code, tuple) else (code,)), r.text
    return r.json()


def test_publish_license_lend_ill_settle(api):
    pub, lib, lib2, plat = "PUB-ZJPP", "CN-330000-ZJL", "CN-330100-HZL", "LIBLEDGER-PLATFORM"
    before_pub = ok(api.get("/royalties/balance", pub))["balance"]["amount"]
    before_plat = ok(api.get("/royalties/balance", plat))["balance"]["amount"]
    before_pub2 = ok(api.get("/royalties/balance", "PUB-SHYW"))["balance"]["amount"]

    # a publisher registers a work with two payees (60/40) and terms; attaches them
    w = ok(api.post("/works", pub, {
        "content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://bafk-e2e", "title": "浙江通志 (e2e)",
        "payees": [{"member": pub, "bps": 6000}, {"member": "PUB-SHYW", "bps": 4000}],
    }))
    work_id = int(w["id"])
    assert w["data"]["payees"] == [{"account": api.accounts[pub], "bps": 6000}, {"account": api.accounts["PUB-SHYW"], "bps": 4000}]
    t = ok(api.post("/terms", pub, {"kind": "PerpetualCopies", "price": 12_345, "copies": 2, "loan_period_seconds": 14 * 86400, "ill_allowed": True,
                                   "legal_text_uri": f"ipfs://legal-{work_id}"}))
    terms_id = int(t["id"])
    assert t["data"]["fee_bps"] == 3000 and t["data"]["price"] == {"amount": 12_345, "currency": "CNY"}
    o = ok(api.post(f"/works/{work_id}/terms", pub, {"terms_id": terms_id}))
    assert o["data"]["enabled"] is True

    # a library buys a licence for one unit (2 concurrent copies): 12,345 fen
    lic = ok(api.post("/licences", lib, {"work_id": work_id, "terms_id": terms_id, "copies": 1}))
    licence_id = int(lic["id"])
    assert lic["data"]["copies"] == 2 and lic["data"]["paid"]["amount"] == 12_345

    # lends it, twice concurrently; a third checkout is refused by the contract (409, decoded)
    l1 = ok(api.post("/loans", lib, {"licence_id": licence_id}))
    ok(api.post("/loans", lib, {"licence_id": licence_id}))
    r = api.post("/loans", lib, {"licence_id": licence_id})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["error"] == "LicensingNoFreeCopy" and r.json()["args"]["licenceId"] == licence_id
    back = ok(api.post(f"/loans/{l1['id']}/checkin", lib))
    assert back["data"]["status"] == "Returned"
    usage = ok(api.get(f"/licences/{licence_id}/usage"))
    assert usage["licence"]["active_loans"] == 1 and usage["licence"]["total_loans"] == 2 and len(usage["loans"]) == 2

    # an ILL runs to completion: HZL asks ZJL for a physical book, ZJL lends it for 800 fen
    own = f"HZL-{work_id}-{time.time_ns() % 10**8}"
    req = ok(api.post("/ill/requests", lib2, {"supplier": lib, "own_id": own, "bibliographic_key": "ISBN 978-7-5339-0000-1", "max_cost": 1000}))
    rid = req["id"]
    assert req["data"]["status"] == "RequestReceived"
    ok(api.post(f"/ill/requests/{rid}/status", lib, {"status": "WillSupply"}))
    due = int(time.time()) + 30 * 86400
    loaned = ok(api.post(f"/ill/requests/{rid}/status", lib, {"status": "Loaned", "due_date": due, "charge": 800}))
    assert loaned["data"]["status"] == "Loaned" and loaned["data"]["lending_charged"]["amount"] == 800
    # the wrong party acting is refused with a 403 naming the contract error
    r = api.post(f"/ill/requests/{rid}/status", lib2, {"status": "LoanCompleted"})
    assert r.status_code == 403 and r.json()["error"] == "IllWrongParty"
    ok(api.post(f"/ill/requests/{rid}/actions", lib2, {"action": "Received"}))
    ok(api.post(f"/ill/requests/{rid}/actions", lib2, {"action": "ShippedReturn"}))
    done = ok(api.post(f"/ill/requests/{rid}/status", lib, {"status": "LoanCompleted"}))
    assert done["data"]["status"] == "LoanCompleted" and done["data"]["return_shipped"] is True
    hist = ok(api.get(f"/ill/requests/{rid}/history"))["items"]
    assert [h["summary"]["to"] for h in hist if h["event"] == "StatusChanged"] == ["WillSupply", "Loaned", "LoanCompleted"]
    assert all(h["tx_hash"].startswith("0x") and h["block_number"] > 0 for h in hist)

    # the period settles: HZL owes 800 net, ZJL is owed 800; positions sum to zero
    period = ok(api.post("/settlements/close", plat))
    pid = int(period["id"])
    pos = {p["library"]: p["net"]["amount"] for p in period["data"]["positions"]}
    assert pos[api.accounts[lib2]] <= -800 and pos[api.accounts[lib]] >= 800 and period["data"]["net_sum"]["amount"] == 0
    debt = -pos[api.accounts[lib2]]
    paid = ok(api.post(f"/settlements/{pid}/settle", lib2))
    assert paid["data"]["paid_in"]["amount"] >= debt
    ok(api.post(f"/settlements/{pid}/withdraw", lib))
    again = api.post(f"/settlements/{pid}/settle", lib2)
    assert again.status_code == 409 and again.json()["error"] == "ClearingAlreadySettled"

    # royalties: 12,345 gross -> fee floor(12345*0.3)=3703 to the platform, 8642 to the holders 60/40
    # (4000 bps share = floor(8642*0.4) = 3456; the first payee gets the rest: 5186)
    assert ok(api.get("/royalties/balance", plat))["balance"]["amount"] - before_plat == 3703
    assert ok(api.get("/royalties/balance", pub))["balance"]["amount"] - before_pub == 5186
    assert ok(api.get("/royalties/balance", "PUB-SHYW"))["balance"]["amount"] - before_pub2 == 3456
    acc = ok(api.get("/royalties/accruals", pub))["items"]
    assert acc[0]["work_id"] == work_id and acc[0]["amount"]["amount"] == 5186 and acc[0]["gross"]["amount"] == 12_345
    wd = ok(api.post("/royalties/withdraw", "PUB-SHYW"))
    assert wd["data"]["balance"]["amount"] == 0

    # provenance and the audit checks agree with the chain
    prov = ok(api.get(f"/works/{work_id}/provenance"))["items"]
    assert [e["event"] for e in prov][:2] == ["WorkRegistered", "PayeesSet"] and any(e["event"] == "LicenceAcquired" for e in prov)
    for kind, ident in [("work", work_id), ("licence", licence_id), ("loan", l1["id"]), ("ill-request", rid), ("royalty-balance", api.accounts[pub])]:
        chk = ok(api.get(f"/audit/check/{kind}/{ident}"))
        assert chk["consistent"], chk
    assert ok(api.get(f"/audit/trail/licence/{licence_id}"))["items"]


def test_read_your_writes_and_wait_false(api):
    r = api.post("/works?wait=false", "PUB-ZJPP", {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://x"})
    assert r.status_code == 202, r.text
    assert r.json()["tx"]["status"] == "submitted" and r.json()["tx"]["tx_hash"].startswith("0x")


def test_lists_paginate_with_opaque_cursor(api):
    for _ in range(3):
        ok(api.post("/works", "PUB-SHYW", {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://p"}))
    seen, cursor = [], None
    while True:
        page = ok(api.get("/works", params={"limit": 2, "holder": "PUB-SHYW", **({"cursor": cursor} if cursor else {})}))
        assert page["as_of_block"] > 0 and len(page["items"]) <= 2
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 3 and seen == sorted(seen, reverse=True)


def test_health_and_metrics(api):
    h = api.client.get("/health").json()
    assert h["chain"]["reachable"] and h["database"]["reachable"] and h["indexer"]["lag_blocks"] is not None
    m = api.client.get("/metrics")
    assert m.status_code == 200 and "libledger_http_requests_total" in m.text

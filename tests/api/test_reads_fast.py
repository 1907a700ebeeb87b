"""The hot read paths (issue 6: fewer statements, cached head, one serialization) keep their
answers: payees with the work, 404s as problem+json, provenance, read-your-writes' as_of_block."""

from __future__ import annotations

from tests.api.conftest import content_hash, iscc
from tests.api.test_e2e import ok

PUB, PUB2 = "PUB-ZJPP", "PUB-SHYW"
UNKNOWN_WORK = 2**40 - 2  # inside the path's range, never registered


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_get_work_has_payees_in_position_order_and_as_of_covers_the_write(api):
    w = ok(api.post("/works", PUB, {
        "content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://bafk-fast-read", "title": "读得快 (fast reads)",
        "payees": [{"member": PUB2, "bps": 2500}, {"member": PUB, "bps": 7500}],
    }))
    block = w["tx"]["block_number"]
    got = ok(api.get(f"/works/{w['id']}"))
    assert got["as_of_block"] >= block  # the write raised this process's cached head at once
    assert got["data"]["payees"] == [{"account": api.accounts[PUB2], "bps": 2500}, {"account": api.accounts[PUB], "bps": 7500}]
    assert got["data"]["title"] == "读得快 (fast reads)" and got["data"]["open_dispute"] is None
    assert got["data"] == w["data"]
    listed = ok(api.get("/works", params={"limit": 5, "holder": PUB}))
    assert listed["items"][0]["id"] == int(w["id"]) and listed["items"][0]["payees"] == got["data"]["payees"]
    prov = ok(api.get(f"/works/{w['id']}/provenance"))
    assert [e["event"] for e in prov["items"]][:2] == ["WorkRegistered", "PayeesSet"]
    assert all(e["block_number"] == block for e in prov["items"][:2]) and prov["as_of_block"] >= block


def test_unknown_records_are_404_problems(api):
    for path in (f"/works/{UNKNOWN_WORK}", f"/works/{UNKNOWN_WORK}/provenance", "/ill/requests/123456789"):
        p = _problem(api.get(path), 404)
        assert p["detail"].startswith("no ") and "in the mirror" in p["detail"], path
    for path, params in (("/loans", {"library": "CN-NOSUCH-LIB"}), ("/ill/requests", {"party": "CN-NOSUCH-LIB"})):
        p = _problem(api.get(path, params=params), 404)
        assert "CN-NOSUCH-LIB" in p["detail"], path


def test_member_filter_by_isil_matches_filter_by_me(api):
    lib = "CN-330000-ZJL"
    by_isil = ok(api.get("/loans", lib, params={"limit": 200, "library": lib}))["items"]
    by_me = ok(api.get("/loans", lib, params={"limit": 200, "library": "me"}))["items"]
    assert by_isil == by_me
    assert all(x["library"] == api.accounts[lib] for x in by_isil)


def test_hot_answers_are_exactly_what_their_response_models_serialize(api):
    """The hot GETs serialize read-layer dicts directly (``api.routes.common.page_of``): each
    answer, validated by its response model and dumped again, is unchanged (no field missing,
    extra, out of order or of another type)."""
    from api.schemas import IllRequestPublic, Item, LoanPublic, Page, TrailEntry, WorkPublic

    lib, lib2 = "CN-330000-ZJL", "CN-330100-HZL"
    w = ok(api.post("/works", PUB, {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://bafk-exact", "title": "原样 (exact)"}))
    req = ok(api.post("/ill/requests", lib2, {"supplier": lib, "own_id": f"EXACT-{w['id']}", "bibliographic_key": "ISBN 978-7-5339-0000-3", "max_cost": 700}))
    cases = [
        (f"/works/{w['id']}", {}, Item[WorkPublic]),
        (f"/works/{w['id']}/provenance", {}, Page[TrailEntry]),
        (f"/ill/requests/{req['id']}", {}, Item[IllRequestPublic]),
        ("/works", {"limit": 20}, Page[WorkPublic]),
        ("/loans", {"limit": 20, "library": lib}, Page[LoanPublic]),
        ("/ill/requests", {"limit": 20, "party": lib2}, Page[IllRequestPublic]),
    ]
    for path, params, model in cases:
        r = api.get(path, params=params)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", (path, r.text)
        assert model.model_validate_json(r.content).model_dump_json().encode() == r.content, path
    page = ok(api.get("/ill/requests", params={"limit": 20, "party": lib2}))
    mine = next(x for x in page["items"] if x["id"] == req["id"])
    assert mine["max_cost"] == {"amount": 700, "currency": "CNY"} and mine["lending_charged"] == {"amount": 0, "currency": "CNY"}

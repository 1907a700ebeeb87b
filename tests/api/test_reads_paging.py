"""Keyset pages over the projections: every record once, newest first, on both databases."""

from __future__ import annotations

import secrets

from tests.api.test_e2e import ok

ZJL, HZL, NBL = "CN-330000-ZJL", "CN-330100-HZL", "CN-330200-NBL"


def _all_pages(api, path: str, params: dict, who: str = "AUDIT-ZJ") -> list[dict]:
    items, cursor = [], None
    while True:
        page = ok(api.get(path, who, params={**params, **({"cursor": cursor} if cursor else {})}))
        assert page["as_of_block"] > 0 and len(page["items"]) <= params["limit"]
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_ill_requests_of_a_party_page_through_both_sides(api):
    made = []
    for requester, supplier in [(HZL, NBL), (NBL, HZL), (HZL, ZJL), (ZJL, NBL), (NBL, HZL)]:
        r = ok(api.post("/ill/requests", requester, {"supplier": supplier, "own_id": f"P-{secrets.token_hex(4)}", "bibliographic_key": "ISBN 978-7-5339-0000-2"}))
        made.append((r["id"], requester, supplier))
    hzl = api.accounts[HZL]
    every = ok(api.get("/ill/requests", params={"limit": 200}))["items"]
    want = [r["id"] for r in every if hzl in (r["requester"], r["supplier"])]
    assert {rid for rid, q, s in made if HZL in (q, s)} <= set(want)
    for limit in (1, 2, 3):
        got = _all_pages(api, "/ill/requests", {"limit": limit, "party": HZL})
        assert [r["id"] for r in got] == want, limit  # each once, in the order of the unfiltered list
    blocks = [r["requested_block"] for r in every]
    assert blocks == sorted(blocks, reverse=True)  # newest first
    as_requester = _all_pages(api, "/ill/requests", {"limit": 2, "requester": HZL})
    assert [r["id"] for r in as_requester] == [r["id"] for r in every if r["requester"] == hzl]


def test_loans_and_licences_page_by_id_newest_first(api):
    for path, params in [("/licences", {"limit": 1}), ("/loans", {"limit": 1}), ("/terms", {"limit": 1}), ("/settlements", {"limit": 1})]:
        whole = ok(api.get(path, params={"limit": 200}))["items"]
        paged = _all_pages(api, path, params)
        assert [x["id"] for x in paged] == [x["id"] for x in whole] == sorted((x["id"] for x in whole), reverse=True), path


def test_a_bad_cursor_is_a_problem_not_a_crash(api):
    for cursor in ("not-a-cursor", "WyJ4Il0", "WzEsMl0"):  # junk, ["x"], [1,2]
        r = api.get("/works", params={"limit": 2, "cursor": cursor})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (cursor, r.text)


def test_metrics_count_requests_by_route_template_and_status(api):
    ok(api.get("/works", params={"limit": 1}))
    api.get("/works", params={"limit": 1, "cursor": "junk"})
    text = api.client.get("/metrics").text
    assert 'libledger_http_requests_total{method="GET",route="/works",status="200"}' in text
    assert 'libledger_http_requests_total{method="GET",route="/works",status="422"}' in text

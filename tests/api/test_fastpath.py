"""The lean path of the hot GETs (``api.fastpath``) answers exactly as the FastAPI routes do:
every hot endpoint requested through both (the session's app, lean path on, and a second app on
the same runtime with ``fast_reads`` off) — sampled ids, pages and their cursors, bad inputs,
unknown ids and members, missing, bad, revoked and suspended tokens — with status, headers and
body compared byte for byte, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import tokens
from api.config import ApiSettings
from api.main import create_app
from api.metrics import REGISTRY
from tests.api.conftest import content_hash, iscc
from tests.api.test_e2e import ok

PUB, PUB2, ZJL, HZL, NBL = "PUB-ZJPP", "PUB-SHYW", "CN-330000-ZJL", "CN-330100-HZL", "CN-330200-NBL"
SUSPENDED = "CN-330300-WZL"
UNKNOWN_WORK = 2**40 - 2


@pytest.fixture(scope="module")
def both(api):
    """(lean client, FastAPI-only client, ids made here) sharing one runtime and mirror."""
    rt = api.client.app.state.runtime
    plain = create_app(ApiSettings(**{**api.settings.model_dump(), "fast_reads": False}), runtime=rt, start_indexer=False)
    works = []
    for i in range(3):
        payees = [{"member": PUB, "bps": 7000}, {"member": PUB2, "bps": 3000}] if i == 0 else None
        w = ok(api.post("/works", PUB if i < 2 else PUB2, {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": f"ipfs://bafk-lean-{i}",
                                                         "title": f"捷径 {i} (lean path)", "payees": payees}))
        works.append(int(w["id"]))
    t = ok(api.post("/terms", PUB, {"kind": "PerpetualCopies", "price": 1_000, "copies": 3, "ill_allowed": True, "legal_text_uri": "ipfs://legal-lean"}))
    ok(api.post(f"/works/{works[0]}/terms", PUB, {"terms_id": int(t["id"])}))
    lic = ok(api.post("/licences", ZJL, {"work_id": works[0], "terms_id": int(t["id"]), "copies": 1}))
    loans = [ok(api.post("/loans", ZJL, {"licence_id": int(lic["id"])}))["id"] for _ in range(2)]
    ill = [ok(api.post("/ill/requests", a, {"supplier": b, "own_id": f"LEAN-{a}-{works[0]}", "bibliographic_key": "ISBN 978-7-5339-0000-9"}))["id"]
           for a, b in ((HZL, ZJL), (ZJL, NBL), (NBL, HZL))]
    with TestClient(plain, raise_server_exceptions=False) as fastapi_only:
        yield api.client, fastapi_only, {"works": works, "licence": int(lic["id"]), "loans": loans, "ill": ill}


def _served() -> float:
    return sum(s.value for m in REGISTRY.collect() if m.name == "libledger_fast_reads" for s in m.samples if s.name.endswith("_total"))


def _same(api, both, path: str, headers: dict[str, str] | None = None, *, lean: bool = True) -> Any:
    """GET ``path`` through both apps; assert identical answers and whether the lean path served it."""
    lean_client, fastapi_only, _ = both
    headers = api.h("AUDIT-ZJ") if headers is None else headers
    n0 = _served()
    a = lean_client.get(path, headers=headers)
    served = _served() - n0
    b = fastapi_only.get(path, headers=headers)
    assert _served() - n0 == served, path  # the FastAPI-only app never takes the lean path
    assert (a.status_code, a.headers.raw, a.content) == (b.status_code, b.headers.raw, b.content), path
    assert served == (1 if lean else 0), (path, served)
    return a


def _pages(api, both, path: str, sep: str = "?") -> int:
    """Walk every page of ``path`` through both apps (cursors from the lean answers); the count."""
    cursor, n = None, 0
    while True:
        r = _same(api, both, path + (f"{sep}cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.text
        n += 1
        cursor = r.json()["next_cursor"]
        if not cursor:
            return n


def test_single_records_and_their_errors_are_identical(api, both):
    _, _, made = both
    for wid in [*made["works"], 1, UNKNOWN_WORK]:
        _same(api, both, f"/works/{wid}")
        _same(api, both, f"/works/{wid}/provenance")
        _same(api, both, f"/works/{wid}/provenance?limit=1")
    for rid in [*made["ill"], "123456789", "0" + made["ill"][0], "9" * 78]:
        _same(api, both, f"/ill/requests/{rid}")
    assert _same(api, both, f"/works/{UNKNOWN_WORK}").status_code == 404
    # not canonical or out of range: FastAPI answers (422 or 404) on both
    for path in ("/works/0", "/works/007", "/works/abc", f"/works/{2**40}", "/works/-1", "/works/1.0", "/works/%201", "/works/0/provenance",
                 "/ill/requests/12a", "/ill/requests/" + "1" * 79, "/ill/requests/-5"):
        _same(api, both, path, lean=False)


@pytest.mark.parametrize("path", ["/works", "/loans", "/ill/requests"])
def test_pages_and_cursors_are_identical(api, both, path):
    for limit in (1, 2, 200):
        assert _pages(api, both, f"{path}?limit={limit}", "&") >= 1
    _same(api, both, path)  # default page size


def test_filters_are_identical(api, both):
    _, _, made = both
    for q in (f"holder={PUB}", f"holder={PUB2}&limit=1", "holder=CN-NOSUCH-LIB", f"holder={PUB}&content_hash=0x" + "ab" * 32, "iscc=0x00", "iscc=0xAB"):
        _same(api, both, f"/works?{q}")
    for q in (f"library={ZJL}", "library=me", f"licence_id={made['licence']}", f"library={ZJL}&licence_id={made['licence']}&limit=1",
              "library=CN-NOSUCH-LIB", f"licence_id={2**40 - 1}"):
        _same(api, both, f"/loans?{q}")
    for q in (f"party={HZL}", "party=me", f"requester={ZJL}", f"supplier={ZJL}", f"requester={HZL}&supplier={ZJL}", "party=CN-NOSUCH-LIB",
              f"party={NBL}&limit=1"):
        _same(api, both, f"/ill/requests?{q}")
    for who in (ZJL, HZL):  # 'me' is the caller
        _same(api, both, "/ill/requests?party=me", api.h(who))
        _same(api, both, "/loans?library=me&limit=1", api.h(who))
    assert _pages(api, both, f"/ill/requests?party={ZJL}&limit=1", "&") >= 2
    assert _pages(api, both, f"/loans?library={ZJL}&limit=1", "&") >= 2


def test_bad_queries_are_identical(api, both):
    wid = both[2]["works"][0]
    for q in ("cursor=not-a-cursor", "cursor=WyJ4Il0", "cursor=" + "A" * 400):  # canonical shape, bad content: the lean path's 422
        for path in ("/works", "/loans", "/ill/requests", f"/works/{wid}/provenance"):
            assert _same(api, both, f"{path}?{q}").status_code == 422
    for path in ("/works", "/loans", "/ill/requests", f"/works/{wid}/provenance"):  # [1, 2]: a cursor of /ill/requests only
        _same(api, both, f"{path}?cursor=WzEsMl0")
    for q in ("limit=0", "limit=201", "limit=abc", "limit=050", "limit=", "cursor=", "cursor=" + "A" * 401, "cursor=abc%3D", "limit=1&limit=2",
              "foo=1", "limit=5&", "holder=-x", "library=%41", "party=a+b", "licence_id=0", "title=lean", "iscc=0x0", "content_hash=0x12"):
        for path in ("/works", "/loans", "/ill/requests"):
            _same(api, both, f"{path}?{q}", lean=False)


def test_tokens_are_checked_identically(api, both):
    wid = both[2]["works"][0]
    rid = both[2]["ill"][0]
    rt = api.client.app.state.runtime
    with rt.writing() as s:
        revoked, row = tokens.create(s, member=ZJL, account=api.accounts[ZJL], name="to revoke")
        assert tokens.revoke(s, row.id)
    paths = [f"/works/{wid}", f"/works/{wid}/provenance", f"/ill/requests/{rid}", "/works", "/loans?library=me", "/ill/requests?party=me"]
    cases = [({}, 401), ({"Authorization": "Basic eDp5"}, 401), ({"Authorization": "Bearer"}, 401), ({"Authorization": "Bearer "}, 401),
             ({"Authorization": "Bearer llt_nope"}, 401), ({"Authorization": "Bearer llt_00000000_x"}, 401), ({"Authorization": f"Bearer {revoked}"}, 401),
             ({"Authorization": f"bearer {api.tokens[ZJL]}"}, 200), ({"Authorization": f"Bearer  {api.tokens[ZJL]} "}, 200),
             (api.h(SUSPENDED), 403)]
    for headers, status in cases:
        for path in paths:
            r = _same(api, both, path, headers)
            assert r.status_code == status, (headers, path, r.text)
            if status != 200:
                assert r.headers["content-type"] == "application/problem+json"
    # an auth failure comes before a bad parameter on both (FastAPI resolves the token dependency first)
    assert _same(api, both, "/works/abc", {}, lean=False).status_code == 401
    assert _same(api, both, "/works?limit=0", {"Authorization": "Bearer llt_nope"}, lean=False).status_code == 401


def test_metrics_count_lean_requests_under_the_route_template(api, both):
    wid = both[2]["works"][0]
    api.get(f"/works/{wid}/provenance")
    text = api.client.get("/metrics").text
    assert 'libledger_http_requests_total{method="GET",route="/works/{work_id}/provenance",status="200"}' in text
    assert 'libledger_fast_reads_total{route="/works/{work_id}/provenance"}' in text


def test_openapi_keeps_the_hot_routes(api, both):
    lean_client, fastapi_only, _ = both
    a, b = lean_client.get("/openapi.json"), fastapi_only.get("/openapi.json")
    assert a.status_code == 200 and a.content == b.content
    paths = a.json()["paths"]
    for p in ("/works", "/works/{work_id}", "/works/{work_id}/provenance", "/loans", "/ill/requests", "/ill/requests/{request_id}"):
        assert "get" in paths[p], p


def test_iso_times_are_what_datetime_formats():
    import random
    from datetime import datetime, timezone

    from api.services.reads.common import iso

    rng = random.Random(6)
    for t in [1, 59, 86399, 951782400, 1_800_000_000, 2**31, 253402300799, *(rng.randrange(1, 253402300800) for _ in range(5000))]:
        assert iso(t) == datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), t
    assert iso(0) is None and iso(None) is None
    with pytest.raises(ValueError):
        iso(253402300800)  # beyond datetime's range: as before


def test_list_items_are_what_the_single_reads_show(api, both):
    """The list statements (a works page joined with payees and titles; a party's UNION ALL) are
    built apart from the single-record reads: every listed item equals its GET."""
    _, _, made = both
    mine = ok(api.get(f"/works/{made['works'][0]}"))["data"]
    for params in ({"limit": 200}, {"holder": PUB}, {"holder": PUB2, "limit": 1}, {"content_hash": mine["content_hash"]},
                   {"iscc": mine["iscc"][:10]}, {"title": "捷径"}):
        items = ok(api.get("/works", params=params))["items"]
        assert items, params
        for w in items:
            assert ok(api.get(f"/works/{w['id']}"))["data"] == w, (params, w["id"])
    assert mine["title"] == "捷径 0 (lean path)" and len(mine["payees"]) == 2
    for params in ({"party": ZJL}, {"party": HZL, "limit": 1}, {"requester": ZJL}, {"supplier": ZJL, "party": NBL}):
        items = ok(api.get("/ill/requests", params=params))["items"]
        for x in items:
            assert ok(api.get(f"/ill/requests/{x['id']}"))["data"] == x, (params, x["id"])

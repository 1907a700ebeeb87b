"""Bad input: 4xx problem+json with a reason, nothing written (the chain's block number stays)."""

from __future__ import annotations

import pytest

from tests.api.conftest import content_hash, iscc

PUB, LIB = "PUB-ZJPP", "CN-330000-ZJL"


def good_work():
    return {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://bad-input"}


BAD = [
    ("/works", PUB, dict(good_work(), content_hash="0x1234")),
    ("/works", PUB, dict(good_work(), content_hash=123)),
    ("/works", PUB, dict(good_work(), iscc="0x00")),
    ("/works", PUB, dict(good_work(), metadata_uri="")),
    ("/works", PUB, dict(good_work(), metadata_uri="ipfs://" + "长" * 100)),  # 307 bytes of UTF-8 > 256
    ("/works", PUB, dict(good_work(), metadata_uri="ipfs://a\u0000b")),
    ("/works", PUB, dict(good_work(), title="x" * 501)),
    ("/works", PUB, dict(good_work(), payees=[{"member": PUB, "bps": 5000}])),
    ("/works", PUB, dict(good_work(), payees=[{"member": PUB, "bps": 0}])),
    ("/works", PUB, dict(good_work(), extra="field")),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": 0}),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": -5}),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": 10**30}),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": "12"}),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": 12.5}),
    ("/terms", PUB, {"kind": "Lifetime", "price": 100}),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": 100, "territory": "china"}),
    ("/terms", PUB, {"kind": "PerLoanMetered", "price": 3}),  # fee would round to zero: the contract says so
    ("/licences", LIB, {"work_id": 0, "terms_id": 1}),
    ("/licences", LIB, {"work_id": 1, "terms_id": 1, "copies": 0}),
    ("/licences", LIB, {"work_id": 999999, "terms_id": 1}),
    ("/loans", LIB, {"licence_id": 999999}),
    ("/ill/requests", LIB, {"supplier": LIB, "own_id": "self", "bibliographic_key": "x"}),
    ("/ill/requests", LIB, {"supplier": "CN-330100-HZL", "own_id": "", "bibliographic_key": "x"}),
    ("/ill/requests", LIB, {"supplier": "CN-330100-HZL", "own_id": "我" * 11, "bibliographic_key": "x"}),  # 33 bytes
    ("/ill/requests", LIB, {"supplier": "CN-330100-HZL", "own_id": "both", "bibliographic_key": "x", "work_id": 1}),
    ("/ill/requests", LIB, {"supplier": "NO-SUCH-LIB", "own_id": "nolib", "bibliographic_key": "x"}),
    ("/ill/requests", LIB, {"supplier": "CN-330100-HZL", "own_id": "past", "bibliographic_key": "x", "need_before": 1}),
    ("/ill/requests", LIB, {"supplier": "CN-330100-HZL", "own_id": "cost", "bibliographic_key": "x", "max_cost": -1}),
]


@pytest.mark.parametrize("path,who,body", BAD, ids=[f"{i}:{p}" for i, (p, _, _) in enumerate(BAD)])
def test_bad_input_is_refused_and_nothing_written(api, path, who, body):
    rt = api.client.app.state.runtime
    before = rt.chain.block_number()
    r = api.post(path, who, body)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["status"] == r.status_code and p["detail"] and p["title"] and p["type"] and p["instance"] == path
    assert rt.chain.block_number() == before


def test_malformed_json_and_wrong_content(api):
    lone_surrogate = b'{"supplier": "CN-330100-HZL", "own_id": "a\\ud800", "bibliographic_key": "x"}'
    r = api.client.post("/ill/requests", content=lone_surrogate, headers={**api.h(LIB), "Content-Type": "application/json"})
    assert r.status_code == 422 and "unicode" in r.json()["detail"], r.text
    for raw in (b"{", b"null", b"[]", b"\xff\xfe", b'{"content_hash": '):
        r = api.client.post("/works", content=raw, headers={**api.h(PUB), "Content-Type": "application/json"})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text


def test_unknown_ids_and_paths(api):
    for path in ("/works/999999", "/licences/999999", "/loans/999999", "/ill/requests/12345", "/settlements/999999", "/terms/999999", "/members/NO-SUCH"):
        r = api.get(path)
        assert r.status_code == 404 and r.json()["type"].endswith("not-found"), path
    assert api.get("/works/abc").status_code == 422
    assert api.get("/works/0").status_code == 422
    assert api.get("/works", params={"limit": 201}).status_code == 422
    assert api.get("/works", params={"cursor": "!!"}).status_code == 422
    r = api.client.get("/nowhere")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_unicode_titles_are_nfc(api):
    decomposed = "Cafe\u0301 · 西湖"
    r = api.post("/works", PUB, dict(good_work(), title=decomposed))
    assert r.status_code == 201, r.text
    assert r.json()["data"]["title"] == "Café · 西湖"
    assert [w["id"] for w in api.get("/works", params={"title": "CAFÉ"}).json()["items"]] == [int(r.json()["id"])]

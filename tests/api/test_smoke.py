from tests.api.conftest import content_hash, iscc


def test_register_and_read(api):
    r = api.post("/works", "PUB-ZJPP", {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://bafy-demo", "title": "西湖梦寻"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["tx"]["status"] == "mirrored"
    wid = body["id"]
    assert body["data"]["title"] == "西湖梦寻"
    r = api.get(f"/works/{wid}")
    assert r.status_code == 200, r.text
    r = api.get("/works", params={"title": "梦寻"})
    assert [w["id"] for w in r.json()["items"]] == [int(wid)]

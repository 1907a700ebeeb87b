"""The kubo RPC adapter, against kubo responses found in public sources (see fixtures/kubo)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from rights.errors import ContentCorrupted, ContentNotFound, KuboError, StoreUnavailable
from rights.kubo import KuboContentStore
from rights.store import ContentStore, normalize_cid

FIXTURES = Path(__file__).parent / "fixtures" / "kubo"
EMPTY_RAW = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
INFURA_V0 = "QmeGAVddnBSnKc1DLE7DLV9uuTqo5F7QbaveTjr45JUdQn"
HELLO_V0 = "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH"


def fixture(name: str) -> dict:
    d = json.loads((FIXTURES / name).read_text())
    assert d["source"] and d["provenance"] in ("recorded", "assembled")
    return d


def response(name: str) -> httpx.Response:
    d = fixture(name)
    return httpx.Response(d["status"], headers=d["headers"], content=d["body"].encode("utf-8"))


class Node:
    """Answers like kubo from the fixture files and records what it was asked."""

    def __init__(self, routes: dict[tuple[str, str | None], str]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method != "POST":  # kubo's RPC refuses GET
            return httpx.Response(405)
        key = (request.url.path, request.url.params.get("arg"))
        name = self.routes.get(key) or self.routes.get((request.url.path, None))
        if name is None:
            return httpx.Response(404, text="404 page not found")
        return response(name)


def store_for(node: Node) -> KuboContentStore:
    return KuboContentStore("http://127.0.0.1:5001", client=httpx.Client(transport=httpx.MockTransport(node)))


def test_add_sends_cidv1_multipart_and_verifies_the_raw_cid():
    node = Node({("/api/v0/add", None): "add_cidv1_empty_file.json"})
    kubo = store_for(node)
    assert isinstance(kubo, ContentStore)
    assert kubo.put(b"") == EMPTY_RAW
    req = node.requests[0]
    assert req.url.params["cid-version"] == "1" and req.url.params["pin"] == "true"
    assert req.headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"' in req.read()


def test_add_answer_that_does_not_match_the_bytes_is_refused():
    node = Node({("/api/v0/add", None): "add_cidv1_empty_file.json"})
    with pytest.raises(ContentCorrupted):
        store_for(node).put(b"these bytes do not hash to the empty CID")


def test_add_of_a_dag_pb_root_is_normalised_to_v1():
    node = Node({("/api/v0/add", None): "add_cidv0_infura_docs.json"})
    assert store_for(node).put(b"x" * 44) == normalize_cid(INFURA_V0)


def test_cat_returns_the_recorded_bytes():
    node = Node({("/api/v0/cat", HELLO_V0): "cat_hello_worlds.json"})
    kubo = store_for(node)
    assert kubo.get(HELLO_V0) == b"Hello Worlds!\n"
    with kubo.open(HELLO_V0) as chunks:
        assert b"".join(chunks) == b"Hello Worlds!\n"


def test_cat_of_a_raw_cid_is_verified():
    # The node answers the 'Hello Worlds!' body for the empty-file CID: wrong bytes.
    node = Node({("/api/v0/cat", EMPTY_RAW): "cat_hello_worlds.json"})
    kubo = store_for(node)
    with pytest.raises(ContentCorrupted):
        kubo.get(EMPTY_RAW)
    with pytest.raises(ContentCorrupted), kubo.open(EMPTY_RAW) as chunks:
        b"".join(chunks)


def test_pin_add_confirms_the_cid():
    node = Node({("/api/v0/pin/add", None): "pin_add_infura_docs.json"})
    kubo = store_for(node)
    kubo.pin(INFURA_V0)
    kubo.pin(normalize_cid(INFURA_V0))  # the v1 spelling of the same CID also matches
    assert node.requests[0].url.params["arg"] == INFURA_V0
    with pytest.raises(KuboError, match="did not confirm"):
        store_for(Node({("/api/v0/pin/add", None): "pin_add_infura_docs.json"})).pin(HELLO_V0)


def test_rpc_error_from_a_real_node_is_reported_with_its_message():
    node = Node({("/api/v0/cat", None): "error_500_go_ipfs_0_9_1.json"})
    with pytest.raises(KuboError) as exc:
        store_for(node).get(HELLO_V0)
    assert exc.value.status == 500 and exc.value.kubo_message == "not an IPFS tarchive"
    assert exc.value.code == 0
    assert "IPFS node refused cat (HTTP 500): not an IPFS tarchive" in str(exc.value)


def test_not_found_error_maps_to_content_not_found():
    node = Node({("/api/v0/cat", None): "error_500_merkledag_not_found.json",
                 ("/api/v0/block/stat", None): "error_500_merkledag_not_found.json"})
    kubo = store_for(node)
    with pytest.raises(ContentNotFound):
        kubo.get(HELLO_V0)
    with pytest.raises(ContentNotFound), kubo.open(HELLO_V0):
        pass
    assert kubo.has(HELLO_V0) is False


def test_has_uses_offline_block_stat():
    node = Node({("/api/v0/block/stat", EMPTY_RAW): "block_stat_empty_raw.json"})
    assert store_for(node).has(EMPTY_RAW) is True
    assert node.requests[0].url.params["offline"] == "true"


def test_unknown_endpoint_and_unreachable_node():
    with pytest.raises(KuboError, match="404"):
        store_for(Node({})).get(HELLO_V0)

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    kubo = KuboContentStore("http://127.0.0.1:5001", client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(StoreUnavailable, match="not reachable"):
        kubo.put(b"x")


def test_every_fixture_names_its_source():
    for f in FIXTURES.glob("*.json"):
        d = json.loads(f.read_text())
        assert d["source"], f.name
        if d["provenance"] == "assembled":
            assert d.get("assumed") or len(d["source"]) > 1, f.name

"""Whole-history log lookups on a node that caps eth_getLogs ranges, as Besu does.

Anvil caps nothing, so the test puts a small forwarding proxy in front of the real anvil that
answers a range wider than ``MAX_RANGE`` blocks with Besu's own error object (Besu:
``--rpc-max-logs-range``, 5,000 blocks by default) and forwards everything else unchanged.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ledger.chain import Chain
from ledger.logs import get_logs
from ledger.rpc import Rpc, RpcError
from ledger.verification import find_logs
from tests.flows import register_work

MAX_RANGE = 3


class _RangeCappingProxy:
    """Forwards JSON-RPC to ``upstream``; refuses getLogs ranges over ``max_range`` blocks."""

    def __init__(self, upstream: str, max_range: int) -> None:
        self.calls: list[tuple[int, int]] = []  # (from, to) of every getLogs forwarded
        self.refused = 0
        proxy = self
        client = httpx.Client(timeout=30)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if isinstance(body, dict) and body.get("method") == "eth_getLogs":
                    flt = body["params"][0]
                    lo, hi = int(flt["fromBlock"], 16), int(flt["toBlock"], 16)
                    if hi - lo + 1 > max_range:
                        proxy.refused += 1
                        answer = {"jsonrpc": "2.0", "id": body["id"],
                                  "error": {"code": -32602, "message": "Requested range exceeds maximum RPC range limit"}}
                        return self._send(json.dumps(answer).encode())
                    proxy.calls.append((lo, hi))
                self._send(client.post(upstream, json=body).content)

            def _send(self, payload: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        self._client = client

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()


@pytest.fixture
def capped(chain, settings):
    proxy = _RangeCappingProxy(settings.rpc_url, MAX_RANGE)
    capped_chain = Chain(settings.model_copy(update={"rpc_url": proxy.url}), chain.manifest)
    yield proxy, capped_chain
    capped_chain.close()
    proxy.close()


def test_find_logs_splits_ranges_the_node_refuses(chain, actors, capped):
    proxy, capped_chain = capped
    ids = [register_work(chain, actors.publisher) for _ in range(4)]
    for _ in range(2 * MAX_RANGE):  # blocks without events between and after the registrations
        chain.rpc.call("evm_mine")
    direct = find_logs(chain, "Works", "WorkRegistered")
    through_cap = find_logs(capped_chain, "Works", "WorkRegistered")
    assert [lg.args["workId"] for lg in through_cap] == [lg.args["workId"] for lg in direct]
    assert set(ids) <= {lg.args["workId"] for lg in through_cap}
    assert proxy.refused >= 1  # the first, whole-history call was refused ...
    assert all(hi - lo + 1 <= MAX_RANGE for lo, hi in proxy.calls)  # ... and every forwarded one fits
    covered = sorted(proxy.calls)
    assert covered[0][0] == chain.manifest.contracts["Works"].block
    assert all(b[0] == a[1] + 1 for a, b in zip(covered, covered[1:]))  # no gap, no overlap
    assert covered[-1][1] == chain.block_number()


def test_a_node_refusing_even_one_block_gets_its_error_raised(chain, settings):
    proxy = _RangeCappingProxy(settings.rpc_url, 0)  # refuses every range
    try:
        with Rpc(proxy.url) as rpc, pytest.raises(RpcError, match="range limit"):
            get_logs(rpc, {"address": chain.contract("Works").address}, 0, chain.block_number())
        assert proxy.refused > 1 and proxy.calls == []  # it halved down to one block before giving up
    finally:
        proxy.close()


def test_errors_other_than_a_range_refusal_are_not_retried(chain):
    with pytest.raises(RpcError):
        # a malformed address is an error of the request, not of its size: raised at once
        get_logs(chain.rpc, {"address": "0x1234"}, 0, chain.block_number())

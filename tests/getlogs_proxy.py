"""A JSON-RPC forwarding proxy in front of a real anvil that behaves like a node with a capped
``eth_getLogs`` range: a getLogs over more than ``limit`` blocks is refused with Besu's own error
object (``--rpc-max-logs-range``, 5,000 blocks by default) or answered only after ``delay``
seconds; everything else (headers, chain id, batches) is forwarded unchanged. Anvil caps nothing,
so tests of range splitting (``ledger.logs``, the indexer) put this in front of it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class GetLogsProxy:
    """Forwards JSON-RPC to ``upstream``. A getLogs over more than ``limit`` blocks is refused
    (``mode="refuse"``) or held ``delay`` seconds before it is answered (``mode="slow"``)."""

    def __init__(self, upstream: str, limit: int, mode: str = "refuse", delay: float = 0.0) -> None:
        self.forwarded: list[tuple[int, int]] = []  # (from, to) of every getLogs answered in time
        self.refused = 0
        self.held = 0
        proxy = self
        client = httpx.Client(timeout=30)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if isinstance(body, dict) and body.get("method") == "eth_getLogs":
                    flt = body["params"][0]
                    lo, hi = int(flt["fromBlock"], 16), int(flt["toBlock"], 16)
                    if hi - lo + 1 > limit:
                        if mode == "refuse":
                            proxy.refused += 1
                            err = {"code": -32602, "message": "Requested range exceeds maximum RPC range limit"}
                            return self._send(json.dumps({"jsonrpc": "2.0", "id": body["id"], "error": err}).encode())
                        proxy.held += 1
                        time.sleep(delay)  # the client has given up by now
                        return self._send(client.post(upstream, json=body).content)
                    proxy.forwarded.append((lo, hi))
                self._send(client.post(upstream, json=body).content)

            def _send(self, payload: bytes) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client timed out and closed the connection
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._client = client

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()

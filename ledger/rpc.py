"""A small JSON-RPC client over one keep-alive HTTP session, with batches.

Why not web3.py's provider here: the transaction pipeline and the indexer send thousands of
calls a second, and web3 runs every call through its middleware and result formatters. This
client sends raw JSON-RPC (single or batched) and leaves decoding to ``ledger.bindings``.
web3.py remains the library for everything else (``ledger.chain.web3_for``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Sequence

import httpx

from .errors import NodeUnreachable


@dataclass
class RpcError(Exception):
    """An error object answered by the node for one call."""

    code: int
    message: str
    data: Any = None

    def __str__(self) -> str:
        return f"{self.message} (code {self.code})"


class Rpc:
    """JSON-RPC over HTTP. ``retries`` applies to connection failures only, with backoff."""

    def __init__(self, url: str, *, timeout: float = 30.0, retries: int = 2) -> None:
        self.url = url
        self.retries = retries
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_keepalive_connections=8))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Rpc":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, payload: Any) -> Any:
        delay = 0.2
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.post(self.url, json=payload)
                resp.raise_for_status()
                return resp.json()
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if attempt == self.retries:
                    raise NodeUnreachable(f"cannot reach the chain at {self.url}: {_reason(exc)}") from None
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; raises ``RpcError`` when the node answers with an error."""
        answer = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)})
        if "error" in answer:
            e = answer["error"]
            raise RpcError(e.get("code", 0), e.get("message", ""), e.get("data"))
        return answer.get("result")

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one request; each result is the value or an ``RpcError`` (not raised)."""
        if not calls:
            return []
        first = next(self._ids)
        payload = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": list(p)} for i, (m, p) in enumerate(calls)]
        for _ in range(len(calls) - 1):
            next(self._ids)
        answers = self._post(payload)
        if isinstance(answers, dict):  # some nodes answer a whole-batch failure with one object
            e = answers.get("error", {})
            err = RpcError(e.get("code", 0), e.get("message", "batch refused"), e.get("data"))
            return [err] * len(calls)
        by_id = {a.get("id"): a for a in answers}
        out: list[Any] = []
        for i in range(len(calls)):
            a = by_id.get(first + i)
            if a is None:
                out.append(RpcError(0, "no answer in batch"))
            elif "error" in a:
                e = a["error"]
                out.append(RpcError(e.get("code", 0), e.get("message", ""), e.get("data")))
            else:
                out.append(a.get("result"))
        return out


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (is the node running? for the local chain: `libledger chain up`)"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__


def revert_data(err: RpcError) -> bytes | None:
    """The revert payload inside an ``eth_call``/``eth_estimateGas`` error, if the node gave one."""
    data = err.data
    if isinstance(data, dict):  # some clients nest it: {"data": "0x..."}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if err.code == 3 or "revert" in err.message.lower():
        return b""
    return None

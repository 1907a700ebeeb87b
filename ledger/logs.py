"""``eth_getLogs`` over long block ranges on nodes that cap the range or the result size.

Besu refuses more than ``--rpc-max-logs-range`` blocks per call (5,000 by default), hosted
gateways cap results ("query returned more than 10000 results"); anvil caps nothing. A lookup
from a contract's deployment block to the head must therefore split the range when the node
says so. The indexer has its own adaptive loop (it also grows the range while reads are
cheap); this module is for one-off lookups (verification, audits) that read a whole history.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import NodeUnreachable
from .rpc import Rpc, RpcError

# Words with which nodes refuse a getLogs range or result size (Besu, geth, Erigon, gateways).
TOO_LARGE = ("range", "too large", "too many", "more than", "limit", "exceed", "timeout", "timed out", "response size")


def is_range_refusal(err: Exception) -> bool:
    """True when ``err`` is a node saying the getLogs range or its result was too large."""
    if isinstance(err, RpcError):
        return any(w in err.message.lower() for w in TOO_LARGE)
    return isinstance(err, NodeUnreachable) and "timed out" in str(err)


def iter_logs(rpc: Rpc, flt: dict[str, Any], first: int, last: int, *, span: int = 5_000) -> Iterator[list[dict[str, Any]]]:
    """The logs matching ``flt`` (address/topics, no block bounds) in blocks first..last, one list
    per range read, oldest range first. Starts with ``span`` blocks per call, halves the span
    whenever the node refuses a range (down to one block, then the error is raised), and keeps
    the smaller span for the rest of the walk."""
    lo = first
    while lo <= last:
        hi = min(last, lo + span - 1)
        try:
            logs = rpc.call("eth_getLogs", [{**flt, "fromBlock": hex(lo), "toBlock": hex(hi)}])
        except (RpcError, NodeUnreachable) as err:
            if span > 1 and is_range_refusal(err):
                span = max(1, (hi - lo + 1) // 2)
                continue
            raise
        yield logs
        lo = hi + 1


def get_logs(rpc: Rpc, flt: dict[str, Any], first: int, last: int, *, span: int = 5_000) -> list[dict[str, Any]]:
    """All logs matching ``flt`` in blocks first..last (see ``iter_logs``), in node order."""
    return [log for part in iter_logs(rpc, flt, first, last, span=span) for log in part]

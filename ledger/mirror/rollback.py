"""Forks: find where the chain and the mirror part ways, and rewind the mirror to that block.

On a final chain (QBFT) a block whose parent is not the block the mirror holds is a hard
error: the node or the mirror is not what we think. On a dev chain (anvil restarted from an
older state, ``evm_revert``) the mirror rewinds: blocks, raw events and their payment entries
after the fork point are deleted and the projections are rebuilt from the raw events that
remain (``rebuild``), all in one transaction. Rebuilding costs one replay of the raw events (no RPC), which a dev mirror
affords; it keeps no per-row undo log and cannot get out of step with the handlers.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Connection, delete, select, update

from ..errors import LedgerError
from ..rpc import Rpc
from .models import Block, Checkpoint, PaymentEntry, RawEvent
from .rebuild import rebuild

log = logging.getLogger("ledger.mirror")


class ChainReorganized(LedgerError):
    """A final (QBFT) chain disagrees with the mirror about a block it already mirrored."""


class ForkBeyondDeployment(LedgerError):
    """The chain no longer holds the blocks of the deployment the mirror was made from."""


def chain_hashes(rpc: Rpc, lo: int, hi: int) -> dict[int, str | None]:
    """Block hashes of the node for ``lo..hi`` (None where the chain is shorter)."""
    out: dict[int, str | None] = {}
    numbers = list(range(lo, hi + 1))
    for start in range(0, len(numbers), 100):
        part = numbers[start : start + 100]
        for n, blk in zip(part, rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in part])):
            out[n] = blk["hash"] if isinstance(blk, dict) else None
    return out


def find_fork_point(conn: Connection, rpc: Rpc, *, tip: int, floor: int) -> tuple[int, str]:
    """The highest mirrored block at or below ``tip`` that the chain still has (number, hash)."""
    hi, step = tip, 32
    while hi >= floor:
        lo = max(floor, hi - step + 1)
        stored = dict(conn.execute(select(Block.number, Block.hash).where(Block.number.between(lo, hi))).all())
        chain = chain_hashes(rpc, lo, hi)
        for n in range(hi, lo - 1, -1):
            if n in stored and chain.get(n) == stored[n]:
                return n, stored[n]
        hi, step = lo - 1, step * 2
    raise ForkBeyondDeployment(
        f"the chain no longer holds block {floor} of the deployment this mirror was made from: "
        "redeploy, or start a fresh mirror"
    )


def rewind(conn: Connection, *, to_block: int, to_hash: str) -> int:
    """Delete everything after ``to_block`` and rebuild the projections; returns events replayed."""
    t0 = time.perf_counter()
    dropped = conn.execute(delete(RawEvent).where(RawEvent.block_number > to_block)).rowcount
    conn.execute(delete(PaymentEntry).where(PaymentEntry.block_number > to_block))
    conn.execute(delete(Block).where(Block.number > to_block))
    n = rebuild(conn)
    conn.execute(update(Checkpoint).where(Checkpoint.id == 1).values(block_number=to_block, block_hash=to_hash, updated_at=time.time()))
    log.warning(
        "chain rolled back: mirror rewound to block %d (%d events dropped, %d replayed)", to_block, dropped, n,
        extra={"fields": {"event": "rollback", "to_block": to_block, "dropped": dropped, "replayed": n, "seconds": round(time.perf_counter() - t0, 3)}},
    )
    return n

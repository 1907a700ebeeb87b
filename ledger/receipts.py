"""Block-driven receipt watcher: finds the receipts of many transactions by reading whole blocks.

One ``eth_getBlockReceipts`` per new block (batched, several blocks per request) replaces one
``eth_getTransactionReceipt`` per transaction and the per-sender nonce polling around it: on a
QBFT-like chain a block carries thousands of the pipeline's transactions, so the node answers a
handful of calls instead of thousands. Nodes without ``eth_getBlockReceipts`` (method not found)
are read with ``eth_getBlockByNumber`` (hashes) plus receipts for the watched hashes only.

Replaced transactions are decided without a timer: once every block up to ``B`` has been read,
a watched transaction whose nonce is below its sender's nonce *at block B* and that appeared in
none of those blocks lost its nonce to another transaction — confirmed by asking the node for
the hash itself (receipt, then ``eth_getTransactionByHash``) before it is reported.

Assumes a chain with immediate finality (QBFT, a dev node): blocks already read are not re-read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .rpc import Rpc, RpcError

BLOCKS_PER_REQUEST = 20
METHOD_NOT_FOUND = -32601


class ReceiptWatcher:
    """Attaches receipts to watched transactions as their blocks appear; call ``poll`` repeatedly.

    A watched item has ``tx_hash``, ``nonce`` and a writable ``receipt`` (``ledger.pipeline.Outcome``);
    ``sender_of(item)`` gives its sender's address.

    ``from_block``: the head before the first watched transaction was sent (nothing watched can
    be in it or earlier). ``on_replaced(item)`` is called for a transaction whose nonce another
    transaction took; it is then no longer watched.
    """

    def __init__(
        self,
        rpc: Rpc,
        from_block: int,
        *,
        sender_of: Callable[[Any], str],
        on_replaced: Callable[[Any], None],
        blocks_per_request: int = BLOCKS_PER_REQUEST,
    ) -> None:
        self._rpc = rpc
        self.scanned = from_block  # every block <= scanned has been read
        self._sender_of = sender_of
        self._on_replaced = on_replaced
        self._blocks_per_request = blocks_per_request
        self._pending: dict[str, Any] = {}
        self._block_receipts = True  # falls back when the node lacks eth_getBlockReceipts

    @property
    def pending(self) -> int:
        """How many watched transactions have neither a receipt nor a verdict yet."""
        return len(self._pending)

    def waiting(self) -> list[Any]:
        """The watched transactions still without a receipt or verdict, in the order watched."""
        return list(self._pending.values())

    def watch(self, item: Any) -> None:
        """Watch a transaction; register it *before* sending it so no block can be missed."""
        self._pending[item.tx_hash] = item

    def forget(self, item: Any) -> None:
        """Stop watching (e.g. the node rejected the transaction at submission)."""
        self._pending.pop(item.tx_hash, None)

    def poll(self) -> int:
        """Read every block mined since the last poll; returns how many watched transactions got
        a receipt or a verdict (0: nothing new)."""
        if not self._pending:
            return 0
        head = int(self._rpc.call("eth_blockNumber"), 16)
        if head <= self.scanned:
            return 0
        before = len(self._pending)
        while self.scanned < head and self._pending:
            last = min(head, self.scanned + self._blocks_per_request)
            blocks = list(range(self.scanned + 1, last + 1))
            read = self._read(blocks)
            self.scanned = blocks[read - 1] if read else self.scanned
            if read < len(blocks):
                break  # a block the node does not serve yet: read it on the next poll
        if self._pending:
            self._settle_replaced()
        return before - len(self._pending)

    # ------------------------------------------------------------------ reading blocks

    def _read(self, blocks: list[int]) -> int:
        """Match the receipts of ``blocks``; returns how many leading blocks were read in full."""
        if self._block_receipts:
            answers = self._rpc.batch([("eth_getBlockReceipts", [hex(b)]) for b in blocks])
            if any(isinstance(a, RpcError) and a.code == METHOD_NOT_FOUND for a in answers):
                self._block_receipts = False
            else:
                return self._take(answers)
        bodies = self._rpc.batch([("eth_getBlockByNumber", [hex(b), False]) for b in blocks])
        lists: list[Any] = []
        for body in bodies:
            if isinstance(body, RpcError) or body is None:
                lists.append(body)
                continue
            mine = [h for h in body.get("transactions", []) if h in self._pending]
            rcpts = self._rpc.batch([("eth_getTransactionReceipt", [h]) for h in mine])
            if any(isinstance(r, RpcError) or r is None for r in rcpts):
                lists.append(None)
            else:
                lists.append(rcpts)
        return self._take(lists)

    def _take(self, per_block: list[Any]) -> int:
        read = 0
        for receipts in per_block:
            if isinstance(receipts, RpcError) or receipts is None:
                break
            for r in receipts:
                item = self._pending.pop(r.get("transactionHash"), None)
                if item is not None:
                    item.receipt = r
            read += 1
        return read

    # ------------------------------------------------------------------ replaced transactions

    def _settle_replaced(self) -> None:
        senders = sorted({self._sender_of(i) for i in self._pending.values()})
        at = hex(self.scanned)
        counts = self._rpc.batch([("eth_getTransactionCount", [a, at]) for a in senders])
        used = {a: int(c, 16) for a, c in zip(senders, counts) if isinstance(c, str)}
        lost = [i for i in self._pending.values() if i.nonce is not None and i.nonce < used.get(self._sender_of(i), 0)]
        if not lost:
            return
        hashes = [i.tx_hash for i in lost]
        receipts = self._rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        known = self._rpc.batch([("eth_getTransactionByHash", [h]) for h in hashes])
        for item, rcpt, tx in zip(lost, receipts, known):
            if isinstance(rcpt, dict):  # mined after all (a block served late): take it
                item.receipt = rcpt
                del self._pending[item.tx_hash]
            elif tx is None:
                del self._pending[item.tx_hash]
                self._on_replaced(item)

"""Transaction pipeline: sign locally, submit raw transactions in small JSON-RPC batches, watch
blocks for the receipts, and hand back one outcome per call in submission order.

- Signing: ``ledger.signing`` (coincurve, byte-identical to eth-account), in a thread of its own so
  signing batch k+1 overlaps submitting batch k.
- Nonces: one counter per account, seeded from the node's pending count. A transaction the node
  rejects leaves a gap that would strand every later nonce, so the gap is filled with a no-op
  self-transfer; a transaction dropped from the pool is re-broadcast as the same signed bytes.
  When several processes sign for the same accounts (``shared_nonces``: the API with several
  workers) each batch instead reserves, signs and sends under the accounts' file locks
  (``ledger.nonces``), so signing no longer overlaps sending.
- Batches of 10: the node runs batched calls concurrently; small batches keep nonce-ordered
  transactions close together (larger ones were seen to stall or kill anvil).
- Receipts: ``ledger.receipts.ReceiptWatcher`` reads each new block's receipts in one call
  (``eth_getBlockReceipts``), already while later batches are being sent; a transaction whose
  nonce was taken by another is reported as replaced.
- In flight: at most ``max_in_flight`` (1,000) sent transactions without a receipt; sending waits
  for blocks beyond that. Under anvil's automine stall (below) thousands of queued transactions
  otherwise end up in one block, and anvil builds a block's receipts in time quadratic in its
  size (2,000 transactions: 1.3-3 s for one ``eth_getBlockReceipts``, 100: 7 ms).
- Stalls: anvil's automine can leave ready transactions unmined under load
  (foundry-rs/foundry#10122, seen here with anvil 1.7.1 even with interval mining on); on a dev
  chain the pipeline then asks for a block (``evm_mine``, counted in ``nudges``) when receipts
  stop coming.
- Reverts: a mined transaction with status 0 is replayed with ``eth_call`` on its parent block to
  recover the custom error, decoded to the named exception.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from .bindings import ErrorDecoder
from .errors import ContractRevert, LedgerError, TransactionRejected
from .nonces import SharedNonces
from .receipts import ReceiptWatcher
from .rpc import Rpc, RpcError, revert_data
from .signing import sign_legacy

BATCH_SIZE = 10
NOOP_GAS = 21_000
POLL_WHILE_SENDING_S = 0.05  # read new blocks at most this often while batches are still going out
MAX_IN_FLIGHT = 1000
IDLE_POLL_S = 0.005  # pause between block polls when nothing new was mined


@dataclass
class Call:
    """One transaction to send. ``to=None`` deploys ``data`` as init code."""

    sender: LocalAccount
    to: str | None
    data: bytes
    gas: int | None = None
    value: int = 0
    label: str = ""


@dataclass
class Outcome:
    """What became of one call: the receipt, or the error that stopped it."""

    call: Call
    tx_hash: str | None = None
    receipt: dict[str, Any] | None = None
    error: LedgerError | None = None
    nonce: int | None = None
    raw: bytes = field(default=b"", repr=False)
    sent_after_block: int | None = None  # the head before it was sent: it can only be in a later block

    @property
    def ok(self) -> bool:
        return self.error is None and self.receipt is not None and self.receipt.get("status") == "0x1"

    @property
    def block_number(self) -> int | None:
        return int(self.receipt["blockNumber"], 16) if self.receipt else None

    @property
    def contract_address(self) -> str | None:
        return self.receipt.get("contractAddress") if self.receipt else None

    def unwrap(self) -> "Outcome":
        """Raise the error if the call failed; otherwise return self."""
        if self.error is not None:
            raise self.error
        if not self.ok:
            raise TransactionRejected(f"transaction {self.tx_hash} failed without a decodable reason", tx_hash=self.tx_hash)
        return self


class NonceManager:
    """Next nonce per account, seeded from the node and re-seeded after trouble."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def reserve(self, address: str) -> int:
        with self._lock:
            if address not in self._next:
                self._next[address] = int(self._rpc.call("eth_getTransactionCount", [address, "pending"]), 16)
            n = self._next[address]
            self._next[address] = n + 1
            return n

    def resync(self, address: str) -> None:
        with self._lock:
            self._next.pop(address, None)

    def reset(self) -> None:
        """Forget every account's counter (e.g. after the chain's state was reverted)."""
        with self._lock:
            self._next.clear()


class TxPipeline:
    """Sends calls fast and in order. Thread-safe for ``send``; one ``submit`` at a time."""

    def __init__(
        self,
        rpc: Rpc,
        chain_id: int,
        errors: ErrorDecoder,
        *,
        default_gas: int = 3_000_000,
        gas_price: int = 0,
        batch_size: int = BATCH_SIZE,
        receipt_timeout: float = 60.0,
        nudge_after: float | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
        shared_nonces: SharedNonces | None = None,
    ) -> None:
        self.rpc = rpc
        self.chain_id = chain_id
        self.errors = errors
        self.default_gas = default_gas
        self.gas_price = gas_price
        self.batch_size = batch_size
        self.receipt_timeout = receipt_timeout
        self.max_in_flight = max_in_flight  # sent, receipt not yet seen (only when waiting)
        self.nudge_after = nudge_after  # seconds without a new receipt before `evm_mine` (dev chains only)
        self.nonces = NonceManager(rpc)
        self.shared_nonces = shared_nonces  # set: nonces reserved across processes (ledger.nonces)
        self.nudges = 0  # `evm_mine` calls made so far (benchmarks report them)
        self._submit_lock = threading.Lock()

    # ---------------------------------------------------------------- signing

    def _sign(self, call: Call, nonce: int, gas: int | None = None) -> tuple[str, bytes]:
        return sign_legacy(
            call.sender,
            nonce=nonce,
            gas_price=self.gas_price,
            gas=gas or call.gas or self.default_gas,
            to=call.to,
            value=call.value,
            data=call.data,
            chain_id=self.chain_id,
        )

    def _noop(self, sender: LocalAccount, nonce: int) -> bytes:
        return self._sign(Call(sender=sender, to=sender.address, data=b""), nonce, gas=NOOP_GAS)[1]

    # ---------------------------------------------------------------- single call

    def preflight(self, call: Call, block: str = "latest") -> int:
        """Estimate gas; a call that would revert raises its named error and nothing is sent."""
        params: dict[str, Any] = {"from": call.sender.address, "data": "0x" + call.data.hex(), "value": hex(call.value)}
        if call.to is not None:
            params["to"] = call.to
        try:
            est = int(self.rpc.call("eth_estimateGas", [params, block]), 16)
        except RpcError as err:
            data = revert_data(err)
            if data is not None:
                raise self.errors.exception(data) from None
            raise TransactionRejected(f"the node refused the call: {err.message}") from None
        return est + est // 4 + 10_000  # headroom for state that moves between estimate and mining

    def send(self, call: Call, *, wait: bool = True, preflight: bool = True) -> Outcome:
        """Send one call: estimate (which surfaces reverts before anything is signed), sign, submit."""
        if preflight and call.gas is None:
            call.gas = self.preflight(call)
        return self.submit([call], wait=wait)[0]

    # ---------------------------------------------------------------- many calls

    def submit(self, calls: Sequence[Call], *, wait: bool = True) -> list[Outcome]:
        """Sign, send and (with ``wait``) await every call; outcomes in submission order.

        With ``wait`` the receipt watcher reads new blocks while later batches are still being
        sent, so receipts of early blocks are in hand by the time the last batch is out."""
        with self._submit_lock:
            outcomes = [Outcome(call=c) for c in calls]
            head = int(self.rpc.call("eth_blockNumber"), 16)
            for o in outcomes:
                o.sent_after_block = head
            watcher = self._watcher(head) if wait else None
            signed: queue.Queue[list[int] | None] = queue.Queue(maxsize=8)
            shared = self.shared_nonces

            def signer() -> None:  # with shared nonces only batches: they are signed under the lock
                try:
                    for start in range(0, len(outcomes), self.batch_size):
                        idx = list(range(start, min(start + self.batch_size, len(outcomes))))
                        if shared is None:
                            for i in idx:
                                o = outcomes[i]
                                o.nonce = self.nonces.reserve(o.call.sender.address)
                                o.tx_hash, o.raw = self._sign(o.call, o.nonce)
                        signed.put(idx)
                finally:
                    signed.put(None)

            t = threading.Thread(target=signer, name="tx-signer", daemon=True)
            t.start()
            last_poll = time.monotonic()
            while (idx := signed.get()) is not None:
                batch = [outcomes[i] for i in idx]
                if watcher is not None:
                    if watcher.pending >= self.max_in_flight:  # let the node catch up first
                        waiter = _Waiter(self, watcher)
                        while watcher.pending >= self.max_in_flight and not waiter.stalled():
                            waiter.step()  # a stalled node is reported by the await below
                        last_poll = time.monotonic()
                if shared is None:
                    self._watch_and_send(batch, watcher)
                else:
                    with shared.hold(o.call.sender.address for o in batch) as reserve:
                        for o in batch:
                            o.nonce = reserve(o.call.sender.address)
                            o.tx_hash, o.raw = self._sign(o.call, o.nonce)
                        self._watch_and_send(batch, watcher)
                if watcher is not None:
                    for o in batch:
                        if o.error is not None:
                            watcher.forget(o)
                    if time.monotonic() - last_poll >= POLL_WHILE_SENDING_S:
                        watcher.poll()
                        last_poll = time.monotonic()
            t.join()
            if watcher is not None:
                self._await_receipts([o for o in outcomes if o.error is None], watcher)
            return outcomes

    def _watcher(self, from_block: int) -> ReceiptWatcher:
        def replaced(o: Outcome) -> None:
            o.error = TransactionRejected(f"transaction {o.tx_hash} was replaced by another with nonce {o.nonce}", tx_hash=o.tx_hash)

        return ReceiptWatcher(self.rpc, from_block, sender_of=lambda o: o.call.sender.address, on_replaced=replaced)

    def _watch_and_send(self, batch: list[Outcome], watcher: ReceiptWatcher | None) -> None:
        if watcher is not None:
            for o in batch:
                watcher.watch(o)  # before sending: no block can hold it unseen
        self._send_batch(batch)

    def _send_batch(self, batch: list[Outcome]) -> None:
        answers = self.rpc.batch([("eth_sendRawTransaction", ["0x" + o.raw.hex()]) for o in batch])
        fillers: list[tuple[LocalAccount, int]] = []
        for o, ans in zip(batch, answers):
            if not isinstance(ans, RpcError):
                continue
            msg = ans.message.lower()
            if "already known" in msg or "already imported" in msg:
                continue  # the same signed bytes are in the pool: fine
            o.error = TransactionRejected(f"node rejected transaction (nonce {o.nonce}): {ans.message}", tx_hash=o.tx_hash)
            if "nonce too low" in msg:
                self.nonces.resync(o.call.sender.address)
            else:
                fillers.append((o.call.sender, o.nonce))
        for sender, nonce in fillers:
            try:
                self.rpc.call("eth_sendRawTransaction", ["0x" + self._noop(sender, nonce).hex()])
            except RpcError:
                self.nonces.resync(sender.address)

    def _await_receipts(self, sent: list[Outcome], watcher: ReceiptWatcher | None = None) -> None:
        """Wait until every sent outcome has its receipt or a verdict (replaced, timed out), reading
        receipts block by block (``ledger.receipts``); then decode the reverts."""
        if watcher is None:  # sent earlier with wait=False
            starts = [o.sent_after_block for o in sent if o.sent_after_block is not None]
            watcher = self._watcher(min(starts) if starts else 0)
            for o in sent:
                if o.receipt is None and o.error is None:
                    watcher.watch(o)
        waiter = _Waiter(self, watcher)
        while watcher.pending:
            waiter.step()
            if watcher.pending and waiter.stalled():
                for o in watcher.waiting():
                    o.error = TransactionRejected(
                        f"transaction {o.tx_hash} was not mined (no new receipt for {self.receipt_timeout:.0f} s)", tx_hash=o.tx_hash
                    )
                break
        for o in sent:
            if o.error is None and o.receipt is not None and o.receipt.get("status") != "0x1":
                o.error = self._explain_revert(o)

    def _explain_revert(self, o: Outcome) -> ContractRevert:
        """Replay a reverted transaction on its parent block to recover the custom error."""
        rcpt = o.receipt or {}
        params: dict[str, Any] = {"from": o.call.sender.address, "data": "0x" + o.call.data.hex(), "value": hex(o.call.value)}
        if o.call.to is not None:
            params["to"] = o.call.to
        params["gas"] = hex(o.call.gas or self.default_gas)
        parent = hex(int(rcpt.get("blockNumber", "0x1"), 16) - 1)
        try:
            self.rpc.call("eth_call", [params, parent])
        except RpcError as err:
            data = revert_data(err)
            if data is not None:
                exc = self.errors.exception(data, tx_hash=o.tx_hash)
                return exc
        exc = self.errors.exception(b"", tx_hash=o.tx_hash)  # e.g. out of gas: no revert data
        return exc


class _Waiter:
    """One wait for receipts: poll blocks; on a dev chain with no new receipt for ``nudge_after`` s
    ask for a block; re-broadcast what is still waiting every ``receipt_timeout / 3`` s without
    progress (dropped from the pool: node restart, eviction, a nonce gap); stalled after
    ``receipt_timeout`` s without progress. Nudges do not count as progress."""

    def __init__(self, pipeline: TxPipeline, watcher: ReceiptWatcher) -> None:
        self.p = pipeline
        self.watcher = watcher
        self.last_progress = self.last_nudge = self.last_rebroadcast = time.monotonic()

    def stalled(self) -> bool:
        return time.monotonic() - self.last_progress > self.p.receipt_timeout

    def step(self) -> None:
        p = self.p
        if self.watcher.poll():
            self.last_progress = time.monotonic()
            return
        now = time.monotonic()
        quiet = now - max(self.last_progress, self.last_nudge)
        if p.nudge_after is not None and quiet > p.nudge_after:
            try:
                p.rpc.call("evm_mine")
                p.nudges += 1
            except RpcError:
                p.nudge_after = None  # not a dev node after all
            self.last_nudge = now
        if now - max(self.last_progress, self.last_rebroadcast) > p.receipt_timeout / 3:
            again = [("eth_sendRawTransaction", ["0x" + o.raw.hex()]) for o in self.watcher.waiting()]
            for start in range(0, len(again), p.batch_size):
                p.rpc.batch(again[start : start + p.batch_size])
            self.last_rebroadcast = now
        time.sleep(IDLE_POLL_S)

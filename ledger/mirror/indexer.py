"""The indexer: one loop that backfills from the deploy block and then follows the head.

Each turn: read the logs of libledger's contracts for a block range (``eth_getLogs``, filtered
by the manifest's addresses; the range adapts: it grows while batches are quick and small and
halves on "range too large" / "more than N results" / timeouts), read every block header of the
range (batched ``eth_getBlockByNumber``) and check the parent-hash chain from the checkpoint on,
decode, then write projections + raw events (with their typed payment entries) + blocks +
checkpoint in ONE transaction. A crash
anywhere leaves the previous batch as the last word; the next run resumes after it.

A node that stops answering is retried with backoff (and a status line) for as long as it takes;
nothing is written meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert, select

from ..config import ChainProfile, Settings
from ..errors import LedgerError, NodeUnreachable
from ..manifest import Manifest, check_chain
from ..logs import TOO_LARGE
from ..rpc import Rpc, RpcError
from . import db as mirror_db
from .decode import LogDecoder, LogEvent
from .entries import write_entries
from .handlers import apply
from .lock import DEFAULT_TTL, WriterLock
from .models import Block, Checkpoint, RawEvent
from .rollback import ChainReorganized, find_fork_point, rewind
from .store import Store

log = logging.getLogger("ledger.mirror")

HEADER_BATCH = 100


class MirrorMismatch(LedgerError):
    """The mirror database belongs to another chain or another deployment."""


@dataclass
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass
class BatchStats:
    first: int
    last: int
    head: int
    events: int
    seconds: float
    backfill: bool
    range: int
    total_events: int = 0


class Reporter(Protocol):
    def waiting_for_lock(self) -> None: ...
    def started(self, first: int, head: int) -> None: ...
    def batch(self, stats: BatchStats) -> None: ...
    def node_down(self, message: str, retry_in: float) -> None: ...
    def node_back(self) -> None: ...
    def rolled_back(self, to_block: int) -> None: ...


class LogReporter:
    """Structured log lines (the default, and what the CLI uses once it follows the head)."""

    def waiting_for_lock(self) -> None:
        log.info("another indexer writes this mirror; waiting to take over", extra={"fields": {"event": "lock_wait"}})

    def started(self, first: int, head: int) -> None:
        log.info("indexing from block %d (head %d)", first, head, extra={"fields": {"event": "start", "from": first, "head": head}})

    def batch(self, s: BatchStats) -> None:
        log.info(
            "blocks %d-%d: %d events", s.first, s.last, s.events,
            extra={"fields": {"event": "batch", "from": s.first, "to": s.last, "head": s.head, "events": s.events, "ms": round(s.seconds * 1000, 1), "range": s.range}},
        )

    def node_down(self, message: str, retry_in: float) -> None:
        log.warning("%s; retrying in %.1f s", message, retry_in, extra={"fields": {"event": "node_down", "retry_in": retry_in}})

    def node_back(self) -> None:
        log.info("node answers again", extra={"fields": {"event": "node_back"}})

    def rolled_back(self, to_block: int) -> None:
        pass  # rollback.rewind logs it


@dataclass
class _Batch:
    headers: list[Header]
    events: list[LogEvent]


class _Fork(Exception):
    """The chain's block at the checkpoint height changed (or vanished)."""


class _Retry(Exception):
    """The chain moved under one batch's reads (new fork mid-read): read the range again."""


@dataclass
class Indexer:
    """Mirror the manifest's contracts from ``settings.rpc_url`` into the database at ``engine``."""

    settings: Settings
    manifest: Manifest
    engine: Engine
    reporter: Reporter = field(default_factory=LogReporter)
    initial_range: int = 100
    max_range: int = 50_000
    target_events: int = 10_000
    poll_interval: float = 0.1
    lock_ttl: float = DEFAULT_TTL
    max_backoff: float = 10.0
    prefetch: bool = True  # read the next range while writing this one (backfill)

    def __post_init__(self) -> None:
        self.rpc = Rpc(self.settings.rpc_url, timeout=self.settings.rpc_timeout, retries=1)
        self.decoder = LogDecoder(self.manifest)
        self.range = max(1, min(self.initial_range, self.max_range))
        self.final = self.settings.chain_profile == ChainProfile.qbft
        self.total_events = 0
        self.stop_event = threading.Event()
        self.lock: WriterLock | None = None
        self._cp: tuple[int, str] | None = None
        self._prefetch_rpc = Rpc(self.settings.rpc_url, timeout=self.settings.rpc_timeout, retries=1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirror-prefetch")
        self._prefetch: tuple[int, Future[_Batch]] | None = None
        self._since_checkpoint = 0

    # ------------------------------------------------------------------ public

    def run(self, *, once: bool = False) -> int:
        """Index until stopped (``stop()``), or with ``once`` until the head seen at start.

        Returns the last block mirrored.
        """
        mirror_db.upgrade(self.engine)
        self.lock = WriterLock(self.engine, ttl=self.lock_ttl)
        try:
            if not self.lock.acquire(on_wait=self.reporter.waiting_for_lock, stop=self.stop_event.is_set):
                return -1
            self._with_node(self._open)
            target = self._with_node(self._head) if once else None
            self.reporter.started(self._cp[0] + 1, target if target is not None else self._with_node(self._head))
            while not self.stop_event.is_set():
                progressed = self._with_node(lambda: self.step(until=target))
                if once and self._cp[0] >= target:  # type: ignore[operator]
                    break
                if not progressed:
                    self.lock.heartbeat()
                    self.stop_event.wait(self.poll_interval)
            return self._cp[0]
        finally:
            self._prefetch = None
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.lock.release()
            self.rpc.close()
            self._prefetch_rpc.close()

    def stop(self) -> None:
        self.stop_event.set()

    # ------------------------------------------------------------------ setup

    def _head(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def _open(self) -> None:
        """Check the node, the manifest and the mirror belong together; load or create the checkpoint."""
        chain_id = int(self.rpc.call("eth_chainId"), 16)
        genesis = self.rpc.call("eth_getBlockByNumber", ["0x0", False])["hash"]
        check_chain(self.manifest, chain_id=chain_id, genesis_hash=genesis, rpc_url=self.settings.rpc_url, path=self.settings.manifest_path)
        consortium = self.manifest.address("Consortium")
        conn = self.lock.conn  # type: ignore[union-attr]
        with conn.begin():
            cp = conn.execute(select(Checkpoint).where(Checkpoint.id == 1)).mappings().first()
            if cp is not None:
                if cp["chain_id"] != chain_id or cp["genesis_hash"] != genesis:
                    raise MirrorMismatch(
                        f"the mirror at {self.engine.url.render_as_string()} holds chain id {cp['chain_id']} "
                        f"(genesis {cp['genesis_hash'][:10]}…), not this node's chain id {chain_id} (genesis {genesis[:10]}…): "
                        "use another database for this chain"
                    )
                if cp["consortium_address"].lower() != consortium.lower() or cp["deploy_block"] != self.manifest.deploy_block:
                    raise MirrorMismatch(
                        f"the mirror holds the deployment with Consortium at {cp['consortium_address']} (block {cp['deploy_block']}), "
                        f"but the manifest names {consortium} (block {self.manifest.deploy_block}): use another database for this deployment"
                    )
                self._cp = (cp["block_number"], cp["block_hash"])
                return
            start = self.manifest.deploy_block - 1
            hdr = self._headers(start, start)[0]
            conn.execute(insert(Block).values(number=hdr.number, hash=hdr.hash, parent_hash=hdr.parent_hash, timestamp=hdr.timestamp))
            conn.execute(
                insert(Checkpoint).values(
                    id=1, chain_id=chain_id, genesis_hash=genesis, consortium_address=consortium, deploy_block=self.manifest.deploy_block,
                    block_number=hdr.number, block_hash=hdr.hash, updated_at=time.time(),
                )
            )
            self._cp = (hdr.number, hdr.hash)

    # ------------------------------------------------------------------ one turn

    def step(self, *, until: int | None = None) -> bool:
        """Mirror the next range, if the chain has one; handle a fork. True if anything moved."""
        cp_number, cp_hash = self._cp  # type: ignore[misc]
        head = self._head()
        if until is not None:
            head = min(head, until)
        if head <= cp_number:
            # Nothing new, but the chain may have gone back (evm_revert, anvil restarted older).
            blk = self.rpc.call("eth_getBlockByNumber", [hex(cp_number), False])
            if blk is None or blk["hash"] != cp_hash:
                self._fork()
                return True
            self._caught_up()
            return False
        first, last = cp_number + 1, min(head, cp_number + self.range)
        t0 = time.perf_counter()
        try:
            batch = self._take_prefetched(first) or self._read(first, last, self.rpc)
            if not batch.headers or batch.headers[0].parent_hash != cp_hash:
                raise _Fork()
        except _Fork:
            self._fork()
            return True
        except _Retry:
            return True
        nxt = batch.headers[-1].number + 1
        if self.prefetch and head >= nxt:  # backfilling: read the next range while this one is written
            self._prefetch = (nxt, self._pool.submit(self._read, nxt, min(head, nxt + self.range - 1), self._prefetch_rpc))
        self._write(batch, head)
        elapsed = time.perf_counter() - t0
        n = len(batch.events)
        self.total_events += n
        self._since_checkpoint += n
        self._adapt(len(batch.headers), n, elapsed)
        self.reporter.batch(
            BatchStats(first, batch.headers[-1].number, head, n, elapsed, backfill=head >= nxt, range=self.range, total_events=self.total_events)
        )
        return True

    def _take_prefetched(self, first: int) -> _Batch | None:
        if self._prefetch is None:
            return None
        at, fut = self._prefetch
        self._prefetch = None
        if at != first:
            return None  # the checkpoint moved (fork): that read is stale
        return fut.result()

    def _caught_up(self) -> None:
        """At the head after a burst: let SQLite fold its WAL back now rather than mid-follow."""
        if self._since_checkpoint >= 5_000 and self.engine.dialect.name == "sqlite":
            self.lock.conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
            self.lock.conn.commit()  # type: ignore[union-attr]
        self._since_checkpoint = 0

    def _adapt(self, blocks: int, events: int, seconds: float) -> None:
        """Aim at ``target_events`` per batch (bounded memory), at most doubling per step."""
        if seconds > 5.0:
            self.range = max(1, blocks // 2)
        elif events == 0:
            self.range = min(self.max_range, self.range * 2)
        else:
            ideal = max(1, blocks * self.target_events // events)
            self.range = max(1, min(self.max_range, ideal, self.range * 2))

    # ------------------------------------------------------------------ reads

    def _read(self, first: int, last: int, rpc: Rpc) -> _Batch:
        """Logs and headers of first..last (the caller checks the first parent hash)."""
        logs, last = self._logs(first, last, rpc)
        headers = self._headers(first, last, rpc)
        if not headers:
            raise _Fork()  # the chain is shorter than the head we saw
        last = headers[-1].number
        for prev, hdr in zip(headers, headers[1:]):
            if hdr.parent_hash != prev.hash:
                raise _Retry()  # the chain changed between two reads of this batch
        by_number = {h.number: h for h in headers}
        events = []
        for raw in logs:
            n = int(raw["blockNumber"], 16)
            if n > last:
                continue
            hdr = by_number[n]
            if raw["blockHash"] != hdr.hash:
                raise _Retry()
            events.append(self.decoder.decode(raw, hdr.timestamp))
        events.sort(key=lambda e: (e.block_number, e.log_index))
        return _Batch(headers, events)

    def _logs(self, first: int, last: int, rpc: Rpc) -> tuple[list[dict[str, Any]], int]:
        """``eth_getLogs`` for first..last, halving the range while the node refuses it; returns
        the logs and the last block they cover."""
        while True:
            last = min(last, first + self.range - 1)
            try:
                return rpc.call("eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(last), "address": self.decoder.addresses}]), last
            except RpcError as err:
                if self.range > 1 and any(w in err.message.lower() for w in TOO_LARGE):
                    self.range = max(1, (last - first + 1) // 2)
                    log.info("node refused %d blocks of logs (%s); range now %d", last - first + 1, err.message, self.range,
                             extra={"fields": {"event": "range_split", "range": self.range}})
                    continue
                raise
            except NodeUnreachable as exc:
                if self.range > 1 and "timed out" in str(exc):
                    self.range = max(1, (last - first + 1) // 2)
                    continue
                raise

    def _headers(self, first: int, last: int, rpc: Rpc | None = None) -> list[Header]:
        """Headers of first..last in order; stops at the first block the node does not have."""
        out: list[Header] = []
        numbers = range(first, last + 1)
        for start in range(0, len(numbers), HEADER_BATCH):
            part = numbers[start : start + HEADER_BATCH]
            for blk in (rpc or self.rpc).batch([("eth_getBlockByNumber", [hex(n), False]) for n in part]):
                if isinstance(blk, RpcError):
                    raise blk
                if blk is None:
                    return out
                out.append(Header(int(blk["number"], 16), blk["hash"], blk["parentHash"], int(blk["timestamp"], 16)))
        return out

    # ------------------------------------------------------------------ writes

    def _write(self, batch: _Batch, head: int) -> None:
        conn = self.lock.conn  # type: ignore[union-attr]
        last = batch.headers[-1]
        with conn.begin():
            self.lock.fence(conn)  # type: ignore[union-attr]
            events = unseen(conn, batch.events, batch.headers[0].number, last.number)
            db = Store(conn)
            apply(events, db)
            db.flush()
            write_raw(conn, events)
            write_entries(conn, events)  # chain data like the raw events: same rows, same transaction
            write_blocks(conn, batch.headers)
            conn.execute(
                Checkpoint.__table__.update().where(Checkpoint.id == 1).values(block_number=last.number, block_hash=last.hash, updated_at=time.time())
            )
        self._cp = (last.number, last.hash)

    def _fork(self) -> None:
        cp_number, cp_hash = self._cp  # type: ignore[misc]
        if self.final:
            raise ChainReorganized(
                f"the chain at {self.settings.rpc_url} no longer has block {cp_number} ({cp_hash[:12]}…) that the mirror holds; "
                "a QBFT chain is final, so the node or the mirror is not the one expected: stop and check the node "
                "(or rebuild the mirror in a fresh database)"
            )
        conn = self.lock.conn  # type: ignore[union-attr]
        with conn.begin():
            self.lock.fence(conn)  # type: ignore[union-attr]
            n, h = find_fork_point(conn, self.rpc, tip=cp_number, floor=self.manifest.deploy_block - 1)
            if n != cp_number:  # else: the chain still has our tip (a head seen moving back and forth)
                rewind(conn, to_block=n, to_hash=h)
        self._cp = (n, h)
        self.range = max(1, min(self.range, self.initial_range))
        self.reporter.rolled_back(n)

    # ------------------------------------------------------------------ node trouble

    def _with_node(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; while the node is unreachable, retry with backoff (and say so)."""
        delay, down = 0.5, False
        while True:
            try:
                out = fn()
                if down:
                    self.reporter.node_back()
                return out
            except NodeUnreachable as exc:
                down = True
                self.reporter.node_down(str(exc), delay)
                if self.lock is not None and self.lock.held:
                    self.lock.heartbeat()
                if self.stop_event.wait(delay):
                    raise
                delay = min(self.max_backoff, delay * 2)


def _dialect_insert(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def unseen(conn: Connection, events: list[LogEvent], first: int, last: int) -> list[LogEvent]:
    """The events not mirrored yet: idempotence on (block hash, log index), so a range read twice
    (a checkpoint set back by hand, an operator's replay) changes nothing."""
    if not events:
        return events
    seen = set(
        tuple(r) for r in
        conn.execute(select(RawEvent.block_hash, RawEvent.log_index).where(RawEvent.block_number.between(first, last))).all()
    )
    return [e for e in events if (e.block_hash, e.log_index) not in seen] if seen else events


def write_blocks(conn: Connection, headers: list[Header]) -> None:
    ins = _dialect_insert(conn)(Block)
    stmt = ins.on_conflict_do_update(index_elements=["number"], set_={c: ins.excluded[c] for c in ("hash", "parent_hash", "timestamp")})
    conn.execute(stmt, [{"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash, "timestamp": h.timestamp} for h in headers])


_RAW_COLS = ("block_hash", "log_index", "block_number", "tx_hash", "tx_index", "address", "contract", "event", "args", "topics", "data")


def write_raw(conn: Connection, events: list[LogEvent]) -> None:
    """Bulk-insert raw events (the caller filtered out those already mirrored, see ``unseen``).

    The driver's own bulk paths: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
    if not events:
        return
    dumps = json.dumps
    rows = [
        (e.block_hash, e.log_index, e.block_number, e.tx_hash, e.tx_index, e.address, e.contract, e.event,
         None if e.args is None else dumps(e.args), e.topics, e.data)
        for e in events
    ]
    mirror_db.bulk_insert(conn, "raw_events", _RAW_COLS, rows, sqlite_or_ignore=True)

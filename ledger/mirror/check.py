"""``mirror check``: is the mirror what the chain says?

1. Projections: rebuild them from the mirror's raw events in a scratch in-memory database and
   compare every row with the live projections (the live database is only read).
2. Payment entries: recompute ``payment_entries`` from the raw events (``ledger.mirror.entries``)
   and compare every row.
3. Raw events and blocks: read the logs of the mirrored range from the chain again and compare
   them (position, transaction, topics, data, decoded event and args) with ``raw_events``; and
   every mirrored block hash with the chain's.

Every difference names its table and row key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select

from ..manifest import Manifest
from ..rpc import Rpc, RpcError
from .decode import LogDecoder
from .entries import COLUMNS as ENTRY_COLUMNS, expected_entries
from .models import Base, Block, Checkpoint, PaymentEntry, RawEvent, projection_tables
from .rebuild import raw_events, replay
from .rollback import chain_hashes

LOG_RANGE = 5_000


@dataclass
class Difference:
    table: str
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table}[{self.key}]: {self.detail}"


def _key_text(pk: tuple[str, ...], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{n}={v}" for n, v in zip(pk, key))


def _rows(conn: Connection, table: Any) -> tuple[tuple[str, ...], dict[tuple[Any, ...], dict[str, Any]]]:
    pk = tuple(c.name for c in table.primary_key.columns)
    return pk, {tuple(r[n] for n in pk): dict(r) for r in conn.execute(select(table)).mappings()}


def compare_tables(name: str, pk: tuple[str, ...], live: dict, expected: dict, *, what: str = "rebuilt") -> list[Difference]:
    out = []
    for key in sorted(live.keys() | expected.keys(), key=lambda k: tuple(str(x) for x in k)):
        a, b = live.get(key), expected.get(key)
        if a is None:
            out.append(Difference(name, _key_text(pk, key), f"missing in the mirror ({what}: {b})"))
        elif b is None:
            out.append(Difference(name, _key_text(pk, key), f"in the mirror but not {what}: {a}"))
        else:
            for col in a:
                if a[col] != b.get(col):
                    out.append(Difference(name, _key_text(pk, key), f"{col} = {a[col]!r} in the mirror, {b.get(col)!r} {what}"))
    return out


def check_projections(conn: Connection) -> list[Difference]:
    scratch = create_engine("sqlite://")
    tables = projection_tables()
    Base.metadata.create_all(scratch, tables=tables)
    out: list[Difference] = []
    with scratch.begin() as dst:
        replay(conn, dst)
        for t in tables:
            pk, live = _rows(conn, t)
            _, rebuilt = _rows(dst, t)
            out += compare_tables(t.name, pk, live, rebuilt, what="rebuilt from raw events")
    scratch.dispose()
    return out


def check_entries(conn: Connection) -> list[Difference]:
    """``payment_entries`` against the entries the mirror's raw events call for."""
    pk, live = _rows(conn, PaymentEntry.__table__)
    expected = {row[:3]: dict(zip(ENTRY_COLUMNS, row)) for row in expected_entries(raw_events(conn))}
    return compare_tables(PaymentEntry.__tablename__, pk, live, expected, what="derived from the raw events")


def check_chain(conn: Connection, rpc: Rpc, manifest: Manifest, *, progress: Callable[[int, int], None] | None = None) -> list[Difference]:
    cp = conn.execute(select(Checkpoint).where(Checkpoint.id == 1)).mappings().first()
    if cp is None:
        return []
    decoder = LogDecoder(manifest)
    first, last = manifest.deploy_block, cp["block_number"]
    out: list[Difference] = []
    # blocks
    stored = dict(conn.execute(select(Block.number, Block.hash).where(Block.number >= first - 1)).all())
    for lo in range(first - 1, last + 1, 5_000):
        hi = min(last, lo + 4_999)
        for n, h in chain_hashes(rpc, lo, hi).items():
            if stored.get(n) != h:
                out.append(Difference("blocks", f"number={n}", f"hash {stored.get(n)} in the mirror, {h} on the chain"))
    # raw events
    cols = ("block_number", "tx_hash", "tx_index", "address", "contract", "event", "args", "topics", "data")
    step = LOG_RANGE
    lo = first
    while lo <= last:
        hi = min(last, lo + step - 1)
        try:
            logs = rpc.call("eth_getLogs", [{"fromBlock": hex(lo), "toBlock": hex(hi), "address": decoder.addresses}])
        except RpcError:
            if step == 1:
                raise
            step = max(1, step // 2)
            continue
        chain = {}
        for raw in logs:
            ev = decoder.decode(raw)
            chain[(ev.block_hash, ev.log_index)] = {c: getattr(ev, c) for c in cols}
        mirror = {
            (r["block_hash"], r["log_index"]): {c: r[c] for c in cols}
            for r in conn.execute(select(RawEvent).where(RawEvent.block_number.between(lo, hi))).mappings()
        }
        out += compare_tables("raw_events", ("block_hash", "log_index"), mirror, chain, what="on the chain")
        if progress:
            progress(hi - first + 1, last - first + 1)
        lo = hi + 1
    return out


def check(engine: Engine, rpc: Rpc, manifest: Manifest, *, progress: Callable[[int, int], None] | None = None) -> list[Difference]:
    """Every difference between the live mirror, its raw events and the chain (empty = consistent)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():  # one snapshot for all reads
            return check_projections(conn) + check_entries(conn) + check_chain(conn, rpc, manifest, progress=progress)

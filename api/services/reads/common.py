"""What every read shares: enum names, ISO times, opaque keyset cursors, the mirror's head block,
and raw events found through ``record_events`` (provenance and audit trails)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Executable, Integer, Select, Table, and_, bindparam, select, tuple_
from sqlalchemy.orm import DeclarativeBase, Session

from ledger.mirror.models import Block, Checkpoint, RawEvent, RecordEvent

from ...problems import Problem

ILL_STATUS = [
    "None", "RequestReceived", "ExpectToSupply", "WillSupply", "RetryPossible", "Unfilled", "Loaned", "Overdue",
    "Recalled", "Cancelled", "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted",
]
ILL_TERMINAL = {"RetryPossible", "Unfilled", "Cancelled", "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted"}
ILL_ACTION = ["Received", "Cancel", "Renew", "ShippedReturn", "ShippedForward", "Lost"]
SERVICE = ["Loan", "Copy"]
ITEM_KIND = ["Work", "Bibliographic"]
TERMS_KIND = ["PerpetualCopies", "PerLoanMetered", "Subscription"]


def name_of(table: list[str], v: Any) -> str:
    """The enum name of index ``v`` in ``table`` (the number as text if out of range)."""
    i = int(v)
    return table[i] if 0 <= i < len(table) else str(i)


#: 9999-12-31T23:59:59Z, the last second ``datetime`` can show
_ISO_MAX = 253402300799


def iso(ts: int | None) -> str | None:
    """Unix seconds as ISO 8601 UTC; 0 and None (no time) as None. ``time.gmtime`` + ``strftime``
    (~3x cheaper than a ``datetime``; a page of 50 loans formats ~150 times) inside the range
    where both give the same text; ``datetime`` (and its errors) outside it."""
    if ts is None or ts == 0:
        return None
    t = int(ts)
    if 0 < t <= _ISO_MAX:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: How long (seconds) a process reuses the mirror head it last read for ``as_of_block``. Reading
#: the one-row checkpoint costs a round trip and ~0.2 ms of CPU per request; the in-process
#: indexer polls the chain every 50 ms, so one read per 50 ms loses nothing. The value is a lower bound of what the answer reflects
#: (the indexer only moves forward), and this process's own writes raise it at once
#: (``remember_head``), so read-your-writes in one process never sees an older head.
HEAD_TTL_S = 0.05
_heads: dict[str, tuple[float, int]] = {}
_HEAD = select(Checkpoint.block_number).where(Checkpoint.id == 1)
_heads_lock = threading.Lock()


def _head_key(session: Session) -> str:
    return str(session.get_bind().url)


def remember_head(session: Session, head: int | None) -> None:
    """Note a mirror head just read elsewhere (e.g. a write waiting for its block)."""
    if head is None:
        return
    key, now = _head_key(session), time.monotonic()
    with _heads_lock:
        old = _heads.get(key)
        if old is None or head >= old[1]:
            _heads[key] = (now, head)


def as_of(session: Session) -> int:
    """The mirror's head block (0 before the first batch): every read returns it. Cached per
    process for ``HEAD_TTL_S`` (never goes backwards within a process)."""
    key, now = _head_key(session), time.monotonic()
    hit = _heads.get(key)
    if hit is not None and now - hit[0] < HEAD_TTL_S:
        return hit[1]
    head = core(session, _HEAD).scalar() or 0  # ``head_block`` without the ORM execution layer
    with _heads_lock:
        old = _heads.get(key)
        if old is not None and old[1] > head:  # another thread read a newer head meanwhile
            head = old[1]
        _heads[key] = (now, head)
    return head


def table(model: type[DeclarativeBase]) -> Table:
    """The Core table of a mapped class: hot reads select plain rows (attribute access like the
    ORM object, ~5x less CPU than loading ORM instances into the session)."""
    return model.__table__  # type: ignore[return-value]


def core(session: Session, stmt: Executable, params: dict[str, Any] | None = None) -> CursorResult[Any]:
    """Run a Core statement on the session's connection: the same transaction and rows as
    ``session.execute``, without the ORM execution layer (~1/4 of a small query's CPU).
    ``params``: values of the statement's named ``bindparam`` s (statements built once)."""
    return session.connection().execute(stmt, params)


def row_by_key(session: Session, model: type[DeclarativeBase], key: Any) -> Any:
    """The row of ``model`` with primary key ``key`` as a Core row (None if absent)."""
    t = table(model)
    (pk,) = t.primary_key.columns
    return core(session, select(t).where(pk == key)).first()


def not_found(kind: str, ident: Any, what: str | None = None) -> Problem:
    return Problem(404, "not-found", "Not found", f"no {what or kind} {ident} in the mirror", resource=kind, id=str(ident))


# ------------------------------------------------------------------------------ cursors


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, n: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != n:
            raise ValueError
        return parts
    except (ValueError, TypeError):
        raise Problem(422, "invalid-input", "Invalid input", "cursor: not a cursor this API gave out", errors=[{"field": "query.cursor", "message": "bad cursor"}]) from None


def cursor_ints(cursor: str | None, n: int) -> list[int] | None:
    """The ``n`` integer keys of a cursor this API gave out (None for the first page)."""
    pos = decode_cursor(cursor, n)
    if pos is None:
        return None
    try:
        return [int(p) for p in pos]
    except (ValueError, TypeError):
        raise Problem(422, "invalid-input", "Invalid input", "cursor: not a cursor this API gave out", errors=[{"field": "query.cursor", "message": "bad cursor"}]) from None


def keyset(session: Session, q: Select[Any], keys: Sequence[Any], *, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """One page of ``q``, newest first, on the (indexed, unique) integer ``keys``: the rows after
    ``cursor`` and the cursor of the next page (None on the last). Ids go in the cursor as text
    (they may exceed 2**53). ``q`` selects an ORM entity (objects) or a Core table (rows)."""
    q = keyset_query(q, keys, limit=limit, cursor=cursor)
    orm = len(q.column_descriptions) == 1 and isinstance(q.column_descriptions[0].get("expr"), type)
    return keyset_page(list(session.scalars(q)) if orm else core(session, q).all(), keys, limit=limit)


def keyset_query(q: Select[Any], keys: Sequence[Any], *, limit: int, cursor: str | None) -> Select[Any]:
    """``q`` restricted to the rows after ``cursor``, newest first on ``keys``, ``limit + 1`` rows
    (the extra one says whether a next page exists)."""
    pos = cursor_ints(cursor, len(keys))
    if pos is not None:
        bound = [bindparam(None, v, type_=k.type) for k, v in zip(keys, pos)]
        q = q.where(keys[0] < bound[0] if len(keys) == 1 else tuple_(*keys) < tuple_(*bound))
    return q.order_by(*(k.desc() for k in keys)).limit(limit + 1)


@cache
def keyset_statement(table_: Table, filters: tuple[str, ...], keys: tuple[str, ...], after: bool) -> Select[Any]:
    """``keyset_query`` built once per shape: rows of ``table_`` with ``column = :column`` for each
    of ``filters``, after ``(:k0, :k1, ...)`` on ``keys`` when ``after``, newest first, ``:lim``
    rows. Building a statement costs more CPU than running a short one by its index."""
    cols = [table_.c[k] for k in keys]
    q = select(table_).where(*(table_.c[f] == bindparam(f, type_=table_.c[f].type) for f in filters))
    if after:
        bound = [bindparam(f"k{i}", type_=c.type) for i, c in enumerate(cols)]
        q = q.where(cols[0] < bound[0] if len(cols) == 1 else tuple_(*cols) < tuple_(*bound))
    return q.order_by(*(c.desc() for c in cols)).limit(bindparam("lim", type_=Integer))


def keyset_by(session: Session, table_: Table, keys: tuple[str, ...], *, limit: int, cursor: str | None, **equal: Any) -> tuple[list[Any], str | None]:
    """``keyset`` of ``table_`` rows whose columns equal ``equal``'s values (None: no filter),
    by a statement built once per shape (``keyset_statement``)."""
    pos = cursor_ints(cursor, len(keys))
    filters = tuple(sorted(k for k, v in equal.items() if v is not None))
    params: dict[str, Any] = {f: equal[f] for f in filters}
    params["lim"] = limit + 1
    if pos is not None:
        params.update((f"k{i}", v) for i, v in enumerate(pos))
    rows = core(session, keyset_statement(table_, filters, keys, pos is not None), params).all()
    return keyset_page(rows, [table_.c[k] for k in keys], limit=limit)


def keyset_page(rows: list[Any], keys: Sequence[Any], *, limit: int) -> tuple[list[Any], str | None]:
    """The page among the ``limit + 1`` rows of ``keyset_query`` and the next page's cursor."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(*(str(getattr(last, k.key)) for k in keys))


# ------------------------------------------------------------------------------ raw events


def event_dict(ev: RawEvent, ts: int | None) -> dict[str, Any]:
    return {
        "contract": ev.contract, "event": ev.event, "args": ev.args or {}, "block_number": ev.block_number,
        "log_index": ev.log_index, "tx_hash": ev.tx_hash, "timestamp": ts,
    }


def trail_entry(e: dict[str, Any]) -> dict[str, Any]:
    """A raw event as the API's ``TrailEntry``."""
    return {
        "contract": e["contract"], "event": e["event"], "block_number": e["block_number"], "log_index": e["log_index"],
        "tx_hash": e["tx_hash"], "at": iso(e["timestamp"]), "args": e["args"],
    }


#: a record's events (``:kind``, ``:ident``) joined with their blocks' times, in chain order
RECORD_IDENT = bindparam("ident", type_=RecordEvent.record_id.type)
RECORD_EVENTS = (
    select(table(RawEvent), Block.timestamp)
    .join(RecordEvent, and_(RecordEvent.block_number == RawEvent.block_number, RecordEvent.log_index == RawEvent.log_index))
    .outerjoin(Block, Block.number == RawEvent.block_number)
    .where(RecordEvent.record_kind == bindparam("kind", type_=RecordEvent.record_kind.type), RecordEvent.record_id == RECORD_IDENT)
    .order_by(RecordEvent.block_number, RecordEvent.log_index)
)


def record_events(session: Session, kind: str, ident: int, *, where: Sequence[ColumnElement[bool]] = (), stmt: Select[Any] | None = None) -> list[dict[str, Any]]:
    """Every raw event that touched record ``kind``/``ident``, in chain order (via ``record_events``'
    primary key, then ``raw_events`` by block number and log index). ``stmt``: ``RECORD_EVENTS``
    with more conditions, built once by the caller (``where`` builds it per call)."""
    q = stmt if stmt is not None else (RECORD_EVENTS.where(*where) if where else RECORD_EVENTS)
    return [event_dict(r, r.timestamp) for r in core(session, q, {"kind": kind, "ident": int(ident)})]


def tx_events(session: Session, tx_hash: str) -> list[dict[str, Any]]:
    """Every libledger event of one transaction (``raw_events`` by its tx hash index)."""
    q = select(RawEvent, Block.timestamp).outerjoin(Block, Block.number == RawEvent.block_number).where(RawEvent.tx_hash == tx_hash)
    return [trail_entry(event_dict(ev, ts)) for ev, ts in session.execute(q.order_by(RawEvent.log_index))]

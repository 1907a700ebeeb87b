"""What every read shares: enum names, ISO times, opaque keyset cursors, the mirror's head block,
and raw events found through ``record_events`` (provenance and audit trails)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select, tuple_
from sqlalchemy.orm import Session

from ledger.mirror.db import head_block
from ledger.mirror.models import Block, RawEvent, RecordEvent

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


def iso(ts: int | None) -> str | None:
    """Unix seconds as ISO 8601 UTC; 0 and None (no time) as None."""
    if ts is None or ts == 0:
        return None
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_of(session: Session) -> int:
    """The mirror's head block (0 before the first batch): every read returns it."""
    return head_block(session) or 0


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
    (they may exceed 2**53)."""
    pos = cursor_ints(cursor, len(keys))
    if pos is not None:
        bound = [bindparam(None, v, type_=k.type) for k, v in zip(keys, pos)]
        q = q.where(keys[0] < bound[0] if len(keys) == 1 else tuple_(*keys) < tuple_(*bound))
    rows = list(session.scalars(q.order_by(*(k.desc() for k in keys)).limit(limit + 1)))
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


def record_events(session: Session, kind: str, ident: int, *, where: Sequence[ColumnElement[bool]] = ()) -> list[dict[str, Any]]:
    """Every raw event that touched record ``kind``/``ident``, in chain order (via ``record_events``'
    primary key, then ``raw_events`` by block number and log index)."""
    q = (
        select(RawEvent, Block.timestamp)
        .join(RecordEvent, and_(RecordEvent.block_number == RawEvent.block_number, RecordEvent.log_index == RawEvent.log_index))
        .outerjoin(Block, Block.number == RawEvent.block_number)
        .where(RecordEvent.record_kind == kind, RecordEvent.record_id == int(ident), *where)
        .order_by(RecordEvent.block_number, RecordEvent.log_index)
    )
    return [event_dict(ev, ts) for ev, ts in session.execute(q)]


def tx_events(session: Session, tx_hash: str) -> list[dict[str, Any]]:
    """Every libledger event of one transaction (``raw_events`` by its tx hash index)."""
    q = select(RawEvent, Block.timestamp).outerjoin(Block, Block.number == RawEvent.block_number).where(RawEvent.tx_hash == tx_hash)
    return [trail_entry(event_dict(ev, ts)) for ev, ts in session.execute(q.order_by(RawEvent.log_index))]

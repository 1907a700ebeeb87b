"""Projection handlers, keyed ``"Contract:Event"`` (Ponder-style), one module per contract.

A handler is a short function ``(event, db)`` that changes projection rows through the
``Store``. It must depend on nothing but the event (its JSON args, block number, timestamp,
log position) and the projections, so that replaying ``raw_events`` in order rebuilds exactly
the same rows: rollback and ``mirror check`` rely on it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..decode import LogEvent
from ..store import Store

Handler = Callable[[LogEvent, Store], None]

HANDLERS: dict[str, Handler] = {}


def on(*keys: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for each ``"Contract:Event"`` key."""

    def register(fn: Handler) -> Handler:
        for key in keys:
            if key in HANDLERS:
                raise RuntimeError(f"two handlers for {key}")
            HANDLERS[key] = fn
        return fn

    return register


def apply(events: list[LogEvent], db: Store) -> None:
    """Run the handler of every decoded event, in chain order, and note which records it touched."""
    handlers = HANDLERS
    for ev in events:
        if ev.event is not None:
            fn = handlers.get(f"{ev.contract}:{ev.event}")
            if fn is not None:
                fn(ev, db)
            record(ev, db)


from .records import record  # noqa: E402
from . import (  # noqa: E402,F401  (registration)
    attestations, clearing, common, consortium, credit, interlibrary_loan, lending, licensing, royalties, subsidy_pools, works,
)

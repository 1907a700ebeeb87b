"""Audit trails of any record: every raw event that touched it (``record_events``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ...problems import Problem
from .common import not_found, record_events, trail_entry
from .ill import ill_history
from .works import work_provenance

KINDS = ("work", "terms", "licence", "loan", "ill-request", "period")


def trail(session: Session, kind: str, ident: str) -> list[dict[str, Any]]:
    """The provenance trail of a record, in chain order, with block, tx and decoded args."""
    if kind not in KINDS:
        raise Problem(422, "invalid-input", "Invalid input", f"unknown record kind {kind!r}")
    try:
        key = int(ident)
    except ValueError:
        raise not_found(kind, ident) from None
    if kind == "work":
        return work_provenance(session, key)
    if kind == "ill-request":
        return ill_history(session, key)
    events = record_events(session, kind, key)
    if not events:
        raise not_found(kind, ident)
    return [trail_entry(e) for e in events]

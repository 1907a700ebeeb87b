"""Licence terms and the terms offered per work, from ``licence_terms`` / ``work_offers``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.mirror.models import LicenceTerms, WorkOffer

from .common import keyset, not_found


def _territory(code: str | None) -> str | None:
    if not code or int(code, 16) == 0:
        return None
    return bytes.fromhex(code[2:]).decode("ascii", "replace")


def terms_dict(t: LicenceTerms) -> dict[str, Any]:
    """Terms as the API shows them (price in fen, periods in seconds)."""
    return {
        "id": t.terms_id, "terms_hash": t.terms_hash, "publisher": t.publisher, "kind": t.kind, "price": t.price, "copies": t.copies,
        "loan_period_seconds": t.loan_period, "max_loans_per_copy": t.max_loans_per_copy, "duration_seconds": t.duration,
        "territory": _territory(t.territory), "ill_allowed": t.ill_allowed, "fee_bps": t.fee_bps, "legal_text_hash": t.legal_text_hash,
        "legal_text_uri": t.legal_text_uri, "published_block": t.block_number, "published_tx": t.published_tx or "",
    }


def get_terms(session: Session, terms_id: int) -> dict[str, Any]:
    t = session.get(LicenceTerms, int(terms_id))
    if t is None:
        raise not_found("terms", terms_id, "licence terms")
    return terms_dict(t)


def list_terms(session: Session, *, limit: int, cursor: str | None, publisher: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Terms newest first (keyset on terms id), optionally of one publisher."""
    q = select(LicenceTerms)
    if publisher:
        q = q.where(LicenceTerms.publisher == publisher)
    rows, nxt = keyset(session, q, [LicenceTerms.terms_id], limit=limit, cursor=cursor)
    return [terms_dict(t) for t in rows], nxt


def offers_of_work(session: Session, work_id: int) -> list[dict[str, Any]]:
    """The terms attached to a work, in the order they were attached, each with its terms."""
    q = (
        select(WorkOffer, LicenceTerms)
        .join(LicenceTerms, LicenceTerms.terms_id == WorkOffer.terms_id)
        .where(WorkOffer.work_id == int(work_id))
        .order_by(WorkOffer.offer_id, WorkOffer.terms_id)
    )
    return [
        {
            "work_id": o.work_id, "terms_id": o.terms_id, "offer_id": o.offer_id, "enabled": o.enabled,
            "attached_block": o.attached_block if o.attached_block is not None else o.block_number, "terms": terms_dict(t),
        }
        for o, t in session.execute(q)
    ]

"""Works from the ``works`` / ``work_payees`` / ``disputes`` projections; provenance from
``record_events``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from ledger.mirror.models import Dispute, Work, WorkPayee

from .common import core, iso, keyset, not_found, record_events, table, trail_entry


#: payees of a page of works (built once: an ``IN`` of 50 literal values cost more CPU to build than to run)
_PAYEES_OF = (
    select(WorkPayee.work_id, WorkPayee.payee, WorkPayee.bps)
    .where(WorkPayee.work_id.in_(bindparam("ids", expanding=True)))
    .order_by(WorkPayee.work_id, WorkPayee.position)
)


def _dicts(session: Session, works: list[Any], payees: dict[int, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """API dicts of work rows; their payees are read unless given (work id -> payees in order)."""
    if not works:
        return []
    ids = [w.work_id for w in works]
    if payees is None:
        payees = {}
        for p in core(session, _PAYEES_OF, {"ids": ids}):
            payees.setdefault(p.work_id, []).append({"account": p.payee, "bps": p.bps})
    disputed = [w.last_dispute_id for w in works if w.status == "Disputed" and w.last_dispute_id]
    open_disputes = {
        d.work_id: {"id": d.dispute_id, "claimant": d.claimant, "respond_by": iso(d.respond_by), "evidence_uri": d.evidence_uri}
        for d in (session.scalars(select(Dispute).where(Dispute.dispute_id.in_(disputed), Dispute.status == "Open")) if disputed else [])
    }
    return [
        {
            "id": w.work_id, "content_hash": w.content_hash, "iscc": w.iscc_code, "holder": w.holder, "metadata_uri": w.metadata_uri,
            "status": w.status, "payees": payees.get(w.work_id, []), "registered_at": iso(w.registered_at),
            "registered_block": w.registered_block, "registered_tx": w.registered_tx, "open_dispute": open_disputes.get(w.work_id),
        }
        for w in works
    ]


def get_work(session: Session, work_id: int) -> dict[str, Any]:
    """One work (404 if the mirror has none): the work and its payees in one statement."""
    q = (
        select(table(Work), WorkPayee.payee.label("payee_account"), WorkPayee.bps.label("payee_bps"))
        .outerjoin(WorkPayee, WorkPayee.work_id == Work.work_id)
        .where(Work.work_id == int(work_id))
        .order_by(WorkPayee.position)
    )
    rows = core(session, q).all()
    if not rows:
        raise not_found("work", work_id)
    payees = [{"account": r.payee_account, "bps": r.payee_bps} for r in rows if r.payee_account is not None]
    return _dicts(session, [rows[0]], {rows[0].work_id: payees})[0]


def works_by_ids(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """The works of ``ids`` that exist, in the order given."""
    if not ids:
        return []
    found = {w.work_id: w for w in core(session, select(table(Work)).where(Work.work_id.in_([int(i) for i in ids])))}
    return _dicts(session, [found[int(i)] for i in ids if int(i) in found])


def list_works(
    session: Session, *, limit: int, cursor: str | None, holder: str | None = None, content_hash: str | None = None,
    iscc: str | None = None, work_ids: list[int] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Works newest first (keyset on work id), by holder, content hash, ISCC prefix or ids."""
    q = select(table(Work))
    if holder:
        q = q.where(Work.holder == holder)
    if content_hash:
        q = q.where(Work.content_hash == content_hash.lower())
    if iscc:
        q = q.where(Work.iscc_code.like(iscc.lower() + "%"))
    if work_ids is not None:
        if not work_ids:
            return [], None
        q = q.where(Work.work_id.in_([int(i) for i in work_ids]))
    rows, nxt = keyset(session, q, [Work.work_id], limit=limit, cursor=cursor)
    return _dicts(session, rows), nxt


def work_provenance(session: Session, work_id: int) -> list[dict[str, Any]]:
    """Everything that happened to a work: registry events, offers, licences, royalties, and
    auditors' reports about it, in chain order."""
    known = exists().where(Work.work_id == int(work_id))
    events = record_events(session, "work", work_id, where=[known])  # one statement when the work exists
    if not events and not core(session, select(known)).scalar():
        raise not_found("work", work_id)
    return [trail_entry(e) for e in events]

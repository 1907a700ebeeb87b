"""Works from the ``works`` / ``work_payees`` / ``disputes`` projections; provenance from
``record_events``."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, cast, exists, select
from sqlalchemy.orm import Session

from ledger.mirror.models import Dispute, Work, WorkPayee

from ...models import WorkCatalogue
from .common import RECORD_EVENTS, RECORD_IDENT, core, cursor_ints, iso, keyset, keyset_page, not_found, record_events, table, trail_entry


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


_WORK = (
    select(table(Work), WorkPayee.payee.label("payee_account"), WorkPayee.bps.label("payee_bps"))
    .outerjoin(WorkPayee, WorkPayee.work_id == Work.work_id)
    .where(Work.work_id == bindparam("work_id", type_=Work.work_id.type))
    .order_by(WorkPayee.position)
)
#: the catalogue's key is a BIGINT: compare as one so its primary key index serves
_WORK_TITLED = _WORK.add_columns(WorkCatalogue.title).outerjoin(WorkCatalogue, WorkCatalogue.work_id == cast(Work.work_id, BigInteger))


def get_work(session: Session, work_id: int, *, titles: bool = False) -> dict[str, Any]:
    """One work (404 if the mirror has none): the work and its payees (and its catalogue
    ``title`` when ``titles``) in one statement."""
    rows = core(session, _WORK_TITLED if titles else _WORK, {"work_id": int(work_id)}).all()
    if not rows:
        raise not_found("work", work_id)
    payees = [{"account": r.payee_account, "bps": r.payee_bps} for r in rows if r.payee_account is not None]
    found = _dicts(session, [rows[0]], {rows[0].work_id: payees})[0]
    return dict(found, title=rows[0].title) if titles else found


def works_by_ids(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """The works of ``ids`` that exist, in the order given."""
    if not ids:
        return []
    found = {w.work_id: w for w in core(session, select(table(Work)).where(Work.work_id.in_([int(i) for i in ids])))}
    return _dicts(session, [found[int(i)] for i in ids if int(i) in found])


def list_works(
    session: Session, *, limit: int, cursor: str | None, holder: str | None = None, content_hash: str | None = None,
    iscc: str | None = None, work_ids: list[int] | None = None, titles: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """Works newest first (keyset on work id), by holder, content hash, ISCC prefix or ids; with
    their catalogue titles (``title``) when ``titles``. Without ``work_ids``: one statement (the
    page, its payees and titles joined), built once per combination of filters."""
    if work_ids is not None:
        if not work_ids:
            return [], None
        q = select(table(Work)).where(Work.work_id.in_([int(i) for i in work_ids]))
        if holder:
            q = q.where(Work.holder == holder)
        if content_hash:
            q = q.where(Work.content_hash == content_hash.lower())
        if iscc:
            q = q.where(Work.iscc_code.like(iscc.lower() + "%"))
        rows, nxt = keyset(session, q, [Work.work_id], limit=limit, cursor=cursor)
        found = _dicts(session, rows)
        return (with_titles(session, found) if titles else found), nxt
    pos = cursor_ints(cursor, 1)
    params = {"holder": holder, "content_hash": content_hash.lower() if content_hash else None, "iscc": iscc.lower() + "%" if iscc else None,
              "k0": pos[0] if pos else None, "lim": limit + 1}
    works: list[Any] = []
    payees: dict[int, list[dict[str, Any]]] = {}
    title_of: dict[int, str | None] = {}
    for r in core(session, _works_page(bool(holder), bool(content_hash), bool(iscc), pos is not None, titles), params).all():
        if not works or works[-1].work_id != r.work_id:
            works.append(r)
            payees[r.work_id] = []
            title_of[r.work_id] = r.title if titles else None
        if r.payee_account is not None:
            payees[r.work_id].append({"account": r.payee_account, "bps": r.payee_bps})
    page, nxt = keyset_page(works, [Work.work_id], limit=limit)
    found = _dicts(session, page, payees)
    return ([dict(w, title=title_of[w["id"]]) for w in found] if titles else found), nxt


@cache
def _works_page(holder: bool, content_hash: bool, iscc: bool, after: bool, titles: bool) -> Any:
    """``limit + 1`` works newest first (``:lim``), after ``:k0`` when ``after``, filtered by
    ``:holder`` / ``:content_hash`` / ``:iscc`` (a LIKE prefix), each row joined with its payees
    in position order (one row per payee; works without payees once) and, when ``titles``, its
    catalogue title."""
    q = select(table(Work))
    if holder:
        q = q.where(Work.holder == bindparam("holder", type_=Work.holder.type))
    if content_hash:
        q = q.where(Work.content_hash == bindparam("content_hash", type_=Work.content_hash.type))
    if iscc:
        q = q.where(Work.iscc_code.like(bindparam("iscc", type_=Work.iscc_code.type)))
    if after:
        q = q.where(Work.work_id < bindparam("k0", type_=Work.work_id.type))
    page = q.order_by(Work.work_id.desc()).limit(bindparam("lim", type_=Integer)).subquery("page")
    cols = [page, WorkPayee.payee.label("payee_account"), WorkPayee.bps.label("payee_bps")]
    stmt = select(*cols).outerjoin(WorkPayee, WorkPayee.work_id == page.c.work_id)
    if titles:  # the catalogue's key is a BIGINT: compare as one so its primary key index serves
        stmt = stmt.add_columns(WorkCatalogue.title).outerjoin(WorkCatalogue, WorkCatalogue.work_id == cast(page.c.work_id, BigInteger))
    return stmt.order_by(page.c.work_id.desc(), WorkPayee.position)


_TITLES_OF = select(WorkCatalogue.work_id, WorkCatalogue.title).where(WorkCatalogue.work_id.in_(bindparam("ids", expanding=True)))


def with_titles(session: Session, works: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The works with their catalogue titles (``title``; the service's own table, None if absent)."""
    ids = [w["id"] for w in works]
    titles = dict(core(session, _TITLES_OF, {"ids": ids}).all()) if ids else {}
    return [dict(w, title=titles.get(w["id"])) for w in works]


_WORK_KNOWN = exists().where(Work.work_id == RECORD_IDENT)
_WORK_EVENTS = RECORD_EVENTS.where(_WORK_KNOWN)
_WORK_EXISTS = select(_WORK_KNOWN)


def work_provenance(session: Session, work_id: int) -> list[dict[str, Any]]:
    """Everything that happened to a work: registry events, offers, licences, royalties, and
    auditors' reports about it, in chain order."""
    events = record_events(session, "work", work_id, stmt=_WORK_EVENTS)  # one statement when the work exists
    if not events and not core(session, _WORK_EXISTS, {"ident": int(work_id)}).scalar():
        raise not_found("work", work_id)
    return [trail_entry(e) for e in events]

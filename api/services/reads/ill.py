"""ILL requests from ``ill_requests``; their history from ``record_events`` (InterlibraryLoan
messages and Clearing charges); forwarded requests from ``ill_transitions``."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, select, tuple_, union_all
from sqlalchemy.orm import Session

from ledger.mirror.models import IllRequest, IllTransition

from ...problems import Problem
from .common import ILL_ACTION, ILL_STATUS, core, cursor_ints, iso, keyset_by, keyset_page, name_of, not_found, record_events, row_by_key, table, trail_entry

_KEYS = [IllRequest.requested_block, IllRequest.request_id]


def ill_dict(r: Any) -> dict[str, Any]:
    """An ISO 18626 request as the API shows it (id as text: 96-bit; money in fen)."""
    return {
        "id": str(r.request_id), "requester": r.requester, "supplier": r.supplier, "borrower": r.borrower, "own_id": r.own_id,
        "service": r.service, "item_kind": r.item_kind, "item": r.item, "max_cost": r.max_cost, "need_before": iso(r.need_before),
        "retry_of": str(r.retry_of) if r.retry_of else None, "licence_id": r.licence_id or None, "status": r.status,
        "due_date": iso(r.due_date), "cancel_pending": r.cancel_pending, "renew_pending": r.renew_pending, "received": r.received,
        "return_shipped": r.return_shipped, "lost_reported": r.lost_reported, "found": r.found, "lending_charged": r.lending_charged,
        "lending_refunded": r.lending_refunded, "replacement_charged": r.replacement_charged, "replacement_refunded": r.replacement_refunded,
        "requested_at": iso(r.requested_at), "requested_block": r.requested_block, "requested_tx": r.requested_tx or "",
        "updated_block": r.block_number,
    }


def _request_id(request_id: str | int) -> int:
    try:
        return int(request_id)
    except (TypeError, ValueError):
        raise Problem(404, "not-found", "Not found", f"no ILL request {request_id} in the mirror", resource="ill-request", id=str(request_id)) from None


def get_ill(session: Session, request_id: str | int) -> dict[str, Any]:
    r = row_by_key(session, IllRequest, _request_id(request_id))
    if r is None:
        raise not_found("ill-request", request_id, "ILL request")
    return ill_dict(r)


def ill_history(session: Session, request_id: str | int) -> list[dict[str, Any]]:
    """Every message and charge of one request, in chain order, with status/action names."""
    events = record_events(session, "ill-request", _request_id(request_id))
    if not events:
        raise not_found("ill-request", request_id, "ILL request")
    out = []
    for e in events:
        t = trail_entry(e)
        a = e["args"]
        if e["event"] in ("StatusChanged", "StatusUpdateIgnored"):
            t["summary"] = {k: name_of(ILL_STATUS, a[k]) for k in ("from", "to", "current", "proposed") if k in a}
        elif e["event"] in ("ActionRecorded", "ActionIgnored"):
            t["summary"] = {"action": name_of(ILL_ACTION, a["action"]), "status": name_of(ILL_STATUS, a["status"])}
        out.append(t)
    return out


def list_ill(
    session: Session, *, limit: int, cursor: str | None, requester: str | None = None, supplier: str | None = None, party: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Requests newest first (keyset on requested block + id), by requester, supplier, or either
    (``party``: two index range scans in one UNION ALL statement; not an OR over the table)."""
    if not party:
        rows, nxt = keyset_by(session, table(IllRequest), ("requested_block", "request_id"), limit=limit, cursor=cursor,
                              requester=requester or None, supplier=supplier or None)
        return [ill_dict(r) for r in rows], nxt
    pos = cursor_ints(cursor, len(_KEYS))
    params = {"party": party, "requester": requester, "supplier": supplier, "lim": limit + 1}
    if pos is not None:
        params.update(k0=pos[0], k1=pos[1])
    rows = core(session, _party_union(bool(requester), bool(supplier), pos is not None), params).all()
    page, nxt = keyset_page(rows, _KEYS, limit=limit)
    return [ill_dict(r) for r in page], nxt


@cache
def _party_union(requester: bool, supplier: bool, after: bool) -> Any:
    """The two index range scans of a party's requests (as requester; as supplier of another
    requester), ``:lim`` rows each, after ``(:k0, :k1)`` when ``after``, in one UNION ALL whose
    newest ``:lim`` rows the database picks (its own order of ids: SQLite keeps ids beyond 64
    bits as TEXT, after every INTEGER). Built once per shape and run with bound values: building
    the subqueries anew took more CPU than running them."""
    acct = IllRequest.requester.type
    q = select(table(IllRequest))
    if requester:
        q = q.where(IllRequest.requester == bindparam("requester", type_=acct))
    if supplier:
        q = q.where(IllRequest.supplier == bindparam("supplier", type_=acct))
    party = bindparam("party", type_=acct)
    lim = bindparam("lim", type_=Integer)
    sides = []
    for cond in ([IllRequest.requester == party], [IllRequest.supplier == party, IllRequest.requester != party]):
        s = q.where(*cond)
        if after:
            s = s.where(tuple_(*_KEYS) < tuple_(bindparam("k0", type_=_KEYS[0].type), bindparam("k1", type_=_KEYS[1].type)))
        sides.append(s.order_by(*(k.desc() for k in _KEYS)).limit(lim).subquery())
    both = union_all(*(select(sq) for sq in sides)).subquery("both_sides")
    return select(both).order_by(both.c.requested_block.desc(), both.c.request_id.desc()).limit(lim)


def ill_forwarded_to(session: Session, account: str) -> list[str]:
    """Ids of requests ever forwarded to ``account`` (``ShippedForward``), oldest first."""
    q = (
        select(IllTransition.request_id)
        .where(IllTransition.forward_to == account, IllTransition.action == "ShippedForward")
        .order_by(IllTransition.block_number, IllTransition.log_index)
    )
    return [str(i) for i in dict.fromkeys(session.scalars(q))]

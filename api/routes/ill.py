"""``/ill/requests``: interlibrary loans (ISO 18626): create, supplier statuses, requester actions, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from ..deps import Actor, CurrentMember, RuntimeDep, SessionDep
from ..problems import Problem
from ..schemas import (
    CancelAnswerIn, FoundIn, IllActionIn, IllCreate, IllRequestPublic, IllStatusIn, Item, Page, RefundIn, RenewAnswerIn,
    TrailEntry, WriteResult, public,
)
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, item_json, json_response, page_json, write_result

router = APIRouter(prefix="/ill/requests", tags=["interlibrary loan"])
RequestIdPath = Path(pattern=r"^[0-9]{1,78}$", description="ILL request id (decimal)")


def _read(request_id: str):  # noqa: ANN202
    return lambda s: public(IllRequestPublic, reads.get_ill(s, request_id))


def _updated(rt: Any, response: Response, w: Any, request_id: str) -> Any:
    """The write's result with the request as the mirror now has it."""
    return write_result(rt, response, w, ident=request_id, created=False, read=_read(request_id))


@router.post("", status_code=201, response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Request an item from another library (library)")
def create(body: IllCreate, rt: RuntimeDep, session: SessionDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    if (body.work_id is None) == (body.bibliographic_key is None):
        raise Problem(422, "invalid-input", "Invalid input", "give exactly one of work_id and bibliographic_key", errors=[{"field": "body.work_id", "message": "work_id or bibliographic_key"}])
    w, rid = writes.request_ill(
        rt=rt, actor=me, supplier=account_of(session, body.supplier), own_id=body.own_id, service=body.service, work_id=body.work_id,
        bibliographic_key=body.bibliographic_key, max_cost=body.max_cost, need_before=body.need_before or 0, retry_of=body.retry_of,
        licence_id=body.licence_id, wait=wait,
    )
    return write_result(rt, response, w, ident=rid, read=_read(rid))


def requests_json(session: Session, me: Actor, *, limit: int, cursor: str | None, requester: str | None = None, supplier: str | None = None,
                  party: str | None = None) -> bytes:
    """The answer of ``GET /ill/requests`` (its parameters validated), as JSON bytes; shared with
    ``api.fastpath``. ``'me'`` for any party is the caller."""

    def acct(x: str | None) -> str | None:
        return None if x is None else (me.account if x == "me" else account_of(session, x))

    items, nxt = reads.list_ill(session, limit=limit, cursor=cursor, requester=acct(requester), supplier=acct(supplier), party=acct(party))
    return page_json(IllRequestPublic, items, next_cursor=nxt, as_of_block=reads.as_of(session))


def request_json(session: Session, request_id: str) -> bytes:
    """The answer of ``GET /ill/requests/{request_id}`` as JSON bytes (404 problem if unknown)."""
    return item_json(IllRequestPublic, reads.get_ill(session, request_id), as_of_block=reads.as_of(session))


@router.get("", response_model=Page[IllRequestPublic], summary="List ILL requests (by requester, supplier, or either)")
def list_requests(session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None,
                  requester: str | None = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
                  supplier: str | None = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
                  party: str | None = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="ISIL on either side; 'me' for the caller")) -> Any:
    return json_response(requests_json(session, me, limit=limit, cursor=cursor, requester=requester, supplier=supplier, party=party))


@router.get("/{request_id}", response_model=Item[IllRequestPublic], summary="One ILL request (current status)")
def get_request(session: SessionDep, me: CurrentMember, request_id: str = RequestIdPath) -> Any:
    return json_response(request_json(session, request_id))


@router.get("/{request_id}/package", summary="Digital ILL: the package for the borrowing library (work key sealed to its X25519 key, signed loan stamp)",
            responses={200: {"content": {"application/json": {}}, "description": "a libledger loan package (`libledger open`)"}})
def package(rt: RuntimeDep, me: CurrentMember, request_id: str = RequestIdPath) -> Any:
    from ..services.delivery import loan_package

    return Response(loan_package(rt, me, kind="ill", loan_id=int(request_id)), media_type="application/json")


@router.get("/{request_id}/history", response_model=Page[TrailEntry], summary="Every status change, action and charge of the request")
def history(session: SessionDep, me: CurrentMember, request_id: str = RequestIdPath) -> Any:
    return Page(items=[TrailEntry(**t) for t in reads.ill_history(session, request_id)], next_cursor=None, as_of_block=reads.as_of(session))


@router.post("/{request_id}/status", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Supplier: move the request to a new ISO 18626 status")
def update_status(body: IllStatusIn, rt: RuntimeDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    w = writes.ill_update_status(rt=rt, actor=me, request_id=request_id, status=body.status, reason_code=body.reason_code, due_date=body.due_date or 0, charge=body.charge, wait=wait)
    return _updated(rt, response, w, request_id)


@router.post("/{request_id}/actions", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Requester (or current borrower): Received, Cancel, Renew, ShippedReturn, ShippedForward, Lost")
def act(body: IllActionIn, rt: RuntimeDep, session: SessionDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    if (body.action == "ShippedForward") != (body.forward_to is not None):
        raise Problem(422, "invalid-input", "Invalid input", "forward_to is required for ShippedForward and only for it", errors=[{"field": "body.forward_to", "message": "only with ShippedForward"}])
    fwd = account_of(session, body.forward_to) if body.forward_to else None
    w = writes.ill_act(rt=rt, actor=me, request_id=request_id, action=body.action, forward_to=fwd, wait=wait)
    return _updated(rt, response, w, request_id)


@router.post("/{request_id}/cancel-answer", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Supplier: accept or refuse a pending cancel")
def answer_cancel(body: CancelAnswerIn, rt: RuntimeDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    w = writes.ill_answer_cancel(rt=rt, actor=me, request_id=request_id, accept=body.accept, wait=wait)
    return _updated(rt, response, w, request_id)


@router.post("/{request_id}/renew-answer", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Supplier: grant a renewal (new due date) or refuse it")
def answer_renew(body: RenewAnswerIn, rt: RuntimeDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    w = writes.ill_answer_renew(rt=rt, actor=me, request_id=request_id, new_due_date=body.due_date, wait=wait)
    return _updated(rt, response, w, request_id)


@router.post("/{request_id}/overdue", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Anyone: mark a loan past its due date Overdue")
def overdue(rt: RuntimeDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    w = writes.ill_mark_overdue(rt=rt, actor=me, request_id=request_id, wait=wait)
    return _updated(rt, response, w, request_id)


@router.post("/{request_id}/refunds", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Supplier: refund (part of) the lending charge (compensating entry)")
def refund(body: RefundIn, rt: RuntimeDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    w = writes.ill_refund(rt=rt, actor=me, request_id=request_id, amount=body.amount, wait=wait)
    return _updated(rt, response, w, request_id)


@router.post("/{request_id}/found", response_model=WriteResult[IllRequestPublic], responses=WRITE_RESPONSES, summary="Supplier: a lost item was found (optional refund of the replacement charge)")
def found(body: FoundIn, rt: RuntimeDep, me: CurrentMember, response: Response, request_id: str = RequestIdPath, wait: Wait = True) -> Any:
    w = writes.ill_record_found(rt=rt, actor=me, request_id=request_id, refund=body.refund, wait=wait)
    return _updated(rt, response, w, request_id)

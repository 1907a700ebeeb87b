"""``/licences``: acquire (library), list, get, usage; renew subscriptions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response

from ..deps import CurrentMember, RuntimeDep, SessionDep
from ..schemas import Item, LicenceCreate, LicencePublic, LicenceUsage, LoanPublic, Page, WriteResult, public
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, write_result

router = APIRouter(prefix="/licences", tags=["licences"])
LicenceIdPath = Path(ge=1, le=2**40 - 1, description="licence id")
MemberQ = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="ISIL of the holder; 'me' for the caller")


@router.post("", status_code=201, response_model=WriteResult[LicencePublic], responses=WRITE_RESPONSES, summary="Acquire a licence (library); pays price x copies through the 70/30 split")
def acquire(body: LicenceCreate, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w, lid = writes.acquire_licence(rt=rt, actor=me, work_id=body.work_id, terms_id=body.terms_id, copies=body.copies, pool_id=body.pool_id, wait=wait)
    return write_result(rt, response, w, ident=lid, read=(lambda s: public(LicencePublic, reads.get_licence(s, lid))) if lid else None)


@router.get("", response_model=Page[LicencePublic], summary="List licences (by holder, by work)")
def list_licences(session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None, holder: str | None = MemberQ,
                  work_id: int | None = Query(None, ge=1, le=2**40 - 1)) -> Any:
    acct = me.account if holder == "me" else (account_of(session, holder) if holder else None)
    items, nxt = reads.list_licences(session, limit=limit, cursor=cursor, holder=acct, work_id=work_id)
    return Page(items=[public(LicencePublic, x) for x in items], next_cursor=nxt, as_of_block=reads.as_of(session))


@router.get("/{licence_id}", response_model=Item[LicencePublic], summary="One licence")
def get_licence(session: SessionDep, me: CurrentMember, licence_id: int = LicenceIdPath) -> Any:
    return Item(data=public(LicencePublic, reads.get_licence(session, licence_id)), as_of_block=reads.as_of(session))


@router.get("/{licence_id}/usage", response_model=LicenceUsage, summary="Copies in use and the loans made under a licence")
def usage(session: SessionDep, me: CurrentMember, licence_id: int = LicenceIdPath, limit: Limit = 50, cursor: Cursor = None) -> Any:
    lic = public(LicencePublic, reads.get_licence(session, licence_id))
    loans, nxt = reads.list_loans(session, limit=limit, cursor=cursor, licence_id=licence_id)
    return LicenceUsage(licence=lic, loans=[public(LoanPublic, x) for x in loans], next_cursor=nxt, as_of_block=reads.as_of(session))


@router.post("/{licence_id}/renew", response_model=WriteResult[LicencePublic], responses=WRITE_RESPONSES, summary="Renew a subscription licence (its holder)")
def renew(rt: RuntimeDep, me: CurrentMember, response: Response, licence_id: int = LicenceIdPath, wait: Wait = True) -> Any:
    w = writes.renew_licence(rt=rt, actor=me, licence_id=licence_id, wait=wait)
    return write_result(rt, response, w, ident=licence_id, created=False, read=lambda s: public(LicencePublic, reads.get_licence(s, licence_id)))

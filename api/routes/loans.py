"""``/loans``: digital lending within one library: checkout, checkin, expire, list, get."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from ..deps import Actor, CurrentMember, RuntimeDep, SessionDep
from ..schemas import Item, LoanCreate, LoanPublic, LoanReservation, LoanReserveIn, Page, WriteResult, public
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, json_response, page_json, write_result

router = APIRouter(prefix="/loans", tags=["loans"])
LoanIdPath = Path(ge=1, le=2**40 - 1, description="loan id")


@router.post("", status_code=201, response_model=WriteResult[LoanPublic], responses=WRITE_RESPONSES, summary="Check out a digital copy (library holding the licence)")
def checkout(body: LoanCreate, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w, loan_id = writes.checkout(rt=rt, actor=me, licence_id=body.licence_id, ref=bytes.fromhex(body.ref[2:]) if body.ref else None, wait=wait)
    return write_result(rt, response, w, ident=loan_id, read=(lambda s: public(LoanPublic, reads.get_loan(s, loan_id))) if loan_id else None)


@router.post("/reserve", response_model=WriteResult[LoanReservation], responses=WRITE_RESPONSES,
             summary="Prepay the storage of the next loan groups so every checkout stays cheap (library)")
def reserve(body: LoanReserveIn, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    """Writes a placeholder into the next GROUPS loan-group slots (three loans each): ~22k gas per
    group now, and the checkout that completes each group then costs ~17k gas less."""
    w, span = writes.reserve_loan_slots(rt=rt, actor=me, groups=body.groups, wait=wait)
    ident = f"{span[0]}-{span[1]}" if span else None

    def read(s: Any) -> LoanReservation:
        return LoanReservation(from_group=span[0] if span else None, to_group=span[1] if span else None,
                               reserved_up_to=writes.reserved_loan_groups(rt), as_of_block=reads.as_of(s))

    return write_result(rt, response, w, ident=ident, created=False, read=read)


@router.post("/{loan_id}/checkin", response_model=WriteResult[LoanPublic], responses=WRITE_RESPONSES, summary="Check a loan back in (the lending library)")
def checkin(rt: RuntimeDep, me: CurrentMember, response: Response, loan_id: int = LoanIdPath, wait: Wait = True) -> Any:
    w = writes.checkin(rt=rt, actor=me, loan_id=loan_id, wait=wait)
    return write_result(rt, response, w, ident=loan_id, created=False, read=lambda s: public(LoanPublic, reads.get_loan(s, loan_id)))


@router.post("/{loan_id}/expire", response_model=WriteResult[LoanPublic], responses=WRITE_RESPONSES, summary="End a loan past its due date (any member)")
def expire(rt: RuntimeDep, me: CurrentMember, response: Response, loan_id: int = LoanIdPath, wait: Wait = True) -> Any:
    w = writes.expire_loan(rt=rt, actor=me, loan_id=loan_id, wait=wait)
    return write_result(rt, response, w, ident=loan_id, created=False, read=lambda s: public(LoanPublic, reads.get_loan(s, loan_id)))


def loans_json(session: Session, me: Actor, *, limit: int, cursor: str | None, library: str | None = None, licence_id: int | None = None) -> bytes:
    """The answer of ``GET /loans`` (its parameters validated), as JSON bytes; shared with ``api.fastpath``."""
    acct = me.account if library == "me" else (account_of(session, library) if library else None)
    items, nxt = reads.list_loans(session, limit=limit, cursor=cursor, library=acct, licence_id=licence_id)
    return page_json(LoanPublic, items, next_cursor=nxt, as_of_block=reads.as_of(session))


@router.get("", response_model=Page[LoanPublic], summary="List loans (by library, by licence)")
def list_loans(session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None,
               library: str | None = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="ISIL; 'me' for the caller"),
               licence_id: int | None = Query(None, ge=1, le=2**40 - 1)) -> Any:
    return json_response(loans_json(session, me, limit=limit, cursor=cursor, library=library, licence_id=licence_id))


@router.get("/{loan_id}/package", summary="The encrypted loan's package for the borrowing library: work key sealed to its X25519 key, signed loan stamp",
            responses={200: {"content": {"application/json": {}}, "description": "a libledger loan package (`libledger open`)"}})
def package(rt: RuntimeDep, me: CurrentMember, loan_id: int = LoanIdPath) -> Any:
    from ..services.delivery import loan_package

    return Response(loan_package(rt, me, kind="loan", loan_id=loan_id), media_type="application/json")


@router.get("/{loan_id}", response_model=Item[LoanPublic], summary="One loan")
def get_loan(session: SessionDep, me: CurrentMember, loan_id: int = LoanIdPath) -> Any:
    return Item(data=public(LoanPublic, reads.get_loan(session, loan_id)), as_of_block=reads.as_of(session))

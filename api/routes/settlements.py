"""``/settlements``: periods and net positions; close (platform), settle and withdraw (library)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Response

from ..deps import CurrentMember, RuntimeDep, SessionDep
from ..schemas import Item, Page, PeriodPublic, PositionPublic, WriteResult, public
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, write_result

router = APIRouter(prefix="/settlements", tags=["settlements"])
PeriodPath = Path(ge=1, le=2**40 - 1, description="settlement period id")


@router.get("", response_model=Page[PeriodPublic], summary="Settlement periods, newest first")
def list_periods(session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None) -> Any:
    items, nxt = reads.list_periods(session, limit=limit, cursor=cursor)
    return Page(items=[public(PeriodPublic, p) for p in items], next_cursor=nxt, as_of_block=reads.as_of(session))


@router.get("/{period_id}", response_model=Item[PeriodPublic], summary="One period with every library's net position")
def get_period(session: SessionDep, me: CurrentMember, period_id: int = PeriodPath) -> Any:
    return Item(data=public(PeriodPublic, reads.get_period(session, period_id)), as_of_block=reads.as_of(session))


@router.get("/{period_id}/positions", response_model=Page[PositionPublic], summary="Net positions of a period (sum is always zero)")
def positions(session: SessionDep, me: CurrentMember, period_id: int = PeriodPath) -> Any:
    p = public(PeriodPublic, reads.get_period(session, period_id))
    return Page(items=p.positions, next_cursor=None, as_of_block=reads.as_of(session))


@router.post("/close", status_code=201, response_model=WriteResult[PeriodPublic], responses=WRITE_RESPONSES, summary="Close the current period (platform)")
def close(rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w, pid = writes.close_period(rt=rt, actor=me, wait=wait)
    return write_result(rt, response, w, ident=pid, read=(lambda s: public(PeriodPublic, reads.get_period(s, pid))) if pid else None)


@router.post("/{period_id}/settle", response_model=WriteResult[PeriodPublic], responses=WRITE_RESPONSES, summary="Pay this library's net debt for a closed period")
def settle(rt: RuntimeDep, me: CurrentMember, response: Response, period_id: int = PeriodPath, wait: Wait = True) -> Any:
    w = writes.settle_period(rt=rt, actor=me, period_id=period_id, wait=wait)
    return write_result(rt, response, w, ident=period_id, created=False, read=lambda s: public(PeriodPublic, reads.get_period(s, period_id)))


@router.post("/{period_id}/withdraw", response_model=WriteResult[PeriodPublic], responses=WRITE_RESPONSES, summary="Withdraw this library's net claim (pro rata to what debtors paid)")
def withdraw(rt: RuntimeDep, me: CurrentMember, response: Response, period_id: int = PeriodPath, wait: Wait = True) -> Any:
    w = writes.withdraw_settlement(rt=rt, actor=me, period_id=period_id, wait=wait)
    return write_result(rt, response, w, ident=period_id, created=False, read=lambda s: public(PeriodPublic, reads.get_period(s, period_id)))

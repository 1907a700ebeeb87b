"""``/terms``: publish licence terms (publisher), get, list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response

from ..deps import CurrentMember, RuntimeDep, SessionDep
from ..schemas import Item, Page, TermsCreate, TermsPublic, WriteResult, public
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, write_result

router = APIRouter(prefix="/terms", tags=["terms"])


@router.post("", status_code=201, response_model=WriteResult[TermsPublic], responses=WRITE_RESPONSES,
             summary="Publish licence terms (publisher); equal terms are deduplicated (200 with the existing id)")
def publish(body: TermsCreate, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w, terms_id = writes.publish_terms(
        rt=rt, actor=me, kind=body.kind, price=body.price, copies=body.copies, loan_period=body.loan_period_seconds,
        max_loans_per_copy=body.max_loans_per_copy, duration=body.duration_seconds, territory=body.territory,
        ill_allowed=body.ill_allowed, legal_text_hash=bytes.fromhex(body.legal_text_hash[2:]) if body.legal_text_hash else b"\x00" * 32,
        legal_text_uri=body.legal_text_uri, wait=wait,
    )
    return write_result(rt, response, w, ident=terms_id, read=(lambda s: public(TermsPublic, reads.get_terms(s, terms_id))) if terms_id else None)


@router.get("", response_model=Page[TermsPublic], summary="List published terms")
def list_terms(session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None,
               publisher: str | None = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")) -> Any:
    items, nxt = reads.list_terms(session, limit=limit, cursor=cursor, publisher=account_of(session, publisher) if publisher else None)
    return Page(items=[public(TermsPublic, t) for t in items], next_cursor=nxt, as_of_block=reads.as_of(session))


@router.get("/{terms_id}", response_model=Item[TermsPublic], summary="One set of terms")
def get_terms(session: SessionDep, me: CurrentMember, terms_id: int = Path(ge=1, le=2**40 - 1)) -> Any:
    return Item(data=public(TermsPublic, reads.get_terms(session, terms_id)), as_of_block=reads.as_of(session))

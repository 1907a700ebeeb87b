"""``/works``: register (publisher), get, list/search by title or fingerprint, provenance; offers of terms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deps import CurrentMember, RuntimeDep, SessionDep
from ..problems import Problem
from ..schemas import AttachIn, EnableIn, Item, OfferPublic, Page, TrailEntry, WorkCreate, WorkPublic, WriteResult, public
from ..services import reads, writes
from ..tokens import WorkCatalogue
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, item_json, json_response, page_json, write_result

router = APIRouter(prefix="/works", tags=["works"])
WorkIdPath = Path(ge=1, le=2**40 - 1, description="work id")


def _titled(session: Session, works: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The works with their catalogue titles (the service's own table)."""
    return reads.with_titles(session, works)


def _with_titles(session: Session, works: list[dict[str, Any]]) -> list[WorkPublic]:
    return [public(WorkPublic, w) for w in _titled(session, works)]


def read_work(session: Session, work_id: int) -> WorkPublic:
    return _with_titles(session, [reads.get_work(session, work_id)])[0]


@router.post("", status_code=201, response_model=WriteResult[WorkPublic], responses=WRITE_RESPONSES, summary="Register a work (publisher)")
def register(body: WorkCreate, rt: RuntimeDep, session: SessionDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    payees = None
    if body.payees:
        payees = []
        for i, p in enumerate(body.payees):
            if (p.member is None) == (p.account is None):
                raise Problem(422, "invalid-input", "Invalid input", f"payees[{i}]: give either member (ISIL) or account", errors=[{"field": f"body.payees.{i}", "message": "member or account"}])
            payees.append((p.account or account_of(session, p.member or ""), p.bps))
        total = sum(b for _, b in payees)
        if total != 10_000:
            raise Problem(422, "invalid-input", "Invalid input", f"payees: shares add up to {total} basis points; they must add up to 10000", errors=[{"field": "body.payees", "message": "sum must be 10000"}])
    w, work_id = writes.register_work(
        rt=rt, actor=me, content_hash=bytes.fromhex(body.content_hash[2:]), iscc=bytes.fromhex(body.iscc[2:]),
        metadata_uri=body.metadata_uri, payees=payees, title=body.title, wait=wait,
    )
    return write_result(rt, response, w, ident=work_id, read=(lambda s: read_work(s, work_id)) if work_id else None)


def works_json(session: Session, *, limit: int, cursor: str | None, title: str | None = None, content_hash: str | None = None,
               iscc: str | None = None, holder: str | None = None) -> bytes:
    """The answer of ``GET /works`` (its parameters validated), as JSON bytes; shared with ``api.fastpath``."""
    import unicodedata

    ids = None
    if title:
        key = unicodedata.normalize("NFC", title).casefold()
        ids = list(session.scalars(select(WorkCatalogue.work_id).where(WorkCatalogue.title_key.contains(key, autoescape=True)).limit(5000)))
    holder_acct = account_of(session, holder) if holder else None
    items, nxt = reads.list_works(session, limit=limit, cursor=cursor, holder=holder_acct, content_hash=content_hash, iscc=iscc, work_ids=ids, titles=True)
    return page_json(WorkPublic, items, next_cursor=nxt, as_of_block=reads.as_of(session))


def work_json(session: Session, work_id: int) -> bytes:
    """The answer of ``GET /works/{work_id}`` as JSON bytes (404 problem if unknown)."""
    return item_json(WorkPublic, reads.get_work(session, work_id, titles=True), as_of_block=reads.as_of(session))


def provenance_json(session: Session, work_id: int, *, limit: int, cursor: str | None) -> bytes:
    """The answer of ``GET /works/{work_id}/provenance`` as JSON bytes (a page of the trail)."""
    trail = reads.work_provenance(session, work_id)
    start = reads.cursor_ints(cursor, 1)[0] if cursor else 0  # type: ignore[index]
    page = trail[start : start + limit]
    nxt = reads.encode_cursor(start + limit) if start + limit < len(trail) else None
    return page_json(TrailEntry, page, next_cursor=nxt, as_of_block=reads.as_of(session))


@router.get("", response_model=Page[WorkPublic], summary="List or search works (title, content hash, ISCC prefix, holder)")
def list_works(
    session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None,
    title: str | None = Query(None, min_length=1, max_length=200, description="words in the title (case-insensitive)"),
    content_hash: str | None = Query(None, pattern=r"^0x[0-9a-fA-F]{64}$"),
    iscc: str | None = Query(None, pattern=r"^0x[0-9a-fA-F]{2,64}$", description="ISCC prefix (0x-hex): near-duplicates share a prefix"),
    holder: str | None = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="ISIL / institution id of the rights holder"),
) -> Any:
    return json_response(works_json(session, limit=limit, cursor=cursor, title=title, content_hash=content_hash, iscc=iscc, holder=holder))


@router.get("/{work_id}", response_model=Item[WorkPublic], summary="One work")
def get_work(session: SessionDep, me: CurrentMember, work_id: int = WorkIdPath) -> Any:
    return json_response(work_json(session, work_id))


@router.get("/{work_id}/provenance", response_model=Page[TrailEntry], summary="Every event of the work, with blocks and tx hashes")
def provenance(session: SessionDep, me: CurrentMember, work_id: int = WorkIdPath, limit: Limit = 200, cursor: Cursor = None) -> Any:
    return json_response(provenance_json(session, work_id, limit=limit, cursor=cursor))


@router.get("/{work_id}/terms", response_model=Page[OfferPublic], summary="Terms attached to the work (offers)")
def offers(session: SessionDep, me: CurrentMember, work_id: int = WorkIdPath) -> Any:
    reads.get_work(session, work_id)
    from ..schemas import TermsPublic

    items = [OfferPublic(**dict(o, terms=public(TermsPublic, o["terms"]))) for o in reads.offers_of_work(session, work_id)]
    return Page(items=items, next_cursor=None, as_of_block=reads.as_of(session))


@router.post("/{work_id}/terms", status_code=201, response_model=WriteResult[OfferPublic], responses=WRITE_RESPONSES, summary="Attach published terms to the work (its holder)")
def attach(body: AttachIn, rt: RuntimeDep, me: CurrentMember, response: Response, work_id: int = WorkIdPath, wait: Wait = True) -> Any:
    w = writes.attach_terms(rt=rt, actor=me, work_id=work_id, terms_id=body.terms_id, wait=wait)
    return write_result(rt, response, w, ident=body.terms_id, read=lambda s: _offer(s, work_id, body.terms_id))


@router.patch("/{work_id}/terms/{terms_id}", response_model=WriteResult[OfferPublic], responses=WRITE_RESPONSES, summary="Enable or disable an offer (its holder)")
def enable(body: EnableIn, rt: RuntimeDep, me: CurrentMember, response: Response, work_id: int = WorkIdPath,
           terms_id: int = Path(ge=1, le=2**40 - 1), wait: Wait = True) -> Any:
    w = writes.set_terms_enabled(rt=rt, actor=me, work_id=work_id, terms_id=terms_id, enabled=body.enabled, wait=wait)
    return write_result(rt, response, w, ident=terms_id, created=False, read=lambda s: _offer(s, work_id, terms_id))


def _offer(session: Session, work_id: int, terms_id: int) -> OfferPublic | None:
    from ..schemas import TermsPublic

    for o in reads.offers_of_work(session, work_id):
        if o["terms_id"] == terms_id:
            return OfferPublic(**dict(o, terms=public(TermsPublic, o["terms"])))
    return None

"""``/audit``: the provenance trail of any record, events of a transaction, and mirror-vs-chain checks."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path

from ..deps import ChainDep, CurrentMember, SessionDep
from ..schemas import CheckResult, Page, TrailEntry
from ..services import audit, reads

router = APIRouter(prefix="/audit", tags=["audit"])
Kind = Literal["work", "terms", "licence", "loan", "ill-request", "period"]


@router.get("/trail/{kind}/{ident}", response_model=Page[TrailEntry], summary="Every event of a record, with block numbers and tx hashes")
def trail(session: SessionDep, me: CurrentMember, kind: Kind, ident: str = Path(pattern=r"^[0-9]{1,78}$")) -> Any:
    return Page(items=[TrailEntry(**t) for t in reads.trail(session, kind, ident)], next_cursor=None, as_of_block=reads.as_of(session))


@router.get("/tx/{tx_hash}", response_model=Page[TrailEntry], summary="Every libledger event of one transaction")
def tx(session: SessionDep, me: CurrentMember, tx_hash: str = Path(pattern=r"^0x[0-9a-fA-F]{64}$")) -> Any:
    return Page(items=[TrailEntry(**t) for t in reads.tx_events(session, tx_hash.lower())], next_cursor=None, as_of_block=reads.as_of(session))


@router.get("/check/{kind}/{ident}", response_model=CheckResult, summary="Compare the mirror's record with the chain's state at the mirror's block")
def check(session: SessionDep, chain: ChainDep, me: CurrentMember, kind: Literal["work", "licence", "loan", "ill-request", "royalty-balance"],
          ident: str = Path(pattern=r"^([0-9]{1,78}|0x[0-9a-fA-F]{40})$")) -> Any:
    return audit.check(session=session, chain=chain, kind=kind, ident=ident)

"""``/tx/raw``: members who sign themselves submit signed transactions (non-custodial)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from ..deps import CurrentMember, RuntimeDep
from ..schemas import RawTxIn, TrailEntry, WriteResult
from ..services import rawtx
from .common import WRITE_RESPONSES, Wait, write_result

router = APIRouter(prefix="/tx", tags=["transactions"])


@router.post("/raw", status_code=201, response_model=WriteResult[list[TrailEntry]], responses=WRITE_RESPONSES,
             summary="Submit a transaction signed by the token's member (checked: decodable, sender, chain id, role; reverts decoded)")
def submit_raw(body: RawTxIn, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    from ..services import reads

    w = rawtx.submit_raw(rt=rt, actor=me, raw=bytes.fromhex(body.raw[2:]), wait=wait)
    return write_result(rt, response, w, ident=w.tx_hash, read=lambda s: [TrailEntry(**t) for t in reads.tx_events(s, w.tx_hash)])

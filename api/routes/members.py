"""``/members``: the consortium's members, their roles and credit; admission and suspension (governor); minting (treasury)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response

from ledger import accounts, keystore

from ..deps import CurrentMember, RuntimeDep, SessionDep
from ..schemas import MemberCreate, MemberId, MemberPublic, MintIn, Page, SuspendIn, WriteResult, public
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, write_result

router = APIRouter(prefix="/members", tags=["members"])
IsilPath = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="ISIL or institution id")


@router.get("", response_model=Page[MemberPublic], summary="List members")
def list_members(session: SessionDep, me: CurrentMember, limit: Limit = 50, cursor: Cursor = None,
                 role: str | None = Query(None, pattern=r"^(publisher|library|auditor|platform|treasury|sponsor|governor)$")) -> Any:
    items, nxt = reads.list_members(session, limit=limit, cursor=cursor, role=role)
    return Page(items=[public(MemberPublic, m) for m in items], next_cursor=nxt, as_of_block=reads.as_of(session))


@router.get("/me", summary="The member this token acts for")
def me(session: SessionDep, me: CurrentMember) -> dict[str, Any]:
    try:
        data: Any = public(MemberPublic, reads.get_member(session, me.member))
    except Exception:  # the governor is not a consortium member
        data = None
    return {"member": me.member, "account": me.account, "roles": sorted(me.roles), "record": data, "as_of_block": reads.as_of(session)}


@router.get("/{isil}", response_model=MemberPublic, summary="One member by ISIL / institution id")
def get_member(session: SessionDep, me: CurrentMember, isil: str = IsilPath) -> Any:
    return public(MemberPublic, reads.get_member(session, isil))


@router.post("", status_code=201, response_model=WriteResult[MemberPublic], responses=WRITE_RESPONSES, summary="Admit a member (governor)")
def admit(body: MemberCreate, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    account = body.account
    if account is None:
        try:
            account = keystore.address_of(rt.settings.keystore_path, body.isil)
        except Exception:
            from ..services.common import require_role

            require_role(rt, me, "governor", "admitting a member")
            account = accounts.signer(rt.settings, body.isil).address
    w = writes.admit_member(rt=rt, actor=me, account=account, isil=body.isil, name=body.name, roles=list(body.roles), wait=wait)
    return write_result(rt, response, w, ident=body.isil, read=lambda s: public(MemberPublic, reads.get_member(s, body.isil)))


@router.post("/{isil}/suspend", response_model=WriteResult[MemberPublic], responses=WRITE_RESPONSES, summary="Suspend a member (governor)")
def suspend(body: SuspendIn, rt: RuntimeDep, session: SessionDep, me: CurrentMember, response: Response, isil: str = IsilPath, wait: Wait = True) -> Any:
    w = writes.suspend_member(rt=rt, actor=me, account=account_of(session, isil), reason=body.reason, wait=wait)
    rt._token_cache.clear()
    return write_result(rt, response, w, ident=isil, created=False, read=lambda s: public(MemberPublic, reads.get_member(s, isil)))


@router.post("/{isil}/reinstate", response_model=WriteResult[MemberPublic], responses=WRITE_RESPONSES, summary="Reinstate a suspended member (governor)")
def reinstate(rt: RuntimeDep, session: SessionDep, me: CurrentMember, response: Response, isil: str = IsilPath, wait: Wait = True) -> Any:
    w = writes.reinstate_member(rt=rt, actor=me, account=account_of(session, isil), wait=wait)
    rt._token_cache.clear()
    return write_result(rt, response, w, ident=isil, created=False, read=lambda s: public(MemberPublic, reads.get_member(s, isil)))


@router.post("/credit/mint", status_code=201, response_model=WriteResult[MemberPublic], responses=WRITE_RESPONSES, summary="Mint credit against an off-chain deposit (treasury)")
def mint(body: MintIn, rt: RuntimeDep, session: SessionDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w = writes.mint_credit(rt=rt, actor=me, to=account_of(session, body.to), amount=body.amount, wait=wait)
    return write_result(rt, response, w, ident=body.to, read=lambda s: public(MemberPublic, reads.get_member(s, body.to)))

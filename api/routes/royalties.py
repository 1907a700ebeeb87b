"""``/royalties``: balances and accruals (70% to the payees, 30% to the platform), withdrawal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from ..deps import CurrentMember, RuntimeDep, SessionDep
from ..schemas import DepositIn, LoanDeposit, Money, Page, RoyaltyAccrual, RoyaltyBalance, WriteResult, public
from ..services import reads, writes
from .common import WRITE_RESPONSES, Cursor, Limit, Wait, account_of, write_result

router = APIRouter(prefix="/royalties", tags=["royalties"])
MemberQ = Query(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="ISIL / institution id; default: the caller")


@router.get("/balance", response_model=RoyaltyBalance, summary="Accrued, withdrawn and withdrawable royalties of a member")
def balance(session: SessionDep, me: CurrentMember, member: str | None = MemberQ) -> Any:
    acct = account_of(session, member) if member else me.account
    return public(RoyaltyBalance, dict(reads.royalty_balance(session, acct), as_of_block=reads.as_of(session)))


@router.get("/accruals", response_model=Page[RoyaltyAccrual], summary="Payments that credited a member, newest first")
def accruals(session: SessionDep, me: CurrentMember, member: str | None = MemberQ, limit: Limit = 50, cursor: Cursor = None) -> Any:
    acct = account_of(session, member) if member else me.account
    items, nxt = reads.royalty_accruals(session, acct, limit=limit, cursor=cursor)
    return Page(items=[public(RoyaltyAccrual, x) for x in items], next_cursor=nxt, as_of_block=reads.as_of(session))


@router.post("/withdraw", response_model=WriteResult[RoyaltyBalance], responses=WRITE_RESPONSES, summary="Withdraw the caller's royalty balance as credit")
def withdraw(rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w = writes.withdraw_royalties(rt=rt, actor=me, wait=wait)
    ev = w.first("Withdrawn")
    return write_result(
        rt, response, w, ident=ev["amount"] if ev else None, created=False,
        read=lambda s: public(RoyaltyBalance, dict(reads.royalty_balance(s, me.account), as_of_block=reads.as_of(s))),
    )


def _deposit(rt: RuntimeDep, account: str, as_of_block: int) -> LoanDeposit:
    return LoanDeposit(account=account, deposit=Money(amount=writes.loan_deposit(rt, account)), as_of_block=as_of_block)


@router.get("/deposit", response_model=LoanDeposit, summary="A library's prepaid credit for metered loans (from the chain)")
def deposit(rt: RuntimeDep, session: SessionDep, me: CurrentMember, member: str | None = MemberQ) -> Any:
    acct = account_of(session, member) if member else me.account
    return _deposit(rt, acct, rt.chain.block_number())


@router.post("/deposit", response_model=WriteResult[LoanDeposit], responses=WRITE_RESPONSES, summary="Prepay credit for metered loans (library)")
def make_deposit(body: DepositIn, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    """Moves AMOUNT fen of the caller's credit into its Royalties deposit. Every metered checkout
    pays its per-loan price from the deposit; with too little deposited it fails (409 DepositTooLow)."""
    w = writes.deposit_for_loans(rt=rt, actor=me, amount=body.amount, wait=wait)
    return write_result(rt, response, w, ident=me.account, created=False, read=lambda s: _deposit(rt, me.account, reads.as_of(s)))


@router.post("/deposit/withdraw", response_model=WriteResult[LoanDeposit], responses=WRITE_RESPONSES, summary="Take deposited credit back (library)")
def take_back_deposit(body: DepositIn, rt: RuntimeDep, me: CurrentMember, response: Response, wait: Wait = True) -> Any:
    w = writes.withdraw_deposit(rt=rt, actor=me, amount=body.amount, wait=wait)
    return write_result(rt, response, w, ident=me.account, created=False, read=lambda s: _deposit(rt, me.account, reads.as_of(s)))


@router.get("/statements", summary="Royalty statements of a calendar month, reconciled with the chain to the fen")
def statements(
    session: SessionDep,
    rt: RuntimeDep,
    me: CurrentMember,
    period: str = Query(..., pattern=r"^\d{4}-\d{2}$", description="calendar month, e.g. 2026-10"),
    tz: str = Query("Asia/Shanghai", max_length=64, description="time zone the month is cut in"),
) -> Any:
    """Every payee's lines (gross, 30% fee, net per work and licence/loan) and the platform's
    totals. Platform and auditors see every payee; others see only their own statement.
    Any difference between the mirror and the chain stops the answer (409, naming the records).
    Signed PDF/CSV/JSON files come from `libledger payouts` (the platform key stays offline)."""
    from ledger.payouts import PeriodNotClosed, ReconciliationError, reconcile
    from rights.periods import PeriodError, parse_period
    from rights.statement import payee_document, platform_document

    from ..problems import Problem

    try:
        p = parse_period(period, tz)
    except PeriodError as exc:
        raise Problem(422, "invalid-period", "Invalid period", str(exc)) from None
    try:
        result = reconcile(session, rt.chain, p)
    except PeriodNotClosed as exc:
        raise Problem(409, "period-open", "Period not closed", str(exc)) from None
    except ReconciliationError as exc:
        raise Problem(409, "not-reconciled", "Statement does not reconcile with the chain", str(exc), problems=exc.problems) from None
    st = result.statements
    chain_info = {"chain_id": rt.chain.chain_id, "start_block": result.start_block, "end_block": result.end_block}
    sees_all = bool({"platform", "auditor", "governor"} & set(me.roles))
    payees = [payee_document(st, ps, chain=chain_info) for acct, ps in st.payees.items() if sees_all or acct == me.account]
    return {
        "period": p.label,
        "time_zone": p.tz,
        "reconciled": True,
        "accounts_checked": result.accounts_checked,
        "platform": platform_document(st, chain=chain_info) if sees_all else None,
        "statements": payees,
        "as_of_block": reads.as_of(session),
    }

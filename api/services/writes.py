"""Every write of the API and the CLI, one plain function per action (keyword-only arguments).

Each checks the acting member's role on chain first (a clear 403), then sends one transaction
signed with the member's custodial key; the contract checks again. Amounts are fen (integer
minor units); times are unix seconds on chain.
"""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from eth_utils import to_checksum_address

from ..deps import Actor
from ..problems import Problem
from ..runtime import Runtime
from ..tokens import WorkCatalogue
from .common import Written, require_role, send
from .reads import ILL_ACTION, ILL_STATUS, ITEM_KIND, SERVICE, TERMS_KIND

#: The role each state-changing function needs (checked before signing; the contract re-checks).
ROLE_OF: dict[tuple[str, str], str] = {
    ("Consortium", "admit"): "governor", ("Consortium", "suspend"): "governor", ("Consortium", "reinstate"): "governor",
    ("Credit", "mint"): "treasury", ("Credit", "burn"): "treasury",
    ("Works", "registerWork"): "publisher", ("Works", "setPayees"): "publisher", ("Works", "transferRights"): "publisher",
    ("Works", "updateMetadata"): "publisher", ("Works", "answerDispute"): "publisher",
    ("Licensing", "publishTerms"): "publisher", ("Licensing", "attachTerms"): "publisher", ("Licensing", "setTermsEnabled"): "publisher",
    ("Licensing", "acquire"): "library", ("Licensing", "acquireWithPool"): "library", ("Licensing", "renew"): "library",
    ("Licensing", "renewWithPool"): "library",
    ("Licensing", "checkout"): "library", ("Licensing", "checkin"): "library", ("Licensing", "reserveLoanSlots"): "library",
    ("Royalties", "deposit"): "library", ("Royalties", "withdrawDeposit"): "library",
    ("InterlibraryLoan", "submitRequest"): "library", ("InterlibraryLoan", "act"): "library",
    ("InterlibraryLoan", "updateStatus"): "library", ("InterlibraryLoan", "answerCancel"): "library",
    ("InterlibraryLoan", "answerRenew"): "library", ("InterlibraryLoan", "refundCharge"): "library",
    ("InterlibraryLoan", "recordFound"): "library",
    ("Clearing", "closePeriod"): "platform", ("Clearing", "settle"): "library", ("Clearing", "withdraw"): "library",
}


def _write(rt: Runtime, actor: Actor, contract: str, fn: str, *args: Any, action: str, wait: bool) -> Written:
    role = ROLE_OF.get((contract, fn))
    if role:
        require_role(rt, actor, role, action)
    return send(rt, actor, contract, fn, *args, wait=wait)


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# ------------------------------------------------------------------------------ members, credit


def admit_member(*, rt: Runtime, actor: Actor, account: str, isil: str, name: str, roles: list[str], wait: bool = True) -> Written:
    from ledger import roles as role_ids

    return _write(rt, actor, "Consortium", "admit", to_checksum_address(account), isil, nfc(name), [role_ids.role_id(r) for r in roles], action="admitting a member", wait=wait)


def suspend_member(*, rt: Runtime, actor: Actor, account: str, reason: str, wait: bool = True) -> Written:
    return _write(rt, actor, "Consortium", "suspend", account, nfc(reason), action="suspending a member", wait=wait)


def reinstate_member(*, rt: Runtime, actor: Actor, account: str, wait: bool = True) -> Written:
    return _write(rt, actor, "Consortium", "reinstate", account, action="reinstating a member", wait=wait)


def mint_credit(*, rt: Runtime, actor: Actor, to: str, amount: int, wait: bool = True) -> Written:
    return _write(rt, actor, "Credit", "mint", to, amount, action="minting credit", wait=wait)


# ------------------------------------------------------------------------------ works


def register_work(
    *, rt: Runtime, actor: Actor, content_hash: bytes, iscc: bytes, metadata_uri: str, payees: list[tuple[str, int]] | None = None,
    title: str | None = None, wait: bool = True,
) -> tuple[Written, int | None]:
    """Register a work; returns the write and the new work id (None with ``wait=False``)."""
    require_role(rt, actor, "publisher", "registering a work")
    works = rt.chain.contract("Works")
    existing = works.call("workIdOf", content_hash)
    if existing:
        raise Problem(
            409, "contract-revert", "The contract refused the transaction",
            f"Works refused the transaction: this content hash is already registered as work {existing}",
            error="WorkAlreadyRegistered", args={"workId": existing}, contract="Works",
        )
    payees = payees or [(actor.account, 10_000)]
    w = send(rt, actor, "Works", "registerWork", content_hash, iscc, metadata_uri, [p for p, _ in payees], [b for _, b in payees], wait=wait)
    ev = w.first("WorkRegistered")
    work_id = int(ev["workId"]) if ev else None
    if work_id is not None and title:
        with rt.writing() as s:
            s.merge(WorkCatalogue(work_id=work_id, title=nfc(title), title_key=nfc(title).casefold()[:512]))
            s.commit()
    return w, work_id


# ------------------------------------------------------------------------------ terms, licences


def publish_terms(
    *, rt: Runtime, actor: Actor, kind: str, price: int, copies: int, loan_period: int, max_loans_per_copy: int = 0,
    duration: int = 0, territory: str | None = None, ill_allowed: bool = False, legal_text_hash: bytes = b"\x00" * 32,
    legal_text_uri: str = "", wait: bool = True,
) -> tuple[Written | None, int | None]:
    """Publish licence terms (deduplicated by content: publishing equal terms returns the existing id, no transaction)."""
    require_role(rt, actor, "publisher", "publishing licence terms")
    lic = rt.chain.contract("Licensing")
    t = {
        "kind": TERMS_KIND.index(kind), "price": price, "copies": copies, "loanPeriod": loan_period,
        "maxLoansPerCopy": max_loans_per_copy, "duration": duration,
        "territory": territory.encode("ascii") if territory else b"\x00\x00", "illAllowed": ill_allowed,
        "legalTextHash": legal_text_hash, "legalTextURI": legal_text_uri,
    }
    fee = lic.call("defaultFeeBps")
    existing = lic.call("termsIdOf", lic.call("termsHash", t, fee))
    if existing:
        return None, int(existing)
    w = send(rt, actor, "Licensing", "publishTerms", t, wait=wait)
    ev = w.first("TermsPublished")
    return w, (int(ev["termsId"]) if ev else None)


def attach_terms(*, rt: Runtime, actor: Actor, work_id: int, terms_id: int, wait: bool = True) -> Written:
    return _write(rt, actor, "Licensing", "attachTerms", work_id, terms_id, action="attaching terms to a work", wait=wait)


def set_terms_enabled(*, rt: Runtime, actor: Actor, work_id: int, terms_id: int, enabled: bool, wait: bool = True) -> Written:
    return _write(rt, actor, "Licensing", "setTermsEnabled", work_id, terms_id, enabled, action="enabling or disabling terms", wait=wait)


def acquire_licence(*, rt: Runtime, actor: Actor, work_id: int, terms_id: int, copies: int = 1, pool_id: int | None = None, wait: bool = True) -> tuple[Written, int | None]:
    if pool_id:
        w = _write(rt, actor, "Licensing", "acquireWithPool", work_id, terms_id, copies, pool_id, action="acquiring a licence", wait=wait)
    else:
        w = _write(rt, actor, "Licensing", "acquire", work_id, terms_id, copies, action="acquiring a licence", wait=wait)
    ev = w.first("LicenceAcquired")
    return w, (int(ev["licenceId"]) if ev else None)


def renew_licence(*, rt: Runtime, actor: Actor, licence_id: int, wait: bool = True) -> Written:
    return _write(rt, actor, "Licensing", "renew", licence_id, action="renewing a licence", wait=wait)


# ------------------------------------------------------------------------------ digital loans


def checkout(*, rt: Runtime, actor: Actor, licence_id: int, ref: bytes | None = None, wait: bool = True) -> tuple[Written, int | None]:
    """Lend a digital copy. ``ref`` is the library's opaque loan reference (random when not given): no patron data on chain."""
    w = _write(rt, actor, "Licensing", "checkout", licence_id, ref or os.urandom(32), action="checking out a loan", wait=wait)
    ev = w.first("LoanCheckedOut")
    return w, (int(ev["loanId"]) if ev else None)


#: Most loan groups (three loans each) one reservation may prepay (Licensing.MAX_RESERVE_GROUPS).
MAX_RESERVE_GROUPS = 256


def reserve_loan_slots(*, rt: Runtime, actor: Actor, groups: int, wait: bool = True) -> tuple[Written, tuple[int, int] | None]:
    """Prepay the storage of the next ``groups`` loan groups (three loans each, ~22k gas per group
    paid now) so the checkout completing each group costs ~17k gas less; returns the groups
    reserved as ``(from_group, to_group)`` (``to_group`` exclusive; None without a receipt)."""
    w = _write(rt, actor, "Licensing", "reserveLoanSlots", groups, action="reserving loan slots", wait=wait)
    ev = w.first("LoanSlotsReserved")
    return w, ((int(ev["fromGroup"]), int(ev["toGroup"])) if ev else None)


def reserved_loan_groups(rt: Runtime) -> int:
    """One past the last loan group reserved so far (read from the chain; 0 = none)."""
    return int(rt.chain.contract("Licensing").call("reservedUpTo"))


def deposit_for_loans(*, rt: Runtime, actor: Actor, amount: int, wait: bool = True) -> Written:
    """Prepay ``amount`` fen of the library's credit into its Royalties deposit; metered checkouts
    are paid from the deposit (a checkout fails with ``DepositTooLow`` when it holds too little)."""
    return _write(rt, actor, "Royalties", "deposit", amount, action="depositing credit for metered loans", wait=wait)


def withdraw_deposit(*, rt: Runtime, actor: Actor, amount: int, wait: bool = True) -> Written:
    """Take ``amount`` fen of the library's Royalties deposit back to its credit balance."""
    return _write(rt, actor, "Royalties", "withdrawDeposit", amount, action="taking back deposited credit", wait=wait)


def loan_deposit(rt: Runtime, account: str) -> int:
    """Fen ``account`` holds in its Royalties deposit now (read from the chain: the deposit is
    debited by every metered checkout, which emits no deposit event of its own)."""
    return int(rt.chain.contract("Royalties").call("depositOf", to_checksum_address(account)))


def checkin(*, rt: Runtime, actor: Actor, loan_id: int, wait: bool = True) -> Written:
    return _write(rt, actor, "Licensing", "checkin", loan_id, action="checking in a loan", wait=wait)


def expire_loan(*, rt: Runtime, actor: Actor, loan_id: int, wait: bool = True) -> Written:
    """End an active loan after its due date (anyone may); its copy is free again."""
    return _write(rt, actor, "Licensing", "expire", loan_id, action="expiring a loan", wait=wait)


# ------------------------------------------------------------------------------ interlibrary loan


def own_id_bytes(own_id: str) -> bytes:
    """The requester's own request id as bytes32: its UTF-8 bytes, right-padded (at most 32 bytes)."""
    raw = nfc(own_id).encode()
    if not raw or len(raw) > 32:
        raise Problem(422, "invalid-input", "Invalid input", "own_id: 1 to 32 bytes of UTF-8 text", errors=[{"field": "body.own_id", "message": "1 to 32 bytes"}])
    return raw.ljust(32, b"\x00")


def item_bytes(*, work_id: int | None = None, bibliographic_key: str | None = None) -> tuple[int, bytes]:
    if work_id is not None:
        return ITEM_KIND.index("Work"), work_id.to_bytes(32, "big")
    key = nfc(bibliographic_key or "").strip()
    import hashlib

    return ITEM_KIND.index("Bibliographic"), hashlib.sha256(key.encode()).digest()


def request_ill(
    *, rt: Runtime, actor: Actor, supplier: str, own_id: str, service: str = "Loan", work_id: int | None = None,
    bibliographic_key: str | None = None, max_cost: int = 0, need_before: int = 0, retry_of: str | None = None,
    licence_id: int | None = None, wait: bool = True,
) -> tuple[Written, str]:
    kind, item = item_bytes(work_id=work_id, bibliographic_key=bibliographic_key)
    req = {
        "supplier": supplier, "service": SERVICE.index(service), "itemKind": kind, "item": item, "maxCost": max_cost,
        "needBefore": need_before, "ownId": own_id_bytes(own_id), "retryOf": int(retry_of or 0), "licenceId": licence_id or 0,
    }
    w = _write(rt, actor, "InterlibraryLoan", "submitRequest", req, action="requesting an interlibrary loan", wait=wait)
    ev = w.first("IllRequested")
    if ev is not None:
        return w, str(ev["requestId"])
    # wait=false: the contract's own id function (one source of truth for the id scheme)
    return w, str(rt.chain.contract("InterlibraryLoan").call("computeRequestId", actor.account, own_id_bytes(own_id)))


def ill_update_status(*, rt: Runtime, actor: Actor, request_id: str, status: str, reason_code: int = 0, due_date: int = 0, charge: int = 0, wait: bool = True) -> Written:
    return _write(
        rt, actor, "InterlibraryLoan", "updateStatus", int(request_id), ILL_STATUS.index(status), 0, reason_code, due_date, charge,
        action="updating an ILL request's status (as its supplier)", wait=wait,
    )


def ill_act(*, rt: Runtime, actor: Actor, request_id: str, action: str, forward_to: str | None = None, wait: bool = True) -> Written:
    return _write(
        rt, actor, "InterlibraryLoan", "act", int(request_id), ILL_ACTION.index(action), forward_to or "0x" + "00" * 20,
        action="acting on an ILL request (as its requester)", wait=wait,
    )


def ill_answer_cancel(*, rt: Runtime, actor: Actor, request_id: str, accept: bool, wait: bool = True) -> Written:
    return _write(rt, actor, "InterlibraryLoan", "answerCancel", int(request_id), accept, action="answering a cancel request", wait=wait)


def ill_answer_renew(*, rt: Runtime, actor: Actor, request_id: str, new_due_date: int | None, wait: bool = True) -> Written:
    return _write(rt, actor, "InterlibraryLoan", "answerRenew", int(request_id), new_due_date or 0, action="answering a renewal request", wait=wait)


def ill_mark_overdue(*, rt: Runtime, actor: Actor, request_id: str, wait: bool = True) -> Written:
    return _write(rt, actor, "InterlibraryLoan", "markOverdue", int(request_id), action="marking an ILL loan overdue", wait=wait)


def ill_refund(*, rt: Runtime, actor: Actor, request_id: str, amount: int, wait: bool = True) -> Written:
    return _write(rt, actor, "InterlibraryLoan", "refundCharge", int(request_id), amount, action="refunding a lending charge", wait=wait)


def ill_record_found(*, rt: Runtime, actor: Actor, request_id: str, refund: int = 0, wait: bool = True) -> Written:
    return _write(rt, actor, "InterlibraryLoan", "recordFound", int(request_id), refund, action="recording a lost item as found", wait=wait)


# ------------------------------------------------------------------------------ settlement, royalties


def close_period(*, rt: Runtime, actor: Actor, wait: bool = True) -> tuple[Written, int | None]:
    w = _write(rt, actor, "Clearing", "closePeriod", action="closing the settlement period", wait=wait)
    ev = w.first("PeriodClosed")
    return w, (int(ev["periodId"]) if ev else None)


def settle_period(*, rt: Runtime, actor: Actor, period_id: int, wait: bool = True) -> Written:
    return _write(rt, actor, "Clearing", "settle", period_id, action="paying a settlement debt", wait=wait)


def withdraw_settlement(*, rt: Runtime, actor: Actor, period_id: int, wait: bool = True) -> Written:
    return _write(rt, actor, "Clearing", "withdraw", period_id, action="withdrawing a settlement claim", wait=wait)


def withdraw_royalties(*, rt: Runtime, actor: Actor, wait: bool = True) -> Written:
    require_role_any_member(rt, actor)
    return send(rt, actor, "Royalties", "withdraw", wait=wait)


def require_role_any_member(rt: Runtime, actor: Actor) -> None:
    from .common import MEMBER_STATUS

    m = rt.chain.contract("Consortium").call("member", actor.account)
    status = MEMBER_STATUS.get(int(m["status"]))
    if status == "Suspended":
        raise Problem(403, "member-suspended", "Member suspended", f"member {actor.member} is suspended by the consortium")
    if status != "Active":
        raise Problem(403, "not-a-member", "Not a member", f"account {actor.account} is not an admitted member")

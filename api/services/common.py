"""What every write shares: the role check, sending, waiting for the mirror."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger import roles as role_ids
from ledger.errors import TransactionRejected
from ledger.pipeline import Outcome

from ..deps import Actor
from ..problems import Problem, forbidden_role
from ..runtime import Runtime

MEMBER_STATUS = {0: "None", 1: "Active", 2: "Suspended"}


@dataclass
class Written:
    """The outcome of one write: its transaction, and how far it got."""

    tx_hash: str
    status: str  # submitted | mined | mirrored
    block_number: int | None = None
    as_of_block: int | None = None
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (contract, event, args)

    def first(self, event: str) -> dict[str, Any] | None:
        return next((a for (_, e, a) in self.events if e == event), None)


def require_role(rt: Runtime, actor: Actor, role: str, action: str) -> None:
    """Answer 403 before anything is signed when ``actor`` lacks ``role`` (checked on chain, live)."""
    consortium = rt.chain.contract("Consortium")
    if role == "governor":
        if consortium.call("defaultAdmin").lower() != actor.account.lower():
            raise forbidden_role("governor", actor.member, action)
        return
    m = consortium.call("member", actor.account)
    status = MEMBER_STATUS.get(int(m["status"]), str(m["status"]))
    if status == "Suspended":
        raise Problem(403, "member-suspended", "Member suspended", f"member {actor.member} is suspended by the consortium")
    if status != "Active":
        raise Problem(403, "not-a-member", "Not a member", f"account {actor.account} ({actor.member}) is not an admitted member")
    if not consortium.call("hasActiveRole", role_ids.role_id(role), actor.account):
        raise forbidden_role(role, actor.member, action)


def decode_events(rt: Runtime, receipt: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    man = rt.chain.manifest
    if man is None:
        return out
    for name in man.contracts:
        for ev, args in rt.chain.contract(name).events(receipt):
            out.append((name, ev, args))
    return out


def finish(rt: Runtime, outcome: Outcome, *, wait: bool) -> Written:
    """Turn a pipeline outcome into ``Written``; with ``wait``, block until the mirror has it."""
    if not wait:
        return Written(tx_hash=outcome.tx_hash or "", status="submitted")
    outcome.unwrap()
    block = outcome.block_number
    w = Written(tx_hash=outcome.tx_hash or "", status="mined", block_number=block, events=decode_events(rt, outcome.receipt or {}))
    head = rt.wait_for_block(block) if block is not None else None
    if head is not None:
        w.status, w.as_of_block = "mirrored", head
    return w


def send(rt: Runtime, actor: Actor, contract: str, fn: str, *args: Any, wait: bool = True, signer: LocalAccount | None = None) -> Written:
    """Sign ``contract.fn(*args)`` with the member's key and send it; a revert raises its named error
    before anything is signed (gas estimation)."""
    acct = signer or rt.signer(actor.member)
    if acct.address.lower() != actor.account.lower():
        raise Problem(
            409, "key-mismatch", "Key does not match the member",
            f"the keystore key {actor.member} is {acct.address}, but the token's member account is {actor.account}",
        )
    bound = rt.chain.contract(contract)
    try:
        outcome = bound.transact(fn, *args, sender=acct, wait=wait)
    except TransactionRejected as exc:
        if "nonce" not in str(exc).lower():
            raise
        # The member also signs elsewhere (POST /tx/raw, its own tools): re-read its nonce, retry once.
        rt.chain.pipeline.nonces.resync(acct.address)
        outcome = bound.transact(fn, *args, sender=acct, wait=wait)
    return finish(rt, outcome, wait=wait)

"""Raw signed transactions from members who sign themselves.

Checked before anything reaches the node: the bytes decode as a transaction (legacy EIP-155,
EIP-2930 or EIP-1559), its chain id is this chain's, its sender is the token's member, it calls a
libledger contract, and the member holds the role the function needs. A call that would revert
is refused with the decoded custom error (``eth_call`` on the pending state).
"""

from __future__ import annotations

import time
from typing import Any

import rlp
from eth_account import Account
from eth_utils import to_checksum_address

from ledger.errors import TransactionRejected
from ledger.pipeline import Call, Outcome
from ledger.rpc import RpcError, revert_data

from ..deps import Actor
from ..problems import Problem
from ..runtime import Runtime
from .common import Written, decode_events, require_role
from .writes import ROLE_OF, require_role_any_member


def _bad(detail: str) -> Problem:
    return Problem(422, "invalid-transaction", "Invalid transaction", detail)


def decode(raw: bytes) -> dict[str, Any]:
    """chain id, to, value and data of a signed transaction; ``Problem`` 422 if it does not decode."""
    try:
        if raw and raw[0] in (1, 2):
            fields = rlp.decode(raw[1:])
            chain_id = int.from_bytes(fields[0], "big")
            to, value, data = (fields[4], fields[5], fields[6]) if raw[0] == 1 else (fields[5], fields[6], fields[7])
        else:
            fields = rlp.decode(raw)
            if len(fields) != 9:
                raise ValueError("a legacy transaction has 9 fields")
            v = int.from_bytes(fields[6], "big")
            if v < 35:
                raise _bad("the transaction is not replay-protected (EIP-155 chain id missing)")
            chain_id = (v - 35) // 2
            to, value, data = fields[3], fields[4], fields[5]
        sender = Account.recover_transaction(raw)
    except Problem:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the client's
        raise _bad(f"not a decodable signed transaction: {exc}") from None
    return {
        "chain_id": chain_id, "to": to_checksum_address(to) if to else None, "value": int.from_bytes(value, "big"),
        "data": bytes(data), "sender": to_checksum_address(sender),
    }


def submit_raw(*, rt: Runtime, actor: Actor, raw: bytes, wait: bool = True) -> Written:
    tx = decode(raw)
    if tx["chain_id"] != rt.chain.chain_id:
        raise _bad(f"the transaction is for chain id {tx['chain_id']}, this chain is {rt.chain.chain_id}")
    if tx["sender"].lower() != actor.account.lower():
        raise Problem(403, "wrong-signer", "Signed by another account", f"the transaction is signed by {tx['sender']}, not by the token's member {actor.account}")
    man = rt.chain.manifest
    target = next((n for n, c in (man.contracts.items() if man else []) if c.address.lower() == (tx["to"] or "").lower()), None)
    if target is None:
        raise _bad("the transaction does not call a libledger contract")
    abi = rt.chain.contract(target).abi
    fn = next((f for f in abi.functions.values() if f.selector == tx["data"][:4]), None)
    if fn is None:
        raise _bad(f"the transaction calls no function of {target}")
    role = ROLE_OF.get((target, fn.name))
    if role:
        require_role(rt, actor, role, f"{target}.{fn.name}")
    else:
        require_role_any_member(rt, actor)
    # Refuse a call that would revert, with its decoded error (nothing is sent).
    params = {"from": tx["sender"], "to": tx["to"], "data": "0x" + tx["data"].hex(), "value": hex(tx["value"])}
    try:
        rt.chain.rpc.call("eth_call", [params, "pending"])
    except RpcError as err:
        data = revert_data(err)
        if data is not None:
            raise rt.chain.errors.exception(data) from None
        raise TransactionRejected(f"the node refused the call: {err}") from None
    try:
        tx_hash = rt.chain.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
    except RpcError as err:
        raise TransactionRejected(f"the node refused the transaction: {err}") from None
    rt.chain.pipeline.nonces.resync(actor.account)  # the service's own nonce counter for this member is stale now
    if not wait:
        return Written(tx_hash=tx_hash, status="submitted")
    deadline = time.monotonic() + rt.settings.write_wait_timeout
    receipt = None
    while receipt is None and time.monotonic() < deadline:
        receipt = rt.chain.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is None:
            time.sleep(0.02)
    if receipt is None:
        return Written(tx_hash=tx_hash, status="submitted")
    if receipt.get("status") != "0x1":
        block = int(receipt["blockNumber"], 16)
        try:
            rt.chain.rpc.call("eth_call", [params, hex(block - 1)])
        except RpcError as err:
            data = revert_data(err)
            if data is not None:
                raise rt.chain.errors.exception(data, tx_hash=tx_hash) from None
        raise TransactionRejected(f"transaction {tx_hash} reverted", tx_hash=tx_hash)
    block = int(receipt["blockNumber"], 16)
    w = Written(tx_hash=tx_hash, status="mined", block_number=block, events=decode_events(rt, receipt))
    head = rt.wait_for_block(block)
    if head is not None:
        w.status, w.as_of_block = "mirrored", head
    return w


_unused = (Call, Outcome)

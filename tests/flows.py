"""Small steps of the rights/licensing flows on a real chain, shared by end-to-end tests.

Each returns the id the contract emitted, read from the receipt's events.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.chain import Chain

PERPETUAL, METERED, SUBSCRIPTION = 0, 1, 2


def event(chain: Chain, contract: str, outcome, name: str) -> dict[str, Any]:
    for ev, args in chain.contract(contract).events(outcome.receipt):
        if ev == name:
            return args
    raise AssertionError(f"{contract}.{name} not emitted; got {chain.contract(contract).events(outcome.receipt)}")


def register_work(chain: Chain, publisher: LocalAccount, payees: list[str] | None = None, bps: list[int] | None = None, *, content: bytes | None = None) -> int:
    content = content or os.urandom(32)
    payees = payees or [publisher.address]
    bps = bps or [10_000]
    out = chain.contract("Works").transact(
        "registerWork", hashlib.sha256(content).digest(), b"\x00\x11" + os.urandom(8), "ipfs://bafy-meta", payees, bps, sender=publisher
    )
    return event(chain, "Works", out, "WorkRegistered")["workId"]


def terms_input(kind: int = PERPETUAL, price: int = 10_000, copies: int = 1, *, loan_period: int = 14 * 86_400, max_loans: int = 0, duration: int = 0, ill: bool = True) -> dict[str, Any]:
    return {
        "kind": kind,
        "price": price,
        "copies": copies,
        "loanPeriod": loan_period,
        "maxLoansPerCopy": max_loans,
        "duration": duration,
        "territory": b"CN",
        "illAllowed": ill,
        "legalTextHash": hashlib.sha256(b"licence text v1").digest(),
        "legalTextURI": "ipfs://bafy-legal",
    }


def offer_terms(chain: Chain, publisher: LocalAccount, work_id: int, **kw: Any) -> int:
    lic = chain.contract("Licensing")
    t = terms_input(**kw)
    terms_id = lic.call("publishTerms", t, sender=publisher.address)  # identical terms keep their id
    lic.transact("publishTerms", t, sender=publisher)
    lic.transact("attachTerms", work_id, terms_id, sender=publisher)
    return terms_id


def acquire(chain: Chain, library: LocalAccount, work_id: int, terms_id: int, copies: int = 1) -> int:
    out = chain.contract("Licensing").transact("acquire", work_id, terms_id, copies, sender=library)
    return event(chain, "Licensing", out, "LicenceAcquired")["licenceId"]


def deposit(chain: Chain, library: LocalAccount, amount: int) -> int:
    """Prepay ``amount`` fen into the library's Royalties deposit (metered checkouts pay from it);
    returns the deposit after."""
    out = chain.contract("Royalties").transact("deposit", amount, sender=library)
    return event(chain, "Royalties", out, "Deposited")["balance"]


def checkout(chain: Chain, library: LocalAccount, licence_id: int) -> int:
    out = chain.contract("Licensing").transact("checkout", licence_id, os.urandom(32), sender=library)
    return event(chain, "Licensing", out, "LoanCheckedOut")["loanId"]


def royalty_balance(chain: Chain, account: str) -> int:
    return chain.contract("Royalties").call("balanceOf", account)


def credit_balance(chain: Chain, account: str) -> int:
    return chain.contract("Credit").call("balanceOf", account)


def travel(chain: Chain, seconds: int) -> None:
    """Move the dev chain's clock forward and mine a block, so estimates see the new time."""
    chain.rpc.call("evm_increaseTime", [seconds])
    chain.rpc.call("evm_mine")


# ---------------------------------------------------------------- interlibrary loan (ISO 18626)

class Status:
    RequestReceived, ExpectToSupply, WillSupply, RetryPossible, Unfilled = 1, 2, 3, 4, 5
    Loaned, Overdue, Recalled, Cancelled, CompletedWithoutReturn, CopyCompleted, LoanCompleted = 6, 7, 8, 9, 10, 11, 12


class Action:
    Received, Cancel, Renew, ShippedReturn, ShippedForward, Lost = 0, 1, 2, 3, 4, 5


LOAN, COPY = 0, 1
ITEM_WORK, ITEM_BIBLIOGRAPHIC = 0, 1
NO_ADDRESS = "0x" + "00" * 20


def isbn_key(isbn: str) -> bytes:
    """Bibliographic key of an item: SHA-256 of its ISBN (the union catalogue's key works alike)."""
    return hashlib.sha256(isbn.encode()).digest()


def now(chain: Chain) -> int:
    return int(chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def ill_request(chain: Chain, requester: LocalAccount, supplier: str, *, service: int = LOAN, max_cost: int = 1_000,
                item: bytes | None = None, item_kind: int = ITEM_BIBLIOGRAPHIC, licence_id: int = 0, own_id: bytes | None = None,
                retry_of: int = 0) -> int:
    ill = chain.contract("InterlibraryLoan")
    own_id = own_id or os.urandom(32)
    r = {
        "supplier": supplier,
        "service": service,
        "itemKind": item_kind,
        "item": item or isbn_key("978-7-02-000220-" + str(int.from_bytes(os.urandom(2), "big") % 10)),
        "maxCost": max_cost,
        "needBefore": now(chain) + 30 * 86_400,
        "ownId": own_id,
        "retryOf": retry_of,
        "licenceId": licence_id,
    }
    ill.transact("submitRequest", r, sender=requester)
    return ill.call("requestIdOf", requester.address, own_id)


def ill_status(chain: Chain, supplier: LocalAccount, request_id: int, status: int, *, due: int = 0, charge: int = 0,
               reason: tuple[int, int] = (0, 0)):
    return chain.contract("InterlibraryLoan").transact("updateStatus", request_id, status, reason[0], reason[1], due, charge, sender=supplier)


def ill_act(chain: Chain, library: LocalAccount, request_id: int, action: int, forward_to: str = NO_ADDRESS):
    return chain.contract("InterlibraryLoan").transact("act", request_id, action, forward_to, sender=library)


def ill_view(chain: Chain, request_id: int) -> dict[str, Any]:
    return chain.contract("InterlibraryLoan").call("request", request_id)

"""Mirror-vs-chain checks: a record as the mirror folds it against the contract's own view,
read at the mirror's head block so both describe the same moment."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ledger.chain import Chain
from ledger.errors import ContractRevert

from ..problems import Problem
from . import reads

LOAN_STATUS = ["None", "Active", "Returned", "Expired"]
WORK_STATUS = ["None", "Active", "Disputed", "Revoked"]


def _cmp(mirror: dict[str, Any], chain: dict[str, Any]) -> list[str]:
    return [f"{k}: mirror {mirror.get(k)!r} != chain {chain.get(k)!r}" for k in chain if mirror.get(k) != chain.get(k)]


def check(*, session: Session, chain: Chain, kind: str, ident: str) -> dict[str, Any]:
    block = reads.as_of(session)
    if kind != "royalty-balance" and (not ident.isdigit() or int(ident) >= 2**256):
        raise Problem(422, "invalid-input", "Invalid input", f"{kind} ids are decimal numbers below 2**256", errors=[{"field": "path.ident", "message": "decimal id"}])
    if kind in ("work", "licence", "loan") and int(ident) >= 2**40:
        raise Problem(404, "not-found", "Not found", f"no {kind} {ident} in the mirror", resource=kind, id=ident)
    try:
        if kind == "work":
            w = reads.get_work(session, int(ident))
            v = chain.contract("Works").call("work", int(ident), block=block)
            payees, bps = chain.contract("Works").call("payees", int(ident), block=block)
            m = {"holder": w["holder"], "status": w["status"], "content_hash": w["content_hash"], "payees": [(p["account"], p["bps"]) for p in w["payees"]]}
            c = {"holder": v["holder"], "status": WORK_STATUS[int(v["status"])], "content_hash": "0x" + bytes(v["contentHash"]).hex(), "payees": list(zip(payees, bps))}
        elif kind == "licence":
            lic = reads.get_licence(session, int(ident))
            v = chain.contract("Licensing").call("licence", int(ident), block=block)
            m = {k: lic[k] for k in ("holder", "work_id", "terms_id", "copies", "active_loans", "total_loans")}
            c = {"holder": v["holder"], "work_id": v["workId"], "terms_id": v["termsId"], "copies": v["copies"], "active_loans": v["activeLoans"], "total_loans": v["totalLoans"]}
        elif kind == "loan":
            loan = reads.get_loan(session, int(ident))
            v = chain.contract("Licensing").call("loan", int(ident), block=block)
            m = {"licence_id": loan["licence_id"], "library": loan["library"], "status": loan["status"], "due_at": loan["due_at"]}
            c = {"licence_id": v["licenceId"], "library": v["library_"], "status": LOAN_STATUS[int(v["status"])], "due_at": reads.iso(v["dueAt"])}
        elif kind == "ill-request":
            r = reads.get_ill(session, ident)
            v = chain.contract("InterlibraryLoan").call("request", int(ident), block=block)
            keys = ("requester", "supplier", "borrower", "status", "max_cost", "due_date", "cancel_pending", "renew_pending", "received", "return_shipped", "lost_reported", "found", "lending_charged", "lending_refunded", "replacement_charged", "replacement_refunded")
            m = {k: r[k] for k in keys}
            c = {
                "requester": v["requester"], "supplier": v["supplier"], "borrower": v["borrower"], "status": reads.ILL_STATUS[int(v["status"])],
                "max_cost": v["maxCost"], "due_date": reads.iso(v["dueDate"]), "cancel_pending": v["cancelPending"], "renew_pending": v["renewPending"],
                "received": v["received"], "return_shipped": v["returnShipped"], "lost_reported": v["lostReported"], "found": v["found"],
                "lending_charged": v["lendingCharged"], "lending_refunded": v["lendingRefunded"], "replacement_charged": v["replacementCharged"],
                "replacement_refunded": v["replacementRefunded"],
            }
        elif kind == "royalty-balance":
            if not ident.startswith("0x"):
                raise Problem(422, "invalid-input", "Invalid input", "royalty-balance checks take an account address")
            from eth_utils import to_checksum_address

            acct = to_checksum_address(ident)
            m = {"balance": reads.royalty_balance(session, acct)["balance"]}
            c = {"balance": chain.contract("Royalties").call("balanceOf", acct, block=block)}
        else:
            raise Problem(422, "invalid-input", "Invalid input", f"cannot check {kind}")
    except ContractRevert as exc:
        raise Problem(409, "mirror-ahead", "Record unknown to the chain", f"the mirror has {kind} {ident} but the chain says {exc.describe()}") from None
    diffs = _cmp(m, c)
    jsonable = lambda d: {k: (str(v) if isinstance(v, int) and abs(v) > 2**53 else v) for k, v in d.items()}  # noqa: E731
    return {"kind": kind, "id": ident, "as_of_block": block, "consistent": not diffs, "mirror": jsonable(m), "chain": jsonable(c), "differences": diffs}

"""Reads from the mirror.

Members and credit come from the indexer's projections. Works, terms, licences, loans, ILL
requests, settlements and royalties are folded here from the mirror's ``raw_events`` (decoded
by the indexer, kept in chain order): each entity's events are found through expression indexes
on the entity id (``api.tokens.ensure_schema``) and folded into its current state. When the
indexer's own projections for these contracts land, only this module changes.

Every read returns the mirror's head block with it (``as_of_block``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, literal_column, or_, select, tuple_
from sqlalchemy.orm import Session

from ledger.mirror.db import head_block
from ledger.mirror.models import Block, CreditBalance, Member, MemberRole, RawEvent

from ..problems import Problem

# ------------------------------------------------------------------------------ enums by name

ILL_STATUS = [
    "None", "RequestReceived", "ExpectToSupply", "WillSupply", "RetryPossible", "Unfilled", "Loaned", "Overdue",
    "Recalled", "Cancelled", "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted",
]
ILL_TERMINAL = {"RetryPossible", "Unfilled", "Cancelled", "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted"}
ILL_ACTION = ["Received", "Cancel", "Renew", "ShippedReturn", "ShippedForward", "Lost"]
SERVICE = ["Loan", "Copy"]
ITEM_KIND = ["Work", "Bibliographic"]
TERMS_KIND = ["PerpetualCopies", "PerLoanMetered", "Subscription"]
RULING = ["None", "Uphold", "Transfer", "Revoke"]
CHARGE_KIND = ["Lending", "Replacement", "Refund"]
PAYMENT_REF = ["None", "Licence", "DigitalLoan", "IllRequest"]


def _name(table: list[str], v: Any) -> str:
    i = int(v)
    return table[i] if 0 <= i < len(table) else str(i)


def iso(ts: int | None) -> str | None:
    if ts is None or ts == 0:
        return None
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------ cursors


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, n: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != n:
            raise ValueError
        return parts
    except (ValueError, TypeError):
        raise Problem(422, "invalid-input", "Invalid input", "cursor: not a cursor this API gave out", errors=[{"field": "query.cursor", "message": "bad cursor"}]) from None


# ------------------------------------------------------------------------------ event access


def arg(session: Session, key: str) -> ColumnElement[Any]:
    """``args[key]`` as text, spelled exactly like the expression indexes so they are used."""
    if session.get_bind().dialect.name == "postgresql":
        return literal_column(f"(raw_events.args->>'{key}')")
    return literal_column(f"CAST(json_extract(raw_events.args, '$.{key}') AS TEXT)")


def _rows(session: Session, q: Any) -> list[dict[str, Any]]:
    q = q.add_columns(Block.timestamp).outerjoin(Block, Block.number == RawEvent.block_number)
    out = []
    for ev, ts in session.execute(q):
        out.append(
            {
                "contract": ev.contract, "event": ev.event, "args": ev.args or {}, "block_number": ev.block_number,
                "log_index": ev.log_index, "tx_hash": ev.tx_hash, "timestamp": ts,
            }
        )
    return out


def events_of(session: Session, contract: str, key: str, values: Iterable[Any], *, events: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every event of ``contract`` whose argument ``key`` is one of ``values``, in chain order."""
    vals = [str(v) for v in values]
    if not vals:
        return []
    col = arg(session, key)
    q = select(RawEvent).where(RawEvent.contract == contract, col.in_(vals) if len(vals) > 1 else col == vals[0])
    if events:
        q = q.where(RawEvent.event.in_(list(events)))
    return _rows(session, q.order_by(RawEvent.block_number, RawEvent.log_index))


def page_of_events(
    session: Session, contract: str, event: str, *, limit: int, cursor: str | None, where: Sequence[ColumnElement[bool]] = (), newest_first: bool = True
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``contract.event`` logs (keyset on block number + log index)."""
    pos = decode_cursor(cursor, 2)
    q = select(RawEvent).where(RawEvent.contract == contract, RawEvent.event == event, *where)
    key = tuple_(RawEvent.block_number, RawEvent.log_index)
    if pos is not None:
        q = q.where(key < tuple_(int(pos[0]), int(pos[1])) if newest_first else key > tuple_(int(pos[0]), int(pos[1])))
    order = (RawEvent.block_number.desc(), RawEvent.log_index.desc()) if newest_first else (RawEvent.block_number, RawEvent.log_index)
    rows = _rows(session, q.order_by(*order).limit(limit + 1))
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1]["block_number"], rows[-1]["log_index"])
    return rows, nxt


def trail_entry(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract": e["contract"], "event": e["event"], "block_number": e["block_number"], "log_index": e["log_index"],
        "tx_hash": e["tx_hash"], "at": iso(e["timestamp"]), "args": e["args"],
    }


def as_of(session: Session) -> int:
    return head_block(session) or 0


def _group(events: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        out.setdefault(str(e["args"].get(key)), []).append(e)
    return out


# ------------------------------------------------------------------------------ works

WORK_EVENTS = ("WorkRegistered", "PayeesSet", "RightsTransferred", "MetadataUpdated", "DisputeOpened", "DisputeAnswered", "DisputeResolved", "WorkRevoked")


def fold_work(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    w: dict[str, Any] | None = None
    for e in events:
        a, name = e["args"], e["event"]
        if name == "WorkRegistered":
            w = {
                "id": int(a["workId"]), "content_hash": a["contentHash"], "iscc": a["isccCode"], "holder": a["holder"],
                "metadata_uri": a["metadataURI"], "status": "Active", "payees": [], "registered_at": iso(e["timestamp"]),
                "registered_block": e["block_number"], "registered_tx": e["tx_hash"], "open_dispute": None,
            }
        elif w is None:
            continue
        elif name == "PayeesSet":
            w["payees"] = [{"account": p, "bps": int(b)} for p, b in zip(a["payees"], a["bps"])]
        elif name == "RightsTransferred":
            w["holder"] = a["to"]
        elif name == "MetadataUpdated":
            w["metadata_uri"] = a["metadataURI"]
        elif name == "DisputeOpened":
            w["status"] = "Disputed"
            w["open_dispute"] = {"id": int(a["disputeId"]), "claimant": a["claimant"], "respond_by": iso(a["respondBy"]), "evidence_uri": a["evidenceURI"]}
        elif name == "DisputeResolved":
            ruling = _name(RULING, a["ruling"])
            w["status"] = "Revoked" if ruling == "Revoke" else "Active"
            w["open_dispute"] = None
        elif name == "WorkRevoked":
            w["status"] = "Revoked"
    return w


def get_work(session: Session, work_id: int) -> dict[str, Any]:
    w = fold_work(events_of(session, "Works", "workId", [work_id], events=WORK_EVENTS))
    if w is None:
        raise Problem(404, "not-found", "Not found", f"no work {work_id} in the mirror", resource="work", id=str(work_id))
    return w


def works_by_ids(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    grouped = _group(events_of(session, "Works", "workId", ids, events=WORK_EVENTS), "workId")
    out = []
    for i in ids:
        w = fold_work(grouped.get(str(i), []))
        if w is not None:
            out.append(w)
    return out


def list_works(
    session: Session, *, limit: int, cursor: str | None, holder: str | None = None, content_hash: str | None = None,
    iscc: str | None = None, work_ids: list[int] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    where: list[ColumnElement[bool]] = []
    if holder:
        where.append(arg(session, "holder") == holder)
    if content_hash:
        where.append(arg(session, "contentHash") == content_hash.lower())
    if iscc:
        where.append(arg(session, "isccCode").like(iscc.lower() + "%"))
    if work_ids is not None:
        if not work_ids:
            return [], None
        where.append(arg(session, "workId").in_([str(i) for i in work_ids]))
    rows, nxt = page_of_events(session, "Works", "WorkRegistered", limit=limit, cursor=cursor, where=where)
    return works_by_ids(session, [int(r["args"]["workId"]) for r in rows]), nxt


def work_provenance(session: Session, work_id: int) -> list[dict[str, Any]]:
    """Everything that happened to a work: registry events, offers, licences, royalties."""
    events = events_of(session, "Works", "workId", [work_id])
    if not any(e["event"] == "WorkRegistered" for e in events):
        raise Problem(404, "not-found", "Not found", f"no work {work_id} in the mirror", resource="work", id=str(work_id))
    events += events_of(session, "Licensing", "workId", [work_id])
    events += events_of(session, "Royalties", "workId", [work_id])
    # auditors' anchored reports about this work (Attestations.Subject.Work == 0)
    events += [e for e in events_of(session, "Attestations", "subjectId", [work_id]) if int(e["args"].get("subject", -1)) == 0]
    events.sort(key=lambda e: (e["block_number"], e["log_index"]))
    return [trail_entry(e) for e in events]


# ------------------------------------------------------------------------------ terms


def fold_terms(e: dict[str, Any]) -> dict[str, Any]:
    a = e["args"]
    t = a["terms"]
    territory = t.get("territory", "0x0000")
    code = bytes.fromhex(territory[2:]).decode("ascii", "replace") if territory not in ("0x0000", None) else None
    return {
        "id": int(a["termsId"]), "terms_hash": a["termsHash"], "publisher": a["publisher"], "kind": _name(TERMS_KIND, t["kind"]),
        "price": int(t["price"]), "copies": int(t["copies"]), "loan_period_seconds": int(t["loanPeriod"]),
        "max_loans_per_copy": int(t["maxLoansPerCopy"]), "duration_seconds": int(t["duration"]), "territory": code,
        "ill_allowed": bool(t["illAllowed"]), "fee_bps": int(t["feeBps"]), "legal_text_hash": t["legalTextHash"],
        "legal_text_uri": a["legalTextURI"], "published_block": e["block_number"], "published_tx": e["tx_hash"],
    }


def get_terms(session: Session, terms_id: int) -> dict[str, Any]:
    ev = events_of(session, "Licensing", "termsId", [terms_id], events=["TermsPublished"])
    if not ev:
        raise Problem(404, "not-found", "Not found", f"no licence terms {terms_id} in the mirror", resource="terms", id=str(terms_id))
    return fold_terms(ev[0])


def list_terms(session: Session, *, limit: int, cursor: str | None, publisher: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    where = [arg(session, "publisher") == publisher] if publisher else []
    rows, nxt = page_of_events(session, "Licensing", "TermsPublished", limit=limit, cursor=cursor, where=where)
    return [fold_terms(r) for r in rows], nxt


def offers_of_work(session: Session, work_id: int) -> list[dict[str, Any]]:
    offers: dict[int, dict[str, Any]] = {}
    for e in events_of(session, "Licensing", "workId", [work_id], events=["TermsAttached", "TermsEnabledSet"]):
        a = e["args"]
        tid = int(a["termsId"])
        if e["event"] == "TermsAttached":
            offers[tid] = {"work_id": work_id, "terms_id": tid, "offer_id": int(a["offerId"]), "enabled": True, "attached_block": e["block_number"]}
        elif tid in offers:
            offers[tid]["enabled"] = bool(a["enabled"])
    terms = {t: get_terms(session, t) for t in offers}
    return [dict(o, terms=terms[o["terms_id"]]) for o in offers.values()]


# ------------------------------------------------------------------------------ licences

LICENCE_EVENTS = ("LicenceAcquired", "LicenceRenewed", "CopyUsed", "CopyReleased")


def fold_licence(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    lic: dict[str, Any] | None = None
    for e in events:
        a, name = e["args"], e["event"]
        if name == "LicenceAcquired":
            lic = {
                "id": int(a["licenceId"]), "work_id": int(a["workId"]), "terms_id": int(a["termsId"]), "holder": a["holder"],
                "copies": int(a["copies"]), "valid_until": iso(int(a["validUntil"])), "paid": int(a["gross"]),
                "subsidy": int(a["subsidy"]), "pool_id": int(a["poolId"]) or None, "active_loans": 0, "total_loans": 0,
                "ill_loans": 0, "acquired_at": iso(e["timestamp"]), "acquired_block": e["block_number"], "acquired_tx": e["tx_hash"],
            }
        elif lic is None:
            continue
        elif name == "LicenceRenewed":
            lic["valid_until"] = iso(int(a["validUntil"]))
            lic["paid"] += int(a["gross"])
            lic["subsidy"] += int(a["subsidy"])
        elif name == "CopyUsed":
            lic["active_loans"] = int(a["activeLoans"])
            lic["total_loans"] += 1
            lic["ill_loans"] += 1 if a.get("forIll") else 0
        elif name == "CopyReleased":
            lic["active_loans"] = int(a["activeLoans"])
    return lic


def get_licence(session: Session, licence_id: int) -> dict[str, Any]:
    lic = fold_licence(events_of(session, "Licensing", "licenceId", [licence_id], events=LICENCE_EVENTS))
    if lic is None:
        raise Problem(404, "not-found", "Not found", f"no licence {licence_id} in the mirror", resource="licence", id=str(licence_id))
    return lic


def list_licences(session: Session, *, limit: int, cursor: str | None, holder: str | None = None, work_id: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    where: list[ColumnElement[bool]] = []
    if holder:
        where.append(arg(session, "holder") == holder)
    if work_id is not None:
        where.append(arg(session, "workId") == str(work_id))
    rows, nxt = page_of_events(session, "Licensing", "LicenceAcquired", limit=limit, cursor=cursor, where=where)
    ids = [int(r["args"]["licenceId"]) for r in rows]
    grouped = _group(events_of(session, "Licensing", "licenceId", ids, events=LICENCE_EVENTS), "licenceId")
    return [lic for i in ids if (lic := fold_licence(grouped.get(str(i), []))) is not None], nxt


# ------------------------------------------------------------------------------ digital loans

LOAN_EVENTS = ("LoanCheckedOut", "LoanCheckedIn", "LoanExpired")


def fold_loan(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    loan: dict[str, Any] | None = None
    for e in events:
        a, name = e["args"], e["event"]
        if name == "LoanCheckedOut":
            loan = {
                "id": int(a["loanId"]), "licence_id": int(a["licenceId"]), "library": a["library_"], "ref": a["ref"],
                "due_at": iso(int(a["dueAt"])), "charge": int(a["charge"]), "status": "Active", "checked_out_at": iso(e["timestamp"]),
                "checked_out_block": e["block_number"], "checked_out_tx": e["tx_hash"], "closed_at": None,
            }
        elif loan is None:
            continue
        else:
            loan["status"] = "Returned" if name == "LoanCheckedIn" else "Expired"
            loan["closed_at"] = iso(e["timestamp"])
    return loan


def get_loan(session: Session, loan_id: int) -> dict[str, Any]:
    loan = fold_loan(events_of(session, "Lending", "loanId", [loan_id], events=LOAN_EVENTS))
    if loan is None:
        raise Problem(404, "not-found", "Not found", f"no loan {loan_id} in the mirror", resource="loan", id=str(loan_id))
    return loan


def list_loans(session: Session, *, limit: int, cursor: str | None, library: str | None = None, licence_id: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    where: list[ColumnElement[bool]] = []
    if library:
        where.append(arg(session, "library_") == library)
    if licence_id is not None:
        where.append(arg(session, "licenceId") == str(licence_id))
    rows, nxt = page_of_events(session, "Lending", "LoanCheckedOut", limit=limit, cursor=cursor, where=where)
    ids = [int(r["args"]["loanId"]) for r in rows]
    grouped = _group(events_of(session, "Lending", "loanId", ids, events=LOAN_EVENTS), "loanId")
    return [x for i in ids if (x := fold_loan(grouped.get(str(i), []))) is not None], nxt


# ------------------------------------------------------------------------------ ILL requests


def fold_ill(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    r: dict[str, Any] | None = None
    for e in events:
        a, name = e["args"], e["event"]
        if name == "IllRequested":
            r = {
                "id": str(a["requestId"]), "requester": a["requester"], "supplier": a["supplier"], "borrower": a["requester"],
                "own_id": a["ownId"], "service": _name(SERVICE, a["service"]), "item_kind": _name(ITEM_KIND, a["itemKind"]),
                "item": a["item"], "max_cost": int(a["maxCost"]), "need_before": iso(int(a["needBefore"])),
                "retry_of": str(a["retryOf"]) if str(a["retryOf"]) != "0" else None, "licence_id": int(a["licenceId"]) or None,
                "status": "RequestReceived", "due_date": None, "cancel_pending": False, "renew_pending": False, "received": False,
                "return_shipped": False, "lost_reported": False, "found": False, "lending_charged": 0, "lending_refunded": 0,
                "replacement_charged": 0, "replacement_refunded": 0, "requested_at": iso(e["timestamp"]),
                "requested_block": e["block_number"], "requested_tx": e["tx_hash"], "updated_block": e["block_number"],
            }
            continue
        if r is None:
            continue
        r["updated_block"] = e["block_number"]
        if name == "StatusChanged":
            r["status"] = _name(ILL_STATUS, a["to"])
            r["due_date"] = iso(int(a["dueDate"]))
            if r["status"] in ("LoanCompleted", "CompletedWithoutReturn", "Recalled"):
                r["renew_pending"] = False
        elif name == "ActionRecorded":
            act = _name(ILL_ACTION, a["action"])
            if act == "Cancel":
                r["cancel_pending"] = True
            elif act == "Received":
                r["received"] = True
            elif act == "Renew":
                r["renew_pending"] = True
            elif act == "ShippedReturn":
                r["return_shipped"], r["renew_pending"] = True, False
            elif act == "ShippedForward":
                r["borrower"], r["received"], r["renew_pending"] = a["forwardTo"], False, False
            elif act == "Lost":
                r["lost_reported"], r["renew_pending"] = True, False
        elif name == "CancelAnswered":
            r["cancel_pending"] = False
        elif name == "RenewAnswered":
            r["renew_pending"] = False
            r["due_date"] = iso(int(a["dueDate"]))
        elif name == "FoundAfterLost":
            r["found"] = True
            r["replacement_refunded"] += int(a["refund"])
        elif name == "LendingChargeRefunded":
            r["lending_refunded"] += int(a["amount"])
    return r


def _with_charges(session: Session, reqs: list[dict[str, Any]]) -> None:
    if not reqs:
        return
    grouped = _group(events_of(session, "Clearing", "requestId", [r["id"] for r in reqs], events=["ChargePosted"]), "requestId")
    for r in reqs:
        for e in grouped.get(r["id"], []):
            kind = _name(CHARGE_KIND, e["args"]["kind"])
            if kind == "Lending":
                r["lending_charged"] += int(e["args"]["amount"])
            elif kind == "Replacement":
                r["replacement_charged"] += int(e["args"]["amount"])


def get_ill(session: Session, request_id: str) -> dict[str, Any]:
    r = fold_ill(events_of(session, "InterlibraryLoan", "requestId", [request_id]))
    if r is None:
        raise Problem(404, "not-found", "Not found", f"no ILL request {request_id} in the mirror", resource="ill-request", id=request_id)
    _with_charges(session, [r])
    return r


def ill_history(session: Session, request_id: str) -> list[dict[str, Any]]:
    events = events_of(session, "InterlibraryLoan", "requestId", [request_id])
    if not events:
        raise Problem(404, "not-found", "Not found", f"no ILL request {request_id} in the mirror", resource="ill-request", id=request_id)
    events += events_of(session, "Clearing", "requestId", [request_id])
    events.sort(key=lambda e: (e["block_number"], e["log_index"]))
    out = []
    for e in events:
        t = trail_entry(e)
        a = e["args"]
        if e["event"] in ("StatusChanged", "StatusUpdateIgnored"):
            t["summary"] = {k: _name(ILL_STATUS, a[k]) for k in ("from", "to", "current", "proposed") if k in a}
        elif e["event"] in ("ActionRecorded", "ActionIgnored"):
            t["summary"] = {"action": _name(ILL_ACTION, a["action"]), "status": _name(ILL_STATUS, a["status"])}
        out.append(t)
    return out


def list_ill(session: Session, *, limit: int, cursor: str | None, requester: str | None = None, supplier: str | None = None, party: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    where: list[ColumnElement[bool]] = []
    if requester:
        where.append(arg(session, "requester") == requester)
    if supplier:
        where.append(arg(session, "supplier") == supplier)
    if party:
        where.append(or_(arg(session, "requester") == party, arg(session, "supplier") == party))
    rows, nxt = page_of_events(session, "InterlibraryLoan", "IllRequested", limit=limit, cursor=cursor, where=where)
    ids = [str(r["args"]["requestId"]) for r in rows]
    grouped = _group(events_of(session, "InterlibraryLoan", "requestId", ids), "requestId")
    reqs = [x for i in ids if (x := fold_ill(grouped.get(i, []))) is not None]
    _with_charges(session, reqs)
    return reqs, nxt


# ------------------------------------------------------------------------------ settlement


def fold_period(events: list[dict[str, Any]], period_id: int) -> dict[str, Any]:
    p: dict[str, Any] = {"id": period_id, "status": "Open", "opened_at": None, "closed_at": None, "deadline": None, "owed": 0, "paid_in": 0, "withdrawn": 0, "charges": 0}
    positions: dict[str, dict[str, Any]] = {}

    def pos(acct: str) -> dict[str, Any]:
        return positions.setdefault(acct, {"library": acct, "net": 0, "paid": 0, "withdrawn": 0, "defaulted": False})

    for e in events:
        a, name = e["args"], e["event"]
        if name == "PeriodOpened":
            p["opened_at"] = iso(int(a["openedAt"]))
        elif name == "PeriodClosed":
            p.update(status="Closed", closed_at=iso(int(a["closedAt"])), deadline=iso(int(a["deadline"])), owed=int(a["owed"]))
        elif name == "ChargePosted":
            p["charges"] += 1
            pos(a["debtor"])["net"] = int(a["debtorNet"])
            pos(a["creditor"])["net"] = int(a["creditorNet"])
        elif name == "SettlementPaid":
            pos(a["library_"])["paid"] += int(a["amount"])
            p["paid_in"] += int(a["amount"])
        elif name == "SettlementWithdrawn":
            pos(a["library_"])["withdrawn"] += int(a["amount"])
            p["withdrawn"] += int(a["amount"])
        elif name == "SettlementDefaulted":
            pos(a["library_"])["defaulted"] = True
    if p["status"] == "Open":
        p["owed"] = sum(-x["net"] for x in positions.values() if x["net"] < 0)
    p["positions"] = sorted(positions.values(), key=lambda x: x["net"])
    p["net_sum"] = sum(x["net"] for x in positions.values())
    return p


def get_period(session: Session, period_id: int) -> dict[str, Any]:
    events = events_of(session, "Clearing", "periodId", [period_id])
    if not events:
        raise Problem(404, "not-found", "Not found", f"no settlement period {period_id} in the mirror", resource="period", id=str(period_id))
    return fold_period(events, period_id)


def list_periods(session: Session, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    rows, nxt = page_of_events(session, "Clearing", "PeriodOpened", limit=limit, cursor=cursor)
    return [get_period(session, int(r["args"]["periodId"])) for r in rows], nxt


# ------------------------------------------------------------------------------ royalties


def royalty_accruals(session: Session, account: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Payments that credited ``account`` (as payee or as the fee recipient), newest first."""
    out: list[dict[str, Any]] = []
    nxt = cursor
    while len(out) < limit:
        rows, nxt = page_of_events(session, "Royalties", "RoyaltyPaid", limit=200, cursor=nxt)
        for r in rows:
            a = r["args"]
            amount = 0
            role = None
            if a["feeRecipient"] == account:
                amount += int(a["fee"])
                role = "platform-fee"
            for p, n in zip(a["payees"], a["nets"]):
                if p == account:
                    amount += int(n)
                    role = "payee" if role is None else "payee+fee"
            if role:
                out.append({
                    "work_id": int(a["workId"]), "terms_id": int(a["termsId"]), "ref_kind": _name(PAYMENT_REF, a["refKind"]),
                    "ref_id": str(a["refId"]), "payer": a["payer"], "gross": int(a["gross"]), "fee": int(a["fee"]),
                    "amount": amount, "as": role, "block_number": r["block_number"], "tx_hash": r["tx_hash"], "at": iso(r["timestamp"]),
                    "_pos": (r["block_number"], r["log_index"]),
                })
                if len(out) == limit:
                    nxt = encode_cursor(*out[-1]["_pos"])
                    break
        if nxt is None:
            break
    for x in out:
        x.pop("_pos", None)
    return out, nxt


def royalty_balance(session: Session, account: str) -> dict[str, Any]:
    """Accrued (payee nets + fees + escrow releases) minus withdrawn, from the mirror, in fen."""
    accrued = 0
    q = select(RawEvent.event, RawEvent.args).where(RawEvent.contract == "Royalties", RawEvent.event.in_(["RoyaltyPaid", "EscrowReleased"]))
    for name, a in session.execute(q):
        if name == "RoyaltyPaid":
            if a["feeRecipient"] == account:
                accrued += int(a["fee"])
            accrued += sum(int(n) for p, n in zip(a["payees"], a["nets"]) if p == account)
        else:
            accrued += sum(int(n) for p, n in zip(a["accounts"], a["amounts"]) if p == account)
    withdrawn = sum(int(e["args"]["amount"]) for e in events_of(session, "Royalties", "account", [account], events=["Withdrawn"]))
    return {"account": account, "accrued": accrued, "withdrawn": withdrawn, "balance": accrued - withdrawn}


# ------------------------------------------------------------------------------ audit


def trail(session: Session, kind: str, ident: str) -> list[dict[str, Any]]:
    """The provenance trail of any record: every event that touched it, with block and tx."""
    if kind == "work":
        return work_provenance(session, int(ident))
    if kind == "ill-request":
        return ill_history(session, ident)
    spec = {
        "terms": ("Licensing", "termsId"), "licence": ("Licensing", "licenceId"), "loan": ("Lending", "loanId"),
        "period": ("Clearing", "periodId"),
    }.get(kind)
    if spec is None:
        raise Problem(422, "invalid-input", "Invalid input", f"unknown record kind {kind!r}")
    events = events_of(session, spec[0], spec[1], [ident])
    if kind == "licence":
        events += events_of(session, "Lending", "licenceId", [ident])
        events.sort(key=lambda e: (e["block_number"], e["log_index"]))
    if not events:
        raise Problem(404, "not-found", "Not found", f"no {kind} {ident} in the mirror", resource=kind, id=ident)
    return [trail_entry(e) for e in events]


def tx_events(session: Session, tx_hash: str) -> list[dict[str, Any]]:
    return [trail_entry(e) for e in _rows(session, select(RawEvent).where(RawEvent.tx_hash == tx_hash).order_by(RawEvent.log_index))]


# ------------------------------------------------------------------------------ members


def member_public(session: Session, m: Member) -> dict[str, Any]:
    roles = sorted(session.scalars(select(MemberRole.role_name).where(MemberRole.account == m.account)))
    bal = session.get(CreditBalance, m.account)
    return {
        "isil": m.institution_id, "account": m.account, "name": m.name, "status": m.status, "roles": roles,
        "suspended_reason": m.suspended_reason, "admitted_at": iso(m.admitted_at), "admitted_block": m.admitted_block,
        "credit": bal.balance if bal else 0,
    }


def get_member(session: Session, isil: str) -> dict[str, Any]:
    m = session.scalars(select(Member).where(Member.institution_id == isil)).first()
    if m is None:
        raise Problem(404, "not-found", "Not found", f"no member {isil} in the mirror", resource="member", id=isil)
    return member_public(session, m)


def member_account(session: Session, isil: str) -> str:
    return get_member(session, isil)["account"]


def list_members(session: Session, *, limit: int, cursor: str | None, role: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    pos = decode_cursor(cursor, 1)
    q = select(Member).order_by(Member.institution_id)
    if pos is not None:
        q = q.where(Member.institution_id > str(pos[0]))
    if role:
        q = q.where(Member.account.in_(select(MemberRole.account).where(MemberRole.role_name == role)))
    rows = list(session.scalars(q.limit(limit + 1)))
    nxt = encode_cursor(rows[limit - 1].institution_id) if len(rows) > limit else None
    return [member_public(session, m) for m in rows[:limit]], nxt

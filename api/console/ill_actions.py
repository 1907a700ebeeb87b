"""Which ISO 18626 messages a library may send for one ILL request in its current state.

The console shows only these as buttons; the contract stays the judge (it re-checks every
message and refuses or records as ignored what does not fit). Ranks and terminal states mirror
``InterlibraryLoan._RANKS`` / ``_TERMINAL``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..services.reads import ILL_TERMINAL

RANK = {
    "RequestReceived": 1, "ExpectToSupply": 2, "WillSupply": 3, "RetryPossible": 4, "Unfilled": 4, "Cancelled": 4,
    "Loaned": 5, "Overdue": 5, "Recalled": 6, "CompletedWithoutReturn": 7, "CopyCompleted": 7, "LoanCompleted": 7,
}
#: statuses whose form asks for a due date / a charge / a reason code
NEEDS_DUE = {"Loaned"}
TAKES_CHARGE = {"Loaned", "CopyCompleted", "CompletedWithoutReturn"}
TAKES_REASON = {"RetryPossible", "Unfilled"}


def _past(iso: str | None, now: datetime) -> bool:
    return bool(iso) and datetime.fromisoformat(str(iso).replace("Z", "+00:00")) < now


def supplier_statuses(r: dict[str, Any], now: datetime | None = None) -> list[str]:
    """Statuses the supplier may move ``r`` to now (forward only; Overdue → Loaned to extend)."""
    cur = r["status"]
    if cur in ILL_TERMINAL or cur == "None":
        return []
    now = now or datetime.now(timezone.utc)
    rank = RANK[cur]
    out: list[str] = []
    if rank <= 3:
        out += [s for s in ("ExpectToSupply", "WillSupply") if RANK[s] > rank]
        out.append("Loaned" if r["service"] == "Loan" else "CopyCompleted")
        out += ["RetryPossible", "Unfilled"]
        return out
    if cur == "Loaned":
        if _past(r.get("due_date"), now):
            out.append("Overdue")
        out.append("Recalled")
    elif cur == "Overdue":
        out += ["Loaned", "Recalled"]
    out += ["LoanCompleted", "CompletedWithoutReturn"]
    return out


def supplier_answers(r: dict[str, Any]) -> list[str]:
    """Pending requester messages the supplier must answer: ``cancel`` and/or ``renew``."""
    if r["status"] in ILL_TERMINAL:
        return []
    return [k for k, flag in (("cancel", "cancel_pending"), ("renew", "renew_pending")) if r.get(flag)]


def requester_actions(r: dict[str, Any], account: str) -> list[str]:
    """Actions ``account`` (requester or current borrower) may send for ``r`` now."""
    cur = r["status"]
    if cur in ILL_TERMINAL or cur == "None":
        return []
    me = account.lower()
    out: list[str] = []
    if RANK[cur] <= 3:
        if r["requester"].lower() == me and not r.get("cancel_pending"):
            out.append("Cancel")
        return out
    if r["borrower"].lower() != me:
        return out
    done = r.get("return_shipped") or r.get("lost_reported")
    if not r.get("received"):
        out.append("Received")
    if cur != "Recalled" and not (r.get("renew_pending") or done):
        out.append("Renew")
    if not done:
        out += ["ShippedReturn", "ShippedForward", "Lost"]
    return out

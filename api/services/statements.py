"""Signed royalty statements inside the service: the same reconciled, Ed25519-signed documents as
``libledger payouts`` (``ledger.payouts.reconcile`` + ``rights.statement``), signed with the
platform's key when this service holds it.

The platform key is the X25519 key file of ``libledger keys x25519 --member <platform ISIL>``
(``data_dir/keys``); its passphrase comes from ``LIBLEDGER_KEY_PASSPHRASE`` (``ApiSettings.key_passphrase``).
Without both, statements are refused with a clear problem, never produced unsigned.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey
from sqlalchemy.orm import Session

from ledger.payouts import PeriodNotClosed, Reconciled, ReconciliationError, reconcile
from rights.periods import Period, PeriodError, parse_period
from rights.statement import payee_document, platform_document, sign, to_csv, to_pdf

from ..problems import Problem

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}

_keys: dict[int, SigningKey] = {}
_keys_lock = threading.Lock()


@dataclass
class SignedStatements:
    """A period's statements, reconciled and signed: one document per payee plus the platform summary."""

    period: Period
    reconciled: Reconciled
    payees: dict[str, dict[str, Any]] = field(default_factory=dict)  # account → signed document
    platform: dict[str, Any] | None = None


def period_of_label(label: str, tz: str = "Asia/Shanghai") -> Period:
    """A calendar month ``YYYY-MM`` in ``tz``; 422 problem if it is not one."""
    try:
        return parse_period(label, tz)
    except PeriodError as exc:
        raise Problem(422, "invalid-period", "Invalid period", str(exc)) from None


def platform_signing_key(rt: Any) -> SigningKey:
    """The platform's Ed25519 statement key (derived from its X25519 key file), loaded once per runtime."""
    from ledger.delivery import load_platform_keys
    from ledger.errors import LedgerError
    from rights.errors import RightsError

    with _keys_lock:
        key = _keys.get(id(rt))
        if key is not None:
            return key
        from ..config import platform_key_passphrase

        passphrase = platform_key_passphrase(rt.settings)
        if not passphrase:
            raise Problem(
                409, "no-statement-key", "This service cannot sign statements",
                "the platform's key passphrase is not set (LIBLEDGER_KEY_PASSPHRASE); statements are only produced signed",
            )
        try:
            key = load_platform_keys(rt.settings, rt.chain, passphrase).signing_key
        except (LedgerError, RightsError, OSError) as exc:
            raise Problem(409, "no-statement-key", "This service cannot sign statements", f"the platform's key is not usable here: {exc}") from None
        _keys[id(rt)] = key
        return key


def chain_info(rt: Any, reconciled: Reconciled) -> dict[str, Any]:
    """The chain facts a statement names (as ``libledger payouts`` writes them)."""
    man = rt.chain.manifest
    return {
        "chain_id": man.chain_id if man else rt.chain.chain_id,
        "royalties": man.address("Royalties") if man else None,
        "start_block": reconciled.start_block,
        "end_block": reconciled.end_block,
    }


def signed_statements(
    rt: Any, session: Session, period: Period, *, only: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SignedStatements:
    """Reconcile ``period`` with the chain and sign every payee's statement (or only ``only``'s,
    an account) and the platform summary. Raises 409 problems for an open period or a
    reconciliation failure (``problems`` lists every difference)."""
    key = platform_signing_key(rt)  # before the long part: no key, no work
    try:
        result = reconcile(session, rt.chain, period, progress=progress)
    except PeriodNotClosed as exc:
        raise Problem(409, "period-open", "Period not closed", str(exc)) from None
    except ReconciliationError as exc:
        raise Problem(409, "not-reconciled", "Statement does not reconcile with the chain", str(exc), problems=exc.problems) from None
    st = result.statements
    info = chain_info(rt, result)
    out = SignedStatements(period=period, reconciled=result)
    payees = [(a, ps) for a, ps in st.payees.items() if only is None or a.lower() == only.lower()]
    for n, (account, ps) in enumerate(payees, 1):
        out.payees[account] = sign(payee_document(st, ps, chain=info), key)
        if progress:
            progress("signing", n, len(payees))
    if only is None:
        out.platform = sign(platform_document(st, chain=info), key)
    return out


def as_file(signed: dict[str, Any], fmt: str, *, payee_name: str = "") -> bytes:
    """A signed statement as the bytes of a JSON, CSV or PDF file (``rights.statement``'s renderings)."""
    if fmt == "json":
        return json.dumps(signed, ensure_ascii=False, indent=1).encode()
    if fmt == "csv":
        return to_csv(signed["statement"]).encode()
    if fmt == "pdf":
        return to_pdf(signed, payee_name=payee_name)
    raise Problem(404, "not-found", "Not found", "statements come as .json, .csv or .pdf")

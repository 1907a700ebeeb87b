"""Encrypted lending through the service: the platform packages a current loan (or digital ILL
loan) for the borrowing library — the work key sealed to that library's X25519 key published in
Consortium, plus the platform-signed loan stamp — and serves the encrypted content by CID.

Only the borrowing library gets its package (the sealed key opens for its private key alone,
and the stamp names it). The content is the encrypted object of the content store, verified
against its CID on the way out; it is useless without a sealed key, so any member may fetch it.
"""

from __future__ import annotations

import threading
from typing import Any

from ..problems import Problem

_keys: dict[int, Any] = {}
_keys_lock = threading.Lock()


def platform_keys(rt: Any) -> Any:
    """The platform's ``ledger.delivery.PlatformKeys`` (its X25519 key file, checked against the
    chain), loaded once per runtime; 409 problem when this service cannot unlock it."""
    from ledger.delivery import load_platform_keys
    from ledger.errors import LedgerError
    from rights.errors import RightsError

    from ..config import platform_key_passphrase

    with _keys_lock:
        keys = _keys.get(id(rt))
        if keys is not None:
            return keys
        passphrase = platform_key_passphrase(rt.settings)
        if not passphrase:
            raise Problem(409, "no-platform-key", "This service cannot deliver loans",
                          "the platform's key passphrase is not set (LIBLEDGER_KEY_PASSPHRASE)")
        try:
            keys = load_platform_keys(rt.settings, rt.chain, passphrase)
        except (LedgerError, RightsError, OSError) as exc:
            raise Problem(409, "no-platform-key", "This service cannot deliver loans", f"the platform's key is not usable here: {exc}") from None
        _keys[id(rt)] = keys
        return keys


def loan_package(rt: Any, actor: Any, *, kind: str, loan_id: int) -> bytes:
    """The loan package (JSON, ``ledger.delivery.LoanPackage``) of digital loan ``loan_id``
    (``kind="loan"``) or digital ILL request ``loan_id`` (``kind="ill"``) for ``actor``, who
    must be the borrowing library (403 otherwise); 409 when the loan is not current or a key is
    missing."""
    from ledger.delivery import DeliveryError, EncryptionKeyMissing, LoanNotDeliverable, WorkKeyring, deliver_loan

    keys = platform_keys(rt)
    what = "loan" if kind == "loan" else "ILL request"
    try:
        pkg = deliver_loan(chain=rt.chain, loan_id=loan_id, keyring=WorkKeyring.for_settings(rt.settings), platform=keys, kind=kind)
    except LoanNotDeliverable as exc:
        raise Problem(409, "not-deliverable", f"The {what} is not current", str(exc)) from None
    except EncryptionKeyMissing as exc:
        raise Problem(409, "encryption-key-missing", "Encryption key not published", str(exc)) from None
    except DeliveryError as exc:  # e.g. the work was registered without encrypted content
        raise Problem(409, "not-deliverable", f"The {what} cannot be delivered", str(exc)) from None
    if pkg.library.lower() != actor.account.lower():
        raise Problem(403, "forbidden", "Not the borrowing library",
                      f"{what} {loan_id} is delivered to {pkg.library_isil}, the borrowing library, only")
    return pkg.to_json()

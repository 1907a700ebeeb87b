"""Errors of the chain layer.

Expected failures (node down, wrong manifest, bad password, a contract's custom error) are
``LedgerError`` subclasses with a one-line message for people; the CLI prints that line and
exits non-zero without a traceback. A contract revert becomes an exception class named after
the Solidity custom error (``WorkAlreadyRegistered``) carrying its arguments.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """An expected failure, reported to users as one clear line."""

    exit_code = 1


class ConfigError(LedgerError):
    """The installation's configuration is wrong or incomplete."""


class NodeUnreachable(LedgerError):
    """The JSON-RPC endpoint does not answer."""


class ManifestError(LedgerError):
    """The deployment manifest is missing, unreadable or belongs to another chain."""


class KeystoreError(LedgerError):
    """A key cannot be loaded: unknown account, wrong password, unreadable file."""


class CompileError(LedgerError):
    """The Solidity compiler reported errors, or no compiler is available."""


class TransactionRejected(LedgerError):
    """The node refused a transaction before it was mined (bad nonce, intrinsic gas, ...)."""

    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class ContractRevert(LedgerError):
    """A contract call reverted. Subclasses are named after the Solidity custom error.

    ``error_name`` is the Solidity name, ``args`` its decoded arguments by name, ``contract`` the
    contract that declares it (when known) and ``tx_hash`` the mined transaction, if any.
    """

    error_name: str = "ContractRevert"

    def __init__(
        self,
        args: dict[str, Any] | None = None,
        *,
        contract: str | None = None,
        tx_hash: str | None = None,
        raw: bytes = b"",
    ) -> None:
        self.args_by_name = dict(args or {})
        self.contract = contract
        self.tx_hash = tx_hash
        self.raw = raw
        super().__init__(self.describe())

    def describe(self) -> str:
        """The error in words: ``WorkAlreadyRegistered(workId=7)``."""
        inner = ", ".join(f"{k}={_show(v)}" for k, v in self.args_by_name.items())
        where = f"{self.contract}: " if self.contract else ""
        return f"{where}{self.error_name}({inner})"


class UnknownRevert(ContractRevert):
    """A revert whose data matches no known error (or has none, e.g. out of gas)."""

    error_name = "UnknownRevert"


_revert_classes: dict[str, type[ContractRevert]] = {}


def revert_class(name: str) -> type[ContractRevert]:
    """The exception class for the Solidity error ``name`` (created once, then reused)."""
    cls = _revert_classes.get(name)
    if cls is None:
        cls = type(name, (ContractRevert,), {"error_name": name, "__module__": __name__})
        _revert_classes[name] = cls
    return cls


def __getattr__(name: str) -> type[ContractRevert]:
    # `from ledger.errors import WorkAlreadyRegistered` works for every Solidity error name.
    if name[:1].isupper():
        return revert_class(name)
    raise AttributeError(name)


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return repr(value) if isinstance(value, str) else str(value)

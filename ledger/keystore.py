"""Encrypted key files (Web3 Secret Storage, via eth-account). Keys never exist unencrypted on disk.

One file per account, ``<name>.json`` in the keystore dir; the name is the member's handle
(``governor``, ``CN-330000-ZJL``). Production keystores use eth-account's default scrypt
parameters; ``fast=True`` (dev chains and tests only) uses cheaper ones so a demo with a dozen
members starts in seconds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from rights.atomic import write_json_atomic

from .errors import KeystoreError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FAST_SCRYPT_N = 2**12  # dev only; eth-account's default is 2**18


def _path(keystore_dir: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise KeystoreError(f"invalid key name {name!r}: use letters, digits, '.', '_' or '-' (max 64)")
    return keystore_dir / f"{name}.json"


def create(keystore_dir: Path, name: str, password: str, *, private_key: bytes | None = None, fast: bool = False) -> LocalAccount:
    """Create (or import) a key and store it encrypted under ``name``; refuses to overwrite."""
    if not password:
        raise KeystoreError("a keystore password is required (set LIBLEDGER_KEYSTORE_PASSWORD)")
    path = _path(keystore_dir, name)
    if path.exists():
        raise KeystoreError(f"key {name!r} already exists at {path}")
    acct = Account.from_key(private_key) if private_key else Account.create()
    kwargs = {"kdf": "scrypt", "iterations": _FAST_SCRYPT_N} if fast else {}
    blob = Account.encrypt(acct.key, password, **kwargs)
    keystore_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, blob, mode=0o600, prefix=".key-")
    return acct


def load(keystore_dir: Path, name: str, password: str | None) -> LocalAccount:
    """Decrypt the key ``name``; wrong password or missing file is a ``KeystoreError``."""
    path = _path(keystore_dir, name)
    if not path.exists():
        raise KeystoreError(f"no key named {name!r} in {keystore_dir}")
    if not password:
        raise KeystoreError("a keystore password is required (set LIBLEDGER_KEYSTORE_PASSWORD)")
    try:
        blob = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeystoreError(f"cannot read key file {path}: {exc}") from None
    try:
        return Account.from_key(Account.decrypt(blob, password))
    except ValueError:
        raise KeystoreError(f"wrong password for key {name!r}") from None


def address_of(keystore_dir: Path, name: str) -> str:
    """The account address stored in key file ``name`` (no password needed)."""
    path = _path(keystore_dir, name)
    if not path.exists():
        raise KeystoreError(f"no key named {name!r} in {keystore_dir}")
    return "0x" + json.loads(path.read_text())["address"].removeprefix("0x")


def names(keystore_dir: Path) -> list[str]:
    return sorted(p.stem for p in keystore_dir.glob("*.json")) if keystore_dir.exists() else []

"""Which keys an installation signs with, and how their keystore password is found.

Production (``qbft``): the password comes from ``LIBLEDGER_KEYSTORE_PASSWORD`` and keys must exist.
Development (``dev``): when no password is set, a random one is generated once into
``<keystore>/.dev-password`` (mode 0600) and missing keys are created with fast scrypt
parameters, so ``make run`` needs no typing. Never use the dev profile for real credit.
"""

from __future__ import annotations

import os
import secrets

from eth_account.signers.local import LocalAccount

from . import keystore
from .config import ChainProfile, Settings
from .errors import KeystoreError


def password(settings: Settings) -> str:
    """The keystore password for ``settings`` (see module doc)."""
    if settings.keystore_password:
        return settings.keystore_password
    if settings.chain_profile != ChainProfile.dev:
        raise KeystoreError("set LIBLEDGER_KEYSTORE_PASSWORD to unlock the keystore")
    path = settings.keystore_path / ".dev-password"
    if not path.exists():
        settings.keystore_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def signer(settings: Settings, name: str, *, create: bool | None = None) -> LocalAccount:
    """The account stored as ``name``; created if missing when ``create`` (default: dev profile only)."""
    if create is None:
        create = settings.chain_profile == ChainProfile.dev
    pw = password(settings)
    if create and name not in keystore.names(settings.keystore_path):
        return keystore.create(settings.keystore_path, name, pw, fast=settings.chain_profile == ChainProfile.dev)
    return keystore.load(settings.keystore_path, name, pw)

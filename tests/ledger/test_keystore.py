"""Encrypted key files: round trip, wrong password, no overwrite, never plain text on disk."""

from __future__ import annotations

import stat

import pytest

from ledger import keystore
from ledger.errors import KeystoreError


def test_round_trip_and_file_is_encrypted(tmp_path):
    acct = keystore.create(tmp_path, "CN-330000-ZJL", "s3cret", fast=True)
    path = tmp_path / "CN-330000-ZJL.json"
    text = path.read_text()
    assert acct.key.hex().removeprefix("0x") not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keystore.load(tmp_path, "CN-330000-ZJL", "s3cret").address == acct.address
    assert keystore.address_of(tmp_path, "CN-330000-ZJL").lower() == acct.address.lower()


def test_wrong_password(tmp_path):
    keystore.create(tmp_path, "gov", "right", fast=True)
    with pytest.raises(KeystoreError, match="wrong password for key 'gov'"):
        keystore.load(tmp_path, "gov", "wrong")


def test_refuses_overwrite_bad_names_and_missing(tmp_path):
    keystore.create(tmp_path, "gov", "pw", fast=True)
    with pytest.raises(KeystoreError, match="already exists"):
        keystore.create(tmp_path, "gov", "pw", fast=True)
    with pytest.raises(KeystoreError, match="invalid key name"):
        keystore.create(tmp_path, "../etc/passwd", "pw", fast=True)
    with pytest.raises(KeystoreError, match="no key named 'nobody'"):
        keystore.load(tmp_path, "nobody", "pw")
    with pytest.raises(KeystoreError, match="password is required"):
        keystore.create(tmp_path, "x", "", fast=True)

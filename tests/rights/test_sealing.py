"""Encrypted lending: content keys open only for the member they were sealed to."""

from __future__ import annotations

import io
import json
import os
import stat

import nacl.pwhash
import pytest

from rights.errors import DecryptionFailed, KeyFileError, NotForThisMember, WrongPassphrase
from rights.sealing import (
    DEFAULT_CHUNK,
    decrypt_bytes,
    decrypt_stream,
    encrypt_bytes,
    encrypt_stream,
    generate_content_key,
    generate_member_keypair,
    load_private_key,
    open_content_key,
    save_private_key,
    seal_content_key,
)

FAST = dict(opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN, memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN)


def test_sealed_key_opens_only_for_the_right_member(files):
    alice, bob = generate_member_keypair(), generate_member_keypair()
    key = generate_content_key()
    ciphertext = encrypt_bytes(files["epub"].read_bytes(), key)
    sealed = seal_content_key(key, alice.public_key)
    assert open_content_key(sealed, alice.private_key) == key
    assert decrypt_bytes(ciphertext, open_content_key(sealed, alice.private_key)) == files["epub"].read_bytes()
    with pytest.raises(NotForThisMember):
        open_content_key(sealed, bob.private_key)
    with pytest.raises(DecryptionFailed):
        decrypt_bytes(ciphertext, generate_content_key())


@pytest.mark.parametrize("size", [0, 1, DEFAULT_CHUNK - 1, DEFAULT_CHUNK, DEFAULT_CHUNK + 1, 3 * DEFAULT_CHUNK])
def test_chunked_round_trip_at_boundaries(size):
    key, data = generate_content_key(), os.urandom(size)
    assert decrypt_bytes(encrypt_bytes(data, key), key) == data


def test_large_stream_round_trip(tmp_path):
    key = generate_content_key()
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(5 * 1024 * 1024 + 123))
    enc, dec = tmp_path / "big.enc", tmp_path / "big.dec"
    with src.open("rb") as s, enc.open("wb") as d:
        encrypt_stream(s, d, key, chunk_size=256 * 1024)
    with enc.open("rb") as s, dec.open("wb") as d:
        assert decrypt_stream(s, d, key) == src.stat().st_size
    assert dec.read_bytes() == src.read_bytes()


def test_truncation_reordering_and_tampering_are_detected():
    key, chunk = generate_content_key(), 1024
    blob = encrypt_bytes(os.urandom(4 * chunk), key, chunk_size=chunk)
    header, rec = 25, chunk + 16
    records = [blob[header + i * rec : header + (i + 1) * rec] for i in range(4)] + [blob[header + 4 * rec :]]
    cut = blob[: header + 2 * rec]  # drops whole records at a boundary
    swapped = blob[:header] + records[1] + records[0] + b"".join(records[2:])
    flipped = bytearray(blob)
    flipped[header + 5] ^= 1
    for bad in (cut, swapped, bytes(flipped), blob[:-1]):
        with pytest.raises(DecryptionFailed):
            decrypt_bytes(bad, key)
    with pytest.raises(DecryptionFailed, match="not an encrypted"):
        decrypt_stream(io.BytesIO(b"PK\x03\x04 not ours at all........"), io.BytesIO(), key)


def test_private_key_file_round_trip_and_wrong_passphrase(tmp_path):
    kp = generate_member_keypair()
    path = tmp_path / "member.key"
    save_private_key(path, kp, "correct horse battery staple", **FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert kp.private_key.hex() not in path.read_text()
    loaded = load_private_key(path, "correct horse battery staple")
    assert loaded.private_key == kp.private_key and loaded.public_key == kp.public_key
    with pytest.raises(WrongPassphrase):
        load_private_key(path, "wrong")
    assert kp.private_key.hex() not in repr(kp)


def test_damaged_or_foreign_key_files(tmp_path):
    kp = generate_member_keypair()
    path = tmp_path / "member.key"
    save_private_key(path, kp, "pass", **FAST)
    doc = json.loads(path.read_text())
    doc["public_key"] = generate_member_keypair().public_key.hex()
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="does not match"):
        load_private_key(path, "pass")
    path.write_text("{}")
    with pytest.raises(KeyFileError):
        load_private_key(path, "pass")
    with pytest.raises(KeyFileError, match="does not exist"):
        load_private_key(tmp_path / "nope.key", "pass")
    with pytest.raises(KeyFileError, match="passphrase is required"):
        save_private_key(tmp_path / "x.key", kp, "", **FAST)

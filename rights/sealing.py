"""Encrypted lending: per-work content keys, sealing them to members, member key files.

Content encryption (PyNaCl SecretBox = XSalsa20-Poly1305), chunked so large files are
never held in memory. Format ("LLSB" v1):

    header   = b"LLSB" | version (1 byte = 1) | chunk_size (4 bytes BE) | prefix (16 bytes)
    records  = SecretBox ciphertext of each plaintext chunk (16-byte MAC + chunk), no nonce

Chunk i is sealed with the 24-byte nonce  prefix (16) | i (7 bytes BE) | last (1 byte).
The nonce is derived, not stored, which makes every record bound to its position: reordering
or dropping a record breaks its MAC, and because only the final record is sealed with
last=1, cutting the file at a record boundary is detected too (the STREAM construction of
Hoang, Reyhanitabar, Rogaway and Vizar, 2015). The random 16-byte prefix per encryption
keeps nonces unique when one key encrypts more than one file; the header's chunk size is
covered implicitly (a changed size moves record boundaries and breaks the MACs). Every
file ends in exactly one final record, so even empty content has one (empty) record.

Key sealing: the 32-byte content key is sealed to a member's X25519 public key with
SealedBox (ephemeral X25519 + XSalsa20-Poly1305); only the matching private key opens it.

Member private key files: JSON with the key encrypted by SecretBox under a key derived from
the passphrase with Argon2id (nacl.pwhash), the salt and cost parameters stored beside it.
Default cost is libsodium's MODERATE (256 MiB, ~1 s), chosen because the file sits on a
library workstation's disk; callers may pass other limits (the tests use the minimum).
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

from rights.atomic import write_json_atomic
from rights.errors import DecryptionFailed, KeyFileError, NotForThisMember, WrongPassphrase

MAGIC = b"LLSB"
VERSION = 1
DEFAULT_CHUNK = 64 * 1024  # plaintext bytes per record
_HEADER = struct.Struct(">4sBI16s")
_MAC = nacl.secret.SecretBox.MACBYTES
KEY_SIZE = nacl.secret.SecretBox.KEY_SIZE  # 32 bytes
_KEYFILE_KIND = "libledger-member-x25519-key"


# --- content encryption ----------------------------------------------------------------


def generate_content_key() -> bytes:
    """A fresh random 32-byte per-work content key."""
    return nacl.utils.random(KEY_SIZE)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 1 << 56:
        raise ValueError("too many chunks")
    return prefix + index.to_bytes(7, "big") + (b"\x01" if last else b"\x00")


def encrypt_stream(src: BinaryIO, dst: BinaryIO, key: bytes, *, chunk_size: int = DEFAULT_CHUNK) -> int:
    """Encrypt `src` into `dst` in records of `chunk_size` plaintext bytes. Returns bytes written."""
    if not 1 <= chunk_size <= 1 << 30:
        raise ValueError("chunk_size must be between 1 byte and 1 GiB")
    box = nacl.secret.SecretBox(key)
    prefix = nacl.utils.random(16)
    written = dst.write(_HEADER.pack(MAGIC, VERSION, chunk_size, prefix))
    index = 0
    current = _read_full(src, chunk_size)
    while True:
        nxt = _read_full(src, chunk_size) if len(current) == chunk_size else b""
        last = not nxt
        written += dst.write(box.encrypt(current, _nonce(prefix, index, last)).ciphertext)
        if last:
            return written
        current, index = nxt, index + 1


def decrypt_stream(src: BinaryIO, dst: BinaryIO, key: bytes) -> int:
    """Decrypt an LLSB stream into `dst`. Returns plaintext bytes written.

    Raises DecryptionFailed if the key is wrong or the data was altered, reordered or cut.
    """
    head = _read_full(src, _HEADER.size)
    if len(head) != _HEADER.size:
        raise DecryptionFailed("not an encrypted libledger file (too short)")
    magic, version, chunk_size, prefix = _HEADER.unpack(head)
    if magic != MAGIC or version != VERSION:
        raise DecryptionFailed("not an encrypted libledger file (unknown header)")
    box = nacl.secret.SecretBox(key)
    record = chunk_size + _MAC
    index, written = 0, 0
    current = _read_full(src, record)
    while True:
        if len(current) < _MAC:
            raise DecryptionFailed("the file is truncated")
        nxt = _read_full(src, record) if len(current) == record else b""
        last = not nxt
        try:
            plain = box.decrypt(current, _nonce(prefix, index, last))
        except nacl.exceptions.CryptoError:
            raise DecryptionFailed(
                f"record {index} failed authentication (wrong key, or the file was altered or cut)"
            ) from None
        written += dst.write(plain)
        if last:
            return written
        current, index = nxt, index + 1


def encrypt_bytes(data: bytes, key: bytes, *, chunk_size: int = DEFAULT_CHUNK) -> bytes:
    import io

    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, key, chunk_size=chunk_size)
    return out.getvalue()


def decrypt_bytes(data: bytes, key: bytes) -> bytes:
    import io

    out = io.BytesIO()
    decrypt_stream(io.BytesIO(data), out, key)
    return out.getvalue()


def _read_full(f: BinaryIO, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        b = f.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


# --- sealing content keys to members ------------------------------------------------------


def seal_content_key(content_key: bytes, member_public_key: bytes) -> bytes:
    """Seal a content key to a member's 32-byte X25519 public key (SealedBox, 80 bytes out)."""
    if len(content_key) != KEY_SIZE:
        raise ValueError("content key must be 32 bytes")
    return SealedBox(PublicKey(member_public_key)).encrypt(content_key)


def open_content_key(sealed: bytes, member_private_key: bytes) -> bytes:
    """Open a sealed content key with the member's private key; NotForThisMember otherwise."""
    try:
        key = SealedBox(PrivateKey(member_private_key)).decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise NotForThisMember() from None
    if len(key) != KEY_SIZE:
        raise NotForThisMember()
    return key


# --- member key pairs and key files ---------------------------------------------------------


@dataclass(frozen=True)
class MemberKeyPair:
    """An X25519 key pair; both halves are 32 raw bytes."""

    public_key: bytes
    private_key: bytes = b""

    def __repr__(self) -> str:  # never print the private half
        return f"MemberKeyPair(public_key={self.public_key.hex()})"


def generate_member_keypair() -> MemberKeyPair:
    """A new random X25519 key pair for a member library."""
    sk = PrivateKey.generate()
    return MemberKeyPair(bytes(sk.public_key), bytes(sk))


def save_private_key(
    path: str | os.PathLike[str],
    keypair: MemberKeyPair,
    passphrase: str,
    *,
    opslimit: int = nacl.pwhash.argon2id.OPSLIMIT_MODERATE,
    memlimit: int = nacl.pwhash.argon2id.MEMLIMIT_MODERATE,  # bytes
) -> None:
    """Write the private key encrypted under `passphrase` (Argon2id + SecretBox), mode 0600,
    atomically (temp file + fsync + rename)."""
    if not passphrase:
        raise KeyFileError("A passphrase is required to protect the private key")
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    kek = nacl.pwhash.argon2id.kdf(KEY_SIZE, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit)
    box = nacl.secret.SecretBox(kek).encrypt(keypair.private_key)
    doc = {
        "kind": _KEYFILE_KIND,
        "version": 1,
        "public_key": keypair.public_key.hex(),
        "kdf": {"alg": "argon2id13", "opslimit": opslimit, "memlimit": memlimit, "salt": _b64(salt)},
        "box": _b64(bytes(box)),
    }
    write_json_atomic(path, doc, mode=0o600, prefix=".key-", indent=1, sort_keys=True)


def load_private_key(path: str | os.PathLike[str], passphrase: str) -> MemberKeyPair:
    """Read a key file written by save_private_key. Raises WrongPassphrase or KeyFileError."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        if doc.get("kind") != _KEYFILE_KIND or doc.get("version") != 1:
            raise KeyFileError(f"{p} is not a libledger member key file")
        kdf = doc["kdf"]
        if kdf["alg"] != "argon2id13":
            raise KeyFileError(f"{p}: unknown key derivation {kdf['alg']!r}")
        salt = base64.b64decode(kdf["salt"])
        public_key = bytes.fromhex(doc["public_key"])
        box = base64.b64decode(doc["box"])
        opslimit, memlimit = int(kdf["opslimit"]), int(kdf["memlimit"])
    except FileNotFoundError:
        raise KeyFileError(f"Key file {p} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{p} is damaged or not a key file ({exc})") from exc
    if not (nacl.pwhash.argon2id.OPSLIMIT_MIN <= opslimit <= nacl.pwhash.argon2id.OPSLIMIT_MAX) or not (
        nacl.pwhash.argon2id.MEMLIMIT_MIN <= memlimit <= 4 << 30
    ):
        raise KeyFileError(f"{p}: key derivation parameters out of range")
    kek = nacl.pwhash.argon2id.kdf(KEY_SIZE, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit)
    try:
        private = nacl.secret.SecretBox(kek).decrypt(box)
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase(str(p)) from None
    if bytes(PrivateKey(private).public_key) != public_key:
        raise KeyFileError(f"{p}: the private key does not match the public key recorded beside it")
    return MemberKeyPair(public_key, private)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")

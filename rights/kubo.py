"""Content store backed by an IPFS kubo node over its HTTP RPC API (httpx).

Endpoints used (all POST, as kubo requires):
  /api/v0/add?cid-version=1&pin=true   multipart upload; NDJSON answer, last line is the root
  /api/v0/cat?arg=CID                  raw bytes, streamed
  /api/v0/pin/add?arg=CID              {"Pins": [...]}
  /api/v0/block/stat?arg=CID&offline=true   {"Key", "Size"}: used by has() without
                                       asking the network
Errors come back as HTTP 500 (400 for a malformed call) with {"Message","Code","Type"}.

Verification: when a CID is raw/sha2-256 (what kubo returns for a file up to its 256 KiB
chunk size with cid-version=1), the bytes are checked against it both after add and on
cat, as the local store does. For dag-pb roots kubo verifies each block itself.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import httpx

from rights.errors import ContentCorrupted, ContentNotFound, KuboError, StoreUnavailable
from rights.store import expected_sha256, normalize_cid

DEFAULT_API = "http://127.0.0.1:5001"

_NOT_FOUND_HINTS = ("not found", "could not find", "no link named", "merkledag: not found")


class KuboContentStore:
    """ContentStore over kubo's RPC. `client` may be injected (tests use MockTransport)."""

    def __init__(
        self,
        api_url: str = DEFAULT_API,
        *,
        client: httpx.Client | None = None,
        timeout: float = 60.0,  # seconds
    ) -> None:
        self._base = api_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    # --- ContentStore -------------------------------------------------------------

    def put(self, data: bytes | BinaryIO, *, filename: str = "content") -> str:
        """Add and pin; returns the CIDv1 (base32) kubo assigned."""
        stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
        hashing = _HashingReader(stream)
        body = self._post(
            "add",
            params={"cid-version": "1", "pin": "true", "progress": "false"},
            files={"file": (filename, hashing, "application/octet-stream")},
        )
        lines = [ln for ln in body.decode("utf-8").splitlines() if ln.strip()]
        if not lines:
            raise KuboError("add", 200, "empty answer from the node")
        last = json.loads(lines[-1])
        if "Hash" not in last:
            raise KuboError("add", 200, f"unexpected answer: {lines[-1][:200]}")
        cid = normalize_cid(last["Hash"])
        want = expected_sha256(cid)
        if want is not None and hashing.digest() != want:
            raise ContentCorrupted(cid, "the node answered a CID that does not match the bytes sent")
        return cid

    def get(self, cid: str) -> bytes:
        """Fetch with /cat; verified when the CID is raw sha2-256."""
        data = self._post("cat", params={"arg": cid}, not_found_cid=cid)
        want = expected_sha256(cid)
        if want is not None and hashlib.sha256(data).digest() != want:
            raise ContentCorrupted(cid)
        return data

    @contextmanager
    def open(self, cid: str) -> Iterator[Iterator[bytes]]:
        """Stream /cat in chunks; ContentCorrupted at the end if a raw CID does not match."""
        url = f"{self._base}/api/v0/cat"
        try:
            with self._client.stream("POST", url, params={"arg": cid}) as resp:
                if resp.status_code != 200:
                    resp.read()
                    self._raise(resp, "cat", not_found_cid=cid)
                yield _check_chunks(resp.iter_bytes(), expected_sha256(cid), cid)
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"IPFS node at {self._base} is not reachable: {exc}") from exc

    def has(self, cid: str) -> bool:
        """True if the node holds the root block locally (offline: no network search)."""
        try:
            self._post("block/stat", params={"arg": cid, "offline": "true"}, not_found_cid=cid)
        except ContentNotFound:
            return False
        return True

    def pin(self, cid: str) -> None:
        """Pin recursively; raises KuboError if the node did not confirm this CID."""
        body = self._post("pin/add", params={"arg": cid}, not_found_cid=cid)
        pins = json.loads(body).get("Pins") or []
        if normalize_cid(cid) not in {normalize_cid(p) for p in pins}:
            raise KuboError("pin/add", 200, f"node did not confirm the pin: {body[:200]!r}")

    # --- plumbing -----------------------------------------------------------------

    def _post(self, endpoint: str, *, params: dict[str, str], files=None, not_found_cid: str | None = None) -> bytes:
        url = f"{self._base}/api/v0/{endpoint}"
        try:
            resp = self._client.post(url, params=params, files=files)
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"IPFS node at {self._base} is not reachable: {exc}") from exc
        if resp.status_code != 200:
            self._raise(resp, endpoint, not_found_cid=not_found_cid)
        return resp.content

    @staticmethod
    def _raise(resp: httpx.Response, endpoint: str, *, not_found_cid: str | None) -> None:
        message, code = resp.text.strip()[:500] or resp.reason_phrase, None
        try:
            payload = resp.json()
            if isinstance(payload, dict) and "Message" in payload:
                message, code = str(payload["Message"]), payload.get("Code")
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
        if resp.status_code == 500 and not_found_cid is not None and any(h in message.lower() for h in _NOT_FOUND_HINTS):
            raise ContentNotFound(not_found_cid)
        raise KuboError(endpoint, resp.status_code, message, code)


class _HashingReader(io.RawIOBase):
    """Wraps a binary stream and hashes what httpx reads from it for the upload."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self._sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        self._sha.update(chunk)
        return chunk

    def readinto(self, b) -> int:  # type: ignore[override]
        chunk = self.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)

    def digest(self) -> bytes:
        return self._sha.digest()


def _check_chunks(chunks: Iterator[bytes], want: bytes | None, cid: str) -> Iterator[bytes]:
    sha = hashlib.sha256()
    for chunk in chunks:
        sha.update(chunk)
        yield chunk
    if want is not None and sha.digest() != want:
        raise ContentCorrupted(cid)

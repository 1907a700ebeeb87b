"""Content store interface and the embedded local content-addressed store.

CIDs: CIDv1, multibase base32 (the "b..." strings), multihash sha2-256, codec `raw` over
the whole object. Why raw rather than dag-pb/UnixFS: the local store keeps each object as
one file, so the whole-object digest is the natural address and is checked on every read
with a single streaming hash. For objects up to kubo's default chunk size (256 KiB) this
is also exactly the CID kubo returns for `add?cid-version=1` (which implies raw leaves),
so metadata records -- the objects whose `ipfs://CID` goes on chain -- get the same CID in
both backends. Larger objects get a different CID from kubo (its root is a dag-pb node);
callers keep the CID the store returned.

Layout under the data dir: blocks/<2-char shard>/<cid> and pins/<cid>. Writes go to a temp
file in the same directory, are fsynced, then renamed into place (atomic on POSIX), and the
directory is fsynced so the rename survives a crash.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from multiformats import CID, multihash

from rights.atomic import fsync_dir
from rights.errors import ContentCorrupted, ContentNotFound, InvalidCid

READ_CHUNK = 1 << 20  # bytes


def raw_cid(digest: bytes) -> str:
    """CIDv1 (raw codec, sha2-256, base32) for a 32-byte SHA-256 digest."""
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


def cid_of(data: bytes) -> str:
    """The raw CIDv1 of `data`."""
    return raw_cid(hashlib.sha256(data).digest())


def parse_cid(cid: str) -> CID:
    """Decode a CID string (v0 or v1); raises InvalidCid."""
    try:
        return CID.decode(cid)
    except Exception as exc:  # multiformats raises several error types
        raise InvalidCid(cid, str(exc)) from exc


def normalize_cid(cid: str) -> str:
    """The CIDv1 base32 form of any CID (CIDv0 "Qm..." becomes "bafy...")."""
    c = parse_cid(cid)
    return (c.set(version=1) if c.version == 0 else c).encode("base32")


def expected_sha256(cid: str) -> bytes | None:
    """The SHA-256 the content must have if `cid` is raw/sha2-256, else None (dag-pb etc.)."""
    c = parse_cid(cid)
    if c.codec.name == "raw" and c.hashfun.name == "sha2-256":
        return bytes(c.raw_digest)
    return None


@runtime_checkable
class ContentStore(Protocol):
    """Where work files and metadata records live; addressed by CID strings."""

    def put(self, data: bytes | BinaryIO) -> str:
        """Store bytes or a readable binary stream; return its CID."""
        ...

    def get(self, cid: str) -> bytes:
        """Whole content, verified against the CID. Raises ContentNotFound/ContentCorrupted."""
        ...

    def open(self, cid: str) -> Iterator[bytes]:
        """Context manager yielding an iterator of chunks (bytes) for large content."""
        ...

    def has(self, cid: str) -> bool:
        ...

    def pin(self, cid: str) -> None:
        """Keep this content through garbage collection / replicate it."""
        ...


class LocalContentStore:
    """Embedded content-addressed store under `data_dir` (see module doc)."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self._root = Path(data_dir)
        self._blocks = self._root / "blocks"
        self._pins = self._root / "pins"
        self._tmp = self._root / "tmp"
        for d in (self._blocks, self._pins, self._tmp):
            d.mkdir(parents=True, exist_ok=True)

    def path_of(self, cid: str) -> Path:
        """File holding `cid` (whether or not it exists)."""
        c = normalize_cid(cid)
        return self._blocks / c[-3:-1] / c  # shard on next-to-last chars, like go-ds-flatfs

    def put(self, data: bytes | BinaryIO) -> str:
        """Store `data` atomically; returns its raw CIDv1. Storing twice is a no-op."""
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
        sha = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(READ_CHUNK):
                    sha.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            cid = raw_cid(sha.digest())
            final = self.path_of(cid)
            if final.exists():
                os.unlink(tmp_name)
                return cid
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, final)
            fsync_dir(final.parent)
            return cid
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def has(self, cid: str) -> bool:
        return self.path_of(cid).is_file()

    def get(self, cid: str) -> bytes:
        """Read and verify; raises ContentNotFound or ContentCorrupted(cid)."""
        want = self._want(cid)
        try:
            data = self.path_of(cid).read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(cid) from None
        if hashlib.sha256(data).digest() != want:
            raise ContentCorrupted(cid)
        return data

    @contextmanager
    def open(self, cid: str) -> Iterator[Iterator[bytes]]:
        """Stream content in 1 MiB chunks. The digest is checked when the last chunk has
        been read: ContentCorrupted is raised then, so a consumer must not act on the
        content before the iteration finishes."""
        want = self._want(cid)
        try:
            f = self.path_of(cid).open("rb")
        except FileNotFoundError:
            raise ContentNotFound(cid) from None
        with f:
            yield _verified_chunks(iter(lambda: f.read(READ_CHUNK), b""), want, cid)

    def pin(self, cid: str) -> None:
        """Record a pin (the local store never deletes; pins matter for a future GC and
        for replicating to kubo/IPFS Cluster)."""
        if not self.has(cid):
            raise ContentNotFound(cid)
        marker = self._pins / normalize_cid(cid)
        if not marker.exists():
            marker.touch()
            fsync_dir(self._pins)

    def discard(self, cid: str) -> None:
        """Delete unpinned content (undoing a put whose registration failed). Pinned content
        is kept: something registered refers to it. Unknown CIDs are ignored."""
        c = normalize_cid(cid)
        if (self._pins / c).exists():
            return
        path = self.path_of(c)
        if path.exists():
            path.unlink()
            fsync_dir(path.parent)

    def pins(self) -> list[str]:
        return sorted(p.name for p in self._pins.iterdir())

    def _want(self, cid: str) -> bytes:
        want = expected_sha256(cid)
        if want is None:
            raise InvalidCid(cid, "the local store holds raw sha2-256 CIDs only")
        return want


def _verified_chunks(chunks: Iterator[bytes], want: bytes, cid: str) -> Iterator[bytes]:
    sha = hashlib.sha256()
    for chunk in chunks:
        sha.update(chunk)
        yield chunk
    if sha.digest() != want:
        raise ContentCorrupted(cid)

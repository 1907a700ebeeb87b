"""File fingerprints: SHA-256 (the on-chain unique key) and ISCC codes (ISO 24138).

Everything is streamed: the raw bytes are read in 1 MiB chunks for SHA-256 and the ISCC
Data-Code and Instance-Code; the ISCC Text-Code is built from text segments (rights.text)
as they are extracted. iscc-core's own hashers keep one feature per content-defined chunk
(or per 13-character n-gram of text) until the end; the hashers below fold features into
the running minimum vector instead, so memory stays flat however large the file. The
results are bit-identical to iscc-core's gen_*_code_v0 (checked by the tests).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import iscc_core as ic
import numpy as np
import xxhash

from rights.errors import EmptyDocument
from rights.text import TEXT_MEDIA_TYPES, detect_media_type, iter_text

CHUNK_SIZE = 1 << 20  # bytes read per step
_FOLD_AT = 16384  # features buffered before folding them into the minhash vector
_NGRAM = ic.core_opts.text_ngram_size


@dataclass(frozen=True)
class Fingerprint:
    """Fingerprints of one file. `size` is in bytes; codes are ISCC strings ("ISCC:...")."""

    sha256: bytes
    iscc_data: str
    iscc_instance: str
    iscc_content: str | None
    size: int
    media_type: str
    characters: int | None = None  # collapsed characters behind the Text-Code

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex()

    @property
    def sha256_bytes32(self) -> str:
        """The SHA-256 as a 0x-prefixed bytes32 literal for the chain."""
        return "0x" + self.sha256.hex()

    def as_dict(self) -> dict[str, object]:
        return {
            "sha256": self.sha256_hex,
            "iscc_content": self.iscc_content,
            "iscc_data": self.iscc_data,
            "iscc_instance": self.iscc_instance,
            "size": self.size,
            "media_type": self.media_type,
        }


class _MinhashFold:
    """Running element-wise minimum of iscc-core's 64-dimensional minhash vectors."""

    def __init__(self, fold_at: int = _FOLD_AT) -> None:
        self._fold_at = fold_at
        self._mins: list[int] | None = None
        self._pending: list[int] = []

    def add(self, features: Iterable[int]) -> None:
        self._pending.extend(features)
        if len(self._pending) >= self._fold_at:
            self._fold()

    def _fold(self) -> None:
        if not self._pending:
            return
        vec = minhash_vector(self._pending)
        self._mins = vec if self._mins is None else [min(a, b) for a, b in zip(self._mins, vec)]
        self._pending = []

    def digest256(self) -> bytes:
        self._fold()
        if self._mins is None:
            raise ValueError("no features")
        return ic.alg_minhash_compress(self._mins, 4)




def _minhash_constants() -> tuple[list[int], list[int], int, int]:
    # iscc-core ships minhash.py next to its compiled twin, whose module hides the
    # permutation constants; read them from the source so there is one copy of them.
    import importlib.util

    spec = importlib.util.spec_from_file_location("_iscc_minhash_src", Path(ic.__file__).parent / "minhash.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod.MPA, mod.MPB, mod.MPRIME, mod.MAXH


MPA, MPB, MPRIME, MAXH = _minhash_constants()
_MPA = np.array(MPA, dtype=np.uint64)[:, None]
_MPB = np.array(MPB, dtype=np.uint64)[:, None]
_BATCH = 4096  # features per vectorised step: 64 x 4096 uint64 = 2 MiB temporaries


def minhash_vector(features: list[int]) -> list[int]:
    """iscc-core's alg_minhash (64 permutations) vectorised with numpy; identical output.

    iscc-core computes ((a*f + b) & (2**64-1)) % (2**61-1) & (2**32-1) on Python ints;
    uint64 arithmetic wraps modulo 2**64, which is exactly the `& (2**64-1)`.
    """
    feats = np.fromiter(set(features), dtype=np.uint64)  # duplicates cannot change a minimum
    mins = np.full(len(MPA), np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, len(feats), _BATCH):
            f = feats[None, start : start + _BATCH]
            h = ((_MPA * f + _MPB) % np.uint64(MPRIME)) & np.uint64(MAXH)
            np.minimum(mins, h.min(axis=1), out=mins)
    return [int(x) for x in mins]


class DataCodeHasher(ic.DataHasherV0):
    """ISCC Data-Code hasher with memory bounded by the fold size (same result as v0)."""

    def __init__(self, fold_at: int = _FOLD_AT) -> None:
        self._fold_at = fold_at  # features buffered before folding (memory vs. speed)
        self._fold = _MinhashFold(fold_at)
        super().__init__()

    def push(self, data: bytes) -> None:
        super().push(data)
        if len(self.chunk_features) >= self._fold_at:
            self._fold.add(self.chunk_features)
            self.chunk_features = []
            self.chunk_sizes = []

    def digest(self) -> bytes:
        self._finalize()
        self._fold.add(self.chunk_features)
        self.chunk_features = []
        self.chunk_sizes = []
        return self._fold.digest256()


class TextCodeHasher:
    """Incremental ISCC Text-Code v0: push text segments, then call code().

    Segments may be cut anywhere between characters; text_collapse is applied per
    segment after splitting at the last whitespace so normalisation never straddles a cut.
    """

    def __init__(self, fold_at: int = _FOLD_AT) -> None:
        self._fold = _MinhashFold(fold_at)
        self._carry = ""  # raw text after the last whitespace, not collapsed yet
        self._tail = ""  # last (ngram-1) collapsed characters
        self._characters = 0
        self._any_ngram = False

    def push(self, text: str) -> None:
        text = self._carry + text
        cut = _last_space(text)
        if cut < 0:
            self._carry = text
            if len(self._carry) > CHUNK_SIZE:  # no whitespace at all (e.g. CJK): cut anyway
                self._consume(self._carry)
                self._carry = ""
            return
        self._carry = text[cut + 1 :]
        self._consume(text[: cut + 1])

    def _consume(self, raw: str) -> None:
        collapsed = text_collapse(raw)
        if not collapsed:
            return
        self._characters += len(collapsed)
        buf = self._tail + collapsed
        if len(buf) >= _NGRAM:
            self._any_ngram = True
            h = xxhash.xxh32_intdigest
            self._fold.add(h(buf[i : i + _NGRAM].encode("utf-8")) for i in range(len(buf) - _NGRAM + 1))
            self._tail = buf[-(_NGRAM - 1) :]
        else:
            self._tail = buf

    @property
    def characters(self) -> int:
        return self._characters

    def code(self, bits: int = 64) -> str:
        """The ISCC Text-Code ("ISCC:E...") of everything pushed."""
        if self._carry:
            self._consume(self._carry)
            self._carry = ""
        if not self._any_ngram:  # shorter than one n-gram: the whole text is the feature
            self._fold.add([xxhash.xxh32_intdigest(self._tail.encode("utf-8"))])
        digest = self._fold.digest256()
        return "ISCC:" + ic.encode_component(
            mtype=ic.MT.CONTENT, stype=ic.ST_CC.TEXT, version=ic.VS.V0, bit_length=bits, digest=digest
        )


_FILTERED = ic.core_opts.text_unicode_filter


def text_collapse(text: str) -> str:
    """Same result as iscc_core.text_collapse, with the per-character filter done by
    str.translate over the distinct characters of `text` (several times faster)."""
    text = unicodedata.normalize("NFD", text).lower()
    drop = {ord(ch): None for ch in set(text) if ch.isspace() or unicodedata.category(ch)[0] in _FILTERED}
    return unicodedata.normalize("NFKC", text.translate(drop))


def _last_space(s: str) -> int:
    for i in range(len(s) - 1, -1, -1):
        if s[i].isspace():
            return i
    return -1


def text_code(text: str) -> str:
    """ISCC Text-Code of a string (64-bit)."""
    h = TextCodeHasher()
    h.push(text)
    return h.code()


def hash_stream(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> tuple[bytes, str, str, int]:
    """(sha256 digest, ISCC Data-Code, ISCC Instance-Code, size in bytes) of a byte stream."""
    sha = hashlib.sha256()
    data = DataCodeHasher()
    inst = ic.InstanceHasherV0()
    size = 0
    while chunk := stream.read(chunk_size):
        sha.update(chunk)
        data.push(chunk)
        inst.push(chunk)
        size += len(chunk)
    return sha.digest(), "ISCC:" + data.code(), "ISCC:" + inst.code(), size


def fingerprint_file(path: str | os.PathLike[str], *, with_content: bool = True) -> Fingerprint:
    """Fingerprint the file at `path` with bounded memory.

    The Text-Code is computed for EPUB, PDF and plain text (None for other types, or for a
    PDF without a text layer). Raises EmptyDocument for a 0-byte file and CorruptDocument
    for an EPUB/PDF that cannot be parsed.
    """
    p = Path(path)
    media_type = detect_media_type(p)  # raises EmptyDocument on 0 bytes
    with p.open("rb") as f:
        sha, data_code, instance_code, size = hash_stream(f)
    content_code: str | None = None
    characters: int | None = None
    if with_content and media_type in TEXT_MEDIA_TYPES:
        hasher = TextCodeHasher()
        try:
            for segment in iter_text(p, media_type):
                hasher.push(segment)
        except EmptyDocument:
            hasher = None
        if hasher is not None:
            content_code = hasher.code()
            characters = hasher.characters
    return Fingerprint(
        sha256=sha,
        iscc_data=data_code,
        iscc_instance=instance_code,
        iscc_content=content_code,
        size=size,
        media_type=media_type,
        characters=characters,
    )

"""Near-duplicate index over the 64-bit bodies of ISCC Text-Codes.

A lookup XORs the query with every registered code and counts the differing bits, as one
vectorised numpy operation over a contiguous uint64 array (p50 ~0.12 ms for 100,000 works
on one core here, for any distance). Multi-index hashing was tried first: in pure Python it
is faster only up to ~11 bits and slower than this scan beyond that, so one simple path
serves every threshold.

Exact duplicates (same SHA-256) are not this module's job: the chain refuses them.
"""

from __future__ import annotations

from collections.abc import Iterable

import iscc_core as ic
import numpy as np

_MASK64 = (1 << 64) - 1


def code_body(code: str | bytes | int) -> int:
    """The 64-bit body of an ISCC Content-Code as an int.

    Accepts "ISCC:E..." strings (Text-Code, or any 64-bit Content-Code), 8 raw bytes, or an int.
    """
    if isinstance(code, int):
        if not 0 <= code <= _MASK64:
            raise ValueError("code body must be a 64-bit unsigned integer")
        return code
    if isinstance(code, (bytes, bytearray)):
        if len(code) != 8:
            raise ValueError("code body must be 8 bytes")
        return int.from_bytes(code, "big")
    mtype, _stype, _version, _length, digest = ic.iscc_decode(code)
    if mtype != ic.MT.CONTENT:
        raise ValueError(f"{code} is not an ISCC Content-Code")
    return int.from_bytes(digest[:8], "big")


def hamming(a: int, b: int) -> int:
    """Hamming distance in bits between two 64-bit code bodies."""
    return (a ^ b).bit_count()


class NearDuplicateIndex:
    """Registered works keyed by ISCC Text-Code body; finds codes within a Hamming distance."""

    def __init__(self, capacity: int = 1024) -> None:
        self._codes = np.zeros(capacity, dtype=np.uint64)
        self._alive = np.zeros(capacity, dtype=bool)
        self._work_ids: list[str] = []
        self._position: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._position)

    def add(self, work_id: str, code: str | bytes | int) -> None:
        """Register `work_id` with its Text-Code (re-adding a work replaces its code)."""
        body = code_body(code)
        self.remove(work_id)
        pos = len(self._work_ids)
        if pos == len(self._codes):  # grow by doubling: amortised O(1) appends
            self._codes = np.concatenate([self._codes, np.zeros(pos, dtype=np.uint64)])
            self._alive = np.concatenate([self._alive, np.zeros(pos, dtype=bool)])
        self._codes[pos] = body
        self._alive[pos] = True
        self._work_ids.append(work_id)
        self._position[work_id] = pos

    def add_many(self, items: Iterable[tuple[str, str | bytes | int]]) -> None:
        """``add`` for each (work_id, code); into an empty index as one array copy (100,000
        works in a few tens of ms instead of ~0.5 s one by one)."""
        items = list(items)
        ids = [w for w, _ in items]
        if self._position or len(set(ids)) != len(ids):  # replacements: keep add's semantics
            for work_id, code in items:
                self.add(work_id, code)
            return
        n = len(items)
        codes = np.fromiter((code_body(c) for _, c in items), dtype=np.uint64, count=n)
        size = max(len(self._codes), n)
        self._codes = np.zeros(size, dtype=np.uint64)
        self._alive = np.zeros(size, dtype=bool)
        self._codes[:n] = codes
        self._alive[:n] = True
        self._work_ids = ids
        self._position = {w: i for i, w in enumerate(ids)}

    def remove(self, work_id: str) -> None:
        """Forget a work (e.g. a registration rolled back). Unknown ids are ignored."""
        pos = self._position.pop(work_id, None)
        if pos is not None:
            self._alive[pos] = False

    def near(self, code: str | bytes | int, max_distance: int) -> list[tuple[str, int]]:
        """Works within `max_distance` bits of `code`: [(work_id, distance)], nearest first
        (ties by work_id)."""
        if not 0 <= max_distance <= 64:
            raise ValueError("max_distance must be between 0 and 64 bits")
        n = len(self._work_ids)
        q = np.uint64(code_body(code))
        dist = np.bitwise_count(self._codes[:n] ^ q)
        hits = np.flatnonzero((dist <= max_distance) & self._alive[:n])
        out = [(self._work_ids[i], int(dist[i])) for i in hits]
        out.sort(key=lambda t: (t[1], t[0]))
        return out


def linear_near(entries: Iterable[tuple[str, int, bool]], q: int, max_distance: int) -> list[tuple[str, int]]:
    """Reference scan in pure Python over (work_id, body, alive): the benchmark baseline."""
    out = []
    for work_id, body, alive in entries:
        if alive:
            d = (body ^ q).bit_count()
            if d <= max_distance:
                out.append((work_id, d))
    out.sort(key=lambda t: (t[1], t[0]))
    return out

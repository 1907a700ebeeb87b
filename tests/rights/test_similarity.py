"""Near-duplicate index: the vectorised scan agrees with the pure-Python linear scan."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rights.similarity import NearDuplicateIndex, code_body, hamming, linear_near


def flip(code: int, bits: list[int]) -> int:
    for b in bits:
        code ^= 1 << b
    return code


def test_finds_codes_within_distance_sorted(files):
    rng = random.Random(11)
    base = rng.getrandbits(64)
    index = NearDuplicateIndex()
    index.add("w-exact", base)
    index.add("w-3", flip(base, [0, 20, 40]))
    index.add("w-9", flip(base, list(range(1, 64, 7))))
    index.add("w-far", base ^ ((1 << 64) - 1))
    assert index.near(base, 9) == [("w-exact", 0), ("w-3", 3), ("w-9", 9)]
    assert index.near(base, 2) == [("w-exact", 0)]


def test_accepts_iscc_strings_and_rejects_other_units():
    index = NearDuplicateIndex()
    index.add("w", "ISCC:EAASL4F2WZY7KBXB")
    assert index.near(code_body("ISCC:EAASL4F2WZY7KBXB"), 0) == [("w", 0)]
    with pytest.raises(ValueError, match="Content-Code"):
        index.add("x", "ISCC:GAASL4F2WZY7KBXB")  # a Data-Code


def test_remove_and_replace():
    index = NearDuplicateIndex()
    index.add("a", 5)
    index.add("b", 5)
    index.remove("a")
    assert index.near(5, 0) == [("b", 0)]
    index.add("b", 6)
    assert index.near(5, 0) == [] and index.near(6, 0) == [("b", 0)] and len(index) == 1


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), max_distance=st.integers(0, 64))
def test_agrees_with_linear_scan(seed, max_distance):
    rng = random.Random(seed)
    index = NearDuplicateIndex()
    entries = []
    centre = rng.getrandbits(64)
    for i in range(300):
        code = flip(centre, rng.sample(range(64), rng.randint(0, 24))) if i % 2 else rng.getrandbits(64)
        index.add(f"w{i}", code)
        entries.append((f"w{i}", code, True))
    q = flip(centre, rng.sample(range(64), rng.randint(0, 6)))
    assert index.near(q, max_distance) == linear_near(entries, q, max_distance)


def test_hamming():
    assert hamming(0, (1 << 64) - 1) == 64


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(0, 2500), dup=st.booleans(), start=st.booleans())
def test_add_many_equals_adding_one_by_one(seed, n, dup, start):
    rng = random.Random(seed)
    items = [(f"w{i}", rng.getrandbits(64)) for i in range(n)]
    if dup and items:  # a work given twice: the last code wins, as with add
        items.append((items[0][0], rng.getrandbits(64)))
    one, many = NearDuplicateIndex(), NearDuplicateIndex()
    if start:  # an index that already holds works takes the one-by-one path
        one.add("w0", 1)
        many.add("w0", 1)
    for w, c in items:
        one.add(w, c)
    many.add_many(items)
    assert len(many) == len(one)
    for q in [c for _, c in items[:20]] + [rng.getrandbits(64), 1]:
        assert many.near(q, 12) == one.near(q, 12)
    many.add("late", 7)  # still grows after a bulk load
    assert ("late", 0) in many.near(7, 0)

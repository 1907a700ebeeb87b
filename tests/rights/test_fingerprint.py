"""Fingerprints of real files: exact and near duplicates, bounded memory on a huge file."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import subprocess
import sys
import random
import tracemalloc

import iscc_core as ic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rights.errors import CorruptDocument, EmptyDocument
from rights.fingerprint import DataCodeHasher, TextCodeHasher, fingerprint_file, hash_stream, text_code
from rights.similarity import NearDuplicateIndex, code_body, hamming
from rights.text import EPUB, OCTET_STREAM, PDF, TEXT, extract_text

NEAR = 12  # bits: the registration threshold used in these tests


def test_fingerprint_fields_match_iscc_core_and_hashlib(files):
    fp = fingerprint_file(files["epub"])
    raw = files["epub"].read_bytes()
    assert fp.sha256 == hashlib.sha256(raw).digest()
    assert fp.sha256_hex == hashlib.sha256(raw).hexdigest()
    assert fp.sha256_bytes32 == "0x" + fp.sha256_hex
    assert fp.size == len(raw)
    assert fp.media_type == EPUB
    assert fp.iscc_data == ic.gen_data_code_v0(io.BytesIO(raw))["iscc"]
    assert fp.iscc_instance == ic.gen_instance_code_v0(io.BytesIO(raw))["iscc"]
    assert fp.iscc_content == ic.gen_text_code_v0(extract_text(files["epub"]))["iscc"]


def test_exact_duplicate_has_same_sha256(files, tmp_path):
    copy = tmp_path / "renamed-copy.epub"
    copy.write_bytes(files["epub"].read_bytes())
    a, b = fingerprint_file(files["epub"]), fingerprint_file(copy)
    assert a.sha256 == b.sha256 and a.iscc_instance == b.iscc_instance


def test_same_text_as_pdf_is_flagged_near_duplicate_of_the_epub(files):
    epub, pdf = fingerprint_file(files["epub"]), fingerprint_file(files["pdf"])
    assert pdf.media_type == PDF
    assert epub.sha256 != pdf.sha256  # not an exact duplicate: different bytes
    index = NearDuplicateIndex()
    index.add("work-epub", epub.iscc_content)
    hits = index.near(pdf.iscc_content, NEAR)
    assert [w for w, _ in hits] == ["work-epub"]
    assert hits[0][1] == hamming(code_body(epub.iscc_content), code_body(pdf.iscc_content)) <= NEAR


def test_lightly_edited_copy_is_flagged_with_its_distance(files):
    orig, edited = fingerprint_file(files["epub"]), fingerprint_file(files["epub_edited"])
    assert orig.iscc_content != edited.iscc_content
    index = NearDuplicateIndex()
    index.add("original", orig.iscc_content)
    [(work, distance)] = index.near(edited.iscc_content, NEAR)
    assert work == "original" and 0 < distance <= NEAR


def test_unrelated_text_is_not_flagged(files):
    index = NearDuplicateIndex()
    for key in ("epub", "pdf", "txt"):
        index.add(key, fingerprint_file(files[key]).iscc_content)
    other = fingerprint_file(files["epub_unrelated"])
    assert index.near(other.iscc_content, NEAR) == []


def test_plain_text_utf8_and_gb18030_give_the_same_content_code(files):
    a, b = fingerprint_file(files["txt"]), fingerprint_file(files["txt_gb18030"])
    assert a.media_type == b.media_type == TEXT
    assert a.sha256 != b.sha256
    assert a.iscc_content == b.iscc_content


def test_binary_file_gets_data_and_instance_codes_only(tmp_path):
    p = tmp_path / "cover.bin"
    p.write_bytes(random.Random(1).randbytes(50_000) + b"\x00")
    fp = fingerprint_file(p)
    assert fp.media_type == OCTET_STREAM and fp.iscc_content is None
    assert fp.iscc_data.startswith("ISCC:GA") and fp.iscc_instance.startswith("ISCC:IA")


def test_empty_file_is_refused(tmp_path):
    p = tmp_path / "empty.epub"
    p.write_bytes(b"")
    with pytest.raises(EmptyDocument, match="0 bytes"):
        fingerprint_file(p)


def test_corrupt_epub_is_refused(files, tmp_path):
    p = tmp_path / "broken.epub"
    p.write_bytes(files["epub"].read_bytes()[:2000])  # truncated ZIP, header still says EPUB
    with pytest.raises(CorruptDocument, match="EPUB"):
        fingerprint_file(p)


_HUGE_CHILD = r"""
import hashlib, json, resource, sys, tracemalloc
from rights.fingerprint import fingerprint_file
import rights.text, iscc_core  # imports settled before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
fp = fingerprint_file(sys.argv[1])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"size": fp.size, "sha256": fp.sha256_hex, "data": fp.iscc_data, "grew_kib": peak - base}))
"""


@pytest.mark.slow
def test_huge_file_is_fingerprinted_with_bounded_memory(tmp_path):
    """200 MiB sparse file, fingerprinted in a fresh interpreter; its peak RSS may grow by a
    few MiB, nowhere near the file size.

    Measured with the process high-water mark (ru_maxrss) rather than tracemalloc: under
    tracemalloc iscc-core's compiled CDC loop runs ~15x slower (32 MiB took 107 s here),
    and ru_maxrss also counts memory allocated by C code, which tracemalloc cannot see.
    The tracemalloc check is done on the hashers below, on data sizes it can afford.
    """
    p = tmp_path / "huge.bin"
    size = 200 * 1024 * 1024
    with p.open("wb") as f:  # sparse: 200 MiB of zeros without writing them
        f.truncate(size)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", _HUGE_CHILD, str(p)], capture_output=True, text=True, env=env, check=True)
    got = json.loads(out.stdout)
    assert got["size"] == size
    assert got["sha256"] == _sha256_of_zeros(size).hex()
    assert got["grew_kib"] < 48 * 1024, f"RSS grew {got['grew_kib'] / 1024:.1f} MiB for a 200 MiB file"


_HASHER_CODE = [tracemalloc.Filter(True, "*/rights/fingerprint.py"), tracemalloc.Filter(True, "*/iscc_core/*")]


def _kept_by_hasher_code() -> int:
    """Bytes of live blocks allocated from the hashers' own code (other threads of the test
    session, e.g. HTTP pools and log readers, allocate too and must not count)."""
    gc.collect()
    snap = tracemalloc.take_snapshot().filter_traces(_HASHER_CODE)
    return sum(stat.size for stat in snap.statistics("filename"))


def _retained_growth(hasher, pieces) -> int:
    """Bytes of Python memory still held after pushing the second half of `pieces`.

    Measures what the hasher *keeps* (live blocks allocated by the hasher code, after a
    collection), not its transient peak: peaks move with numpy temporaries, allocator timing
    and other threads, which made an earlier version of this test flaky.
    """
    half = len(pieces) // 2
    tracemalloc.start()
    try:
        for p in pieces[:half]:
            hasher.push(p)
        before = _kept_by_hasher_code()
        for p in pieces[half:]:
            hasher.push(p)
        after = _kept_by_hasher_code()
    finally:
        tracemalloc.stop()
    return after - before


def test_hashers_keep_bounded_python_memory_under_tracemalloc():
    """Feature lists are folded into the minhash vector instead of growing with the input.

    Each hasher is measured next to a control that never folds (fold_at beyond the input),
    so the test shows it can see accumulation: the control must grow, the hasher must not.
    """
    rng = random.Random(3)
    block = rng.randbytes(8 * 1024)  # small: tracemalloc slows the CDC loop a lot
    blocks = [block[i:] + block[:i] for i in range(1, 201)]
    folded, control = DataCodeHasher(fold_at=4), DataCodeHasher(fold_at=10**9)
    folded.push(block)  # first fold: one-time set-up allocations happen here, outside the measurement
    control.push(block)
    grew, grew_control = _retained_growth(folded, blocks), _retained_growth(control, blocks)
    assert len(folded.chunk_features) < 4 + 12  # folded, not accumulated
    assert grew_control > 16 << 10, grew_control  # ~800 kept features: ~30 KiB
    assert grew < grew_control / 4, (grew, grew_control)
    ref = ic.DataHasherV0()
    for b in [block, *blocks]:
        ref.push(b)
    assert folded.code() == ref.code() == control.code()

    segment = lambda i: " ".join(f"word{(i * 7919 + j) % 104729}" for j in range(400)) + " "  # noqa: E731
    segments = [segment(i) for i in range(1, 13)]
    t, t_control = TextCodeHasher(fold_at=256), TextCodeHasher(fold_at=10**9)
    t.push(segment(0))  # first fold: numpy set-up allocations happen here
    t_control.push(segment(0))
    grew, grew_control = _retained_growth(t, segments), _retained_growth(t_control, segments)
    assert t.characters > 40_000  # ~150 folds of 256 n-grams
    assert grew_control > 64 << 10, grew_control
    assert grew < grew_control / 8, (grew, grew_control)
    assert t.code() == t_control.code()


def _sha256_of_zeros(n: int) -> bytes:
    h, block = hashlib.sha256(), bytes(1 << 20)
    for _ in range(n // len(block)):
        h.update(block)
    return h.digest()


def test_streaming_data_code_equals_iscc_core_across_folds():
    rng = random.Random(5)
    data = rng.randbytes(6_000_000) + bytes(3_000_000) + rng.randbytes(4_000_000)  # > 1 fold
    _, code, _, size = hash_stream(io.BytesIO(data), chunk_size=300_001)
    assert size == len(data)
    assert code == ic.gen_data_code_v0(io.BytesIO(data))["iscc"]


def test_data_code_of_empty_stream_matches_iscc_core():
    assert hash_stream(io.BytesIO(b""))[1] == ic.gen_data_code_v0(io.BytesIO(b""))["iscc"]
    assert "ISCC:" + DataCodeHasher().code() == ic.gen_data_code_v0(io.BytesIO(b""))["iscc"]


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=0, max_size=400), cuts=st.lists(st.integers(1, 50), max_size=12))
def test_incremental_text_code_equals_iscc_core(text, cuts):
    h, pos = TextCodeHasher(), 0
    for c in cuts:
        h.push(text[pos : pos + c])
        pos += c
    h.push(text[pos:])
    assert h.code() == ic.gen_text_code_v0(text)["iscc"]


def test_text_code_helper_on_chinese():
    s = "图书馆联盟共享数字馆藏，读者可以在线借阅电子书。" * 20
    assert text_code(s) == ic.gen_text_code_v0(s)["iscc"]


@settings(max_examples=40, deadline=None)
@given(features=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=9000))
def test_vectorised_minhash_equals_iscc_core(features):
    from rights.fingerprint import minhash_vector

    assert minhash_vector(features) == ic.alg_minhash(features)


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=300))
def test_text_collapse_equals_iscc_core(text):
    from rights.fingerprint import text_collapse

    assert text_collapse(text) == ic.text_collapse(text)

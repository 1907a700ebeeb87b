"""The embedded local content store: round trip, atomic layout, corruption caught on read."""

from __future__ import annotations

import io
import os

import pytest

from rights.errors import ContentCorrupted, ContentNotFound, InvalidCid
from rights.store import ContentStore, LocalContentStore, cid_of, normalize_cid


@pytest.fixture
def store(tmp_path):
    return LocalContentStore(tmp_path / "data")


def test_round_trip_bytes_and_stream(store, files):
    data = files["epub"].read_bytes()
    cid = store.put(data)
    assert cid.startswith("bafkrei") and cid == cid_of(data)
    assert store.has(cid) and store.get(cid) == data
    with files["pdf"].open("rb") as f:
        cid2 = store.put(f)
    with store.open(cid2) as chunks:
        assert b"".join(chunks) == files["pdf"].read_bytes()
    assert isinstance(store, ContentStore)


def test_empty_object_has_the_cid_kubo_gives_it(store):
    # kubo's own test-suite (test/sharness/t0040-add-and-cat.sh) asserts this CID for an
    # empty file added with raw leaves, which is what cid-version=1 implies.
    assert store.put(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_put_is_idempotent_and_leaves_no_temp_files(store, tmp_path):
    a = store.put(b"same bytes")
    b = store.put(io.BytesIO(b"same bytes"))
    assert a == b
    assert os.listdir(tmp_path / "data" / "tmp") == []
    assert store.path_of(a).read_bytes() == b"same bytes"


def test_corruption_is_detected_on_read(store):
    cid = store.put(b"The licence terms of this work" * 100)
    path = store.path_of(cid)
    raw = bytearray(path.read_bytes())
    raw[17] ^= 0x01  # one flipped bit on disk
    path.write_bytes(bytes(raw))
    with pytest.raises(ContentCorrupted) as exc:
        store.get(cid)
    assert exc.value.cid == cid
    with pytest.raises(ContentCorrupted), store.open(cid) as chunks:
        b"".join(chunks)


def test_truncation_is_detected_on_read(store):
    cid = store.put(os.urandom(3 << 20))
    path = store.path_of(cid)
    with path.open("r+b") as f:
        f.truncate(1 << 20)
    with pytest.raises(ContentCorrupted):
        store.get(cid)


def test_missing_content_and_bad_cids(store):
    missing = cid_of(b"never stored")
    assert not store.has(missing)
    with pytest.raises(ContentNotFound, match=missing):
        store.get(missing)
    with pytest.raises(ContentNotFound):
        store.pin(missing)
    with pytest.raises(InvalidCid):
        store.get("not-a-cid")
    with pytest.raises(InvalidCid, match="raw sha2-256"):  # a dag-pb CID cannot live here
        store.get("QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH")


def test_pin_is_recorded(store):
    cid = store.put(b"pinned record")
    store.pin(cid)
    store.pin(cid)
    assert store.pins() == [cid]


def test_cidv0_normalises_to_base32_v1():
    assert normalize_cid("QmeGAVddnBSnKc1DLE7DLV9uuTqo5F7QbaveTjr45JUdQn").startswith("bafybei")


_SLOW_PUT = """
import sys, time
from pathlib import Path
from rights.store import LocalContentStore

data = bytes(range(256)) * (8 << 12)  # 8 MiB
marker = Path(sys.argv[2])

class Slow:
    def __init__(self):
        self.pos = 0
    def read(self, n=-1):
        if self.pos >= len(data) // 2:  # half of it written: say so, then hang until killed
            marker.touch()
            time.sleep(3600)
        n = 1 << 20 if n is None or n < 0 else min(n, 1 << 20)
        chunk = data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk

LocalContentStore(sys.argv[1]).put(Slow())
"""


def test_a_put_killed_halfway_leaves_no_object(tmp_path):
    """kill -9 in the middle of a put: the object never appears under its CID (only a temp file
    may be left), readers see "not found", and the next put of the same bytes succeeds."""
    import signal
    import subprocess
    import sys
    import time

    data = bytes(range(256)) * (8 << 12)
    cid = cid_of(data)
    root, marker = tmp_path / "data", tmp_path / "halfway"
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_PUT, str(root), str(marker)], env=dict(os.environ, PYTHONPATH=repo))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        store = LocalContentStore(root)
        assert any(p.stat().st_size > 0 for p in (root / "tmp").iterdir())  # half of it is on disk, aside
        assert not store.has(cid) and not store.path_of(cid).exists()
        with pytest.raises(ContentNotFound):
            store.get(cid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not store.has(cid)
    with pytest.raises(ContentNotFound):
        store.get(cid)
    assert store.put(data) == cid and store.get(cid) == data

"""The node goes away in the middle of a run and comes back: the indexer says so, waits with
backoff, never writes half a batch, and ends identical to a clean rebuild."""

from __future__ import annotations

import threading
import time

from ledger import node
from ledger.mirror.db import make_engine
from ledger.mirror.indexer import Indexer, LogReporter
from tests.mirror.conftest import checkpoint, index_once, mirror_state


class Recorder(LogReporter):
    def __init__(self) -> None:
        self.down: list[str] = []
        self.back = 0

    def node_down(self, message: str, retry_in: float) -> None:
        self.down.append(message)

    def node_back(self) -> None:
        self.back += 1


def test_indexer_rides_out_a_node_outage(private_node, tmp_path):
    p = private_node
    s, manifest, chain = p.settings, p.manifest, p.chain
    p.mints(20)
    engine = make_engine(f"sqlite:///{tmp_path / 'mirror.sqlite'}")
    rec = Recorder()
    idx = Indexer(s, manifest, engine, reporter=rec, poll_interval=0.05, max_backoff=0.5)
    t = threading.Thread(target=idx.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 120
    while (checkpoint(engine) or (0,))[0] < chain.block_number():
        assert time.monotonic() < deadline
        time.sleep(0.05)

    node.down(s)  # clean stop: anvil keeps its state
    while not rec.down:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "cannot reach the chain" in rec.down[0]
    node.up(s)
    chain.pipeline.nonces.reset()
    p.mints(15, seed=1)
    head = chain.block_number()
    while (checkpoint(engine) or (0,))[0] < head:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    idx.stop()
    t.join(timeout=30)
    assert rec.back >= 1
    clean = make_engine(f"sqlite:///{tmp_path / 'clean.sqlite'}")
    index_once(s, manifest, clean)
    assert mirror_state(engine) == mirror_state(clean)

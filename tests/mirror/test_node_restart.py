"""A private anvil per test, stopped and started for real (``ledger.node``, state on disk):

- anvil restarted from an older state file (a dev chain thrown back) -> the mirror rolls back
  to the fork point and re-reads, ending identical to a clean rebuild;
- the node goes away in the middle of a long backfill -> ``libledger index`` says so in its
  JSON log lines, retries with growing waits, never writes half a batch, and finishes the
  backfill once the node is back.

Both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from ledger import node
from ledger.config import Settings
from ledger.mirror.check import check, check_projections
from ledger.mirror.models import Block, Checkpoint, CreditBalance, RawEvent
from tests.mirror.conftest import checkpoint, index_once, mirror_state

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_anvil_restarted_from_an_older_state_rolls_the_mirror_back(private_node, mirror_url, second_url, engine_for, tmp_path):
    p = private_node
    p.mints(10, seed=1)
    p.restart()  # dumps the state: keep this older chain aside
    older = tmp_path / "older-state.json"
    shutil.copyfile(p.state_file, older)
    fork_base = p.chain.block_number()
    lost = p.mints(6, seed=2, one_block_each=True)  # blocks fork_base+1 .. fork_base+6
    engine = engine_for(mirror_url)
    index_once(p.settings, p.manifest, engine)
    old_tip = checkpoint(engine)
    assert old_tip[0] == fork_base + 6
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawEvent).where(RawEvent.tx_hash.in_(lost))) == 6

    # anvil comes back from the older state file and then mines other transactions, more blocks
    # than the mirror holds: the first new block's parent is not the mirror's tip
    p.restart(state_from=older)
    assert p.chain.block_number() == fork_base
    p.mints(9, seed=3, one_block_each=True)
    index_once(p.settings, p.manifest, engine)
    assert checkpoint(engine)[0] == p.chain.block_number() == fork_base + 9
    assert checkpoint(engine) != old_tip
    with engine.connect() as conn:
        of_the_lost_fork = conn.scalar(select(func.count()).select_from(RawEvent).where(RawEvent.tx_hash.in_(lost)))
        balance = conn.scalar(select(CreditBalance.balance).where(CreditBalance.account == p.a.address))
    assert of_the_lost_fork == 0
    assert balance == p.chain.contract("Credit").call("balanceOf", p.a.address)
    clean = engine_for(second_url)
    index_once(p.settings, p.manifest, clean)
    assert mirror_state(engine) == mirror_state(clean)
    assert check(engine, p.chain.rpc, p.manifest) == []

    # and once more from the older state, now with no new blocks at all: the mirror is ahead
    p.restart(state_from=older)
    index_once(p.settings, p.manifest, engine)
    assert checkpoint(engine)[0] == fork_base
    assert check(engine, p.chain.rpc, p.manifest) == []


def _spawn_index(s: Settings, url: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=REPO, LIBLEDGER_RPC_URL=s.rpc_url, LIBLEDGER_DATA_DIR=str(s.data_path),
               LIBLEDGER_DATABASE_URL=url, LIBLEDGER_RPC_TIMEOUT="2")
    return subprocess.Popen([sys.executable, "-m", "ledger.cli", "index", "--no-progress", *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class _JsonLog:
    """Reads the indexer's stderr in a thread: every line must be one JSON object."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.records: list[dict] = []
        self.not_json: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            try:
                self.records.append(json.loads(line))
            except ValueError:
                self.not_json.append(line)

    def join(self) -> None:
        self._thread.join(30)

    def of(self, event: str) -> list[dict]:
        return [r for r in list(self.records) if r.get("event") == event]


def _consistent(engine) -> tuple[int, int]:  # noqa: ANN001
    """One snapshot: blocks and raw events end at the checkpoint, projections = their raw events.
    Returns (checkpoint block, raw events)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            cp = conn.scalar(select(Checkpoint.block_number))
            assert conn.scalar(select(func.max(Block.number))) == cp
            assert (conn.scalar(select(func.max(RawEvent.block_number))) or 0) <= cp
            assert check_projections(conn) == []
            return cp, conn.scalar(select(func.count()).select_from(RawEvent))


def test_node_down_mid_backfill_waits_with_backoff_and_writes_no_half_batch(private_node, mirror_url, second_url, engine_for):
    p = private_node
    p.mints(400, seed=4, one_block_each=True)  # a long backfill: 400 blocks, one per batch below
    target = p.chain.block_number()
    engine = engine_for(mirror_url)
    proc = _spawn_index(p.settings, mirror_url, "--once", "--max-range", "1")
    log = _JsonLog(proc)
    try:
        deadline = time.monotonic() + 240
        while (checkpoint(engine) or (0,))[0] < p.manifest.deploy_block + 40:
            assert proc.poll() is None, log.not_json
            assert time.monotonic() < deadline
            time.sleep(0.01)
        node.down(p.settings)  # in the middle of the backfill
        while len(log.of("node_down")) < 4:
            assert proc.poll() is None, log.not_json
            assert time.monotonic() < deadline
            time.sleep(0.05)
        down = log.of("node_down")
        assert "cannot reach the chain" in down[0]["msg"] and p.settings.rpc_url in down[0]["msg"]
        waits = [r["retry_in"] for r in down]
        assert waits[:4] == [0.5, 1.0, 2.0, 4.0], waits  # backoff, doubling
        assert down[0]["level"] == "warning"
        stalled = _consistent(engine)
        assert p.manifest.deploy_block + 40 <= stalled[0] < target
        time.sleep(1.0)
        assert _consistent(engine) == stalled  # nothing written while the node is away
        node.up(p.settings)
        proc.wait(timeout=240)  # stdout holds one line: no pipe fills up meanwhile
        out = proc.stdout.read()
        log.join()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"mirror at block {target}" in out
    assert log.of("node_back"), log.records[-5:]
    assert log.not_json == []  # structured logs only
    assert checkpoint(engine)[0] == target
    clean = engine_for(second_url)
    index_once(p.settings, p.manifest, clean)
    assert mirror_state(engine) == mirror_state(clean)

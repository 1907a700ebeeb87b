"""kill -9 at random points; one writer at a time, with takeover when the writer dies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import select

from ledger.mirror.models import IndexerLock
from tests.mirror.conftest import checkpoint, head, index_once, mirror_state

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _spawn(settings, url, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=REPO, LIBLEDGER_RPC_URL=settings.rpc_url, LIBLEDGER_DATA_DIR=str(settings.data_path), LIBLEDGER_DATABASE_URL=url)
    return subprocess.Popen([sys.executable, "-m", "ledger.cli", "index", "--no-progress", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _many_events(chain, actors, n_txs: int, *, per_tx: int = 10, one_block_each: bool = False) -> None:
    """``n_txs`` multicall transactions of ``per_tx`` Credit transfers each."""
    credit = chain.contract("Credit")
    libs = actors.libraries
    calls = []
    for i in range(n_txs):
        sender = libs[i % len(libs)]
        to = libs[(i + 1) % len(libs)].address
        data = [credit.encode("transfer", to, 1 + (i + k) % 5) for k in range(per_tx)]
        calls.append(credit.tx("multicall", data, sender=sender))
    groups = [[c] for c in calls] if one_block_each else [calls]
    for g in groups:
        for o in chain.pipeline.submit(g):
            o.unwrap()


def _wait_started(proc: subprocess.Popen) -> bool:
    """Block until the indexer logs that it indexes (True), or exits (False)."""
    while line := proc.stderr.readline().decode():
        if "indexing from" in line:
            _drain(proc)
            return True
    return False


def _drain(proc: subprocess.Popen) -> None:
    """Keep reading the child's log so a full pipe never blocks it."""
    threading.Thread(target=proc.stderr.read, daemon=True).start()


def _consistent(engine) -> int:
    """After a kill: blocks and raw events end at the checkpoint and the projections are exactly
    their raw events (no half-written batch). Returns the checkpoint's block (-1 before any)."""
    from sqlalchemy import func

    from ledger.mirror.check import check_projections
    from ledger.mirror.models import Block, Checkpoint, RawEvent

    if checkpoint(engine) is None:
        return -1
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            cp = conn.scalar(select(Checkpoint.block_number))
            if cp is None:
                return -1
            assert conn.scalar(select(func.max(Block.number))) == cp
            assert (conn.scalar(select(func.max(RawEvent.block_number))) or 0) <= cp
            assert check_projections(conn) == []
            return cp


def test_kill_9_at_random_points_ends_in_a_clean_mirror(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    _many_events(chain, actors, 600, per_tx=5, one_block_each=True)  # 3,000 Transfer events in 600 blocks
    target = head(chain)
    engine = engine_for(mirror_url)
    rng = random.Random(5)
    kills, progress = 0, []
    deadline = time.monotonic() + 400
    last = -1
    while kills < 12:
        assert time.monotonic() < deadline
        # small batches and a short lease: many commits to land between, and a quick restart
        proc = _spawn(settings, mirror_url, "--once", "--max-range", "1", "--lease", "1")
        if not _wait_started(proc):
            break  # nothing left to index: the kills so far counted
        # a random point of the backfill, chosen by progress (not by wall-clock time, so the
        # number of kills does not depend on how fast this machine is)
        stop_at = last + rng.randint(3, 30)
        while proc.poll() is None and ((checkpoint(engine) or (-1,))[0] or -1) < stop_at:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.02))  # and a random phase of the batch after it (read, decode, write, commit)
        if proc.poll() is not None:
            break  # finished before this kill: fine, the kills so far counted
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        last = _consistent(engine)
        progress.append(last)
    assert kills >= 10, f"only {kills} kills before the backfill finished: {progress}"
    assert any(p is not None and p < target for p in progress)
    proc = _spawn(settings, mirror_url, "--once", "--lease", "1")
    err = proc.communicate(timeout=300)[1]
    assert proc.returncode == 0, err.decode()
    assert checkpoint(engine)[0] == target
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert mirror_state(engine) == mirror_state(clean)


def test_second_indexer_waits_and_takes_over(chain, actors, settings, deployment, mirror_url, engine_for):
    engine = engine_for(mirror_url)
    first = _spawn(settings, mirror_url, "--lease", "2")
    try:
        deadline = time.monotonic() + 60
        while checkpoint(engine) is None or checkpoint(engine)[0] < head(chain):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        second = _spawn(settings, mirror_url, "--lease", "2")
        # the second one says it waits, and does not write
        line = second.stderr.readline().decode()
        while "waiting to take over" not in line and "indexing from" not in line:
            line = second.stderr.readline().decode()
            assert line, "second indexer exited"
        assert "waiting to take over" in line
        _drain(first)
        _drain(second)
        first.send_signal(signal.SIGKILL)
        first.wait()
        _many_events(chain, actors, 5)
        target = head(chain)
        deadline = time.monotonic() + 60
        while checkpoint(engine)[0] < target:
            assert time.monotonic() < deadline, "the second indexer did not take over"
            time.sleep(0.1)
        assert second.poll() is None
        if mirror_url.startswith("sqlite"):
            with engine.connect() as conn:
                owner = conn.scalar(select(IndexerLock.owner))
            assert owner and f":{second.pid}:" in owner
    finally:
        for p in (first, locals().get("second")):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

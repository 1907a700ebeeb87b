"""The indexer's adaptive ``eth_getLogs`` range against a node that refuses wide ranges or is too
slow to answer them, and the Rich progress bar of ``libledger index`` on a terminal.

Anvil caps nothing and answers at once, so a small forwarding proxy stands in front of the real
anvil: ranges wider than a limit are refused with Besu's own error object
(``--rpc-max-logs-range``) or answered only after the client's timeout; everything else
(headers, chain id, batches) is forwarded unchanged.
"""

from __future__ import annotations

import os
import pty
import re
import select as selectmod
import subprocess
import sys
import time


from ledger.mirror.check import check
from tests.getlogs_proxy import GetLogsProxy
from tests.mirror.conftest import activity, checkpoint, head, index_once, mirror_state

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _history(chain, actors) -> None:  # noqa: ANN001
    """Events spread over many blocks, with empty blocks between them."""
    for seed in range(3):
        activity(chain, actors, rounds=1, seed=seed)
        chain.rpc.call("anvil_mine", [hex(25)])


def test_ranges_the_node_refuses_are_split(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    from ledger.mirror.indexer import Indexer

    _history(chain, actors)
    proxy = GetLogsProxy(settings.rpc_url, limit=8, mode="refuse")
    try:
        engine = engine_for(mirror_url)
        capped = settings.model_copy(update={"rpc_url": proxy.url})
        idx = Indexer(capped, deployment, engine, initial_range=100, max_range=1_000)
        idx.run(once=True)
    finally:
        proxy.close()
    assert checkpoint(engine)[0] == head(chain)
    assert proxy.refused >= 1  # the first, wide range was refused ...
    assert proxy.forwarded and all(hi - lo + 1 <= 8 for lo, hi in proxy.forwarded)  # ... every read one fits
    covered = sorted(proxy.forwarded)
    assert covered[0][0] == deployment.deploy_block and covered[-1][1] == head(chain)
    assert all(b[0] == a[1] + 1 for a, b in zip(covered, covered[1:]))  # no gap, no overlap
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert mirror_state(engine) == mirror_state(clean)


def test_ranges_that_time_out_are_split(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    from ledger.mirror.indexer import Indexer

    _history(chain, actors)
    proxy = GetLogsProxy(settings.rpc_url, limit=16, mode="slow", delay=1.5)
    try:
        engine = engine_for(mirror_url)
        slow = settings.model_copy(update={"rpc_url": proxy.url, "rpc_timeout": 0.5})
        idx = Indexer(slow, deployment, engine, initial_range=64, max_range=64, prefetch=False)
        idx.run(once=True)
    finally:
        proxy.close()
    assert proxy.held >= 1  # a wide range timed out ...
    assert proxy.forwarded and all(hi - lo + 1 <= 16 for lo, hi in proxy.forwarded)  # ... and was read in halves
    assert checkpoint(engine)[0] == head(chain)
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert mirror_state(engine) == mirror_state(clean)
    assert check(engine, chain.rpc, deployment) == []


def test_backfill_shows_a_rich_progress_bar_on_a_terminal(chain, actors, settings, deployment, mirror_url):
    activity(chain, actors)
    chain.rpc.call("anvil_mine", [hex(300)])  # a backfill long enough for the bar (>= 100 blocks)
    target = head(chain)
    env = dict(os.environ, PYTHONPATH=REPO, LIBLEDGER_RPC_URL=settings.rpc_url, LIBLEDGER_DATA_DIR=str(settings.data_path),
               LIBLEDGER_DATABASE_URL=mirror_url, TERM="xterm-256color", COLUMNS="160")
    env.pop("NO_COLOR", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ledger.cli", "index", "--once", "--max-range", "50"], env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = selectmod.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=30) == 0, out.decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))  # without colours and cursor moves
    total = target - deployment.deploy_block + 1
    # "backfill ━━━╸━━ 100/343 blocks 53 events · 562 ev/s 0:00:01": blocks, events/s, ETA
    frames = re.findall(r"backfill ([━╸╺ ]+) +(\d+)/(\d+) blocks (\d+) events · (\d+) ev/s (-:--:--|\d+:\d\d:\d\d)", text)
    assert frames, text
    assert {int(f[2]) for f in frames} == {total}
    done = [int(f[1]) for f in frames]
    assert done == sorted(done) and done[-1] == total and len(set(done)) >= 2  # it moved, up to the head
    assert f"mirror at block {target}" in text

"""The local development chain: an anvil node run in the background.

State persists under the data dir (``--state``, dumped every few seconds and on a clean stop),
so ``chain down`` / ``chain up`` keeps blocks, hashes and logs. Gas is free, as on the
consortium's Besu network (zero base fee), and the chain id is fixed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .config import DEV_CHAIN_ID, REPO_ROOT, Settings
from .errors import ConfigError, NodeUnreachable
from .rpc import Rpc

ANVIL = REPO_ROOT / "node_modules" / ".bin" / "anvil"
STATE_INTERVAL_S = 2


@dataclass
class NodeStatus:
    running: bool
    pid: int | None
    rpc_url: str
    block_number: int | None = None
    chain_id: int | None = None


def _chain_dir(settings: Settings) -> Path:
    return settings.data_path / "chain"


def _pid_file(settings: Settings) -> Path:
    return _chain_dir(settings) / "anvil.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


def anvil_command(settings: Settings, *, port: int | None = None, state: Path | None = None) -> list[str]:
    """The anvil command line libledger uses (shared by `chain up` and the test fixtures)."""
    if not ANVIL.exists():
        raise ConfigError(f"anvil is not installed at {ANVIL}: run `make setup` (npm ci)")
    cmd = [
        str(ANVIL),
        "--host", "127.0.0.1",
        "--port", str(port or settings.anvil_port),
        "--chain-id", str(DEV_CHAIN_ID),
        "--base-fee", "0",
        "--gas-price", "0",
        "--disable-min-priority-fee",
        "--hardfork", "shanghai",
        "--gas-limit", "100000000",
        "--accounts", "2",
        "--silent",
    ]
    if state is not None:
        cmd += ["--state", str(state), "--state-interval", str(STATE_INTERVAL_S), "--preserve-historical-states"]
    return cmd


def wait_ready(url: str, timeout: float = 20.0) -> int:
    """Wait until the node answers ``eth_chainId``; returns it."""
    deadline = time.monotonic() + timeout
    with Rpc(url, retries=0, timeout=2) as rpc:
        while True:
            try:
                return int(rpc.call("eth_chainId"), 16)
            except NodeUnreachable:
                if time.monotonic() > deadline:
                    raise NodeUnreachable(f"the node at {url} did not start within {timeout:.0f} s") from None
                time.sleep(0.1)


def status(settings: Settings) -> NodeStatus:
    pid = _read_pid(settings)
    st = NodeStatus(running=bool(pid), pid=pid, rpc_url=settings.rpc_url)
    if pid:
        try:
            with Rpc(settings.rpc_url, retries=0, timeout=2) as rpc:
                st.chain_id = int(rpc.call("eth_chainId"), 16)
                st.block_number = int(rpc.call("eth_blockNumber"), 16)
        except NodeUnreachable:
            pass
    return st


def _read_pid(settings: Settings) -> int | None:
    try:
        pid = int(_pid_file(settings).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def up(settings: Settings) -> NodeStatus:
    """Start anvil in the background (no-op when it already runs); state under data_dir/chain."""
    if _read_pid(settings):
        return status(settings)
    chain_dir = _chain_dir(settings)
    chain_dir.mkdir(parents=True, exist_ok=True)
    log = open(chain_dir / "anvil.log", "ab")
    proc = subprocess.Popen(
        anvil_command(settings, state=chain_dir / "state.json"),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the CLI that started it
    )
    _pid_file(settings).write_text(str(proc.pid))
    try:
        wait_ready(settings.rpc_url)
    except NodeUnreachable:
        if proc.poll() is not None:
            tail = (chain_dir / "anvil.log").read_text(errors="replace")[-400:]
            raise NodeUnreachable(f"anvil exited at start (port {settings.anvil_port} in use?): {tail.strip()}") from None
        raise
    return status(settings)


def down(settings: Settings, timeout: float = 15.0) -> bool:
    """Stop anvil cleanly (SIGTERM: it dumps its state first). Returns False if it was not running."""
    pid = _read_pid(settings)
    if not pid:
        _pid_file(settings).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _pid_file(settings).unlink(missing_ok=True)
    return True

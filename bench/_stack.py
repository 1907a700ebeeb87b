"""A throw-away chain for benchmarks: a fresh anvil on a free port with libledger deployed.

Shared by every bench/*.py so each measures against the same kind of stack.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402

from ledger import node  # noqa: E402
from ledger.chain import Chain  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.deploy import DeployConfig, MemberSpec, deploy  # noqa: E402


def machine() -> dict[str, Any]:
    """The machine and its load average (1 min) at the moment a figure is printed."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine(),
            "load1": round(os.getloadavg()[0], 2)}


def emit(bench: str, **fields: Any) -> None:
    """Print one JSON line per figure: the bench name, value, unit, and the same-run baseline."""
    print(json.dumps({"bench": bench, **fields, "machine": machine()}), flush=True)


@dataclass
class Stack:
    settings: Settings
    chain: Chain
    governor: LocalAccount
    platform: LocalAccount
    publishers: list[LocalAccount]
    libraries: list[LocalAccount]
    sponsor: LocalAccount
    proc: subprocess.Popen
    node_mode: str = "automine"


def node_mode(block_time: float | None) -> str:
    """The label every figure carries: how the node makes blocks."""
    return "automine (one block per arrival)" if block_time is None else f"interval mining, {block_time:g} s blocks"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def stack(n_libraries: int = 4, n_publishers: int = 2, credit_each: int = 10**12, block_time: float | None = None) -> Iterator[Stack]:
    """anvil + deployed contracts + members with credit; torn down on exit.

    ``block_time`` (seconds) runs anvil in interval mining (``--block-time``): blocks on a period,
    each carrying every transaction that arrived, as a QBFT network makes them. Setup still gets
    its blocks quickly (the pipeline's dev-chain nudge); the measured pipeline then has the nudge
    turned off, so every block of the figure is one the node made by itself."""
    tmp = Path(tempfile.mkdtemp(prefix="libledger-bench-"))
    port = _free_port()
    settings = Settings(anvil_port=port, rpc_url=f"http://127.0.0.1:{port}", data_dir=tmp, keystore_password="bench")
    log = open(tmp / "anvil.log", "wb")
    cmd = node.anvil_command(settings, port=port)
    if block_time is not None:
        cmd += ["--block-time", f"{block_time:g}"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        node.wait_ready(settings.rpc_url)
        gov, plat = Account.create(), Account.create()
        pubs = [Account.create() for _ in range(n_publishers)]
        libs = [Account.create() for _ in range(n_libraries)]
        sponsor = Account.create()
        members = [MemberSpec("platform", "PLATFORM", "platform", ["platform", "treasury"], plat)]
        members += [MemberSpec(f"pub{i}", f"PUB-{i}", f"publisher {i}", ["publisher"], p) for i, p in enumerate(pubs)]
        members += [MemberSpec(f"lib{i}", f"CN-BENCH-{i}", f"library {i}", ["library"], a) for i, a in enumerate(libs)]
        members += [MemberSpec("sponsor", "SPONSOR", "sponsor", ["sponsor"], sponsor)]
        manifest, _ = deploy(settings, gov, config=DeployConfig(members=members, platform_treasury="platform"), save=False)
        chain = Chain(settings, manifest)
        credit = chain.contract("Credit")
        for o in chain.pipeline.submit([credit.tx("mint", a.address, credit_each, sender=plat) for a in [*libs, sponsor]]):
            o.unwrap()
        if block_time is not None:
            chain.pipeline.nudge_after = None
        yield Stack(settings, chain, gov, plat, pubs, libs, sponsor, proc, node_mode(block_time))
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def node_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds (user + system) the node process has used so far (Linux /proc)."""
    with open(f"/proc/{proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_split(proc: subprocess.Popen) -> Iterator[dict[str, float]]:
    """CPU seconds of the node and of this (client) process over the block: where the time goes."""
    out: dict[str, float] = {}
    n0, c0 = node_cpu(proc), time.process_time()
    try:
        yield out
    finally:
        out["node_cpu_s"] = round(node_cpu(proc) - n0, 2)
        out["client_cpu_s"] = round(time.process_time() - c0, 2)


def timed(fn, *args, **kwargs) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0

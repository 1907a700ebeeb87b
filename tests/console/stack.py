"""The demo stack the console is tested and benchmarked against: its own anvil, libledger
deployed (dev config), `libledger demo` data seeded (with the platform's X25519 key: it seals
registered files and signs statements), the app (with its in-process indexer) served by
uvicorn on a free loopback port.

The chain starts six hours before the current month (Asia/Shanghai) and the demo is seeded
there; then the clock moves to now. So the demo's royalties fall in a month that is over, and
payouts for it can be run and signed like on a real installation."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from rich.console import Console

from api import demo
from api.config import ApiSettings
from api.main import create_app
from api.runtime import Runtime
from ledger import accounts, node
from ledger.deploy import default_dev_config, deploy
from ledger.rpc import Rpc

#: the demo member each console role signs in as
#: passphrase of the platform's X25519 key file in the stack (ApiSettings.key_passphrase)
KEY_PASSPHRASE = "console-platform-key"
AS = {"library": "CN-330000-ZJL", "library2": "CN-330100-HZL", "publisher": "PUB-ZJRM", "auditor": "AUDIT-ZJSJT", "platform": "platform"}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def month_start(ts: float) -> int:
    """Unix seconds at 00:00 Asia/Shanghai on the first day of the month holding ``ts``."""
    local = datetime.fromtimestamp(ts, ZoneInfo("Asia/Shanghai"))
    return int(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


def demo_month(now: float | None = None) -> str:
    """The month (YYYY-MM, Asia/Shanghai) the stack's demo royalties fall in: the last one that is over."""
    start = month_start(time.time() if now is None else now) - 6 * 3600
    return datetime.fromtimestamp(start, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


@dataclass
class DemoStack:
    settings: ApiSettings
    runtime: Runtime
    app: Any
    url: str
    tokens: dict[str, str]

    def token(self, role: str) -> str:
        return self.tokens[AS.get(role, role)]


@contextmanager
def demo_stack(data: Path, *, database_url: str | None = None, at: float | None = None, to_now: bool = True) -> Iterator[DemoStack]:
    """The stack on ``data`` (its mirror in SQLite there, or at ``database_url``: an empty database).
    The demo is seeded six hours before the month of ``at`` (default now) begins; with ``to_now``
    the chain's clock then moves to now (the benchmark keeps it there, to add later history itself)."""
    port = _free_port()
    settings = ApiSettings(anvil_port=port, rpc_url=f"http://127.0.0.1:{port}", data_dir=data, keystore_password="console-test",
                           write_wait_timeout=30.0, token_cache_seconds=0.0, key_passphrase=KEY_PASSPHRASE, database_url=database_url)
    log = open(data / "anvil.log", "wb")
    genesis = month_start(time.time() if at is None else at) - 6 * 3600
    proc = subprocess.Popen(node.anvil_command(settings, port=port) + ["--timestamp", str(genesis)], stdout=log, stderr=subprocess.STDOUT)
    server = thread = rt = None
    try:
        node.wait_ready(settings.rpc_url)
        deploy(settings, accounts.signer(settings, "governor"), config=default_dev_config(), signer_for=lambda k: accounts.signer(settings, k))
        tokens = demo.seed(settings, console=Console(file=io.StringIO()))
        if to_now:
            with Rpc(settings.rpc_url) as rpc:  # the demo's month is over: the clock moves to now
                rpc.call("evm_setNextBlockTimestamp", [max(int(time.time()), genesis + 7 * 3600)])
                rpc.call("evm_mine")
        rt = Runtime.open(settings)
        app = create_app(settings, runtime=rt, start_indexer=True)
        http_port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=http_port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the console's server did not come up")
            time.sleep(0.1)
        assert rt.wait_for_block(rt.chain.block_number(), timeout=60) is not None
        (data / "tokens.json").write_text(json.dumps(tokens))
        yield DemoStack(settings=settings, runtime=rt, app=app, url=url, tokens=tokens)
    finally:
        if server is not None:
            server.should_exit = True
            thread.join(timeout=15)
        if rt is not None:
            rt.close()
        proc.terminate()
        proc.wait(timeout=10)

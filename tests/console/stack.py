"""The demo stack the console is tested and benchmarked against: its own anvil, libledger
deployed (dev config), `libledger demo` data seeded, the app (with its in-process indexer)
served by uvicorn on a free loopback port."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console

from api import demo
from api.config import ApiSettings
from api.main import create_app
from api.runtime import Runtime
from ledger import accounts, node
from ledger.deploy import default_dev_config, deploy

#: the demo member each console role signs in as
AS = {"library": "CN-330000-ZJL", "library2": "CN-330100-HZL", "publisher": "PUB-ZJRM", "auditor": "AUDIT-ZJSJT", "platform": "platform"}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
def demo_stack(data: Path) -> Iterator[DemoStack]:
    port = _free_port()
    settings = ApiSettings(anvil_port=port, rpc_url=f"http://127.0.0.1:{port}", data_dir=data, keystore_password="console-test",
                           write_wait_timeout=30.0, token_cache_seconds=0.0)
    log = open(data / "anvil.log", "wb")
    proc = subprocess.Popen(node.anvil_command(settings, port=port), stdout=log, stderr=subprocess.STDOUT)
    server = thread = rt = None
    try:
        node.wait_ready(settings.rpc_url)
        deploy(settings, accounts.signer(settings, "governor"), config=default_dev_config(), signer_for=lambda k: accounts.signer(settings, k))
        tokens = demo.seed(settings, console=Console(file=io.StringIO()))
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

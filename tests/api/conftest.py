"""The API against the real stack: its own anvil + libledger deployed, the in-process indexer
writing the mirror, on SQLite (a file) and on PostgreSQL; members' keys in an encrypted keystore
named by ISIL, one API token per member."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import tokens
from api.config import ApiSettings
from api.main import create_app
from ledger import accounts, node
from ledger.chain import Chain
from ledger.deploy import DeployConfig, MemberSpec, deploy
from tests.conftest import free_port
from tests.fixtures.postgres import temporary_database

CREDIT = 1_000_000_00

#: (key/ISIL, name, roles)
MEMBERS = [
    ("LIBLEDGER-PLATFORM", "平台运营方", ["platform", "treasury"]),
    ("PUB-ZJPP", "浙江人民出版社", ["publisher"]),
    ("PUB-SHYW", "上海译文出版社", ["publisher"]),
    ("CN-330000-ZJL", "浙江图书馆", ["library"]),
    ("CN-330100-HZL", "杭州图书馆", ["library"]),
    ("CN-330200-NBL", "宁波图书馆", ["library"]),
    ("AUDIT-ZJ", "浙江省审计厅", ["auditor"]),
    ("SPONSOR-ZJ", "浙江文化基金", ["sponsor"]),
    ("CN-330300-WZL", "温州市图书馆 (suspended)", ["library"]),
]


@dataclass
class ApiEnv:
    client: TestClient
    settings: ApiSettings
    tokens: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    backend: str = ""

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "AUDIT-ZJ", **kw: Any) -> Any:
        return self.client.get(path, headers=self.h(who), **kw)

    def post(self, path: str, who: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(path, headers=self.h(who), json=json, **kw)


@pytest.fixture(scope="session")
def api_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiSettings]:
    port = free_port()
    data = tmp_path_factory.mktemp("api-stack")
    settings = ApiSettings(anvil_port=port, rpc_url=f"http://127.0.0.1:{port}", data_dir=data, keystore_password="api-test")
    log = open(data / "anvil.log", "wb")
    proc = subprocess.Popen(node.anvil_command(settings, port=port), stdout=log, stderr=subprocess.STDOUT)
    try:
        node.wait_ready(settings.rpc_url)
        signer = lambda k: accounts.signer(settings, k, create=True)  # noqa: E731
        members = [MemberSpec(k, k, n, r) for k, n, r in MEMBERS]
        man, _ = deploy(settings, signer("governor"), config=DeployConfig(members=members, platform_treasury="LIBLEDGER-PLATFORM"), signer_for=signer)
        chain = Chain(settings, man)
        credit = chain.contract("Credit")
        plat = signer("LIBLEDGER-PLATFORM")
        for o in chain.pipeline.submit([credit.tx("mint", signer(k).address, CREDIT, sender=plat) for k, _, r in MEMBERS if "library" in r]):
            o.unwrap()
        gov = signer("governor")
        chain.contract("Consortium").transact("suspend", signer("CN-330300-WZL").address, "unpaid dues", sender=gov)
        chain.close()
        yield settings
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _pg_db(admin_url: str) -> Iterator[str]:
    yield from temporary_database(admin_url, "api_")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, api_chain: ApiSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    if request.param == "sqlite":
        url_iter: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('mirror') / 'mirror.sqlite'}"])
    else:
        url_iter = _pg_db(request.getfixturevalue("pg_admin_url"))
    url = next(url_iter)
    settings = ApiSettings(**{**api_chain.model_dump(), "database_url": url, "write_wait_timeout": 30.0, "token_cache_seconds": 0.0})
    from api.runtime import Runtime

    rt = Runtime.open(settings)  # owned here: tools that run the app's lifespan (schemathesis) must not close it
    app = create_app(settings, runtime=rt, start_indexer=True)
    env = ApiEnv(client=TestClient(app, raise_server_exceptions=False), settings=settings, backend=request.param)
    with env.client:
        with rt.writing() as s:
            for key in ["governor", *[k for k, _, _ in MEMBERS]]:
                acct = rt.address_of(key)
                env.tokens[key], _ = tokens.create(s, member=key, account=acct, name=f"test {key}")
                env.accounts[key] = acct
        head = rt.chain.block_number()
        assert rt.wait_for_block(head, timeout=60) is not None
        yield env
    rt.close()
    for _ in url_iter:
        pass


def content_hash() -> str:
    return "0x" + secrets.token_hex(32)


def iscc() -> str:
    return "0x" + secrets.token_hex(16)

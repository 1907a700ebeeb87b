"""Shared fixtures: one real anvil per test session, libledger deployed on it once, and an EVM
snapshot reverted after every test that touches the chain; a real PostgreSQL (tests.fixtures.postgres)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger import node
from ledger.chain import Chain
from ledger.config import Settings
from ledger.deploy import DeployConfig, MemberSpec, deploy
from ledger.manifest import Manifest

pytest_plugins = ["tests.fixtures.postgres"]

INITIAL_CREDIT = 1_000_000_00  # fen minted to every library and sponsor: ¥1,000,000.00


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Actors:
    """The sample consortium every chain test starts from (accounts with their roles)."""

    governor: LocalAccount
    platform: LocalAccount  # platform + treasury roles; receives the 30% fee
    publishers: list[LocalAccount] = field(default_factory=list)
    libraries: list[LocalAccount] = field(default_factory=list)
    auditor: LocalAccount | None = None
    sponsor: LocalAccount | None = None
    outsider: LocalAccount | None = None  # never admitted

    @property
    def library(self) -> LocalAccount:
        return self.libraries[0]

    @property
    def publisher(self) -> LocalAccount:
        return self.publishers[0]


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    settings = Settings(anvil_port=port, data_dir=tmp_path_factory.mktemp("anvil"))
    log = open(settings.data_path / "anvil.log", "wb")
    proc = subprocess.Popen(node.anvil_command(settings, port=port), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        node.wait_ready(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def settings(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("libledger")
    return Settings(rpc_url=anvil_url, data_dir=data, keystore_password="test-password")


@pytest.fixture(scope="session")
def actors() -> Actors:
    new = Account.create
    return Actors(
        governor=new(),
        platform=new(),
        publishers=[new() for _ in range(2)],
        libraries=[new() for _ in range(3)],
        auditor=new(),
        sponsor=new(),
        outsider=new(),
    )


def consortium_config(a: Actors) -> DeployConfig:
    members = [MemberSpec("platform", "LIBLEDGER-PLATFORM", "平台运营方 Platform", ["platform", "treasury"], a.platform)]
    members += [MemberSpec(f"pub{i}", f"PUB-{i}", f"出版社 {i}", ["publisher"], p) for i, p in enumerate(a.publishers, 1)]
    isils = ["CN-330000-ZJL", "CN-330100-HZL", "CN-330200-NBL"]
    members += [MemberSpec(f"lib{i}", isil, f"图书馆 {isil}", ["library"], lib) for i, (isil, lib) in enumerate(zip(isils, a.libraries), 1)]
    members += [MemberSpec("auditor", "AUDIT-ZJ", "审计 Auditor", ["auditor"], a.auditor)]
    members += [MemberSpec("sponsor", "SPONSOR-ZJ-CULTURE", "文化消费基金 Sponsor", ["sponsor"], a.sponsor)]
    return DeployConfig(members=members, platform_treasury="platform")


@pytest.fixture(scope="session")
def deployment(settings: Settings, actors: Actors) -> Manifest:
    manifest, _ = deploy(settings, actors.governor, config=consortium_config(actors))
    chain = Chain(settings, manifest)
    credit = chain.contract("Credit")
    outs = chain.pipeline.submit(
        [credit.tx("mint", acct.address, INITIAL_CREDIT, sender=actors.platform) for acct in [*actors.libraries, actors.sponsor]]
    )
    for o in outs:
        o.unwrap()
    chain.close()
    return manifest


@pytest.fixture(scope="session")
def session_chain(settings: Settings, deployment: Manifest) -> Iterator[Chain]:
    chain = Chain(settings, deployment)
    yield chain
    chain.close()


@pytest.fixture
def chain(session_chain: Chain) -> Iterator[Chain]:
    """The deployed chain, reset to the post-deployment state after the test."""
    snap = session_chain.rpc.call("evm_snapshot")
    try:
        yield session_chain
    finally:
        session_chain.rpc.call("evm_revert", [snap])
        session_chain.pipeline.nonces.reset()  # nonces went back with the state


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent

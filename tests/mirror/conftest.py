"""Mirror fixtures: a fresh mirror database per test, on SQLite (a real file) and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from ledger import node
from ledger.chain import Chain
from ledger.config import Settings
from ledger.deploy import DeployConfig, MemberSpec, deploy
from ledger.manifest import Manifest
from ledger.mirror.db import make_engine
from ledger.mirror.indexer import Indexer
from ledger.mirror.models import Base, Checkpoint
from tests.conftest import Actors, free_port
from tests.fixtures.postgres import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def mirror_url(request: pytest.FixtureRequest, tmp_path: Any, pg_admin_url: str) -> Iterator[str]:
    """URL of an empty database for one test's mirror."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mirror.sqlite'}"
        return
    yield from _pg_database(pg_admin_url)


def _pg_database(pg_admin_url: str) -> Iterator[str]:
    yield from temporary_database(pg_admin_url, "mirror_")


@pytest.fixture
def second_url(mirror_url: str, tmp_path: Any, pg_admin_url: str) -> Iterator[str]:
    """Another empty database of the same kind (for clean rebuilds to compare with)."""
    if mirror_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'rebuild.sqlite'}"
        return
    yield from _pg_database(pg_admin_url)


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for e in made:
        e.dispose()


@pytest.fixture
def engine_for(engines: list[Engine]):  # type: ignore[no-untyped-def]
    def make(url: str) -> Engine:
        e = make_engine(url)
        engines.append(e)
        return e

    return make


def index_once(settings: Settings, manifest: Manifest, engine: Engine, **kw: Any) -> Indexer:
    idx = Indexer(settings, manifest, engine, **kw)
    idx.run(once=True)
    return idx


def mirror_state(engine: Engine, *, with_checkpoint: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every mirror table (sorted), without wall-clock columns or the lock."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            if t.name == "indexer_lock" or (t.name == "checkpoint" and not with_checkpoint):
                continue
            cols = [c for c in t.columns if c.name != "updated_at"]
            rows = conn.execute(select(*cols)).all()
            out[t.name] = sorted((tuple(_hashable(v) for v in r) for r in rows), key=lambda r: tuple(str(v) for v in r))
    return out


def _hashable(v: Any) -> Any:
    import json

    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


def checkpoint(engine: Engine) -> tuple[int, str] | None:
    try:
        with engine.connect() as conn:
            row = conn.execute(select(Checkpoint.block_number, Checkpoint.block_hash)).first()
    except DBAPIError:  # no schema yet: the indexer has not started
        return None
    return tuple(row) if row else None  # type: ignore[return-value]


def activity(chain: Chain, actors: Actors, rounds: int = 3, *, seed: int = 0) -> int:
    """A mix of Consortium and Credit events; returns how many calls were sent."""
    credit = chain.contract("Credit")
    consortium = chain.contract("Consortium")
    libs = actors.libraries
    calls = []
    for r in range(rounds):
        for i, lib in enumerate(libs):
            calls.append(credit.tx("transfer", libs[(i + 1) % len(libs)].address, 100 + 7 * r + seed, sender=lib))
        calls.append(credit.tx("approve", libs[1].address, 1000 + r + seed, sender=libs[0]))
        calls.append(consortium.tx("setEncryptionKey", keccak(text=f"key-{r}-{seed}"), sender=libs[2]))
        calls.append(credit.tx("mint", libs[0].address, 5_000 + seed, sender=actors.platform))
    calls.append(consortium.tx("rename", f"图书馆 renamed {seed}", sender=libs[1]))
    calls.append(consortium.tx("suspend", actors.auditor.address, f"audit paused {seed}", sender=actors.governor))
    calls.append(consortium.tx("reinstate", actors.auditor.address, sender=actors.governor))
    for o in chain.pipeline.submit(calls):
        o.unwrap()
    return len(calls)


def head(chain: Chain) -> int:
    return chain.block_number()


# ------------------------------------------------------------------ a private node per test
@dataclass
class PrivateNode:
    settings: Settings
    manifest: Manifest
    chain: Chain
    platform: LocalAccount
    a: LocalAccount
    b: LocalAccount

    @property
    def state_file(self):  # noqa: ANN201
        return self.settings.data_path / "chain" / "state.json"

    def restart(self, *, state_from=None) -> None:  # noqa: ANN001
        """Stop anvil cleanly (it dumps its state); start it again, from ``state_from`` if given."""
        node.down(self.settings)
        if state_from is not None:
            shutil.copyfile(state_from, self.state_file)
        node.up(self.settings)
        self.chain.pipeline.nonces.reset()

    def mints(self, n: int, *, seed: int = 0, one_block_each: bool = False) -> list[str]:
        """``n`` Credit mints to ``a`` (amounts depend on ``seed``: other seeds, other transactions);
        returns their transaction hashes."""
        credit = self.chain.contract("Credit")
        calls = [credit.tx("mint", self.a.address, 1 + seed * 1000 + i, sender=self.platform) for i in range(n)]
        hashes = []
        for group in ([[c] for c in calls] if one_block_each else [calls]):
            hashes += [o.unwrap().tx_hash for o in self.chain.pipeline.submit(group)]
        return hashes


@pytest.fixture
def private_node(tmp_path) -> Iterator[PrivateNode]:
    s = Settings(data_dir=tmp_path / "node", anvil_port=free_port(), keystore_password="pw")
    node.up(s)
    try:
        gov, plat, a, b = (Account.create() for _ in range(4))
        cfg = DeployConfig(members=[MemberSpec("platform", "P", "platform", ["platform", "treasury"], plat),
                                    MemberSpec("a", "CN-A", "a", ["library"], a), MemberSpec("b", "CN-B", "b", ["library"], b)],
                           platform_treasury="platform")
        manifest, _ = deploy(s, gov, config=cfg)
        chain = Chain(s, manifest)
        try:
            yield PrivateNode(s, manifest, chain, plat, a, b)
        finally:
            chain.close()
    finally:
        node.down(s)

"""Forks (dev: roll back; qbft: hard error), foreign mirrors, unknown events."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from eth_utils import keccak
from sqlalchemy import select, update

from ledger.config import ChainProfile
from ledger.errors import ManifestError
from ledger.manifest import DeployedContract, Manifest
from ledger.mirror.check import check
from ledger.mirror.indexer import MirrorMismatch
from ledger.mirror.models import Checkpoint, CreditBalance, RawEvent
from ledger.mirror.rollback import ChainReorganized
from tests.mirror.conftest import activity, checkpoint, head, index_once, mirror_state


def _revert(chain, snap) -> None:
    assert chain.rpc.call("evm_revert", [snap])
    chain.pipeline.nonces.reset()


def test_chain_rolled_back_then_new_transactions(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    activity(chain, actors, seed=1)
    snap = chain.rpc.call("evm_snapshot")
    activity(chain, actors, seed=2)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    old_tip = checkpoint(engine)
    _revert(chain, snap)
    activity(chain, actors, rounds=1, seed=3)  # different transactions on the same heights
    index_once(settings, deployment, engine)
    assert checkpoint(engine) != old_tip and checkpoint(engine)[0] == head(chain)
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert mirror_state(engine) == mirror_state(clean)
    assert check(engine, chain.rpc, deployment) == []


def test_chain_rolled_back_to_a_shorter_chain(chain, actors, settings, deployment, mirror_url, engine_for):
    snap = chain.rpc.call("evm_snapshot")
    before = head(chain)
    activity(chain, actors, seed=4)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    _revert(chain, snap)  # no new blocks: the mirror is ahead of the chain
    index_once(settings, deployment, engine)
    assert checkpoint(engine)[0] == before
    credit = chain.contract("Credit")
    with engine.connect() as conn:
        balances = dict(conn.execute(select(CreditBalance.account, CreditBalance.balance)).all())
    for lib in actors.libraries:
        assert balances[lib.address] == credit.call("balanceOf", lib.address)


def _index_cli(settings, url, *args, **env):
    import os
    import subprocess
    import sys

    full = dict(os.environ, LIBLEDGER_RPC_URL=settings.rpc_url, LIBLEDGER_DATA_DIR=str(settings.data_path),
                LIBLEDGER_DATABASE_URL=url, LIBLEDGER_KEYSTORE_PASSWORD="pw", COLUMNS="300", **env)
    return subprocess.run([sys.executable, "-m", "ledger.cli", "index", "--no-progress", *args], env=full,
                          capture_output=True, text=True, timeout=300)


def test_fork_on_a_final_chain_is_a_hard_error(chain, actors, settings, deployment, mirror_url, engine_for):
    snap = chain.rpc.call("evm_snapshot")
    activity(chain, actors, seed=5)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    held = mirror_state(engine)
    tip = checkpoint(engine)
    qbft = settings.model_copy(update={"chain_profile": ChainProfile.qbft})
    _revert(chain, snap)
    snap = chain.rpc.call("evm_snapshot")  # a revert uses its snapshot up
    # 1. the chain is longer than the mirror: the first new block's parent is not the mirror's tip
    activity(chain, actors, rounds=1, seed=6)
    while head(chain) <= tip[0] + 2:
        chain.rpc.call("evm_mine")
    with pytest.raises(ChainReorganized, match="QBFT chain is final") as err:
        index_once(qbft, deployment, engine)
    assert f"block {tip[0]}" in str(err.value) and settings.rpc_url in str(err.value)
    assert mirror_state(engine) == held  # stopped: nothing rolled back, nothing written
    # the command line says it in one line and exits 1 (no traceback, no rollback)
    done = _index_cli(settings, mirror_url, "--once", LIBLEDGER_CHAIN_PROFILE="qbft")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "QBFT chain is final" in last and f"block {tip[0]}" in last
    assert mirror_state(engine) == held
    # 2. the chain is shorter than the mirror (its block at the mirror's height vanished)
    _revert(chain, snap)
    assert head(chain) < tip[0]
    with pytest.raises(ChainReorganized, match="QBFT chain is final"):
        index_once(qbft, deployment, engine)
    assert mirror_state(engine) == held
    # the same mirror on a dev profile rolls back instead
    index_once(settings, deployment, engine)
    assert checkpoint(engine)[0] == head(chain)


def test_mirror_of_another_chain_or_deployment_is_refused(chain, settings, deployment, mirror_url, engine_for):
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    other = Manifest.from_json(deployment.to_json())
    other.contracts["Consortium"] = dataclasses.replace(other.contracts["Consortium"], address="0x" + "11" * 20)
    with pytest.raises(MirrorMismatch, match="another database for this deployment"):
        index_once(settings, other, engine)
    with engine.begin() as conn:
        conn.execute(update(Checkpoint).values(chain_id=1))
    with pytest.raises(MirrorMismatch, match="chain id 1"):
        index_once(settings, deployment, engine)
    wrong_chain = Manifest.from_json(deployment.to_json())
    wrong_chain.chain_id = 99
    with pytest.raises(ManifestError, match="chain id 99"):
        index_once(settings, wrong_chain, engine)


# Runtime code that emits, on any call: LOG1(keccak("Mystery()")) and a Transfer-shaped LOG3
# without data (undecodable as Credit.Transfer, which has `value` in its data).
def _emitter_code() -> bytes:
    mystery = keccak(text="Mystery()")
    transfer = keccak(text="Transfer(address,address,uint256)")
    a, b = b"\x00" * 12 + b"\x01" * 20, b"\x00" * 12 + b"\x02" * 20
    code = b"\x7f" + mystery + b"\x60\x00\x60\x00\xa1"
    code += b"\x7f" + b + b"\x7f" + a + b"\x7f" + transfer + b"\x60\x00\x60\x00\xa3" + b"\x00"
    return code


def test_unknown_and_undecodable_logs_are_stored_raw(chain, actors, settings, deployment, mirror_url, engine_for, caplog):
    from ledger.pipeline import Call

    emitter = "0x" + "ee" * 20
    assert chain.rpc.call("anvil_setCode", [emitter, "0x" + _emitter_code().hex()]) is None
    chain.pipeline.submit([Call(sender=actors.libraries[0], to=emitter, data=b"", gas=100_000)])[0].unwrap()
    # the emitter stands in for Credit: its Mystery() log is unknown, its Transfer log undecodable
    man = Manifest.from_json(deployment.to_json())
    man.contracts["Credit"] = DeployedContract(emitter, deployment.deploy_block, "0x", "", "")
    engine = engine_for(mirror_url)
    with caplog.at_level(logging.WARNING, logger="ledger.mirror"):
        index_once(settings, man, engine)
    with engine.connect() as conn:
        rows = conn.execute(select(RawEvent).where(RawEvent.address == emitter)).all()
    assert len(rows) == 2
    assert all(r.event is None and r.args is None and r.contract == "Credit" for r in rows)
    assert rows[0].topics.split(",")[0] == "0x" + keccak(text="Mystery()").hex()
    assert "unknown event of Credit stored raw" in caplog.text
    assert "undecodable Credit.Transfer log stored raw" in caplog.text
    assert check(engine, chain.rpc, man) == []


def test_rollback_removes_the_payment_entries_of_dropped_blocks(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    """Payment entries are chain data: a rollback deletes those of the dropped blocks with their
    raw events; the new payments on the same heights get theirs; equal to a clean backfill."""
    from ledger.mirror.models import PaymentEntry
    from tests.mirror.test_migrations_and_check import entries_from_accruals, payment_entries
    from tests.mirror.test_rollups import more_payments

    more_payments(chain, actors, rounds=1)
    snap = chain.rpc.call("evm_snapshot")
    fork_at = head(chain)
    more_payments(chain, actors, rounds=2)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    before = payment_entries(engine)
    dropped = {(b, li) for b, li, *_ in before if b > fork_at}
    assert dropped and any(b <= fork_at for b, *_ in before)
    _revert(chain, snap)
    activity(chain, actors, rounds=1, seed=5)  # no payments on the same heights
    index_once(settings, deployment, engine)
    after = payment_entries(engine)
    assert after == [r for r in before if r[0] <= fork_at] == entries_from_accruals(engine)
    with engine.connect() as conn:
        assert conn.execute(select(PaymentEntry).where(PaymentEntry.block_number > fork_at)).first() is None
    more_payments(chain, actors, rounds=1)  # new payments after the fork point
    index_once(settings, deployment, engine)
    assert len(payment_entries(engine)) > len(after)
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert payment_entries(engine) == payment_entries(clean)
    assert mirror_state(engine) == mirror_state(clean)
    assert check(engine, chain.rpc, deployment) == []

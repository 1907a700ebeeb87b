"""The indexer against a real anvil, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, update

from ledger.mirror.models import Block, Checkpoint, CreditBalance, Member, MemberRole, RawEvent
from tests.mirror.conftest import activity, checkpoint, head, index_once, mirror_state
from tests.mirror.test_rollups import more_payments


def test_backfill_mirrors_every_event_and_the_state(chain, actors, settings, deployment, mirror_url, engine_for):
    activity(chain, actors)
    engine = engine_for(mirror_url)
    idx = index_once(settings, deployment, engine)
    assert checkpoint(engine)[0] == head(chain)
    credit = chain.contract("Credit")
    with engine.connect() as conn:
        balances = dict(conn.execute(select(CreditBalance.account, CreditBalance.balance)).all())
        members = {m.account: m for m in conn.execute(select(Member)).all()}
        roles = set(conn.execute(select(MemberRole.account, MemberRole.role_name)).all())
        n_raw = conn.scalar(select(RawEvent.log_index).limit(1))
    for acct in [*actors.libraries, actors.sponsor, actors.platform]:
        assert balances.get(acct.address, 0) == credit.call("balanceOf", acct.address)
    lib1 = chain.contract("Consortium").call("member", actors.libraries[1].address)
    assert members[actors.libraries[1].address].name == lib1["name"]
    assert members[actors.auditor.address].status == "Active"
    lib2 = chain.contract("Consortium").call("member", actors.libraries[2].address)
    assert members[actors.libraries[2].address].x25519_public_key == "0x" + lib2["x25519PublicKey"].hex()
    assert (actors.libraries[0].address, "library") in roles
    assert n_raw is not None and idx.total_events > 0


def test_backfill_equals_live_follow(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    from ledger.mirror.indexer import Indexer

    live = engine_for(mirror_url)
    idx = Indexer(settings, deployment, live, poll_interval=0.02)
    t = threading.Thread(target=idx.run, daemon=True)
    t.start()
    try:
        for seed in range(4):
            activity(chain, actors, rounds=2, seed=seed)
        more_payments(chain, actors, rounds=2)  # Royalties payments: payment_entries are compared too
        target = head(chain)
        deadline = time.monotonic() + 60
        while (checkpoint(live) or (0,))[0] < target:
            assert time.monotonic() < deadline, "the following indexer did not reach the head"
            time.sleep(0.05)
    finally:
        idx.stop()
        t.join(30)
    assert not t.is_alive()
    backfill = engine_for(second_url)
    index_once(settings, deployment, backfill)
    state = mirror_state(live)
    assert state["payment_entries"] and state["royalty_accruals"]
    assert state == mirror_state(backfill)


def test_replaying_a_range_changes_nothing(chain, actors, settings, deployment, mirror_url, engine_for):
    activity(chain, actors)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    before = mirror_state(engine)
    index_once(settings, deployment, engine)  # at head already
    assert mirror_state(engine) == before
    # set the checkpoint back by hand: the same blocks are read and written again
    start = deployment.deploy_block - 1
    with engine.begin() as conn:
        start_hash = conn.scalar(select(Block.hash).where(Block.number == start))
        conn.execute(update(Checkpoint).values(block_number=start, block_hash=start_hash))
    index_once(settings, deployment, engine)
    assert mirror_state(engine) == before

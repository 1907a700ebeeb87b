"""``royalty_rollups``: the indexer's monthly sums of the royalty accruals equal an independent
computation from the accrual rows, after indexing real flows on anvil, after a dev-chain
rollback and in a clean rebuild; ``mirror check`` names a tampered rollup row; the migration
fills the rollup of a mirror indexed before it; sums stay exact beyond 64 bits (SQLite too)."""

from __future__ import annotations

import time
from collections import defaultdict

from sqlalchemy import inspect, select, update

from ledger.mirror import db as mirror_db
from ledger.mirror.check import check
from ledger.mirror.db import session_factory
from ledger.mirror.models import RoyaltyAccrual, RoyaltyRollup
from ledger.mirror.store import Store
from ledger.payouts import payment_records, rollup_sums
from ledger.payouts_raw import raw_sums, raw_sums_started
from rights.payouts import sums_by_key
from rights.periods import period_of
from tests.flows import METERED, acquire, checkout, deposit, offer_terms, register_work, travel
from tests.mirror.conftest import index_once, mirror_state
from tests.mirror.test_projections import rights_flows

DAY = 86_400


def from_accruals(engine) -> dict[tuple, tuple[int, int, int]]:
    """The rollup recomputed from the accrual rows: month with ``time.gmtime``, sums in Python."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    with engine.connect() as conn:
        for r in conn.execute(select(RoyaltyAccrual)).mappings():
            t = time.gmtime(r["block_timestamp"])
            s = out[(t.tm_year * 100 + t.tm_mon, r["account"] or "", r["work_id"], r["kind"])]
            s[0] += r["net"]
            s[1] += r["gross"]
            s[2] += 1
    return {k: tuple(v) for k, v in out.items()}


def rollup(engine) -> dict[tuple, tuple[int, int, int]]:
    with engine.connect() as conn:
        return {
            (r.month, r.account, r.work_id, r.kind): (r.net, r.gross, r.accruals)
            for r in conn.execute(select(RoyaltyRollup)).all()
        }


def more_payments(chain, actors, rounds: int) -> None:
    """Metered loans on a new work, across a UTC month boundary (the clock moves 20 days)."""
    pub = actors.publishers[1]
    lib = actors.libraries[2]
    work = register_work(chain, pub, [pub.address, actors.publishers[0].address], [5_000, 5_000])
    licence = acquire(chain, lib, work, offer_terms(chain, pub, work, kind=METERED, price=777, copies=3, loan_period=3_600))
    deposit(chain, lib, rounds * 777)  # metered loans are paid from the deposit
    for _ in range(rounds):
        checkout(chain, lib, licence)
        travel(chain, 20 * DAY)


def test_rollup_equals_the_accruals_after_indexing_rollback_and_rebuild(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    rights_flows(chain, actors)
    snap = chain.rpc.call("evm_snapshot")
    more_payments(chain, actors, rounds=3)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    expected = from_accruals(engine)
    kinds = {k[3] for k in expected}
    assert {"paid", "fee", "escrowed", "released"} <= kinds and len({k[0] for k in expected}) >= 2
    assert rollup(engine) == expected

    assert chain.rpc.call("evm_revert", [snap])
    chain.pipeline.nonces.reset()
    more_payments(chain, actors, rounds=1)  # different payments on the same heights
    index_once(settings, deployment, engine)  # the indexer rewinds: projections rebuilt from raw events
    after = from_accruals(engine)
    assert after != expected and rollup(engine) == after
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert rollup(clean) == after
    assert mirror_state(engine) == mirror_state(clean)
    assert check(engine, chain.rpc, deployment) == []


def test_check_names_a_tampered_rollup_row(chain, actors, settings, deployment, mirror_url, engine_for):
    more_payments(chain, actors, rounds=1)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    assert check(engine, chain.rpc, deployment) == []
    (month, account, work, kind), (net, _, _) = sorted(rollup(engine).items())[0]
    with engine.begin() as conn:
        conn.execute(update(RoyaltyRollup).where(RoyaltyRollup.month == month, RoyaltyRollup.account == account,
                                                 RoyaltyRollup.work_id == work, RoyaltyRollup.kind == kind).values(net=net + 1))
    diffs = [str(d) for d in check(engine, chain.rpc, deployment)]
    assert diffs == [
        f"royalty_rollups[month={month}, account={account}, work_id={work}, kind={kind}]: "
        f"net = {net + 1} in the mirror, {net} rebuilt from raw events"
    ]


def test_accumulate_is_exact_beyond_64_bits(mirror_url, engine_for):
    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine)
    big = 2**63 - 1
    key = {"month": 202610, "account": "0x" + "ab" * 20, "work_id": 2**70, "kind": "paid"}
    for _ in range(2):  # two batches: the second adds to the stored row
        with engine.begin() as conn:
            db = Store(conn)
            db.accumulate(RoyaltyRollup, {**key, "net": big, "gross": 2**200, "accruals": 1})
            db.accumulate(RoyaltyRollup, {**key, "net": big, "gross": 1, "accruals": 1})
            db.accumulate(RoyaltyRollup, {**key, "kind": "fee", "net": 5, "gross": 7, "accruals": 1})
            db.flush()
    got = rollup(engine)
    assert got == {
        (202610, key["account"], 2**70, "paid"): (4 * big, 2 * (2**200 + 1), 4),
        (202610, key["account"], 2**70, "fee"): (10, 14, 2),
    }


def accrual(block: int, seq: int, ts: int, account: str | None, work: int, kind: str, net: int, gross: int) -> dict:
    return {"block_number": block, "log_index": 0, "seq": seq, "tx_hash": "0x" + "11" * 32, "block_timestamp": ts, "work_id": work,
            "terms_id": 1, "ref_kind": "Licence", "ref_id": 1, "payer": "0x" + "22" * 20, "account": account, "gross": gross,
            "fee": 0, "net": net, "kind": kind}


def test_migration_0004_fills_the_rollup_of_an_existing_mirror_and_downgrades(mirror_url, engine_for):
    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine, "0002")
    assert "royalty_rollups" not in inspect(engine).get_table_names()
    a, b = "0x" + "aa" * 20, "0x" + "bb" * 20
    oct31_late = 1_793_491_200 - 1  # 2026-10-31T23:59:59Z
    rows = [
        accrual(1, 0, oct31_late - 10, a, 7, "paid", 2**70, 2**70 + 5),
        accrual(1, 1, oct31_late - 10, a, 7, "paid", 3, 4),
        accrual(2, 0, oct31_late + 1, a, 7, "paid", 11, 12),  # November (UTC)
        accrual(3, 0, oct31_late, None, 8, "escrowed", 50, 80),
        accrual(3, 1, oct31_late, b, 8, "fee", 30, 80),
    ]
    with engine.begin() as conn:
        conn.execute(RoyaltyAccrual.__table__.insert(), rows)
    mirror_db.upgrade(engine)
    assert rollup(engine) == from_accruals(engine) == {
        (202610, a, 7, "paid"): (2**70 + 3, 2**70 + 9, 2),
        (202611, a, 7, "paid"): (11, 12, 1),
        (202610, "", 8, "escrowed"): (50, 80, 1),
        (202610, b, 8, "fee"): (30, 80, 1),
    }
    mirror_db.downgrade(engine, "0002")
    assert "royalty_rollups" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.scalar(select(RoyaltyAccrual.net).where(RoyaltyAccrual.block_number == 1, RoyaltyAccrual.seq == 0)) == 2**70


def test_raw_event_sums_equal_the_rollup_and_the_records_in_every_month(chain, actors, settings, deployment, mirror_url, engine_for):
    """The raw-events leg (PostgreSQL: one SQL aggregate over the JSONB args) equals the same
    sums over the decoded records, and the rollup read for the month, in every month touched."""
    rights_flows(chain, actors)
    more_payments(chain, actors, rounds=3)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    with engine.connect() as conn:
        stamps = conn.execute(select(RoyaltyAccrual.block_timestamp)).scalars().all()
    periods = {period_of(ts) for ts in stamps}
    assert len(periods) >= 2
    with session_factory(engine)() as s:
        for period in periods:
            from_records = sums_by_key(payment_records(s, period))
            assert from_records and raw_sums(s, period) == from_records
            assert raw_sums_started(s, period)() == from_records  # PostgreSQL: own connection, the session's snapshot
            assert rollup_sums(s, period) == from_records
            assert {k[2] for p in periods for k in raw_sums(s, p)} == {"paid", "fee", "escrowed", "released"}
    if engine.dialect.name == "postgresql":  # a reader in autocommit (the API's) has no snapshot to export
        with session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))() as s:
            for period in periods:
                assert raw_sums_started(s, period)() == raw_sums(s, period)

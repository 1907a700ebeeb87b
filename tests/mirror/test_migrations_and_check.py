"""Migrations on both databases; ``mirror check`` finds tampering and names the row."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, func, inspect, select, update

from api.models import ApiBase

from ledger.mirror import db as mirror_db
from ledger.mirror.models import Base, CreditBalance, Licence, Member, RawEvent
from tests.mirror.conftest import activity, index_once


def _all_models() -> MetaData:
    """The mirror's models and the API's (same database, one Alembic history)."""
    combined = MetaData()
    for md in (Base.metadata, ApiBase.metadata):
        for t in md.sorted_tables:
            t.to_metadata(combined)
    return combined


def test_migrations_upgrade_and_downgrade(mirror_url, engine_for):
    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert {"api_tokens", "api_work_catalogue", "record_events"} <= names
    with engine.connect() as conn:  # the migrations build exactly the models, the API's included
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), _all_models())
    assert diffs == []
    mirror_db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    mirror_db.upgrade(engine)
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())


NEW_IN_0002 = {
    "works", "work_payees", "disputes", "licence_terms", "work_offers", "licences", "digital_loans", "ill_requests",
    "ill_transitions", "royalty_accruals", "royalty_balances", "royalty_withdrawals", "royalty_escrow", "settlement_periods",
    "net_positions", "clearing_charges", "subsidy_pools", "subsidy_draws", "attestations",
}


def test_migration_0002_upgrade_and_downgrade_keep_0001_data(mirror_url, engine_for):
    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine, "0001")
    names = set(inspect(engine).get_table_names())
    assert "credit_balances" in names and not (NEW_IN_0002 & names)
    with engine.begin() as conn:
        conn.execute(CreditBalance.__table__.insert().values(account="0x" + "ab" * 20, balance=2**200, block_number=7))
    mirror_db.upgrade(engine)
    assert NEW_IN_0002 <= set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} - {"indexer_lock", "checkpoint", "blocks", "raw_events"} >= NEW_IN_0002
    with engine.begin() as conn:  # the new tables take rows (an Amount key beyond 64 bits too)
        conn.execute(Licence.__table__.insert().values(
            licence_id=2**96 + 1, holder="0x" + "cd" * 20, work_id=1, terms_id=1, copies=1, active_loans=0, total_loans=0,
            valid_until=0, gross_paid=10_000, pool_id=0, subsidy=0, acquired_block=1, acquired_at=1, block_number=1))
        assert conn.scalar(select(Licence.licence_id)) == 2**96 + 1
    mirror_db.downgrade(engine, "0001")
    names = set(inspect(engine).get_table_names())
    assert not (NEW_IN_0002 & names) and "credit_balances" in names
    with engine.connect() as conn:
        assert conn.scalar(select(CreditBalance.balance)) == 2**200
    mirror_db.upgrade(engine)
    assert NEW_IN_0002 <= set(inspect(engine).get_table_names())


def test_alembic_command_line(mirror_url, repo_root):
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    url = mirror_url
    for args in (["upgrade", "head"], ["downgrade", "base"], ["upgrade", "head"]):
        done = subprocess.run([sys.executable, "-m", "alembic", "-x", f"url={url}", *args], cwd=repo_root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def _cli(settings, url, *args):
    env = dict(os.environ, LIBLEDGER_RPC_URL=settings.rpc_url, LIBLEDGER_DATA_DIR=str(settings.data_path), LIBLEDGER_DATABASE_URL=url, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env, capture_output=True, text=True, timeout=300)


def test_mirror_check_finds_a_tampered_row(chain, actors, settings, deployment, mirror_url, engine_for):
    activity(chain, actors)
    done = _cli(settings, mirror_url, "index", "--once")
    assert done.returncode == 0, done.stderr
    ok = _cli(settings, mirror_url, "mirror", "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "mirror matches" in ok.stdout
    engine = engine_for(mirror_url)
    victim = actors.libraries[1].address
    with engine.begin() as conn:
        conn.execute(update(CreditBalance).where(CreditBalance.account == victim).values(balance=CreditBalance.balance + 1))
        conn.execute(update(Member).where(Member.account == actors.libraries[0].address).values(name="forged"))
        some = conn.execute(select(RawEvent.block_hash, RawEvent.log_index).where(RawEvent.event == "Approval").limit(1)).first()
        conn.execute(update(RawEvent).where(RawEvent.block_hash == some[0], RawEvent.log_index == some[1]).values(data="0x" + "00" * 32))
    bad = _cli(settings, mirror_url, "mirror", "check")
    assert bad.returncode == 1
    out = bad.stdout
    assert f"credit_balances[account={victim}]: balance" in out
    assert f"members[account={actors.libraries[0].address}]: name = 'forged'" in out
    assert f"raw_events[block_hash={some[0]}, log_index={some[1]}]: data" in out
    assert "difference(s)" in bad.stderr


def test_migration_0003_adopts_api_tables_made_before_it(mirror_url, engine_for):
    import pytest

    from api import tokens

    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine, "0002")
    with pytest.raises(tokens.SchemaMissing, match="libledger mirror migrate"):
        tokens.ensure_schema(engine)  # checks, never creates behind Alembic's back
    assert "api_tokens" not in set(inspect(engine).get_table_names())
    ApiBase.metadata.create_all(engine)  # what the API did on its own before 0003
    with engine.begin() as conn:
        conn.execute(ApiBase.metadata.tables["api_tokens"].insert().values(
            id="abcd0123", token_sha256="00" * 32, member="CN-1", account="0x" + "ab" * 20, name="kept", created_at=1.0))
    mirror_db.upgrade(engine)
    tokens.ensure_schema(engine)
    names = set(inspect(engine).get_table_names())
    assert {"api_tokens", "api_work_catalogue", "record_events"} <= names
    with engine.connect() as conn:
        assert conn.scalar(select(ApiBase.metadata.tables["api_tokens"].c.name)) == "kept"
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), _all_models()) == []
    mirror_db.downgrade(engine, "0002")
    names = set(inspect(engine).get_table_names())
    assert not ({"api_tokens", "api_work_catalogue", "record_events"} & names) and "works" in names


def test_mirror_rebuild_fills_what_an_old_mirror_lacks(chain, actors, settings, deployment, mirror_url, engine_for):
    from sqlalchemy import delete, func

    from ledger.mirror.models import RecordEvent

    activity(chain, actors)
    assert _cli(settings, mirror_url, "index", "--once").returncode == 0
    engine = engine_for(mirror_url)
    with engine.connect() as conn:
        before = conn.execute(select(RecordEvent.record_kind, RecordEvent.record_id, RecordEvent.block_number, RecordEvent.log_index)).all()
    assert before
    with engine.begin() as conn:  # what a mirror made before 0003 looks like after the upgrade
        conn.execute(delete(RecordEvent))
    assert _cli(settings, mirror_url, "mirror", "check").returncode == 1  # check sees the missing rows
    done = _cli(settings, mirror_url, "mirror", "rebuild")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "projections rebuilt from" in done.stdout
    with engine.connect() as conn:
        assert sorted(conn.execute(select(RecordEvent.record_kind, RecordEvent.record_id, RecordEvent.block_number, RecordEvent.log_index)).all()) == sorted(before)
        assert conn.scalar(select(func.count()).select_from(RecordEvent)) == len(before)
    assert _cli(settings, mirror_url, "mirror", "check").returncode == 0


# ---------------------------------------------------------------------------- payment_entries (0005)


def payment_entries(engine) -> list[tuple]:
    """Every ``payment_entries`` row, in key order."""
    from ledger.mirror.models import PaymentEntry

    e = PaymentEntry
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(e.block_number, e.log_index, e.seq, e.block_timestamp, e.account, e.work_id,
                                                      e.kind, e.net, e.gross).order_by(e.block_number, e.log_index, e.seq))]


def entries_from_accruals(engine) -> list[tuple]:
    """The same rows from the ``royalty_accruals`` projection (written by the handlers, other code)."""
    from ledger.mirror.models import RoyaltyAccrual as a

    with engine.connect() as conn:
        return [(b, li, s, ts, acct or "", w, k, n, g) for b, li, s, ts, acct, w, k, n, g in conn.execute(
            select(a.block_number, a.log_index, a.seq, a.block_timestamp, a.account, a.work_id, a.kind, a.net, a.gross)
            .order_by(a.block_number, a.log_index, a.seq))]


def _synthetic_payment_logs(conn) -> tuple[str, str, str]:
    """Three Royalties payment logs as the decoder stores them, amounts beyond 2**53 and 2**64 as
    decimal strings, plus a Credit log that has no entries."""
    import json

    from ledger.mirror.models import Block

    p1, p2, fee_to = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20
    conn.execute(Block.__table__.insert(), [
        {"number": n, "hash": f"0x{n:064x}", "parent_hash": f"0x{n - 1:064x}", "timestamp": 1_790_000_000 + n} for n in (10, 11)
    ])
    logs = [
        (10, 0, "Royalties", "RoyaltyPaid", {"workId": 7, "termsId": 1, "refKind": 1, "refId": 3, "payer": p1, "gross": str(2**70 + 10),
                                             "fee": 3, "feeRecipient": fee_to, "payees": [p1, p2], "nets": [str(2**70), 7]}),
        (10, 1, "Credit", "Transfer", {"from": p1, "to": p2, "value": 5}),
        (10, 2, "Royalties", "RoyaltyEscrowed", {"workId": str(2**60), "termsId": 1, "refKind": 2, "refId": 4, "payer": p1,
                                                 "gross": 100, "fee": 30, "feeRecipient": fee_to, "held": 70}),
        (11, 0, "Royalties", "EscrowReleased", {"workId": str(2**60), "amount": 70, "accounts": [p2, p1], "amounts": [40, 30]}),
    ]
    conn.execute(RawEvent.__table__.insert(), [
        {"block_hash": f"0x{b:064x}", "log_index": li, "block_number": b, "tx_hash": "0x" + "11" * 32, "tx_index": 0,
         "address": "0x" + "55" * 20, "contract": c, "event": ev, "args": json.loads(json.dumps(a)), "topics": "", "data": "0x"}
        for b, li, c, ev, a in logs
    ])
    return p1, p2, fee_to


def test_migration_0005_backfills_payment_entries_and_downgrades(mirror_url, engine_for):
    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine, "0004")
    assert "payment_entries" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        p1, p2, fee_to = _synthetic_payment_logs(conn)
    mirror_db.upgrade(engine)
    t10, t11, w2 = 1_790_000_010, 1_790_000_011, 2**60
    assert payment_entries(engine) == [
        (10, 0, 0, t10, fee_to, 7, "fee", 3, 2**70 + 10),
        (10, 0, 1, t10, p1, 7, "paid", 2**70, 2**70 + 10),
        (10, 0, 2, t10, p2, 7, "paid", 7, 2**70 + 10),
        (10, 2, 0, t10, fee_to, w2, "fee", 30, 100),
        (10, 2, 1, t10, "", w2, "escrowed", 70, 100),
        (11, 0, 0, t11, p2, w2, "released", 40, 70),
        (11, 0, 1, t11, p1, w2, "released", 30, 70),
    ]
    from ledger.mirror.check import check_entries

    with engine.connect() as conn:
        assert check_entries(conn) == []
    mirror_db.downgrade(engine, "0004")
    assert "payment_entries" not in inspect(engine).get_table_names()
    with engine.connect() as conn:  # the chain data it came from stays
        assert conn.scalar(select(func.count()).select_from(RawEvent)) == 4
    mirror_db.upgrade(engine)
    assert len(payment_entries(engine)) == 7


def test_migration_0006_backfills_the_utc_month_of_payment_entries_and_downgrades(mirror_url, engine_for):
    """0006 adds ``month`` (UTC ``yyyymm`` of the block) to the entries 0005 back-filled, and the
    key-ordered index the payouts' raw leg reads a month through."""
    from ledger.mirror.check import check_entries
    from ledger.mirror.models import Block, PaymentEntry as e
    from rights.periods import utc_month

    engine = engine_for(mirror_url)
    mirror_db.upgrade(engine, "0004")
    with engine.begin() as conn:
        _synthetic_payment_logs(conn)
        # block 11 moved to the last second of a UTC month, block 10 to the first of the next
        conn.execute(update(Block).where(Block.number == 11).values(timestamp=1_793_491_199))
        conn.execute(update(Block).where(Block.number == 10).values(timestamp=1_793_491_200))
    mirror_db.upgrade(engine, "0005")
    assert "month" not in {c["name"] for c in inspect(engine).get_columns("payment_entries")}
    mirror_db.upgrade(engine)
    with engine.connect() as conn:
        months = sorted(set(conn.execute(select(e.block_number, e.block_timestamp, e.month)).all()))
        assert check_entries(conn) == []  # the indexer's derivation gives the same months
    assert months == [(10, 1_793_491_200, 202611), (11, 1_793_491_199, 202610)]
    assert [utc_month(ts) for _b, ts, _m in months] == [202611, 202610]
    index = next(i for i in inspect(engine).get_indexes("payment_entries") if i["name"] == "ix_payment_entries_month_key")
    assert index["column_names"][:4] == ["month", "account", "work_id", "kind"]
    mirror_db.downgrade(engine, "0005")
    assert "month" not in {c["name"] for c in inspect(engine).get_columns("payment_entries")}
    assert len(payment_entries(engine)) == 7


def test_payment_entries_of_indexed_payments_equal_the_accruals_and_the_backfill(chain, actors, settings, deployment, mirror_url, engine_for):
    """Entries written by the indexer equal the accrual rows (other code) and what migration
    0005 back-fills from the same raw events; ``mirror check`` names a tampered or missing entry."""
    from sqlalchemy import delete

    from ledger.mirror.check import check
    from ledger.mirror.models import PaymentEntry
    from tests.mirror.test_projections import rights_flows

    rights_flows(chain, actors)  # payments, escrow and its release
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    live = payment_entries(engine)
    assert {r[6] for r in live} == {"paid", "fee", "escrowed", "released"}
    assert live == entries_from_accruals(engine)
    mirror_db.downgrade(engine, "0004")
    mirror_db.upgrade(engine)
    assert payment_entries(engine) == live
    assert check(engine, chain.rpc, deployment) == []

    paid = next(r for r in live if r[6] == "paid")
    fee = next(r for r in live if r[6] == "fee")
    e = PaymentEntry
    with engine.begin() as conn:
        conn.execute(update(e).where(e.block_number == paid[0], e.log_index == paid[1], e.seq == paid[2]).values(net=paid[7] + 1))
        conn.execute(delete(e).where(e.block_number == fee[0], e.log_index == fee[1], e.seq == fee[2]))
    diffs = [str(d) for d in check(engine, chain.rpc, deployment)]
    assert len(diffs) == 2, diffs
    assert f"payment_entries[block_number={paid[0]}, log_index={paid[1]}, seq={paid[2]}]: net = {paid[7] + 1} in the mirror, {paid[7]} derived from the raw events" in diffs
    assert any(d.startswith(f"payment_entries[block_number={fee[0]}, log_index={fee[1]}, seq={fee[2]}]: missing in the mirror") for d in diffs)

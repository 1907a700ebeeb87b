"""Monthly royalty statements at scale (issue 8): a PostgreSQL mirror with N royalty accruals
(default 10,000,000; 3.3M payments) across 100,000 works and 5,000 payees. Measured: what
``ledger.payouts.reconcile`` runs before it asks the node (``mirror_legs``): the statement
totals (net per payee per work, per payee, per account credited, platform fee, gross) from the
raw payment events in one SQL aggregate, compared key by key with the ``royalty_rollups``
projection (leg 0), the accrual rows checked per account, and the identities (leg 1).
Baselines in the same run: the figures in pure Python over the fetched accrual rows, and the
previous implementation (every figure aggregated in SQL over the month's accruals, no raw-event
leg).

The accruals, one block and one ``Royalties:RoyaltyPaid`` raw event (JSON args as the decoder
stores them) per payment are synthetic rows COPY'd into a mirror created by the real migrations
(not indexed from a chain: 3.3M payments would take hours on anvil); the rollup is then filled
set-based (``ledger.mirror.rollups.fill_rollups``, the same sums the indexer's handlers keep row
by row), outside the measured figure like the load. The chain leg of the reconciliation (two
``eth_call`` per account) is not part of this figure. Target: <= 10 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from _stack import ROOT, emit

import psycopg
from psycopg import sql

from ledger.mirror.db import make_engine, session_factory, upgrade
from ledger.mirror.rollups import fill_rollups
from ledger.payouts import accrual_credits, mirror_legs, payment_records, period_totals, rollup_sums
from ledger.payouts_raw import raw_sums
from rights.periods import parse_period


def admin_url() -> str:
    url = os.environ.get("LIBLEDGER_TEST_PG_URL")
    if not url:
        url = subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], capture_output=True, text=True, check=True).stdout.strip()
    return url


def generate(cur, n_rows: int, period, works: int, payees: int, raw=None) -> None:
    """COPY ``n_rows`` accruals; with ``raw`` (cursors for ``blocks`` and ``raw_events`` on two
    other connections) also one block and one ``Royalties:RoyaltyPaid`` raw event per payment,
    with the JSON arguments the decoder stores."""
    rnd = random.Random(7)
    accounts = ["0x%040x" % (0x1000 + i) for i in range(payees)]
    platform = "0x" + "9" * 40
    payer = "0x" + "7" * 40
    work_payees = [[accounts[rnd.randrange(payees)] for _ in range(rnd.choice((1, 2, 2, 3)))] for _ in range(works)]
    span = period.end - period.start
    rows = 0
    block = 1
    with contextlib.ExitStack() as stack:
        copy = stack.enter_context(cur.copy(
            "COPY royalty_accruals (block_number, log_index, seq, tx_hash, block_timestamp, work_id, terms_id, ref_kind, ref_id, "
            "payer, account, gross, fee, net, kind) FROM STDIN"
        ))
        if raw is not None:
            blocks_cur, events_cur = raw
            blocks = stack.enter_context(blocks_cur.copy("COPY blocks (number, hash, parent_hash, timestamp) FROM STDIN"))
            events = stack.enter_context(events_cur.copy(
                "COPY raw_events (block_hash, log_index, block_number, tx_hash, tx_index, address, contract, event, args, topics, data) "
                "FROM STDIN"
            ))
        while rows < n_rows:
            work = rnd.randrange(works)
            pays = work_payees[work]
            gross = rnd.randrange(100, 100_000)
            fee = gross * 3000 // 10_000
            holders = gross - fee
            nets = [holders * (10_000 // len(pays)) // 10_000 for _ in pays]
            nets[0] += holders - sum(nets)
            # 5% of payments fall just outside the month
            ts = period.start + rnd.randrange(span) if rnd.random() < 0.95 else period.end + rnd.randrange(86_400)
            tx = "0x%064x" % block
            copy.write_row((block, 0, 0, tx, ts, work + 1, 1, "Licence", block, payer, platform, gross, fee, fee, "fee"))
            for i, (p, net) in enumerate(zip(pays, nets), 1):
                copy.write_row((block, 0, i, tx, ts, work + 1, 1, "Licence", block, payer, p, gross, fee, net, "paid"))
            if raw is not None:
                bh = "0x%064x" % (block << 8)
                blocks.write_row((block, bh, "0x%064x" % ((block - 1) << 8), ts))
                args = json.dumps({
                    "workId": work + 1, "termsId": 1, "refKind": 1, "refId": block, "payer": payer, "gross": gross, "fee": fee,
                    "feeRecipient": platform, "payees": pays, "nets": nets,
                })
                events.write_row((bh, 0, block, tx, 0, "0x" + "5" * 40, "Royalties", "RoyaltyPaid", args, "", "0x"))
            rows += 1 + len(pays)
            block += 1


def python_baseline(url: str, period) -> tuple[dict, dict, int, int, float]:
    t0 = time.perf_counter()
    by_pw: dict = defaultdict(int)
    credits: dict = defaultdict(int)
    fee_total = gross_total = 0
    with psycopg.connect(url) as conn, conn.cursor(name="baseline") as cur:
        cur.itersize = 100_000
        cur.execute("SELECT account, work_id, kind, gross, net FROM royalty_accruals WHERE block_timestamp >= %s AND block_timestamp < %s",
                    (period.start, period.end))
        for account, work, kind, gross, net in cur:
            net = int(net)
            credits[account] += net
            if kind == "fee":
                fee_total += net
                gross_total += int(gross)
            else:
                by_pw[(account, int(work))] += net
    return by_pw, credits, fee_total, gross_total, time.perf_counter() - t0


def accrual_scan_sql(url: str, period) -> tuple[dict, dict, int, int, float]:
    """The previous implementation: every figure aggregated in SQL over the month's accruals."""
    t0 = time.perf_counter()
    where = "block_timestamp >= %s AND block_timestamp < %s"
    bounds = (period.start, period.end)
    with psycopg.connect(url) as conn:
        by_pw = {(a, int(w)): int(n) for a, w, n in conn.execute(
            f"SELECT account, work_id, sum(net) FROM royalty_accruals WHERE kind IN ('paid', 'released') AND {where} "
            "GROUP BY account, work_id", bounds)}
        kinds = dict(conn.execute(f"SELECT kind, sum(net) FROM royalty_accruals WHERE {where} GROUP BY kind", bounds).fetchall())
        gross = conn.execute(f"SELECT sum(gross) FROM royalty_accruals WHERE kind = 'fee' AND {where}", bounds).fetchone()[0]
        credits = {a: int(n) for a, n in conn.execute(
            f"SELECT account, sum(net) FROM royalty_accruals WHERE account IS NOT NULL AND kind IN ('paid', 'fee', 'released') "
            f"AND {where} GROUP BY account", bounds)}
    return by_pw, credits, int(kinds.get("fee") or 0), int(gross or 0), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--payees", type=int, default=5_000)
    args = ap.parse_args()
    admin = admin_url()
    name = "libledger_bench_payouts_" + secrets.token_hex(4)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'").format(sql.Identifier(name)))
    base = admin.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    try:
        engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        upgrade(engine)
        period = parse_period("2026-10")
        t0 = time.perf_counter()
        with psycopg.connect(url) as conn, conn.cursor() as cur, psycopg.connect(url) as c2, c2.cursor() as bcur, \
                psycopg.connect(url) as c3, c3.cursor() as ecur:
            generate(cur, args.rows, period, args.works, args.payees, raw=(bcur, ecur))
            conn.commit()
            c2.commit()
            c3.commit()
            for t in ("royalty_accruals", "blocks", "raw_events"):
                cur.execute(f"ANALYZE {t}")
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.begin() as conn:
            fill_rollups(conn)
            conn.exec_driver_sql("ANALYZE royalty_rollups")
        rollup_s = time.perf_counter() - t0
        with psycopg.connect(url) as conn:
            rollup_rows = conn.execute("SELECT count(*) FROM royalty_rollups").fetchone()[0]

        # the figure: what `reconcile` runs before asking the node (statement totals, legs 0 and 1)
        t0 = time.perf_counter()
        with session_factory(engine)() as s:
            totals, credits, problems = mirror_legs(s, period, lambda: payment_records(s, period))
        sql_s = time.perf_counter() - t0
        assert problems == [], problems[:5]
        profile = {}
        with session_factory(engine)() as s:
            for name_, fn in (("raw_sums", raw_sums), ("rollup_sums", rollup_sums), ("accrual_credits", accrual_credits)):
                t = time.perf_counter()
                fn(s, period)
                profile[name_] = round(time.perf_counter() - t, 2)
            rolled = period_totals(s, period)
        assert (rolled.by_payee_work, rolled.credits, rolled.gross) == (totals.by_payee_work, totals.credits, totals.gross)

        by_pw, py_credits, fee_total, gross_total, py_s = python_baseline(url, period)
        assert by_pw == totals.by_payee_work and dict(py_credits) == totals.credits == credits
        assert (fee_total, gross_total) == (totals.platform_fee, totals.gross)
        old_pw, old_credits, old_fee, old_gross, old_s = accrual_scan_sql(url, period)
        assert (old_pw, old_credits, old_fee, old_gross) == (by_pw, dict(py_credits), fee_total, gross_total)
        emit(
            "payouts",
            value=round(sql_s, 2),
            unit="s for the monthly statement totals + reconciliation legs 0-1 (raw events = rollup, accrual rows per account)",
            baseline=round(py_s, 2),
            baseline_name="pure Python over the fetched rows, same database",
            previous_sql=round(old_s, 2),
            previous_sql_name="every figure aggregated in SQL over the month's accruals (before the rollup), same run",
            rows=args.rows,
            works=args.works,
            payees=args.payees,
            statement_lines=len(totals.by_payee_work),
            rollup_rows=rollup_rows,
            profile_seconds=profile,
            load_seconds=round(load_s, 1),
            rollup_fill_seconds=round(rollup_s, 1),
            load_average=os.getloadavg(),
            target="<=10 s",
            note="synthetic accruals, blocks and RoyaltyPaid raw events COPY'd in, rollup filled set-based; chain leg (2 eth_call per account) not included",
        )
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()

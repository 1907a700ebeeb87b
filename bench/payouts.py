"""Monthly royalty statements at scale (issue 8): a PostgreSQL mirror with N royalty accruals
(default 10,000,000; 3.3M payments) across 100,000 works and 5,000 payees. Measured: what
``ledger.payouts.reconcile`` runs before it asks the node (``mirror_legs``): the statement
totals (net per payee per work, per payee, per account credited, platform fee, gross) from the
raw payment events (their typed ``payment_entries``, a month read in key order through the
covering index of migration 0006 into a streaming GROUP BY, on a connection of its own),
compared key by key with the ``royalty_rollups`` projection (leg 0), the accrual rows checked
per account (on a third connection), and the identities (leg 1). Baselines in the same run: the
raw leg before the index (one hash GROUP BY over the entries), the raw leg before the entries
(one aggregate over the events' JSONB arguments; optional), the figures in pure Python over the
fetched accrual rows, and the implementation before the rollup (every figure aggregated in SQL
over the month's accruals, no raw-event leg).

The accruals, one block, one ``Royalties:RoyaltyPaid`` raw event (JSON args as the decoder
stores them) and its payment entries per payment are synthetic rows COPY'd into a mirror created
by the real migrations (not indexed from a chain: 3.3M payments would take hours on anvil; the
secondary indexes are dropped for the load and rebuilt after it, then the tables are vacuumed
as autovacuum would have while the month was indexed); the rollup is then filled
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
from rights.periods import parse_period, utc_month


def admin_url() -> str:
    url = os.environ.get("LIBLEDGER_TEST_PG_URL")
    if not url:
        url = subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], capture_output=True, text=True, check=True).stdout.strip()
    return url


def generate(cur, n_rows: int, period, works: int, payees: int, raw=None) -> None:
    """COPY ``n_rows`` accruals; with ``raw`` (cursors for ``blocks``, ``raw_events`` and
    ``payment_entries`` on three other connections) also one block, one ``Royalties:RoyaltyPaid``
    raw event per payment with the JSON arguments the decoder stores, and its payment entries."""
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
            blocks_cur, events_cur, entries_cur = raw
            blocks = stack.enter_context(blocks_cur.copy("COPY blocks (number, hash, parent_hash, timestamp) FROM STDIN"))
            events = stack.enter_context(events_cur.copy(
                "COPY raw_events (block_hash, log_index, block_number, tx_hash, tx_index, address, contract, event, args, topics, data) "
                "FROM STDIN"
            ))
            entries = stack.enter_context(entries_cur.copy(
                "COPY payment_entries (block_number, log_index, seq, block_timestamp, account, work_id, kind, net, gross, month) "
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
                month = utc_month(ts)
                entries.write_row((block, 0, 0, ts, platform, work + 1, "fee", fee, gross, month))
                for i, (p, net) in enumerate(zip(pays, nets), 1):
                    entries.write_row((block, 0, i, ts, p, work + 1, "paid", net, gross, month))
            rows += 1 + len(pays)
            block += 1


LOADED = ("royalty_accruals", "blocks", "raw_events", "payment_entries")


def drop_secondary_indexes(conn) -> list[str]:
    """Drop the non-key indexes of the loaded tables (one build after the load is much cheaper
    than an index insert per COPY'd row); returns their definitions for ``create``."""
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", (list(LOADED),)
    ).fetchall()
    for name_, _ in rows:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name_)))
    return [d for _, d in rows]


# The raw leg before issue 8's payment_entries: one aggregate over the payment events' JSONB args.
JSONB_RAW_SUMS = """
SELECT e.account, (r.args->>'workId')::numeric::text AS work_id, e.kind,
       SUM(e.net::numeric)::text AS net, SUM(e.gross::numeric)::text AS gross, COUNT(*) AS entries
FROM raw_events r
JOIN blocks b ON b.number = r.block_number
CROSS JOIN LATERAL (
    SELECT r.args->>'feeRecipient', 'fee', r.args->>'fee', r.args->>'gross'
     WHERE r.event <> 'EscrowReleased'
    UNION ALL
    SELECT '', 'escrowed', r.args->>'held', r.args->>'gross'
     WHERE r.event = 'RoyaltyEscrowed'
    UNION ALL
    SELECT x.account, 'paid', x.net, r.args->>'gross'
      FROM ROWS FROM (jsonb_array_elements_text(r.args->'payees'), jsonb_array_elements_text(r.args->'nets')) AS x(account, net)
     WHERE r.event = 'RoyaltyPaid'
    UNION ALL
    SELECT x.account, 'released', x.net, r.args->>'amount'
      FROM ROWS FROM (jsonb_array_elements_text(r.args->'accounts'), jsonb_array_elements_text(r.args->'amounts')) AS x(account, net)
     WHERE r.event = 'EscrowReleased'
) AS e(account, kind, net, gross)
WHERE r.contract = 'Royalties' AND r.event IN ('RoyaltyPaid', 'RoyaltyEscrowed', 'EscrowReleased')
  AND b.timestamp >= %(start)s AND b.timestamp < %(end)s
GROUP BY e.account, (r.args->>'workId')::numeric, e.kind
"""


# The raw leg before the key-ordered index (migration 0006): one hash aggregate over the period's
# entries through the block_timestamp cut, as ``raw_sums`` ran it (then with parallel workers
# invited; here serial, to compare its CPU with ``serial_cpu_seconds.raw_sums``).
HASH_RAW_SUMS = """
SELECT account, work_id::text, kind, SUM(net)::text, SUM(gross)::text, COUNT(*)
FROM payment_entries
WHERE block_timestamp >= %(start)s AND block_timestamp < %(end)s
GROUP BY account, work_id, kind
"""


def hash_raw_baseline(url: str, period) -> tuple[dict, float, float]:
    """The raw leg as it was before the month index, serial: its result, wall seconds and the
    backend's CPU seconds."""
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn:
        for setting in ("work_mem = '256MB'", "jit = off", "max_parallel_workers_per_gather = 0"):
            conn.execute(f"SET {setting}")
        pid = conn.info.backend_pid
        c0 = backend_cpu(pid)
        rows = conn.execute(HASH_RAW_SUMS, {"start": period.start, "end": period.end}).fetchall()
        cpu = backend_cpu(pid) - c0
    out = {(a, int(w), k): [int(n), int(g), int(c)] for a, w, k, n, g, c in rows}
    return out, time.perf_counter() - t0, cpu


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backend ``pid`` (same machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def jsonb_raw_baseline(url: str, period) -> tuple[dict, float, float]:
    """The old raw leg, serial: its result, wall seconds and the backend's CPU seconds."""
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET jit = off")
        conn.execute("SET max_parallel_workers_per_gather = 0")
        pid = conn.info.backend_pid
        c0 = backend_cpu(pid)
        rows = conn.execute(JSONB_RAW_SUMS, {"start": period.start, "end": period.end}).fetchall()
        cpu = backend_cpu(pid) - c0
    out = {(a, int(w), k): [int(n), int(g), int(c)] for a, w, k, n, g, c in rows}
    return out, time.perf_counter() - t0, cpu


def serial_cpu(engine, period) -> dict:
    """Wall and CPU seconds (PostgreSQL backend + this process) of each query leg run one after
    the other on one connection with parallel workers off: figures that depend less on the
    machine's load than the wall-clock figure (which runs the raw leg concurrently)."""
    out = {}
    with session_factory(engine)() as s:
        conn = s.connection()
        conn.exec_driver_sql("SET max_parallel_workers_per_gather = 0")
        pid = conn.connection.driver_connection.info.backend_pid
        for name_, fn in (("raw_sums", raw_sums), ("rollup_sums", rollup_sums), ("accrual_credits", accrual_credits)):
            c0, p0, t0 = backend_cpu(pid), time.process_time(), time.perf_counter()
            fn(s, period)
            out[name_] = {"wall": round(time.perf_counter() - t0, 2), "cpu_postgres": round(backend_cpu(pid) - c0, 2),
                          "cpu_python": round(time.process_time() - p0, 2)}
        conn.exec_driver_sql("RESET max_parallel_workers_per_gather")
    out["legs_total"] = {k: round(sum(v[k] for v in out.values()), 2) for k in ("wall", "cpu_postgres", "cpu_python")}
    return out


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
    ap.add_argument("--no-jsonb-baseline", action="store_true", help="skip the old JSONB raw leg (135 s at full size)")
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
        with psycopg.connect(url, autocommit=True) as conn:
            indexes = drop_secondary_indexes(conn)
        with psycopg.connect(url) as conn, conn.cursor() as cur, psycopg.connect(url) as c2, c2.cursor() as bcur, \
                psycopg.connect(url) as c3, c3.cursor() as ecur, psycopg.connect(url) as c4, c4.cursor() as pcur:
            generate(cur, args.rows, period, args.works, args.payees, raw=(bcur, ecur, pcur))
            for c in (conn, c2, c3, c4):
                c.commit()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            for d in indexes:
                conn.execute(d)
            # what autovacuum does to these insert-only tables while a month is indexed (migration
            # 0006 has it visit payment_entries every 1% of new rows): statistics, and the
            # visibility map the raw leg's index-only scan needs
            for t in LOADED:
                conn.execute(f"VACUUM ANALYZE {t}")
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.begin() as conn:
            fill_rollups(conn)
        rollup_s = time.perf_counter() - t0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE royalty_rollups")
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
                out = fn(s, period)
                profile[name_] = round(time.perf_counter() - t, 2)
                if name_ == "raw_sums":
                    typed = out
            t = time.perf_counter()
            rolled = period_totals(s, period)
            statements_s = time.perf_counter() - t
        assert (rolled.by_payee_work, rolled.credits, rolled.gross) == (totals.by_payee_work, totals.credits, totals.gross)
        serial = serial_cpu(engine, period)
        old_hash, hash_s, hash_cpu = hash_raw_baseline(url, period)
        assert old_hash == typed
        jsonb_s = jsonb_cpu = None
        if not args.no_jsonb_baseline:
            old_raw, jsonb_s, jsonb_cpu = jsonb_raw_baseline(url, period)
            assert old_raw == typed
            serial["raw_sums_jsonb_baseline"] = {"wall": round(jsonb_s, 2), "cpu_postgres": round(jsonb_cpu, 2)}

        by_pw, py_credits, fee_total, gross_total, py_s = python_baseline(url, period)
        assert by_pw == totals.by_payee_work and dict(py_credits) == totals.credits == credits
        assert (fee_total, gross_total) == (totals.platform_fee, totals.gross)
        old_pw, old_credits, old_fee, old_gross, old_s = accrual_scan_sql(url, period)
        assert (old_pw, old_credits, old_fee, old_gross) == (by_pw, dict(py_credits), fee_total, gross_total)
        emit(
            "payouts",
            value=round(sql_s, 2),
            unit="s for the monthly statement totals + reconciliation legs 0-1 (raw events = rollup, accrual rows per account)",
            raw_leg=profile["raw_sums"],
            raw_leg_name="raw-events leg: the month's typed payment_entries, index-only scan in key order into a streaming GROUP BY (raw_sums)",
            raw_leg_hash_baseline=round(hash_s, 2),
            raw_leg_hash_baseline_cpu_postgres=round(hash_cpu, 2),
            raw_leg_hash_baseline_name="the raw leg before the month index: one hash GROUP BY over the period's entries (serial), same run",
            raw_leg_jsonb_baseline=None if jsonb_s is None else round(jsonb_s, 2),
            raw_leg_jsonb_baseline_name="the raw leg before payment_entries: one aggregate over the payment events' JSONB args, same run",
            serial_cpu_seconds=serial,
            serial_cpu_name="each leg in turn on one connection, parallel workers off: wall, CPU of the PostgreSQL backend, CPU of this process",
            statements=round(statements_s, 2),
            statements_name="statement totals from the rollup (period_totals)",
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
            note="synthetic accruals, blocks, RoyaltyPaid raw events and their payment entries COPY'd in, rollup filled set-based; chain leg (2 eth_call per account) not included",
        )
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()

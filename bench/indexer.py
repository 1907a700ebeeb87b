"""Indexer benchmark: backfill speed into SQLite and PostgreSQL, live lag, RSS; baseline web3.py.

    python bench/indexer.py [--events 200000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

1. Generates ``--events`` Credit Transfer events on a throw-away anvil through the pipeline
   (Multicall transactions of 100 transfers; generation time is not a measured figure).
2. Baseline, same run: web3.py ``contract.events.Transfer().get_logs(...)`` with its ABI
   decoding, no database.
3. Backfill (``Indexer.run(once=True)``) into a fresh SQLite file and a fresh PostgreSQL
   database, each in a child process (events/s from the indexer's own run; peak RSS of the child).
4. Live lag under a steady write load: an indexer follows the head in a child process while
   transactions are sent at a steady rate; lag = time from the sender holding the receipt (the
   block is mined) to the block being queryable in the mirror (the checkpoint commits with the
   events), p50/p99.

With ``--royalty-payments N`` (a separate, short run): N metered checkouts on a fresh anvil,
each paying its price through the Royalties split (``RoyaltyPaid``, whose payment entries the
indexer writes with the raw events), backfilled into SQLite and PostgreSQL; baseline in the same
run: the same backfill with the payment entries not written.

Prints one JSON line per figure (``bench/_stack.emit``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _stack import ROOT, emit, rate, stack  # noqa: E402  (puts the repo on sys.path)

from ledger import manifest as manifests  # noqa: E402

PER_TX = 100


def child_backfill(url: str, *, no_entries: bool = False) -> None:
    """In a child process: one backfill to the head; prints events, seconds, peak RSS.
    ``no_entries``: the same-run baseline without the payment entries (bench only)."""
    import logging

    if no_entries:
        import ledger.mirror.indexer as indexer_module

        indexer_module.write_entries = lambda conn, events: None

    from ledger.config import load_settings
    from ledger.mirror.db import make_engine
    from ledger.mirror.indexer import Indexer

    logging.getLogger("ledger.mirror").setLevel(logging.WARNING)
    s = load_settings()
    engine = make_engine(url)
    idx = Indexer(s, manifests.load(s.manifest_path), engine)
    from ledger.mirror.db import upgrade

    upgrade(engine)
    t0 = time.perf_counter()
    idx.run(once=True)
    secs = time.perf_counter() - t0
    # VmHWM: peak RSS of this process image (ru_maxrss would include the forking parent's)
    rss_mb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
    print(json.dumps({"events": idx.total_events, "seconds": secs, "rss_mb": rss_mb}), flush=True)


def _env(st) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), LIBLEDGER_RPC_URL=st.settings.rpc_url, LIBLEDGER_DATA_DIR=str(st.settings.data_path))


def generate(st, n_events: int) -> int:
    credit = st.chain.contract("Credit")
    libs = st.libraries
    calls = []
    for i in range(n_events // PER_TX):
        sender, to = libs[i % len(libs)], libs[(i + 1) % len(libs)].address
        calls.append(credit.tx("multicall", [credit.encode("transfer", to, 1 + k) for k in range(PER_TX)], sender=sender, gas=6_000_000))
    for start in range(0, len(calls), 500):
        for o in st.chain.pipeline.submit(calls[start : start + 500]):
            o.unwrap()
    return len(calls) * PER_TX


def baseline_web3(st, first: int, last: int) -> tuple[int, float]:
    from ledger.bindings import load_artifact
    from ledger.chain import web3_for

    w3 = web3_for(st.settings)
    c = w3.eth.contract(address=st.chain.manifest.address("Credit"), abi=load_artifact("Credit").abi.abi)
    t0 = time.perf_counter()
    n = 0
    step = 2_000
    for lo in range(first, last + 1, step):
        n += len(c.events.Transfer().get_logs(from_block=lo, to_block=min(last, lo + step - 1)))
    return n, time.perf_counter() - t0


def generate_payments(st, n_payments: int, batch: int = 25) -> int:
    """``n_payments`` metered checkouts (each pays 250 fen through a 70/30 split: one
    ``RoyaltyPaid`` with a fee and two payees), in Multicall batches; returns how many."""
    import hashlib

    from ledger.pipeline import Call

    c = st.chain.contract
    pub0, pub1 = st.publishers
    lib = st.libraries[0]
    out = c("Works").transact("registerWork", hashlib.sha256(b"bench-indexer").digest(), os.urandom(10), "ipfs://bench",
                              [pub0.address, pub1.address], [7000, 3000], sender=pub0)
    work_id = c("Works").events(out.receipt)[0][1]["workId"]
    t = {"kind": 1, "price": 250, "copies": n_payments + 10, "loanPeriod": 86400, "maxLoansPerCopy": 0, "duration": 0,
         "territory": b"CN", "illAllowed": False, "legalTextHash": os.urandom(32), "legalTextURI": "ipfs://legal"}
    terms_id = c("Licensing").call("publishTerms", t, sender=pub0.address)
    c("Licensing").transact("publishTerms", t, sender=pub0)
    c("Licensing").transact("attachTerms", work_id, terms_id, sender=pub0)
    out = c("Licensing").transact("acquire", work_id, terms_id, 1, sender=lib)
    licence = next(a["licenceId"] for n, a in c("Licensing").events(out.receipt) if n == "LicenceAcquired")
    c("Royalties").transact("deposit", n_payments * t["price"], sender=lib)  # metered loans are paid from the deposit
    lending = c("Licensing")  # digital loans live in Licensing
    calls = []
    for i in range(0, n_payments, batch):
        k = min(batch, n_payments - i)
        data = [lending.encode("checkout", licence, os.urandom(32)) for _ in range(k)]
        calls.append(Call(sender=lib, to=lending.address, data=lending.encode("multicall", data), gas=220_000 * k + 100_000))
    for start in range(0, len(calls), 200):
        for o in st.chain.pipeline.submit(calls[start : start + 200]):
            o.unwrap()
    return n_payments


def royalty_backfills(a) -> None:
    """Backfill speed of a RoyaltyPaid-heavy chain, with and without the payment entries."""
    with stack() as st:
        manifests.save(st.chain.manifest, st.settings.manifest_path)
        t0 = time.perf_counter()
        n = generate_payments(st, a.royalty_payments)
        emit("indexer.generate_payments", value=rate(n, time.perf_counter() - t0), unit="payments/s", payments=n, note="not a measured target")
        tmp = Path(tempfile.mkdtemp(prefix="libledger-bench-mirror-"))
        for name in ("sqlite", "postgresql"):
            runs = {}
            for mode in ("baseline", "entries", "baseline", "entries"):  # alternate: load drifts
                if name == "sqlite":
                    url, drop = f"sqlite:///{tmp / (mode + secrets.token_hex(3) + '.sqlite')}", (lambda: None)
                else:
                    url, drop = pg_database(a.pg)
                try:
                    r = backfill(st, url, *(["--no-entries"] if mode == "baseline" else []))
                finally:
                    drop()
                runs.setdefault(mode, []).append(rate(r["events"], r["seconds"]))
            emit(f"indexer.backfill_royalties_{name}", value=max(runs["entries"]), unit="events/s (best of 2)", target=20_000,
                 baseline=max(runs["baseline"]), baseline_name="same backfill without writing payment_entries, same run",
                 runs=runs, events=r["events"], payments=n, load_average=os.getloadavg())


def backfill(st, url: str, *extra: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child-backfill", url, *extra], env=_env(st), capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def live_lag(st, url: str, seconds: float, tx_per_s: float) -> list[float]:
    from sqlalchemy import select

    from ledger.mirror.db import make_engine
    from ledger.mirror.models import Checkpoint

    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "index", "--no-progress", "--database-url", url],
        env=_env(st), stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BENCH_INDEXER_LOG", os.devnull), "a"),
    )
    engine = make_engine(url)
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    stop = threading.Event()
    errors: list[Exception] = []

    def cp() -> int:
        try:
            with engine.connect() as conn:
                return conn.scalar(select(Checkpoint.block_number)) or -1
        except Exception as exc:  # no schema yet, or busy: report once, try again
            if not errors:
                print(f"mirror read failed: {exc}", file=sys.stderr)
            errors.append(exc)
            return -1

    try:
        credit = st.chain.contract("Credit")
        libs = st.libraries
        # warm-up: the follower has started (imports, schema check) and mirrored a fresh block
        warm = st.chain.pipeline.submit([credit.tx("transfer", libs[1].address, 1, sender=libs[0])])[0].unwrap().block_number
        while cp() < warm:
            time.sleep(0.05)

        def watch() -> None:
            while not stop.is_set():
                n, t = cp(), time.perf_counter()
                for b in list(sent):
                    if b <= n and b not in seen:
                        seen[b] = t
                time.sleep(0.005)

        w = threading.Thread(target=watch, daemon=True)
        w.start()
        end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            data = [credit.encode("transfer", libs[1].address, 1 + k) for k in range(10)]
            o = st.chain.pipeline.submit([credit.tx("multicall", data, sender=libs[0], gas=1_000_000)])[0].unwrap()
            # "mined" = the moment the sender holds the receipt (the pipeline polls every 10 ms;
            # anvil's automine sometimes stalls before mining, which is not the indexer's lag)
            sent.setdefault(o.block_number, time.perf_counter())
            i += 1
            time.sleep(max(0.0, 1 / tx_per_s - (time.perf_counter() - t0)))
        deadline = time.perf_counter() + 30
        while len(seen) < len(sent) and time.perf_counter() < deadline:
            time.sleep(0.05)
        stop.set()
        w.join()
        return [seen[b] - sent[b] for b in sent if b in seen] + [float("inf")] * (len(sent) - len(seen))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        engine.dispose()


def pg_database(admin_url: str) -> tuple[str, callable]:
    import psycopg

    name = "libledger_bench_" + secrets.token_hex(4)
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1), drop


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--pg", default=os.environ.get("LIBLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--lag-seconds", type=float, default=20.0)
    ap.add_argument("--lag-tx-per-s", type=float, default=20.0)
    ap.add_argument("--royalty-payments", type=int, default=0, help="only the RoyaltyPaid-heavy backfill check, with N payments")
    ap.add_argument("--child-backfill")
    ap.add_argument("--no-entries", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child_backfill:
        return child_backfill(a.child_backfill, no_entries=a.no_entries)
    if a.royalty_payments:
        return royalty_backfills(a)

    with stack() as st:
        manifests.save(st.chain.manifest, st.settings.manifest_path)
        t0 = time.perf_counter()
        n = generate(st, a.events)
        emit("indexer.generate", value=rate(n, time.perf_counter() - t0), unit="events/s", events=n, note="not a measured target")
        first, last = st.chain.manifest.deploy_block, st.chain.block_number()
        n_base, secs = baseline_web3(st, first, last)
        base = rate(n_base, secs)
        emit("indexer.baseline_web3_get_logs", value=base, unit="events/s", events=n_base, seconds=round(secs, 2))

        tmp = Path(tempfile.mkdtemp(prefix="libledger-bench-mirror-"))
        sqlite_url = f"sqlite:///{tmp / 'mirror.sqlite'}"
        r = backfill(st, sqlite_url)
        emit("indexer.backfill_sqlite", value=rate(r["events"], r["seconds"]), unit="events/s", target=20_000,
             baseline=base, events=r["events"], seconds=round(r["seconds"], 2), rss_mb=round(r["rss_mb"], 1))
        pg_url, drop = pg_database(a.pg)
        try:
            r = backfill(st, pg_url)
            emit("indexer.backfill_postgresql", value=rate(r["events"], r["seconds"]), unit="events/s", target=20_000,
                 baseline=base, events=r["events"], seconds=round(r["seconds"], 2), rss_mb=round(r["rss_mb"], 1))
            for name, url in (("sqlite", sqlite_url), ("postgresql", pg_url)):
                lags = live_lag(st, url, a.lag_seconds, a.lag_tx_per_s)
                emit(f"indexer.live_lag_{name}", value=round(pct(lags, 0.99), 3), unit="s (p99)", p50=round(pct(lags, 0.5), 3),
                     p99=round(pct(lags, 0.99), 3), max=round(max(lags), 3), blocks=len(lags), target=1.0,
                     load=f"{a.lag_tx_per_s:g} tx/s × 10 events")
        finally:
            drop()


if __name__ == "__main__":
    main()

"""API benchmark: write throughput through the API, then read latency at 200 req/s for 60 s
against a PostgreSQL mirror with >=100,000 works and >=1,000,000 loan/ILL records.

The read mirror is LOADED DIRECTLY into the mirror's raw_events table (synthetic decoded events
with the indexer's JSON form), not built through the indexer from chain data; the write part
goes through the real stack (API -> anvil -> indexer -> PostgreSQL). Prints JSON lines.
Env: LIBLEDGER_TEST_PG_URL (admin URL; default postgresql://postgres@127.0.0.1:5432/postgres),
BENCH_WORKS, BENCH_LOANS, BENCH_ILL, BENCH_SECONDS, BENCH_RATE.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench._stack import emit, stack  # noqa: E402

N_WORKS = int(os.environ.get("BENCH_WORKS", 100_000))
N_LOANS = int(os.environ.get("BENCH_LOANS", 600_000))
N_ILL = int(os.environ.get("BENCH_ILL", 400_000))
SECONDS = float(os.environ.get("BENCH_SECONDS", 60))
RATE = float(os.environ.get("BENCH_RATE", 200))
N_WRITES = int(os.environ.get("BENCH_WRITES", 300))
WORKERS = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2))
ADMIN = os.environ.get("LIBLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BASE_ID = 10_000_000  # synthetic ids start here, far from the real ones written first


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_mirror(dsn: str, libs: list[str], pubs: list[str]) -> dict[str, int]:
    """COPY synthetic decoded events into raw_events: works (+payees), loans, ILL requests (+1 status change each)."""
    rng = random.Random(7)
    buf = io.StringIO()
    block, log = 10_000_000, 0
    rows = 0

    def row(contract: str, event: str, args: dict) -> None:
        nonlocal block, log, rows
        log += 1
        if log >= 200:
            block, log = block + 1, 0
        bh = "0x%064x" % block
        buf.write("\t".join([bh, str(log), str(block), "0x%064x" % (block * 1000 + log), "0", "0x" + "00" * 20, contract, event,
                             json.dumps(args, separators=(",", ":")).replace("\\", "\\\\"), "", "0x"]) + "\n")
        rows += 1

    with psycopg.connect(dsn) as conn:
        def flush() -> None:
            nonlocal buf
            buf.seek(0)
            with conn.cursor().copy("COPY raw_events (block_hash, log_index, block_number, tx_hash, tx_index, address, contract, event, args, topics, data) FROM STDIN") as cp:
                while chunk := buf.read(1 << 20):
                    cp.write(chunk)
            buf = io.StringIO()

        for i in range(N_WORKS):
            wid, holder = BASE_ID + i, pubs[i % len(pubs)]
            row("Works", "WorkRegistered", {"workId": wid, "contentHash": "0x%064x" % wid, "holder": holder, "isccCode": "0x%032x" % rng.getrandbits(128), "metadataURI": f"ipfs://bench/{wid}"})
            row("Works", "PayeesSet", {"workId": wid, "payees": [holder], "bps": [10000]})
            if i % 20000 == 19999:
                flush()
        flush()
        for i in range(N_LOANS):
            lid = BASE_ID + i
            row("Lending", "LoanCheckedOut", {"loanId": lid, "licenceId": BASE_ID + i % 50_000, "library_": libs[i % len(libs)], "ref": "0x%064x" % lid, "dueAt": 1_800_000_000, "charge": 0})
            if i % 50000 == 49999:
                flush()
        flush()
        ill_ids = []
        for i in range(N_ILL):
            rid = str(2**200 + i)
            ill_ids.append(rid)
            req, sup = libs[i % len(libs)], libs[(i + 1) % len(libs)]
            row("InterlibraryLoan", "IllRequested", {"requestId": rid, "requester": req, "supplier": sup, "ownId": "0x%064x" % i, "service": 0, "itemKind": 1, "item": "0x%064x" % i, "maxCost": 1000, "needBefore": 0, "retryOf": 0, "licenceId": 0})
            row("InterlibraryLoan", "StatusChanged", {"requestId": rid, "from": 1, "to": 3, "actor": sup, "reasonScheme": 0, "reasonCode": 0, "dueDate": 0})
            if i % 25000 == 24999:
                flush()
        flush()
        conn.commit()
        conn.execute("ANALYZE raw_events")
        conn.commit()
    return {"rows": rows}


async def load(base: str, token: str, libs_isil: list[str], ill_sample: list[str]) -> dict[str, list[float]]:
    rng = random.Random(11)
    kinds = {
        "get_work": lambda: f"/works/{BASE_ID + rng.randrange(N_WORKS)}",
        "get_provenance": lambda: f"/works/{BASE_ID + rng.randrange(N_WORKS)}/provenance",
        "get_ill_request": lambda: f"/ill/requests/{rng.choice(ill_sample)}",
        "list_works": lambda: "/works?limit=50",
        "list_loans": lambda: f"/loans?limit=50&library={rng.choice(libs_isil)}",
        "list_ill": lambda: f"/ill/requests?limit=50&party={rng.choice(libs_isil)}",
    }
    names = list(kinds)
    lat: dict[str, list[float]] = {k: [] for k in names}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30) as client:
        async def one(kind: str, path: str) -> None:
            t0 = time.perf_counter()
            try:
                r = await client.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError as exc:
                ok, r = False, exc
            dt = time.perf_counter() - t0
            if ok:
                lat[kind].append(dt)
            else:
                errors.append(f"{kind} {path}: {getattr(r, 'status_code', r)}")

        for k in names:  # warm-up
            await one(k, kinds[k]())
        for v in lat.values():
            v.clear()
        tasks = []
        start = time.perf_counter()
        n = int(SECONDS * RATE)
        for i in range(n):
            at = start + i / RATE
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            kind = names[i % len(names)]
            tasks.append(asyncio.create_task(one(kind, kinds[kind]())))
        await asyncio.gather(*tasks)
    lat["_errors"] = errors  # type: ignore[assignment]
    return lat


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(1000 * xs[min(len(xs) - 1, int(p * len(xs)))], 2) if xs else float("nan")


def main() -> None:
    from ledger import keystore
    from ledger.mirror.db import make_engine

    dbname = "libledger_bench_" + secrets.token_hex(4)
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(dbname)))
    dsn = ADMIN.rsplit("/", 1)[0] + "/" + dbname
    proc = None
    try:
        with stack(n_libraries=4, n_publishers=2) as st:
            s = st.settings
            members = {f"CN-BENCH-{i}": a for i, a in enumerate(st.libraries)} | {f"PUB-{i}": p for i, p in enumerate(st.publishers)}
            for name, acct in members.items():
                keystore.create(s.keystore_path, name, "bench", private_key=acct.key, fast=True)
            from ledger import manifest as manifests

            manifests.save(st.chain.manifest, s.manifest_path)
            port = _port()
            env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent), LIBLEDGER_DATA_DIR=str(s.data_dir),
                       LIBLEDGER_RPC_URL=s.rpc_url, LIBLEDGER_DATABASE_URL=dsn, LIBLEDGER_KEYSTORE_PASSWORD="bench",
                       LIBLEDGER_API_PORT=str(port), LIBLEDGER_RUN_INDEXER="true")
            # tokens (the API process creates the schema on start; make it here first)
            from api.config import ApiSettings
            from api.runtime import Runtime
            from api import tokens as tk

            rt = Runtime.open(ApiSettings(**{**s.model_dump(), "database_url": dsn}))
            with rt.writing() as session:
                toks = {m: tk.create(session, member=m, account=a.address, name="bench")[0] for m, a in members.items()}
            rt.close()
            proc = subprocess.Popen([sys.executable, "-c", f"from api.cli import serve; serve(data_dir=None, host=None, port=None, indexer=True, workers={WORKERS})"],
                                    env=env, stdout=subprocess.DEVNULL, stderr=open(Path(s.data_dir) / "api.log", "wb"))
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)

            # ---- writes through the API: register works, 8 clients, read-your-writes (wait=true)
            async def writes() -> tuple[float, int]:
                async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {toks['PUB-0']}"}, timeout=60) as c:
                    sem = asyncio.Semaphore(8)
                    errs = 0

                    async def one(i: int) -> None:
                        nonlocal errs
                        async with sem:
                            r = await c.post("/works", json={"content_hash": "0x" + secrets.token_hex(32), "iscc": "0x" + secrets.token_hex(16), "metadata_uri": f"ipfs://w/{i}"})
                            errs += r.status_code != 201 or r.json()["tx"]["status"] != "mirrored"

                    t0 = time.perf_counter()
                    await asyncio.gather(*(one(i) for i in range(N_WRITES)))
                    return time.perf_counter() - t0, errs

            secs, errs = asyncio.run(writes())
            emit("api_write_register_work", value=round(N_WRITES / secs, 1), unit="works/s", n=N_WRITES, errors=errs,
                 note="POST /works with wait=true (receipt + mirror caught up), 8 concurrent clients, anvil + PostgreSQL")

            # ---- read mirror: load synthetic rows directly, then indexes
            t0 = time.perf_counter()
            libs = [a.address for a in st.libraries]
            pubs = [p.address for p in st.publishers]
            engine = make_engine(dsn)
            info = load_mirror(dsn, libs, pubs)
            from api.tokens import ensure_schema

            ensure_schema(engine)
            engine.dispose()
            emit("api_mirror_load", value=round(time.perf_counter() - t0, 1), unit="s", rows=info["rows"], works=N_WORKS, loans=N_LOANS,
                 ill_requests=N_ILL, note="synthetic decoded events COPYed straight into raw_events (not through the indexer)")

            ill_sample = [str(2**200 + random.Random(3).randrange(N_ILL)) for _ in range(2000)]
            lat = asyncio.run(load(base, toks["CN-BENCH-0"], list(f"CN-BENCH-{i}" for i in range(4)), ill_sample))
            errors = lat.pop("_errors")  # type: ignore[arg-type]
            allv = [x for v in lat.values() for x in v]
            for k, v in lat.items():
                emit(f"api_read_{k}", p50_ms=pct(v, 0.5), p99_ms=pct(v, 0.99), n=len(v), unit="ms", target_p99_ms=50)
            emit("api_read_all", p50_ms=pct(allv, 0.5), p99_ms=pct(allv, 0.99), mean_ms=round(1000 * statistics.mean(allv), 2) if allv else None,
                 n=len(allv), errors=len(errors), first_errors=errors[:3], rate_rps=RATE, seconds=SECONDS, target_p99_ms=50,
                 workers=WORKERS, note="open-loop httpx async load on loopback; uvicorn workers, one holds the indexer (writer lock)")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


if __name__ == "__main__":
    main()

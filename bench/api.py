"""API benchmark: write throughput through the API, then read latency at 200 req/s for 60 s
against a PostgreSQL mirror with >=100,000 works and >=1,000,000 loan/ILL records.

The read mirror is LOADED DIRECTLY into the mirror's PROJECTION tables by COPY (works,
work_payees, licences, digital_loans, ill_requests, ill_transitions) plus the raw_events /
record_events / blocks rows that provenance reads list (two events per work); it is not built
through the indexer from chain data. The write part goes through the real stack (API -> anvil ->
indexer -> PostgreSQL). Baselines in the same run, as SQL on the same database: the naive
per-request fold of a work from raw_events (JSON scan, no index) and the previous API's approach
(JSON expression index on raw_events, created for the measurement and dropped). Prints JSON lines.
The read load runs twice: with the lean path of the hot GETs (``api.fastpath``, the default) and,
as the same-run baseline, on a fresh server with ``LIBLEDGER_FAST_READS=false`` (FastAPI's routes;
``BENCH_BASELINE=0`` skips it); each read line says which (``path``).
The read line also carries the server's CPU per request (user + system CPU of the uvicorn
processes during the load phase, less their idle background rate measured just before, divided
by the requests) and the load generator's own CPU per request; the load generator runs on uvloop
when it is importable (``client_loop``), and ``server`` says which loop/HTTP parser uvicorn picked.
Env: LIBLEDGER_TEST_PG_URL (admin URL; default postgresql://postgres@127.0.0.1:5432/postgres),
BENCH_WORKS, BENCH_LOANS, BENCH_ILL, BENCH_SECONDS, BENCH_RATE, BENCH_WRITES, BENCH_WORKERS, BENCH_CONNECTIONS, BENCH_BASELINE.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench._mirror_data import BASE_ID, ill_id, load_mirror  # noqa: E402
from bench._stack import emit, stack  # noqa: E402

N_WORKS = int(os.environ.get("BENCH_WORKS", 100_000))
N_LOANS = int(os.environ.get("BENCH_LOANS", 600_000))  # + N_ILL = 1,000,000 loan/ILL records
N_ILL = int(os.environ.get("BENCH_ILL", 400_000))
SECONDS = float(os.environ.get("BENCH_SECONDS", 60))
RATE = float(os.environ.get("BENCH_RATE", 200))
N_WRITES = int(os.environ.get("BENCH_WRITES", 300))
WORKERS = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 48))  # keep-alive connections of the load generator
BASELINE = os.environ.get("BENCH_BASELINE", "1") != "0"  # also run the load with the lean path off (same run)
ADMIN = os.environ.get("LIBLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sql_baselines(dsn: str) -> None:
    """Same-run baselines for GET work, as SQL on the loaded database (no HTTP): the naive fold
    (every Works event of the work by a JSON scan of raw_events), the previous API's approach
    (same query through a JSON expression index), and the projection reads this API does."""
    rng = random.Random(5)

    def timed_queries(conn: psycopg.Connection, queries: list[tuple[str, tuple[Any, ...]]], n: int) -> list[float]:
        out = []
        for _ in range(n):
            wid = BASE_ID + rng.randrange(N_WORKS)
            t0 = time.perf_counter()
            for q, _args in queries:
                conn.execute(q, (wid,)).fetchall()
            out.append(time.perf_counter() - t0)
        return out

    fold = "SELECT event, args, block_number, log_index FROM raw_events WHERE contract = 'Works' AND (args->>'workId') = %s::text ORDER BY block_number, log_index"
    projection = [
        ("SELECT * FROM works WHERE work_id = %s", ()),
        ("SELECT * FROM work_payees WHERE work_id = %s ORDER BY position", ()),
    ]
    with psycopg.connect(dsn, autocommit=True) as conn:
        naive = timed_queries(conn, [(fold, ())], 20)
        conn.execute("CREATE INDEX bench_old_api_workid ON raw_events (contract, (args->>'workId'), block_number, log_index)")
        conn.execute("ANALYZE raw_events")
        old = timed_queries(conn, [(fold, ())], 300)
        conn.execute("DROP INDEX bench_old_api_workid")
        new = timed_queries(conn, projection, 300)
    for name, xs, note in (
        ("api_baseline_get_work_naive_fold", naive, "JSON scan of raw_events per request (no index), SQL only"),
        ("api_baseline_get_work_old_expression_index", old, "previous API: raw_events JSON expression index + fold, SQL only"),
        ("api_baseline_get_work_projection_sql", new, "this API's two projection SELECTs, SQL only"),
    ):
        emit(name, p50_ms=pct(xs, 0.5), p99_ms=pct(xs, 0.99), n=len(xs), unit="ms", note=note, load=os.getloadavg())


class _Conn:
    """One keep-alive HTTP/1.1 connection for GETs (the load generator's own client: a few
    microseconds of CPU per request, so the figures measure the server, not the client)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.head)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        low = head.lower()
        i = low.find(b"content-length:")
        if i < 0:
            raise ValueError("response without content-length")
        await self.reader.readexactly(int(low[i + 15 : low.index(b"\r\n", i)]))
        if b"connection: close" in low:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(base: str, token: str, libs_isil: list[str], ill_sample: list[str]) -> dict[str, list[float]]:
    """Open-loop load: request i is due at start + i/RATE; its latency runs from that due time to
    the last byte of the answer (waiting for a free connection counts: no coordinated omission)."""
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
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    pool: asyncio.Queue[_Conn] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        pool.put_nowait(_Conn(host, int(port), token))

    async def one(kind: str, path: str, due: float, record: bool = True) -> None:
        conn = await pool.get()
        try:
            status = await asyncio.wait_for(conn.get(path), timeout=30)
        except (OSError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            conn.close()
            status, detail = 0, repr(exc)
        else:
            detail = str(status)
        finally:
            pool.put_nowait(conn)
        if status == 200:
            if record:
                lat[kind].append(time.perf_counter() - due)
        elif record:
            errors.append(f"{kind} {path}: {detail}")

    for k in names:  # warm-up: every endpoint once, every connection opened
        await asyncio.gather(*(one(k, kinds[k](), time.perf_counter(), record=False) for _ in range(CONNECTIONS // len(names) + 1)))
    tasks = []
    start = time.perf_counter()
    n = int(SECONDS * RATE)
    for i in range(n):
        due = start + i / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind = names[i % len(names)]
        tasks.append(asyncio.create_task(one(kind, kinds[kind](), due)))
    await asyncio.gather(*tasks)
    lat["_errors"] = errors  # type: ignore[assignment]
    for _ in range(CONNECTIONS):
        (await pool.get()).close()
    return lat


try:  # the load generator shares the 2 cores with the server: run it on the leaner loop when there
    import uvloop

    CLIENT_LOOP = "uvloop"
except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
    uvloop = None
    CLIENT_LOOP = "asyncio"


def _tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of process ``root`` and its children (the uvicorn workers), from
    /proc (Linux; 0.0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(d.name), int(fields[1])
        if pid == root or ppid == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _run(coro: Any) -> Any:
    return uvloop.run(coro) if uvloop is not None else asyncio.run(coro)


def _server_stack(env: dict[str, str]) -> str:
    """What uvicorn's loop="auto"/http="auto" pick in the server's environment."""
    code = "import importlib.util as u; print(('uvloop' if u.find_spec('uvloop') else 'asyncio') + '+' + ('httptools' if u.find_spec('httptools') else 'h11'))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip()


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(1000 * xs[min(len(xs) - 1, int(p * len(xs)))], 2) if xs else float("nan")


def main() -> None:
    from ledger import keystore

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
            pythonpath = os.pathsep.join(p for p in (str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")) if p)
            env = dict(os.environ, PYTHONPATH=pythonpath, LIBLEDGER_DATA_DIR=str(s.data_dir),
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

            def start_server(extra: dict[str, str]) -> subprocess.Popen:
                p = subprocess.Popen([sys.executable, "-c", f"from api.cli import serve; serve(data_dir=None, host=None, port=None, indexer=True, workers={WORKERS})"],
                                     env={**env, **extra}, stdout=subprocess.DEVNULL, stderr=open(Path(s.data_dir) / "api.log", "ab"))
                for _ in range(300):
                    try:
                        if httpx.get(base + "/health", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.1)
                return p

            base = f"http://127.0.0.1:{port}"
            proc = start_server({})

            # ---- writes through the API: register works, 8 clients, read-your-writes (wait=true)
            async def writes() -> tuple[float, int]:
                async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {toks['PUB-0']}"}, timeout=60) as c:
                    sem = asyncio.Semaphore(8)
                    errs = 0

                    async def one(i: int) -> None:
                        nonlocal errs
                        async with sem:
                            r = await c.post("/works", json={"content_hash": "0x" + secrets.token_hex(32), "iscc": "0x" + secrets.token_hex(16), "metadata_uri": f"ipfs://w/{i}"})
                            bad = r.status_code != 201 or r.json()["tx"]["status"] != "mirrored"
                            errs += bad
                            if bad and len(write_errors) < 3:
                                write_errors.append(f"{r.status_code} {r.text[:200]}")

                    t0 = time.perf_counter()
                    await asyncio.gather(*(one(i) for i in range(N_WRITES)))
                    return time.perf_counter() - t0, errs

            write_errors: list[str] = []
            secs, errs = asyncio.run(writes())
            emit("api_write_register_work", value=round(N_WRITES / secs, 1), unit="works/s", n=N_WRITES, errors=errs, first_errors=write_errors,
                 load=os.getloadavg(),
                 note="POST /works with wait=true (receipt + mirror caught up), 8 concurrent clients, anvil + PostgreSQL")

            # ---- read mirror: COPY synthetic rows straight into the projection tables
            t0 = time.perf_counter()
            libs = [a.address for a in st.libraries]
            pubs = [p.address for p in st.publishers]
            info = load_mirror(dsn, libs, pubs, n_works=N_WORKS, n_loans=N_LOANS, n_ill=N_ILL)
            emit("api_mirror_load", value=round(time.perf_counter() - t0, 1), unit="s", rows=info, works=N_WORKS, loans=N_LOANS,
                 ill_requests=N_ILL, load=os.getloadavg(),
                 note="synthetic rows COPYed straight into the projection tables (+ raw_events/record_events for provenance), not through the indexer")
            sql_baselines(dsn)

            ill_sample = [str(ill_id(random.Random(3).randrange(N_ILL))) for _ in range(2000)]

            def read_phase(path: str) -> None:
                idle0 = _tree_cpu_s(proc.pid)
                time.sleep(3)  # the server's own background CPU (indexer loops), subtracted below
                idle_cpu_per_s = (_tree_cpu_s(proc.pid) - idle0) / 3
                server0, client0, t_load = _tree_cpu_s(proc.pid), time.process_time(), time.perf_counter()
                lat = _run(load(base, toks["CN-BENCH-0"], list(f"CN-BENCH-{i}" for i in range(4)), ill_sample))
                server_cpu, client_cpu = _tree_cpu_s(proc.pid) - server0, time.process_time() - client0
                server_cpu -= idle_cpu_per_s * (time.perf_counter() - t_load)
                errors = lat.pop("_errors")  # type: ignore[arg-type]
                allv = [x for v in lat.values() for x in v]
                for k, v in lat.items():
                    emit(f"api_read_{k}", path=path, p50_ms=pct(v, 0.5), p99_ms=pct(v, 0.99), n=len(v), errors=sum(e.startswith(k + " ") for e in errors), unit="ms", target_p99_ms=50)
                emit("api_read_all", path=path, p50_ms=pct(allv, 0.5), p99_ms=pct(allv, 0.99), mean_ms=round(1000 * statistics.mean(allv), 2) if allv else None,
                     n=len(allv), errors=len(errors), first_errors=errors[:3], rate_rps=RATE, seconds=SECONDS, target_p99_ms=50,
                     workers=WORKERS, load=os.getloadavg(), connections=CONNECTIONS, client_loop=CLIENT_LOOP,
                     server_cpu_ms_per_request=round(1000 * server_cpu / max(1, len(allv) + len(errors)), 3),
                     client_cpu_ms_per_request=round(1000 * client_cpu / max(1, len(allv) + len(errors)), 3),
                     server_idle_cpu_pct=round(100 * idle_cpu_per_s, 1), server=_server_stack(env), note="open-loop load on loopback (own keep-alive HTTP/1.1 client, latency from each request's due time); uvicorn workers, one holds the indexer (writer lock)")

            read_phase("lean (api.fastpath)")
            if BASELINE:  # the same load with the hot GETs through FastAPI's routes: a fresh server, fast_reads off
                proc.terminate()
                proc.wait(timeout=20)
                proc = start_server({"LIBLEDGER_FAST_READS": "false"})
                read_phase("fastapi (baseline, LIBLEDGER_FAST_READS=false)")
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

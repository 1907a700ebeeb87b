"""Server CPU per request of the six hot GETs, the ASGI app called in-process (no sockets, no
load generator): the lean path (``api.fastpath``) against the FastAPI routes in the same run, on
the same PostgreSQL mirror, every answer compared byte for byte.

The mirror is LOADED DIRECTLY into the projection tables by COPY (``bench._mirror_data``, the
API benchmark's loader; not built by the indexer), plus the members and one API token. No chain
is needed: the app starts without its indexer. Each endpoint: ``BENCH_CPU_REQUESTS`` requests
(default 600) per app after 50 warm-up ones, sequential, on uvloop, in ``BENCH_CPU_ROUNDS`` (6)
rounds alternating the two apps; CPU = ``time.process_time()`` of the whole process (the event
loop and the thread pool) / requests, the median round. Prints JSON lines.
Env: LIBLEDGER_TEST_PG_URL, BENCH_WORKS (default 20,000), BENCH_LOANS (60,000), BENCH_ILL
(40,000), BENCH_CPU_REQUESTS, BENCH_PROFILE=kind (cProfile one endpoint's lean path).
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench._mirror_data import BASE_ID, ill_id, load_mirror  # noqa: E402
from bench._stack import emit  # noqa: E402

N_WORKS = int(os.environ.get("BENCH_WORKS", 20_000))
N_LOANS = int(os.environ.get("BENCH_LOANS", 60_000))
N_ILL = int(os.environ.get("BENCH_ILL", 40_000))
N_REQ = int(os.environ.get("BENCH_CPU_REQUESTS", 600))
ROUNDS = int(os.environ.get("BENCH_CPU_ROUNDS", 6))
ADMIN = os.environ.get("LIBLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LIBS = [f"0x{i:040x}".replace("0x0", "0xA", 1) for i in range(1, 5)]
PUBS = [f"0x{i:040x}".replace("0x0", "0xB", 1) for i in range(1, 3)]


async def call(app: Any, path: str, token: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One GET through the ASGI app as uvicorn would send it: (status, headers, body)."""
    p, _, q = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1", "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000), "scheme": "http", "method": "GET", "root_path": "", "path": p, "raw_path": p.encode(),
        "query_string": q.encode(), "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode())], "state": {},
    }
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(m: dict[str, Any]) -> None:
        if m["type"] == "http.response.start":
            out["status"], out["headers"] = m["status"], m.get("headers", [])
        else:
            out["body"] += m.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], out["body"]


def paths(kind: str, rng: random.Random) -> str:
    return {
        "get_work": lambda: f"/works/{BASE_ID + rng.randrange(N_WORKS)}",
        "get_provenance": lambda: f"/works/{BASE_ID + rng.randrange(N_WORKS)}/provenance",
        "get_ill_request": lambda: f"/ill/requests/{ill_id(rng.randrange(N_ILL))}",
        "list_works": lambda: "/works?limit=50",
        "list_loans": lambda: f"/loans?limit=50&library=CN-CPU-{rng.randrange(len(LIBS))}",
        "list_ill": lambda: f"/ill/requests?limit=50&party=CN-CPU-{rng.randrange(len(LIBS))}",
    }[kind]()


KINDS = ["get_work", "get_provenance", "get_ill_request", "list_works", "list_loans", "list_ill"]


async def measure(apps: dict[str, Any], token: str) -> None:
    """Per endpoint: ``ROUNDS`` rounds of ``N_REQ // ROUNDS`` requests through each app, the apps
    alternating (which goes first swaps each round) so a change of load hits both alike; the
    figure is the median round."""
    per_round = max(1, N_REQ // ROUNDS)
    for kind in KINDS:
        cpu: dict[str, list[float]] = {k: [] for k in apps}
        walls: dict[str, list[float]] = {k: [] for k in apps}
        for label, app in apps.items():
            rng = random.Random(kind)
            for _ in range(50):
                await call(app, paths(kind, rng), token)
        for rnd in range(ROUNDS):
            order = list(apps) if rnd % 2 == 0 else list(reversed(apps))
            for label in order:
                rng = random.Random(rnd)
                c0 = time.process_time()
                for _ in range(per_round):
                    t = time.perf_counter()
                    status, _, _ = await call(apps[label], paths(kind, rng), token)
                    walls[label].append(time.perf_counter() - t)
                    assert status == 200, (kind, status)
                cpu[label].append(1000 * (time.process_time() - c0) / per_round)
        rng_a, rng_b, same = random.Random(2), random.Random(2), 0
        for _ in range(50):  # the same requests through both: byte-identical answers
            pa, pb = paths(kind, rng_a), paths(kind, rng_b)
            a, b = await call(apps["lean"], pa, token), await call(apps["fastapi"], pb, token)
            assert a == b, (kind, pa, a, b)
            same += 1
        figures = {k: {"cpu_ms_per_request": round(statistics.median(cpu[k]), 3), "cpu_rounds": [round(x, 2) for x in cpu[k]],
                       "wall_p50_ms": round(1000 * statistics.median(walls[k]), 3)} for k in apps}
        emit(f"api_cpu_{kind}", **figures, identical_answers=same, n=per_round * ROUNDS, unit="ms CPU per request (in-process, median round)",
             load=os.getloadavg())


def main() -> None:
    from api import tokens as tk
    from api.config import ApiSettings
    from api.main import create_app
    from api.runtime import Runtime
    from ledger.mirror.models import Member

    dbname = "libledger_apicpu_" + secrets.token_hex(4)
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(dbname)))
    dsn = ADMIN.rsplit("/", 1)[0] + "/" + dbname
    try:
        data = Path(tempfile.mkdtemp(prefix="libledger-apicpu-"))
        settings = ApiSettings(data_dir=data, database_url=dsn, rpc_url="http://127.0.0.1:9", keystore_password="bench")
        rt = Runtime.open(settings)
        with rt.writing() as s:
            for i, a in enumerate(LIBS):
                s.add(Member(account=a, institution_id=f"CN-CPU-{i}", name=f"library {i}", status="Active", admitted_block=1, admitted_at=1, block_number=1))
            s.commit()
            token, _ = tk.create(s, member="CN-CPU-0", account=LIBS[0], name="bench")
        t0 = time.perf_counter()
        info = load_mirror(dsn, LIBS, PUBS, n_works=N_WORKS, n_loans=N_LOANS, n_ill=N_ILL)
        emit("api_cpu_mirror_load", value=round(time.perf_counter() - t0, 1), unit="s", rows=info, note="COPY into the projections, not the indexer")
        apps = {"lean": create_app(settings, runtime=rt, start_indexer=False),
                "fastapi": create_app(ApiSettings(**{**settings.model_dump(), "fast_reads": False}), runtime=rt, start_indexer=False)}
        import uvloop

        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            kind, rng = os.environ["BENCH_PROFILE"], random.Random(3)
            label = os.environ.get("BENCH_PROFILE_APP", "lean")
            apps["lean"] = create_app(ApiSettings(**{**settings.model_dump(), "fast_reads_threads": 0}), runtime=rt, start_indexer=False)

            async def prof() -> None:
                for _ in range(50):
                    await call(apps[label], paths(kind, rng), token)
                pr = cProfile.Profile(time.process_time)
                pr.enable()
                for _ in range(N_REQ):
                    await call(apps[label], paths(kind, rng), token)
                pr.disable()
                pstats.Stats(pr).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(45)

            uvloop.run(prof())
        else:
            uvloop.run(measure(apps, token))
        rt.close()
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


if __name__ == "__main__":
    main()

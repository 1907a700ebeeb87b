"""Server time of the console's five busiest pages, on the `libledger demo` data and then on the
1M-record mirror of the API benchmark.

Starts the same stack as the console's tests (anvil + contracts + demo seed + the app with its
indexer) with its mirror in a fresh PostgreSQL database, signs in through the login form, then
times each page in-process with TestClient (no network: server time), with the in-process indexer
stopped once the mirror is caught up. Baseline in the same run: the API's JSON read of the same
data (e.g. /ill/requests for the ILL queue). Target: p95 ≤ 100 ms per page.

Then the payouts run of the demo's closed month, started from the console as the platform
(POST until its background thread is done), against ``reconcile`` + signing called directly, and
a publisher's signed PDF statement (served from the stored run) against the API's unsigned
``GET /royalties/statements``.

Then a second stack, its demo seeded 13 months ago (the chain's clock stays there), and
``bench/_mirror_data.py`` COPYs the big mirror into its database after it, in the chain's order
(higher ids and block numbers, later times) (100k works, 600k
loans + 400k ILL requests, spread over the last year, with their raw events, and 50k royalty
payments with accruals and monthly rollups): the demo library CN-330000-ZJL is one of 60 lending
libraries (~10k loans, ~830 licences) and one of 600 ILL libraries (~1.3k requests), the demo
publisher PUB-ZJRM one of 30 (~3.3k works, ~1.7k payments a year). The five pages are timed again
as those members. Env: LIBLEDGER_TEST_PG_URL (admin URL), BENCH_WORKS, BENCH_LOANS, BENCH_ILL,
BENCH_N (requests per page), BENCH_PARTS (default demo,payouts,big).
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from psycopg import sql  # noqa: E402

from bench._mirror_data import Activity, load_mirror  # noqa: E402
from bench._stack import emit  # noqa: E402
from tests.console.stack import AS, demo_month, demo_stack  # noqa: E402

N = int(os.environ.get("BENCH_N", 200))
ADMIN = os.environ.get("LIBLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
N_WORKS = int(os.environ.get("BENCH_WORKS", 100_000))
N_LOANS = int(os.environ.get("BENCH_LOANS", 600_000))
N_ILL = int(os.environ.get("BENCH_ILL", 400_000))
#: which parts run: demo (pages on the demo data), payouts, big (pages on the 1M-record mirror)
PARTS = set(os.environ.get("BENCH_PARTS", "demo,payouts,big").split(","))
WARMUP = 10
#: (name, role, console page, API baseline of the same data)
PAGES = [
    ("ill_queue", "library", "/console/ill", "/ill/requests?party=me&limit=200"),
    ("overview_charts", "library", "/console/", "/ill/requests?party=me&limit=200"),
    ("library_licences_loans", "library", "/console/library", "/licences?holder=CN-330000-ZJL&limit=200"),
    ("publisher_royalties", "publisher", "/console/royalties", "/royalties/balance"),
    ("platform_periods", "platform", "/console/platform", "/settlements?limit=12"),
]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(1000 * s[min(len(s) - 1, int(q * len(s)))], 2)


def timed(client: TestClient, path: str, headers: dict[str, str] | None = None) -> list[float]:
    for _ in range(WARMUP):
        client.get(path, headers=headers)
    out = []
    for _ in range(N):
        t0 = time.perf_counter()
        r = client.get(path, headers=headers)
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return out


def pages(stack: object, data: str) -> None:
    """Time the five pages (and each one's API baseline) as their members."""
    for name, role, page, api in PAGES:
        c = TestClient(stack.app)  # type: ignore[attr-defined]
        c.get("/console/login")
        token = stack.token(role)  # type: ignore[attr-defined]
        r = c.post("/console/login", data={"token": token, "csrf": c.cookies.get("ll_csrf")}, follow_redirects=False)
        assert r.status_code == 303, r.text
        v = timed(c, page)
        auth = {"Authorization": f"Bearer {token}"}
        b = timed(c, api, auth) if c.get(api, headers=auth).status_code == 200 else []
        emit(f"console_page_{name}", path=page, unit="ms", n=N, p50_ms=pct(v, 0.5), p95_ms=pct(v, 0.95),
             mean_ms=round(1000 * statistics.mean(v), 2), target_p95_ms=100, meets_target=pct(v, 0.95) <= 100,
             baseline=api, baseline_p50_ms=pct(b, 0.5) if b else None, baseline_p95_ms=pct(b, 0.95) if b else None,
             data=data, load=os.getloadavg())


def synthetic(prefix: int, n: int) -> list[str]:
    return ["0x%040x" % ((prefix << 140) + i) for i in range(n)]


@contextmanager
def pg_stack(**kw: Any) -> Iterator[tuple[Any, str]]:
    """The demo stack with its mirror in a fresh PostgreSQL database (dropped after), indexer
    stopped once caught up; yields (stack, database URL)."""
    dbname = "libledger_bench_console_" + secrets.token_hex(4)
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(dbname)))
    dsn = ADMIN.rsplit("/", 1)[0] + "/" + dbname
    try:
        with tempfile.TemporaryDirectory(prefix="libledger-bench-console-") as tmp, demo_stack(Path(tmp), database_url=dsn, **kw) as stack:
            # The mirror is caught up and nothing writes during the run: stop the in-process indexer so its
            # 50 ms polling loop (same GIL) does not add to the page times measured here.
            rt = stack.runtime
            if rt.indexer is not None:
                rt.indexer.stop()
                if rt.indexer_thread is not None:
                    rt.indexer_thread.join(timeout=10)
            yield stack, dsn
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def main() -> None:
    if PARTS & {"demo", "payouts"}:
        with pg_stack() as (stack, _):
            if "demo" in PARTS:
                pages(stack, "libledger demo (5 libraries, 3 publishers, 12 works, ILL in every status), PostgreSQL")
            if "payouts" in PARTS:
                payouts(stack, demo_month())
    if "big" not in PARTS:
        return
    # The chain's order holds in the mirror the pages read: this demo is seeded 13 months ago (its
    # clock stays there) and the synthetic year comes after it, with higher ids and block numbers
    # (loan ids and block times only grow, which the console's windows rely on).
    with pg_stack(at=time.time() - 400 * 86400, to_now=False) as (stack, dsn):
        rt = stack.runtime
        libs = [rt.address_of(AS["library"])] + synthetic(0xA, 59)
        ill_libs = [rt.address_of(AS["library"])] + synthetic(0xB, 599)
        pubs = [rt.address_of(AS["publisher"])] + synthetic(0xC, 29)
        t0 = time.perf_counter()
        info = load_mirror(dsn, libs, pubs, n_works=N_WORKS, n_loans=N_LOANS, n_ill=N_ILL,
                           activity=Activity(end=int(time.time()), ill_libs=tuple(ill_libs)))
        emit("console_mirror_load", value=round(time.perf_counter() - t0, 1), unit="s", rows=info, load=os.getloadavg(),
             note="synthetic rows COPYed straight into the PostgreSQL mirror (bench/_mirror_data.py), not through the indexer")
        pages(stack, f"1M-record mirror: {N_WORKS} works, {N_LOANS} loans, {N_ILL} ILL requests over the last year; "
                     f"{AS['library']} 1/{len(libs)} of loans, 1/{len(ill_libs)} ILL; {AS['publisher']} 1/{len(pubs)} of works")


RUNS = 5
DOWNLOADS = 20


def payouts(stack: object, month: str) -> None:
    """The platform's payouts run (POST → background run done) against the same reconcile + sign
    called directly; a publisher's signed PDF against the API's unsigned statements of the month."""
    from api.console.payouts_run import runs_of
    from api.services.statements import chain_info, platform_signing_key
    from ledger.payouts import reconcile
    from rights.periods import parse_period
    from rights.statement import payee_document, platform_document, sign

    rt = stack.runtime  # type: ignore[attr-defined]
    period = parse_period(month, "Asia/Shanghai")
    c = TestClient(stack.app)  # type: ignore[attr-defined]
    c.get("/console/login")
    c.post("/console/login", data={"token": stack.token("platform"), "csrf": c.cookies.get("ll_csrf")}, follow_redirects=False)  # type: ignore[attr-defined]
    key = platform_signing_key(rt)
    console_s, direct_s = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        r = c.post("/console/platform/payouts", data={"csrf": c.cookies.get("ll_csrf"), "month": month}, follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        run = runs_of(stack.app).get(month)  # type: ignore[attr-defined]
        run.thread.join()
        console_s.append(time.perf_counter() - t0)
        assert run.state == "done", run.error
        t0 = time.perf_counter()
        with rt.sessions() as session:
            res = reconcile(session, rt.chain, period)
        info = chain_info(rt, res)
        for ps in res.statements.payees.values():
            sign(payee_document(res.statements, ps, chain=info), key)
        sign(platform_document(res.statements, chain=info), key)
        direct_s.append(time.perf_counter() - t0)
    payees = len(run.summary["payees"])
    emit("console_payouts_run", period=month, unit="ms", n=RUNS, payees=payees, accounts_checked=run.summary["accounts_checked"],
         p50_ms=pct(console_s, 0.5), max_ms=round(1000 * max(console_s), 2),
         baseline="ledger.payouts.reconcile + rights.statement.sign called directly", baseline_p50_ms=pct(direct_s, 0.5))

    pub = TestClient(stack.app)  # type: ignore[attr-defined]
    pub.get("/console/login")
    pub.post("/console/login", data={"token": stack.token("publisher"), "csrf": pub.cookies.get("ll_csrf")}, follow_redirects=False)  # type: ignore[attr-defined]
    pdf, api = [], []
    auth = {"Authorization": f"Bearer {stack.token('publisher')}"}  # type: ignore[attr-defined]
    for _ in range(DOWNLOADS):
        t0 = time.perf_counter()
        r = pub.get(f"/console/royalties/statement/{month}.pdf")
        pdf.append(time.perf_counter() - t0)
        assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
        t0 = time.perf_counter()
        r = pub.get(f"/royalties/statements?period={month}", headers=auth)
        api.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text[:300]
    emit("console_statement_pdf", period=month, unit="ms", n=DOWNLOADS, p50_ms=pct(pdf, 0.5), p95_ms=pct(pdf, 0.95),
         note="served from the last payouts run's stored signed document (signature checked, net checked against the rollup)",
         baseline="GET /royalties/statements (same reconcile, unsigned JSON)", baseline_p50_ms=pct(api, 0.5), baseline_p95_ms=pct(api, 0.95))


if __name__ == "__main__":
    main()

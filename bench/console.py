"""Server time of the console's five busiest pages on the `libledger demo` data.

Starts the same stack as the console's tests (anvil + contracts + demo seed + the app with its
indexer), signs in through the login form, then times each page in-process with TestClient
(no network: server time), with the in-process indexer stopped once the mirror is caught up. Baseline in the same run: the API's JSON read of the same data
(e.g. /ill/requests for the ILL queue). Target: p95 ≤ 100 ms per page.

Then the payouts run of the demo's closed month, started from the console as the platform
(POST until its background thread is done), against ``reconcile`` + signing called directly, and
a publisher's signed PDF statement against the API's unsigned ``GET /royalties/statements``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from bench._stack import emit  # noqa: E402
from tests.console.stack import demo_month, demo_stack  # noqa: E402

N = 200
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


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="libledger-bench-console-") as tmp, demo_stack(Path(tmp)) as stack:
        # The mirror is caught up and nothing writes during the run: stop the in-process indexer so its
        # 50 ms polling loop (same GIL) does not add to the page times measured here.
        rt = stack.runtime
        if rt.indexer is not None:
            rt.indexer.stop()
            if rt.indexer_thread is not None:
                rt.indexer_thread.join(timeout=10)
        for name, role, page, api in PAGES:
            c = TestClient(stack.app)
            c.get("/console/login")
            r = c.post("/console/login", data={"token": stack.token(role), "csrf": c.cookies.get("ll_csrf")}, follow_redirects=False)
            assert r.status_code == 303, r.text
            v = timed(c, page)
            base_status = c.get(api, headers={"Authorization": f"Bearer {stack.token(role)}"}).status_code
            b = timed(c, api, {"Authorization": f"Bearer {stack.token(role)}"}) if base_status == 200 else []
            emit(f"console_page_{name}", path=page, unit="ms", n=N, p50_ms=pct(v, 0.5), p95_ms=pct(v, 0.95),
                 mean_ms=round(1000 * statistics.mean(v), 2), target_p95_ms=100, meets_target=pct(v, 0.95) <= 100,
                 baseline=api, baseline_p50_ms=pct(b, 0.5) if b else None, baseline_p95_ms=pct(b, 0.95) if b else None,
                 data="libledger demo (5 libraries, 3 publishers, 12 works, ILL in every status)")

        payouts(stack)


RUNS = 5
DOWNLOADS = 20


def payouts(stack: object) -> None:
    """The platform's payouts run (POST → background run done) against the same reconcile + sign
    called directly; a publisher's signed PDF against the API's unsigned statements of the month."""
    from api.console.payouts_run import runs_of
    from api.services.statements import chain_info, platform_signing_key
    from ledger.payouts import reconcile
    from rights.periods import parse_period
    from rights.statement import payee_document, platform_document, sign

    rt = stack.runtime  # type: ignore[attr-defined]
    month = demo_month()
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
    payees = len(run.result.payees)
    emit("console_payouts_run", period=month, unit="ms", n=RUNS, payees=payees, accounts_checked=run.result.reconciled.accounts_checked,
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
         baseline="GET /royalties/statements (same reconcile, unsigned JSON)", baseline_p50_ms=pct(api, 0.5), baseline_p95_ms=pct(api, 0.95))


if __name__ == "__main__":
    main()

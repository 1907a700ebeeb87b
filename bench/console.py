"""Server time of the console's five busiest pages on the `libledger demo` data.

Starts the same stack as the console's tests (anvil + contracts + demo seed + the app with its
indexer), signs in through the login form, then times each page in-process with TestClient
(no network: server time), with the in-process indexer stopped once the mirror is caught up. Baseline in the same run: the API's JSON read of the same data
(e.g. /ill/requests for the ILL queue). Target: p95 ≤ 100 ms per page.
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
from tests.console.stack import demo_stack  # noqa: E402

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


if __name__ == "__main__":
    main()

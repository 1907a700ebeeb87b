"""Prometheus metrics of the API process (own registry, so several apps in one process never clash)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("libledger_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "libledger_http_request_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
)
FAST_READS = Counter("libledger_fast_reads_total", "hot GETs answered on the lean path (api.fastpath), any status", ["route"], registry=REGISTRY)
INDEXER_LAG = Gauge("libledger_indexer_lag_blocks", "chain head minus mirror head", registry=REGISTRY)


class MetricsMiddleware:
    """Pure ASGI middleware: count and time every HTTP request by method, route template and status
    (no response wrapping, unlike ``@app.middleware("http")``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - t0)
            REQUESTS.labels(scope["method"], path, str(status)).inc()

"""Prometheus metrics of the API process (own registry, so several apps in one process never clash)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("libledger_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "libledger_http_request_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
)
INDEXER_LAG = Gauge("libledger_indexer_lag_blocks", "chain head minus mirror head", registry=REGISTRY)

"""``/health`` (chain, database, indexer lag) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from ledger.errors import LedgerError
from ledger.rpc import RpcError

from ..deps import RuntimeDep
from ..metrics import INDEXER_LAG, REGISTRY

router = APIRouter(tags=["health"])


@router.get("/health", summary="Chain reachable + head, database, indexer lag in blocks")
def health(rt: RuntimeDep, response: Response) -> dict[str, Any]:
    out: dict[str, Any] = {"status": "ok"}
    try:
        head = rt.chain.block_number()
        out["chain"] = {"reachable": True, "head": head, "chain_id": rt.chain.chain_id, "deployed": rt.chain.manifest is not None}
    except (LedgerError, RpcError, OSError) as exc:
        head = None
        out["chain"] = {"reachable": False, "error": str(exc)}
        out["status"] = "degraded"
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        mirror = rt.mirror_head()
        out["database"] = {"reachable": True, "dialect": rt.engine.dialect.name}
        lag = None if head is None or mirror is None else max(0, head - mirror)
        out["indexer"] = {"mirror_head": mirror, "lag_blocks": lag, "in_process": rt.indexer is not None, "error": rt.indexer_error}
        if lag is not None:
            INDEXER_LAG.set(lag)
        if rt.indexer_error or mirror is None:
            out["status"] = "degraded"
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        out["database"] = {"reachable": False, "error": str(exc).splitlines()[0]}
        out["status"] = "degraded"
    if out["status"] != "ok":
        response.status_code = 503
    return out


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

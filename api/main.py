"""The FastAPI app: ``create_app(settings)`` composes one router per resource; OpenAPI at /docs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import Engine

from . import problems
from .config import ApiSettings, api_settings
from .fastpath import FastReads
from .metrics import MetricsMiddleware
from .console import router as console_router
from .routes import audit, files, health, ill, licences, loans, members, royalties, settlements, terms, tx, works
from .runtime import Runtime

DESCRIPTION = """
The consortium's rights and interlibrary-loan ledger over HTTP.

* **Auth**: `Authorization: Bearer llt_...` (created with `libledger token create --member ISIL --name NAME`).
  Each token acts for one member; the service signs with that member's key from its encrypted keystore.
  Members who sign themselves send signed transactions to `POST /tx/raw`.
* **Writes** answer after the receipt *and* after the mirror shows the change (read-your-writes);
  `?wait=false` answers right after submission with the tx hash (202).
* **Reads** come from the SQL mirror of the chain and carry `as_of_block`.
  Lists use cursor pagination (`limit` ≤ 200, opaque `cursor`).
* **Money** is integer minor units with a currency (`{"amount": 1234, "currency": "CNY"}` = ¥12.34); times ISO 8601 UTC.
* **Errors** are `application/problem+json` (RFC 9457); a contract's refusal carries `error` (the Solidity
  custom error) and `args` (its values) and says what went wrong in `detail`.
"""


def create_app(settings: ApiSettings | None = None, *, engine: Engine | None = None, runtime: Runtime | None = None, start_indexer: bool | None = None) -> FastAPI:
    """The API for ``settings`` (environment + libledger.toml when None)."""
    settings = api_settings(settings)
    rt = runtime or Runtime.open(settings, engine=engine)
    run_indexer = settings.run_indexer if start_indexer is None else start_indexer

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_indexer and rt.indexer is None:
            rt.start_indexer()
        yield
        if runtime is None:
            rt.close()

    app = FastAPI(
        title="libledger API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
        openapi_tags=[{"name": n} for n in ("members", "works", "terms", "licences", "loans", "interlibrary loan", "settlements", "royalties", "audit", "transactions", "health")],
    )
    app.state.runtime = rt
    problems.install(app)

    if settings.fast_reads:  # inside the metrics middleware: its requests are counted like the routes'
        app.add_middleware(FastReads, runtime=rt, threads=settings.fast_reads_threads)
    app.add_middleware(MetricsMiddleware)

    for r in (members, files, works, terms, licences, loans, ill, settlements, royalties, audit, tx, health):
        app.include_router(r.router)
    app.include_router(console_router)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` / several workers: settings from environment + libledger.toml."""
    return create_app(api_settings())

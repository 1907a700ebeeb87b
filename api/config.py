"""Settings of the API service: libledger's installation settings plus what only the service needs.

Same sources as ``ledger.config.Settings`` (``LIBLEDGER_*`` environment, ``libledger.toml``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ledger.config import ChainProfile
from ledger.config import Settings as LedgerSettings


class ApiSettings(LedgerSettings):
    """``ledger.config.Settings`` + the service's own knobs (env ``LIBLEDGER_API_*`` style names)."""

    currency: str = Field("CNY", description="ISO 4217 code of the consortium credit (2 decimals: fen)")
    write_wait_timeout: float = Field(30.0, description="seconds a write waits for the mirror to reach its block")
    page_limit_default: int = Field(50, ge=1, le=200)
    page_limit_max: int = Field(200, ge=1, le=200)
    run_indexer: bool = Field(False, description="run the indexer loop inside the API process")
    token_cache_seconds: float = Field(5.0, description="how long a verified token is trusted without a lookup")
    fast_reads: bool = Field(True, description="answer the six hot GETs on the lean path (api.fastpath) instead of the FastAPI routes")
    fast_reads_threads: int = Field(8, ge=0, le=64, description="worker threads of the lean path's reads (0: on the event loop)")
    key_passphrase: str | None = Field(
        None, description="passphrase of the platform's X25519 key file (env LIBLEDGER_KEY_PASSPHRASE), to sign statements in the service"
    )
    max_amount: int = Field(10**13, description="largest amount (fen) accepted in any request: ¥100bn")


def api_settings(base: LedgerSettings | None = None, **overrides: Any) -> ApiSettings:
    """ApiSettings from environment + libledger.toml, or built on an existing ledger ``Settings``."""
    if base is None:
        return ApiSettings(**{k: v for k, v in overrides.items() if v is not None})
    if isinstance(base, ApiSettings) and not overrides:
        return base
    data = base.model_dump()
    data.update({k: v for k, v in overrides.items() if v is not None})
    return ApiSettings(**data)


def platform_key_passphrase(settings: LedgerSettings) -> str | None:
    """The passphrase of the platform's X25519 key file: ``LIBLEDGER_KEY_PASSPHRASE`` when set;
    on a ``dev`` chain (make run) the keystore's own password, so the demo signs statements and
    seals uploads out of the box; on ``qbft`` nothing (the key stays unusable until it is set)."""
    explicit = getattr(settings, "key_passphrase", None)
    if explicit:
        return explicit
    if settings.chain_profile != ChainProfile.dev:
        return None
    from ledger import accounts

    return accounts.password(settings)

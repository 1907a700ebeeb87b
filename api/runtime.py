"""What one API process holds: settings, the chain connection, the mirror engine, cached signers
and (optionally) the indexer loop running in a background thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger import accounts, keystore
from ledger import manifest as manifests
from ledger.chain import Chain
from ledger.errors import KeystoreError
from ledger.mirror.db import head_block, make_engine, session_factory

from . import tokens
from .config import ApiSettings
from .problems import Problem

log = logging.getLogger("api")


@dataclass
class Runtime:
    settings: ApiSettings
    chain: Chain
    engine: Engine
    sessions: sessionmaker[Session]
    _signers: dict[str, LocalAccount] = field(default_factory=dict)
    _signer_lock: threading.Lock = field(default_factory=threading.Lock)
    indexer: Any = None
    indexer_thread: threading.Thread | None = None
    indexer_error: str | None = None
    _token_cache: dict[str, tuple[float, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: ApiSettings, *, engine: Engine | None = None) -> "Runtime":
        man = manifests.load(settings.manifest_path) if settings.manifest_path.exists() else None
        if engine is None:
            pg = not settings.mirror_url.startswith("sqlite")
            # the threadpool runs up to 40 requests at once: give readers enough connections. No ping per
            # checkout (a round trip per request): a dropped connection fails one request and SQLAlchemy
            # then invalidates the whole pool; recycle connections every 30 min.
            extra = {"pool_size": 20, "max_overflow": 20, "pool_pre_ping": False, "pool_recycle": 1800} if pg else {}
            engine = make_engine(settings.mirror_url, **extra)
        # PostgreSQL readers in autocommit: each statement sees the latest commit, exactly as under
        # READ COMMITTED, without a BEGIN and a ROLLBACK round trip per request (the pool is shared)
        readers = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
        rt = cls(settings=settings, chain=Chain(settings, man), engine=engine, sessions=session_factory(readers))
        rt.prepare_schema()
        return rt

    def prepare_schema(self) -> None:
        """Mirror schema (Alembic, the indexer's migrations) + the API's own tables and indexes."""
        from ledger.mirror.db import upgrade

        upgrade(self.engine)
        tokens.ensure_schema(self.engine)

    # ------------------------------------------------------------------ signers

    def signer(self, name: str) -> LocalAccount:
        """The decrypted key of member ``name`` (ISIL), cached for the life of the process."""
        with self._signer_lock:
            acct = self._signers.get(name)
            if acct is None:
                try:
                    acct = accounts.signer(self.settings, name, create=False)
                except KeystoreError as exc:
                    raise Problem(
                        409, "no-custodial-key", "No key in this service's keystore",
                        f"{exc}; members without a key here submit signed transactions to POST /tx/raw",
                    ) from None
                self._signers[name] = acct
            return acct

    def address_of(self, name: str) -> str:
        return keystore.address_of(self.settings.keystore_path, name)

    # ------------------------------------------------------------------ mirror

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for the API's own tables; on SQLite it takes the write lock up front
        (BEGIN IMMEDIATE) so it waits for the indexer instead of failing with "database is locked"."""
        with self.engine.connect() as conn:
            conn.info["writer"] = True
            try:
                with Session(bind=conn, expire_on_commit=False) as s:
                    yield s
            finally:
                conn.info.pop("writer", None)

    def mirror_head(self) -> int | None:
        """The mirror's head block, read now (and noted for the reads' ``as_of_block`` cache)."""
        from .services.reads.common import remember_head

        with self.sessions() as s:
            head = head_block(s)
            remember_head(s, head)
            return head

    def wait_for_block(self, block: int, *, timeout: float | None = None) -> int | None:
        """Poll the mirror until it holds ``block``; returns its head (None if it never got there)."""
        deadline = time.monotonic() + (self.settings.write_wait_timeout if timeout is None else timeout)
        delay = 0.005
        while True:
            head = self.mirror_head()
            if head is not None and head >= block:
                return head
            if time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    # ------------------------------------------------------------------ indexer in-process

    def start_indexer(self) -> None:
        from ledger.mirror.indexer import Indexer

        if self.chain.manifest is None:
            log.warning("no deployment manifest: the indexer does not start")
            return
        self.indexer = Indexer(self.settings, self.chain.manifest, self.engine, poll_interval=0.05)

        def run() -> None:
            try:
                self.indexer.run()
            except Exception as exc:  # reported by /health
                self.indexer_error = str(exc)
                log.exception("indexer stopped")

        self.indexer_thread = threading.Thread(target=run, name="indexer", daemon=True)
        self.indexer_thread.start()

    def close(self) -> None:
        if self.indexer is not None:
            self.indexer.stop()
            if self.indexer_thread is not None:
                self.indexer_thread.join(timeout=10)
        self.chain.close()
        self.engine.dispose()

"""Engines for the mirror and the small read API the service layer builds on.

SQLite (the embedded default) runs in WAL mode so readers never block the one writer;
PostgreSQL is reached through psycopg 3 (``postgresql+psycopg://``). Both behind one interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..config import REPO_ROOT
from .models import Checkpoint

MIGRATIONS_DIR = REPO_ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Any PostgreSQL spelling (postgres://, postgresql://) as ``postgresql+psycopg://``."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(engine_or_url: Engine | Connection | str) -> bool:
    """Whether the mirror behind an engine, a connection (a session's bind) or a URL is SQLite."""
    if isinstance(engine_or_url, Connection):
        engine_or_url = engine_or_url.engine
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(normalize_url(engine_or_url))
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the mirror at ``url``. SQLite: WAL, busy timeout, foreign keys on."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's BEGIN reach SQLite (pysqlite's own transaction handling is off).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash never corrupts, at most loses the last commit
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for readers of the mirror (the API): no expiry on commit, plain ORM objects."""
    return sessionmaker(engine, expire_on_commit=False)


def head_block(session: Session) -> int | None:
    """The last block fully mirrored (for ``as_of_block``), or None before the first batch."""
    return session.scalar(select(Checkpoint.block_number).where(Checkpoint.id == 1))


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.attributes["url"] = normalize_url(url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the mirror's schema to ``revision`` (Alembic), on this engine."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], *, sqlite_or_ignore: bool = False) -> None:
    """Bulk-insert ``rows`` (tuples in ``columns`` order) on the caller's transaction, through the
    driver's own bulk path: ``COPY`` on PostgreSQL, one ``executemany`` INSERT on SQLite
    (``INSERT OR IGNORE`` with ``sqlite_or_ignore``). Plain table and column names, so migrations
    can use it before the models match the database."""
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        cur.close()
    else:
        verb = "INSERT OR IGNORE" if sqlite_or_ignore else "INSERT"
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"{verb} INTO {table} ({cols}) VALUES ({marks})", rows)  # type: ignore[arg-type]

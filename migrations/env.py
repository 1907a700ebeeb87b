"""Alembic environment of the mirror (and of the API's tables in the same database): URL from
``-x url=...``, a connection handed in by ``ledger.mirror.db.upgrade``, or libledger's settings.
SQLite runs in batch mode."""

from __future__ import annotations

from alembic import context

from api.models import ApiBase
from ledger.mirror.models import Base

config = context.config
#: the mirror's tables and the API's own (``api_*``), both in the mirror's database
target_metadata = [Base.metadata, ApiBase.metadata]


def _url() -> str:
    from ledger.mirror.db import normalize_url

    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url")
    if not url:
        from ledger.config import load_settings

        url = load_settings().mirror_url
    return normalize_url(url)


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    url = _url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from ledger.mirror.db import make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

"""The SQL mirror of the chain: models, migrations, the indexer loop and its projections.

Layout (Ponder-style): ``models`` (tables), ``db`` (engines and the read API), ``indexer`` (the
one loop: backfill then follow), ``handlers/`` (one module per contract, handlers keyed
``"Contract:Event"``), ``store`` (the batch-buffered projection store handlers write to),
``rollback`` (fork detection and rewind), ``lock`` (one writer at a time), ``check``
(``mirror check``), ``cli`` (Typer commands).
"""

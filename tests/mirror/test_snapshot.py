"""ledger.mirror.snapshot: a multi-statement read (the payout reconciliation) sees one state of
the mirror while the indexer commits, also from the API's autocommit readers on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ledger.mirror.db import make_engine, upgrade
from ledger.mirror.models import Block
from ledger.mirror.snapshot import one_snapshot, started_beside


def _block(n: int) -> dict:
    return {"number": n, "hash": "0x%064x" % n, "parent_hash": "0x%064x" % (n - 1), "timestamp": 1_700_000_000 + n}


def test_one_snapshot_keeps_its_state_while_the_indexer_commits(mirror_url):
    engine = make_engine(mirror_url)
    try:
        upgrade(engine)
        with engine.begin() as c:
            c.execute(insert(Block), [_block(1)])
        readers = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
        count = select(func.count()).select_from(Block)
        with Session(readers) as api_session, one_snapshot(api_session) as snap:
            assert snap.execute(count).scalar() == 1
            with engine.begin() as c:  # the indexer commits a block in between two legs
                c.execute(insert(Block), [_block(2)])
            assert snap.execute(count).scalar() == 1
            if engine.dialect.name == "postgresql":  # a side leg shares the snapshot
                assert started_beside(snap, lambda conn: conn.execute(count).scalar())() == 1
                assert api_session.execute(count).scalar() == 2  # the autocommit reader itself moved on
        with Session(engine) as s:
            assert s.execute(count).scalar() == 2
    finally:
        engine.dispose()

"""The API's near-duplicate index (``mirror_index``) holds every registered work of the mirror,
not only the newest ones; codes that are not ISCC Content-Codes are left out."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.services.registration import mirror_index
from ledger.mirror import db as mirror_db
from ledger.mirror.models import Work
from ledger.registration import iscc_bytes
from rights.fingerprint import text_code
from rights.similarity import code_body


def _row(work_id: int, iscc_hex: str) -> dict:
    return dict(work_id=work_id, content_hash="0x" + f"{work_id:064x}", iscc_code=iscc_hex, metadata_uri="ipfs://x",
                holder="0x" + "ab" * 20, status="Active", payee_count=1, last_dispute_id=0, revoked_to=None,
                registered_block=work_id, registered_at=work_id, registered_tx="0x" + f"{work_id:064x}", block_number=work_id)


def test_every_registered_work_is_in_the_index(tmp_path):
    engine = mirror_db.make_engine(f"sqlite:///{tmp_path / 'mirror.sqlite'}")
    mirror_db.upgrade(engine)
    oldest = text_code("the oldest book of the consortium, registered long before the others " * 30)
    rows = [_row(1, "0x" + iscc_bytes(oldest).hex())]
    rows += [_row(w, "0x2001" + f"{(w * 0x9E3779B97F4A7C15) & (2**64 - 1):016x}") for w in range(2, 7002)]  # 7,000 newer works
    rows += [_row(7002, "0x" + "ff" * 16), _row(7003, "0x" + "2001abcd")]  # not a 64-bit Content-Code
    with engine.begin() as conn:
        conn.execute(insert(Work), rows)
    with Session(engine) as session:
        index = mirror_index(session)
    assert len(index) == 7001
    assert ("1", 0) in index.near(code_body(oldest), 0)  # the oldest work, behind 7,000 newer ones
    engine.dispose()

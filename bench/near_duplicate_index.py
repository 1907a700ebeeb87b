"""Building the API's near-duplicate index from the mirror (``api.services.registration.mirror_index``),
which registration and the console's upload check run once per file.

    python bench/near_duplicate_index.py [--works 100000] [--repeat 3]

A SQLite mirror (file, migrated) is filled with N works whose ISCC is a 64-bit Content-Code;
prints one JSON line per figure: the build time of ``mirror_index`` (one query of (id, code)
pairs, header fast path, bulk load), and as the same-run baseline the way it was built before
(ORM rows, iscc-core decode per code, one ``add`` per work).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from api.services.registration import _content_body, mirror_index  # noqa: E402
from ledger.mirror import db as mirror_db  # noqa: E402
from ledger.mirror.models import Work  # noqa: E402
from rights.similarity import NearDuplicateIndex  # noqa: E402


def _row(work_id: int) -> dict:
    h = f"{work_id:064x}"
    return dict(work_id=work_id, content_hash="0x" + h, iscc_code="0x2001" + f"{(work_id * 0x9E3779B97F4A7C15) & (2**64 - 1):016x}",
                metadata_uri="ipfs://x", holder="0x" + "ab" * 20, status="Active", payee_count=1, last_dispute_id=0, revoked_to=None,
                registered_block=work_id, registered_at=work_id, registered_tx="0x" + h, block_number=work_id)


def baseline(session: Session) -> NearDuplicateIndex:
    """The per-row build: ORM rows, iscc-core decode of each code, one add per work."""
    index = NearDuplicateIndex()
    for work_id, iscc in session.execute(select(Work.work_id, Work.iscc_code)).all():
        body = _content_body(iscc)
        if body is not None:
            index.add(str(work_id), body)
    return index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        engine = mirror_db.make_engine(f"sqlite:///{d}/mirror.sqlite")
        mirror_db.upgrade(engine)
        with engine.begin() as conn:
            for lo in range(1, args.works + 1, 10_000):
                conn.execute(insert(Work), [_row(w) for w in range(lo, min(args.works, lo + 9_999) + 1)])
        times: dict[str, list[float]] = {"new": [], "base": []}
        for _ in range(args.repeat):
            for name, build in (("new", mirror_index), ("base", baseline)):
                with Session(engine) as s:
                    t = time.perf_counter()
                    idx = build(s)
                    times[name].append(time.perf_counter() - t)
                assert len(idx) == args.works
        engine.dispose()
    print(json.dumps({"bench": "mirror_index_build", "value": round(statistics.median(times["new"]), 3), "unit": "s (median)",
                      "baseline": round(statistics.median(times["base"]), 3),
                      "baseline_what": "per-row build: ORM rows, iscc-core decode, one add per work",
                      "works": args.works, "repeat": args.repeat, "loadavg": open("/proc/loadavg").read().split()[:3]}))


if __name__ == "__main__":
    main()

"""The benchmarks' big read mirror: synthetic rows COPYed straight into a PostgreSQL mirror's
projection tables (works, work_payees, licences, digital_loans, ill_requests, ill_transitions)
plus the raw_events / record_events / blocks rows that provenance reads list (two events per
work). Not built through the indexer from chain data. Shared by ``bench/api.py`` (its defaults:
the data it has always loaded) and ``bench/console.py`` (with ``activity``: record times spread
over the last year, ILL in every status, the chain's raw events of loans / ILL / royalty payments,
and royalty accruals with their monthly rollups, so the console's charts and statements have
something to show).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg import sql

BASE_ID = 10_000_000  # synthetic ids start here, far from the real ones written first
BASE_BLOCK = 10_000_000  # synthetic block numbers, far above the real chain's
TS0 = 1_800_000_000  # synthetic block times (unix seconds) without ``activity``


def copy_rows(conn: psycopg.Connection, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    """COPY ``rows`` (dicts by column name) into ``table`` (a SQLAlchemy Table); returns the count."""
    cols = [c.name for c in table.columns]
    n = 0
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, cols)))) as cp:
        for r in rows:
            cp.write_row([r[c] for c in cols])
            n += 1
    return n


def ill_id(i: int) -> int:
    """Synthetic 96-bit request ids (the contract's ids are the top 96 bits of a hash)."""
    return 2**95 + i * 7919


#: ISO 18626 statuses in the order of the contract's enum (index 0 is "none")
ILL_STATUS = ("None", "RequestReceived", "ExpectToSupply", "WillSupply", "Loaned", "Overdue", "Recalled", "RetryPossible",
              "Unfilled", "CopyCompleted", "LoanCompleted", "CompletedWithoutReturn", "Cancelled")


@dataclass(frozen=True)
class Activity:
    """Spread the records over ``[end - days, end)`` (unix seconds) with one synthetic block per
    ``block_seconds``, and add what the console reads besides the projections: raw events of
    checkouts, ILL status changes and royalty payments; royalty accruals and rollups (each licence
    is one payment of ``price`` fen: ``fee_bps`` to ``fee_recipient``, the rest to the work's holder)."""

    end: int
    days: int = 365
    block_seconds: int = 60
    price: int = 10_000
    fee_bps: int = 1_000
    fee_recipient: str = "0x" + "fe" * 20
    ill_libs: tuple[str, ...] = ()  # ILL parties (default: the loans' libraries)

    @property
    def start(self) -> int:
        return self.end - self.days * 86400

    def at(self, i: int, n: int) -> int:
        """Time of record ``i`` of ``n`` (evenly spread, oldest first)."""
        return self.start + (self.end - self.start) * i // max(n, 1)

    def block(self, ts: int) -> int:
        return BASE_BLOCK + (ts - self.start) // self.block_seconds

    def block_time(self, b: int) -> int:
        return self.start + (b - BASE_BLOCK) * self.block_seconds


def load_mirror(dsn: str, libs: list[str], pubs: list[str], *, n_works: int = 100_000, n_loans: int = 600_000, n_ill: int = 400_000,
                activity: Activity | None = None) -> dict[str, int]:
    """COPY synthetic rows into the projections (+ raw/record events and blocks for provenance).
    Works go round-robin to ``pubs``, licences and loans to ``libs``; returns rows per table."""
    from ledger.mirror.models import (
        Block, DigitalLoan, IllRequest, IllTransition, Licence, RawEvent, RecordEvent, RoyaltyAccrual, RoyaltyRollup, Work, WorkPayee,
    )

    rng = random.Random(7)
    first_block, per_block = BASE_BLOCK, 200
    n_licences = max(1, n_loans // 12)
    counts: dict[str, int] = {}
    act = activity
    ill_libs = list(act.ill_libs) if act and act.ill_libs else libs

    def blk(i: int) -> int:
        return first_block + i // per_block

    def work_at(i: int) -> int:
        return act.block_time(blk(2 * i)) if act else TS0 + i

    def works() -> Iterator[dict[str, Any]]:
        for i in range(n_works):
            wid = BASE_ID + i
            yield {"work_id": wid, "content_hash": "0x%064x" % wid, "iscc_code": "0x%032x" % rng.getrandbits(128), "metadata_uri": f"ipfs://bench/{wid}",
                   "holder": pubs[i % len(pubs)], "status": "Active", "payee_count": 1, "last_dispute_id": 0, "revoked_to": None,
                   "registered_block": blk(2 * i), "registered_at": work_at(i), "registered_tx": "0x%064x" % (2 * i), "block_number": blk(2 * i + 1)}

    def payees() -> Iterator[dict[str, Any]]:
        for i in range(n_works):
            yield {"work_id": BASE_ID + i, "position": 0, "payee": pubs[i % len(pubs)], "bps": 10000, "block_number": blk(2 * i + 1)}

    def work_events() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for i in range(n_works):
            wid, holder = BASE_ID + i, pubs[i % len(pubs)]
            for j, (event, args) in enumerate((
                ("WorkRegistered", {"workId": wid, "contentHash": "0x%064x" % wid, "holder": holder, "isccCode": "0x%032x" % i, "metadataURI": f"ipfs://bench/{wid}"}),
                ("PayeesSet", {"workId": wid, "payees": [holder], "bps": [10000]}),
            )):
                k = 2 * i + j
                b, li = blk(k), k % per_block
                raw = {"block_hash": "0x%064x" % b, "log_index": li, "block_number": b, "tx_hash": "0x%064x" % k, "tx_index": 0,
                       "address": "0x" + "00" * 20, "contract": "Works", "event": event, "args": json.dumps(args), "topics": "", "data": "0x"}
                yield raw, {"record_kind": "work", "record_id": wid, "block_number": b, "log_index": li}

    def blocks() -> Iterator[dict[str, Any]]:
        last = act.block(act.end) if act else blk(2 * n_works)
        for b in range(first_block, max(last, blk(2 * n_works)) + 1):
            ts = act.block_time(b) if act else TS0 + (b - first_block) * 2
            yield {"number": b, "hash": "0x%064x" % b, "parent_hash": "0x%064x" % (b - 1), "timestamp": ts}

    def lic_at(i: int) -> int:
        return act.at(i, n_licences) if act else TS0

    def licences() -> Iterator[dict[str, Any]]:
        for i in range(n_licences):
            b = act.block(lic_at(i)) if act else BASE_BLOCK
            yield {"licence_id": BASE_ID + i, "holder": libs[i % len(libs)], "work_id": BASE_ID + i % n_works, "terms_id": 1, "copies": 5,
                   "active_loans": 0, "total_loans": 12, "ill_loans": 0, "valid_until": 0, "gross_paid": act.price if act else 10_000, "pool_id": 0,
                   "subsidy": 0, "acquired_block": b, "acquired_at": lic_at(i), "acquired_tx": "0x%064x" % i, "block_number": b}

    def loan_at(i: int) -> tuple[int, int]:
        if act:
            ts = act.at(i, n_loans)
            return ts, act.block(ts)
        return TS0 + i, BASE_BLOCK + i // 50

    def loans() -> Iterator[dict[str, Any]]:
        for i in range(n_loans):
            lic = i % n_licences
            ts, b = loan_at(i)
            yield {"loan_id": BASE_ID + i, "licence_id": BASE_ID + lic, "library": libs[lic % len(libs)], "ref": "0x%064x" % i,
                   "due_at": ts + 14 * 86400 if act else TS0 + 14 * 86400, "charge": 0, "status": "Returned" if i % 3 else "Active",
                   "checked_out_block": b, "checked_out_at": ts, "checked_out_tx": "0x%064x" % i, "closed_by": None, "closed_at": None, "block_number": b}

    def ill_at(i: int) -> tuple[int, int, int]:
        """(requested_at, requested_block, block of the last transition)"""
        if act:
            ts = act.at(i, n_ill)
            return ts, act.block(ts), act.block(ts) + 1
        return TS0 + i, BASE_BLOCK + i // 20, BASE_BLOCK + i // 20 + 1

    def ill_status(i: int) -> str:
        return ILL_STATUS[1 + i % (len(ILL_STATUS) - 1)] if act else "WillSupply"

    def ill() -> Iterator[dict[str, Any]]:
        for i in range(n_ill):
            req, sup = ill_libs[i % len(ill_libs)], ill_libs[(i + 1) % len(ill_libs)]
            ts, b, last = ill_at(i)
            yield {"request_id": ill_id(i), "requester": req, "supplier": sup, "borrower": req, "own_id": "0x%064x" % i, "status": ill_status(i),
                   "service": "Loan", "item_kind": "Bibliographic", "item": "0x%064x" % i, "max_cost": 1000, "need_before": 0,
                   "due_date": ts + 30 * 86400 if act else 0,
                   "cancel_pending": False, "renew_pending": False, "received": False, "return_shipped": False, "lost_reported": False,
                   "found": False, "licence_id": 0, "retry_of": 0, "lending_charged": 0, "lending_refunded": 0, "replacement_charged": 0,
                   "replacement_refunded": 0, "requested_block": b, "requested_at": ts, "requested_tx": "0x%064x" % i, "block_number": last}

    def transitions() -> Iterator[dict[str, Any]]:
        for i in range(n_ill):
            ts, _b, last = ill_at(i)
            yield {"block_number": last, "log_index": i % 20 if not act else i, "tx_hash": "0x%064x" % i,
                   "block_timestamp": act.block_time(last) if act else TS0 + i,
                   "request_id": ill_id(i), "event": "StatusChanged", "actor": ill_libs[(i + 1) % len(ill_libs)], "from_status": "RequestReceived",
                   "to_status": ill_status(i), "applied": True, "action": None, "accepted": None, "reason_scheme": 0, "reason_code": 0,
                   "due_date": 0, "forward_to": None, "amount": None}

    # ---- with ``activity``: the chain's raw events of the same records, royalty accruals + rollups

    def raw(b: int, li: int, tx: int, contract: str, event: str, args: dict[str, Any]) -> dict[str, Any]:
        return {"block_hash": "0x%064x" % b, "log_index": li, "block_number": b, "tx_hash": "0x%064x" % tx, "tx_index": 0,
                "address": "0x" + "00" * 20, "contract": contract, "event": event, "args": json.dumps(args), "topics": "", "data": "0x"}

    def activity_events() -> Iterator[dict[str, Any]]:
        assert act is not None
        for i in range(n_loans):
            ts, b = loan_at(i)
            lic = i % n_licences
            yield raw(b, 1_000_000 + i, 1_000_000 + i, "Licensing", "LoanCheckedOut",
                      {"loanId": BASE_ID + i, "licenceId": BASE_ID + lic, "library": libs[lic % len(libs)], "dueAt": ts + 14 * 86400})
        for i in range(n_ill):
            _ts, _b, last = ill_at(i)
            yield raw(last, 2_000_000 + i, 2_000_000 + i, "InterlibraryLoan", "StatusChanged",
                      {"requestId": str(ill_id(i)), "from": 1, "to": ILL_STATUS.index(ill_status(i))})
        for i in range(n_licences):
            fee = act.price * act.fee_bps // 10_000
            b = act.block(lic_at(i))
            holder = pubs[(i % n_works) % len(pubs)]
            yield raw(b, 3_000_000 + i, 3_000_000 + i, "Royalties", "RoyaltyPaid",
                      {"workId": BASE_ID + i % n_works, "payer": libs[i % len(libs)], "gross": act.price, "fee": fee,
                       "feeRecipient": act.fee_recipient, "payees": [holder], "nets": [act.price - fee]})

    rollups: dict[tuple[int, str, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def accruals() -> Iterator[dict[str, Any]]:
        assert act is not None
        fee = act.price * act.fee_bps // 10_000
        for i in range(n_licences):
            ts = lic_at(i)
            b = act.block(ts)
            work = BASE_ID + i % n_works
            month = int(datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m"))
            for seq, (account, kind, net) in enumerate(((pubs[(i % n_works) % len(pubs)], "paid", act.price - fee), (act.fee_recipient, "fee", fee))):
                r = rollups[(month, account, work, kind)]
                r[0] += net
                r[1] += act.price
                r[2] += 1
                yield {"block_number": b, "log_index": 3_000_000 + i, "seq": seq, "tx_hash": "0x%064x" % (3_000_000 + i), "block_timestamp": act.block_time(b),
                       "work_id": work, "terms_id": 1, "ref_kind": "Licence", "ref_id": BASE_ID + i, "payer": libs[i % len(libs)],
                       "account": account, "gross": act.price, "fee": fee, "net": net, "kind": kind}

    with psycopg.connect(dsn) as conn:
        counts["works"] = copy_rows(conn, Work.__table__, works())
        counts["work_payees"] = copy_rows(conn, WorkPayee.__table__, payees())
        pairs = list(work_events())
        counts["raw_events"] = copy_rows(conn, RawEvent.__table__, (r for r, _ in pairs))
        counts["record_events"] = copy_rows(conn, RecordEvent.__table__, (e for _, e in pairs))
        del pairs
        counts["blocks"] = copy_rows(conn, Block.__table__, blocks())
        counts["licences"] = copy_rows(conn, Licence.__table__, licences())
        counts["digital_loans"] = copy_rows(conn, DigitalLoan.__table__, loans())
        counts["ill_requests"] = copy_rows(conn, IllRequest.__table__, ill())
        counts["ill_transitions"] = copy_rows(conn, IllTransition.__table__, transitions())
        if act is not None:
            counts["raw_events"] += copy_rows(conn, RawEvent.__table__, activity_events())
            counts["royalty_accruals"] = copy_rows(conn, RoyaltyAccrual.__table__, accruals())
            counts["royalty_rollups"] = copy_rows(conn, RoyaltyRollup.__table__, (
                {"month": m, "account": a, "work_id": w, "kind": k, "net": v[0], "gross": v[1], "accruals": v[2]} for (m, a, w, k), v in rollups.items()))
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    return counts

"""Audit bundles: every relevant event of a work, a library or a period as self-contained JSON,
and their verification against any node — without trusting the API or the mirror.

A bundle lists events with block number, block hash, tx hash, log index, emitting address, the
raw topics and data, and the decoded arguments. ``verify_bundle`` re-fetches each transaction's
receipt from the node it is given and confirms the log is there unchanged, in the block named,
and that the decoded arguments are what the raw log says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from rights.periods import Period

from .bindings import load_artifact
from .errors import LedgerError
from .manifest import Manifest
from .mirror.models import Block, RawEvent
from .rpc import Rpc, RpcError

FORMAT = "libledger.audit-bundle/v1"
RECEIPT_BATCH = 50


class BundleInvalid(LedgerError):
    """A file that is not a readable audit bundle."""


def _json_arg_values(args: Any) -> Iterable[Any]:
    if isinstance(args, dict):
        for v in args.values():
            yield from _json_arg_values(v)
    elif isinstance(args, list):
        for v in args:
            yield from _json_arg_values(v)
    else:
        yield args


def _event_json(ev: RawEvent, ts: int | None) -> dict[str, Any]:
    return {
        "block_number": ev.block_number,
        "block_hash": ev.block_hash,
        "block_time": datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z") if ts is not None else None,
        "tx_hash": ev.tx_hash,
        "log_index": ev.log_index,
        "address": ev.address,
        "contract": ev.contract,
        "event": ev.event,
        "args": ev.args,
        "topics": ev.topics.split(",") if ev.topics else [],
        "data": ev.data,
    }


def _all_events(session: Session, period: Period | None = None) -> list[tuple[RawEvent, int]]:
    q = select(RawEvent, Block.timestamp).join(Block, Block.number == RawEvent.block_number)
    if period is not None:
        q = q.where(Block.timestamp >= period.start, Block.timestamp < period.end)
    return list(session.execute(q.order_by(RawEvent.block_number, RawEvent.log_index)).all())


def select_work(rows: list[tuple[RawEvent, int]], work_id: int) -> list[tuple[RawEvent, int]]:
    """Events of a work: its registry events, terms offers, licences, payments, loans of its licences."""
    licences: set[int] = set()
    for ev, _ in rows:
        a = ev.args or {}
        if ev.event == "LicenceAcquired" and int(a.get("workId", -1)) == work_id:
            licences.add(int(a["licenceId"]))
    out = []
    for ev, ts in rows:
        a = ev.args or {}
        if "workId" in a and int(a["workId"]) == work_id:
            out.append((ev, ts))
        elif "licenceId" in a and int(a["licenceId"]) in licences:
            out.append((ev, ts))
    return out


def select_account(rows: list[tuple[RawEvent, int]], account: str) -> list[tuple[RawEvent, int]]:
    """Events naming ``account`` in any argument (a library's whole trail)."""
    acct = account.lower()
    return [(ev, ts) for ev, ts in rows if any(isinstance(v, str) and v.lower() == acct for v in _json_arg_values(ev.args))]


def export_bundle(
    session: Session,
    manifest: Manifest,
    *,
    work_id: int | None = None,
    account: str | None = None,
    period: Period | None = None,
    subject: str = "",
) -> dict[str, Any]:
    """A self-contained bundle of the events selected by work, account (library) and/or period."""
    rows = _all_events(session, period)
    if work_id is not None:
        rows = select_work(rows, work_id)
    if account is not None:
        rows = select_account(rows, account)
    return {
        "format": FORMAT,
        "subject": subject or _subject(work_id, account, period),
        "chain_id": manifest.chain_id,
        "genesis_hash": manifest.genesis_hash,
        "contracts": {name: c.address for name, c in manifest.contracts.items()},
        "generated_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "events": [_event_json(ev, ts) for ev, ts in rows],
    }


def _subject(work_id: int | None, account: str | None, period: Period | None) -> str:
    parts = []
    if work_id is not None:
        parts.append(f"work {work_id}")
    if account is not None:
        parts.append(f"account {account}")
    if period is not None:
        parts.append(f"period {period.label} ({period.tz})")
    return ", ".join(parts) or "everything"


@dataclass
class BundleReport:
    """What an independent check of a bundle found."""

    checked: int = 0
    confirmed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.checked == self.confirmed


def load_bundle(text: str | bytes) -> dict[str, Any]:
    try:
        bundle = json.loads(text)
    except ValueError as exc:
        raise BundleInvalid(f"not JSON: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT or not isinstance(bundle.get("events"), list):
        raise BundleInvalid(f"not a libledger audit bundle (format {FORMAT})")
    return bundle


def _decoder_by_address(bundle: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, addr in bundle.get("contracts", {}).items():
        try:
            out[addr.lower()] = load_artifact(name).abi
        except LedgerError:
            continue
    return out


def verify_bundle(bundle: dict[str, Any], rpc_url: str, *, timeout: float = 30.0) -> BundleReport:
    """Re-fetch every event's receipt from the node at ``rpc_url`` and compare."""
    report = BundleReport()
    abis = _decoder_by_address(bundle)
    with Rpc(rpc_url, timeout=timeout) as rpc:
        chain_id = int(rpc.call("eth_chainId"), 16)
        if chain_id != bundle.get("chain_id"):
            report.problems.append(f"bundle is for chain id {bundle.get('chain_id')}, the node is chain id {chain_id}")
            return report
        genesis = rpc.call("eth_getBlockByNumber", ["0x0", False])["hash"]
        if genesis != bundle.get("genesis_hash"):
            report.problems.append(f"bundle genesis {bundle.get('genesis_hash')} differs from the node's {genesis}")
        events = bundle["events"]
        txs = sorted({e["tx_hash"] for e in events})
        receipts: dict[str, Any] = {}
        for i in range(0, len(txs), RECEIPT_BATCH):
            chunk = txs[i : i + RECEIPT_BATCH]
            for h, r in zip(chunk, rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk])):
                receipts[h] = None if isinstance(r, RpcError) else r
        for e in events:
            report.checked += 1
            where = f"{e.get('contract')}.{e.get('event')} tx {e['tx_hash']} log {e['log_index']}"
            rcpt = receipts.get(e["tx_hash"])
            if rcpt is None:
                report.problems.append(f"{where}: transaction not found on the node")
                continue
            if int(rcpt["blockNumber"], 16) != e["block_number"] or rcpt["blockHash"] != e["block_hash"]:
                report.problems.append(f"{where}: node has it in block {int(rcpt['blockNumber'], 16)} {rcpt['blockHash']}, bundle says {e['block_number']} {e['block_hash']}")
                continue
            log = next((lg for lg in rcpt["logs"] if int(lg["logIndex"], 16) == e["log_index"]), None)
            if log is None:
                report.problems.append(f"{where}: no such log in the receipt")
                continue
            if log["address"].lower() != e["address"].lower() or log["topics"] != e["topics"] or log["data"] != e["data"]:
                report.problems.append(f"{where}: log differs from the node's (address, topics or data altered)")
                continue
            abi = abis.get(log["address"].lower())
            if abi is not None and e.get("event") is not None:
                topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
                ev = abi.events_by_topic.get(topics[0]) if topics else None
                if ev is None or ev.name != e["event"] or _jsonable(ev.decode(topics, bytes.fromhex(log["data"][2:]))) != _jsonable(e["args"]):
                    report.problems.append(f"{where}: decoded arguments differ from what the log says")
                    continue
            report.confirmed += 1
    return report


def _jsonable(v: Any) -> Any:
    """Normalise decoded values and bundle JSON alike: ints as ints, bytes as lowercase hex."""
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, str):
        if v.isdigit() or (v.startswith("-") and v[1:].isdigit()):
            return int(v)
        return v.lower() if v.startswith("0x") else v
    return v

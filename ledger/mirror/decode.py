"""Turn logs of libledger's contracts into events: ABI lookup by address and topic, decoding
with ``ledger.bindings`` (eth-abi decoders prepared once), and the JSON form of the arguments.

The JSON form is what handlers see, live and when projections are rebuilt from ``raw_events``:
bytes as lowercase ``0x`` hex, addresses checksummed, integers as JSON numbers when they fit in
±(2**53-1) (exact in every JSON reader) and as decimal strings beyond. Handlers read integers
with ``int(...)``, which accepts both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from eth_utils import to_checksum_address

from ..bindings import Event, load_artifact
from ..errors import ManifestError
from ..manifest import Manifest

log = logging.getLogger("ledger.mirror")

_SAFE = 2**53 - 1


def to_json(value: Any) -> Any:
    """The JSON form of a decoded ABI value (see module doc)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -_SAFE <= value <= _SAFE else str(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return str(value)


@dataclass(slots=True)
class LogEvent:
    """One log of a libledger contract, as handlers see it (``event``/``args`` None if unknown)."""

    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    tx_index: int
    address: str
    contract: str
    event: str | None
    args: dict[str, Any] | None
    topics: str  # comma-joined 0x hex
    data: str
    timestamp: int = 0  # of the block, unix seconds

    @property
    def key(self) -> str:
        return f"{self.contract}:{self.event}"

    def row(self) -> dict[str, Any]:
        return {
            "block_hash": self.block_hash,
            "log_index": self.log_index,
            "block_number": self.block_number,
            "tx_hash": self.tx_hash,
            "tx_index": self.tx_index,
            "address": self.address,
            "contract": self.contract,
            "event": self.event,
            "args": self.args,
            "topics": self.topics,
            "data": self.data,
        }


_checksums: dict[str, str] = {}


def _address(word: str) -> str:
    """Checksummed address from a 64-hex-digit word (memoized: addresses repeat a lot)."""
    low = word[24:]
    out = _checksums.get(low)
    if out is None:
        out = _checksums[low] = to_checksum_address("0x" + low)
    return out


def _word_reader(t: str) -> Callable[[str], Any] | None:
    """JSON value of one static ABI word (64 hex digits) of type ``t``; None if not static."""
    if t == "address":
        return _address
    if t == "bool":
        return lambda w: w[-1] != "0"
    if t.startswith("uint") and t[4:].isdigit():
        return lambda w: to_json(int(w, 16))
    if t.startswith("int") and t[3:].isdigit():
        def signed(w: str) -> Any:
            v = int(w, 16)
            return to_json(v - (1 << 256) if v >> 255 else v)
        return signed
    if t.startswith("bytes") and t[5:].isdigit():
        n = int(t[5:])
        return lambda w: "0x" + w[: 2 * n]
    return None


class FastEvent:
    """Decoder of an event whose arguments are all static words (most of libledger's events):
    slices the hex strings directly, the same JSON as ``to_json(Event.decode(...))``."""

    __slots__ = ("event", "plan", "data_len")

    def __init__(self, event: Event, plan: list[tuple[str, bool, int, Callable[[str], Any]]], data_len: int) -> None:
        self.event = event
        self.plan = plan
        self.data_len = data_len

    @classmethod
    def build(cls, event: Event) -> "FastEvent | None":
        plan = []
        ti = di = 0
        indexed = {id(p) for p in event.indexed}
        params = {p["name"]: p for p in (*event.indexed, *event.data_params)}
        for name in event.order:
            p = params[name]
            reader = _word_reader(p["type"])
            if reader is None:
                return None
            if id(p) in indexed:
                ti += 1
                plan.append((name, True, ti, reader))
            else:
                plan.append((name, False, di, reader))
                di += 1
        return cls(event, plan, di * 64)

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        body = data[2:]
        if len(body) != self.data_len:
            raise ValueError(f"{len(body) // 2} data bytes, expected {self.data_len // 2}")
        out = {}
        for name, is_topic, i, reader in self.plan:
            out[name] = reader(topics[i][2:] if is_topic else body[64 * i : 64 * i + 64])
        return out


class LogDecoder:
    """Decodes the logs of the manifest's contracts with their committed ABIs."""

    def __init__(self, manifest: Manifest) -> None:
        self.contracts: dict[str, tuple[str, dict[str, Event]]] = {}
        for name, dc in manifest.contracts.items():
            try:
                events = load_artifact(name).abi.events_by_topic
            except ManifestError:
                log.warning("no ABI for %s: its logs are stored raw", name, extra={"fields": {"contract": name}})
                events = {}
            self.contracts[dc.address.lower()] = (name, {"0x" + t.hex(): (ev, FastEvent.build(ev)) for t, ev in events.items()})

    @property
    def addresses(self) -> list[str]:
        return list(self.contracts)

    def decode(self, raw: dict[str, Any], timestamp: int = 0) -> LogEvent:
        """A node's log object as a ``LogEvent``; never raises for unknown or malformed logs."""
        address = raw["address"].lower()
        name, events = self.contracts.get(address, ("?", {}))
        topics = raw["topics"]
        ev, fast = events.get(topics[0], (None, None)) if topics else (None, None)
        out = LogEvent(
            block_number=int(raw["blockNumber"], 16),
            block_hash=raw["blockHash"],
            log_index=int(raw["logIndex"], 16),
            tx_hash=raw["transactionHash"],
            tx_index=int(raw["transactionIndex"], 16),
            address=address,
            contract=name,
            event=None,
            args=None,
            topics=",".join(topics),
            data=raw["data"],
            timestamp=timestamp,
        )
        if ev is None:
            log.warning(
                "unknown event of %s stored raw (block %d, log %d)", name, out.block_number, out.log_index,
                extra={"fields": {"contract": name, "block": out.block_number, "log_index": out.log_index, "topic0": topics[0] if topics else None}},
            )
            return out
        try:
            if len(topics) != len(ev.indexed) + 1:
                raise ValueError(f"{len(topics) - 1} indexed topics, the ABI has {len(ev.indexed)}")
            if fast is not None:
                args = fast.decode(topics, raw["data"])
            else:
                args = to_json(ev.decode([bytes.fromhex(t[2:]) for t in topics], bytes.fromhex(raw["data"][2:])))
        except Exception as exc:  # malformed log: keep it raw, say so
            log.warning(
                "undecodable %s.%s log stored raw (block %d, log %d): %s", name, ev.name, out.block_number, out.log_index, exc,
                extra={"fields": {"contract": name, "event": ev.name, "block": out.block_number, "log_index": out.log_index}},
            )
            return out
        out.event = ev.name
        out.args = args
        return out

"""The one thin layer between libledger and contract ABIs.

ABIs are data (the committed artifacts in ``contracts/out``), never generated code. This module
encodes calls, decodes return values, events and custom errors. Event decoding talks to eth-abi
directly with decoders prepared once per event: web3's per-log ``process_log`` costs several
times more, and the indexer decodes every log of the chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_abi_to_4byte_selector, keccak, to_checksum_address

from .compile import ARTIFACTS_DIR
from .errors import ContractRevert, ManifestError, UnknownRevert, revert_class

# Solidity's built-in revert payloads.
_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


def _canonical_type(param: Mapping[str, Any]) -> str:
    """ABI type string with tuples expanded, e.g. ``(uint256,address)[]``."""
    t = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return t


def _signature(item: Mapping[str, Any]) -> str:
    return f"{item['name']}({','.join(_canonical_type(i) for i in item.get('inputs', []))})"


def _to_python(value: Any, param: Mapping[str, Any]) -> Any:
    """Turn eth-abi output into plain Python: tuples with names become dicts, addresses checksummed."""
    t = param["type"]
    if t.startswith("tuple"):
        comps = param["components"]
        if t.endswith("]"):
            inner = dict(param, type=t[: t.rindex("[")])
            return [_to_python(v, inner) for v in value]
        return {c["name"] or str(i): _to_python(v, c) for i, (v, c) in enumerate(zip(value, comps))}
    if t.endswith("]"):
        inner = dict(param, type=t[: t.rindex("[")])
        return [_to_python(v, inner) for v in value]
    if t == "address":
        return to_checksum_address(value)
    return value


def _from_python(value: Any, param: Mapping[str, Any]) -> Any:
    """Accept dicts for tuples (by component name) and hex strings for bytes."""
    t = param["type"]
    if t.startswith("tuple"):
        comps = param["components"]
        if t.endswith("]"):
            inner = dict(param, type=t[: t.rindex("[")])
            return [_from_python(v, inner) for v in value]
        if isinstance(value, Mapping):
            value = [value[c["name"]] for c in comps]
        return tuple(_from_python(v, c) for v, c in zip(value, comps))
    if t.endswith("]"):
        inner = dict(param, type=t[: t.rindex("[")])
        return [_from_python(v, inner) for v in value]
    if t.startswith("bytes") and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return value


@dataclass(frozen=True)
class Function:
    name: str
    selector: bytes
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[Mapping[str, Any], ...]
    mutability: str

    def encode(self, *args: Any) -> bytes:
        if len(args) != len(self.inputs):
            raise TypeError(f"{self.name} takes {len(self.inputs)} arguments, got {len(args)}")
        types = [_canonical_type(i) for i in self.inputs]
        values = [_from_python(a, i) for a, i in zip(args, self.inputs)]
        return self.selector + abi_encode(types, values)

    def decode_output(self, data: bytes) -> Any:
        types = [_canonical_type(o) for o in self.outputs]
        values = abi_decode(types, data)
        out = [_to_python(v, o) for v, o in zip(values, self.outputs)]
        return out[0] if len(out) == 1 else tuple(out)


@dataclass(frozen=True)
class Event:
    contract: str
    name: str
    topic0: bytes
    indexed: tuple[Mapping[str, Any], ...]
    data_params: tuple[Mapping[str, Any], ...]
    data_types: tuple[str, ...]
    order: tuple[str, ...]  # argument names in declaration order

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        """Arguments by name. Indexed dynamic values (string, bytes, arrays) come as their hash."""
        args: dict[str, Any] = {}
        for param, topic in zip(self.indexed, topics[1:]):
            t = param["type"]
            if t in ("string", "bytes") or t.endswith("]") or t.startswith("tuple"):
                args[param["name"]] = bytes(topic)
            else:
                args[param["name"]] = _to_python(abi_decode([t], topic)[0], param)
        if self.data_types:
            for param, value in zip(self.data_params, abi_decode(self.data_types, data)):
                args[param["name"]] = _to_python(value, param)
        return {k: args[k] for k in self.order}


@dataclass(frozen=True)
class ErrorDef:
    contract: str
    name: str
    selector: bytes
    inputs: tuple[Mapping[str, Any], ...]

    def decode(self, data: bytes) -> dict[str, Any]:
        types = [_canonical_type(i) for i in self.inputs]
        values = abi_decode(types, data)
        return {(i["name"] or f"arg{n}"): _to_python(v, i) for n, (v, i) in enumerate(zip(values, self.inputs))}


class ContractABI:
    """One contract's ABI: functions by name, events by topic, errors by selector."""

    def __init__(self, name: str, abi: list[dict[str, Any]]) -> None:
        self.name = name
        self.abi = abi
        self.functions: dict[str, Function] = {}
        self.events: dict[str, Event] = {}
        self.events_by_topic: dict[bytes, Event] = {}
        self.errors: dict[bytes, ErrorDef] = {}
        for item in abi:
            kind = item["type"]
            if kind == "function":
                fn = Function(
                    name=item["name"],
                    selector=function_abi_to_4byte_selector(item),
                    inputs=tuple(item["inputs"]),
                    outputs=tuple(item.get("outputs", [])),
                    mutability=item.get("stateMutability", "nonpayable"),
                )
                # Overloads are addressed by full signature; the bare name means the first one.
                self.functions.setdefault(item["name"], fn)
                self.functions[_signature(item)] = fn
            elif kind == "event" and not item.get("anonymous"):
                inputs = item["inputs"]
                data_params = tuple(i for i in inputs if not i["indexed"])
                ev = Event(
                    contract=name,
                    name=item["name"],
                    topic0=keccak(text=_signature(item)),
                    indexed=tuple(i for i in inputs if i["indexed"]),
                    data_params=data_params,
                    data_types=tuple(_canonical_type(i) for i in data_params),
                    order=tuple(i["name"] for i in inputs),
                )
                self.events[ev.name] = ev
                self.events_by_topic[ev.topic0] = ev
            elif kind == "error":
                err = ErrorDef(name, item["name"], keccak(text=_signature(item))[:4], tuple(item["inputs"]))
                self.errors[err.selector] = err

    def function(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            raise AttributeError(f"{self.name} has no function {name!r}") from None


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: ContractABI
    bytecode: bytes
    deployed_bytecode: bytes
    metadata_hash: str
    raw: Mapping[str, Any]


@cache
def load_artifact(name: str, out_dir: Path = ARTIFACTS_DIR) -> Artifact:
    """The compiled artifact of contract ``name`` from contracts/out."""
    path = out_dir / f"{name}.json"
    if not path.exists():
        raise ManifestError(f"no compiled artifact for {name} at {path}: run `libledger compile`")
    raw = json.loads(path.read_text())
    return Artifact(
        name=name,
        abi=ContractABI(name, raw["abi"]),
        bytecode=bytes.fromhex(raw["bytecode"][2:]),
        deployed_bytecode=bytes.fromhex(raw["deployedBytecode"][2:]),
        metadata_hash=raw["metadataHash"],
        raw=raw,
    )


def artifact_names(out_dir: Path = ARTIFACTS_DIR) -> list[str]:
    return sorted(p.stem for p in out_dir.glob("*.json"))


class ErrorDecoder:
    """Turns revert data into the named Python exception, over every known contract's errors."""

    def __init__(self, abis: Iterable[ContractABI]) -> None:
        self._errors: dict[bytes, ErrorDef] = {}
        for abi in abis:
            for sel, err in abi.errors.items():
                self._errors.setdefault(sel, err)

    def exception(self, data: bytes | str | None, *, tx_hash: str | None = None) -> ContractRevert:
        if isinstance(data, str):
            data = bytes.fromhex(data.removeprefix("0x"))
        data = data or b""
        sel, body = data[:4], data[4:]
        if sel == _ERROR_STRING:
            (reason,) = abi_decode(["string"], body)
            return revert_class("Error")({"reason": reason}, tx_hash=tx_hash, raw=data)
        if sel == _PANIC:
            (code,) = abi_decode(["uint256"], body)
            return revert_class("Panic")({"code": code}, tx_hash=tx_hash, raw=data)
        err = self._errors.get(sel)
        if err is None:
            return UnknownRevert({"data": data}, tx_hash=tx_hash, raw=data)
        try:
            args = err.decode(body)
        except Exception:  # malformed payload with a known selector: keep the raw bytes
            return UnknownRevert({"data": data}, contract=err.contract, tx_hash=tx_hash, raw=data)
        return revert_class(err.name)(args, contract=err.contract, tx_hash=tx_hash, raw=data)


@cache
def all_errors() -> ErrorDecoder:
    return ErrorDecoder(load_artifact(n).abi for n in artifact_names())

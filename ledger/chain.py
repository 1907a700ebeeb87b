"""Connection to the chain: the node, the deployed contracts and the pipeline, behind one object.

The rest of libledger talks to ``Chain`` and ``BoundContract``, not to web3 directly.
``web3_for`` gives a configured web3.py instance (with the PoA extraData middleware on QBFT
networks) for code that wants web3's own API.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from .bindings import ContractABI, all_errors, load_artifact
from .config import ChainProfile, Settings
from .errors import ManifestError
from .manifest import Manifest
from .pipeline import Call, Outcome, TxPipeline
from .rpc import Rpc, RpcError, revert_data


def web3_for(settings: Settings) -> Web3:
    """A web3.py instance for ``settings``; Besu QBFT blocks carry 97+ bytes of extraData, which
    web3 only accepts with the PoA middleware."""
    w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": settings.rpc_timeout}))
    if settings.chain_profile == ChainProfile.qbft:
        from web3.middleware import ExtraDataToPOAMiddleware

        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


class BoundContract:
    """A deployed contract: encode calls, read views, build and send transactions."""

    def __init__(self, chain: "Chain", name: str, address: str) -> None:
        self.chain = chain
        self.name = name
        self.address = address
        self.abi: ContractABI = load_artifact(name).abi

    def encode(self, fn: str, *args: Any) -> bytes:
        return self.abi.function(fn).encode(*args)

    def call(self, fn: str, *args: Any, block: str | int = "latest", sender: str | None = None) -> Any:
        """Read a view function; a revert raises its named error."""
        f = self.abi.function(fn)
        params: dict[str, Any] = {"to": self.address, "data": "0x" + f.encode(*args).hex()}
        if sender:
            params["from"] = sender
        tag = hex(block) if isinstance(block, int) else block
        try:
            out = self.chain.rpc.call("eth_call", [params, tag])
        except RpcError as err:
            data = revert_data(err)
            if data is not None:
                raise self.chain.errors.exception(data) from None
            raise
        return f.decode_output(bytes.fromhex(out[2:]))

    def tx(self, fn: str, *args: Any, sender: LocalAccount, gas: int | None = None) -> Call:
        """A call ready for the pipeline (not sent)."""
        return Call(sender=sender, to=self.address, data=self.encode(fn, *args), gas=gas, label=f"{self.name}.{fn}")

    def transact(self, fn: str, *args: Any, sender: LocalAccount, wait: bool = True) -> Outcome:
        """Send one transaction; a revert raises its named error (before signing when predictable)."""
        outcome = self.chain.pipeline.send(self.tx(fn, *args, sender=sender), wait=wait)
        return outcome.unwrap() if wait else outcome

    def events(self, receipt: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Events this contract emitted in ``receipt``: (name, args) in log order."""
        out = []
        for log in receipt.get("logs", []):
            if log["address"].lower() != self.address.lower():
                continue
            topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
            ev = self.abi.events_by_topic.get(topics[0]) if topics else None
            if ev is not None:
                out.append((ev.name, ev.decode(topics, bytes.fromhex(log["data"][2:]))))
        return out


class Chain:
    """The node at ``settings.rpc_url`` and, when a manifest is given, libledger's contracts on it."""

    def __init__(self, settings: Settings, manifest: Manifest | None = None) -> None:
        self.settings = settings
        self.manifest = manifest
        self.rpc = Rpc(settings.rpc_url, timeout=settings.rpc_timeout)
        self.errors = all_errors()

    def close(self) -> None:
        self.rpc.close()

    @cached_property
    def chain_id(self) -> int:
        return int(self.rpc.call("eth_chainId"), 16)

    def genesis_hash(self) -> str:
        return self.rpc.call("eth_getBlockByNumber", ["0x0", False])["hash"]

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    @cached_property
    def pipeline(self) -> TxPipeline:
        dev = self.settings.chain_profile == ChainProfile.dev
        shared = None
        if self.settings.shared_nonces:  # several processes sign for the same members
            from .nonces import SharedNonces

            shared = SharedNonces(self.rpc, self.settings.data_path / "nonces", self.chain_id)
        return TxPipeline(
            self.rpc, self.chain_id, self.errors, default_gas=self.settings.default_gas, nudge_after=0.25 if dev else None,
            shared_nonces=shared,
        )

    def contract(self, name: str) -> BoundContract:
        if self.manifest is None:
            raise ManifestError("no deployment manifest loaded: run `libledger deploy` first")
        return BoundContract(self, name, self.manifest.address(name))

    def __getitem__(self, name: str) -> BoundContract:
        return self.contract(name)

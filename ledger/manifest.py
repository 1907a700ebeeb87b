"""The deployment manifest: which chain, which addresses, deployed when and from which artifacts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rights.atomic import atomic_open

from .errors import ManifestError


@dataclass
class DeployedContract:
    address: str
    block: int
    tx_hash: str
    metadata_hash: str  # of the artifact it was deployed from
    code_hash: str  # keccak of the runtime code found on chain right after deployment


@dataclass
class Manifest:
    chain_id: int
    genesis_hash: str
    profile: str
    governor: str
    deploy_block: int
    contracts: dict[str, DeployedContract] = field(default_factory=dict)

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise ManifestError(f"the deployment has no contract {name!r}") from None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Manifest":
        contracts = {k: DeployedContract(**v) for k, v in data.pop("contracts", {}).items()}
        return cls(contracts=contracts, **data)


def load(path: Path) -> Manifest:
    """Read a manifest; a missing or unreadable file is a clear ``ManifestError``."""
    if not path.exists():
        raise ManifestError(f"no deployment manifest at {path}: run `libledger deploy` first")
    try:
        return Manifest.from_json(json.loads(path.read_text()))
    except (ValueError, TypeError, KeyError) as exc:
        raise ManifestError(f"the deployment manifest at {path} is unreadable: {exc}") from None


def save(manifest: Manifest, path: Path) -> None:
    """Write atomically (temp file + fsync + rename)."""
    with atomic_open(path) as f:
        f.write(json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n")


def check_chain(manifest: Manifest, *, chain_id: int, genesis_hash: str, rpc_url: str, path: Path) -> None:
    """Refuse a manifest that belongs to another chain."""
    if manifest.chain_id != chain_id:
        raise ManifestError(
            f"the manifest {path} is for chain id {manifest.chain_id}, but the node at {rpc_url} is chain id {chain_id}"
        )
    if manifest.genesis_hash != genesis_hash:
        raise ManifestError(
            f"the manifest {path} was made on another chain with id {chain_id} (genesis {manifest.genesis_hash[:10]}…, "
            f"node has {genesis_hash[:10]}…); move it away or deploy with --fresh"
        )

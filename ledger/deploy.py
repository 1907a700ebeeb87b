"""Deploy libledger's contracts in dependency order and record them in the manifest.

The order and constructor arguments are data (``contracts/deploy-plan.json``). Re-running
against an existing manifest verifies the code on chain instead of deploying twice. After
deployment the governor grants LEDGER_ROLE to the contracts that move credit or call each other,
names the Royalties contract to Credit (``setRoyalties``, once), then applies the deploy config
(members to admit with their roles, the platform treasury).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from . import manifest as manifests
from . import roles
from .bindings import load_artifact
from .chain import Chain
from .config import REPO_ROOT, Settings
from .errors import ConfigError, ManifestError
from .manifest import DeployedContract, Manifest
from .pipeline import Call

PLAN_PATH = REPO_ROOT / "contracts" / "deploy-plan.json"
DEFAULT_ADMIN_DELAY_S = 0  # dev default; production configs set e.g. 2 days


@dataclass
class MemberSpec:
    """A member the deploy config admits: its key name in the keystore, ISIL / institution id, roles."""

    key: str
    institution_id: str
    name: str
    roles: list[str]
    account: LocalAccount | None = None


@dataclass
class DeployConfig:
    members: list[MemberSpec] = field(default_factory=list)
    platform_treasury: str | None = None  # key name of the member receiving the 30% fee
    admin_delay: int = DEFAULT_ADMIN_DELAY_S

    @classmethod
    def load(cls, path: Path) -> "DeployConfig":
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read deploy config {path}: {exc}") from None
        members = [
            MemberSpec(key=m["key"], institution_id=m["institutionId"], name=m["name"], roles=list(m.get("roles", [])))
            for m in data.get("members", [])
        ]
        return cls(members=members, platform_treasury=data.get("platformTreasury"), admin_delay=int(data.get("adminDelay", 0)))


def default_dev_config() -> DeployConfig:
    """The platform operator, holding the platform and treasury roles and receiving the fee."""
    return DeployConfig(
        members=[MemberSpec(key="platform", institution_id="LIBLEDGER-PLATFORM", name="libledger platform operator", roles=["platform", "treasury"])],
        platform_treasury="platform",
    )


def load_plan(path: Path = PLAN_PATH) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["contracts"]


def _code_hash(chain: Chain, address: str) -> str:
    code = chain.rpc.call("eth_getCode", [address, "latest"])
    return "0x" + keccak(bytes.fromhex(code[2:])).hex()


def _constructor_args(entry: dict[str, Any], deployed: dict[str, str], governor: str, admin_delay: int) -> bytes:
    artifact = load_artifact(entry["name"])
    ctor = next((i for i in artifact.abi.abi if i["type"] == "constructor"), {"inputs": []})
    values: list[Any] = []
    for arg in entry["args"]:
        if arg == "$governor":
            values.append(governor)
        elif arg == "$adminDelay":
            values.append(admin_delay)
        elif isinstance(arg, str) and arg.startswith("@"):
            if arg[1:] not in deployed:
                raise ConfigError(f"{entry['name']} needs {arg[1:]}, which is deployed later or not at all")
            values.append(deployed[arg[1:]])
        else:
            values.append(arg)
    types = [i["type"] for i in ctor["inputs"]]
    if len(types) != len(values):
        raise ConfigError(f"deploy plan gives {entry['name']} {len(values)} arguments, its constructor takes {len(types)}")
    return abi_encode(types, values)


def verify(chain: Chain, manifest: Manifest) -> list[str]:
    """Problems found comparing the manifest with the chain and the artifacts (empty = all good)."""
    problems = []
    for name, dc in manifest.contracts.items():
        code_hash = _code_hash(chain, dc.address)
        if code_hash == "0x" + keccak(b"").hex():
            problems.append(f"{name}: no code at {dc.address}")
        elif code_hash != dc.code_hash:
            problems.append(f"{name}: code at {dc.address} differs from what was deployed")
        if load_artifact(name).metadata_hash != dc.metadata_hash:
            problems.append(f"{name}: the compiled contract changed since it was deployed (redeploy with --fresh)")
    return problems


def deploy(
    settings: Settings,
    governor: LocalAccount,
    *,
    config: DeployConfig | None = None,
    signer_for: Callable[[str], LocalAccount] | None = None,
    fresh: bool = False,
    save: bool = True,
    progress: Callable[[str], None] = lambda msg: None,
) -> tuple[Manifest, bool]:
    """Deploy (or verify) libledger on the node at ``settings.rpc_url``.

    Returns the manifest and whether anything was deployed. ``signer_for(key_name)`` supplies
    the accounts named in the deploy config.
    """
    chain = Chain(settings)
    try:
        chain_id, genesis = chain.chain_id, chain.genesis_hash()
        path = settings.manifest_path
        if path.exists() and not fresh:
            existing = manifests.load(path)
            manifests.check_chain(existing, chain_id=chain_id, genesis_hash=genesis, rpc_url=settings.rpc_url, path=path)
            problems = verify(chain, existing)
            if problems:
                raise ManifestError("the deployment in the manifest does not match the chain: " + "; ".join(problems))
            progress("deployment verified on chain")
            return existing, False

        plan = load_plan()
        for entry in plan:  # every artifact must be there before anything is sent: no half deployments
            load_artifact(entry["name"])
        config = config or DeployConfig()
        deployed: dict[str, str] = {}
        man = Manifest(chain_id=chain_id, genesis_hash=genesis, profile=settings.chain_profile.value, governor=governor.address, deploy_block=0)
        for entry in plan:
            artifact = load_artifact(entry["name"])
            init = artifact.bytecode + _constructor_args(entry, deployed, governor.address, config.admin_delay)
            out = chain.pipeline.send(Call(sender=governor, to=None, data=init, label=f"deploy {entry['name']}")).unwrap()
            address = to_checksum_address(out.contract_address)
            deployed[entry["name"]] = address
            man.contracts[entry["name"]] = DeployedContract(
                address=address,
                block=out.block_number,
                tx_hash=out.tx_hash,
                metadata_hash=artifact.metadata_hash,
                code_hash=_code_hash(chain, address),
            )
            progress(f"deployed {entry['name']} at {address}")
        man.deploy_block = min(c.block for c in man.contracts.values())
        chain.manifest = man

        consortium = chain.contract("Consortium")
        setup: list[Call] = [
            consortium.tx("grantRole", roles.LEDGER, deployed[e["name"]], sender=governor) for e in plan if e.get("ledger")
        ]
        # Credit keeps Royalties' holding beside its pause flag (withdrawals pay out from there);
        # named once, after Royalties holds LEDGER_ROLE (same sender: mined in this order).
        setup.append(chain.contract("Credit").tx("setRoyalties", deployed["Royalties"], sender=governor))
        for m in config.members:
            if m.account is None:
                if signer_for is None:
                    raise ConfigError(f"no key for member {m.key}")
                m.account = signer_for(m.key)
            role_ids = [roles.role_id(r) for r in m.roles]
            setup.append(consortium.tx("admit", m.account.address, m.institution_id, m.name, role_ids, sender=governor))
        if config.platform_treasury:
            spec = next((m for m in config.members if m.key == config.platform_treasury), None)
            if spec is None:
                raise ConfigError(f"platformTreasury {config.platform_treasury!r} is not a member in the deploy config")
            setup.append(consortium.tx("setPlatformTreasury", spec.account.address, sender=governor))
        for outcome in chain.pipeline.submit(setup):
            outcome.unwrap()
        progress(f"granted roles; admitted {len(config.members)} member(s)")
        if save:
            manifests.save(man, path)
        return man, True
    finally:
        chain.close()

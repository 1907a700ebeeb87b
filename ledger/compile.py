"""Compile libledger's Solidity sources into the committed artifacts in ``contracts/out/``.

One pinned compiler version (the npm ``solc`` version in package.json). A native ``solc`` of that
exact version is used through py-solc-x when one is installed; otherwise the npm (wasm) package
runs through ``scripts/solc.js``. Both read the same standard-JSON input with the same source
unit names, so they produce byte-identical artifacts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import REPO_ROOT
from .errors import CompileError

SOURCES_DIR = REPO_ROOT / "contracts" / "src"
ARTIFACTS_DIR = REPO_ROOT / "contracts" / "out"
EVM_VERSION = "shanghai"  # no Cancun opcodes: consortium (Besu) chains lag mainnet forks
OPTIMIZER_RUNS = 200
REMAPPINGS = ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"]


def pinned_solc_version() -> str:
    """The solc version every artifact is built with (from package.json, e.g. ``0.8.30``)."""
    pkg = json.loads((REPO_ROOT / "package.json").read_text())
    return pkg["dependencies"]["solc"]


def standard_input() -> dict[str, Any]:
    """The standard-JSON compiler input for every source under contracts/src."""
    sources = {}
    for path in sorted(SOURCES_DIR.rglob("*.sol")):
        unit = path.relative_to(REPO_ROOT).as_posix()
        sources[unit] = {"content": path.read_text()}
    if not sources:
        raise CompileError(f"no Solidity sources under {SOURCES_DIR}")
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "remappings": REMAPPINGS,
            "metadata": {"bytecodeHash": "ipfs"},
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]},
            },
        },
    }


@dataclass(frozen=True)
class CompileResult:
    artifacts: dict[str, dict[str, Any]]  # contract name -> artifact JSON
    compiler: str  # "native" or "npm"


def _native_solc(version: str) -> str | None:
    """Path of a native solc of exactly ``version``, if one is installed."""
    candidates: list[str] = []
    if found := shutil.which("solc"):
        candidates.append(found)
    try:
        import solcx

        for v in solcx.get_installed_solc_versions():
            if str(v) == version:
                candidates.append(str(solcx.get_executable(str(v))))
    except Exception:  # py-solc-x missing or its folder unreadable: the npm path remains
        pass
    for exe in candidates:
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20).stdout
        except OSError:
            continue
        if f"Version: {version}+" in out and "Emscripten" not in out and "solc.js" not in exe:
            if Path(exe).resolve() != (REPO_ROOT / "scripts" / "solc").resolve():
                return exe
    return None


def _run_native(exe: str, std_in: dict[str, Any]) -> dict[str, Any]:
    import solcx

    return solcx.compile_standard(
        std_in, solc_binary=exe, base_path=str(REPO_ROOT), allow_paths=[str(REPO_ROOT)], output_values=None
    )


def _run_npm(std_in: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise CompileError("node is not installed: run `make setup` (it installs Node.js and the npm solc package)")
    if not (REPO_ROOT / "node_modules" / "solc").exists():
        raise CompileError("npm solc is not installed: run `npm ci` (or `make setup`) in the repository")
    proc = subprocess.run(
        [node, str(REPO_ROOT / "scripts" / "solc.js"), "--standard-json"],
        input=json.dumps(std_in),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
    )
    if proc.returncode != 0:
        raise CompileError(f"solc (npm) failed: {proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout)


def compile_contracts(*, prefer_native: bool = True) -> CompileResult:
    """Compile every source; returns the artifacts keyed by contract name (not written)."""
    version = pinned_solc_version()
    std_in = standard_input()
    exe = _native_solc(version) if prefer_native else None
    output = _run_native(exe, std_in) if exe else _run_npm(std_in)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    artifacts: dict[str, dict[str, Any]] = {}
    for unit, contracts in sorted(output.get("contracts", {}).items()):
        if not unit.startswith("contracts/src/"):
            continue  # OpenZeppelin and other imports are compiled in, not published
        for name, out in sorted(contracts.items()):
            bytecode = out["evm"]["bytecode"]["object"]
            if not bytecode or not out["abi"]:  # interfaces, abstract contracts, constant libraries
                continue
            metadata = out["metadata"]
            compiler_version = json.loads(metadata)["compiler"]["version"]
            artifacts[name] = {
                "contractName": name,
                "sourceName": unit,
                "compiler": {"version": compiler_version, "evmVersion": EVM_VERSION, "optimizerRuns": OPTIMIZER_RUNS},
                "abi": out["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
                "metadataHash": "0x" + hashlib.sha256(metadata.encode()).hexdigest(),
            }
    return CompileResult(artifacts=artifacts, compiler="native" if exe else "npm")


def _render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def write_artifacts(result: CompileResult, out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Write one ``<Name>.json`` per contract and drop artifacts of contracts that no longer exist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in result.artifacts.items():
        path = out_dir / f"{name}.json"
        text = _render(artifact)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    for old in out_dir.glob("*.json"):
        if old.stem not in result.artifacts:
            old.unlink()
    return written


def stale_artifacts(result: CompileResult, out_dir: Path = ARTIFACTS_DIR) -> list[str]:
    """Names of contracts whose committed artifact differs from a fresh compile (or is missing/extra)."""
    stale = []
    for name, artifact in result.artifacts.items():
        path = out_dir / f"{name}.json"
        if not path.exists() or path.read_text() != _render(artifact):
            stale.append(name)
    stale += [p.stem for p in out_dir.glob("*.json") if p.stem not in result.artifacts]
    return sorted(stale)

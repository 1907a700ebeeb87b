"""``libledger`` — the command line of the consortium ledger (Typer + Rich).

Expected failures print one clear line and exit non-zero; no traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from . import accounts, node
from .config import Settings, load_settings
from .cli_support import console, err_console, expected_errors  # noqa: F401  (re-exported)
from .mirror.cli import mirror_app, index_command

app = typer.Typer(help="libledger: rights and interlibrary-loan ledger for a library consortium.", no_args_is_help=True)
chain_app = typer.Typer(help="The local development chain (anvil).", no_args_is_help=True)
keys_app = typer.Typer(help="Encrypted keys of this installation.", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
app.add_typer(keys_app, name="keys")
app.add_typer(mirror_app, name="mirror")
app.command("index")(index_command)

# one red line for expected failures (shared with the other command modules)


RpcOpt = Annotated[Optional[str], typer.Option("--rpc-url", help="JSON-RPC URL (LIBLEDGER_RPC_URL)")]
DataOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="data directory (LIBLEDGER_DATA_DIR)")]


def _settings(rpc_url: str | None = None, data_dir: Path | None = None) -> Settings:
    return load_settings(rpc_url=rpc_url, data_dir=data_dir)


@app.command()
@expected_errors
def compile(check: Annotated[bool, typer.Option("--check", help="fail if committed artifacts are stale")] = False) -> None:
    """Compile contracts/src into contracts/out (ABI + bytecode + metadata hash)."""
    from .compile import compile_contracts, stale_artifacts, write_artifacts

    with console.status("compiling contracts…"):
        result = compile_contracts()
    if check:
        stale = stale_artifacts(result)
        if stale:
            err_console.print(f"[red]stale artifacts:[/] {', '.join(stale)} — run `libledger compile`")
            raise typer.Exit(1)
        console.print(f"artifacts are fresh ({len(result.artifacts)} contracts, {result.compiler} solc)")
        return
    write_artifacts(result)
    console.print(f"compiled {len(result.artifacts)} contracts with {result.compiler} solc → contracts/out/")


@chain_app.command("up")
@expected_errors
def chain_up(data_dir: DataOpt = None) -> None:
    """Start anvil in the background with state persisted under the data dir."""
    st = node.up(_settings(data_dir=data_dir))
    console.print(f"chain running: pid {st.pid}, {st.rpc_url}, chain id {st.chain_id}, block {st.block_number}")


@chain_app.command("down")
@expected_errors
def chain_down(data_dir: DataOpt = None) -> None:
    """Stop anvil cleanly (its state is kept)."""
    stopped = node.down(_settings(data_dir=data_dir))
    console.print("chain stopped" if stopped else "chain was not running")


@chain_app.command("status")
@expected_errors
def chain_status(data_dir: DataOpt = None) -> None:
    """Show whether anvil runs, its RPC URL and head block."""
    st = node.status(_settings(data_dir=data_dir))
    if not st.running:
        console.print("chain not running (start it with `libledger chain up`)")
        raise typer.Exit(3)
    console.print(f"chain running: pid {st.pid}, {st.rpc_url}, chain id {st.chain_id}, block {st.block_number}")


@keys_app.command("new")
@expected_errors
def keys_new(name: str, data_dir: DataOpt = None) -> None:
    """Create an encrypted key called NAME in the keystore."""
    from . import keystore

    s = _settings(data_dir=data_dir)
    acct = keystore.create(s.keystore_path, name, accounts.password(s), fast=s.chain_profile.value == "dev")
    console.print(f"{name}: {acct.address}")


@keys_app.command("list")
@expected_errors
def keys_list(data_dir: DataOpt = None) -> None:
    """List the keys in the keystore with their addresses."""
    from . import keystore

    s = _settings(data_dir=data_dir)
    table = Table("name", "address")
    for n in keystore.names(s.keystore_path):
        table.add_row(n, keystore.address_of(s.keystore_path, n))
    console.print(table)


@app.command()
@expected_errors
def deploy(
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
    config: Annotated[Optional[Path], typer.Option(help="deploy config JSON (members, roles, treasury)")] = None,
    fresh: Annotated[bool, typer.Option(help="deploy anew even if a manifest exists")] = False,
) -> None:
    """Deploy the contracts (or verify an existing deployment) and write the manifest."""
    from .deploy import DeployConfig, default_dev_config
    from .deploy import deploy as run_deploy

    s = _settings(rpc_url, data_dir)
    cfg = DeployConfig.load(config) if config else (default_dev_config() if s.chain_profile.value == "dev" else DeployConfig())
    governor = accounts.signer(s, "governor")
    man, did = run_deploy(s, governor, config=cfg, signer_for=lambda k: accounts.signer(s, k), fresh=fresh, progress=console.print)
    _print_deployment(s, man)


def _print_deployment(s: Settings, man: Any) -> None:
    table = Table("contract", "address", "block", title=f"chain {man.chain_id} · {s.rpc_url}")
    for name, c in man.contracts.items():
        table.add_row(name, c.address, str(c.block))
    console.print(table)
    console.print(f"manifest: {s.manifest_path}")


@app.command()
@expected_errors
def quickstart(
    data_dir: DataOpt = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the API after setting up (the default)")] = True,
) -> None:
    """`make run`: chain up, deploy and seed the demo on first run, print where everything is, serve."""
    from .deploy import default_dev_config
    from .deploy import deploy as run_deploy

    s = _settings(data_dir=data_dir)
    st = node.up(s)
    console.print(f"[green]chain[/] {st.rpc_url} (chain id {st.chain_id}, block {st.block_number}, pid {st.pid})")
    governor = accounts.signer(s, "governor")
    man, _ = run_deploy(s, governor, config=default_dev_config(), signer_for=lambda k: accounts.signer(s, k), progress=console.print)
    _print_deployment(s, man)
    console.print(f"keystore: {s.keystore_path}\nstop the chain with `libledger chain down`")
    if serve:
        from api.demo import quickstart_serve

        quickstart_serve(s)


from api.cli import register_commands  # noqa: E402  (serve, token, works, licences, ill, demo)

register_commands(app)


from .rights_cli import register_commands as _rights; _rights(app)  # noqa: E402,E702
from .payouts_cli import register_commands as _payouts; _payouts(app)  # noqa: E402,E702


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

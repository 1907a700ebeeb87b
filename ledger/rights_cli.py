"""Commands for files and loans: ``verify``, ``check``, ``trace``, ``open`` and ``keys x25519``.

Added to the ``libledger`` app by ``register_commands(app)``. Expected failures (a LedgerError,
or a RightsError such as a corrupt file or a wrong passphrase) print one red line and exit 1.
"Not registered" (verify) and "not confirmed by the chain" (trace) are answers, not errors:
they print normally and exit 3, so scripts can tell them apart.

Passphrases of X25519 key files come from ``LIBLEDGER_KEY_PASSPHRASE`` or are asked for.
"""

from __future__ import annotations

import functools
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import nacl.pwhash
import typer
from rich.table import Table


from .cli_support import console, expected_errors
from .config import ChainProfile, Settings, load_settings
from .errors import ConfigError, LedgerError

# ledger.cli imports this module to register the commands, so nothing is imported from it at
# module level (that cycle breaks `python -m ledger.cli`); the options mirror its own.
RpcOpt = Annotated[Optional[str], typer.Option("--rpc-url", help="JSON-RPC URL (LIBLEDGER_RPC_URL)")]
DataOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="data directory (LIBLEDGER_DATA_DIR)")]

PASSPHRASE_ENV = "LIBLEDGER_KEY_PASSPHRASE"
NOT_FOUND_EXIT = 3



def _settings(rpc_url: str | None = None, data_dir: Path | None = None) -> Settings:
    return load_settings(rpc_url=rpc_url, data_dir=data_dir)


def _expected(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``cli_support.expected_errors``, with pypdf's repair chatter on damaged PDFs silenced
    (the one error line says it all)."""

    @functools.wraps(fn)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        return fn(*args, **kwargs)

    return expected_errors(quiet)


def _chain(s: Settings):
    from . import manifest
    from .chain import Chain

    return Chain(s, manifest.load(s.manifest_path))


def _when(ts: int | None) -> str:
    if not ts:
        return "—"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _passphrase(*, confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    return typer.prompt("passphrase of the X25519 key file", hide_input=True, confirmation_prompt=confirm)


def _fingerprint_rows(table: Table, fp: Any) -> None:
    table.add_row("SHA-256", fp.sha256_hex)
    table.add_row("ISCC content", fp.iscc_content or "— (no readable text)")
    table.add_row("size", f"{fp.size:,} bytes · {fp.media_type}")


# --- commands ----------------------------------------------------------------------------


def verify(
    file: Annotated[Path, typer.Argument(help="the file to look up", exists=True, dir_okay=False)],
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Fingerprint FILE and look it up directly on chain: registrant, block and time, payees, terms, disputes."""
    from .verification import verify_file

    s = _settings(rpc_url, data_dir)
    chain = _chain(s)
    with console.status("fingerprinting and reading the chain…"):
        v = verify_file(chain=chain, path=file)
    if not v.registered:
        console.print(f"[yellow]not registered:[/] {file.name} — no work on chain has SHA-256 {v.fingerprint.sha256_hex} (block {v.as_of_block})")
        raise typer.Exit(NOT_FOUND_EXIT)
    t = Table("", "", title=f"work {v.work_id} · as of block {v.as_of_block}", show_header=False)
    t.add_row("work id", str(v.work_id))
    t.add_row("status", v.status or "")
    t.add_row("registrant", v.registrant or "—")
    t.add_row("holder", v.holder or "")
    t.add_row("registered", f"block {v.registration_block} · {_when(v.registration_time)}")
    t.add_row("transaction", v.registration_tx or "—")
    t.add_row("ISCC on chain", v.iscc_code or "—")
    t.add_row("metadata", v.metadata_uri or "—")
    _fingerprint_rows(t, v.fingerprint)
    for p in v.payees:
        t.add_row("payee", f"{p.account} · {p.bps / 100:.2f}%")
    console.print(t)
    if v.terms:
        tt = Table("terms", "state", "kind", "price (fen)", "copies", "loan period", "ILL", "fee", title="attached terms")
        for x in v.terms:
            tt.add_row(str(x.terms_id), x.state, x.kind, f"{x.price:,}", str(x.copies), f"{x.loan_period // 86_400} d", "yes" if x.ill_allowed else "no", f"{x.fee_bps / 100:.0f}%")
        console.print(tt)
    if v.disputes:
        dt = Table("dispute", "status", "claimant", "opened", "respond by", "ruling", title="disputes")
        for d in v.disputes:
            dt.add_row(str(d.dispute_id), d.status, d.claimant, _when(d.opened_at), _when(d.respond_by), d.ruling)
        console.print(dt)


def check(
    file: Annotated[Path, typer.Argument(help="the file a library considers buying", exists=True, dir_okay=False)],
    max_distance: Annotated[int, typer.Option(help="near-duplicate threshold in bits (ISCC Text-Code, 0-64)", min=0, max=64)] = 12,
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Do we already hold FILE? Exact match on chain and near duplicates (re-encoded or edited copies)."""
    from .registration import check_file, index_from_chain

    s = _settings(rpc_url, data_dir)
    chain = _chain(s)
    with console.status("fingerprinting and reading the chain…"):
        result = check_file(chain=chain, path=file, index=index_from_chain(chain), max_distance=max_distance)
    if result.existing_work_id:
        console.print(f"[bold]held:[/] exactly this file is registered as work {result.existing_work_id}")
    if result.near_duplicates:
        console.print(f"[bold]near duplicates[/] within {max_distance} bits (same text re-encoded or edited):")
        t = Table("work", "distance (bits)")
        for n in result.near_duplicates:
            t.add_row(str(n.work_id), str(n.distance))
        console.print(t)
    if not result.held:
        console.print(f"not held: no registered work matches {file.name} (within {max_distance} bits)")


def trace(
    file: Annotated[Path, typer.Argument(help="a delivered (possibly leaked) copy", exists=True, dir_okay=False)],
    trusted_key: Annotated[Optional[list[str]], typer.Option("--trusted-key", help="platform stamp key (hex); default: data_dir/keys/platform-stamp.pub")] = None,
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Extract and verify FILE's loan stamp, name the loan and library, and check the loan on chain."""
    from .delivery import trace_file, trusted_stamp_keys

    s = _settings(rpc_url, data_dir)
    try:
        keys = [bytes.fromhex(k.removeprefix("0x")) for k in trusted_key] if trusted_key else trusted_stamp_keys(s)
    except ValueError:
        raise ConfigError("--trusted-key takes a 64-digit hex Ed25519 public key") from None
    if not keys:
        raise ConfigError(f"no trusted platform stamp key: pass --trusted-key or put it in {s.data_path / 'keys' / 'platform-stamp.pub'}")
    result = trace_file(chain=_chain(s), path=file, trusted_keys=keys)
    st = result.stamp
    t = Table("", "", title=f"loan stamp of {file.name} (signature valid)", show_header=False)
    t.add_row("loan", f"{result.kind} {result.loan_id}")
    t.add_row("licence", st.licence_id)
    t.add_row("library", f"{st.library_isil}" + (f" · {result.library_name}" if result.library_name else ""))
    if result.library:
        t.add_row("library account", result.library)
    t.add_row("delivered", _when(st.issued_at))
    t.add_row("content SHA-256", st.content_sha256)
    if result.work_id is not None:
        t.add_row("work", str(result.work_id))
    if result.loan_status:
        t.add_row("loan status", f"{result.loan_status} · due {_when(result.due_at)}")
    if result.checkout_block is not None:
        t.add_row("checked out", f"block {result.checkout_block} · {_when(result.checkout_time)} · tx {result.checkout_tx}")
    console.print(t)
    if result.confirmed:
        console.print(f"[green]confirmed on chain:[/] loan {result.loan_id} of library {st.library_isil}")
        return
    for p in result.problems:
        console.print(f"[yellow]not confirmed:[/] {p}")
    raise typer.Exit(NOT_FOUND_EXIT)


def open_package(
    loan: Annotated[str, typer.Argument(
        help="the loan: a package file from the platform, or a loan id (ill:ID for a digital ILL) fetched from --api")],
    key: Annotated[Path, typer.Option("--key", help="this library's X25519 key file", exists=True, dir_okay=False)],
    out: Annotated[Optional[Path], typer.Option("--out", help="where to write the stamped copy")] = None,
    kubo: Annotated[Optional[str], typer.Option("--kubo", help="fetch content from this kubo RPC URL instead of the local store")] = None,
    api: Annotated[Optional[str], typer.Option("--api", envvar="LIBLEDGER_API_URL",
                                               help="the platform's service URL, to fetch a loan by id (LIBLEDGER_API_URL)")] = None,
    token: Annotated[Optional[str], typer.Option("--token", envvar="LIBLEDGER_API_TOKEN", help="this library's API token (LIBLEDGER_API_TOKEN)")] = None,
    data_dir: DataOpt = None,
) -> None:
    """Decrypt LOAN with this library's private key and write the stamped copy. LOAN is a package
    file, or a loan id whose package and encrypted content come from the platform's service."""
    import tempfile

    from rights.sealing import load_private_key
    from rights.store import LocalContentStore

    from .delivery import DeliveryError, LoanPackage, open_loan

    s = _settings(data_dir=data_dir)
    store: Any
    with tempfile.TemporaryDirectory(prefix="libledger-open-") as tmp:
        if Path(loan).is_file():
            pkg = LoanPackage.load(loan)
            store = None
        else:
            from .loan_fetch import fetch_content, fetch_package, parse_loan_ref, service_client

            ref = parse_loan_ref(loan)
            if ref is None:
                raise DeliveryError(f"{loan} is neither a loan package file nor a loan id (42, or ill:123 for a digital ILL)")
            if not api or not token:
                raise ConfigError("to open a loan by id, give the service URL and this library's token (--api/--token or LIBLEDGER_API_URL/LIBLEDGER_API_TOKEN)")
            with service_client(api, token) as client:
                pkg = fetch_package(client, *ref)
                if not kubo:
                    store = LocalContentStore(tmp)  # the downloaded, CID-checked ciphertext; gone after opening
                    fetch_content(client, pkg.content_cid, store)
        pair = load_private_key(key, _passphrase(confirm=False))
        if kubo:
            from rights.kubo import KuboContentStore

            store = KuboContentStore(kubo)
        elif store is None:
            store = LocalContentStore(s.content_path)
        path = open_loan(pkg, pair, store, dest=out)
    console.print(f"opened loan {pkg.loan_id} (licence {pkg.licence_id}, library {pkg.library_isil}): {path}")
    console.print(f"due {_when(pkg.due_at)}; the copy carries a signed loan stamp naming this loan")


def keys_x25519(
    member: Annotated[str, typer.Option("--member", help="the member's ISIL / institution id, e.g. CN-330000-ZJL")],
    key_name: Annotated[Optional[str], typer.Option("--key", help="keystore name of the member's account (default: found by address)")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="key file (default: data_dir/keys/<ISIL>.x25519.json)")] = None,
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
) -> None:
    """Create an X25519 key pair for MEMBER, keep the private key encrypted, publish the public key on chain."""
    from . import accounts, keystore
    from .delivery import PlatformKeys, member_key_path, platform_account, publish_member_key, write_stamp_public_key

    s = _settings(rpc_url, data_dir)
    chain = _chain(s)
    address = chain.contract("Consortium").call("memberByInstitution", member)
    if int(address, 16) == 0:
        raise LedgerError(f"no consortium member has institution id {member!r}")
    if key_name is None:
        key_name = next((n for n in keystore.names(s.keystore_path) if keystore.address_of(s.keystore_path, n).lower() == address.lower()), None)
        if key_name is None:
            raise LedgerError(f"no key for {member} ({address}) in {s.keystore_path}: pass --key NAME")
    account = accounts.signer(s, key_name, create=False)
    if account.address.lower() != address.lower():
        raise LedgerError(f"key {key_name!r} is {account.address}, but {member} is {address}")
    path = out or member_key_path(s, member)
    cost = (
        {"opslimit": nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, "memlimit": nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE}
        if s.chain_profile == ChainProfile.dev
        else {}
    )
    pair = publish_member_key(chain=chain, member=account, key_path=path, passphrase=_passphrase(confirm=True), **cost)
    console.print(f"{member}: X25519 public key {pair.public_key.hex()} published on chain")
    console.print(f"private key (encrypted): {path}")
    if platform_account(chain).lower() == address.lower():
        pub = write_stamp_public_key(s, PlatformKeys(pair))
        console.print(f"platform stamp key (Ed25519, public): {PlatformKeys(pair).stamp_public_key.hex()} → {pub}")


def register_commands(app: typer.Typer) -> None:
    """Add verify, check, trace, open and `keys x25519` to the libledger app."""
    app.command("verify")(_expected(verify))
    app.command("check")(_expected(check))
    app.command("trace")(_expected(trace))
    app.command("open")(_expected(open_package))
    keys = next((g.typer_instance for g in app.registered_groups if g.name == "keys"), None)
    if keys is None:
        keys = typer.Typer(help="Encrypted keys of this installation.", no_args_is_help=True)
        app.add_typer(keys, name="keys")
    keys.command("x25519")(_expected(keys_x25519))

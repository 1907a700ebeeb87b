"""``libledger`` commands of the service: ``serve``, ``token``, ``works``, ``licences``, ``ill``, ``demo``.

Registered on the main Typer app by ``register_commands(app)`` (one line in ledger/cli.py). The
flows use the same service layer as the HTTP API.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledger.errors import LedgerError

from .config import ApiSettings, api_settings
from .problems import Problem, ledger_problem

console = Console()
err = Console(stderr=True, soft_wrap=True)

DataOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="data directory (LIBLEDGER_DATA_DIR)")]
MemberOpt = Annotated[str, typer.Option("--member", "-m", help="ISIL / institution id acting (its key is in the keystore)")]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="wait for the receipt (and briefly for the mirror)")]

token_app = typer.Typer(help="API tokens (bearer secrets mapped to one member).", no_args_is_help=True)
works_app = typer.Typer(help="Works: register and look up.", no_args_is_help=True)
licences_app = typer.Typer(help="Licences: acquire and list.", no_args_is_help=True)
ill_app = typer.Typer(help="Interlibrary loan requests.", no_args_is_help=True)
loans_app = typer.Typer(help="Digital loans: check out and check in.", no_args_is_help=True)


def problems_as_lines(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A Problem or LedgerError becomes one red line (with the contract error's name) and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (Problem, LedgerError) as exc:
            p = exc if isinstance(exc, Problem) else ledger_problem(exc)
            name = p.extensions.get("error")
            err.print(f"[bold red]error ({p.status}):[/] {p.detail}" + (f" [dim]\\[{name}][/]" if name else ""), highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _settings(data_dir: Path | None, **kw: Any) -> ApiSettings:
    return api_settings(data_dir=data_dir, **kw)


def _runtime(s: ApiSettings):  # noqa: ANN202
    from .runtime import Runtime

    return Runtime.open(s)


def _actor(rt: Any, member: str) -> Any:
    from .deps import Actor

    return Actor(member=member, account=rt.address_of(member))


def _status(w: Any) -> str:
    colour = {"mirrored": "green", "mined": "yellow", "submitted": "cyan"}.get(w.status, "white")
    return f"[{colour}]{w.status}[/] tx {w.tx_hash}" + (f" block {w.block_number}" if w.block_number else "")


# ------------------------------------------------------------------------------ serve


def serve(
    data_dir: DataOpt = None,
    host: Annotated[Optional[str], typer.Option(help="bind address (LIBLEDGER_API_HOST)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (LIBLEDGER_API_PORT)")] = None,
    indexer: Annotated[bool, typer.Option("--indexer/--no-indexer", help="run the indexer loop in this process")] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes (one indexer writes; the others wait as standby)")] = 1,
) -> None:
    """Serve the HTTP API (uvicorn) with the indexer loop in the same process."""
    import os

    import uvicorn

    from .main import create_app

    s = _settings(data_dir, api_host=host, api_port=port, run_indexer=indexer)
    console.print(f"[green]libledger API[/] on http://{s.api_host}:{s.api_port}  (docs: /docs, indexer: {'on' if indexer else 'off'}, workers: {workers})")
    if workers > 1:
        if data_dir is not None:
            os.environ["LIBLEDGER_DATA_DIR"] = str(data_dir)
        os.environ["LIBLEDGER_RUN_INDEXER"] = "true" if indexer else "false"
        # the workers sign for the same members: reserve nonces across processes (ledger.nonces)
        os.environ["LIBLEDGER_SHARED_NONCES"] = "true"
        uvicorn.run("api.main:app_from_env", factory=True, host=s.api_host, port=s.api_port, workers=workers, log_level="warning", access_log=False)
        return
    # loop/http "auto": uvloop and httptools (dependencies) when importable, asyncio/h11 otherwise
    uvicorn.run(create_app(s), host=s.api_host, port=s.api_port, log_level="warning", access_log=False)


# ------------------------------------------------------------------------------ tokens


@token_app.command("create")
@problems_as_lines
def token_create(member: MemberOpt, name: Annotated[str, typer.Option("--name", help="what the token is for")], data_dir: DataOpt = None) -> None:
    """Create an API token for MEMBER; the secret is shown once (only its SHA-256 is stored)."""
    from . import tokens

    s = _settings(data_dir)
    rt = _runtime(s)
    try:
        with rt.writing() as session:
            secret, row = tokens.create(session, member=member, account=rt.address_of(member), name=name)
    finally:
        rt.close()
    console.print(f"token [bold]{row.id}[/] for {member} ({row.account}) — shown once, keep it safe:")
    print(secret)


@token_app.command("list")
@problems_as_lines
def token_list(member: Annotated[Optional[str], typer.Option("--member", "-m")] = None, data_dir: DataOpt = None) -> None:
    """List tokens (ids, members, names; never the secrets)."""
    from . import tokens

    rt = _runtime(_settings(data_dir))
    try:
        with rt.sessions() as session:
            rows = tokens.list_tokens(session, member)
    finally:
        rt.close()
    table = Table("id", "member", "account", "name", "created", "revoked")
    for r in rows:
        table.add_row(r.id, r.member, r.account, r.name, time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.created_at)), "yes" if r.revoked_at else "")
    console.print(table)


@token_app.command("revoke")
@problems_as_lines
def token_revoke(token_id: str, data_dir: DataOpt = None) -> None:
    """Revoke the token with id TOKEN_ID."""
    from . import tokens

    rt = _runtime(_settings(data_dir))
    try:
        with rt.writing() as session:
            done = tokens.revoke(session, token_id)
    finally:
        rt.close()
    console.print(f"token {token_id} revoked" if done else f"no active token {token_id}")


# ------------------------------------------------------------------------------ works


@works_app.command("register")
@problems_as_lines
def works_register(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the work's canonical file (EPUB, PDF, text)")],
    member: MemberOpt,
    title: Annotated[Optional[str], typer.Option("--title", help="title (default: the file name)", max=300)] = None,
    creator: Annotated[Optional[list[str]], typer.Option("--creator", help="creator, e.g. 余华 (repeat for several)")] = None,
    language: Annotated[str, typer.Option("--language", help="language of the work (BCP 47: zh, zh-Hant, en, ...)")] = "zh",
    isbn: Annotated[Optional[list[str]], typer.Option("--isbn", help="ISBN-10/13, validated (repeat for several)")] = None,
    metadata_uri: Annotated[Optional[str], typer.Option(
        "--metadata-uri", help="register the fingerprint only, with a metadata record hosted elsewhere (the file is not stored)")] = None,
    max_distance: Annotated[int, typer.Option(
        "--max-distance", min=0, max=64, help="report registered works whose ISCC Text-Code is within this many bits (0-64)")] = 12,
    data_dir: DataOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Register FILE as a work of MEMBER (a publisher): fingerprint (SHA-256 + ISCC), encrypt it into the
    content store with its canonical metadata record, seal its key for the platform, then register on
    chain; registered works within --max-distance bits (ISCC Text-Code) are listed as near duplicates,
    with their distance. With --metadata-uri only the fingerprint is registered."""
    from .services import writes

    s = _settings(data_dir, write_wait_timeout=5.0)
    title = title or file.stem
    if metadata_uri is None:
        from .services.registration import register_path

        rt = _runtime(s)
        try:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
                progress.add_task(f"fingerprinting, storing and registering {file.name}", total=None)
                with rt.sessions() as session:
                    reg = register_path(rt, session, actor=_actor(rt, member), path=file, title=title, creators=creator or [], language=language,
                                        identifiers=[("isbn", i) for i in isbn or []], max_distance=max_distance)
        finally:
            rt.close()
        fp = reg.fingerprint
        table = Table("work", "sha-256", "iscc", "size", "metadata", "content (encrypted)", "tx", show_header=True)
        table.add_row(str(reg.work_id), fp.sha256_hex[:16] + "…", fp.iscc_content or fp.iscc_data, f"{fp.size:,} B", reg.metadata_uri,
                      reg.content_cid, f"{reg.tx_hash} block {reg.block_number}")
        console.print(table)
        for n in reg.near_duplicates:
            console.print(f"[yellow]near duplicate:[/] work {n.work_id} ({n.distance} bits apart)")
        return

    from rights.fingerprint import fingerprint_file

    from .schemas import _iscc_bytes

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        t = progress.add_task(f"fingerprinting {file.name}", total=None)
        fp = fingerprint_file(file)
        iscc = _iscc_bytes(fp.iscc_content or fp.iscc_data)
        progress.update(t, description=f"registering {fp.sha256_bytes32[:18]}… on chain")
        rt = _runtime(s)
        try:
            w, work_id = writes.register_work(
                rt=rt, actor=_actor(rt, member), content_hash=fp.sha256, iscc=bytes.fromhex(iscc[2:]), metadata_uri=metadata_uri,
                title=title, wait=wait,
            )
        finally:
            rt.close()
    table = Table("work", "sha-256", "iscc", "size", "status", show_header=True)
    table.add_row(str(work_id or "?"), fp.sha256_hex[:16] + "…", fp.iscc_content or fp.iscc_data, f"{fp.size:,} B", _status(w))
    console.print(table)


@works_app.command("show")
@problems_as_lines
def works_show(work_id: int, data_dir: DataOpt = None) -> None:
    """Show a work from the mirror."""
    from .services import reads

    rt = _runtime(_settings(data_dir))
    try:
        with rt.sessions() as s:
            w = reads.get_work(s, work_id)
            head = reads.as_of(s)
    finally:
        rt.close()
    table = Table("field", "value", title=f"work {work_id} (as of block {head})")
    for k in ("content_hash", "iscc", "holder", "status", "metadata_uri", "registered_at", "registered_tx"):
        table.add_row(k, str(w[k]))
    table.add_row("payees", ", ".join(f"{p['account']} {p['bps'] / 100:.2f}%" for p in w["payees"]))
    console.print(table)


# ------------------------------------------------------------------------------ licences


@licences_app.command("acquire")
@problems_as_lines
def licences_acquire(
    member: MemberOpt,
    work: Annotated[int, typer.Option("--work", help="work id")],
    terms: Annotated[int, typer.Option("--terms", help="terms id")],
    copies: Annotated[int, typer.Option(min=1, max=1000)] = 1,
    data_dir: DataOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Acquire a licence of WORK under TERMS for MEMBER (a library)."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        with console.status("acquiring licence…"):
            w, lid = writes.acquire_licence(rt=rt, actor=_actor(rt, member), work_id=work, terms_id=terms, copies=copies, wait=wait)
    finally:
        rt.close()
    ev = w.first("LicenceAcquired") or {}
    table = Table("licence", "work", "terms", "copies", "paid (fen)", "status")
    table.add_row(str(lid or "?"), str(work), str(terms), str(ev.get("copies", "?")), str(ev.get("gross", "?")), _status(w))
    console.print(table)


@licences_app.command("list")
@problems_as_lines
def licences_list(member: Annotated[Optional[str], typer.Option("--member", "-m", help="holder ISIL")] = None, limit: int = 50, data_dir: DataOpt = None) -> None:
    """List licences from the mirror."""
    from .services import reads

    rt = _runtime(_settings(data_dir))
    try:
        with rt.sessions() as s:
            holder = reads.member_account(s, member) if member else None
            items, _ = reads.list_licences(s, limit=limit, cursor=None, holder=holder)
    finally:
        rt.close()
    table = Table("licence", "work", "terms", "holder", "copies", "active", "loans", "paid (fen)")
    for x in items:
        table.add_row(*(str(x[k]) for k in ("id", "work_id", "terms_id", "holder", "copies", "active_loans", "total_loans", "paid")))
    console.print(table)


# ------------------------------------------------------------------------------ ILL


@ill_app.command("request")
@problems_as_lines
def ill_request(
    member: MemberOpt,
    supplier: Annotated[str, typer.Option("--supplier", help="ISIL of the supplying library")],
    own_id: Annotated[str, typer.Option("--own-id", help="your own request id (unique)")],
    work: Annotated[Optional[int], typer.Option("--work", help="work id")] = None,
    isbn: Annotated[Optional[str], typer.Option("--isbn", help="ISBN / union-catalogue id")] = None,
    max_cost: Annotated[int, typer.Option("--max-cost", min=0, help="fen")] = 0,
    copy: Annotated[bool, typer.Option("--copy", help="a copy (scan) instead of a loan")] = False,
    data_dir: DataOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Request an item from another library (ISO 18626)."""
    from .services import writes

    if (work is None) == (isbn is None):
        raise Problem(422, "invalid-input", "Invalid input", "give exactly one of --work and --isbn")
    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        supplier_acct = rt.address_of(supplier)
        with console.status("sending request…"):
            w, rid = writes.request_ill(rt=rt, actor=_actor(rt, member), supplier=supplier_acct, own_id=own_id, service="Copy" if copy else "Loan",
                                        work_id=work, bibliographic_key=isbn, max_cost=max_cost, wait=wait)
    finally:
        rt.close()
    console.print(f"ILL request [bold]{rid}[/]: {_status(w)}")


@ill_app.command("status")
@problems_as_lines
def ill_status(
    member: MemberOpt, request_id: str, status: str, due: Annotated[Optional[int], typer.Option(help="unix due date")] = None,
    charge: Annotated[int, typer.Option(min=0)] = 0, data_dir: DataOpt = None,
) -> None:
    """Supplier: move REQUEST_ID to STATUS (ExpectToSupply, WillSupply, Loaned, LoanCompleted, ...)."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        w = writes.ill_update_status(rt=rt, actor=_actor(rt, member), request_id=request_id, status=status, due_date=due or 0, charge=charge)
    finally:
        rt.close()
    console.print(f"{request_id} → {status}: {_status(w)}")


@ill_app.command("act")
@problems_as_lines
def ill_act(
    member: MemberOpt, request_id: str,
    action: Annotated[str, typer.Argument(help="Received, Cancel, Renew, ShippedReturn, ShippedForward or Lost")],
    forward_to: Annotated[Optional[str], typer.Option("--forward-to", help="ISIL of the library the item goes to (ShippedForward: return anywhere)")] = None,
    data_dir: DataOpt = None, wait: WaitOpt = True,
) -> None:
    """Requester: act on REQUEST_ID (ISO 18626 requesting-agency messages)."""
    from .services import writes
    from .services.reads import ILL_ACTION

    if action not in ILL_ACTION:
        raise Problem(422, "invalid-input", "Invalid input", f"unknown action {action!r}: one of {', '.join(ILL_ACTION)}")
    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        to = rt.address_of(forward_to) if forward_to else None
        w = writes.ill_act(rt=rt, actor=_actor(rt, member), request_id=request_id, action=action, forward_to=to, wait=wait)
    finally:
        rt.close()
    console.print(f"{request_id} ← {action}: {_status(w)}")


@ill_app.command("show")
@problems_as_lines
def ill_show(request_id: str, data_dir: DataOpt = None) -> None:
    """Show an ILL request and its history."""
    from .services import reads

    rt = _runtime(_settings(data_dir))
    try:
        with rt.sessions() as s:
            r = reads.get_ill(s, request_id)
            hist = reads.ill_history(s, request_id)
    finally:
        rt.close()
    console.print(f"[bold]{r['status']}[/]  {r['requester']} ← {r['supplier']}  due {r['due_date']}")
    table = Table("block", "event", "summary", "tx")
    for h in hist:
        table.add_row(str(h["block_number"]), h["event"] or "?", str(h.get("summary") or ""), h["tx_hash"][:18] + "…")
    console.print(table)


# ------------------------------------------------------------------------------ digital loans


@loans_app.command("checkout")
@problems_as_lines
def loans_checkout(
    member: MemberOpt, licence: Annotated[int, typer.Option("--licence", help="licence id (held by MEMBER)")],
    data_dir: DataOpt = None, wait: WaitOpt = True,
) -> None:
    """Lend one digital copy under LICENCE (never more at once than the licence's copies; no patron
    data goes on chain: the loan carries a random reference)."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        w, loan_id = writes.checkout(rt=rt, actor=_actor(rt, member), licence_id=licence, wait=wait)
    finally:
        rt.close()
    console.print(f"loan [bold]{loan_id if loan_id is not None else '?'}[/] under licence {licence}: {_status(w)}")


@loans_app.command("reserve")
@problems_as_lines
def loans_reserve(
    member: MemberOpt,
    groups: Annotated[int, typer.Option("--groups", min=1, max=256, help="loan groups (three loans each) to prepay, 1-256")],
    data_dir: DataOpt = None, wait: WaitOpt = True,
) -> None:
    """Prepay the storage of the next GROUPS loan groups (~22k gas each now) so the checkout
    completing each group costs ~17k gas less (every metered checkout then stays under 120k gas)."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        w, span = writes.reserve_loan_slots(rt=rt, actor=_actor(rt, member), groups=groups, wait=wait)
    finally:
        rt.close()
    what = f"groups {span[0]}-{span[1] - 1} (loans {3 * span[0] + 1}-{3 * span[1]})" if span else f"{groups} groups"
    console.print(f"reserved loan slots for {what}: {_status(w)}")


@loans_app.command("deposit")
@problems_as_lines
def loans_deposit(
    member: MemberOpt, amount: Annotated[int, typer.Option("--amount", min=1, help="fen of MEMBER's credit to prepay")],
    data_dir: DataOpt = None, wait: WaitOpt = True,
) -> None:
    """Prepay AMOUNT fen of credit into the library's loan deposit (held by Royalties); metered
    checkouts pay their per-loan price from it and fail with DepositTooLow when it runs short."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        actor = _actor(rt, member)
        w = writes.deposit_for_loans(rt=rt, actor=actor, amount=amount, wait=wait)
        left = writes.loan_deposit(rt, actor.account) if wait else None
    finally:
        rt.close()
    console.print(f"deposited {amount} fen" + (f"; deposit now {left} fen" if left is not None else "") + f": {_status(w)}")


@loans_app.command("withdraw-deposit")
@problems_as_lines
def loans_withdraw_deposit(
    member: MemberOpt, amount: Annotated[int, typer.Option("--amount", min=1, help="fen to take back")],
    data_dir: DataOpt = None, wait: WaitOpt = True,
) -> None:
    """Take AMOUNT fen of the library's loan deposit back to its credit balance."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        actor = _actor(rt, member)
        w = writes.withdraw_deposit(rt=rt, actor=actor, amount=amount, wait=wait)
        left = writes.loan_deposit(rt, actor.account) if wait else None
    finally:
        rt.close()
    console.print(f"took back {amount} fen" + (f"; deposit now {left} fen" if left is not None else "") + f": {_status(w)}")


@loans_app.command("checkin")
@problems_as_lines
def loans_checkin(member: MemberOpt, loan_id: int, data_dir: DataOpt = None, wait: WaitOpt = True) -> None:
    """Return digital loan LOAN_ID (the copy is free to lend again)."""
    from .services import writes

    rt = _runtime(_settings(data_dir, write_wait_timeout=5.0))
    try:
        w = writes.checkin(rt=rt, actor=_actor(rt, member), loan_id=loan_id, wait=wait)
    finally:
        rt.close()
    console.print(f"loan {loan_id} returned: {_status(w)}")


# ------------------------------------------------------------------------------ demo


def demo(data_dir: DataOpt = None, force: Annotated[bool, typer.Option(help="seed again even if seeded")] = False) -> None:
    """Seed a realistic consortium (浙江图书馆 and friends) on the running chain; tokens to data_dir/demo-tokens.json."""
    from .demo import seed

    try:
        seed(_settings(data_dir), force=force, console=console)
    except (Problem, LedgerError) as exc:
        detail = exc.detail if isinstance(exc, Problem) else ledger_problem(exc).detail
        err.print(f"[bold red]error:[/] {detail}", highlight=False)
        raise typer.Exit(1) from None


def register_commands(app: typer.Typer) -> None:
    """Add the service's commands to the ``libledger`` app."""
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(token_app, name="token")
    app.add_typer(works_app, name="works")
    app.add_typer(licences_app, name="licences")
    app.add_typer(ill_app, name="ill")
    app.add_typer(loans_app, name="loans")

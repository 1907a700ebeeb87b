"""``libledger payouts``, ``libledger statement verify`` and ``libledger audit export|verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from rights.atomic import atomic_open, write_json_atomic
from rights.periods import DEFAULT_TZ, PeriodError, parse_period
from rights.statement import StatementInvalid, payee_document, platform_document, sign, to_csv, to_pdf, verify, yuan

from . import manifest as manifests
from .errors import ConfigError, LedgerError

audit_app = typer.Typer(help="Audit bundles: export from the mirror, verify against any node.", no_args_is_help=True)
statement_app = typer.Typer(help="Signed royalty statements.", no_args_is_help=True)


def _period(label: str, tz: str):
    try:
        return parse_period(label, tz)
    except PeriodError as exc:
        raise ConfigError(str(exc)) from None


def _open(settings):
    from .chain import Chain
    from .mirror.db import make_engine, session_factory

    man = manifests.load(settings.manifest_path)
    chain = Chain(settings, man)
    engine = make_engine(settings.mirror_url)
    return man, chain, session_factory(engine)


def register_commands(app: typer.Typer) -> None:
    """Add the payout and audit commands to the ``libledger`` app."""
    from .cli import _settings
    from .cli_support import console, expected_errors

    app.add_typer(audit_app, name="audit")
    app.add_typer(statement_app, name="statement")

    @app.command()
    @expected_errors
    def payouts(
        period: Annotated[str, typer.Option("--period", help="calendar month, e.g. 2026-10")],
        tz: Annotated[str, typer.Option(help="time zone of the month")] = DEFAULT_TZ,
        out: Annotated[Path, typer.Option(help="folder for the statements")] = Path("statements"),
        allow_open: Annotated[bool, typer.Option(help="allow a month that is not over yet")] = False,
    ) -> None:
        """Royalty statements for a month, reconciled with the chain, signed by the platform (JSON, CSV, PDF)."""
        from .delivery import load_platform_keys
        from .payouts import reconcile

        s = _settings()
        p = _period(period, tz)
        man, chain, sessions = _open(s)
        with console.status(f"reconciling {p.label} with the chain…"), sessions() as session:
            result = reconcile(session, chain, p, allow_open=allow_open)
        from .rights_cli import _passphrase

        key = load_platform_keys(s, chain, _passphrase(confirm=False)).signing_key
        chain_info = {"chain_id": man.chain_id, "royalties": man.address("Royalties"), "start_block": result.start_block, "end_block": result.end_block}
        out.mkdir(parents=True, exist_ok=True)
        st = result.statements
        table = Table("payee", "lines", "net", title=f"royalty statements {p.label} ({p.tz})")
        for payee, ps in st.payees.items():
            signed = sign(payee_document(st, ps, chain=chain_info), key)
            base = out / f"{p.label}-{payee}"
            write_json_atomic(base.with_suffix(".json"), signed, ensure_ascii=False, indent=1)
            with atomic_open(base.with_suffix(".csv")) as f:
                f.write(to_csv(signed["statement"]))
            with atomic_open(base.with_suffix(".pdf"), binary=True) as f:
                f.write(to_pdf(signed))
            table.add_row(payee, str(len(ps.lines)), yuan(ps.net_total))
        summary = sign(platform_document(st, chain=chain_info), key)
        write_json_atomic(out / f"{p.label}-platform.json", summary, ensure_ascii=False, indent=1)
        console.print(table)
        console.print(
            f"gross {yuan(st.gross_total)} · platform fee {yuan(st.platform_fee)} · to payees {yuan(st.net_total)} · "
            f"{result.accounts_checked} accounts reconciled with blocks {result.start_block}–{result.end_block}"
        )
        console.print(f"statements in {out}/ (signed; check with `libledger statement verify FILE`)")

    @statement_app.command("verify")
    @expected_errors
    def statement_verify(
        file: Path,
        key: Annotated[Optional[str], typer.Option(help="trusted platform public key (hex)")] = None,
    ) -> None:
        """Check a signed statement offline: signature, and (with --key) the signer."""
        try:
            doc = verify(file.read_bytes(), {key} if key else None)
        except StatementInvalid as exc:
            raise LedgerError(f"{file}: {exc}") from None
        except OSError as exc:
            raise LedgerError(f"cannot read {file}: {exc}") from None
        who = doc.get("payee", "platform summary")
        console.print(f"[green]valid[/] statement {doc['period']} for {who}" + ("" if key else " (signer not checked: pass --key)"))

    @audit_app.command("export")
    @expected_errors
    def audit_export(
        out: Annotated[Path, typer.Option("-o", "--out", help="bundle file to write")],
        work: Annotated[Optional[int], typer.Option(help="work id")] = None,
        library: Annotated[Optional[str], typer.Option(help="library ISIL")] = None,
        period: Annotated[Optional[str], typer.Option(help="calendar month, e.g. 2026-10")] = None,
        tz: Annotated[str, typer.Option(help="time zone of the month")] = DEFAULT_TZ,
    ) -> None:
        """Write every relevant event with block, block hash, tx hash and log index as one JSON file."""
        from .audit import export_bundle

        if work is None and library is None and period is None:
            raise ConfigError("name what to export: --work ID, --library ISIL and/or --period YYYY-MM")
        s = _settings()
        man, chain, sessions = _open(s)
        account = None
        if library is not None:
            account = chain.contract("Consortium").call("memberByInstitution", library)
            if int(account, 16) == 0:
                raise ConfigError(f"no member with institution id {library!r}")
        with sessions() as session:
            bundle = export_bundle(session, man, work_id=work, account=account, period=_period(period, tz) if period else None)
        write_json_atomic(out, bundle, ensure_ascii=False, indent=1)
        console.print(f"{len(bundle['events'])} events ({bundle['subject']}) → {out}")

    @audit_app.command("verify")
    @expected_errors
    def audit_verify(
        bundle: Path,
        rpc: Annotated[str, typer.Option("--rpc", help="any node of the chain (not the API)")],
    ) -> None:
        """Re-fetch every receipt from the node and confirm each event of the bundle."""
        from .audit import load_bundle, verify_bundle

        try:
            data = load_bundle(bundle.read_bytes())
        except OSError as exc:
            raise LedgerError(f"cannot read {bundle}: {exc}") from None
        report = verify_bundle(data, rpc)
        for p in report.problems:
            console.print(f"[red]✗[/] {p}", highlight=False)
        if not report.ok:
            raise LedgerError(f"{report.confirmed} of {report.checked} events confirmed; {len(report.problems)} problem(s)")
        console.print(f"[green]all {report.confirmed} events confirmed[/] on {rpc}")

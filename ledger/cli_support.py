"""What every ``libledger`` command module shares: the Rich consoles and the rule that an
expected failure is one red line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from rights.errors import RightsError

from .errors import LedgerError

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def expected_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a LedgerError or RightsError (bad file, wrong passphrase, ...) into one red line and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (LedgerError, RightsError) as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(getattr(exc, "exit_code", 1)) from None

    return wrapper

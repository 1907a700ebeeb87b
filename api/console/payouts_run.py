"""The platform's payouts run in the console: a background thread per period, a small in-memory
registry of runs (one running run per period; starting it again returns the running one), and
the progress the status fragment polls.

The work is ``api.services.statements.signed_statements`` (reconcile with the chain, then sign
each payee's statement); this module only runs it and remembers how far it got.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from rights.periods import Period

from ..problems import Problem
from ..services.statements import SignedStatements, signed_statements

log = logging.getLogger("api.console.payouts")

#: the steps in the order a run takes them (``ledger.payouts.reconcile``'s, then signing)
STEPS = ("raw_events", "projection", "balances", "signing")


@dataclass
class PayoutRun:
    """One run for one period: where it is, and its outcome once finished."""

    period: Period
    started_by: str
    started_at: float = field(default_factory=time.time)
    state: str = "running"  # running | done | failed
    step: str = "queued"
    done: int = 0
    total: int = 0
    finished_at: float | None = None
    result: SignedStatements | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    thread: threading.Thread | None = field(default=None, repr=False)

    def advance(self, step: str, done: int, total: int) -> None:
        self.step, self.done, self.total = step, done, total

    @property
    def running(self) -> bool:
        return self.state == "running"

    def step_index(self) -> int:
        return STEPS.index(self.step) if self.step in STEPS else -1


class PayoutRuns:
    """In-memory registry of the process's payouts runs, keyed by period label."""

    def __init__(self) -> None:
        self._runs: dict[str, PayoutRun] = {}
        self._lock = threading.Lock()

    def get(self, label: str) -> PayoutRun | None:
        with self._lock:
            return self._runs.get(label)

    def recent(self) -> list[PayoutRun]:
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.started_at, reverse=True)

    def start(self, rt: Any, period: Period, *, started_by: str) -> tuple[PayoutRun, bool]:
        """Start a run for ``period`` in a background thread; returns (run, started). A run already
        going for the period is returned as is (started False)."""
        with self._lock:
            current = self._runs.get(period.label)
            if current is not None and current.running:
                return current, False
            run = PayoutRun(period=period, started_by=started_by)
            self._runs[period.label] = run
            run.thread = threading.Thread(target=_work, args=(rt, run), name=f"payouts-{period.label}", daemon=True)
            run.thread.start()
        return run, True


def _work(rt: Any, run: PayoutRun) -> None:
    try:
        with rt.sessions() as session:
            run.result = signed_statements(rt, session, run.period, progress=run.advance)
        run.state = "done"
    except Problem as p:
        run.error, run.problems = p.detail, list(p.extensions.get("problems", []))
        run.state = "failed"
    except Exception as exc:  # noqa: BLE001 - the page shows what went wrong instead of a silent thread death
        log.exception("payouts run %s failed", run.period.label)
        run.error = f"{type(exc).__name__}: {exc}"
        run.state = "failed"
    finally:
        run.finished_at = time.time()


_registry_lock = threading.Lock()


def runs_of(app: Any) -> PayoutRuns:
    """The app's registry of payouts runs (made on first use)."""
    with _registry_lock:
        runs = getattr(app.state, "payout_runs", None)
        if runs is None:
            runs = app.state.payout_runs = PayoutRuns()
        return runs

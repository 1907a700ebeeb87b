"""The platform's payouts run in the console: a background thread per period, kept as files under
the data dir so a restart or a second worker sees every run (its state, progress, totals and
signed statements), and the progress the status fragment polls.

Why files and not a table: a run's outcome is a handful of signed JSON documents that are served
as they are, the mirror's schema (Alembic) stays the chain's projection only, and a file lock
(``flock``) says whether a run is still going in *some* process: the kernel drops it when that
process dies, so a run interrupted by a restart is recognised without heartbeats.

Layout (``data_dir/payouts``)::

    <YYYY-MM>/.lock                         held while a run of the month goes on
    <YYYY-MM>/<run id>/run.json             state, progress, totals (written last: the commit point)
    <YYYY-MM>/<run id>/statements/<account>.json, platform.json   the signed documents

Every file is written atomically (temp file + fsync + rename). The work itself is
``api.services.statements.signed_statements`` (reconcile with the chain, then sign).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rights import atomic
from rights.periods import Period, parse_period

from ..problems import Problem
from ..services.statements import SignedStatements, signed_statements

log = logging.getLogger("api.console.payouts")

#: the steps in the order a run takes them (``ledger.payouts.reconcile``'s, then signing)
STEPS = ("raw_events", "projection", "balances", "signing")
#: progress is written to disk at most this often (seconds) within a step; a step change always is
PROGRESS_EVERY = 0.5
#: how many runs the platform page lists
RECENT = 24
INTERRUPTED = "interrupted: the service stopped before the run finished; start it again"


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as compact JSON to ``path`` atomically (``rights.atomic``)."""
    atomic.write_json_atomic(path, obj, ensure_ascii=False, separators=(",", ":"))


def summary_of(result: SignedStatements) -> dict[str, Any]:
    """What the run page shows of a finished run (amounts in fen): the reconciliation's evidence,
    the period's totals and, per payee, its number of payment lines and net."""
    rec = result.reconciled
    st = rec.statements
    assert st is not None
    return {
        "accounts_checked": rec.accounts_checked, "start_block": rec.start_block, "end_block": rec.end_block,
        "payments": st.payments, "gross_total": st.gross_total, "platform_fee": st.platform_fee, "net_total": st.net_total,
        "escrow_in": st.escrow_in, "escrow_out": st.escrow_out,
        "payees": {a: {"lines": len(ps.lines), "net_total": ps.net_total} for a, ps in st.payees.items()},
    }


@dataclass
class PayoutRun:
    """One run for one period: where it is, and its outcome once finished (``summary`` and the
    signed documents in ``dir``)."""

    period: Period
    started_by: str
    dir: Path
    run_id: str = ""
    started_at: float = field(default_factory=time.time)
    state: str = "running"  # running | done | failed
    step: str = "queued"
    done: int = 0
    total: int = 0
    finished_at: float | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    thread: threading.Thread | None = field(default=None, repr=False)
    _saved_at: float = field(default=0.0, repr=False)

    def advance(self, step: str, done: int, total: int) -> None:
        changed = step != self.step
        self.step, self.done, self.total = step, done, total
        if changed or time.monotonic() - self._saved_at >= PROGRESS_EVERY:
            self.save()

    @property
    def running(self) -> bool:
        return self.state == "running"

    def step_index(self) -> int:
        return STEPS.index(self.step) if self.step in STEPS else -1

    # ---- files

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period.label, "tz": self.period.tz, "run_id": self.run_id, "started_by": self.started_by,
            "started_at": self.started_at, "state": self.state, "step": self.step, "done": self.done, "total": self.total,
            "finished_at": self.finished_at, "summary": self.summary, "error": self.error, "problems": self.problems,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], dir: Path) -> PayoutRun:
        return cls(
            period=parse_period(obj["period"], obj["tz"]), started_by=obj["started_by"], dir=dir, run_id=obj["run_id"],
            started_at=obj["started_at"], state=obj["state"], step=obj["step"], done=obj["done"], total=obj["total"],
            finished_at=obj["finished_at"], summary=obj["summary"], error=obj["error"], problems=list(obj["problems"]),
        )

    def save(self) -> None:
        """Write ``run.json`` (atomically)."""
        self._saved_at = time.monotonic()
        write_json_atomic(self.dir / "run.json", self.to_json())

    def save_documents(self, result: SignedStatements) -> None:
        """Write the signed documents (before the final ``run.json`` that says ``done``)."""
        for account, doc in result.payees.items():
            write_json_atomic(self.dir / "statements" / f"{account.lower()}.json", doc)
        if result.platform is not None:
            write_json_atomic(self.dir / "platform.json", result.platform)

    def document(self, name: str) -> dict[str, Any] | None:
        """A signed document of the finished run: a payee's (by account, any case) or ``platform``."""
        if self.state != "done":
            return None
        if name != "platform" and not re.fullmatch(r"0x[0-9a-fA-F]{40}", name):
            return None
        path = self.dir / "platform.json" if name == "platform" else self.dir / "statements" / f"{name.lower()}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None


class _MonthLock:
    """``flock`` on ``<month>/.lock``: held by the process whose thread runs the month's payouts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def _held_elsewhere(path: Path) -> bool:
    """Is the month's lock held (by any process, this one included: flock is per open file)?"""
    if not path.exists():
        return False
    lock = _MonthLock(path)
    try:
        if lock.try_acquire():
            return False
        return True
    finally:
        lock.release()


class PayoutRuns:
    """The payouts runs of an installation, kept under ``root`` (``data_dir/payouts``), keyed by
    period label; runs started by this process are also held in memory (progress, thread)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._live: dict[str, PayoutRun] = {}
        self._lock = threading.Lock()

    def _month(self, label: str) -> Path:
        if not (len(label) == 7 and label[4] == "-" and label.replace("-", "").isdigit()):
            raise ValueError(f"not a period label: {label!r}")
        return self.root / label

    def _load(self, run_dir: Path) -> PayoutRun | None:
        try:
            run = PayoutRun.from_json(json.loads((run_dir / "run.json").read_text(encoding="utf-8")), run_dir)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("unreadable payouts run %s: %s", run_dir, exc)
            return None
        if run.running and not _held_elsewhere(run_dir.parent / ".lock"):
            run.state, run.error, run.finished_at = "failed", INTERRUPTED, run.finished_at or run.started_at
        return run

    def runs(self, label: str) -> list[PayoutRun]:
        """Every run of the month, newest first."""
        month = self._month(label)
        ids = sorted((p.name for p in month.iterdir() if p.is_dir()), reverse=True) if month.is_dir() else []
        out = []
        for run_id in ids:
            live = self._live.get(label)
            run = live if live is not None and live.run_id == run_id else self._load(month / run_id)
            if run is not None:
                out.append(run)
        return out

    def get(self, label: str) -> PayoutRun | None:
        """The month's latest run (from this process's memory when it started it, else from disk)."""
        with self._lock:
            runs = self.runs(label)
        return runs[0] if runs else None

    def last_done(self, label: str) -> PayoutRun | None:
        """The month's latest run that finished with signed statements."""
        with self._lock:
            return next((r for r in self.runs(label) if r.state == "done"), None)

    def recent(self) -> list[PayoutRun]:
        """The latest run of each month, newest first (at most ``RECENT``)."""
        labels = sorted((p.name for p in self.root.iterdir() if p.is_dir()), reverse=True) if self.root.is_dir() else []
        out = []
        with self._lock:
            for label in labels:
                try:
                    runs = self.runs(label)
                except ValueError:
                    continue
                if runs:
                    out.append(runs[0])
        return sorted(out, key=lambda r: r.started_at, reverse=True)[:RECENT]

    def start(self, rt: Any, period: Period, *, started_by: str) -> tuple[PayoutRun, bool]:
        """Start a run for ``period`` in a background thread; returns (run, started). A run already
        going for the period (in this or another process) is returned as is (started False)."""
        with self._lock:
            month = self._month(period.label)
            lock = _MonthLock(month / ".lock")
            if not lock.try_acquire():
                lock.release()
                current = self.runs(period.label)
                if current and current[0].running:
                    return current[0], False
                raise Problem(409, "payouts-busy", "A payouts run is starting", f"a payouts run of {period.label} is starting elsewhere; try again")
            started = time.time()
            run_id = f"{int(started * 1000):015d}-{secrets.token_hex(3)}"
            run = PayoutRun(period=period, started_by=started_by, dir=month / run_id, run_id=run_id, started_at=started)
            try:
                run.save()
            except BaseException:
                lock.release()
                raise
            self._live[period.label] = run
            run.thread = threading.Thread(target=_work, args=(rt, run, lock), name=f"payouts-{period.label}", daemon=True)
            run.thread.start()
        return run, True


def _work(rt: Any, run: PayoutRun, lock: _MonthLock) -> None:
    try:
        try:
            with rt.sessions() as session:
                result = signed_statements(rt, session, run.period, progress=run.advance)
            run.save_documents(result)
            run.summary = summary_of(result)
            run.state = "done"
        except Problem as p:
            run.error, run.problems = p.detail, list(p.extensions.get("problems", []))
            run.state = "failed"
        except Exception as exc:  # noqa: BLE001 - the page shows what went wrong instead of a silent thread death
            log.exception("payouts run %s failed", run.period.label)
            run.error = f"{type(exc).__name__}: {exc}"
            run.state = "failed"
        run.finished_at = time.time()
        try:
            run.save()
        except OSError:
            log.exception("payouts run %s: cannot write its outcome", run.period.label)
    finally:
        lock.release()


_registry_lock = threading.Lock()


def runs_of(app: Any) -> PayoutRuns:
    """The app's payouts runs (kept under its data dir; made on first use)."""
    with _registry_lock:
        runs = getattr(app.state, "payout_runs", None)
        if runs is None:
            runs = app.state.payout_runs = PayoutRuns(app.state.runtime.settings.data_path / "payouts")
        return runs

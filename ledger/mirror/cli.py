"""Typer commands of the mirror: ``libledger index`` and ``libledger mirror ...``."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..config import Settings, load_settings
from ..cli_support import console, err_console, expected_errors

mirror_app = typer.Typer(help="The SQL mirror of the chain.", no_args_is_help=True)

RpcOpt = Annotated[Optional[str], typer.Option("--rpc-url", help="JSON-RPC URL (LIBLEDGER_RPC_URL)")]
DataOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="data directory (LIBLEDGER_DATA_DIR)")]
DbOpt = Annotated[Optional[str], typer.Option("--database-url", help="mirror database URL (LIBLEDGER_DATABASE_URL)")]


def _settings(rpc_url: str | None, data_dir: Path | None, database_url: str | None) -> Settings:
    return load_settings(rpc_url=rpc_url, data_dir=data_dir, database_url=database_url)


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": round(record.created, 3), "level": record.levelname.lower(), "msg": record.getMessage()}
        out.update(getattr(record, "fields", {}))
        return json.dumps(out, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (Rich's progress redirects it above the bar)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def setup_logging(level: int = logging.INFO) -> None:
    logger = logging.getLogger("ledger.mirror")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        h = _StderrHandler()
        h.setFormatter(JsonLines())
        logger.addHandler(h)
    logger.setLevel(level)
    logger.propagate = False


class CliReporter:
    """A Rich progress bar while backfilling (blocks, events/s, ETA), JSON log lines after."""

    BACKFILL_MIN_BLOCKS = 100

    def __init__(self, *, bar: bool) -> None:
        from .indexer import LogReporter

        self.logs = LogReporter()
        self.bar = bar
        self.progress: Progress | None = None
        self.task: Any = None
        self.target = 0
        self.t0 = time.perf_counter()
        self.events = 0

    def waiting_for_lock(self) -> None:
        self.logs.waiting_for_lock()

    def started(self, first: int, head: int) -> None:
        self.logs.started(first, head)
        if self.bar and head - first + 1 >= self.BACKFILL_MIN_BLOCKS:
            self.target = head
            self.progress = Progress(
                TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TextColumn("blocks"),
                TextColumn("{task.fields[events]} events · {task.fields[rate]} ev/s"), TimeRemainingColumn(),
                console=err_console, transient=False,
            )
            self.task = self.progress.add_task("backfill", total=head - first + 1, events=0, rate=0)
            self.progress.start()
            self.t0 = time.perf_counter()

    def batch(self, s: Any) -> None:
        if self.progress is None:
            self.logs.batch(s)
            return
        self.events += s.events
        rate = int(self.events / max(1e-6, time.perf_counter() - self.t0))
        self.progress.update(self.task, advance=s.last - s.first + 1, events=self.events, rate=rate)
        if s.last >= self.target:
            self.progress.stop()
            self.progress = None

    def node_down(self, message: str, retry_in: float) -> None:
        if self.progress is not None:
            self.progress.console.print(f"[yellow]node unreachable[/] ({message}); retrying in {retry_in:.1f} s")
        self.logs.node_down(message, retry_in)

    def node_back(self) -> None:
        self.logs.node_back()

    def rolled_back(self, to_block: int) -> None:
        pass

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@expected_errors
def index_command(
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
    database_url: DbOpt = None,
    once: Annotated[bool, typer.Option("--once", help="stop when the head seen at start is mirrored")] = False,
    max_range: Annotated[int, typer.Option("--max-range", help="most blocks read in one batch")] = 50_000,
    lease: Annotated[float, typer.Option("--lease", help="SQLite writer lease, seconds (a dead writer's lock frees after it)")] = 15.0,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="progress bar while backfilling")] = True,
) -> None:
    """Mirror the chain into SQL: backfill from the deploy block, then follow the head."""
    from .. import manifest as manifests
    from .db import make_engine
    from .indexer import Indexer

    setup_logging()
    s = _settings(rpc_url, data_dir, database_url)
    man = manifests.load(s.manifest_path)
    engine = make_engine(s.mirror_url)
    reporter = CliReporter(bar=progress and err_console.is_terminal)
    idx = Indexer(s, man, engine, reporter=reporter, max_range=max_range, initial_range=min(100, max_range), lock_ttl=lease)
    signal.signal(signal.SIGTERM, lambda *_: idx.stop())
    try:
        last = idx.run(once=once)
    except KeyboardInterrupt:
        idx.stop()
        last = None
    finally:
        reporter.close()
        engine.dispose()
    if once and last is not None:
        console.print(f"mirror at block {last} ({idx.total_events} events this run)")


@mirror_app.command("check")
@expected_errors
def check_command(rpc_url: RpcOpt = None, data_dir: DataOpt = None, database_url: DbOpt = None) -> None:
    """Rebuild projections from raw events and re-read the chain; report every difference (exit 1 if any)."""
    from .. import manifest as manifests
    from ..rpc import Rpc
    from .check import check
    from .db import make_engine

    setup_logging(logging.ERROR)
    s = _settings(rpc_url, data_dir, database_url)
    man = manifests.load(s.manifest_path)
    engine = make_engine(s.mirror_url)
    with Rpc(s.rpc_url, timeout=s.rpc_timeout) as rpc:
        diffs = check(engine, rpc, man)
    engine.dispose()
    for d in diffs:
        console.print(f"difference {d}", markup=False, highlight=False, soft_wrap=True)
    if diffs:
        err_console.print(f"[bold red]{len(diffs)} difference(s)[/] between the mirror and the chain")
        raise typer.Exit(1)
    console.print("mirror matches its raw events and the chain")


@mirror_app.command("status")
@expected_errors
def status_command(data_dir: DataOpt = None, database_url: DbOpt = None) -> None:
    """Show which chain and deployment the mirror holds and how far it got."""
    from sqlalchemy import func, select

    from .db import make_engine
    from .models import Checkpoint, RawEvent

    s = _settings(None, data_dir, database_url)
    engine = make_engine(s.mirror_url)
    with engine.connect() as conn:
        cp = conn.execute(select(Checkpoint)).mappings().first()
        n = conn.scalar(select(func.count()).select_from(RawEvent)) if cp else 0
    engine.dispose()
    if cp is None:
        console.print("the mirror is empty (run `libledger index`)")
        return
    console.print(
        f"chain {cp['chain_id']} · Consortium {cp['consortium_address']} · block {cp['block_number']} ({cp['block_hash'][:12]}…) · {n} events"
    )


@mirror_app.command("rebuild")
@expected_errors
def rebuild_command(data_dir: DataOpt = None, database_url: DbOpt = None) -> None:
    """Rebuild every projection from the mirror's raw events (one transaction, as the writer):
    needed once after upgrading a mirror made before revision 0003."""
    from .db import make_engine
    from .lock import WriterLock
    from .rebuild import rebuild

    s = _settings(None, data_dir, database_url)
    engine = make_engine(s.mirror_url)
    lock = WriterLock(engine)
    try:
        if not lock.try_acquire():
            err_console.print("an indexer is writing this mirror: stop it first, then rebuild")
            raise typer.Exit(1)
        with lock.conn.begin():
            lock.fence(lock.conn)
            n = rebuild(lock.conn)
    finally:
        lock.release()
        engine.dispose()
    console.print(f"projections rebuilt from {n} raw events")


@mirror_app.command("migrate")
@expected_errors
def migrate_command(data_dir: DataOpt = None, database_url: DbOpt = None, revision: str = "head") -> None:
    """Upgrade the mirror's schema (Alembic) to REVISION."""
    from .db import make_engine, upgrade

    s = _settings(None, data_dir, database_url)
    engine = make_engine(s.mirror_url)
    upgrade(engine, revision)
    engine.dispose()
    console.print(f"mirror schema at {revision}")

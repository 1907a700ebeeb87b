"""Royalty payouts for a period: statements from the mirror, reconciled with the chain to the fen.

Every statement is checked three ways before it is produced, to the fen, on totals that
cover every payment of the period:

0. projection = raw events: the ``royalty_rollups`` projection the statement totals are read
   from (per account, work and kind: net, gross, number of entries) equals the same sums
   computed from the raw payment events by independent code (``ledger.payouts_raw``, over their
   typed ``payment_entries``; a tampered entry row is named); and the
   ``royalty_accruals`` rows (the per-payment drill-down) credit each account what the raw
   events do. A tampered rollup or accrual row is named;
1. the raw events' own identities hold (gross = fee + nets from payments + escrow kept);
2. chain: for every account, the credits of the raw events equal the change of its
   ``Royalties.balanceOf`` on chain across the period (read at the last block before the period
   and the last block in it) plus what it withdrew in the period (``Royalties:Withdrawn``).

Any difference stops the statement (``ReconciliationError``) and names the records involved.
The period is a calendar month in the consortium's time zone, cut at block timestamps. The
per-payment lines of the statements (``detail``) are built from the raw events' payment
records; at scale, ask for the totals only (``detail=False``).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rights.payouts import ESCROW, PaymentRecord, PeriodStatements, SumKey, build_statements, sums_by_key
from rights.periods import Period

from .chain import Chain
from .errors import LedgerError
from .mirror.entries import entry_rows_differing
from .mirror.models import Block, RawEvent
from .mirror.snapshot import one_snapshot
from .payouts_projection import (  # noqa: F401  (public names of the payouts API)
    CREDITING_KINDS, PeriodTotals, accrual_credits, accrual_credits_started, accrual_rows_differing, period_totals, projection_credits,
    rollup_rows_differing, rollup_sums, totals_from_sums,
)
from .payouts_raw import raw_sums, raw_sums_started  # noqa: F401  (raw_sums: public name)

REF_KINDS = {0: "none", 1: "licence", 2: "digital_loan", 3: "ill_request"}
PAYMENT_EVENTS = ("RoyaltyPaid", "RoyaltyEscrowed", "EscrowReleased")


class ReconciliationError(LedgerError):
    """The statement does not reconcile with the chain; ``problems`` names every difference."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"payouts do not reconcile ({len(problems)} difference(s)): " + "; ".join(problems[:5]))


class PeriodNotClosed(LedgerError):
    """The mirror has not yet indexed the whole period."""


@dataclass
class Reconciled:
    """Statements that passed every check, with the evidence used."""

    statements: PeriodStatements | None  # per-payment lines (None when asked for totals only)
    start_block: int  # state before the period
    end_block: int  # last block inside the period
    accounts_checked: int
    credits: dict[str, int] = field(default_factory=dict)  # fen per account, from the raw events
    totals: PeriodTotals | None = None  # from the rollup, equal to the raw events'


def _int(v: Any) -> int:
    return int(v) if v is not None else 0


def payment_records(session: Session, period: Period) -> list[PaymentRecord]:
    """The chain's payment records in ``period``, read from the mirror's raw events."""
    rows = session.execute(
        select(RawEvent, Block.timestamp)
        .join(Block, Block.number == RawEvent.block_number)
        .where(RawEvent.contract == "Royalties", RawEvent.event.in_(PAYMENT_EVENTS))
        .where(Block.timestamp >= period.start, Block.timestamp < period.end)
        .order_by(RawEvent.block_number, RawEvent.log_index)
    ).all()
    return [_record(ev, ts) for ev, ts in rows]


def _record(ev: RawEvent, ts: int) -> PaymentRecord:
    a = ev.args or {}
    common = dict(block_number=ev.block_number, block_timestamp=ts, tx_hash=ev.tx_hash, log_index=ev.log_index)
    if ev.event == "EscrowReleased":
        return PaymentRecord(
            kind="released", work_id=_int(a.get("workId")), terms_id=0, ref_kind="none", ref_id=0, payer="",
            gross=0, fee=0, fee_recipient="", nets=tuple(zip(a.get("accounts", []), map(_int, a.get("amounts", [])))),
            held=0, released=_int(a.get("amount")), **common,
        )
    escrowed = ev.event == "RoyaltyEscrowed"
    return PaymentRecord(
        kind="escrowed" if escrowed else "paid",
        work_id=_int(a.get("workId")),
        terms_id=_int(a.get("termsId")),
        ref_kind=REF_KINDS.get(_int(a.get("refKind")), str(a.get("refKind"))),
        ref_id=_int(a.get("refId")),
        payer=a.get("payer", ""),
        gross=_int(a.get("gross")),
        fee=_int(a.get("fee")),
        fee_recipient=a.get("feeRecipient", ""),
        nets=() if escrowed else tuple(zip(a.get("payees", []), map(_int, a.get("nets", [])))),
        held=_int(a.get("held")) if escrowed else 0,
        **common,
    )


def _withdrawals(session: Session, period: Period) -> dict[str, int]:
    rows = session.execute(
        select(RawEvent.args)
        .join(Block, Block.number == RawEvent.block_number)
        .where(RawEvent.contract == "Royalties", RawEvent.event == "Withdrawn")
        .where(Block.timestamp >= period.start, Block.timestamp < period.end)
    ).scalars()
    out: dict[str, int] = defaultdict(int)
    for a in rows:
        out[a["account"]] += _int(a["amount"])
    return out


def _last_block_before(session: Session, ts: int) -> int | None:
    return session.execute(select(func.max(Block.number)).where(Block.timestamp < ts)).scalar()


def credits_by_account(records: list[PaymentRecord]) -> dict[str, int]:
    """Fen credited to each account's Royalties balance by the records (fee recipient included)."""
    out: dict[str, int] = defaultdict(int)
    for r in records:
        if r.fee:
            out[r.fee_recipient] += r.fee
        for payee, net in r.nets:
            out[payee] += net
    return dict(out)


def credits_from_sums(sums: dict[SumKey, list[int]]) -> dict[str, int]:
    """Fen credited to each account (fee recipient included, escrow excluded) by the sums."""
    out: dict[str, int] = defaultdict(int)
    for (account, _work, kind), (net, _g, _n) in sums.items():
        if kind in CREDITING_KINDS and account != ESCROW:
            out[account] += net
    return dict(out)


def _key_text(key: SumKey) -> str:
    account, work, kind = key
    return f"account={account or '(escrow)'} work_id={work} kind={kind}"


def projection_differences(
    session: Session, period: Period, raw: dict[SumKey, list[int]], credits: dict[str, int], records: Callable[[], list[PaymentRecord]],
    *, rolled: dict[SumKey, list[int]] | None = None, accrued: dict[str, int] | None = None,
) -> list[str]:
    """Leg 0: the rollup against the raw events per (account, work, kind), and the accrual rows
    against them per account; every difference names the projection rows involved. ``rolled``
    and ``accrued``: ``rollup_sums`` and ``accrual_credits`` of the period when already read."""
    problems: list[str] = []
    rolled = rollup_sums(session, period) if rolled is None else rolled
    # neither holds an all-zero key (every raw key has entries; rollup_sums drops the empty ones):
    # equal dicts (one comparison in C) mean no key differs
    differing = [] if rolled == raw else sorted(
        k for k in rolled.keys() | raw.keys() if rolled.get(k, [0, 0, 0]) != raw.get(k, [0, 0, 0])
    )
    by_account: dict[str, list[SumKey]] = defaultdict(list)
    for key in differing:
        by_account[key[0]].append(key)
    for account, keys in sorted(by_account.items()):
        rows = rollup_rows_differing(session, period, account)
        figures = "; ".join(
            f"{_key_text(k)}: net/gross/entries {'/'.join(map(str, rolled.get(k, [0, 0, 0])))} in the rollup, "
            f"{'/'.join(map(str, raw.get(k, [0, 0, 0])))} in the raw events" for k in keys[:4]
        )
        problems.append(f"{account or '(escrow)'}: the royalty_rollups projection differs from the raw events ({figures}; rows: {'; '.join(rows[:8]) or 'none differs from the accruals'})")
    accrued = accrual_credits(session, period) if accrued is None else accrued
    for account in sorted(set(credits) | set(accrued)):
        if accrued.get(account, 0) != credits.get(account, 0):
            rows = accrual_rows_differing(session, period, account, records())
            problems.append(
                f"{account}: the royalty_accruals projection credits {accrued.get(account, 0)} fen, the raw events "
                f"{credits.get(account, 0)} ({'; '.join(rows[:8]) or 'totals differ'})"
            )
    return problems


BALANCE_BATCH = 200


def balances_at(chain: Chain, accounts: list[str], block: int | None) -> dict[str, int]:
    """``Royalties.balanceOf`` of every account at ``block`` in fen (0 before the deployment),
    read with batched ``eth_call`` requests of ``BALANCE_BATCH``."""
    deployed_at = chain.manifest.contracts["Royalties"].block if chain.manifest else 0
    if block is None or block < deployed_at:
        return dict.fromkeys(accounts, 0)
    royalties = chain.contract("Royalties")
    fn = royalties.abi.function("balanceOf")
    out: dict[str, int] = {}
    for i in range(0, len(accounts), BALANCE_BATCH):
        part = accounts[i : i + BALANCE_BATCH]
        calls = [("eth_call", [{"to": royalties.address, "data": "0x" + fn.encode(a).hex()}, hex(block)]) for a in part]
        for account, result in zip(part, chain.rpc.batch(calls)):
            if isinstance(result, Exception):
                raise result
            out[account] = fn.decode_output(bytes.fromhex(result[2:]))
    return out


#: ``progress(step, done, total)``: ``reconcile`` reports "raw_events", "projection" and
#: "balances" (one call per account checked on chain); it never changes the result.
Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the legs build their dicts: they allocate millions of
    acyclic tuples and lists, and every collection of the young generation (each 700 allocations)
    and the full ones they trigger walk them all; that was ~40% of the Python time of the legs.
    Plain reference counting still frees everything; the previous state is restored after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def mirror_legs(
    session: Session, period: Period, records: Callable[[], list[PaymentRecord]], progress: Progress | None = None,
    *, check_records: bool = False,
) -> tuple[PeriodTotals, dict[str, int], list[str]]:
    """Every check that needs no node: the raw events' sums and identities (legs 1) and the
    projections against them (leg 0). Returns the statement totals, the fen credited per
    account (both from the raw events) and the problems found. ``records`` loads the payment
    records, called only to name rows when something differs.

    The raw events' sums are read from their typed ``payment_entries``. When anything differs (or
    always with ``check_records``: the records are loaded anyway for the per-payment lines), the
    entries are checked against the raw events' own arguments: a differing entry row is named,
    and the projection and the chain are then judged against the sums of the raw events'
    arguments (the chain leg decides which of the two the node confirms)."""
    progress = progress or _no_progress
    progress("raw_events", 0, 1)
    with _gc_paused():
        raw_result = raw_sums_started(session, period)  # PostgreSQL: each on a connection of its own,
        progress("projection", 0, 1)
        accrued_result = accrual_credits_started(session, period)
        rolled = rollup_sums(session, period)  # while the session reads the rollup
        accrued = accrued_result()
        raw = raw_result()
        totals, credits, problems = _legs_from(session, period, raw, records, rolled, accrued)
    if problems or check_records:
        truth = sums_by_key(records())
        if truth != raw:
            bad = entry_rows_differing(session.connection(), period.start, period.end)
            totals, credits, problems = _legs_from(session, period, truth, records, rolled, accrued)
            problems.insert(0, "raw events: the payment_entries chain data differs from the raw events' arguments "
                               f"({'; '.join(bad[:8]) or 'sums differ'})")
    return totals, credits, problems


def _legs_from(
    session: Session, period: Period, raw: dict[SumKey, list[int]], records: Callable[[], list[PaymentRecord]],
    rolled: dict[SumKey, list[int]], accrued: dict[str, int],
) -> tuple[PeriodTotals, dict[str, int], list[str]]:
    totals = totals_from_sums(raw)
    credits = totals.credits  # = credits_from_sums(raw), computed in the same pass
    problems = [f"raw events: {p}" for p in totals.check()]
    problems += projection_differences(session, period, raw, credits, records, rolled=rolled, accrued=accrued)
    return totals, credits, problems


def reconcile(
    session: Session, chain: Chain, period: Period, *, allow_open: bool = False, detail: bool = True,
    progress: Progress | None = None,
) -> Reconciled:
    """Statements for ``period``, checked against the chain; raises ``ReconciliationError``.

    ``detail=False``: totals only (``Reconciled.totals``), without reading every payment record
    unless a difference has to be named. ``progress``, when given, is called as each step starts
    and after each account's balance check.
    """
    with one_snapshot(session) as snap:  # every leg below reads one state of the mirror
        return _reconcile(snap, chain, period, allow_open=allow_open, detail=detail, progress=progress)


def _reconcile(
    session: Session, chain: Chain, period: Period, *, allow_open: bool, detail: bool, progress: Progress | None,
) -> Reconciled:
    progress = progress or _no_progress
    head_ts = session.execute(select(func.max(Block.timestamp))).scalar()
    if head_ts is None:
        raise PeriodNotClosed("the mirror is empty: run `libledger index` first")
    if head_ts < period.end and not allow_open:
        raise PeriodNotClosed(f"period {period.label} is not over in the mirror yet (head block time {head_ts} < {period.end})")
    loaded: list[list[PaymentRecord]] = []

    def records() -> list[PaymentRecord]:
        if not loaded:
            loaded.append(payment_records(session, period))
        return loaded[0]

    totals, credits, problems = mirror_legs(session, period, records, progress, check_records=detail)
    statements = build_statements(records(), period) if detail else None
    if statements is not None:
        problems += statements.check()

    start_block = _last_block_before(session, period.start)
    end_block = _last_block_before(session, period.end)
    withdrawn = _withdrawals(session, period)
    accounts = sorted(set(credits) | set(withdrawn))
    progress("balances", 0, len(accounts))
    before = balances_at(chain, accounts, start_block)
    after = balances_at(chain, accounts, end_block)
    for done, account in enumerate(accounts, 1):
        delta = after[account] - before[account]
        expected = credits.get(account, 0)
        if delta + withdrawn.get(account, 0) != expected:
            involved = [f"{r.tx_hash}#{r.log_index}" for r in records() if r.fee_recipient == account or any(p == account for p, _ in r.nets)]
            problems.append(
                f"{account}: mirror credits {expected} fen but the chain's balance moved {delta} "
                f"+ withdrawn {withdrawn.get(account, 0)} (records: {', '.join(involved[:8]) or 'none'})"
            )
        progress("balances", done, len(accounts))
    if problems:
        raise ReconciliationError(problems)
    return Reconciled(statements, start_block or 0, end_block or 0, len(accounts), credits, totals)

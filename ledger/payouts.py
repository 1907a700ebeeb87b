"""Royalty payouts for a period: statements from the mirror, reconciled with the chain to the fen.

Every statement is checked three ways before it is produced:

0. the mirror's projections equal the same figures recomputed from the raw events: the
   ``royalty_accruals`` rows per account (one scan of the period's accruals in SQL), and the
   ``royalty_rollups`` the statement totals are read from, per account and per (payee, work)
   (a tampered accrual or rollup row is named);
1. the payment records in the mirror's raw events (``Royalties:RoyaltyPaid`` / ``RoyaltyEscrowed``
   / ``EscrowReleased``) give each account's credits in the period — the statement's figures;
2. the statement's own identities hold (gross = fee + nets + escrow kept; see ``rights.payouts``);
3. for every account, those credits equal the change of its ``Royalties.balanceOf`` on chain
   across the period (read at the last block before the period and the last block in it)
   plus what it withdrew in the period (``Royalties:Withdrawn``).

Any difference stops the statement (``ReconciliationError``) and names the records involved.
The period is a calendar month in the consortium's time zone, cut at block timestamps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rights.payouts import PaymentRecord, PeriodStatements, build_statements
from rights.periods import Period, utc_month_bounds, utc_months_plan

from .chain import Chain
from .errors import LedgerError
from .mirror.db import is_sqlite
from .mirror.models import ESCROW_ACCOUNT, Block, RawEvent, RoyaltyAccrual, RoyaltyRollup

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

    statements: PeriodStatements
    start_block: int  # state before the period
    end_block: int  # last block inside the period
    accounts_checked: int
    credits: dict[str, int] = field(default_factory=dict)


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
            held=0, **common,
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


CREDITING_KINDS = ("paid", "fee", "released")


def accrual_credits(session: Session, period: Period) -> dict[str, int]:
    """Fen credited per account in ``period`` according to the ``royalty_accruals`` rows
    themselves (one scan of the period's accruals; the statements read the rollup instead).

    Summed by the database on PostgreSQL (exact NUMERIC); on SQLite, whose SUM goes through
    floating point beyond 64 bits, the rows are summed in Python.
    """
    where = (
        RoyaltyAccrual.account.is_not(None),
        RoyaltyAccrual.kind.in_(CREDITING_KINDS),
        RoyaltyAccrual.block_timestamp >= period.start,
        RoyaltyAccrual.block_timestamp < period.end,
    )
    if is_sqlite(session.get_bind()):
        out: dict[str, int] = defaultdict(int)
        for account, net in session.execute(select(RoyaltyAccrual.account, RoyaltyAccrual.net).where(*where)):
            out[account] += int(net)
        return dict(out)
    rows = session.execute(select(RoyaltyAccrual.account, func.sum(RoyaltyAccrual.net)).where(*where).group_by(RoyaltyAccrual.account))
    return {account: int(total) for account, total in rows}


RollupKey = tuple[str, int, str]  # (account or ESCROW_ACCOUNT, work id, kind)


def _accrual_sums(session: Session, lo: int, hi: int, *, account: str | None = None) -> dict[RollupKey, list[int]]:
    """Sums of the accruals with ``lo <= block_timestamp < hi`` per rollup key: [net, gross, rows]."""
    a = RoyaltyAccrual
    where = [a.block_timestamp >= lo, a.block_timestamp < hi]
    if account is not None:
        where.append(a.account == account if account != ESCROW_ACCOUNT else a.account.is_(None))
    out: dict[RollupKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    if is_sqlite(session.get_bind()):
        for acct, work, kind, net, gross in session.execute(select(a.account, a.work_id, a.kind, a.net, a.gross).where(*where)):
            s = out[(acct or ESCROW_ACCOUNT, int(work), kind)]
            s[0] += int(net)
            s[1] += int(gross)
            s[2] += 1
        return out
    rows = session.execute(
        select(a.account, a.work_id, a.kind, func.sum(a.net), func.sum(a.gross), func.count())
        .where(*where).group_by(a.account, a.work_id, a.kind)
    )
    for acct, work, kind, net, gross, n in rows:
        s = out[(acct or ESCROW_ACCOUNT, int(work), kind)]
        s[0] += int(net)
        s[1] += int(gross)
        s[2] += int(n)
    return out


def rollup_sums(session: Session, period: Period) -> dict[RollupKey, list[int]]:
    """[net, gross, accrual rows] per (account, work, kind) for ``period``, from ``royalty_rollups``.

    The rollup is kept per UTC month; the period's month in its own zone is assembled exactly
    from the UTC months it overlaps plus or minus the accruals of the boundary slices
    (``rights.periods.utc_months_plan``; 8 hours at each end for Asia/Shanghai).
    """
    months, slices = utc_months_plan(period)
    out: dict[RollupKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    if months:
        r = RoyaltyRollup
        for acct, work, kind, net, gross, n in session.execute(
            select(r.account, r.work_id, r.kind, r.net, r.gross, r.accruals).where(r.month.in_(months))
        ):
            s = out[(acct, work, kind)]
            s[0] += net
            s[1] += gross
            s[2] += n
    for lo, hi, sign in slices:
        for key, (net, gross, n) in _accrual_sums(session, lo, hi).items():
            s = out[key]
            s[0] += sign * net
            s[1] += sign * gross
            s[2] += sign * n
    return {k: v for k, v in out.items() if v != [0, 0, 0]}


def projection_credits(session: Session, period: Period) -> dict[str, int]:
    """Fen credited per account in ``period`` according to the projection (``royalty_rollups``)."""
    return period_totals(session, period).credits


@dataclass
class PeriodTotals:
    """A period's statements at scale, read from the ``royalty_rollups`` projection: net fen per
    (payee, work), per payee, per account credited (fee recipient included), the platform's fee
    and the payments' gross."""

    by_payee_work: dict[tuple[str, int], int]
    by_payee: dict[str, int]
    platform_fee: int
    gross: int
    escrowed: int
    paid_nets: int = 0
    credits: dict[str, int] = field(default_factory=dict)

    def check(self) -> list[str]:
        """gross = fee + payees' nets from payments + escrow kept (released escrow excluded)."""
        return [] if self.gross == self.platform_fee + self.paid_nets + self.escrowed else [
            f"gross {self.gross} != fee {self.platform_fee} + nets {self.paid_nets} + escrow {self.escrowed}"
        ]


def period_totals(session: Session, period: Period) -> PeriodTotals:
    """Statement totals for ``period`` from the rollup (see ``rollup_sums``); amounts in fen."""
    by_pw: dict[tuple[str, int], int] = {}
    by_p: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    gross = 0
    for (account, work, kind), (net, g, _n) in rollup_sums(session, period).items():
        kinds[kind] += net
        if kind in CREDITING_KINDS and account != ESCROW_ACCOUNT:
            credits[account] += net
        if kind in ("paid", "released"):
            by_pw[(account, work)] = by_pw.get((account, work), 0) + net
            by_p[account] += net
        elif kind == "fee":
            # gross once per payment: every payment has exactly one fee row (a zero fee reverts on chain)
            gross += g
    return PeriodTotals(
        by_payee_work=by_pw,
        by_payee=dict(by_p),
        platform_fee=kinds["fee"],
        gross=gross,
        escrowed=kinds["escrowed"],
        paid_nets=kinds["paid"],
        credits=dict(credits),
    )


def rollup_rows_differing(session: Session, period: Period, account: str) -> list[str]:
    """Rows of ``royalty_rollups`` for ``account`` (in the UTC months ``period`` reads whole)
    that differ from the sums of the accrual rows they stand for."""
    months, _ = utc_months_plan(period)
    r = RoyaltyRollup
    bad: list[str] = []
    for month in months:
        lo, hi = utc_month_bounds(month)
        expected = _accrual_sums(session, lo, hi, account=account)
        stored = {
            (work, kind): [net, gross, n]
            for work, kind, net, gross, n in session.execute(
                select(r.work_id, r.kind, r.net, r.gross, r.accruals).where(r.month == month, r.account == account)
            )
        }
        for work, kind in sorted(stored.keys() | {(w, k) for (_a, w, k) in expected}):
            want = expected.get((account, work, kind), [0, 0, 0])
            have = stored.get((work, kind))
            if have is None:
                bad.append(f"missing royalty_rollups row month={month} account={account} work_id={work} kind={kind}")
            elif have != want:
                bad.append(
                    f"royalty_rollups month={month} account={account} work_id={work} kind={kind} "
                    f"(net/gross/accruals {have[0]}/{have[1]}/{have[2]}, the accruals give {want[0]}/{want[1]}/{want[2]})"
                )
    return bad


def _projection_rows_differing(session: Session, period: Period, account: str, records: list[PaymentRecord]) -> list[str]:
    """Rows of ``royalty_accruals`` for ``account`` whose amount the raw events do not confirm."""
    expected: dict[tuple[int, int], int] = defaultdict(int)
    for r in records:
        if r.fee and r.fee_recipient == account:
            expected[(r.block_number, r.log_index)] += r.fee
        for payee, net in r.nets:
            if payee == account:
                expected[(r.block_number, r.log_index)] += net
    seen: dict[tuple[int, int], int] = defaultdict(int)
    rows = session.execute(
        select(RoyaltyAccrual.block_number, RoyaltyAccrual.log_index, RoyaltyAccrual.seq, RoyaltyAccrual.net, RoyaltyAccrual.tx_hash)
        .where(RoyaltyAccrual.account == account, RoyaltyAccrual.kind.in_(CREDITING_KINDS))
        .where(RoyaltyAccrual.block_timestamp >= period.start, RoyaltyAccrual.block_timestamp < period.end)
    ).all()
    for block, log, _seq, net, _tx in rows:
        seen[(block, log)] += int(net)
    bad = [f"royalty_accruals block {b} log {lg} (seq {sq}, tx {tx})" for b, lg, sq, _n, tx in rows if seen[(b, lg)] != expected.get((b, lg), 0)]
    bad += [f"missing royalty_accruals row for block {b} log {lg}" for (b, lg) in expected if (b, lg) not in seen]
    return bad


def projection_differences(
    session: Session, period: Period, records: list[PaymentRecord], credits: dict[str, int], statements: PeriodStatements
) -> list[str]:
    """Leg 0: the projections against the raw events, per account (accrual rows and rollup) and
    per (payee, work) (rollup); every difference names the projection rows involved."""
    problems: list[str] = []
    accrued = accrual_credits(session, period)
    for account in sorted(set(credits) | set(accrued)):
        if accrued.get(account, 0) != credits.get(account, 0):
            rows = _projection_rows_differing(session, period, account, records)
            problems.append(
                f"{account}: the royalty_accruals projection credits {accrued.get(account, 0)} fen, the raw events "
                f"{credits.get(account, 0)} ({'; '.join(rows[:8]) or 'totals differ'})"
            )
    totals = period_totals(session, period)
    problems += [f"royalty_rollups: {p}" for p in totals.check()]
    raw_by_pw = {(payee, work): net for payee, ps in statements.payees.items() for work, net in ps.by_work().items()}
    suspects = {a for a in set(credits) | set(totals.credits) if totals.credits.get(a, 0) != credits.get(a, 0)}
    suspects |= {p for (p, w) in set(raw_by_pw) | set(totals.by_payee_work) if totals.by_payee_work.get((p, w), 0) != raw_by_pw.get((p, w), 0)}
    if statements.gross_total != totals.gross or statements.platform_fee != totals.platform_fee:
        suspects |= {a for a in totals.credits if a not in statements.payees}  # the fee recipient
    for account in sorted(suspects):
        rows = rollup_rows_differing(session, period, account)
        problems.append(
            f"{account}: the royalty_rollups projection credits {totals.credits.get(account, 0)} fen, the raw events "
            f"{credits.get(account, 0)} ({'; '.join(rows[:8]) or 'per-work figures differ'})"
        )
    return problems


def reconcile(session: Session, chain: Chain, period: Period, *, allow_open: bool = False) -> Reconciled:
    """Statements for ``period``, checked against the chain; raises ``ReconciliationError``."""
    head_ts = session.execute(select(func.max(Block.timestamp))).scalar()
    if head_ts is None:
        raise PeriodNotClosed("the mirror is empty: run `libledger index` first")
    if head_ts < period.end and not allow_open:
        raise PeriodNotClosed(f"period {period.label} is not over in the mirror yet (head block time {head_ts} < {period.end})")
    records = payment_records(session, period)
    statements = build_statements(records, period)
    problems = statements.check()

    start_block = _last_block_before(session, period.start)
    end_block = _last_block_before(session, period.end)
    royalties = chain.contract("Royalties")
    deployed_at = chain.manifest.contracts["Royalties"].block if chain.manifest else 0

    def balance(account: str, block: int | None) -> int:
        if block is None or block < deployed_at:
            return 0
        return royalties.call("balanceOf", account, block=block)

    credits = credits_by_account(records)
    problems += projection_differences(session, period, records, credits, statements)
    withdrawn = _withdrawals(session, period)
    accounts = sorted(set(credits) | set(withdrawn))
    for account in accounts:
        delta = balance(account, end_block) - balance(account, start_block)
        expected = credits.get(account, 0)
        if delta + withdrawn.get(account, 0) != expected:
            involved = [f"{r.tx_hash}#{r.log_index}" for r in records if r.fee_recipient == account or any(p == account for p, _ in r.nets)]
            problems.append(
                f"{account}: mirror credits {expected} fen but the chain's balance moved {delta} "
                f"+ withdrawn {withdrawn.get(account, 0)} (records: {', '.join(involved[:8]) or 'none'})"
            )
    if problems:
        raise ReconciliationError(problems)
    return Reconciled(statements, start_block or 0, end_block or 0, len(accounts), credits)

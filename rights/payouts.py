"""Royalty payout statements for a period, computed from the payments recorded on chain.

Input: the chain's payment records (one per ``RoyaltyPaid`` / ``RoyaltyEscrowed`` /
``EscrowReleased`` event, as mirrored). Output: one statement per payee (every line: work,
licence or loan, gross, platform fee, the payee's net) plus the platform's fee total, and the
identities that must hold to the fen. No I/O: the mirror query and the chain reconciliation
live in ``ledger``; this module is their shared arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .periods import Period


@dataclass(frozen=True)
class PaymentRecord:
    """One payment for a work, as the chain recorded it. Amounts in fen.

    ``nets`` pairs each payee with its share of the holder side; for an escrowed payment it is
    empty and ``held`` is the holder side kept in escrow. An escrow release has gross = fee = 0
    and pays ``nets`` out of escrow.
    """

    kind: str  # "paid" | "escrowed" | "released"
    work_id: int
    terms_id: int
    ref_kind: str  # "licence" | "digital_loan" | "ill_request" | "none"
    ref_id: int
    payer: str
    gross: int
    fee: int
    fee_recipient: str
    nets: tuple[tuple[str, int], ...]
    held: int
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    released: int = 0  # an escrow release: the amount released (= the sum of ``nets``)

    @property
    def key(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


@dataclass(frozen=True)
class StatementLine:
    """One payment as seen by one payee."""

    work_id: int
    terms_id: int
    ref_kind: str
    ref_id: int
    gross: int  # of the whole payment
    fee: int  # of the whole payment (platform)
    net: int  # this payee's share
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    kind: str = "paid"


@dataclass
class PayeeStatement:
    payee: str
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def net_total(self) -> int:
        return sum(line.net for line in self.lines)

    def by_work(self) -> dict[int, int]:
        """Net fen per work id."""
        out: dict[int, int] = defaultdict(int)
        for line in self.lines:
            out[line.work_id] += line.net
        return dict(sorted(out.items()))


@dataclass
class PeriodStatements:
    """Every payee's statement for one period, with the platform's fee and the totals."""

    period: Period
    payees: dict[str, PayeeStatement]
    platform_fee: int
    gross_total: int
    escrow_in: int  # holder side kept in escrow during the period
    escrow_out: int  # escrow released to payees during the period
    payments: int

    @property
    def net_total(self) -> int:
        return sum(p.net_total for p in self.payees.values())

    def check(self) -> list[str]:
        """The identities every statement must satisfy; returns the broken ones (empty = sound).

        gross = platform fee + payees' nets from payments + escrow kept;
        payees' nets = nets from payments + escrow released.
        """
        problems = []
        from_payments = sum(
            line.net for p in self.payees.values() for line in p.lines if line.kind == "paid"
        )
        released = sum(line.net for p in self.payees.values() for line in p.lines if line.kind == "released")
        if self.gross_total != self.platform_fee + from_payments + self.escrow_in:
            problems.append(
                f"gross {self.gross_total} != fee {self.platform_fee} + nets {from_payments} + escrow {self.escrow_in}"
            )
        if released != self.escrow_out:
            problems.append(f"released to payees {released} != escrow released {self.escrow_out}")
        return problems


def build_statements(records: Iterable[PaymentRecord], period: Period) -> PeriodStatements:
    """Statements for ``period`` from the payment records (records outside it are ignored)."""
    payees: dict[str, PayeeStatement] = {}
    fee = gross = escrow_in = escrow_out = count = 0
    for r in sorted(records, key=lambda r: r.key):
        if not period.contains(r.block_timestamp):
            continue
        count += 1
        fee += r.fee
        gross += r.gross
        escrow_in += r.held
        if r.kind == "released":
            escrow_out += sum(n for _, n in r.nets)
        for payee, net in r.nets:
            st = payees.setdefault(payee, PayeeStatement(payee))
            st.lines.append(
                StatementLine(
                    work_id=r.work_id,
                    terms_id=r.terms_id,
                    ref_kind=r.ref_kind,
                    ref_id=r.ref_id,
                    gross=r.gross,
                    fee=r.fee,
                    net=net,
                    block_number=r.block_number,
                    block_timestamp=r.block_timestamp,
                    tx_hash=r.tx_hash,
                    log_index=r.log_index,
                    kind=r.kind,
                )
            )
    return PeriodStatements(
        period=period,
        payees=dict(sorted(payees.items())),
        platform_fee=fee,
        gross_total=gross,
        escrow_in=escrow_in,
        escrow_out=escrow_out,
        payments=count,
    )


#: The escrow's "account" in ``sums_by_key`` (an escrowed payment credits no account).
ESCROW = ""

SumKey = tuple[str, int, str]  # (account, work id, kind: paid | fee | escrowed | released)


def sums_by_key(records: Iterable[PaymentRecord]) -> dict[SumKey, list[int]]:
    """[net, gross, entries] per (account, work, kind) over ``records``, amounts in fen.

    One entry per account a record credits: each payee's net (``paid``, ``released``), the fee
    recipient's fee (``fee``), the holder side kept in escrow (``escrowed``, account ``ESCROW``);
    gross is the payment's gross (the release's amount for ``released``), once per entry.
    """
    out: dict[SumKey, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(key: SumKey, net: int, gross: int) -> None:
        s = out[key]
        s[0] += net
        s[1] += gross
        s[2] += 1

    for r in records:
        if r.kind == "released":
            for account, net in r.nets:
                add((account, r.work_id, "released"), net, r.released)
            continue
        add((r.fee_recipient, r.work_id, "fee"), r.fee, r.gross)
        if r.kind == "escrowed":
            add((ESCROW, r.work_id, "escrowed"), r.held, r.gross)
        for account, net in r.nets:
            add((account, r.work_id, "paid"), net, r.gross)
    return dict(out)

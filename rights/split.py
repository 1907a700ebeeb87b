"""The royalty split: the exact Python twin of ``Royalties._split`` (contracts/src/Royalties.sol).

Every payment for a work on chain runs one function:

* ``fee = gross * fee_bps // 10000`` (floor) goes to the platform treasury; a payment whose fee
  rounds to zero is refused (``PaymentTooLow``);
* the holder side ``gross - fee`` is divided among the work's payees by basis points, each share
  floored, and the integer remainder goes to the first payee.

All amounts are integers in credit minor units (fen, 1/100 CNY). Payouts, statements and the API
use this module so that every figure they show reconciles with the chain to the fen. It has no
I/O and imports no chain library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

BPS_DENOMINATOR = 10_000
"""Basis points in a whole: shares and fees are expressed in 1/10,000."""

PLATFORM_FEE_BPS = 3_000
"""The platform's default technical-service fee (30%), snapshotted into licence terms."""

MAX_PAYEES = 16
"""Most payees a work may have (``Works.MAX_PAYEES``)."""

_UINT256_LIMIT = 1 << 256


class SplitError(ValueError):
    """A payment the contract would refuse."""


class PaymentTooLow(SplitError):
    """The platform fee of ``gross`` fen rounds to zero (``Royalties.PaymentTooLow(gross)``)."""

    def __init__(self, gross: int) -> None:
        super().__init__(f"payment of {gross} fen is too low: its platform fee rounds to zero")
        self.gross = gross


class FeeBpsTooHigh(SplitError):
    """The fee exceeds 10,000 bps (``Royalties.RoyaltiesFeeBpsTooHigh(feeBps)``)."""

    def __init__(self, fee_bps: int) -> None:
        super().__init__(f"fee of {fee_bps} bps is not within 0..10000")
        self.fee_bps = fee_bps


class InvalidShares(SplitError):
    """Payee shares are not 1–16 entries summing to 10,000 bps
    (``Royalties.RoyaltiesInvalidShares(count, sum)``; ``total`` is 0 when the count alone is
    out of range)."""

    def __init__(self, count: int, total: int) -> None:
        super().__init__(f"{count} payee shares summing to {total} bps (need 1..{MAX_PAYEES} summing to 10000)")
        self.count = count
        self.total = total


class AmountOverflow(SplitError):
    """An intermediate product exceeds 2**256 - 1: the contract reverts with an arithmetic panic."""


@dataclass(frozen=True)
class Split:
    """The result of one payment, in fen.

    ``fee`` goes to the platform treasury; ``nets[i]`` to payee ``i`` (same order as the bps);
    ``fee + sum(nets) == gross`` always.
    """

    gross: int
    fee: int
    nets: tuple[int, ...]

    @property
    def holders(self) -> int:
        """The holder side in fen: ``gross - fee``."""
        return self.gross - self.fee


def _check_uint(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= _UINT256_LIMIT:
        raise SplitError(f"{name} must be an integer in 0..2**256-1, got {value!r}")


def _check_shares(bps: Sequence[int]) -> None:
    # same order of checks and same reported values as Royalties.split
    if not 1 <= len(bps) <= MAX_PAYEES:
        raise InvalidShares(len(bps), 0)
    for b in bps:
        if not isinstance(b, int) or isinstance(b, bool) or not 0 <= b <= 0xFFFF:
            raise SplitError(f"a share must be an integer in 0..65535 (uint16), got {b!r}")
    if sum(bps) != BPS_DENOMINATOR:
        raise InvalidShares(len(bps), sum(bps))


def divide(amount: int, bps: Sequence[int]) -> tuple[int, ...]:
    """Divide ``amount`` fen by ``bps`` (``Royalties._divide``).

    Each part is ``amount * bps[i] // 10000``; the integer remainder is added to the first part.
    Also used to release a disputed work's escrow.

    Raises ``InvalidShares`` unless ``bps`` has 1–16 entries summing to 10,000.
    """
    _check_uint("amount", amount)
    _check_shares(bps)
    parts = []
    for b in bps:
        if amount * b >= _UINT256_LIMIT:
            raise AmountOverflow(f"{amount} * {b} overflows uint256")
        parts.append(amount * b // BPS_DENOMINATOR)
    parts[0] += amount - sum(parts)
    return tuple(parts)


def split_payment(gross: int, fee_bps: int, bps: Sequence[int]) -> Split:
    """Split a payment of ``gross`` fen at platform fee ``fee_bps`` among payees with ``bps``.

    Exactly ``Royalties.split(gross, feeBps, bps)``: ``fee = gross * fee_bps // 10000``; raises
    ``PaymentTooLow`` when that is zero; the holder side ``gross - fee`` is divided by ``divide``
    (floors, remainder to the first payee).

    >>> split_payment(10_000, 3_000, [7_000, 3_000])
    Split(gross=10000, fee=3000, nets=(4900, 2100))
    >>> split_payment(101, 3_000, [7_000, 3_000]).nets
    (50, 21)
    """
    _check_uint("gross", gross)
    if not isinstance(fee_bps, int) or isinstance(fee_bps, bool) or fee_bps < 0:
        raise FeeBpsTooHigh(fee_bps)
    if fee_bps > BPS_DENOMINATOR:
        raise FeeBpsTooHigh(fee_bps)
    _check_shares(bps)
    if gross * fee_bps >= _UINT256_LIMIT:
        raise AmountOverflow(f"{gross} * {fee_bps} overflows uint256")
    fee = gross * fee_bps // BPS_DENOMINATOR
    if fee == 0:
        raise PaymentTooLow(gross)
    return Split(gross=gross, fee=fee, nets=divide(gross - fee, bps))


def subsidy_of(price: int) -> int:
    """The sponsor's share of a subsidised purchase of ``price`` fen (``SubsidyPools.subsidyOf``):
    ``price * 7000 // 10000``; the buyer pays ``price - subsidy_of(price)``."""
    _check_uint("price", price)
    return price * 7_000 // BPS_DENOMINATOR

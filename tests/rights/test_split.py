"""Property tests of rights.split, the Python twin of Royalties._split (amounts in fen)."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from rights.split import (
    BPS_DENOMINATOR,
    MAX_PAYEES,
    PLATFORM_FEE_BPS,
    AmountOverflow,
    FeeBpsTooHigh,
    InvalidShares,
    PaymentTooLow,
    Split,
    SplitError,
    divide,
    split_payment,
    subsidy_of,
)


@st.composite
def shares(draw: st.DrawFn) -> list[int]:
    """1–16 positive basis-point shares summing to 10,000, as Works stores them."""
    n = draw(st.integers(min_value=1, max_value=MAX_PAYEES))
    cuts = sorted(draw(st.lists(st.integers(1, BPS_DENOMINATOR - 1), min_size=n - 1, max_size=n - 1, unique=True)))
    bounds = [0, *cuts, BPS_DENOMINATOR]
    return [bounds[i + 1] - bounds[i] for i in range(n)]


grosses = st.one_of(st.integers(0, 10**12), st.integers(0, 2**200))
fees = st.integers(1, BPS_DENOMINATOR)


# ---------------------------------------------------------------------- known vectors (same as Royalties.t.sol)


def test_seventy_thirty() -> None:
    assert split_payment(10_000, PLATFORM_FEE_BPS, [7_000, 3_000]) == Split(10_000, 3_000, (4_900, 2_100))


def test_remainder_goes_to_first_payee() -> None:
    assert split_payment(101, 3_000, [7_000, 3_000]).nets == (50, 21)
    assert split_payment(101, 3_000, [3_333, 3_333, 3_334]) == Split(101, 30, (25, 23, 23))


def test_escrow_release_division() -> None:
    # Royalties.t.sol test_releaseEscrow_upheld: 7,001 fen released 70/30
    assert divide(7_001, [7_000, 3_000]) == (4_901, 2_100)


def test_smallest_payments() -> None:
    with pytest.raises(PaymentTooLow) as e:
        split_payment(3, 3_000, [10_000])
    assert e.value.gross == 3
    assert split_payment(4, 3_000, [10_000]) == Split(4, 1, (3,))
    with pytest.raises(PaymentTooLow):
        split_payment(0, 10_000, [10_000])


def test_whole_fee() -> None:
    assert split_payment(5, 10_000, [5_000, 5_000]) == Split(5, 5, (0, 0))


def test_bad_inputs() -> None:
    with pytest.raises(FeeBpsTooHigh):
        split_payment(100, 10_001, [10_000])
    with pytest.raises(InvalidShares) as e:
        split_payment(100, 3_000, [5_000, 5_001])
    assert (e.value.count, e.value.total) == (2, 10_001)
    with pytest.raises(InvalidShares) as e:
        split_payment(100, 3_000, [])
    assert (e.value.count, e.value.total) == (0, 0)
    with pytest.raises(InvalidShares):
        split_payment(100, 3_000, [625] * 17)
    with pytest.raises(SplitError):
        split_payment(-1, 3_000, [10_000])
    with pytest.raises(SplitError):
        split_payment(2**256, 3_000, [10_000])
    with pytest.raises(AmountOverflow):
        split_payment(2**255, 3_000, [10_000])


def test_subsidy_is_seventy_percent_floored() -> None:
    assert subsidy_of(10_000) == 7_000
    assert subsidy_of(101) == 70


# ---------------------------------------------------------------------- properties


@settings(max_examples=1000)
@given(gross=grosses, fee_bps=fees, bps=shares())
@example(gross=101, fee_bps=3_000, bps=[3_333, 3_333, 3_334])
def test_fee_is_floor_and_zero_fee_is_refused(gross: int, fee_bps: int, bps: list[int]) -> None:
    expected_fee = gross * fee_bps // BPS_DENOMINATOR
    if expected_fee == 0:
        with pytest.raises(PaymentTooLow):
            split_payment(gross, fee_bps, bps)
        return
    assert split_payment(gross, fee_bps, bps).fee == expected_fee


@settings(max_examples=1000)
@given(gross=grosses, fee_bps=fees, bps=shares())
def test_sum_is_conserved(gross: int, fee_bps: int, bps: list[int]) -> None:
    assume(gross * fee_bps // BPS_DENOMINATOR > 0)
    s = split_payment(gross, fee_bps, bps)
    assert s.fee + sum(s.nets) == gross
    assert s.holders == sum(s.nets)
    assert len(s.nets) == len(bps)
    assert all(n >= 0 for n in s.nets)


@settings(max_examples=1000)
@given(gross=grosses, fee_bps=fees, bps=shares())
def test_remainder_to_first_payee_only(gross: int, fee_bps: int, bps: list[int]) -> None:
    assume(gross * fee_bps // BPS_DENOMINATOR > 0)
    s = split_payment(gross, fee_bps, bps)
    holders = gross - s.fee
    floors = [holders * b // BPS_DENOMINATOR for b in bps]
    assert list(s.nets[1:]) == floors[1:]
    remainder = s.nets[0] - floors[0]
    # each floor loses less than one fen, so the remainder is below the number of payees
    assert 0 <= remainder < len(bps)


@settings(max_examples=500)
@given(amount=grosses, bps=shares())
def test_divide_conserves(amount: int, bps: list[int]) -> None:
    parts = divide(amount, bps)
    assert sum(parts) == amount


@settings(max_examples=500)
@given(gross=st.integers(0, 10**12), bps=shares())
def test_platform_gets_at_most_its_share(gross: int, bps: list[int]) -> None:
    assume(gross * PLATFORM_FEE_BPS // BPS_DENOMINATOR > 0)
    s = split_payment(gross, PLATFORM_FEE_BPS, bps)
    assert s.fee * BPS_DENOMINATOR <= gross * PLATFORM_FEE_BPS < (s.fee + 1) * BPS_DENOMINATOR

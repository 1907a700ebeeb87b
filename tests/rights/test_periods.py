"""Period boundaries are exact calendar months in Asia/Shanghai (UTC+8, no DST)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rights.periods import Period, PeriodError, parse_period, period_of, utc_month, utc_month_bounds, utc_months_plan


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def test_october_2026_in_shanghai():
    p = parse_period("2026-10")
    assert p.start == utc(2026, 9, 30, 16, 0, 0)  # 2026-10-01 00:00 +08:00
    assert p.end == utc(2026, 10, 31, 16, 0, 0)  # 2026-11-01 00:00 +08:00
    assert p.iso_bounds() == ("2026-09-30T16:00:00Z", "2026-10-31T16:00:00Z")


def test_boundary_seconds():
    p = parse_period("2026-10")
    assert not p.contains(p.start - 1)
    assert p.contains(p.start)
    assert p.contains(p.end - 1)
    assert not p.contains(p.end)
    # 2026-10-31 23:59:59 in Shanghai is still October; one second later is November
    assert period_of(utc(2026, 10, 31, 15, 59, 59)).label == "2026-10"
    assert period_of(utc(2026, 10, 31, 16, 0, 0)).label == "2026-11"


def test_december_rolls_into_next_year_and_other_zone():
    p = parse_period("2026-12")
    assert p.end == utc(2026, 12, 31, 16)
    assert p.next() == Period(2027, 1)
    assert parse_period("2026-12", "UTC").end == utc(2027, 1, 1)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-10", "2026/10", "", "1969-12", "2026-10-01"])
def test_bad_labels(bad):
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_bad_zone():
    with pytest.raises(PeriodError, match="unknown time zone"):
        parse_period("2026-10", "Mars/Olympus")


@given(st.integers(0, 4_000_000_000))
def test_every_second_belongs_to_exactly_its_month(ts):
    p = period_of(ts)
    assert p.contains(ts)
    assert not p.next().contains(ts)
    assert p.next().start == p.end


ZONES = ["Asia/Shanghai", "UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Pacific/Chatham", "Pacific/Kiritimati",
         "America/St_Johns", "Africa/Monrovia"]


def _assembled(period, stamps):
    """Count ``stamps`` in ``period`` the way the rollup reads do: whole UTC months ± slices."""
    months, slices = utc_months_plan(period)
    total = sum(1 for t in stamps if utc_month(t) in months)
    return total + sum(sign for lo, hi, sign in slices for t in stamps if lo <= t < hi)


@given(st.sampled_from(ZONES), st.integers(1971, 2100), st.integers(1, 12),
       st.lists(st.integers(-3 * 86_400, 3 * 86_400), min_size=1, max_size=40), st.booleans())
def test_utc_month_plan_counts_exactly_the_period(tz, year, month, offsets, at_end):
    p = Period(year, month, tz)
    edge = p.end if at_end else p.start
    stamps = [edge + o for o in offsets] + [p.start, p.end - 1, p.end, p.start - 1]
    assert _assembled(p, stamps) == sum(1 for t in stamps if p.contains(t))
    months, slices = utc_months_plan(p)
    assert all(hi - lo <= 16 * 86_400 for lo, hi, _ in slices)


def test_shanghai_october_is_utc_october_plus_and_minus_eight_hours():
    months, slices = utc_months_plan(parse_period("2026-10"))
    assert months == [202610]
    assert slices == [(utc(2026, 9, 30, 16), utc(2026, 10, 1), 1), (utc(2026, 10, 31, 16), utc(2026, 11, 1), -1)]
    assert utc_month_bounds(202612) == (utc(2026, 12, 1), utc(2027, 1, 1))
    assert utc_month(utc(2026, 12, 31, 23, 59, 59)) == 202612 and utc_month(utc(2027, 1, 1)) == 202701

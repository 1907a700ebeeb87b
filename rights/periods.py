"""Settlement and payout periods: calendar months in the consortium's time zone, cut at block
timestamps (unix seconds). A period is half-open: ``start <= timestamp < end``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period label or time zone that cannot be used."""


@dataclass(frozen=True)
class Period:
    """A calendar month in ``tz``; ``start``/``end`` are unix seconds (end exclusive)."""

    year: int
    month: int
    tz: str = DEFAULT_TZ

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.tz)

    @property
    def start(self) -> int:
        return int(datetime(self.year, self.month, 1, tzinfo=self.zone).timestamp())

    @property
    def end(self) -> int:
        y, m = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return int(datetime(y, m, 1, tzinfo=self.zone).timestamp())

    def contains(self, timestamp: int) -> bool:
        return self.start <= timestamp < self.end

    def next(self) -> "Period":
        y, m = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return Period(y, m, self.tz)

    def iso_bounds(self) -> tuple[str, str]:
        """Start and end as ISO 8601 UTC strings."""
        fmt = lambda ts: datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")  # noqa: E731
        return fmt(self.start), fmt(self.end)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {tz!r}") from None


def parse_period(label: str, tz: str = DEFAULT_TZ) -> Period:
    """``"2026-10"`` → the month of October 2026 in ``tz``."""
    m = _LABEL.match(label.strip())
    if not m:
        raise PeriodError(f"period {label!r} is not a month like 2026-10")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or year < 1970:
        raise PeriodError(f"period {label!r} is not a valid month")
    _zone(tz)
    return Period(year, month, tz)


def period_of(timestamp: int, tz: str = DEFAULT_TZ) -> Period:
    """The month (in ``tz``) that contains unix time ``timestamp``."""
    d = datetime.fromtimestamp(timestamp, _zone(tz))
    return Period(d.year, d.month, tz)


def utc_month(timestamp: int) -> int:
    """The UTC calendar month of unix time ``timestamp`` as ``yyyymm`` (e.g. 202610): the
    zone-independent bucket of the indexer's royalty rollup."""
    d = datetime.fromtimestamp(timestamp, timezone.utc)
    return d.year * 100 + d.month


def utc_month_bounds(month: int) -> tuple[int, int]:
    """Start and end (exclusive) unix seconds of the UTC month ``yyyymm``."""
    y, m = divmod(month, 100)
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return int(datetime(y, m, 1, tzinfo=timezone.utc).timestamp()), int(datetime(ny, nm, 1, tzinfo=timezone.utc).timestamp())


def utc_months_plan(period: Period) -> tuple[list[int], list[tuple[int, int, int]]]:
    """How to assemble ``period`` (a month in any zone) from UTC-month buckets, exactly.

    Returns ``(months, slices)``: the sum over the whole UTC months ``months``, plus for each
    ``(lo, hi, sign)`` in ``slices`` the rows with ``lo <= timestamp < hi`` times ``sign``
    (+1 or -1), equals the sum over the period. A UTC month entirely inside the period is
    taken whole; a partly covered one is taken whole minus its part outside the period, or
    only its part inside, whichever part is shorter (so a slice is at most half a month and
    usually the zone's offset: 8 hours for Asia/Shanghai). Works for any offset and DST.
    """
    start, end = period.start, period.end
    months: list[int] = []
    slices: list[tuple[int, int, int]] = []
    m = utc_month(start)
    while True:
        lo, hi = utc_month_bounds(m)
        if lo >= end:
            break
        a, b = max(lo, start), min(hi, end)
        if (a, b) == (lo, hi):
            months.append(m)
        elif b - a <= (hi - lo) - (b - a):
            slices.append((a, b, 1))
        else:
            months.append(m)
            slices += [(x, y, -1) for x, y in ((lo, a), (b, hi)) if y > x]
        y, mo = divmod(m, 100)
        m = (y + 1) * 100 + 1 if mo == 12 else m + 1
    return months, slices

"""Message catalogues (zh-CN default, en), and how the console shows money and time.

Templates never hold user-visible text: every string comes from ``t(key)``. A key missing from
the active catalogue raises, so a forgotten translation fails the page (and the tests) at once.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rights.statement import yuan

LANGS = ("zh_CN", "en")
DEFAULT_LANG = "zh_CN"
TZ = ZoneInfo("Asia/Shanghai")
_DIR = Path(__file__).parent / "i18n"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


class MissingMessage(KeyError):
    pass


def translator(lang: str):  # noqa: ANN201
    cat = catalogue(lang if lang in LANGS else DEFAULT_LANG)

    def t(key: str, **values: Any) -> str:
        try:
            msg = cat[key]
        except KeyError:
            raise MissingMessage(f"message {key!r} missing from the {lang} catalogue") from None
        return msg.format(**values) if values else msg

    return t


def money(fen: int | None) -> str:
    """Integer fen as ¥ with two decimals."""
    return yuan(int(fen or 0))


def _dt(value: Any) -> datetime | None:
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def shanghai(value: Any, *, with_time: bool = True) -> str:
    """An ISO 8601 UTC string or unix seconds, shown in Asia/Shanghai."""
    dt = _dt(value)
    if dt is None:
        return "—"
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def day_in_shanghai(value: Any) -> str:
    dt = _dt(value)
    return dt.astimezone(TZ).strftime("%Y-%m-%d") if dt else ""


def month_in_shanghai(value: Any) -> str:
    dt = _dt(value)
    return dt.astimezone(TZ).strftime("%Y-%m") if dt else ""


def previous_month(now: datetime | None = None) -> str:
    """The last calendar month that is over in Asia/Shanghai, as YYYY-MM."""
    local = (now or datetime.now(timezone.utc)).astimezone(TZ)
    return f"{local.year - 1}-12" if local.month == 1 else f"{local.year}-{local.month - 1:02d}"


def end_of_day(date_text: str) -> int:
    """A YYYY-MM-DD date typed by a user (Shanghai) → unix seconds at 23:59:59 that day."""
    d = datetime.strptime(date_text, "%Y-%m-%d").replace(hour=23, minute=59, second=59, tzinfo=TZ)
    return int(d.timestamp())

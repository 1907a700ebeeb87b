"""Column types shared by the mirror's tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class _NoAffinity(UserDefinedType[Any]):
    """SQLite column declared ``BLOB``: no type affinity, values are stored exactly as given."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "BLOB"


class Amount(TypeDecorator[int]):
    """An integer of up to 256 bits (credit amounts in fen, ids, counters), read back as ``int``.

    PostgreSQL: ``NUMERIC(78,0)``, exact. SQLite: a column without affinity; values that fit in
    64 bits are stored as INTEGER, larger ones as their decimal TEXT (never REAL, so nothing is
    rounded). SQLite orders INTEGER before TEXT, so ordering stays right for non-negative values;
    sum such columns in Python (or on PostgreSQL), not with SQLite's SUM().
    """

    impl = Numeric(78, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_NoAffinity())
        return dialect.type_descriptor(Numeric(78, 0))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = int(value)
        if dialect.name == "sqlite" and not (_INT64_MIN <= value <= _INT64_MAX):
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """``process_result_value`` itself when the driver's value needs no other conversion
        (PostgreSQL's Decimal, SQLite's int or text): TypeDecorator's wrapper costs a second call
        per value, and a page of 50 ILL requests reads ~800 amounts."""
        if self.load_dialect_impl(dialect).result_processor(dialect, coltype) is not None:
            return super().result_processor(dialect, coltype)
        return _as_int


def _as_int(value: Any) -> int | None:
    return None if value is None else int(value)

"""The projection store handlers write to: rows by primary key, buffered for one batch.

Handlers read and change rows through ``get`` / ``put`` / ``update`` / ``delete`` / ``append``
and add to running totals with ``accumulate``;
rows are cached for the batch (one SELECT per key at most) and written at ``flush`` as bulk
upserts, deletes and inserts on the batch's connection, inside the batch's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select, tuple_

_MISSING = object()
SUM_READ_CHUNK = 500


def _table(model: Any) -> Table:
    return model if isinstance(model, Table) else model.__table__


class Store:
    """Row cache over ``conn`` for one batch. Not thread-safe; one per batch."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._rows: dict[Table, dict[tuple[Any, ...], dict[str, Any] | None]] = {}
        self._dirty: dict[Table, set[tuple[Any, ...]]] = {}
        self._appends: dict[Table, list[dict[str, Any]]] = {}
        self._pk: dict[Table, tuple[str, ...]] = {}
        self._sums: dict[Table, dict[tuple[Any, ...], dict[str, Any]]] = {}

    def _pk_of(self, t: Table) -> tuple[str, ...]:
        pk = self._pk.get(t)
        if pk is None:
            pk = self._pk[t] = tuple(c.name for c in t.primary_key.columns)
        return pk

    # ------------------------------------------------------------------ reads

    def get(self, model: Any, *key: Any) -> dict[str, Any] | None:
        """The row with primary key ``key`` (columns in declaration order), or None."""
        t = _table(model)
        rows = self._rows.setdefault(t, {})
        row = rows.get(key, _MISSING)
        if row is _MISSING:
            pk = self._pk_of(t)
            found = self.conn.execute(select(t).where(and_(*(t.c[n] == v for n, v in zip(pk, key))))).mappings().first()
            row = rows[key] = dict(found) if found is not None else None
        return row  # type: ignore[return-value]

    # ------------------------------------------------------------------ writes

    def put(self, model: Any, row: dict[str, Any]) -> dict[str, Any]:
        """Insert or replace the whole row (every column given)."""
        t = _table(model)
        key = tuple(row[n] for n in self._pk_of(t))
        self._rows.setdefault(t, {})[key] = row
        self._dirty.setdefault(t, set()).add(key)
        return row

    def update(self, model: Any, *key: Any, **changes: Any) -> dict[str, Any] | None:
        """Change some columns of an existing row; returns it (None if there is no such row)."""
        row = self.get(model, *key)
        if row is None:
            return None
        row.update(changes)
        self._dirty.setdefault(_table(model), set()).add(key)
        return row

    def delete(self, model: Any, *key: Any) -> None:
        t = _table(model)
        self._rows.setdefault(t, {})[key] = None
        self._dirty.setdefault(t, set()).add(key)

    def append(self, model: Any, row: dict[str, Any]) -> None:
        """Insert a row that is never changed afterwards (history, accruals): no read, no cache."""
        self._appends.setdefault(_table(model), []).append(row)

    def accumulate(self, model: Any, row: dict[str, Any]) -> None:
        """Add the non-key columns of ``row`` to the row with its key (created at zero if absent).

        Buffered without reads; at ``flush`` the keys touched are read in bulk, summed in Python
        (exact integers on both databases) and upserted.
        """
        t = _table(model)
        pk = self._pk_of(t)
        key = tuple(row[n] for n in pk)
        sums = self._sums.setdefault(t, {})
        cur = sums.get(key)
        if cur is None:
            sums[key] = {n: v for n, v in row.items() if n not in pk}
        else:
            for n, v in row.items():
                if n not in pk:
                    cur[n] += v

    # ------------------------------------------------------------------ flush

    def flush(self) -> None:
        """Write every change to the connection (the caller's transaction) and forget the cache."""
        for t, keys in self._dirty.items():
            pk = self._pk_of(t)
            rows = self._rows[t]
            gone = [dict(zip(pk, k)) for k in keys if rows[k] is None]
            live = [rows[k] for k in keys if rows[k] is not None]
            if gone:
                stmt = delete(t).where(and_(*(t.c[n] == bindparam("k_" + n) for n in pk)))
                self.conn.execute(stmt, [{"k_" + n: g[n] for n in pk} for g in gone])
            if live:
                self.conn.execute(_upsert(self.conn, t, pk), live)
        for t, rows in self._appends.items():
            if rows:
                self.conn.execute(insert(t), rows)
        for t, sums in self._sums.items():
            self._flush_sums(t, sums)
        self._rows.clear()
        self._dirty.clear()
        self._appends.clear()
        self._sums.clear()

    def _flush_sums(self, t: Table, sums: dict[tuple[Any, ...], dict[str, Any]]) -> None:
        pk = self._pk_of(t)
        keys = list(sums)
        for i in range(0, len(keys), SUM_READ_CHUNK):
            part = keys[i : i + SUM_READ_CHUNK]
            found = self.conn.execute(select(t).where(tuple_(*(t.c[n] for n in pk)).in_(part))).mappings()
            for old in found:
                add = sums[tuple(old[n] for n in pk)]
                for n in add:
                    add[n] += old[n]
        if keys:
            self.conn.execute(_upsert(self.conn, t, pk), [{**dict(zip(pk, k)), **v} for k, v in sums.items()])


def _upsert(conn: Connection, t: Table, pk: Iterable[str]) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(t)
    pk = tuple(pk)
    others = {c.name: stmt.excluded[c.name] for c in t.columns if c.name not in pk}
    if not others:
        return stmt.on_conflict_do_nothing(index_elements=list(pk))
    return stmt.on_conflict_do_update(index_elements=list(pk), set_=others)

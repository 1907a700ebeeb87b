"""Fill ``royalty_rollups`` from the ``royalty_accruals`` already in a mirror, set-based.

The indexer keeps the rollup up to date row by row (``handlers.royalties``); this is for a
mirror that has accruals but no rollup yet: the migration that adds the table (0004) and the
payouts benchmark, whose accruals are COPY'd in without the handlers. Plain SQL on the table
and column names (no models), so old migrations keep working when the models change.
PostgreSQL sums exactly in NUMERIC; SQLite's SUM is 64-bit only, so there the rows are summed
in Python.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, text

from rights.periods import utc_month

PG_FILL = """
INSERT INTO royalty_rollups (month, account, work_id, kind, net, gross, accruals)
SELECT (EXTRACT(YEAR FROM to_timestamp(block_timestamp) AT TIME ZONE 'UTC') * 100
        + EXTRACT(MONTH FROM to_timestamp(block_timestamp) AT TIME ZONE 'UTC'))::integer AS month,
       COALESCE(account, '') AS account, work_id, kind, SUM(net), SUM(gross), COUNT(*)
FROM royalty_accruals
GROUP BY 1, 2, 3, 4
"""

INSERT = text(
    "INSERT INTO royalty_rollups (month, account, work_id, kind, net, gross, accruals) "
    "VALUES (:month, :account, :work_id, :kind, :net, :gross, :accruals)"
)


def fill_rollups(conn: Connection) -> None:
    """Replace ``royalty_rollups`` with the sums of every ``royalty_accruals`` row (caller's transaction)."""
    conn.execute(text("DELETE FROM royalty_rollups"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(PG_FILL))
        return
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ts, account, work, kind, net, gross in conn.execute(
        text("SELECT block_timestamp, account, work_id, kind, net, gross FROM royalty_accruals")
    ):
        s = sums[(utc_month(int(ts)), account or "", int(work), kind)]
        s[0] += int(net)
        s[1] += int(gross)
        s[2] += 1
    rows = [_row(k, v) for k, v in sums.items()]
    if rows:
        conn.execute(INSERT, rows)


def _row(key: tuple, v: list[int]) -> dict:
    month, account, work, kind = key
    # SQLite: values beyond 64 bits go in as decimal text, as ``Amount`` stores them
    big = lambda n: n if -(2**63) <= n < 2**63 else str(n)  # noqa: E731
    return {"month": month, "account": account, "work_id": big(work), "kind": kind, "net": big(v[0]), "gross": big(v[1]), "accruals": v[2]}

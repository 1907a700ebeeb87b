"""``payment_entries``: the amounts of the Royalties payment logs as typed chain data.

One entry per account a payment log credits: for ``RoyaltyPaid`` the fee recipient's fee
(seq 0) and each payee's net (seq 1..n); for ``RoyaltyEscrowed`` the fee (seq 0) and the holder
side kept in escrow (seq 1, account ``""``); for ``EscrowReleased`` each account's part
(seq 0..n-1). ``gross`` is the payment's gross (the release's amount for ``released``). Amounts
in fen. ``month`` is the UTC month of the block (``yyyymm``, as in ``royalty_rollups``), the
leading column of the key-ordered index the payouts' raw leg reads a month through. This is
what the payouts' raw leg sums (``ledger.payouts_raw``) instead of extracting the amounts from
every event's JSON arguments.

The indexer writes the entries of a batch with its raw events, in the same transaction
(``write_entries``); a rollback deletes both; ``mirror check`` recomputes the entries from the
raw events and compares (``check_entries``). The rows are derived here from the decoded log
alone, by code independent of the projection handlers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, text

from rights.periods import utc_month

from .db import bulk_insert

PAYMENT_EVENTS = ("RoyaltyPaid", "RoyaltyEscrowed", "EscrowReleased")
ESCROW = ""  # account of the escrowed entries
COLUMNS = ("block_number", "log_index", "seq", "block_timestamp", "account", "work_id", "kind", "net", "gross", "month")
COLUMNS_0005 = COLUMNS[:9]  # the table as migration 0005 creates it (``month``: 0006)

Entry = tuple[int, int, int, int, str, int, str, int, int, int]  # in ``COLUMNS`` order


def entries_of(block_number: int, log_index: int, timestamp: int, contract: str, event: str | None, args: dict[str, Any] | None) -> list[Entry]:
    """The payment entries of one decoded log (none for any other log), in ``COLUMNS`` order."""
    if contract != "Royalties" or event not in PAYMENT_EVENTS or args is None:
        return []
    head = (block_number, log_index)
    work = int(args["workId"])
    month = utc_month(timestamp)
    if event == "EscrowReleased":
        amount = int(args["amount"])
        return [(*head, i, timestamp, acct, work, "released", int(part), amount, month)
                for i, (acct, part) in enumerate(zip(args["accounts"], args["amounts"]))]
    gross = int(args["gross"])
    out: list[Entry] = [(*head, 0, timestamp, args["feeRecipient"], work, "fee", int(args["fee"]), gross, month)]
    if event == "RoyaltyEscrowed":
        out.append((*head, 1, timestamp, ESCROW, work, "escrowed", int(args["held"]), gross, month))
    else:
        out += [(*head, i, timestamp, payee, work, "paid", int(net), gross, month)
                for i, (payee, net) in enumerate(zip(args["payees"], args["nets"]), 1)]
    return out


def entries_of_events(events: Iterable[Any]) -> list[Entry]:
    """The payment entries of decoded events (``LogEvent``s with their block timestamp)."""
    out: list[Entry] = []
    for e in events:
        if e.contract == "Royalties" and e.event in PAYMENT_EVENTS:
            out += entries_of(e.block_number, e.log_index, e.timestamp, e.contract, e.event, e.args)
    return out


_BIG = 2**63


def _sqlite_row(row: Entry) -> tuple[Any, ...]:
    # ``Amount`` on SQLite: beyond 64 bits as decimal text (never REAL)
    return tuple(str(v) if isinstance(v, int) and not -_BIG <= v < _BIG else v for v in row)


def insert_entries(conn: Connection, rows: list[Entry], columns: tuple[str, ...] = COLUMNS) -> None:
    """Bulk-insert entry rows on the caller's transaction: ``COPY`` on PostgreSQL,
    ``executemany`` on SQLite. Plain table and column names (the migrations use it too, with
    the ``columns`` their table has: each row is cut to their number)."""
    rows = [r[: len(columns)] for r in rows] if len(columns) < len(COLUMNS) else rows
    if conn.dialect.name != "postgresql":
        rows = [_sqlite_row(r) for r in rows]
    bulk_insert(conn, "payment_entries", columns, rows)


def write_entries(conn: Connection, events: list[Any]) -> None:
    """The payment entries of a batch's new events (the ones ``write_raw`` writes)."""
    insert_entries(conn, entries_of_events(events))


# ---------------------------------------------------------------------------- back-fill


PG_BACKFILL = """
INSERT INTO payment_entries (block_number, log_index, seq, block_timestamp, account, work_id, kind, net, gross)
SELECT r.block_number, r.log_index, e.seq, b.timestamp, e.account, (r.args->>'workId')::numeric, e.kind, e.net::numeric, e.gross::numeric
FROM raw_events r
JOIN blocks b ON b.number = r.block_number
CROSS JOIN LATERAL (
    SELECT 0::bigint, r.args->>'feeRecipient', 'fee', r.args->>'fee', r.args->>'gross'
     WHERE r.event <> 'EscrowReleased'
    UNION ALL
    SELECT 1, '', 'escrowed', r.args->>'held', r.args->>'gross'
     WHERE r.event = 'RoyaltyEscrowed'
    UNION ALL
    SELECT x.n, x.account, 'paid', x.net, r.args->>'gross'
      FROM ROWS FROM (jsonb_array_elements_text(r.args->'payees'), jsonb_array_elements_text(r.args->'nets'))
           WITH ORDINALITY AS x(account, net, n)
     WHERE r.event = 'RoyaltyPaid'
    UNION ALL
    SELECT x.n - 1, x.account, 'released', x.net, r.args->>'amount'
      FROM ROWS FROM (jsonb_array_elements_text(r.args->'accounts'), jsonb_array_elements_text(r.args->'amounts'))
           WITH ORDINALITY AS x(account, net, n)
     WHERE r.event = 'EscrowReleased'
) AS e(seq, account, kind, net, gross)
WHERE r.contract = 'Royalties' AND r.event IN ('RoyaltyPaid', 'RoyaltyEscrowed', 'EscrowReleased')
"""

BACKFILL_CHUNK = 20_000


def backfill_entries(conn: Connection) -> None:
    """Fill ``payment_entries`` (as migration 0005 creates it: no ``month``) from the raw events
    already mirrored (migration 0005; caller's transaction). PostgreSQL: one set-based INSERT
    over the JSONB arguments; SQLite: the same rows in Python (``entries_of``), a chunk of raw
    events at a time."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(PG_BACKFILL))
        return
    import json

    last = (-1, -1)
    while True:
        rows = conn.execute(
            text("SELECT r.block_number, r.log_index, b.timestamp, r.contract, r.event, r.args FROM raw_events r "
                 "JOIN blocks b ON b.number = r.block_number "
                 "WHERE r.contract = 'Royalties' AND r.event IN ('RoyaltyPaid', 'RoyaltyEscrowed', 'EscrowReleased') "
                 "AND (r.block_number > :b OR (r.block_number = :b AND r.log_index > :l)) "
                 "ORDER BY r.block_number, r.log_index LIMIT :n"),
            {"b": last[0], "l": last[1], "n": BACKFILL_CHUNK},
        ).all()
        if not rows:
            return
        out: list[Entry] = []
        for block, log_index, ts, contract, event, args in rows:
            out += entries_of(block, log_index, ts, contract, event, json.loads(args) if isinstance(args, str) else args)
        insert_entries(conn, out, COLUMNS_0005)
        last = (rows[-1][0], rows[-1][1])


# ---------------------------------------------------------------------------- check


def entries_in_period(conn: Connection, start: int, end: int) -> list[Entry]:
    """The entries the raw payment events with ``start <= block timestamp < end`` call for,
    derived from their JSON arguments (not from ``payment_entries``)."""
    import json

    rows = conn.execute(
        text("SELECT r.block_number, r.log_index, b.timestamp, r.contract, r.event, r.args FROM raw_events r "
             "JOIN blocks b ON b.number = r.block_number "
             "WHERE r.contract = 'Royalties' AND r.event IN ('RoyaltyPaid', 'RoyaltyEscrowed', 'EscrowReleased') "
             "AND b.timestamp >= :start AND b.timestamp < :end ORDER BY r.block_number, r.log_index"),
        {"start": start, "end": end},
    ).all()
    out: list[Entry] = []
    for block, log_index, ts, contract, event, args in rows:
        out += entries_of(block, log_index, ts, contract, event, json.loads(args) if isinstance(args, str) else args)
    return out


def entry_rows_differing(conn: Connection, start: int, end: int) -> list[str]:
    """Rows of ``payment_entries`` in ``start <= block_timestamp < end`` (or that belong there)
    that differ from what their raw event's arguments say; each named by its key."""
    t = text("SELECT " + ", ".join(COLUMNS) + " FROM payment_entries WHERE block_timestamp >= :start AND block_timestamp < :end")
    stored = {tuple(r[:3]): _typed(r) for r in conn.execute(t, {"start": start, "end": end})}
    expected = {e[:3]: e for e in entries_in_period(conn, start, end)}
    bad: list[str] = []
    for key in sorted(stored.keys() | expected.keys()):
        have, want = stored.get(key), expected.get(key)
        if have == want:
            continue
        name = "payment_entries block {} log {} seq {}".format(*key) + _tx(conn, key)
        if want is None:
            bad.append(f"{name}: no such entry in the raw events of the period ({_text(have)})")
            continue
        if have is None:
            found = conn.execute(text("SELECT " + ", ".join(COLUMNS) + " FROM payment_entries WHERE block_number = :b "
                                      "AND log_index = :l AND seq = :s"), dict(zip("bls", key))).first()
            have = _typed(found) if found is not None else None
        if have is None:
            bad.append(f"missing {name} (the raw event says {_text(want)})")
        else:
            cols = [f"{c} {h!r} (raw event: {w!r})" for c, h, w in zip(COLUMNS, have, want) if h != w]
            bad.append(f"{name}: {', '.join(cols)}")
    return bad


def _tx(conn: Connection, key: tuple[int, ...]) -> str:
    tx = conn.execute(text("SELECT tx_hash FROM raw_events WHERE block_number = :b AND log_index = :l"), {"b": key[0], "l": key[1]}).scalar()
    return f" (tx {tx})" if tx else ""


def _typed(row: Any) -> Entry:
    b, li, seq, ts, account, work, kind, net, gross, month = row
    return (int(b), int(li), int(seq), int(ts), account, int(work), kind, int(net), int(gross), int(month))


def _text(e: Entry | None) -> str:
    return "" if e is None else ", ".join(f"{c}={v}" for c, v in zip(COLUMNS[3:], e[3:]))


def expected_entries(raw_event_chunks: Iterable[list[Any]]) -> Iterator[Entry]:
    """The entries the raw events call for (``LogEvent`` chunks with block timestamps)."""
    for events in raw_event_chunks:
        yield from entries_of_events(events)

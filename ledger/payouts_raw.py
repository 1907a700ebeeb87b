"""The raw-events leg of the payout reconciliation: the period's payment events
(``Royalties:RoyaltyPaid`` / ``RoyaltyEscrowed`` / ``EscrowReleased`` in ``raw_events``) summed
per (account, work, kind) — the same keys and figures as the ``royalty_rollups`` projection,
computed without the projection code (no handler, no rollup, no accrual row is read).

PostgreSQL: one set-based aggregate over the JSONB arguments (one pass over the period's
events, arrays unnested pairwise with ``ROWS FROM``, exact NUMERIC sums). SQLite (small,
embedded mirrors): the same sums in Python over the decoded records (``rights.payouts.sums_by_key``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rights.payouts import SumKey, sums_by_key
from rights.periods import Period

from .mirror.db import is_sqlite

PG_SUMS = """
SELECT e.account, (r.args->>'workId')::numeric::text AS work_id, e.kind,
       SUM(e.net::numeric)::text AS net, SUM(e.gross::numeric)::text AS gross, COUNT(*) AS entries
FROM raw_events r
JOIN blocks b ON b.number = r.block_number
CROSS JOIN LATERAL (
    SELECT r.args->>'feeRecipient', 'fee', r.args->>'fee', r.args->>'gross'
     WHERE r.event <> 'EscrowReleased'
    UNION ALL
    SELECT '', 'escrowed', r.args->>'held', r.args->>'gross'
     WHERE r.event = 'RoyaltyEscrowed'
    UNION ALL
    SELECT x.account, 'paid', x.net, r.args->>'gross'
      FROM ROWS FROM (jsonb_array_elements_text(r.args->'payees'), jsonb_array_elements_text(r.args->'nets')) AS x(account, net)
     WHERE r.event = 'RoyaltyPaid'
    UNION ALL
    SELECT x.account, 'released', x.net, r.args->>'amount'
      FROM ROWS FROM (jsonb_array_elements_text(r.args->'accounts'), jsonb_array_elements_text(r.args->'amounts')) AS x(account, net)
     WHERE r.event = 'EscrowReleased'
) AS e(account, kind, net, gross)
WHERE r.contract = 'Royalties' AND r.event IN ('RoyaltyPaid', 'RoyaltyEscrowed', 'EscrowReleased')
  AND b.timestamp >= %(start)s AND b.timestamp < %(end)s
GROUP BY e.account, (r.args->>'workId')::numeric, e.kind
"""


def raw_sums(session: Session, period: Period) -> dict[SumKey, list[int]]:
    """[net, gross, entries] in fen per (account, work, kind) of the period's payment events."""
    if is_sqlite(session.get_bind()):
        from .payouts import payment_records

        return sums_by_key(payment_records(session, period))
    from .payouts_projection import _fetch, _tune_pg

    conn = session.connection()
    _tune_pg(conn)
    rows = _fetch(conn, PG_SUMS, {"start": period.start, "end": period.end})
    return {(account, int(work), kind): [int(net), int(gross), int(n)] for account, work, kind, net, gross, n in rows}

"""Statements read from the rollup: a tampered rollup row stops the reconciliation and is named;
payments a few hours either side of a Shanghai month boundary (inside the UTC month that the
rollup buckets by) land in the right statement month, equal to the raw-event statements."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from ledger.mirror.db import session_factory
from ledger.mirror.models import RawEvent, RoyaltyRollup
from ledger.payouts import ReconciliationError, accrual_credits, payment_records, period_totals, raw_sums, reconcile
from rights.payouts import build_statements, sums_by_key
from rights.periods import period_of, utc_month
from tests.fixtures.postgres import temporary_database
from tests.flows import acquire, now, offer_terms, register_work
from tests.ledger.test_payouts_audit import activity, close_period, index  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def mirror(request, tmp_path):
    """A fresh mirror database: SQLite (sums in Python) or PostgreSQL (sums in SQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite'}"
        return
    yield from temporary_database(request.getfixturevalue("pg_admin_url"), "payouts_")


def test_tampered_rollup_row_fails_reconciliation_and_is_named(chain, settings, deployment, activity, mirror):  # noqa: F811
    period = activity["period"]
    close_period(chain, period)
    engine = index(settings, deployment, mirror)
    with session_factory(engine)() as s:
        steps: list[tuple[str, int, int]] = []
        full = reconcile(s, chain, period, progress=lambda *a: steps.append(a))  # sound before
        n = full.accounts_checked
        assert steps[:3] == [("raw_events", 0, 1), ("projection", 0, 1), ("balances", 0, n)] and steps[-1] == ("balances", n, n)
        totals_only = reconcile(s, chain, period, detail=False)
        assert totals_only.statements is None and totals_only.credits == full.credits
        assert totals_only.totals.by_payee == {p: ps.net_total for p, ps in full.statements.payees.items()}
        row = s.execute(select(RoyaltyRollup).where(RoyaltyRollup.kind == "paid").order_by(RoyaltyRollup.month)).scalars().first()
        key = (row.month, row.account, row.work_id, row.kind)
        s.execute(update(RoyaltyRollup).where(RoyaltyRollup.month == key[0], RoyaltyRollup.account == key[1],
                                               RoyaltyRollup.work_id == key[2], RoyaltyRollup.kind == key[3]).values(net=row.net - 7))
        s.commit()
        with pytest.raises(ReconciliationError) as exc:
            reconcile(s, chain, period)
    text = " ".join(exc.value.problems)
    assert "royalty_rollups projection" in text
    assert f"royalty_rollups month={key[0]} account={key[1]} work_id={key[2]} kind=paid" in text
    assert "royalty_accruals projection" not in text  # the accrual rows are sound and not blamed


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Asia/Kolkata"])
def test_payments_around_a_local_month_boundary(chain, actors, settings, deployment, mirror, tz):
    """Also the PostgreSQL raw leg's plan: the UTC month read in index order, cut by the filter,
    plus the hours of the neighbouring UTC month read by block timestamp."""
    pub = actors.publisher
    lib = actors.library
    work = register_work(chain, pub, [pub.address, actors.publishers[1].address], [6_000, 4_000])
    terms = offer_terms(chain, pub, work, price=10_000, copies=1)
    first = period_of(now(chain) + 86_400, tz).next()  # a month that starts at least a day ahead
    boundary = first.start  # local midnight; 16:00 / 18:30 UTC of the previous UTC day
    stamps = [boundary - 3_600, boundary - 1, boundary, boundary + 3_600, first.end - 1, first.end]
    assert utc_month(boundary - 1) == utc_month(boundary + 3_600) != utc_month(first.start + 86_400)  # slice inside the UTC month
    for i, ts in enumerate(stamps):
        chain.rpc.call("evm_setNextBlockTimestamp", [ts])
        acquire(chain, lib, work, terms, copies=1 + i)
    chain.rpc.call("evm_setNextBlockTimestamp", [first.end + 86_400])
    chain.rpc.call("evm_mine")
    engine = index(settings, deployment, mirror)
    before = period_of(boundary - 1, tz)
    with session_factory(engine)() as s:
        for period, inside in ((before, stamps[:2]), (first, stamps[2:5])):
            records = payment_records(s, period)
            assert sorted(r.block_timestamp for r in records) == inside
            st = build_statements(records, period)
            totals = period_totals(s, period)
            assert totals.check() == [] and totals.gross == st.gross_total == 10_000 * sum(stamps.index(t) + 1 for t in inside)
            assert totals.platform_fee == st.platform_fee
            assert totals.by_payee_work == {(p, w): n for p, ps in st.payees.items() for w, n in ps.by_work().items()}
            assert totals.credits == accrual_credits(s, period)
            assert raw_sums(s, period) == sums_by_key(records)
            reconcile(s, chain, period)


def test_tampered_payment_entry_fails_reconciliation_and_is_named(chain, settings, deployment, activity, mirror):  # noqa: F811
    """The raw leg sums the typed ``payment_entries``; a tampered entry row stops the statement
    and is named as chain data differing from its raw event, without blaming the projections."""
    from ledger.mirror.models import PaymentEntry

    period = activity["period"]
    close_period(chain, period)
    engine = index(settings, deployment, mirror)
    e = PaymentEntry
    with session_factory(engine)() as s:
        sound = reconcile(s, chain, period)
        row = s.execute(select(e).where(e.kind == "paid").order_by(e.block_number, e.log_index, e.seq)).scalars().first()
        key, net = (row.block_number, row.log_index, row.seq), row.net
        tx = s.scalar(select(RawEvent.tx_hash).where(RawEvent.block_number == key[0], RawEvent.log_index == key[1]))
        s.execute(update(e).where(e.block_number == key[0], e.log_index == key[1], e.seq == key[2]).values(net=net + 9))
        s.commit()
        with pytest.raises(ReconciliationError) as exc:
            reconcile(s, chain, period)
        with pytest.raises(ReconciliationError) as totals_only:
            reconcile(s, chain, period, detail=False)
    problems = exc.value.problems
    assert problems == totals_only.value.problems and len(problems) == 1, problems
    assert "payment_entries chain data differs from the raw events' arguments" in problems[0]
    assert f"payment_entries block {key[0]} log {key[1]} seq {key[2]} (tx {tx})" in problems[0]
    assert f": net {net + 9!r} (raw event: {net!r})" in problems[0]
    assert "royalty_rollups" not in problems[0] and "royalty_accruals" not in problems[0]
    assert sound.accounts_checked >= 3

"""Payout statements reconcile with the chain to the fen; a tampered mirror row is caught and
named; audit bundles verify against the node, and tampered ones do not."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from ledger.audit import export_bundle, load_bundle, verify_bundle
from ledger.mirror.db import make_engine, session_factory, upgrade
from ledger.mirror.indexer import Indexer
from ledger.mirror.models import RawEvent
from ledger.payouts import PeriodNotClosed, ReconciliationError, reconcile
from rights.periods import period_of
from rights.split import split_payment
from tests.flows import METERED, acquire, checkout, deposit, offer_terms, register_work, travel


@pytest.fixture
def activity(chain, actors):
    """A month of royalties: a licence sale to two payees, metered loans, a withdrawal."""
    pub0, pub1 = actors.publishers
    lib = actors.library
    work_id = register_work(chain, pub0, [pub0.address, pub1.address], [7000, 3000])
    terms = offer_terms(chain, pub0, work_id, price=12_345, copies=1)
    acquire(chain, lib, work_id, terms, copies=2)
    metered = offer_terms(chain, pub0, work_id, kind=METERED, price=333, copies=2, loan_period=3600)
    licence = acquire(chain, actors.libraries[1], work_id, metered)
    deposit(chain, actors.libraries[1], 3 * 333)  # metered loans are paid from the deposit
    for _ in range(3):
        checkout(chain, actors.libraries[1], licence)
        travel(chain, 3601)
        chain.contract("Licensing").transact("expire", chain.contract("Licensing").call("loanCount"), sender=actors.auditor)
    chain.contract("Royalties").transact("withdraw", sender=pub1)
    ts = int(chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    period = period_of(ts)
    return {"work_id": work_id, "period": period, "payments": [(24_690, [7000, 3000])] + [(333, [7000, 3000])] * 3}


_engines: dict[str, object] = {}


def index(settings, deployment, url):
    """Bring the mirror at ``url`` up to the chain's head (schema by the Alembic migrations)."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
        upgrade(engine)
    Indexer(settings, deployment, engine).run(once=True)
    return engine


def close_period(chain, period):
    now = int(chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    travel(chain, period.end - now + 60)


def test_statement_equals_independent_computation_and_reconciles(chain, actors, settings, deployment, activity, tmp_path):
    period = activity["period"]
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        with pytest.raises(PeriodNotClosed):
            reconcile(s, chain, period)
    close_period(chain, period)
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        result = reconcile(s, chain, period)
    st = result.statements
    fee = sum(split_payment(g, 3000, b).fee for g, b in activity["payments"])
    nets0 = sum(split_payment(g, 3000, b).nets[0] for g, b in activity["payments"])
    nets1 = sum(split_payment(g, 3000, b).nets[1] for g, b in activity["payments"])
    pub0, pub1 = (p.address for p in actors.publishers)
    assert st.platform_fee == fee
    assert st.payees[pub0].net_total == nets0 and st.payees[pub1].net_total == nets1
    assert st.gross_total == sum(g for g, _ in activity["payments"])
    assert result.accounts_checked == 3  # two payees and the platform treasury


def test_tampered_mirror_row_fails_and_is_named(chain, settings, deployment, activity, tmp_path):
    period = activity["period"]
    close_period(chain, period)
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        row = s.execute(select(RawEvent).where(RawEvent.event == "RoyaltyPaid").order_by(RawEvent.block_number)).scalars().first()
        args = dict(row.args)
        args["nets"] = [int(args["nets"][0]) + 1, int(args["nets"][1])]
        s.execute(update(RawEvent).where(RawEvent.block_hash == row.block_hash, RawEvent.log_index == row.log_index).values(args=args))
        s.commit()
        with pytest.raises(ReconciliationError) as exc:
            reconcile(s, chain, period)
    text = str(exc.value) + " ".join(exc.value.problems)
    assert row.tx_hash in text


def test_audit_bundle_verifies_and_tampering_is_reported(chain, settings, deployment, activity, tmp_path):
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        bundle = export_bundle(s, deployment, work_id=activity["work_id"])
    names = {e["event"] for e in bundle["events"]}
    assert {"WorkRegistered", "TermsAttached", "LicenceAcquired", "RoyaltyPaid", "LoanCheckedOut"} <= names
    bundle = load_bundle(json.dumps(bundle))
    report = verify_bundle(bundle, settings.rpc_url)
    assert report.ok and report.confirmed == len(bundle["events"]) > 5

    altered = json.loads(json.dumps(bundle))
    paid = next(e for e in altered["events"] if e["event"] == "RoyaltyPaid")
    paid["args"]["gross"] = int(paid["args"]["gross"]) + 100
    report = verify_bundle(altered, settings.rpc_url)
    assert not report.ok and any("decoded arguments differ" in p and paid["tx_hash"] in p for p in report.problems)

    altered = json.loads(json.dumps(bundle))
    last = altered["events"][0]["data"][-2:]
    altered["events"][0]["data"] = altered["events"][0]["data"][:-2] + ("01" if last == "ff" else "ff")
    assert any("log differs" in p for p in verify_bundle(altered, settings.rpc_url).problems)

    altered = json.loads(json.dumps(bundle))
    altered["events"][1]["tx_hash"] = "0x" + "ab" * 32
    assert any("not found" in p for p in verify_bundle(altered, settings.rpc_url).problems)


def test_library_and_period_bundles(chain, actors, settings, deployment, activity, tmp_path):
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        lib = export_bundle(s, deployment, account=actors.library.address)
        per = export_bundle(s, deployment, period=activity["period"])
    assert lib["events"] and all(actors.library.address.lower() in json.dumps(e["args"]).lower() for e in lib["events"])
    assert len(per["events"]) >= len(lib["events"])


def test_tampered_projection_row_fails_and_is_named(chain, settings, deployment, activity, tmp_path):
    from ledger.mirror.models import RoyaltyAccrual

    period = activity["period"]
    close_period(chain, period)
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        row = s.execute(select(RoyaltyAccrual).where(RoyaltyAccrual.kind == "paid").order_by(RoyaltyAccrual.block_number)).scalars().first()
        key = (row.block_number, row.log_index, row.seq)
        s.execute(update(RoyaltyAccrual).where(RoyaltyAccrual.block_number == key[0], RoyaltyAccrual.log_index == key[1],
                                               RoyaltyAccrual.seq == key[2]).values(net=int(row.net) + 5))
        s.commit()
        with pytest.raises(ReconciliationError) as exc:
            reconcile(s, chain, period)
    text = " ".join(exc.value.problems)
    assert "royalty_accruals projection" in text and f"block {key[0]} log {key[1]} (seq {key[2]}" in text


def test_sql_period_totals_equal_the_statements(chain, actors, settings, deployment, activity, tmp_path):
    from ledger.payouts import period_totals

    period = activity["period"]
    close_period(chain, period)
    engine = index(settings, deployment, f"sqlite:///{tmp_path / 'm.sqlite'}")
    with session_factory(engine)() as s:
        st = reconcile(s, chain, period).statements
        totals = period_totals(s, period)
    assert totals.check() == []
    assert totals.platform_fee == st.platform_fee and totals.gross == st.gross_total
    assert totals.by_payee == {p: ps.net_total for p, ps in st.payees.items()}
    for p, ps in st.payees.items():
        for work, net in ps.by_work().items():
            assert totals.by_payee_work[(p, work)] == net

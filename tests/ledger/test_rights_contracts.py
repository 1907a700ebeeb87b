"""Rights registry, licensing, the 70/30 split, subsidy pools and digital lending, end to end on
anvil through libledger's bindings — and the Python split twin against the contract."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import errors, roles
from rights.split import InvalidShares, PaymentTooLow, split_payment
from tests.flows import (
    METERED, PERPETUAL, SUBSCRIPTION, acquire, checkout, credit_balance, deposit, event, offer_terms, register_work, royalty_balance, travel,
)


def test_register_duplicate_and_bad_shares(chain, actors):
    pub = actors.publisher
    work_id = register_work(chain, pub, content=b"the book")
    works = chain.contract("Works")
    assert works.call("workIdOf", hashlib.sha256(b"the book").digest()) == work_id
    with pytest.raises(errors.WorkAlreadyRegistered) as exc:
        register_work(chain, actors.publishers[1], content=b"the book")
    assert exc.value.args_by_name == {"workId": work_id}
    with pytest.raises(errors.PayeeSharesNotTenThousand) as exc:
        register_work(chain, pub, [pub.address, actors.publishers[1].address], [6000, 3000])
    assert exc.value.args_by_name == {"sum": 9000}
    with pytest.raises(errors.Unauthorized) as exc:
        register_work(chain, actors.library)
    assert exc.value.args_by_name == {"account": actors.library.address, "role": roles.PUBLISHER}


def test_acquire_splits_70_30_to_the_fen(chain, actors):
    pub0, pub1 = actors.publishers
    lib = actors.library
    work_id = register_work(chain, pub0, [pub0.address, pub1.address], [6000, 4000])
    terms_id = offer_terms(chain, pub0, work_id, kind=PERPETUAL, price=10_001, copies=1)
    credit_before = credit_balance(chain, lib.address)
    before = {a: royalty_balance(chain, a) for a in (pub0.address, pub1.address, actors.platform.address)}
    licence_id = acquire(chain, lib, work_id, terms_id, copies=3)
    expected = split_payment(30_003, 3000, [6000, 4000])
    assert expected.fee == 9000 and expected.nets == (12_602, 8401)
    assert credit_balance(chain, lib.address) == credit_before - 30_003
    assert royalty_balance(chain, actors.platform.address) - before[actors.platform.address] == expected.fee
    assert royalty_balance(chain, pub0.address) - before[pub0.address] == expected.nets[0]
    assert royalty_balance(chain, pub1.address) - before[pub1.address] == expected.nets[1]
    lic = chain.contract("Licensing").call("licence", licence_id)
    assert lic["holder"] == lib.address


def test_metered_lending_copies_expiry_and_withdraw(chain, actors):
    pub, lib = actors.publisher, actors.library
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=METERED, price=500, copies=1, loan_period=3600, max_loans=2)
    licence_id = acquire(chain, lib, work_id, terms_id, copies=1)
    deposit(chain, lib, 1_000)
    before = royalty_balance(chain, pub.address)
    loan1 = checkout(chain, lib, licence_id)
    assert royalty_balance(chain, pub.address) - before == split_payment(500, 3000, [10_000]).nets[0]
    with pytest.raises(errors.LicensingNoFreeCopy):  # one copy, already lent
        checkout(chain, lib, licence_id)
    lending = chain.contract("Licensing")
    with pytest.raises(errors.LendingNotDue):
        lending.transact("expire", loan1, sender=actors.auditor)
    travel(chain, 3601)
    lending.transact("expire", loan1, sender=actors.auditor)  # anyone may expire after the due date
    loan2 = checkout(chain, lib, licence_id)
    with pytest.raises(errors.LendingNotBorrower):
        lending.transact("checkin", loan2, sender=actors.libraries[1])
    lending.transact("checkin", loan2, sender=lib)
    with pytest.raises(errors.LicenceExhausted) as exc:  # two loans per copy
        checkout(chain, lib, licence_id)
    assert exc.value.args_by_name == {"licenceId": licence_id}
    # withdraw pulls the royalty balance into credit
    owed = royalty_balance(chain, pub.address)
    credit_before = credit_balance(chain, pub.address)
    chain.contract("Royalties").transact("withdraw", sender=pub)
    assert credit_balance(chain, pub.address) == credit_before + owed
    assert royalty_balance(chain, pub.address) == 0
    with pytest.raises(errors.RoyaltiesNothingToWithdraw):
        chain.contract("Royalties").transact("withdraw", sender=pub)


def test_withdraw_pays_out_through_credit_under_50k(chain, actors):
    """Issue #3: a steady-state withdrawal costs at most 50,000 gas in a real receipt. It pays
    out through `Credit.payOut`, which only the Royalties contract named at deployment may call
    (named once); the payee gets the usual `Transfer` from Royalties, and Royalties still emits
    `Withdrawn`. Both pauses stop it and the balance stays."""
    pub, lib = actors.publisher, actors.library
    credit, royalties = chain.contract("Credit"), chain.contract("Royalties")
    assert credit.call("royalties") == royalties.address
    with pytest.raises(errors.CreditRoyaltiesAlreadySet) as exc:
        credit.transact("setRoyalties", pub.address, sender=actors.governor)
    assert exc.value.args_by_name == {"current": royalties.address}
    with pytest.raises(errors.CreditNotRoyalties) as exc:
        credit.transact("payOut", pub.address, 1, sender=pub)
    assert exc.value.args_by_name == {"caller": pub.address}

    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=PERPETUAL, price=10_000)
    acquire(chain, lib, work_id, terms_id)
    if credit_balance(chain, pub.address) == 0:  # the payee's first credit is a fresh slot
        royalties.transact("withdraw", sender=pub)
        acquire(chain, lib, work_id, terms_id)
    owed = royalty_balance(chain, pub.address)
    held = credit_balance(chain, royalties.address)
    credit_before = credit_balance(chain, pub.address)
    for paused in (credit, royalties):
        paused.transact("pause", sender=actors.governor)
        with pytest.raises(errors.EnforcedPause):
            royalties.transact("withdraw", sender=pub)
        paused.transact("unpause", sender=actors.governor)
    assert royalty_balance(chain, pub.address) == owed

    out = royalties.transact("withdraw", sender=pub)
    assert int(out.receipt["gasUsed"], 16) <= 50_000
    assert royalties.events(out.receipt) == [("Withdrawn", {"account": pub.address, "amount": owed})]
    assert credit.events(out.receipt) == [("Transfer", {"from": royalties.address, "to": pub.address, "value": owed})]
    assert credit_balance(chain, pub.address) == credit_before + owed
    assert credit_balance(chain, royalties.address) == held - owed
    assert royalty_balance(chain, pub.address) == 0


def test_metered_checkout_pays_from_the_deposit(chain, actors):
    """The per-loan price leaves the library's deposit (not its credit balance) through the same
    split; a short deposit refuses the checkout with DepositTooLow and writes nothing."""
    pub, lib = actors.publisher, actors.libraries[2]
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=METERED, price=700, copies=3, loan_period=3600)
    licence_id = acquire(chain, lib, work_id, terms_id, copies=1)
    royalties = chain.contract("Royalties")
    start = royalties.call("depositOf", lib.address)
    if start:  # the chain is shared: begin from an empty deposit
        royalties.transact("withdrawDeposit", start, sender=lib)
    held_before = credit_balance(chain, royalties.address)
    assert deposit(chain, lib, 1_000) == 1_000
    credit_before = credit_balance(chain, lib.address)
    before = royalty_balance(chain, pub.address)
    checkout(chain, lib, licence_id)
    expected = split_payment(700, 3000, [10_000])
    assert royalty_balance(chain, pub.address) - before == expected.nets[0]
    assert royalties.call("depositOf", lib.address) == 300
    assert credit_balance(chain, lib.address) == credit_before, "the loan moved no credit"
    assert credit_balance(chain, royalties.address) == held_before + 1_000, "royalties holds what was deposited"
    loans = chain.contract("Licensing").call("loanCount")
    with pytest.raises(errors.DepositTooLow) as exc:
        checkout(chain, lib, licence_id)
    assert exc.value.args_by_name == {"account": lib.address, "available": 300, "needed": 700}
    assert chain.contract("Licensing").call("loanCount") == loans, "nothing written"
    assert chain.contract("Licensing").call("licence", licence_id)["activeLoans"] == 1
    out = royalties.transact("withdrawDeposit", 300, sender=lib)
    assert royalties.call("depositOf", lib.address) == 0
    assert credit_balance(chain, lib.address) == credit_before + 300
    assert [ev for ev, _ in royalties.events(out.receipt)] == ["DepositWithdrawn"]


def test_reserved_loan_slots_keep_every_metered_checkout_under_120k(chain, actors):
    """Issue #3: after a library reserves loan-group slots, every metered checkout (the one that
    writes its group's slot too) costs at most 120,000 gas in a real receipt, and every loan reads
    back; a reservation of 0 or more than 256 groups is refused with its named error."""
    pub, lib = actors.publisher, actors.libraries[1]
    lic = chain.contract("Licensing")
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=METERED, price=500, copies=8, loan_period=3600)
    licence_id = acquire(chain, lib, work_id, terms_id, copies=1)
    deposit(chain, lib, 10 * 500)
    checkout(chain, lib, licence_id)  # the publisher's first royalty: a fresh balance slot, not steady state
    for bad in (0, 257):
        with pytest.raises(errors.LendingInvalidReserve) as exc:
            lic.transact("reserveLoanSlots", bad, sender=lib)
        assert exc.value.args_by_name == {"groups": bad, "maxGroups": 256}
    count = lic.call("loanCount")
    out = lic.transact("reserveLoanSlots", 3, sender=lib)
    ev = event(chain, "Licensing", out, "LoanSlotsReserved")
    assert ev["by"] == lib.address and ev["toGroup"] - ev["fromGroup"] == 3 and ev["fromGroup"] >= count // 3
    assert lic.call("reservedUpTo") >= ev["toGroup"]
    assert lic.call("loanCount") == count, "a reservation makes no loan"
    gas: dict[int, int] = {}
    while lic.call("loanCount") < 3 * ev["fromGroup"] + 6:  # two whole reserved groups
        o = lic.transact("checkout", licence_id, hashlib.sha256(str(len(gas)).encode()).digest(), sender=lib)
        loan_id = event(chain, "Licensing", o, "LoanCheckedOut")["loanId"]
        gas[loan_id] = int(o.receipt["gasUsed"], 16)
        assert lic.call("loan", loan_id)["licenceId"] == licence_id
    completing = [g for loan_id, g in gas.items() if loan_id % 3 == 0 and (loan_id - 1) // 3 >= ev["fromGroup"]]
    assert len(completing) >= 2, gas
    assert max(gas.values()) <= 120_000, gas
    assert max(completing) - min(gas.values()) < 10_000, f"no fresh-slot write (~22k) for a reserved group: {gas}"
    for loan_id in gas:
        loan = lic.call("loan", loan_id)
        assert loan["status"] == 1 and loan["library_"] == lib.address


def test_subscription_renews(chain, actors):
    pub, lib = actors.publisher, actors.library
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=SUBSCRIPTION, price=2_000, copies=1, duration=30 * 86_400)
    licence_id = acquire(chain, lib, work_id, terms_id)
    lic = chain.contract("Licensing")
    expiry = lic.call("licence", licence_id)["validUntil"]
    lic.transact("renew", licence_id, sender=lib)
    assert lic.call("licence", licence_id)["validUntil"] == expiry + 30 * 86_400


def test_subsidy_pool_pays_70_percent(chain, actors):
    pub, lib, sponsor = actors.publisher, actors.library, actors.sponsor
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, price=10_000)
    pools = chain.contract("SubsidyPools")
    now = int(chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    out = pools.transact("createPool", 100_000, now + 86_400, 50_000, [], [], sender=sponsor)
    pool_id = event(chain, "SubsidyPools", out, "PoolCreated")["poolId"]
    lib_before = credit_balance(chain, lib.address)
    pub_before = royalty_balance(chain, pub.address)
    chain.contract("Licensing").transact("acquireWithPool", work_id, terms_id, 1, pool_id, sender=lib)
    assert lib_before - credit_balance(chain, lib.address) == 3_000  # the reader's library pays 30%
    assert royalty_balance(chain, pub.address) - pub_before == 7_000  # 70/30 split of the whole price
    with pytest.raises(errors.SubsidyPoolsNotExpired):
        pools.transact("reclaim", pool_id, sender=sponsor)
    travel(chain, 86_401)
    sponsor_before = credit_balance(chain, sponsor.address)
    pools.transact("reclaim", pool_id, sender=sponsor)
    assert credit_balance(chain, sponsor.address) == sponsor_before + 93_000


def test_dispute_escrows_then_releases(chain, actors):
    pub, lib, gov = actors.publisher, actors.library, actors.governor
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, price=1_000)
    works = chain.contract("Works")
    out = works.transact("openDispute", work_id, "ipfs://evidence", sender=actors.libraries[1])
    dispute_id = event(chain, "Works", out, "DisputeOpened")["disputeId"]
    before = royalty_balance(chain, pub.address)
    acquire(chain, lib, work_id, terms_id)
    royalties = chain.contract("Royalties")
    assert royalty_balance(chain, pub.address) == before  # held back while disputed
    assert royalties.call("escrowOf", work_id) == 700
    works.transact("answerDispute", dispute_id, "ipfs://answer", sender=pub)
    with pytest.raises(errors.Unauthorized):
        works.transact("resolveDispute", dispute_id, 1, pub.address, [], [], "ipfs://ruling", sender=lib)
    works.transact("resolveDispute", dispute_id, 1, "0x" + "00" * 20, [], [], "ipfs://ruling", sender=gov)  # uphold
    royalties.transact("releaseEscrow", work_id, sender=actors.auditor)
    assert royalty_balance(chain, pub.address) == before + 700
    assert royalties.call("escrowOf", work_id) == 0


def _shares(data: st.DataObject, n: int) -> list[int]:
    cuts = sorted(data.draw(st.lists(st.integers(1, 9_999), min_size=n - 1, max_size=n - 1, unique=True)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, 10_000])]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), gross=st.integers(0, 2**200), fee_bps=st.integers(0, 10_000), n=st.integers(1, 16))
def test_split_twin_equals_contract(session_chain, data, gross, fee_bps, n):
    bps = _shares(data, n)
    royalties = session_chain.contract("Royalties")
    try:
        expected = split_payment(gross, fee_bps, bps)
    except PaymentTooLow:
        with pytest.raises(errors.PaymentTooLow):
            royalties.call("split", gross, fee_bps, bps)
        return
    fee, nets = royalties.call("split", gross, fee_bps, bps)
    assert (fee, tuple(nets)) == (expected.fee, expected.nets)


@pytest.mark.parametrize("bps", [[], [5000, 4999], [10_000] * 17])
def test_split_twin_and_contract_refuse_the_same_shares(session_chain, bps):
    with pytest.raises(InvalidShares):
        split_payment(10_000, 3000, bps)
    with pytest.raises(errors.RoyaltiesInvalidShares):
        session_chain.contract("Royalties").call("split", 10_000, 3000, bps)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), price=st.integers(4, 4 * 10**6), copies=st.integers(1, 5), n=st.integers(1, 16))
def test_real_payments_match_the_twin(chain, actors, data, price, copies, n):
    """Random prices and payee sets through acquire() on chain: every balance moves exactly as the twin says."""
    snap = chain.rpc.call("evm_snapshot")  # each example starts from the same state
    try:
        _pay_and_compare(chain, actors, data, price, copies, n)
    finally:
        chain.rpc.call("evm_revert", [snap])
        chain.pipeline.nonces.reset()


def _pay_and_compare(chain, actors, data, price, copies, n):
    bps = _shares(data, n)
    payees = [actors.publishers[i % 2].address if i < 2 else "0x%040x" % (0xBEEF + i) for i in range(n)]
    payees = list(dict.fromkeys(payees))
    if len(payees) != n:  # duplicates collapse: keep the distinct prefix, fold the rest into the first share
        bps = [sum(bps[: n - len(payees) + 1]), *bps[n - len(payees) + 1 :]]
    # non-member payees are fine to credit (pull balances); they only cannot withdraw
    work_id = register_work(chain, actors.publisher, payees, bps)
    terms_id = offer_terms(chain, actors.publisher, work_id, price=price, copies=1)
    gross = price * copies
    try:
        expected = split_payment(gross, 3000, bps)
    except PaymentTooLow:
        with pytest.raises(errors.PaymentTooLow):
            acquire(chain, actors.library, work_id, terms_id, copies)
        return
    before = {p: royalty_balance(chain, p) for p in [*payees, actors.platform.address]}
    out = chain.contract("Licensing").transact("acquire", work_id, terms_id, copies, sender=actors.library)
    paid = event(chain, "Royalties", out, "RoyaltyPaid")
    assert (paid["gross"], paid["fee"], tuple(paid["nets"])) == (gross, expected.fee, expected.nets)
    assert royalty_balance(chain, actors.platform.address) - before[actors.platform.address] == expected.fee
    for p, net in zip(payees, expected.nets):
        assert royalty_balance(chain, p) - before[p] == net

"""Interlibrary loan (ISO 18626) and monthly net settlement, end to end on anvil through the
bindings: a full loan, a copy request, a renewal, a recall, a loss and its finding, a
return-anywhere chain across three libraries and a period settlement."""

from __future__ import annotations

import pytest

from ledger import errors
from tests.flows import (
    COPY, ITEM_WORK, METERED, Action, Status, acquire, credit_balance, event, ill_act, ill_request, ill_status,
    ill_view, now, offer_terms, register_work, royalty_balance, travel,
)

DAY = 86_400


def nets(chain, period_id, libraries):
    clearing = chain.contract("Clearing")
    return [clearing.call("netPosition", period_id, lib.address) for lib in libraries]


def test_full_loan_with_charge(chain, actors):
    a, b, _ = actors.libraries
    rid = ill_request(chain, a, b.address, max_cost=500)
    assert ill_view(chain, rid)["status"] == Status.RequestReceived
    ill_status(chain, b, rid, Status.ExpectToSupply)
    ill_status(chain, b, rid, Status.WillSupply)
    with pytest.raises(errors.IllCostAboveMaximum) as exc:
        ill_status(chain, b, rid, Status.Loaned, due=now(chain) + 14 * DAY, charge=501)
    assert exc.value.args_by_name["cost"] == 501 and exc.value.args_by_name["max"] == 500
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + 14 * DAY, charge=300)
    ill_act(chain, a, rid, Action.Received)
    ill_act(chain, a, rid, Action.ShippedReturn)
    ill_status(chain, b, rid, Status.LoanCompleted)
    assert ill_view(chain, rid)["status"] == Status.LoanCompleted
    period = chain.contract("Clearing").call("currentPeriod")
    assert nets(chain, period, [a, b]) == [-300, 300]
    with pytest.raises(errors.IllTerminalStatus):
        ill_act(chain, a, rid, Action.Renew)


def test_copy_request_completes_with_charge(chain, actors):
    a, b, _ = actors.libraries
    rid = ill_request(chain, a, b.address, service=COPY, max_cost=200)
    with pytest.raises(errors.IllWrongService):
        ill_status(chain, b, rid, Status.Loaned, due=now(chain) + DAY)
    ill_status(chain, b, rid, Status.CopyCompleted, charge=150)
    period = chain.contract("Clearing").call("currentPeriod")
    assert nets(chain, period, [a, b]) == [-150, 150]


def test_renewal_and_recall(chain, actors):
    a, b, _ = actors.libraries
    rid = ill_request(chain, a, b.address)
    due = now(chain) + 7 * DAY
    ill_status(chain, b, rid, Status.Loaned, due=due)
    ill_act(chain, a, rid, Action.Renew)
    chain.contract("InterlibraryLoan").transact("answerRenew", rid, due + 7 * DAY, sender=b)
    v = ill_view(chain, rid)
    assert (v["status"], v["dueDate"]) == (Status.Loaned, due + 7 * DAY)
    ill_status(chain, b, rid, Status.Recalled)
    assert ill_view(chain, rid)["status"] == Status.Recalled
    ill_act(chain, a, rid, Action.ShippedReturn)
    ill_status(chain, b, rid, Status.LoanCompleted)


def test_overdue_by_anyone_after_due_date_and_back(chain, actors):
    a, b, _ = actors.libraries
    rid = ill_request(chain, a, b.address)
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + DAY)
    ill = chain.contract("InterlibraryLoan")
    with pytest.raises(errors.IllNotDue):
        ill.transact("markOverdue", rid, sender=actors.auditor)
    travel(chain, DAY + 1)
    ill.transact("markOverdue", rid, sender=actors.auditor)
    assert ill_view(chain, rid)["status"] == Status.Overdue
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + 3 * DAY)  # Overdue -> Loaned with a new due date
    assert ill_view(chain, rid)["status"] == Status.Loaned


def test_loss_then_found_is_a_compensating_entry(chain, actors):
    a, b, _ = actors.libraries
    rid = ill_request(chain, a, b.address, max_cost=0)
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + DAY)
    ill_act(chain, a, rid, Action.Lost)
    ill_status(chain, b, rid, Status.CompletedWithoutReturn, charge=2_000)  # replacement cost
    period = chain.contract("Clearing").call("currentPeriod")
    assert nets(chain, period, [a, b]) == [-2_000, 2_000]
    chain.contract("InterlibraryLoan").transact("recordFound", rid, 2_000, sender=b)
    assert nets(chain, period, [a, b]) == [0, 0]
    v = ill_view(chain, rid)
    assert v["status"] == Status.CompletedWithoutReturn and v["found"] and v["replacementRefunded"] == 2_000


def test_return_anywhere_across_three_libraries(chain, actors):
    a, b, c = actors.libraries
    rid = ill_request(chain, a, b.address)
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + 14 * DAY)
    ill_act(chain, a, rid, Action.Received)
    ill_act(chain, a, rid, Action.ShippedForward, c.address)  # the reader returns it at library c
    assert ill_view(chain, rid)["borrower"] == c.address
    with pytest.raises(errors.IllWrongParty):
        ill_act(chain, a, rid, Action.ShippedReturn)  # a no longer holds it
    ill_act(chain, c, rid, Action.ShippedReturn)
    ill_status(chain, b, rid, Status.LoanCompleted)
    assert ill_view(chain, rid)["status"] == Status.LoanCompleted


def test_stale_update_is_recorded_not_lost_and_errors_are_named(chain, actors):
    a, b, c = actors.libraries
    rid = ill_request(chain, a, b.address, own_id=b"\x01" * 32)
    ill_status(chain, b, rid, Status.WillSupply)
    out = ill_status(chain, b, rid, Status.ExpectToSupply)  # older than the current status
    assert event(chain, "InterlibraryLoan", out, "StatusUpdateIgnored")["proposed"] == Status.ExpectToSupply
    assert ill_view(chain, rid)["status"] == Status.WillSupply
    with pytest.raises(errors.IllDuplicateRequest) as exc:
        ill_request(chain, a, b.address, own_id=b"\x01" * 32)
    assert exc.value.args_by_name["existingId"] == rid
    with pytest.raises(errors.IllWrongParty):
        ill_status(chain, c, rid, Status.Loaned, due=now(chain) + DAY)
    with pytest.raises(errors.IllUnknownRequest):
        ill_status(chain, b, 12345, Status.ExpectToSupply)
    with pytest.raises(errors.Unauthorized):
        ill_request(chain, actors.publisher, b.address)


def test_period_settlement_pays_only_nets(chain, actors):
    a, b, c = actors.libraries
    for requester, supplier, charge in [(a, b, 700), (b, a, 200), (c, a, 100), (a, c, 50)]:
        rid = ill_request(chain, requester, supplier.address, max_cost=1_000)
        ill_status(chain, supplier, rid, Status.Loaned, due=now(chain) + DAY, charge=charge)
    clearing = chain.contract("Clearing")
    period = clearing.call("currentPeriod")
    positions = nets(chain, period, [a, b, c])
    assert positions == [-700 + 200 + 100 - 50, 700 - 200, -100 + 50] == [-450, 500, -50]
    assert sum(positions) == 0
    with pytest.raises(errors.Unauthorized):
        clearing.transact("closePeriod", sender=a)
    clearing.transact("closePeriod", sender=actors.platform)
    assert clearing.call("currentPeriod") == period + 1
    before = [credit_balance(chain, lib.address) for lib in (a, b, c)]
    clearing.transact("settle", period, sender=a)
    clearing.transact("settle", period, sender=c)
    with pytest.raises(errors.ClearingNothingOwed):
        clearing.transact("settle", period, sender=b)
    clearing.transact("withdraw", period, sender=b)
    after = [credit_balance(chain, lib.address) for lib in (a, b, c)]
    assert [x - y for x, y in zip(after, before)] == [-450, 500, -50]
    assert clearing.call("heldCredit") == 0


def test_default_is_flagged_after_the_deadline(chain, actors):
    a, b, _ = actors.libraries
    rid = ill_request(chain, a, b.address)
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + DAY, charge=400)
    clearing = chain.contract("Clearing")
    period = clearing.call("currentPeriod")
    clearing.transact("closePeriod", sender=actors.platform)
    with pytest.raises(errors.ClearingDeadlineNotPassed):
        clearing.transact("flagDefault", period, a.address, sender=actors.auditor)
    travel(chain, 15 * DAY)
    out = clearing.transact("flagDefault", period, a.address, sender=actors.auditor)
    assert event(chain, "Clearing", out, "SettlementDefaulted")["outstanding"] == 400
    assert clearing.call("position", period, a.address)["defaulted"]


def test_digital_ill_consumes_a_copy_and_pays_the_split(chain, actors):
    a, b, _ = actors.libraries
    pub = actors.publisher
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=METERED, price=200, copies=1, ill=True)
    licence_id = acquire(chain, b, work_id, terms_id)
    rid = ill_request(chain, a, b.address, item=work_id.to_bytes(32, "big"), item_kind=ITEM_WORK, licence_id=licence_id)
    before = royalty_balance(chain, pub.address)
    ill_status(chain, b, rid, Status.Loaned)  # digital: due date from the licence's loan period
    assert chain.contract("Licensing").call("licence", licence_id)["activeLoans"] == 1
    assert royalty_balance(chain, pub.address) - before == 140  # 70% of the 2.00 per-loan fee
    ill_act(chain, a, rid, Action.ShippedReturn)
    ill_status(chain, b, rid, Status.LoanCompleted)
    assert chain.contract("Licensing").call("licence", licence_id)["activeLoans"] == 0

"""Projections of Works, Licensing, Lending, Royalties, SubsidyPools, Attestations,
InterlibraryLoan and Clearing: real flows on anvil, indexed into SQLite and PostgreSQL, compared
with the contracts' own views; ``mirror check`` passes, and names a tampered projection row."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from sqlalchemy import select, update

from ledger.mirror.check import check
from ledger.mirror.models import (
    AttestationRow, ClearingCharge, DigitalLoan, Dispute, IllRequest, IllTransition, Licence, LicenceTerms, NetPosition,
    RawEvent, RecordEvent, RoyaltyAccrual, RoyaltyBalance, RoyaltyEscrow, RoyaltyWithdrawal, SettlementPeriod, SubsidyDraw, SubsidyPool, Work,
    WorkOffer, WorkPayee,
)
from tests.flows import (
    COPY, ITEM_WORK, METERED, SUBSCRIPTION, Action, Status, acquire, checkout, deposit, event, ill_act, ill_request, ill_status,
    ill_view, now, offer_terms, register_work, travel,
)
from tests.mirror.conftest import index_once, mirror_state

DAY = 86_400
ZERO = "0x" + "00" * 20
STATUS_NAMES = [
    "None", "RequestReceived", "ExpectToSupply", "WillSupply", "RetryPossible", "Unfilled", "Loaned", "Overdue", "Recalled",
    "Cancelled", "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted",
]


def rows(engine, model, *where):
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(select(model).where(*where)).all()]


def by(engine, model, key):
    return {r[key]: r for r in rows(engine, model)}


# ---------------------------------------------------------------------------- rights flows


def rights_flows(chain, actors):
    """Works with two payees, three kinds of terms, loans, a renewal, a dispute with escrow, a
    rights transfer, withdrawals, a subsidy pool and an attestation. Returns what was made."""
    pub, pub2 = actors.publishers
    lib, lib2, _ = actors.libraries
    works, lic, lending = chain.contract("Works"), chain.contract("Licensing"), chain.contract("Licensing")
    royalties, pools = chain.contract("Royalties"), chain.contract("SubsidyPools")
    w1 = register_work(chain, pub, [pub.address, pub2.address], [6_000, 4_000])
    w2 = register_work(chain, pub)
    works.transact("updateMetadata", w2, "ipfs://bafy-meta-v2", sender=pub)
    perpetual = offer_terms(chain, pub, w1, price=10_001, copies=2)
    metered = offer_terms(chain, pub, w1, kind=METERED, price=300, max_loans=5)
    subscription = offer_terms(chain, pub, w2, kind=SUBSCRIPTION, price=5_000, duration=30 * DAY)
    l1 = acquire(chain, lib, w1, perpetual, copies=2)
    l2 = acquire(chain, lib2, w1, metered)
    l3 = acquire(chain, lib, w2, subscription)
    loan1 = checkout(chain, lib, l1)
    loan2 = checkout(chain, lib, l1)
    lending.transact("checkin", loan1, sender=lib)
    deposit(chain, lib2, 300)
    loan3 = checkout(chain, lib2, l2)  # metered: pays 300 through the split, from lib2's deposit
    lic.transact("renew", l3, sender=lib)
    lic.transact("setTermsEnabled", w1, metered, False, sender=pub)
    # subsidy pool: 70% of a perpetual purchase
    out = pools.transact("createPool", 100_000, now(chain) + DAY, 50_000, [], [], sender=actors.sponsor)
    pool_id = event(chain, "SubsidyPools", out, "PoolCreated")["poolId"]
    pools.transact("fund", pool_id, 1_000, sender=actors.sponsor)
    l4 = chain.contract("Licensing").transact("acquireWithPool", w1, perpetual, 1, pool_id, sender=lib2)
    l4 = event(chain, "Licensing", l4, "LicenceAcquired")["licenceId"]
    # dispute on w2: a renewal goes to escrow, the holder answers, the governor transfers the rights
    out = works.transact("openDispute", w2, "ipfs://evidence", sender=lib2)
    dispute_id = event(chain, "Works", out, "DisputeOpened")["disputeId"]
    lic.transact("renew", l3, sender=lib)
    works.transact("answerDispute", dispute_id, "ipfs://answer", sender=pub)
    works.transact("resolveDispute", dispute_id, 2, pub2.address, [pub2.address, pub.address], [9_000, 1_000], "ipfs://ruling",
                   sender=actors.governor)
    royalties.transact("releaseEscrow", w2, sender=actors.auditor)
    royalties.transact("withdraw", sender=pub)
    # a second dispute on w1, with an escrowed perpetual purchase
    works.transact("openDispute", w1, "ipfs://evidence-2", sender=lib)
    l5 = acquire(chain, lib2, w1, perpetual)
    travel(chain, 15 * DAY)  # past loan2's due date and the pool's expiry
    lending.transact("expire", loan2, sender=actors.auditor)
    # the second dispute, unanswered past its window: revoked, its escrow to the claimant
    works.transact("resolveDispute", dispute_id + 1, 3, lib.address, [], [], "ipfs://ruling-2", sender=actors.governor)
    royalties.transact("releaseEscrow", w1, sender=actors.auditor)
    pools.transact("reclaim", pool_id, sender=actors.sponsor)
    chain.contract("Attestations").transact("anchor", 0, w1, hashlib.sha256(b"report").digest(), "ipfs://report", sender=actors.auditor)
    return {
        "works": [w1, w2], "terms": [perpetual, metered, subscription], "licences": [l1, l2, l3, l4, l5],
        "loans": [loan1, loan2, loan3], "pool": pool_id, "disputes": [dispute_id, dispute_id + 1],
    }


def test_rights_projections_equal_the_contracts(chain, actors, settings, deployment, mirror_url, engine_for):
    made = rights_flows(chain, actors)
    lib = actors.libraries[0]
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    works, lic, lending = chain.contract("Works"), chain.contract("Licensing"), chain.contract("Licensing")
    royalties, pools = chain.contract("Royalties"), chain.contract("SubsidyPools")
    work_rows = by(engine, Work, "work_id")
    payee_rows = defaultdict(list)
    for r in sorted(rows(engine, WorkPayee), key=lambda r: (r["work_id"], r["position"])):
        payee_rows[r["work_id"]].append((r["payee"], r["bps"]))
    statuses = ["None", "Active", "Disputed", "Revoked"]
    for w in made["works"]:
        v = works.call("work", w)
        row = work_rows[w]
        assert (row["holder"], row["status"], "0x" + v["contentHash"].hex(), row["registered_at"], row["last_dispute_id"]) == (
            v["holder"], statuses[v["status"]], row["content_hash"], v["registeredAt"], v["lastDisputeId"])
        accounts, bps = works.call("payees", w)
        assert payee_rows[w] == list(zip(accounts, bps))
        assert row["payee_count"] == v["payeeCount"]
    w1, w2 = made["works"]
    assert work_rows[w2]["holder"] == actors.publishers[1].address and work_rows[w2]["status"] == "Active"
    assert (work_rows[w1]["status"], work_rows[w1]["revoked_to"]) == ("Revoked", lib.address) == (statuses[works.call("work", w1)["status"]], works.call("work", w1)["revokedTo"])
    assert work_rows[w2]["metadata_uri"] == "ipfs://bafy-meta-v2"
    disputes = by(engine, Dispute, "dispute_id")
    rulings = ["None", "Uphold", "Transfer", "Revoke"]
    for d in made["disputes"]:
        v = works.call("dispute", d)
        row = disputes[d]
        assert (row["work_id"], row["claimant"], row["respond_by"], row["ruling"], row["responded"], row["resolved_at"] or 0) == (
            v["workId"], v["claimant"], v["respondBy"], rulings[v["ruling"]], v["responded"], v["resolvedAt"])
        assert row["beneficiary"] == (None if v["beneficiary"] == ZERO else v["beneficiary"])
    assert [(disputes[d]["status"], disputes[d]["ruling"]) for d in made["disputes"]] == [("Resolved", "Transfer"), ("Resolved", "Revoke")]
    assert disputes[made["disputes"][0]]["response_uri"] == "ipfs://answer" and disputes[made["disputes"][1]]["response_uri"] is None
    # terms and offers
    terms = by(engine, LicenceTerms, "terms_id")
    kinds = ["PerpetualCopies", "PerLoanMetered", "Subscription"]
    for t in made["terms"]:
        v, uri = lic.call("terms", t)
        row = terms[t]
        assert (row["kind"], row["price"], row["copies"], row["loan_period"], row["max_loans_per_copy"], row["duration"],
                row["ill_allowed"], row["fee_bps"], row["territory"], row["legal_text_hash"], row["legal_text_uri"]) == (
            kinds[v["kind"]], v["price"], v["copies"], v["loanPeriod"], v["maxLoansPerCopy"], v["duration"], v["illAllowed"],
            v["feeBps"], "0x" + v["territory"].hex(), "0x" + v["legalTextHash"].hex(), uri)
        assert row["publisher"] == actors.publishers[0].address
    offers = {(r["work_id"], r["terms_id"]): r for r in rows(engine, WorkOffer)}
    for (w, t), row in offers.items():
        assert row["enabled"] == (lic.call("offerState", w, t) == 1)
        assert row["offer_id"] == lic.call("offerIdOf", w, t)
    assert offers[(w1, made["terms"][1])]["enabled"] is False and len(offers) == 3
    # licences and loans
    licences = by(engine, Licence, "licence_id")
    assert set(licences) == set(made["licences"])
    for lid in made["licences"]:
        v = lic.call("licence", lid)
        row = licences[lid]
        assert (row["holder"], row["work_id"], row["terms_id"], row["copies"], row["active_loans"], row["total_loans"], row["valid_until"]) == (
            v["holder"], v["workId"], v["termsId"], v["copies"], v["activeLoans"], v["totalLoans"], v["validUntil"])
    assert licences[made["licences"][3]]["pool_id"] == made["pool"] and licences[made["licences"][3]]["subsidy"] == 7_000
    assert licences[made["licences"][2]]["gross_paid"] == 15_000  # acquisition + two renewals
    loans = by(engine, DigitalLoan, "loan_id")
    assert [loans[x]["status"] for x in made["loans"]] == ["Returned", "Expired", "Active"]
    assert loans[made["loans"][2]]["charge"] == 300 and loans[made["loans"][0]]["charge"] == 0
    for x in made["loans"]:
        assert loans[x]["due_at"] > loans[x]["checked_out_at"] and len(loans[x]["ref"]) == 66
    # royalties: balances, escrow, accruals = balance + withdrawals for every account
    balances = by(engine, RoyaltyBalance, "account")
    accounts = {r["account"] for r in rows(engine, RoyaltyAccrual) if r["account"]}
    assert accounts >= {actors.platform.address, *(p.address for p in actors.publishers)}
    withdrawals = defaultdict(int)
    for r in rows(engine, RoyaltyWithdrawal):
        withdrawals[r["account"]] += r["amount"]
    assert withdrawals[actors.publishers[0].address] > 0
    accrued = defaultdict(int)
    for r in rows(engine, RoyaltyAccrual):
        if r["kind"] != "escrowed":
            accrued[r["account"]] += r["net"]
    for a in accounts:
        on_chain = royalties.call("balanceOf", a)
        assert balances[a]["balance"] == on_chain
        assert accrued[a] == on_chain + withdrawals[a]
    escrow = by(engine, RoyaltyEscrow, "work_id")
    for w in made["works"]:
        assert escrow[w]["held"] == royalties.call("escrowOf", w)
    assert escrow[w1]["held"] == escrow[w2]["held"] == 0 and escrow[w1]["released"] > 0 and escrow[w2]["released"] > 0
    released_to_claimant = [r["net"] for r in rows(engine, RoyaltyAccrual) if r["kind"] == "released" and r["work_id"] == w1]
    assert released_to_claimant == [escrow[w1]["released"]] and balances[lib.address]["balance"] == escrow[w1]["released"]
    # every payment: the fee row plus the nets add up to the gross
    payments = defaultdict(list)
    for r in rows(engine, RoyaltyAccrual):
        if r["kind"] != "released":
            payments[(r["block_number"], r["log_index"])].append(r)
    kinds_seen = {r["kind"] for r in rows(engine, RoyaltyAccrual)}
    assert kinds_seen == {"paid", "fee", "escrowed", "released"}
    for parts in payments.values():
        assert sum(p["net"] for p in parts) == parts[0]["gross"]
        assert [p["net"] for p in parts if p["kind"] == "fee"] == [parts[0]["fee"]]
    refs = {(r["ref_kind"], r["ref_id"]) for r in rows(engine, RoyaltyAccrual) if r["kind"] == "paid"}
    assert ("DigitalLoan", made["loans"][2]) in refs and ("Licence", made["licences"][0]) in refs
    # subsidy pool and attestation
    pool = by(engine, SubsidyPool, "pool_id")[made["pool"]]
    v = pools.call("pool", made["pool"])
    assert (pool["sponsor"], pool["funded"], pool["remaining"], pool["drawn"], pool["expiry"], pool["per_library_cap"], pool["reclaimed"]) == (
        v["sponsor"], v["funded"], v["balance"], v["drawn"], v["expiry"], v["perLibraryCap"], v["reclaimed"])
    assert pool["reclaimed_amount"] == 101_000 - 7_000
    draws = rows(engine, SubsidyDraw)
    assert [(d["pool_id"], d["buyer"], d["work_id"], d["price"], d["subsidy"]) for d in draws] == [
        (made["pool"], actors.libraries[1].address, w1, 10_001, 7_000)]
    att = rows(engine, AttestationRow)
    v = chain.contract("Attestations").call("attestation", att[0]["attestation_id"])
    assert len(att) == 1 and (att[0]["auditor"], att[0]["subject_kind"], att[0]["subject_id"], att[0]["report_hash"], att[0]["report_uri"], att[0]["anchored_at"]) == (
        v["auditor"], "Work", v["subjectId"], "0x" + v["reportHash"].hex(), v["reportURI"], v["anchoredAt"])
    assert check(engine, chain.rpc, deployment) == []


# ---------------------------------------------------------------------------- ILL and clearing


def ill_flows(chain, actors):
    """Requests through every kind of message (incl. ignored ones), a digital ILL, a closed
    period with a settlement, a withdrawal and a default. Returns the request ids and period."""
    a, b, c = actors.libraries
    ill, clearing = chain.contract("InterlibraryLoan"), chain.contract("Clearing")
    rids = {}
    # full loan with a charge, a stale update, a repeated action, a renewal and a recall
    r = rids["loan"] = ill_request(chain, a, b.address, max_cost=500)
    ill_status(chain, b, r, Status.WillSupply)
    ill_status(chain, b, r, Status.ExpectToSupply)  # stale: StatusUpdateIgnored
    ill_status(chain, b, r, Status.Loaned, due=now(chain) + 7 * DAY, charge=300)
    ill_act(chain, a, r, Action.Received)
    ill_act(chain, a, r, Action.Received)  # repeated: ActionIgnored
    ill_act(chain, a, r, Action.Renew)
    due = ill_view(chain, r)["dueDate"]
    ill.transact("answerRenew", r, due + 7 * DAY, sender=b)
    ill_status(chain, b, r, Status.Recalled, reason=(0, 1))
    ill_act(chain, a, r, Action.ShippedReturn)
    ill.transact("refundCharge", r, 100, sender=b)
    ill_status(chain, b, r, Status.LoanCompleted)
    # a cancel answered yes, and one answered implicitly by Unfilled
    r = rids["cancelled"] = ill_request(chain, b, c.address)
    ill_act(chain, b, r, Action.Cancel)
    ill.transact("answerCancel", r, True, sender=c)
    r = rids["unfilled"] = ill_request(chain, c, a.address)
    ill_act(chain, c, r, Action.Cancel)
    ill_status(chain, a, r, Status.Unfilled, reason=(0, 3))
    # copy with a charge; a renewal refused; forward to a third library; loss and finding
    r = rids["copy"] = ill_request(chain, c, b.address, service=COPY, max_cost=200)
    ill_status(chain, b, r, Status.CopyCompleted, charge=150)
    r = rids["forwarded"] = ill_request(chain, a, b.address)
    ill_status(chain, b, r, Status.Loaned, due=now(chain) + 14 * DAY)
    ill_act(chain, a, r, Action.Renew)
    ill.transact("answerRenew", r, 0, sender=b)
    ill_act(chain, a, r, Action.Received)
    ill_act(chain, a, r, Action.ShippedForward, c.address)
    r = rids["lost"] = ill_request(chain, c, a.address, max_cost=0)
    ill_status(chain, a, r, Status.Loaned, due=now(chain) + DAY)
    ill_act(chain, c, r, Action.Lost)
    ill_status(chain, a, r, Status.CompletedWithoutReturn, charge=2_000)
    ill.transact("recordFound", r, 500, sender=a)
    # digital ILL on a metered licence of b
    pub = actors.publisher
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id, kind=METERED, price=200, ill=True)
    licence_id = acquire(chain, b, work_id, terms_id)
    r = rids["digital"] = ill_request(chain, a, b.address, item=work_id.to_bytes(32, "big"), item_kind=ITEM_WORK, licence_id=licence_id)
    ill_status(chain, b, r, Status.Loaned)
    # overdue by anyone, after the due date
    r = rids["overdue"] = ill_request(chain, b, a.address, max_cost=900)
    ill_status(chain, a, r, Status.Loaned, due=now(chain) + DAY, charge=900)
    period = clearing.call("currentPeriod")
    clearing.transact("closePeriod", sender=actors.platform)
    travel(chain, 2 * DAY)
    ill.transact("markOverdue", rids["overdue"], sender=actors.auditor)
    ill.transact("markOverdue", rids["overdue"], sender=actors.auditor)  # ignored
    # settle: a pays, b and c withdraw what they can; the rest defaults after the deadline
    nets = {lib.address: clearing.call("netPosition", period, lib.address) for lib in (a, b, c)}
    debtors = [lib for lib in (a, b, c) if nets[lib.address] < 0]
    creditors = [lib for lib in (a, b, c) if nets[lib.address] > 0]
    clearing.transact("settle", period, sender=debtors[0])
    for lib in creditors:
        clearing.transact("withdraw", period, sender=lib)
    travel(chain, 15 * DAY)
    defaulted = [lib.address for lib in debtors[1:]]
    for d in defaulted:
        clearing.transact("flagDefault", period, d, sender=actors.auditor)
    ill_status(chain, b, rids["digital"], Status.LoanCompleted)  # lands in the next period too: no charge
    return rids, period, defaulted


def test_ill_and_clearing_projections_equal_the_contracts(chain, actors, settings, deployment, mirror_url, engine_for):
    rids, period, defaulted = ill_flows(chain, actors)
    assert defaulted, "the flows must leave a debtor in default"
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    ill, clearing = chain.contract("InterlibraryLoan"), chain.contract("Clearing")
    requests = by(engine, IllRequest, "request_id")
    assert set(requests) == set(rids.values())
    for name, rid in rids.items():
        v = ill.call("request", rid)
        row = requests[rid]
        expect = {
            "requester": v["requester"], "supplier": v["supplier"], "borrower": v["borrower"], "status": STATUS_NAMES[v["status"]],
            "service": ["Loan", "Copy"][v["service"]], "item_kind": ["Work", "Bibliographic"][v["itemKind"]],
            "item": "0x" + v["item"].hex(), "max_cost": v["maxCost"], "need_before": v["needBefore"], "due_date": v["dueDate"],
            "cancel_pending": v["cancelPending"], "renew_pending": v["renewPending"], "received": v["received"],
            "return_shipped": v["returnShipped"], "lost_reported": v["lostReported"], "found": v["found"],
            "licence_id": v["licenceId"], "retry_of": v["retryOf"], "lending_charged": v["lendingCharged"],
            "lending_refunded": v["lendingRefunded"], "replacement_charged": v["replacementCharged"],
            "replacement_refunded": v["replacementRefunded"],
        }
        assert {k: row[k] for k in expect} == expect, name
    assert requests[rids["forwarded"]]["borrower"] == actors.libraries[2].address
    assert requests[rids["lost"]]["found"] and requests[rids["lost"]]["replacement_refunded"] == 500
    # the full history of the first request, in chain order, including ignored messages
    hist = sorted(rows(engine, IllTransition, IllTransition.request_id == rids["loan"]), key=lambda r: (r["block_number"], r["log_index"]))
    b_addr, a_addr = actors.libraries[1].address, actors.libraries[0].address
    assert [(h["event"], h["from_status"], h["to_status"], h["action"], h["accepted"], h["applied"], h["actor"]) for h in hist] == [
        ("StatusChanged", "RequestReceived", "WillSupply", None, None, True, b_addr),
        ("StatusUpdateIgnored", "WillSupply", "ExpectToSupply", None, None, False, b_addr),
        ("StatusChanged", "WillSupply", "Loaned", None, None, True, b_addr),
        ("ActionRecorded", "Loaned", "Loaned", "Received", None, True, a_addr),
        ("ActionIgnored", "Loaned", "Loaned", "Received", None, False, a_addr),
        ("ActionRecorded", "Loaned", "Loaned", "Renew", None, True, a_addr),
        ("RenewAnswered", "Loaned", "Loaned", "Renew", True, True, b_addr),
        ("StatusChanged", "Loaned", "Loaned", None, None, True, b_addr),
        ("StatusChanged", "Loaned", "Recalled", None, None, True, b_addr),
        ("ActionRecorded", "Recalled", "Recalled", "ShippedReturn", None, True, a_addr),
        ("StatusChanged", "Recalled", "LoanCompleted", None, None, True, b_addr),
    ]
    assert hist[8]["reason_code"] == 1 and hist[2]["due_date"] < hist[7]["due_date"]
    assert all(h["tx_hash"].startswith("0x") and len(h["tx_hash"]) == 66 for h in hist)
    events = {h["event"] for h in rows(engine, IllTransition)}
    assert events == {"StatusChanged", "StatusUpdateIgnored", "ActionRecorded", "ActionIgnored", "CancelAnswered", "RenewAnswered", "FoundAfterLost"}
    cancels = [(h["request_id"], h["accepted"]) for h in rows(engine, IllTransition) if h["event"] == "CancelAnswered"]
    assert sorted(cancels) == sorted([(rids["cancelled"], True), (rids["unfilled"], False)])
    ignored_overdue = [h for h in rows(engine, IllTransition, IllTransition.request_id == rids["overdue"]) if h["event"] == "StatusUpdateIgnored"]
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in ignored_overdue] == [("Overdue", "Overdue", actors.auditor.address)]
    # clearing: periods, positions (with the default flag), charges
    periods = by(engine, SettlementPeriod, "period_id")
    assert set(periods) == set(range(1, clearing.call("currentPeriod") + 1)) and period in periods
    for pid, row in periods.items():
        v = clearing.call("period", pid)
        assert (row["opened_at"], row["closed_at"], row["deadline"], row["owed"], row["paid_in"], row["withdrawn"]) == (
            v["openedAt"], v["closedAt"], v["deadline"], v["owed"], v["paidIn"], v["withdrawn"])
    assert periods[period]["owed"] > 0 and periods[period]["paid_in"] > 0
    positions = {(r["period_id"], r["library"]): r for r in rows(engine, NetPosition)}
    assert positions
    for (pid, library), row in positions.items():
        v = clearing.call("position", pid, library)
        assert (row["net"], row["settled"], row["defaulted"]) == (v["net"], v["settled"], v["defaulted"])
        assert row["net"] == clearing.call("netPosition", pid, library)
    for d in defaulted:
        assert positions[(period, d)]["defaulted"] is True and positions[(period, d)]["defaulted_outstanding"] > 0
    assert sum(r["net"] for (pid, _), r in positions.items() if pid == period) == 0
    charges = rows(engine, ClearingCharge)
    assert sorted((c["request_id"], c["kind"], c["amount"]) for c in charges) == sorted([
        (rids["loan"], "Lending", 300), (rids["loan"], "Refund", 100), (rids["copy"], "Lending", 150),
        (rids["lost"], "Replacement", 2_000), (rids["lost"], "Refund", 500), (rids["overdue"], "Lending", 900),
    ])
    # the digital ILL took and gave back a copy of b's licence; its per-loan fee went through the split
    lic_row = by(engine, Licence, "licence_id")[requests[rids["digital"]]["licence_id"]]
    assert (lic_row["active_loans"], lic_row["total_loans"], lic_row["ill_loans"]) == (0, 1, 1)
    assert all(r["requested_tx"] == requests[r["request_id"]]["requested_tx"] and r["requested_tx"].startswith("0x") for r in requests.values())
    # record_events: each request's trail is exactly its InterlibraryLoan messages and Clearing charges
    raw = {(r["block_number"], r["log_index"]): r for r in rows(engine, RawEvent)}
    for rid in rids.values():
        want = {k for k, r in raw.items() if r["contract"] in ("InterlibraryLoan", "Clearing") and int((r["args"] or {}).get("requestId", -1)) == rid}
        got = {(r["block_number"], r["log_index"]) for r in rows(engine, RecordEvent, RecordEvent.record_kind == "ill-request", RecordEvent.record_id == rid)}
        assert got == want and len(got) >= 2
    charge_keys = {(c["block_number"], c["log_index"]) for c in charges}
    recorded = {(r["block_number"], r["log_index"]) for r in rows(engine, RecordEvent, RecordEvent.record_kind == "period", RecordEvent.record_id == period)}
    assert {k for k in charge_keys if raw[k]["args"]["periodId"] == period} <= recorded
    assert ("IllRequest", rids["digital"]) in {(r["ref_kind"], r["ref_id"]) for r in rows(engine, RoyaltyAccrual)}
    assert check(engine, chain.rpc, deployment) == []


# ---------------------------------------------------------------------------- check and rebuild


def test_check_names_a_tampered_projection_row(chain, actors, settings, deployment, mirror_url, engine_for):
    a, b, _ = actors.libraries
    pub = actors.publisher
    work_id = register_work(chain, pub)
    terms_id = offer_terms(chain, pub, work_id)
    licence_id = acquire(chain, a, work_id, terms_id)
    rid = ill_request(chain, a, b.address, max_cost=400)
    ill_status(chain, b, rid, Status.Loaned, due=now(chain) + DAY, charge=400)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    assert check(engine, chain.rpc, deployment) == []
    with engine.begin() as conn:
        conn.execute(update(Licence).where(Licence.licence_id == licence_id).values(active_loans=3))
        conn.execute(update(IllRequest).where(IllRequest.request_id == rid).values(status="Cancelled"))
        conn.execute(update(RoyaltyBalance).where(RoyaltyBalance.account == pub.address).values(balance=RoyaltyBalance.balance + 1))
        conn.execute(update(NetPosition).where(NetPosition.library == a.address).values(defaulted=True))
        deleted = conn.execute(IllTransition.__table__.delete().where(IllTransition.request_id == rid)).rowcount
    diffs = [str(d) for d in check(engine, chain.rpc, deployment)]
    assert f"licences[licence_id={licence_id}]: active_loans = 3 in the mirror, 0 rebuilt from raw events" in diffs
    assert f"ill_requests[request_id={rid}]: status = 'Cancelled' in the mirror, 'Loaned' rebuilt from raw events" in diffs
    assert any(d.startswith(f"royalty_balances[account={pub.address}]: balance") for d in diffs)
    assert any(d.startswith(f"net_positions[period_id=1, library={a.address}]: defaulted") for d in diffs)
    missing = [d for d in diffs if d.startswith("ill_transitions[block_number=") and "missing in the mirror" in d]
    assert deleted == 1 and len(missing) == deleted  # RequestReceived -> Loaned
    assert len(diffs) == 4 + deleted


def test_rollback_rebuilds_the_new_projections(chain, actors, settings, deployment, mirror_url, second_url, engine_for):
    rights_flows(chain, actors)
    snap = chain.rpc.call("evm_snapshot")
    rids, _, _ = ill_flows(chain, actors)
    engine = engine_for(mirror_url)
    index_once(settings, deployment, engine)
    assert len(rows(engine, IllRequest)) == len(rids)
    assert chain.rpc.call("evm_revert", [snap])
    chain.pipeline.nonces.reset()
    a, b, _ = actors.libraries
    rid = ill_request(chain, b, a.address, max_cost=50)  # different transactions on the same heights
    ill_status(chain, a, rid, Status.Loaned, due=now(chain) + DAY, charge=50)
    index_once(settings, deployment, engine)
    assert set(by(engine, IllRequest, "request_id")) == {rid}
    assert [r["amount"] for r in rows(engine, ClearingCharge)] == [50]
    clean = engine_for(second_url)
    index_once(settings, deployment, clean)
    assert mirror_state(engine) == mirror_state(clean)
    assert check(engine, chain.rpc, deployment) == []

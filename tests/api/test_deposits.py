"""Loan deposits: metered checkouts are paid from credit a library prepaid into Royalties; loan-slot
reservations prepay the storage of loan groups (issue #3).

Through HTTP (role-checked, problem+json) and the CLI; the chain is shared by every API test, so
each test starts from the deposit it finds and uses its own work.
"""

from __future__ import annotations

import re

from tests.api.conftest import content_hash, iscc
from tests.api.test_cli import _ok, _one_error_line, run, sqlite_only

LIB, PUB = "CN-330200-NBL", "PUB-SHYW"


def ok(r, code=(200, 201)):
    assert r.status_code in (code if isinstance(code, tuple) else (code,)), r.text
    return r.json()


def _metered_licence(api, price: int, title: str) -> int:
    w = ok(api.post("/works", PUB, {"content_hash": content_hash(), "iscc": iscc(), "metadata_uri": "ipfs://bafk-deposit", "title": title}))
    t = ok(api.post("/terms", PUB, {"kind": "PerLoanMetered", "price": price, "copies": 3, "loan_period_seconds": 3600,
                                    "legal_text_uri": f"ipfs://legal-deposit-{w['id']}"}))
    ok(api.post(f"/works/{w['id']}/terms", PUB, {"terms_id": int(t["id"])}))
    lic = ok(api.post("/licences", LIB, {"work_id": int(w["id"]), "terms_id": int(t["id"]), "copies": 1}))
    return int(lic["id"])


def _deposit(api) -> int:
    return ok(api.get("/royalties/deposit", LIB))["deposit"]["amount"]


def _empty(api) -> None:
    left = _deposit(api)
    if left:
        ok(api.post("/royalties/deposit/withdraw", LIB, {"amount": left}))
    assert _deposit(api) == 0


def test_metered_checkout_needs_a_deposit_and_pays_from_it(api):
    licence_id = _metered_licence(api, 1_234, f"押金借阅 ({api.backend})")
    _empty(api)
    # no deposit: the contract refuses, and the problem says what to do
    r = api.post("/loans", LIB, {"licence_id": licence_id})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), r.text
    p = r.json()
    assert p["error"] == "DepositTooLow" and p["args"]["available"] == 0 and p["args"]["needed"] == 1_234
    assert "deposit" in p["detail"] and "/royalties/deposit" in p["detail"]
    assert ok(api.get(f"/licences/{licence_id}/usage"))["licence"]["active_loans"] == 0, "nothing written"

    credit_before = int(api.client.app.state.runtime.chain.contract("Credit").call("balanceOf", api.accounts[LIB]))
    d = ok(api.post("/royalties/deposit", LIB, {"amount": 3_000}))
    assert d["data"]["deposit"] == {"amount": 3_000, "currency": "CNY"} and d["tx"]["status"] == "mirrored"
    ok(api.post("/loans", LIB, {"licence_id": licence_id}))
    ok(api.post("/loans", LIB, {"licence_id": licence_id}))
    assert _deposit(api) == 3_000 - 2 * 1_234
    r = api.post("/loans", LIB, {"licence_id": licence_id})
    assert r.status_code == 409 and r.json()["args"] == {"account": api.accounts[LIB], "available": 532, "needed": 1_234}
    assert ok(api.get(f"/licences/{licence_id}/usage"))["licence"]["active_loans"] == 2

    # too much back is refused; the rest comes back as credit
    r = api.post("/royalties/deposit/withdraw", LIB, {"amount": 533})
    assert r.status_code == 409 and r.json()["error"] == "DepositTooLow"
    back = ok(api.post("/royalties/deposit/withdraw", LIB, {"amount": 532}))
    assert back["data"]["deposit"]["amount"] == 0
    credit_after = int(api.client.app.state.runtime.chain.contract("Credit").call("balanceOf", api.accounts[LIB]))
    assert credit_before - credit_after == 2 * 1_234, "the loans cost their price, nothing more"


def test_deposit_input_and_roles(api):
    for bad in (0, -1, "12", 10**30, None):
        r = api.post("/royalties/deposit", LIB, {"amount": bad})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (bad, r.text)
    r = api.post("/royalties/deposit", PUB, {"amount": 100})
    assert r.status_code == 403 and r.json()["role"] == "library"
    r = api.post("/royalties/deposit", "CN-330300-WZL", {"amount": 100})
    assert r.status_code == 403 and r.json()["type"].endswith("member-suspended")
    other = ok(api.get("/royalties/deposit", PUB, params={"member": LIB}))
    assert other["account"] == api.accounts[LIB]


@sqlite_only
def test_deposit_from_the_command_line(api):
    _empty(api)
    out = _ok(run(api, "loans", "deposit", "--member", LIB, "--amount", "700"))
    assert re.search(r"deposited 700 fen; deposit now 700 fen", out), out
    refused = _one_error_line(run(api, "loans", "withdraw-deposit", "--member", LIB, "--amount", "701"))
    assert "DepositTooLow" in refused and "holds 700 fen but 701 fen are needed" in refused
    out = _ok(run(api, "loans", "withdraw-deposit", "--member", LIB, "--amount", "700"))
    assert "deposit now 0 fen" in out
    refused = _one_error_line(run(api, "loans", "deposit", "--member", PUB, "--amount", "5"))
    assert "library" in refused


def test_reserve_loan_slots_then_loans_read_back(api):
    licence_id = _metered_licence(api, 200, f"预留借阅存储 ({api.backend})")
    ok(api.post("/royalties/deposit", LIB, {"amount": 6 * 200}))
    r = ok(api.post("/loans/reserve", LIB, {"groups": 2}), 200)
    d = r["data"]
    assert r["tx"]["status"] == "mirrored" and d["to_group"] - d["from_group"] == 2, r
    assert d["reserved_up_to"] >= d["to_group"] and r["id"] == f"{d['from_group']}-{d['to_group']}"
    loans = [int(ok(api.post("/loans", LIB, {"licence_id": licence_id}))["id"]) for _ in range(3)]
    for loan_id in loans:
        got = ok(api.get(f"/loans/{loan_id}", LIB))["data"]
        assert got["licence_id"] == licence_id and got["status"] == "Active", got
    chain_loan = api.client.app.state.runtime.chain.contract("Licensing").call("loan", loans[-1])
    assert chain_loan["licenceId"] == licence_id and chain_loan["status"] == 1


def test_reserve_input_and_roles(api):
    for bad in (0, -1, 257, "2", None, 2.5):
        r = api.post("/loans/reserve", LIB, {"groups": bad})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (bad, r.text)
    r = api.post("/loans/reserve", LIB, {"groups": 1, "extra": 1})
    assert r.status_code == 422
    r = api.post("/loans/reserve", PUB, {"groups": 1})
    assert r.status_code == 403 and r.json()["role"] == "library"
    r = api.post("/loans/reserve", "CN-330300-WZL", {"groups": 1})
    assert r.status_code == 403 and r.json()["type"].endswith("member-suspended")


@sqlite_only
def test_reserve_from_the_command_line(api):
    out = _ok(run(api, "loans", "reserve", "--member", LIB, "--groups", "3"))
    m = re.search(r"reserved loan slots for groups (\d+)-(\d+) \(loans (\d+)-(\d+)\)", out)
    assert m, out
    first, last, lo, hi = map(int, m.groups())
    assert last - first == 2 and lo == 3 * first + 1 and hi == 3 * last + 3
    refused = _one_error_line(run(api, "loans", "reserve", "--member", PUB, "--groups", "1"))
    assert "library" in refused
    refused = run(api, "loans", "reserve", "--member", LIB, "--groups", "0")
    assert refused.returncode != 0

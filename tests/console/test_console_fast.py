"""Fast checks without a browser: cookie flags, CSRF, sign-in redirects, catalogue completeness,
no text in templates outside t(), money and time formatting, ISO 18626 button rules."""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.console import i18n, ill_actions, payouts_run
from api.services import reads
from ledger.mirror.models import RoyaltyAccrual
from rights.periods import parse_period
from tests.console.stack import DemoStack, demo_month

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"
TEMPLATES = sorted((CONSOLE / "templates").glob("*.html"))


@pytest.fixture(scope="module")
def client(stack: DemoStack) -> TestClient:
    return TestClient(stack.app, raise_server_exceptions=False)


def _login(c: TestClient, token: str, *, csrf: str | None = "cookie") -> object:
    c.get("/console/login")
    value = c.cookies.get("ll_csrf") if csrf == "cookie" else csrf
    data = {"token": token} | ({"csrf": value} if value is not None else {})
    return c.post("/console/login", data=data, follow_redirects=False)


def _set_cookies(resp: object) -> dict[str, str]:
    out = {}
    for h in resp.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        out[h.split("=", 1)[0]] = h
    return out


def test_session_cookie_is_httponly_samesite_strict(stack: DemoStack) -> None:
    c = TestClient(stack.app)
    r = _login(c, stack.token("library"))
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    cookie = _set_cookies(r)["ll_console"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert "secure" not in cookie  # plain http on loopback
    s = TestClient(stack.app, base_url="https://testserver")
    cookie = _set_cookies(_login(s, stack.token("library")))["ll_console"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_sign_in_needs_the_csrf_token(stack: DemoStack) -> None:
    assert _login(TestClient(stack.app), stack.token("library"), csrf=None).status_code == 403
    assert _login(TestClient(stack.app), stack.token("library"), csrf="x" * 43).status_code == 403
    c = TestClient(stack.app)
    r = _login(c, "llt_unknown")
    assert r.status_code == 401 and "ll_console" not in _set_cookies(r)


def test_every_form_is_refused_without_csrf(stack: DemoStack) -> None:
    c = TestClient(stack.app)
    assert _login(c, stack.token("platform")).status_code == 303
    before = c.get("/console/platform").text.count('data-status="Closed"')
    for path in ["/console/platform/close-period", "/console/logout", "/console/lang"]:
        assert c.post(path, data={"lang": "en"}, follow_redirects=False).status_code == 403
        assert c.post(path, data={"lang": "en", "csrf": "forged" * 8}, follow_redirects=False).status_code == 403
    assert c.get("/console/platform").text.count('data-status="Closed"') == before
    lib = TestClient(stack.app)
    assert _login(lib, stack.token("library")).status_code == 303
    for path in ["/console/ill", "/console/ill/1/status", "/console/ill/1/action", "/console/ill/1/answer"]:
        assert lib.post(path, data={"status": "Loaned", "action": "Received", "kind": "cancel"}, follow_redirects=False).status_code == 403


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ["/console/", "/console/ill", "/console/works", "/console/audit", "/console/platform"]:
        r = TestClient(client.app).get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_every_form_in_every_page_carries_csrf(stack: DemoStack) -> None:
    for role, pages in {"library": ["/console/ill", "/console/library"], "publisher": ["/console/works", "/console/royalties"],
                        "auditor": ["/console/audit?work_id=1"], "platform": ["/console/platform"]}.items():
        c = TestClient(stack.app)
        _login(c, stack.token(role))
        for p in pages:
            html = c.get(p).text
            posts = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S)
            assert posts, p
            assert all('name="csrf"' in f for f in posts), p


def test_static_files_are_vendored(client: TestClient) -> None:
    r = client.get("/console/static/htmx.min.js")
    assert r.status_code == 200 and "htmx" in r.text[:400] and "0BSD" in r.text[:400]
    assert client.get("/console/static/console.css").status_code == 200
    assert client.get("/console/static/../routes.py").status_code == 404


# ------------------------------------------------------------------------------ i18n


def test_catalogues_have_the_same_keys_and_no_empty_message() -> None:
    zh, en = i18n.catalogue("zh_CN"), i18n.catalogue("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    assert all(v.strip() for v in [*zh.values(), *en.values()])
    assert json.loads((CONSOLE / "i18n" / "zh_CN.json").read_text(encoding="utf-8")) == zh


def _literal_keys() -> set[str]:
    keys: set[str] = set()
    for f in [*TEMPLATES, CONSOLE / "routes.py"]:
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""", f.read_text(encoding="utf-8")))
    return keys


def test_every_key_used_is_in_both_catalogues() -> None:
    used = _literal_keys()
    assert len(used) > 100
    dynamic = {f"ill.status.{s}" for s in reads.ILL_STATUS} | {f"ill.to.{s}" for s in reads.ILL_STATUS}
    dynamic |= {f"ill.action.{a}" for a in reads.ILL_ACTION} | {f"ill.service.{s}" for s in reads.SERVICE}
    dynamic |= {f"terms.kind.{k}" for k in reads.TERMS_KIND} | {f"role.{r}" for r in ["governor", "publisher", "library", "auditor", "platform", "treasury", "sponsor"]}
    dynamic |= {f"ill.answer.{k}.{a}" for k in ("cancel", "renew") for a in ("yes", "no")} | {f"flash.{f}" for f in ("requested", "updated", "registered", "withdrawn", "closed")}
    dynamic |= {f"loan.status.{s}" for s in ("Active", "Returned", "Expired")} | {f"work.status.{s}" for s in ("Active", "Disputed", "Revoked")}
    dynamic |= {f"period.status.{s}" for s in ("Open", "Closed")} | {f"member.status.{s}" for s in ("Active", "Suspended", "None", "Unknown")}
    dynamic |= {f"error.status.{s}" for s in (400, 401, 403, 404, 409, 422, 500, 502, 503)}
    dynamic |= {f"nav.{p}" for p in ("overview", "ill", "library", "works", "royalties", "audit", "platform")}
    dynamic |= {f"payouts.step.{s}" for s in payouts_run.STEPS} | {f"payouts.state.{s}" for s in ("running", "done", "failed")}
    dynamic |= {f"error.slug.{s}" for s in ("period-open", "not-reconciled", "no-statement-key", "invalid-period")}
    for lang in i18n.LANGS:
        missing = sorted((used | dynamic) - set(i18n.catalogue(lang)))
        assert not missing, f"{lang}: {missing}"


class _TextNodes(HTMLParser):
    VISIBLE_ATTRS = {"aria-label", "placeholder", "title", "alt", "hx-confirm"}  # shown to people (value= is a wire value)

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        if any(unicodedata.category(ch).startswith("L") for ch in data):
            self.found.append(data.strip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in self.VISIBLE_ATTRS and v and any(unicodedata.category(ch).startswith("L") for ch in v):
                self.found.append(f"{tag}[{k}]={v}")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_hold_no_text_outside_t(template: Path) -> None:
    src = template.read_text(encoding="utf-8")
    src = re.sub(r"\{#.*?#\}", "", src, flags=re.S)
    src = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", src, flags=re.S)
    src = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", src, flags=re.S)
    p = _TextNodes()
    p.feed(src)
    assert not p.found, p.found


def test_missing_message_raises() -> None:
    t = i18n.translator("en")
    with pytest.raises(i18n.MissingMessage):
        t("no.such.key")
    assert t("works.check.distance", bits=3) == "3 bits apart"


def test_money_and_time() -> None:
    assert i18n.money(123456) == "¥1,234.56"
    assert i18n.money(-5) == "-¥0.05"
    assert i18n.money(0) == "¥0.00"
    assert i18n.shanghai("2026-01-01T16:30:00Z") == "2026-01-02 00:30"
    assert i18n.shanghai(None) == "—"
    assert i18n.shanghai(1767225600, with_time=False) == "2026-01-01"
    assert i18n.end_of_day("2026-03-01") == 1772380799


# ------------------------------------------------------------------------------ ISO 18626 buttons


def _req(status: str, **kw: object) -> dict:
    base = {"status": status, "service": "Loan", "requester": "0xA", "supplier": "0xB", "borrower": "0xA", "due_date": None,
            "cancel_pending": False, "renew_pending": False, "received": False, "return_shipped": False, "lost_reported": False}
    return base | kw


def test_supplier_statuses_move_forward_only() -> None:
    assert ill_actions.supplier_statuses(_req("RequestReceived")) == ["ExpectToSupply", "WillSupply", "Loaned", "RetryPossible", "Unfilled"]
    assert ill_actions.supplier_statuses(_req("WillSupply", service="Copy")) == ["CopyCompleted", "RetryPossible", "Unfilled"]
    assert ill_actions.supplier_statuses(_req("Loaned", due_date="2999-01-01T00:00:00Z")) == ["Recalled", "LoanCompleted", "CompletedWithoutReturn"]
    assert ill_actions.supplier_statuses(_req("Loaned", due_date="2000-01-01T00:00:00Z"))[0] == "Overdue"
    assert ill_actions.supplier_statuses(_req("Overdue")) == ["Loaned", "Recalled", "LoanCompleted", "CompletedWithoutReturn"]
    assert ill_actions.supplier_statuses(_req("Recalled")) == ["LoanCompleted", "CompletedWithoutReturn"]
    for terminal in reads.ILL_TERMINAL:
        assert ill_actions.supplier_statuses(_req(terminal)) == []
        assert ill_actions.requester_actions(_req(terminal), "0xA") == []


def test_requester_actions_by_state() -> None:
    assert ill_actions.requester_actions(_req("WillSupply"), "0xa") == ["Cancel"]
    assert ill_actions.requester_actions(_req("WillSupply", cancel_pending=True), "0xA") == []
    assert ill_actions.requester_actions(_req("Loaned"), "0xA") == ["Received", "Renew", "ShippedReturn", "ShippedForward", "Lost"]
    assert ill_actions.requester_actions(_req("Recalled", received=True), "0xA") == ["ShippedReturn", "ShippedForward", "Lost"]
    assert ill_actions.requester_actions(_req("Loaned", received=True, return_shipped=True), "0xA") == []
    # forwarded on: the new borrower acts, the original requester no longer does
    fwd = _req("Loaned", borrower="0xC")
    assert ill_actions.requester_actions(fwd, "0xA") == [] and "Received" in ill_actions.requester_actions(fwd, "0xC")
    assert ill_actions.supplier_answers(_req("Loaned", renew_pending=True, cancel_pending=True)) == ["cancel", "renew"]


def test_upload_of_a_non_document_is_refused_with_a_page(stack: DemoStack) -> None:
    c = TestClient(stack.app)
    _login(c, stack.token("publisher"))
    r = c.post("/console/works/check", data={"csrf": c.cookies.get("ll_csrf"), "title": "x"},
               files={"file": ("blob.bin", b"\x00\x01\x02" * 100, "application/octet-stream")})
    assert r.status_code == 422 and "<html" in r.text
    assert c.post("/console/works/check", data={"title": "x"}, files={"file": ("a.txt", b"hello", "text/plain")}).status_code == 403


def test_publisher_publishes_and_attaches_terms(stack: DemoStack) -> None:
    c = TestClient(stack.app)
    _login(c, stack.token("publisher"))
    r = c.post("/console/terms", data={"csrf": c.cookies.get("ll_csrf"), "kind": "PerLoanMetered", "price": "3.21", "copies": "4", "loan_days": "7",
                                      "ill_allowed": "on"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get("/console/works").text
    assert "¥3.21" in page
    terms_id = re.findall(r'<option value="(\d+)">\1 · ¥3.21</option>', page)[0]
    work_id = re.findall(r'/console/works/(\d+)/terms', page)[0]
    r = c.post(f"/console/works/{work_id}/terms", data={"csrf": c.cookies.get("ll_csrf"), "terms_id": terms_id}, follow_redirects=False)
    assert r.status_code == 303, r.text
    lib = TestClient(stack.app)
    _login(lib, stack.token("library"))
    assert lib.post("/console/terms", data={"csrf": lib.cookies.get("ll_csrf"), "kind": "PerLoanMetered", "price": "1"}).status_code == 403


def test_bad_form_input_answers_with_a_page(stack: DemoStack) -> None:
    c = TestClient(stack.app)
    _login(c, stack.token("library"))
    r = c.post("/console/ill/1/status", data={"csrf": c.cookies.get("ll_csrf"), "status": "Unfilled", "reason_code": "999"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    r = c.post("/console/ill/1/status", data={"csrf": c.cookies.get("ll_csrf"), "status": "Loaned", "charge": "abc", "due_date": "2099-01-01"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")


# ------------------------------------------------------------------------------ statements, payouts, registration


def _shift_accrual(rt: object, row: tuple[int, int, int, str, int, int], by: int) -> None:
    """Add ``by`` fen to one accrual row of the mirror, and to its monthly rollup where the mirror
    keeps one (statements read whichever projection the installed ``ledger.payouts`` uses)."""
    from datetime import datetime, timezone

    from sqlalchemy import inspect, text, update

    block, log, seq, account, work_id, ts = row
    with rt.writing() as s:  # type: ignore[attr-defined]
        s.execute(update(RoyaltyAccrual).where(RoyaltyAccrual.block_number == block, RoyaltyAccrual.log_index == log,
                                               RoyaltyAccrual.seq == seq).values(net=RoyaltyAccrual.net + by))
        if inspect(s.get_bind()).has_table("royalty_rollups"):
            month = int(datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m"))
            s.execute(text("UPDATE royalty_rollups SET net = net + :by WHERE month = :m AND account = :a AND work_id = :w AND kind = 'paid'"),
                      {"by": by, "m": month, "a": account, "w": work_id})
        s.commit()


def test_a_statement_that_does_not_reconcile_is_a_page_naming_the_records(stack: DemoStack) -> None:
    import html

    from sqlalchemy import select

    from ledger.payouts import ReconciliationError, reconcile

    month = demo_month()
    period = parse_period(month, "Asia/Shanghai")
    pub = stack.runtime.address_of("PUB-ZJRM")
    rt = stack.runtime
    with rt.sessions() as s:
        r = s.execute(select(RoyaltyAccrual).where(
            RoyaltyAccrual.account == pub, RoyaltyAccrual.kind == "paid",
            RoyaltyAccrual.block_timestamp >= period.start, RoyaltyAccrual.block_timestamp < period.end,
        ).limit(1)).scalar_one()
        row = (r.block_number, r.log_index, r.seq, r.account, int(r.work_id), r.block_timestamp)
    _shift_accrual(rt, row, +1)
    try:
        with rt.sessions() as s, pytest.raises(ReconciliationError) as caught:
            reconcile(s, rt.chain, period)
        expected = caught.value.problems
        assert any(pub in d or f"block {row[0]}" in d for d in expected)

        c = TestClient(stack.app)
        _login(c, stack.token("publisher"))
        r = c.get(f"/console/royalties/statement/{month}.pdf")
        assert r.status_code == 409 and r.headers["content-type"].startswith("text/html")
        assert 'id="problems"' in r.text and all(html.escape(d) in r.text for d in expected)

        p = TestClient(stack.app)
        _login(p, stack.token("platform"))
        r = p.post("/console/platform/payouts", data={"csrf": p.cookies.get("ll_csrf"), "month": month}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/console/platform/payouts/{month}"
        run = payouts_run.runs_of(stack.app).get(month)
        assert run is not None and run.thread is not None
        run.thread.join(120)
        assert run.state == "failed" and run.problems == expected
        frag = p.get(f"/console/platform/payouts/{month}/status").text
        assert 'data-state="failed"' in frag and all(html.escape(d) in frag for d in expected) and "hx-trigger" not in frag
        assert p.get(f"/console/platform/payouts/{month}/{pub}.json").status_code == 404
    finally:
        _shift_accrual(rt, row, -1)
    c = TestClient(stack.app)
    _login(c, stack.token("publisher"))
    assert c.get(f"/console/royalties/statement/{month}.json").status_code == 200


def test_statement_of_an_open_or_invalid_month_is_a_clear_page(stack: DemoStack) -> None:
    c = TestClient(stack.app)
    _login(c, stack.token("publisher"))
    r = c.get(f"/console/royalties/statement/{i18n.month_in_shanghai(__import__('time').time())}.json")
    assert r.status_code == 409 and "period-open" not in r.text and i18n.translator("zh_CN")("error.slug.period-open") in r.text
    r = c.get("/console/royalties/statement/2026-13.json")
    assert r.status_code == 422 and i18n.translator("zh_CN")("error.slug.invalid-period") in r.text
    assert c.get(f"/console/royalties/statement/{demo_month()}.exe").status_code == 404
    p = TestClient(stack.app)
    _login(p, stack.token("platform"))
    assert p.post("/console/platform/payouts", data={"csrf": p.cookies.get("ll_csrf"), "month": "soon"}).status_code == 422
    assert p.get("/console/platform/payouts/1999-01").status_code == 404


def test_previous_month() -> None:
    from datetime import datetime, timezone

    assert i18n.previous_month(datetime(2026, 1, 10, tzinfo=timezone.utc)) == "2025-12"
    assert i18n.previous_month(datetime(2026, 10, 31, 16, 30, tzinfo=timezone.utc)) == "2026-10"  # already November in Shanghai
    assert i18n.previous_month(datetime(2026, 10, 31, 15, 59, tzinfo=timezone.utc)) == "2026-09"


def test_registration_confirms_only_the_checked_upload(stack: DemoStack) -> None:
    from api.console import registration

    c = TestClient(stack.app)
    _login(c, stack.token("publisher"))
    body = ("《测试》 " * 40 + __import__("secrets").token_hex(8) + " library ledger river mountain\n" * 30).encode()
    r = c.post("/console/works/check", data={"csrf": c.cookies.get("ll_csrf"), "title": "确认测试"}, files={"file": ("t.txt", body, "text/plain")})
    assert r.status_code == 200, r.text
    token = re.search(r'name="upload" value="([0-9a-f]{32})"', r.text).group(1)
    content_hash = re.search(r'name="content_hash" value="(0x[0-9a-f]{64})"', r.text).group(1)
    form = {"csrf": c.cookies.get("ll_csrf"), "upload": token, "content_hash": content_hash, "title": "确认测试", "creators": "某人"}
    # the staged file changed after its fingerprint was shown: refused, nothing registered
    staged = registration.staged(stack.settings, token)
    staged.write_bytes(body + b"changed")
    r = c.post("/console/works", data=form, follow_redirects=False)
    assert r.status_code == 409 and "<html" in r.text
    assert not stack.runtime.chain.contract("Works").call("workIdOf", bytes.fromhex(content_hash[2:]))
    assert c.post("/console/works", data=form | {"creators": " "}, follow_redirects=False).status_code == 422
    assert c.post("/console/works", data=form | {"upload": "0" * 32}, follow_redirects=False).status_code == 404


# ------------------------------------------------------------------------------ payouts runs kept under the data dir


def test_a_payouts_run_survives_a_restart_and_serves_the_publishers_statement(stack: DemoStack, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.config import ApiSettings
    from api.main import create_app
    from api.runtime import Runtime
    from api.services import statements as statement_service
    from ledger.payouts import period_totals
    from rights.statement import verify

    month = demo_month()
    p = TestClient(stack.app)
    _login(p, stack.token("platform"))
    assert p.post("/console/platform/payouts", data={"csrf": p.cookies.get("ll_csrf"), "month": month}, follow_redirects=False).status_code == 303
    run = payouts_run.runs_of(stack.app).get(month)
    assert run is not None and run.thread is not None
    run.thread.join(120)
    assert run.state == "done", run.error
    account = stack.runtime.address_of("PUB-ZJRM")
    with stack.runtime.sessions() as s:
        net = period_totals(s, parse_period(month, "Asia/Shanghai")).by_payee[account]

    # a fresh runtime and app on the same data dir (a restarted service, or another worker)
    rt2 = Runtime.open(ApiSettings(**stack.settings.model_dump()))
    try:
        app2 = create_app(stack.settings, runtime=rt2, start_indexer=False)
        assert payouts_run.runs_of(app2) is not payouts_run.runs_of(stack.app)
        again = payouts_run.runs_of(app2).get(month)
        assert again is not None and again.run_id == run.run_id and again.state == "done" and again.thread is None
        p2 = TestClient(app2)
        _login(p2, stack.token("platform"))
        page = p2.get(f"/console/platform/payouts/{month}")
        assert page.status_code == 200 and 'data-state="done"' in page.text and f'data-payee="{account}"' in page.text
        assert f"/console/platform/payouts/{month}" in p2.get("/console/platform").text
        stored = verify(p2.get(f"/console/platform/payouts/{month}/{account}.json").content)
        assert stored["payee"] == account and stored["totals"]["net"] == net
        assert verify(p2.get(f"/console/platform/payouts/{month}/platform.json").content)["kind"] == "platform"

        # the publisher's download is the stored run's document: no reconciliation happens for it
        def no_reconcile(*_a: object, **_k: object) -> None:
            raise AssertionError("the statement was reconciled again instead of served from the stored run")

        monkeypatch.setattr(statement_service, "reconcile", no_reconcile)
        pub = TestClient(app2)
        _login(pub, stack.token("publisher"))
        r = pub.get(f"/console/royalties/statement/{month}.json")
        assert r.status_code == 200 and json.loads(r.content) == json.loads((again.dir / "statements" / f"{account.lower()}.json").read_text())
        assert pub.get(f"/console/royalties/statement/{month}.pdf").content.startswith(b"%PDF")

        # a stored document whose signature no longer checks out is not served: the month is reconciled afresh
        path = again.dir / "statements" / f"{account.lower()}.json"
        good = path.read_text()
        doc = json.loads(good)
        doc["statement"]["totals"]["net"] += 1
        path.write_text(json.dumps(doc))
        try:
            with pytest.raises(AssertionError, match="reconciled again"):
                pub.get(f"/console/royalties/statement/{month}.json")
        finally:
            path.write_text(good)
        monkeypatch.undo()
        fresh = pub.get(f"/console/royalties/statement/{month}.json")
        assert fresh.status_code == 200 and verify(fresh.content)["totals"]["net"] == net
    finally:
        rt2.close()


def test_a_run_left_running_by_a_stopped_service_shows_as_interrupted(stack: DemoStack) -> None:
    label = "2001-02"  # a month of its own: no other test runs payouts for it
    runs = payouts_run.PayoutRuns(stack.settings.data_path / "payouts")
    run_id = "000000000000001-dead00"
    left = payouts_run.PayoutRun(period=parse_period(label, "Asia/Shanghai"), started_by="platform", dir=runs.root / label / run_id,
                                 run_id=run_id, step="balances", done=3, total=9)
    left.save()  # as a process that died mid-run left it: "running", and nobody holds the month's lock
    fresh = payouts_run.PayoutRuns(stack.settings.data_path / "payouts").get(label)
    assert fresh is not None and fresh.state == "failed" and fresh.error == payouts_run.INTERRUPTED and fresh.document("platform") is None
    c = TestClient(stack.app)
    _login(c, stack.token("platform"))
    frag = c.get(f"/console/platform/payouts/{label}/status").text
    assert 'data-state="failed"' in frag and "hx-trigger" not in frag


# ------------------------------------------------------------------------------ charts and royalty summaries: SQL over bounded windows


def test_charts_agree_with_a_plain_count_of_the_chain_events(stack: DemoStack) -> None:
    """Each chart, counted in SQL over a block window, equals the naive fold of every raw event."""
    from collections import Counter
    from datetime import datetime, timezone

    from sqlalchemy import select

    from api.console import charts
    from ledger.mirror.models import Block, IllRequest, RawEvent

    now = datetime.now(timezone.utc)
    with stack.runtime.sessions() as s:
        events = [(e, int(ts)) for e, ts in s.execute(select(RawEvent, Block.timestamp).join(Block, Block.number == RawEvent.block_number))]
        per_day: Counter[str] = Counter()
        for e, ts in events:
            if (e.contract, e.event) == ("Licensing", "LoanCheckedOut") or (
                (e.contract, e.event) == ("InterlibraryLoan", "StatusChanged") and int(e.args["to"]) == reads.ILL_STATUS.index("Loaned")
            ):
                per_day[i18n.day_in_shanghai(ts)[5:]] += 1
        days = charts.loans_per_day(s, now=now)
        assert len(days) == 14 and sum(n for _, n in days) > 0
        assert days == [(d, per_day.get(d, 0)) for d, _ in days]

        lib = stack.runtime.address_of("CN-330000-ZJL")
        mine = Counter(r.status for r in s.scalars(select(IllRequest).where((IllRequest.requester == lib) | (IllRequest.supplier == lib))))
        assert charts.ill_by_status(s, party=lib) == [(st, mine[st]) for st in reads.ILL_STATUS[1:] if mine.get(st)] and mine
        everyone = Counter(s.scalars(select(IllRequest.status)))
        assert dict(charts.ill_by_status(s)) == dict(everyone)
        newest = s.execute(select(IllRequest.status).order_by(IllRequest.requested_block.desc(), IllRequest.request_id.desc()).limit(2)).scalars().all()
        assert dict(charts.ill_by_status(s, newest=2)) == dict(Counter(newest))

        pub = stack.runtime.address_of("PUB-ZJRM")
        gross: Counter[str] = Counter()
        own: Counter[str] = Counter()
        for e, ts in events:
            if (e.contract, e.event) == ("Royalties", "RoyaltyPaid"):
                a = e.args
                gross[i18n.month_in_shanghai(ts)[2:]] += int(a["gross"])
                own[i18n.month_in_shanghai(ts)[2:]] += sum(int(n) for p, n in zip(a["payees"], a["nets"]) if p == pub)
                own[i18n.month_in_shanghai(ts)[2:]] += int(a["fee"]) if a.get("feeRecipient") == pub else 0
        for account, expected in ((None, gross), (pub, own)):
            months = charts.royalties_per_month(s, account=account, now=now)
            assert len(months) == 12 and sum(v for _, v in months) > 0
            assert months == [(m, expected.get(m, 0)) for m, _ in months]


def test_royalty_summary_is_the_publishers_accruals_and_licences(stack: DemoStack) -> None:
    from sqlalchemy import select

    from api.console import royalty_summary
    from ledger.mirror.models import Licence, Work

    pub = stack.runtime.address_of("PUB-ZJRM")
    with stack.runtime.sessions() as s:
        items, _ = reads.royalty_accruals(s, pub, limit=500, cursor=None)
        expected: dict[str, list[int]] = {}
        for a in items:
            m = expected.setdefault(i18n.month_in_shanghai(a["at"]), [0, 0, 0, 0])
            m[0] += 1
            m[1] += a["gross"]
            m[2] += a["fee"]
            m[3] += a["amount"]
        got = royalty_summary.statement_months(s, pub)
        assert got and {m["month"]: [m["payments"], m["gross"], m["fee"], m["amount"]] for m in got} == expected
        assert [m["month"] for m in got] == sorted(expected, reverse=True)

        works = set(s.scalars(select(Work.work_id).where(Work.holder == pub)))
        all_sold = sorted(s.scalars(select(Licence.licence_id).where(Licence.work_id.in_(works))), reverse=True)
        sold, more = royalty_summary.licences_sold(s, pub)
        assert len(all_sold) > 1 and [x["id"] for x in sold] == all_sold and not more
        few, more = royalty_summary.licences_sold(s, pub, limit=1)
        assert [x["id"] for x in few] == all_sold[:1] and more
    c = TestClient(stack.app)
    _login(c, stack.token("publisher"))
    page = c.get("/console/royalties").text
    assert f'<small id="sold-count">({len(all_sold)})</small>' in page


def test_first_block_since_finds_the_first_block_at_or_after_a_time_across_gaps(tmp_path: Path) -> None:
    import random

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from api.console.charts import first_block_since
    from ledger.mirror.models import Block

    engine = create_engine(f"sqlite:///{tmp_path / 'blocks.sqlite'}")
    Block.__table__.create(engine)
    rng = random.Random(4)
    numbers = sorted(rng.sample(range(1, 5000), 300)) + list(range(10_000_000, 10_000_050))  # gaps, and a far-away run
    times, ts = [], 1_700_000_000
    for _ in numbers:
        ts += rng.choice((0, 0, 1, 2, 12))  # equal times too
        times.append(ts)
    with Session(engine) as s:
        s.add_all(Block(number=n, hash="0x%064x" % n, parent_hash="0x%064x" % (n - 1), timestamp=t) for n, t in zip(numbers, times))
        s.commit()
        probes = [times[0] - 5, *rng.sample(range(times[0], times[-1] + 1), 60), times[-1], times[-1] + 1]
        for probe in probes * 2:  # the second time from the cache, checked against the table
            expected = next((n for n, t in zip(numbers, times) if t >= probe), None)
            assert first_block_since(s, probe) == expected, probe
        # a block appears before the cached answer, at the same time (a rebuilt mirror): the cache is not trusted
        i = next(k for k in range(1, 300) if numbers[k] - numbers[k - 1] > 1 and times[k - 1] < times[k])
        assert first_block_since(s, times[i]) == numbers[i]
        s.add(Block(number=numbers[i] - 1, hash="0x" + "ab" * 32, parent_hash="0x" + "cd" * 32, timestamp=times[i]))
        s.commit()
        assert first_block_since(s, times[i]) == numbers[i] - 1
    engine.dispose()

"""The console in Debian's Chromium (Playwright) against the real demo stack: every role signs
in through the form, an ILL runs from request to completion by clicking, a work is registered by
upload, an auditor verifies against the chain, the platform closes a period, refusals hold, and
every page is fully translated in both languages. Screenshots go to test-artifacts/console/."""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import threading
from pathlib import Path
from typing import Any

import pytest

from api.services import reads
from api.services import statements as statement_service
from ledger.delivery import WorkKeyring, stamp_key_path
from ledger.payouts import period_totals
from rights.periods import parse_period
from rights.statement import verify, yuan
from rights.store import LocalContentStore
from tests.console.stack import DemoStack, demo_month

PAGES = {
    "library": ["/console/", "/console/ill", "/console/library"],
    "publisher": ["/console/", "/console/works", "/console/royalties"],
    "auditor": ["/console/", "/console/audit", "/console/audit?work_id=1"],
    "platform": ["/console/", "/console/platform"],
}
NAV = {"library": {"ill", "library"}, "publisher": {"works", "royalties"}, "auditor": {"audit"}, "platform": {"platform"}}
ALL_NAV = {"ill", "library", "works", "royalties", "audit", "platform"}

#: visible text of the page outside data (translate="no") and outside parts in another language (lang=...)
VISIBLE_TEXT = """() => {
  const pageLang = document.documentElement.lang;
  const out = [];
  const skip = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (e.getAttribute('translate') === 'no') return true;
      if (['SCRIPT', 'STYLE', 'TEMPLATE'].includes(e.tagName)) return true;
      const l = e.getAttribute('lang');
      if (l && e !== document.documentElement && l !== pageLang) return true;
    }
    return false;
  };
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    if (n.textContent.trim() && !skip(n.parentElement)) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[hx-confirm]')) {
    if (skip(el)) continue;
    for (const a of ['aria-label', 'placeholder', 'hx-confirm']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  out.push(document.title);
  return out;
}"""
ZH_ALLOWED_WORDS = {"JSON", "CSV", "PDF", "ISBN"}  # acronyms Chinese librarians read as such
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def untranslated(texts: list[str], lang: str) -> list[str]:
    if lang == "zh_CN":
        return [t for t in texts if any(w not in ZH_ALLOWED_WORDS for w in re.findall(r"[A-Za-z]{2,}", t))]
    return [t for t in texts if CJK.search(t)]


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def csrf(page: Any) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "ll_csrf")


def nav_links(page: Any) -> set[str]:
    hrefs = page.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))")
    return {h.rsplit("/", 1)[-1] for h in hrefs} - {""}


@pytest.mark.parametrize("role", ["library", "publisher", "auditor", "platform"])
def test_sign_in_each_role_sees_only_its_pages(sign_in: Any, artifacts: Path, role: str) -> None:
    page = sign_in(role)
    assert nav_links(page) == NAV[role]
    for path in PAGES[role]:
        page.goto(path)
        assert page.locator("main h1").count() == 1
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "console"
        shot(page, artifacts, f"{role}-{name}")


def test_sign_in_refuses_a_bad_token(browser: Any, stack: DemoStack) -> None:
    ctx = browser.new_context(base_url=stack.url)
    page = ctx.new_page()
    page.goto("/console/login")
    page.fill("#token", "llt_not-a-token")
    page.click("#sign-in")
    page.wait_for_selector("p.error[role=alert]")
    assert not any(c["name"] == "ll_console" for c in ctx.cookies())
    page.goto("/console/ill")
    assert page.url.endswith("/console/login")
    ctx.close()


def _row(page: Any, own_id: str, status: str) -> Any:
    row = page.locator(f"tr[data-status={status}]", has_text=own_id)
    row.wait_for()
    return row


def _buttons(row: Any) -> set[str]:
    return set(row.locator("button[data-action]").evaluate_all("els => els.map(e => e.dataset.action)"))


def test_ill_from_request_to_completion_by_clicking(sign_in: Any, artifacts: Path) -> None:
    req = sign_in("library")  # 浙江图书馆 borrows
    sup = sign_in("library2")  # 杭州图书馆 supplies
    req.goto("/console/ill")
    own_id = f"T-{secrets.token_hex(4)}"
    req.select_option("#new-supplier", "CN-330100-HZL")
    req.fill("#new-key", "ISBN 978-7-5339-0000-1")
    req.fill("#new-max", "20.00")
    req.fill("#new-own", own_id)
    req.click("#new-request")
    row = _row(req, own_id, "RequestReceived")
    assert _buttons(row) == {"act-Cancel"}  # the requester may only cancel before anything ships

    sup.goto("/console/ill")
    row = _row(sup, own_id, "RequestReceived")
    assert _buttons(row) == {"status-ExpectToSupply", "status-WillSupply", "status-Loaned", "status-RetryPossible", "status-Unfilled"}
    shot(sup, artifacts, "library-ill-incoming")
    row.locator("button[data-action=status-WillSupply]").click()
    row = _row(sup, own_id, "WillSupply")
    assert "status-ExpectToSupply" not in _buttons(row)  # statuses only move forward
    row.locator("input[name=charge]").fill("5.00")
    row.locator("button[data-action=status-Loaned]").click()
    row = _row(sup, own_id, "Loaned")
    assert _buttons(row) == {"status-Recalled", "status-LoanCompleted", "status-CompletedWithoutReturn"}
    assert "¥5.00" in row.inner_text()

    req.goto("/console/ill")
    row = _row(req, own_id, "Loaned")
    assert _buttons(row) == {"act-Received", "act-Renew", "act-ShippedReturn", "act-ShippedForward", "act-Lost"}
    row.locator("button[data-action=act-Received]").click()
    row.locator("button[data-action=act-Received]").wait_for(state="detached")
    assert _buttons(row) == {"act-Renew", "act-ShippedReturn", "act-ShippedForward", "act-Lost"}
    row.locator("button[data-action=act-ShippedReturn]").click()
    row.locator("button[data-action=act-ShippedReturn]").wait_for(state="detached")
    assert _buttons(row) == set()  # shipped back: nothing left to send until the supplier completes

    sup.goto("/console/ill")
    row = _row(sup, own_id, "Loaned")
    row.locator("button[data-action=status-LoanCompleted]").click()
    row = _row(sup, own_id, "LoanCompleted")
    assert _buttons(row) == set()

    req.goto("/console/ill")
    row = _row(req, own_id, "LoanCompleted")
    assert _buttons(row) == set()
    row.locator("a").click()
    req.wait_for_selector("table.trail")
    events = req.locator("table.trail tbody tr").all_inner_texts()
    assert any("IllRequested" in e for e in events) and any("ChargePosted" in e for e in events)
    shot(req, artifacts, "library-ill-detail")


def _text_file(n: int, seed: str) -> bytes:
    words = ["library", "ledger", "river", "mountain", "lantern", "harbour", "silk", "tea", "autumn", "scholar", "bridge", "garden"]
    return (" ".join(words[(i * 7 + len(seed)) % len(words)] + str(i % 13) for i in range(n)) + "\n").encode()


def test_register_a_work_by_upload_with_fingerprint_first(sign_in: Any, stack: DemoStack, artifacts: Path) -> None:
    page = sign_in("publisher")
    page.goto("/console/works")
    body = ("西湖梦寻新注 " * 50 + secrets.token_hex(8) + "\n").encode() + _text_file(3000, "a")
    title = f"上传测试 {secrets.token_hex(3)}"
    page.set_input_files("#reg-file", files=[{"name": "book.txt", "mimeType": "text/plain", "buffer": body}])
    page.fill("#reg-title", title)
    page.click("#reg-check")
    page.wait_for_selector("#fp-sha256")
    import hashlib

    assert page.inner_text("#fp-sha256") == hashlib.sha256(body).hexdigest()
    assert page.inner_text("#fp-iscc").startswith("ISCC:")
    assert page.locator("#no-duplicates, #near-duplicates").count() == 1
    shot(page, artifacts, "publisher-works-check")
    page.fill("#confirm-creators", "张岱, 测试编者")
    page.click("#reg-confirm")
    page.wait_for_selector(f"text={title}")
    shot(page, artifacts, "publisher-works-registered")
    # registered as `register_file` does: the encrypted file and its metadata record are in the content store
    rt = stack.runtime
    work_id = rt.chain.contract("Works").call("workIdOf", hashlib.sha256(body).digest())
    assert work_id
    with rt.sessions() as session:
        uri = reads.get_work(session, int(work_id))["metadata_uri"]
    assert uri.startswith("ipfs://")
    store = LocalContentStore(stack.settings.content_path)
    record = json.loads(store.get(uri.removeprefix("ipfs://")))
    assert record["title"] == title and record["creators"] == ["张岱", "测试编者"]
    assert record["files"][0]["sha256"] == hashlib.sha256(body).hexdigest()
    entry = WorkKeyring.for_settings(stack.settings).get(hashlib.sha256(body).hexdigest())
    assert store.has(entry.content_cid) and entry.size == len(body)

    # the same file again: named as already registered, no confirm button
    page.set_input_files("#reg-file", files=[{"name": "book.txt", "mimeType": "text/plain", "buffer": body}])
    page.click("#reg-check")
    page.wait_for_selector("#exact-duplicate")
    assert page.locator("#reg-confirm").count() == 0

    # a re-encoded copy (a few words changed): a near duplicate, shown before confirming
    page.goto("/console/works")
    edited = body.replace(b"lantern", b"lanterns", 3)
    page.set_input_files("#reg-file", files=[{"name": "book-v2.txt", "mimeType": "text/plain", "buffer": edited}])
    page.click("#reg-check")
    page.wait_for_selector("#near-duplicates")
    assert title in page.inner_text("#near-duplicates")
    shot(page, artifacts, "publisher-works-near-duplicate")


def test_auditor_verifies_a_work_against_the_chain(sign_in: Any, artifacts: Path) -> None:
    page = sign_in("auditor")
    page.goto("/console/audit")
    page.fill("#audit-work", "1")
    page.click("#audit-show")
    page.wait_for_selector("table.trail")
    assert page.locator("#mirror-check.ok").count() == 1
    rows = page.locator("table.trail tbody tr").all_inner_texts()
    assert rows and all(re.search(r"0x[0-9a-f]{8}", r) for r in rows)
    page.click("#verify")
    page.wait_for_selector("#verify-result")
    assert page.locator("#verify-result.ok").count() == 1, page.inner_text("#verify-result")
    shot(page, artifacts, "auditor-verified")


def test_platform_closes_a_period_and_nets_sum_to_zero(sign_in: Any, artifacts: Path) -> None:
    page = sign_in("platform")
    page.goto("/console/platform")
    closed_before = page.locator("article.period[data-status=Closed]").count()
    page.click("#close-period")
    page.wait_for_function(f"() => document.querySelectorAll('article.period[data-status=Closed]').length > {closed_before}")
    sums = page.locator("article.period[data-status=Closed] .net-sum").all_inner_texts()
    assert sums and all(s == "¥0.00" for s in sums)
    assert page.locator("#health").count() == 1
    shot(page, artifacts, "platform-closed")


FORBIDDEN = {
    "library": ["/console/platform/close-period", "/console/royalties/withdraw", "/console/audit/verify", "/console/platform/payouts"],
    "publisher": ["/console/platform/close-period", "/console/ill/1/status", "/console/ill"],
    "auditor": ["/console/platform/close-period", "/console/works", "/console/ill/1/action"],
    "platform": ["/console/ill/1/status", "/console/royalties/withdraw", "/console/works"],
}


@pytest.mark.parametrize("role", sorted(FORBIDDEN))
def test_pages_refuse_what_the_role_may_not_do(sign_in: Any, role: str) -> None:
    page = sign_in(role)
    for other, links in NAV.items():
        if other != role:
            for link in links - NAV[role]:
                assert page.locator(f"header nav a[href='/console/{link}']").count() == 0
    page.goto("/console/")
    assert page.locator("#close-period, #withdraw, #verify, #reg-confirm, #new-request").count() == 0
    forms = {"status": "Loaned", "action": "Received", "work_id": "1", "content_hash": "0x" + "ab" * 32, "iscc": "0x" + "cd" * 10,
             "supplier": "CN-330100-HZL", "own_id": "x", "bibliographic_key": "x", "month": "2026-10"}
    for path in FORBIDDEN[role]:
        r = page.request.post(path, form={"csrf": csrf(page), **forms}, max_redirects=0)
        assert r.status == 403, (role, path, r.status)
    for other in ALL_NAV - NAV[role]:
        r = page.request.get(f"/console/{other}", max_redirects=0)
        assert r.status == 403, (role, other)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_page_is_translated(sign_in: Any, stack: DemoStack, artifacts: Path, lang: str) -> None:
    visited = 0
    for role, paths in PAGES.items():
        page = sign_in(role, lang)
        extra = ["/console/platform"] if role == "library" else []  # the 403 page
        if role == "library":
            page.goto("/console/ill")
            first = page.locator("tr[data-request] a").first.get_attribute("href")
            extra.append(first)
        for path in paths + extra:
            page.goto(path)
            assert page.evaluate("document.documentElement.lang") == ("zh-CN" if lang == "zh_CN" else "en")
            bad = untranslated(page.evaluate(VISIBLE_TEXT), lang)
            assert not bad, f"{role} {path} ({lang}): untranslated {bad[:5]}"
            visited += 1
        shot(page, artifacts, f"{role}-{lang}")
        # the switch goes both ways from any page
        before = page.evaluate("document.documentElement.lang")
        page.click("#lang-switch")
        page.wait_for_function("l => document.documentElement.lang !== l", arg=before)
    page.goto("/console/login")
    assert visited >= 11


def test_return_anywhere_forwarding_by_clicking(sign_in: Any, artifacts: Path) -> None:
    """浙江图书馆 borrows from 杭州图书馆 and forwards the item to 宁波市图书馆, which returns it."""
    req, sup, third = sign_in("library"), sign_in("library2"), sign_in("CN-330200-NBL")
    own_id = f"F-{secrets.token_hex(4)}"
    req.goto("/console/ill")
    req.select_option("#new-supplier", "CN-330100-HZL")
    req.fill("#new-key", "ISBN 978-7-5339-0000-2")
    req.fill("#new-own", own_id)
    req.click("#new-request")
    _row(req, own_id, "RequestReceived")
    sup.goto("/console/ill")
    row = _row(sup, own_id, "RequestReceived")
    row.locator("button[data-action=status-Loaned]").click()
    _row(sup, own_id, "Loaned")
    req.goto("/console/ill")
    row = _row(req, own_id, "Loaned")
    row.locator("button[data-action=act-Received]").click()
    row.locator("button[data-action=act-Received]").wait_for(state="detached")
    row.locator("select[name=forward_to]").select_option("CN-330200-NBL")
    row.locator("button[data-action=act-ShippedForward]").click()
    row.locator("button[data-action=act-ShippedForward]").wait_for(state="detached")
    assert _buttons(row) == set()  # the item moved on: the new borrower acts now

    third.goto("/console/ill")
    row = _row(third, own_id, "Loaned")
    assert _buttons(row) == {"act-Received", "act-Renew", "act-ShippedReturn", "act-ShippedForward", "act-Lost"}
    row.locator("button[data-action=act-ShippedReturn]").click()
    row.locator("button[data-action=act-ShippedReturn]").wait_for(state="detached")
    shot(third, artifacts, "library-ill-forwarded")
    sup.goto("/console/ill")
    row = _row(sup, own_id, "Loaned")
    row.locator("button[data-action=status-LoanCompleted]").click()
    _row(sup, own_id, "LoanCompleted")


# ------------------------------------------------------------------------------ payouts and signed statements


def trusted_key(stack: DemoStack) -> set[str]:
    return {stamp_key_path(stack.settings).read_text().strip()}


def test_platform_runs_payouts_and_sees_progress_then_the_result(sign_in: Any, stack: DemoStack, artifacts: Path, monkeypatch: Any) -> None:
    month = demo_month()
    # the real reconciliation, held at its chain-balance step until the page has shown it (no timing)
    seen, release = threading.Event(), threading.Event()
    real = statement_service.reconcile

    def held(session: Any, chain: Any, period: Any, **kw: Any) -> Any:
        outer = kw.pop("progress")

        def progress(step: str, done: int, total: int) -> None:
            outer(step, done, total)
            if step == "balances" and done == 1:
                seen.set()
                assert release.wait(60), "the test never released the run"

        return real(session, chain, period, progress=progress, **kw)

    monkeypatch.setattr(statement_service, "reconcile", held)
    page = sign_in("platform")
    try:
        page.goto("/console/platform")
        page.fill("#payouts-month", month)
        page.click("#payouts-start")
        page.wait_for_url(f"**/console/platform/payouts/{month}")
        assert seen.wait(60)
        page.wait_for_selector("#payouts-status[data-state=running] li.current[data-step=balances] .count")
        assert re.fullmatch(r"1 / \d+", page.inner_text("li.current[data-step=balances] .count"))
        assert page.locator("li.done[data-step=raw_events]").count() == 1
        shot(page, artifacts, "platform-payouts-progress")
        # a second start of the same month shows the running run, not a second one
        again = page.request.post("/console/platform/payouts", form={"csrf": csrf(page), "month": month})
        assert again.ok and 'data-state="running"' in again.text()
    finally:
        release.set()
    page.wait_for_selector("#payouts-status[data-state=done]", timeout=60_000)
    shot(page, artifacts, "platform-payouts-result")
    assert page.locator("#reconciled").count() == 1
    assert untranslated(page.evaluate(VISIBLE_TEXT), "zh_CN") == []

    with stack.runtime.sessions() as session:
        totals = period_totals(session, parse_period(month, "Asia/Shanghai"))
    assert totals.platform_fee > 0 and totals.by_payee
    assert page.inner_text("#total-fee") == yuan(totals.platform_fee)
    assert page.inner_text("#total-gross") == yuan(totals.gross)
    rows = page.locator("#payouts-payees tbody tr[data-payee]")
    assert rows.count() == len(totals.by_payee)
    for account, net in totals.by_payee.items():
        assert yuan(net) in page.inner_text(f"#payouts-payees tr[data-payee='{account}']")

    account, net = next(iter(totals.by_payee.items()))
    doc = verify(page.request.get(f"/console/platform/payouts/{month}/{account}.json").body(), trusted_key(stack))
    assert doc["payee"] == account and doc["totals"]["net"] == net and doc["period"] == month
    pdf = page.request.get(f"/console/platform/payouts/{month}/{account}.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    summary = verify(page.request.get(f"/console/platform/payouts/{month}/platform.json").body(), trusted_key(stack))
    assert summary["kind"] == "platform" and summary["totals"]["platform_fee"] == totals.platform_fee

    page.click("#lang-switch")
    page.wait_for_selector("html[lang=en] #payouts-status[data-state=done]")
    assert untranslated(page.evaluate(VISIBLE_TEXT), "en") == []
    shot(page, artifacts, "platform-payouts-result-en")


def test_publisher_downloads_signed_pdf_and_json_statements(sign_in: Any, stack: DemoStack, artifacts: Path) -> None:
    from pypdf import PdfReader

    month = demo_month()
    page = sign_in("publisher")
    page.goto("/console/royalties")
    shot(page, artifacts, "publisher-royalties-statements")
    account = stack.runtime.address_of("PUB-ZJRM")
    with stack.runtime.sessions() as session:
        net = period_totals(session, parse_period(month, "Asia/Shanghai")).by_payee[account]

    with page.expect_download() as dl:
        page.click(f"a.st-pdf[href$='/{month}.pdf']")
    data = Path(dl.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Royalty statement" in text and month in text and yuan(net) in text and account in text

    with page.expect_download() as dl:
        page.click(f"a.st-json[href$='/{month}.json']")
    doc = verify(Path(dl.value.path()).read_bytes(), trusted_key(stack))
    assert doc["payee"] == account and doc["totals"]["net"] == net and doc["kind"] == "payee"

    csv_text = page.request.get(f"/console/royalties/statement/{month}.csv").text()
    assert csv_text.startswith("period,payee,work_id") and sum(int(r.split(",")[9]) for r in csv_text.splitlines()[1:]) == net


def test_librarian_forcing_the_payouts_run_is_refused(sign_in: Any, stack: DemoStack) -> None:
    page = sign_in("library")
    page.goto("/console/platform")
    assert page.locator("#payouts-start").count() == 0
    r = page.request.post("/console/platform/payouts", form={"csrf": csrf(page), "month": demo_month()}, max_redirects=0)
    assert r.status == 403 and "<html" in r.text()
    assert page.request.get(f"/console/platform/payouts/{demo_month()}", max_redirects=0).status == 403

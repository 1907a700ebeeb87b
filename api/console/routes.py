"""``/console``: the web console's pages, on the API's service layer (reads from the mirror,
writes through ``api.services.writes``), one page per task and role."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import LedgerError

from ..deps import Actor, RuntimeDep, SessionDep, current_member, get_runtime
from ..problems import Problem, ledger_problem
from ..services import audit as audit_service
from ..services import reads, statements, writes
from ..tokens import WorkCatalogue
from . import charts, i18n, ill_actions, payouts_run, registration, royalty_summary
from .web import (
    CSRF_COOKIE, LANG_COOKIE, PREFIX, TOKEN_COOKIE, CsrfChecked, Member, SignInRequired, back, console_member, lang_of, render,
    require, set_cookie,
)

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"htmx.min.js": "text/javascript", "console.css": "text/css"}


class ConsoleRoute(APIRoute):
    """Console errors as pages: no session → sign-in page; a refusal → the error page with its status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return RedirectResponse(PREFIX + "/login", status_code=303)
            except (Problem, LedgerError, RequestValidationError) as exc:
                if isinstance(exc, RequestValidationError):
                    where = ", ".join(".".join(str(x) for x in e.get("loc", ())) for e in exc.errors())
                    p = Problem(422, "invalid-input", "Invalid input", f"invalid form fields: {where}")
                else:
                    p = exc if isinstance(exc, Problem) else ledger_problem(exc)
                me = None
                try:
                    with request.app.state.runtime.sessions() as session:
                        me = console_member(request, session)
                except Exception:  # noqa: BLE001 - the error page shows without a member
                    me = None
                return render(request, "error.html", me=me, status=p.status, problem=p)

        return run


router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def _titles(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(WorkCatalogue.work_id, WorkCatalogue.title).where(WorkCatalogue.work_id.in_(ids))).all())


_MEMBERS_CACHE: dict[int, tuple[int, dict[str, dict[str, Any]]]] = {}


def _members_by_account(session: Session) -> dict[str, dict[str, Any]]:
    """Members by account, cached per mirror head block (any new block reads them again)."""
    key, head = id(session.get_bind()), reads.as_of(session)
    hit = _MEMBERS_CACHE.get(key)
    if hit is not None and hit[0] == head:
        return hit[1]
    items, _ = reads.list_members(session, limit=200, cursor=None)
    out = {m["account"]: m for m in items}
    _MEMBERS_CACHE[key] = (head, out)
    return out


def _yuan_to_fen(text: str | None) -> int:
    if not text:
        return 0
    try:
        from decimal import Decimal, InvalidOperation

        fen = (Decimal(text.strip()) * 100).to_integral_exact()
    except (ArithmeticError, ValueError, InvalidOperation):
        raise Problem(422, "invalid-input", "Invalid input", f"not an amount in yuan with at most two decimals: {text!r}") from None
    if fen < 0:
        raise Problem(422, "invalid-input", "Invalid input", "amounts are not negative")
    return int(fen)


def _due(text: str | None) -> int:
    try:
        return i18n.end_of_day(text or "")
    except ValueError:
        raise Problem(422, "invalid-input", "Invalid input", "due date: YYYY-MM-DD") from None


# ------------------------------------------------------------------------------ static, sign-in, language


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "public, max-age=3600"})


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, session: SessionDep, _csrf: CsrfChecked, token: Annotated[str, Form(max_length=200)]) -> Response:
    try:
        current_member(get_runtime(request), session, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip()))
    except Problem as p:
        if p.status != 401:
            raise
        return render(request, "login.html", status=401, failed=True)
    response = RedirectResponse(PREFIX + "/", status_code=303)
    set_cookie(response, request, TOKEN_COOKIE, token.strip(), max_age=8 * 3600)
    # a fresh CSRF value for the signed-in session
    set_cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(32))
    return response


@router.post("/logout")
def logout(request: Request, _csrf: CsrfChecked) -> Response:
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path=PREFIX)
    return response


@router.post("/lang")
def set_lang(request: Request, _csrf: CsrfChecked, lang: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    target = next if next.startswith(PREFIX + "/") and "//" not in next else PREFIX + "/"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, LANG_COOKIE, lang if lang in i18n.LANGS else i18n.DEFAULT_LANG, max_age=365 * 86400)
    return response


# ------------------------------------------------------------------------------ overview (charts)


@router.get("/")
def overview(request: Request, session: SessionDep, me: Member) -> Response:
    t = i18n.translator(lang_of(request))
    party = None if ({"auditor", "platform"} & me.roles or "library" not in me.roles) else me.account
    loans = charts.bars(charts.loans_per_day(session), title=t("chart.loans_per_day"))
    ill = charts.bars([(t("ill.status." + s), n) for s, n in charts.ill_by_status(session, party=party)], title=t("chart.ill_by_status"))
    own = me.account if "publisher" in me.roles else None
    roy = charts.bars(charts.royalties_per_month(session, account=own), title=t("chart.royalties_per_month"), value_label=i18n.money)
    return render(request, "overview.html", me=me, charts=[loans, ill, roy])


# ------------------------------------------------------------------------------ librarian: ILL queue


@router.get("/ill")
def ill_queue(request: Request, session: SessionDep, me: Member) -> Response:
    require(me, "library")
    reqs, _ = reads.list_ill(session, limit=200, cursor=None, party=me.account)
    reqs += _forwarded_to(session, me.account, {r["id"] for r in reqs})
    members = _members_by_account(session)
    now = datetime.now(timezone.utc)
    incoming: dict[str, list[dict[str, Any]]] = {}
    outgoing: dict[str, list[dict[str, Any]]] = {}
    for r in reqs:
        r = dict(r)
        r["overdue"] = r["status"] == "Overdue" or (
            r["status"] in ("Loaned", "Recalled") and r["due_date"] is not None and datetime.fromisoformat(r["due_date"].replace("Z", "+00:00")) < now
        )
        if r["supplier"].lower() == me.account.lower():
            r["statuses"] = ill_actions.supplier_statuses(r, now)
            r["answers"] = ill_actions.supplier_answers(r)
            incoming.setdefault(r["status"], []).append(r)
        else:
            r["actions"] = ill_actions.requester_actions(r, me.account)
            outgoing.setdefault(r["status"], []).append(r)
    order = reads.ILL_STATUS[1:]
    libraries = [m for m in members.values() if "library" in m["roles"] and m["account"] != me.account and m["status"] == "Active"]
    return render(
        request, "ill.html", me=me, members=members, libraries=libraries,
        incoming=[(s, incoming[s]) for s in order if s in incoming], outgoing=[(s, outgoing[s]) for s in order if s in outgoing],
        needs_due=ill_actions.NEEDS_DUE, takes_charge=ill_actions.TAKES_CHARGE, takes_reason=ill_actions.TAKES_REASON,
        default_due=i18n.shanghai(int(now.timestamp()) + 30 * 86400, with_time=False), own_id=f"C-{secrets.token_hex(6)}",
    )


def _forwarded_to(session: Session, account: str, seen: set[str]) -> list[dict[str, Any]]:
    """Requests forwarded on to this library (return-anywhere): it is their current borrower."""
    out = []
    for rid in reads.ill_forwarded_to(session, account):
        if rid not in seen:
            r = reads.get_ill(session, rid)
            if r["borrower"].lower() == account.lower():
                out.append(r)
    return out


@router.get("/ill/{request_id}")
def ill_detail(request: Request, session: SessionDep, me: Member, request_id: str) -> Response:
    require(me, "library")
    if not request_id.isdigit():
        raise Problem(404, "not-found", "Not found", "no such ILL request")
    r = reads.get_ill(session, request_id)
    return render(request, "ill_detail.html", me=me, r=r, history=reads.ill_history(session, request_id), members=_members_by_account(session))


@router.post("/ill")
def ill_new(
    request: Request, rt: RuntimeDep, session: SessionDep, me: Member, _csrf: CsrfChecked,
    supplier: Annotated[str, Form()], own_id: Annotated[str, Form(max_length=64)], bibliographic_key: Annotated[str, Form(max_length=200)],
    service: Annotated[str, Form()] = "Loan", max_cost: Annotated[str, Form()] = "0",
) -> Response:
    require(me, "library")
    if service not in reads.SERVICE:
        raise Problem(422, "invalid-input", "Invalid input", "service: Loan or Copy")
    writes.request_ill(
        rt=rt, actor=me, supplier=reads.member_account(session, supplier), own_id=own_id, service=service,
        bibliographic_key=bibliographic_key, max_cost=_yuan_to_fen(max_cost),
    )
    return back("/ill", "requested")


@router.post("/ill/{request_id}/status")
def ill_status(
    request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked, request_id: str, status: Annotated[str, Form()],
    due_date: Annotated[str | None, Form()] = None, charge: Annotated[str | None, Form()] = None, reason_code: Annotated[int, Form(ge=0, le=255)] = 0,
) -> Response:
    require(me, "library")
    if status not in reads.ILL_STATUS or not request_id.isdigit():
        raise Problem(422, "invalid-input", "Invalid input", "unknown status")
    due = _due(due_date) if status in ill_actions.NEEDS_DUE and due_date else 0
    writes.ill_update_status(rt=rt, actor=me, request_id=request_id, status=status, reason_code=reason_code, due_date=due,
                             charge=_yuan_to_fen(charge) if status in ill_actions.TAKES_CHARGE else 0)
    return back("/ill", "updated")


@router.post("/ill/{request_id}/action")
def ill_action(
    request: Request, rt: RuntimeDep, session: SessionDep, me: Member, _csrf: CsrfChecked, request_id: str, action: Annotated[str, Form()],
    forward_to: Annotated[str | None, Form()] = None,
) -> Response:
    require(me, "library")
    if action not in reads.ILL_ACTION or not request_id.isdigit():
        raise Problem(422, "invalid-input", "Invalid input", "unknown action")
    fwd = reads.member_account(session, forward_to) if action == "ShippedForward" and forward_to else None
    if action == "ShippedForward" and fwd is None:
        raise Problem(422, "invalid-input", "Invalid input", "ShippedForward needs the library the item goes on to")
    writes.ill_act(rt=rt, actor=me, request_id=request_id, action=action, forward_to=fwd)
    return back("/ill", "updated")


@router.post("/ill/{request_id}/answer")
def ill_answer(
    request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked, request_id: str, kind: Annotated[str, Form()],
    accept: Annotated[str, Form()] = "no", due_date: Annotated[str | None, Form()] = None,
) -> Response:
    require(me, "library")
    if not request_id.isdigit() or kind not in ("cancel", "renew"):
        raise Problem(422, "invalid-input", "Invalid input", "answer: cancel or renew")
    if kind == "cancel":
        writes.ill_answer_cancel(rt=rt, actor=me, request_id=request_id, accept=accept == "yes")
    else:
        writes.ill_answer_renew(rt=rt, actor=me, request_id=request_id, new_due_date=_due(due_date) if accept == "yes" else None)
    return back("/ill", "updated")


# ------------------------------------------------------------------------------ librarian: licences, loans, net position


@router.get("/library")
def library(request: Request, session: SessionDep, me: Member) -> Response:
    require(me, "library")
    lics, _ = reads.list_licences(session, limit=200, cursor=None, holder=me.account)
    loans, _ = reads.list_loans(session, limit=100, cursor=None, library=me.account)
    titles = _titles(session, sorted({x["work_id"] for x in lics}))
    lic_work = {x["id"]: x["work_id"] for x in lics}
    periods, _ = reads.list_periods(session, limit=1, cursor=None)
    open_period = next((p for p in periods if p["status"] == "Open"), None)
    mine = next((x for x in (open_period or {}).get("positions", []) if x["library"] == me.account), None)
    return render(request, "library.html", me=me, licences=lics, loans=loans, titles=titles, lic_work=lic_work,
                  period=open_period, position=mine["net"] if mine else 0)


# ------------------------------------------------------------------------------ publisher: works, registration


@router.get("/works")
def works(request: Request, session: SessionDep, me: Member) -> Response:
    require(me, "publisher")
    items, _ = reads.list_works(session, limit=200, cursor=None, holder=me.account)
    terms, _ = reads.list_terms(session, limit=100, cursor=None, publisher=me.account)
    return render(request, "works.html", me=me, works=items, titles=_titles(session, [w["id"] for w in items]), terms=terms)


@router.post("/works/check")
async def works_check(request: Request, me: Member, _csrf: CsrfChecked, file: Annotated[UploadFile, File()], title: Annotated[str, Form(max_length=300)] = "") -> Response:
    """Step 1 of registration by upload: keep the file, show its fingerprint and any (near) duplicate."""
    require(me, "publisher")
    rt = request.app.state.runtime
    token, path = registration.stage(rt.settings, file.file, file.filename or "upload.bin")
    if path.stat().st_size == 0:
        registration.discard(rt.settings, token)
        raise Problem(422, "invalid-input", "Invalid input", "the file is empty")
    try:
        with rt.sessions() as session:
            found = registration.check_upload(session, rt.chain, path)
            ids = ([found["exact"]["id"]] if found["exact"] else []) + [w["id"] for w, _ in found["near"]]
            titles = _titles(session, ids)
    except BaseException:
        registration.discard(rt.settings, token)
        raise
    if found["exact"]:
        registration.discard(rt.settings, token)
    return render(request, "works_check.html", me=me, found=found, title=title or Path(file.filename or "").stem, filename=file.filename or "",
                  titles=titles, upload=token)


@router.post("/works")
def works_register(
    request: Request, rt: RuntimeDep, session: SessionDep, me: Member, _csrf: CsrfChecked,
    upload: Annotated[str, Form(max_length=32)] = "", content_hash: Annotated[str, Form(max_length=66)] = "",
    title: Annotated[str, Form(max_length=300)] = "", creators: Annotated[str, Form(max_length=500)] = "",
    language: Annotated[str, Form(max_length=35)] = "zh",
) -> Response:
    """Step 2: register the confirmed file as the CLI's ``register_file`` does (content store, metadata, chain)."""
    require(me, "publisher")  # before the fields: a role that may not register gets 403 whatever it sends
    names = [c.strip() for c in creators.replace("，", ",").split(",") if c.strip()]
    if not re.fullmatch(r"[0-9a-f]{32}", upload) or not re.fullmatch(r"0x[0-9a-f]{64}", content_hash):
        raise Problem(422, "invalid-input", "Invalid input", "upload the file first: the confirmation names the checked upload")
    if not title.strip() or not names:
        raise Problem(422, "invalid-input", "Invalid input", "a work needs a title and at least one creator")
    reg = registration.register_staged(rt, session, actor=me, token=upload, content_hash=content_hash, title=title,
                                       creators=names, language=language.strip())
    rt.wait_for_block(reg.block_number)
    return back("/works", "registered")


@router.post("/terms")
def terms_publish(
    request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked, kind: Annotated[str, Form()], price: Annotated[str, Form()],
    copies: Annotated[int, Form(ge=1, le=100_000)] = 1, loan_days: Annotated[int, Form(ge=1, le=3650)] = 14,
    duration_days: Annotated[int, Form(ge=0, le=36500)] = 0, ill_allowed: Annotated[str | None, Form()] = None,
) -> Response:
    require(me, "publisher")
    if kind not in reads.TERMS_KIND:
        raise Problem(422, "invalid-input", "Invalid input", "unknown kind of terms")
    legal_text = f"{me.member} {kind} {price} {copies} {loan_days} {duration_days} {ill_allowed == 'on'}".encode()
    import hashlib

    digest = hashlib.sha256(legal_text).digest()
    writes.publish_terms(rt=rt, actor=me, kind=kind, price=_yuan_to_fen(price), copies=copies, loan_period=loan_days * 86400,
                         duration=duration_days * 86400 if kind == "Subscription" else 0, territory="CN", ill_allowed=ill_allowed == "on",
                         legal_text_hash=digest, legal_text_uri=f"urn:sha256:{digest.hex()}")
    return back("/works", "updated")


@router.post("/works/{work_id}/terms")
def terms_attach(request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked, work_id: int, terms_id: Annotated[int, Form(ge=1)]) -> Response:
    require(me, "publisher")
    writes.attach_terms(rt=rt, actor=me, work_id=work_id, terms_id=terms_id)
    return back("/works", "updated")


# ------------------------------------------------------------------------------ publisher: royalties, licences sold, statements


#: licences sold listed on the royalties page (newest first; the page says when there are more)
SOLD_SHOWN = 50


@router.get("/royalties")
def royalties(request: Request, session: SessionDep, me: Member) -> Response:
    require(me, "publisher")
    bal = reads.royalty_balance(session, me.account)
    sold, sold_more = royalty_summary.licences_sold(session, me.account, limit=SOLD_SHOWN)
    return render(request, "royalties.html", me=me, balance=bal, sold=sold, sold_more=sold_more,
                  titles=_titles(session, sorted({x["work_id"] for x in sold})), members=_members_by_account(session),
                  statements=royalty_summary.statement_months(session, me.account))


@router.get("/royalties/statement/{month}.{fmt}")
def statement(request: Request, rt: RuntimeDep, session: SessionDep, me: Member, month: str, fmt: str) -> Response:
    """The publisher's own signed statement of ``month``: reconciled with the chain, signed by the platform."""
    require(me, "publisher")
    if fmt not in statements.FORMATS:
        raise Problem(404, "not-found", "Not found", "statements come as .json, .csv or .pdf")
    period = statements.period_of_label(month)
    doc = _stored_statement(request, rt, session, period, me.account)
    if doc is None:
        signed = statements.signed_statements(rt, session, period, only=me.account).payees
        if not signed:
            raise Problem(404, "not-found", "Not found", f"no royalties for {me.member} in {period.label}")
        doc = next(iter(signed.values()))
    return _statement_file(doc, fmt, name=f"statement-{me.member}-{period.label}", payee_name=me.name)


def _stored_statement(request: Request, rt: Any, session: Session, period: Any, account: str) -> dict[str, Any] | None:
    """``account``'s signed statement from the month's last finished payouts run, if there is one,
    its signature checks out with the platform's key and its net still equals the mirror's
    (``royalty_rollups``) — otherwise None and the caller reconciles afresh."""
    from ledger.payouts import period_totals
    from rights.statement import StatementInvalid, verify

    run = payouts_run.runs_of(request.app).last_done(period.label)
    doc = run.document(account) if run is not None else None
    if doc is None:
        return None
    key = statements.platform_signing_key(rt).verify_key.encode().hex()
    try:
        body = verify(doc, {key})
    except StatementInvalid as exc:
        payouts_run.log.warning("stored statement of %s for %s in run %s does not verify (%s): reconciling afresh", account, period.label, run.run_id, exc)
        return None
    if body.get("payee", "").lower() != account.lower() or body.get("period") != period.label:
        return None
    if body["totals"]["net"] != period_totals(session, period).by_payee.get(body["payee"], 0):
        return None  # the mirror moved since the run (rebuilt, repaired, or wrong): the fresh reconciliation says which
    return doc


def _statement_file(signed: dict[str, Any], fmt: str, *, name: str, payee_name: str = "") -> Response:
    body = statements.as_file(signed, fmt, payee_name=payee_name)
    return Response(body, media_type=statements.FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.post("/royalties/withdraw")
def withdraw(request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked) -> Response:
    require(me, "publisher")
    writes.withdraw_royalties(rt=rt, actor=me)
    return back("/royalties", "withdrawn")


# ------------------------------------------------------------------------------ auditor


def _audit_page(request: Request, session: Session, me: Actor, work_id: str | None, **extra: Any) -> Response:
    trail = check = None
    if work_id:
        if not work_id.isdigit() or int(work_id) >= 2**40:
            raise Problem(422, "invalid-input", "Invalid input", "a work id is a decimal number")
        trail = reads.work_provenance(session, int(work_id))
        check = audit_service.check(session=session, chain=request.app.state.runtime.chain, kind="work", ident=work_id)
    title = _titles(session, [int(work_id)]).get(int(work_id)) if work_id and work_id.isdigit() else None
    return render(request, "audit.html", me=me, work_id=work_id or "", trail=trail, check=check, title=title, **extra)


@router.get("/audit")
def audit(request: Request, session: SessionDep, me: Member, work_id: str | None = None) -> Response:
    require(me, "auditor")
    return _audit_page(request, session, me, work_id)


@router.post("/audit/file")
async def audit_file(request: Request, me: Member, _csrf: CsrfChecked, file: Annotated[UploadFile, File()]) -> Response:
    """A file dropped by the auditor: its SHA-256 names the registered work, if any."""
    require(me, "auditor")
    import hashlib

    h = hashlib.sha256()
    while chunk := await file.read(1 << 20):
        h.update(chunk)
    with request.app.state.runtime.sessions() as session:
        found, _ = reads.list_works(session, limit=1, cursor=None, content_hash="0x" + h.hexdigest())
        if not found:
            return _audit_page(request, session, me, None, unknown_file="0x" + h.hexdigest())
        return _audit_page(request, session, me, str(found[0]["id"]))


@router.post("/audit/verify")
def audit_verify(request: Request, rt: RuntimeDep, session: SessionDep, me: Member, _csrf: CsrfChecked, work_id: Annotated[str, Form(pattern=r"^[0-9]{1,12}$")]) -> Response:
    require(me, "auditor")
    return _audit_page(request, session, me, work_id, verification=verify_work(rt, session, int(work_id)))


def verify_work(rt: Any, session: Session, work_id: int) -> dict[str, Any]:
    """Check every event of the work directly on the node: ``ledger.audit``'s bundle verification
    when installed, otherwise each event's receipt log compared with the mirror's record."""
    try:
        from ledger import audit as ledger_audit  # type: ignore[attr-defined]
    except ImportError:
        ledger_audit = None
    if ledger_audit is not None and rt.chain.manifest is not None:
        bundle = ledger_audit.export_bundle(session, rt.chain.manifest, work_id=work_id)
        report = ledger_audit.verify_bundle(bundle, rt.settings.rpc_url)
        return {"checked": report.checked, "confirmed": report.confirmed, "problems": report.problems, "ok": report.ok, "how": "bundle"}
    trail = reads.work_provenance(session, work_id)
    checked = confirmed = 0
    problems: list[str] = []
    receipts: dict[str, Any] = {}
    for e in trail:
        checked += 1
        rcpt = receipts.get(e["tx_hash"]) or rt.chain.rpc.call("eth_getTransactionReceipt", [e["tx_hash"]])
        receipts[e["tx_hash"]] = rcpt
        where = f"{e['contract']}.{e['event']} tx {e['tx_hash']} log {e['log_index']}"
        if not rcpt:
            problems.append(f"{where}: transaction not found on the node")
            continue
        if int(rcpt["blockNumber"], 16) != e["block_number"]:
            problems.append(f"{where}: node has it in block {int(rcpt['blockNumber'], 16)}")
            continue
        address = rt.chain.manifest.contracts[e["contract"]].address.lower() if rt.chain.manifest else ""
        log = next((lg for lg in rcpt["logs"] if int(lg["logIndex"], 16) == e["log_index"]), None)
        if log is None or log["address"].lower() != address:
            problems.append(f"{where}: no such log from {e['contract']} in the receipt")
            continue
        confirmed += 1
    return {"checked": checked, "confirmed": confirmed, "problems": problems, "ok": not problems and checked == confirmed, "how": "receipts"}


# ------------------------------------------------------------------------------ platform


@router.get("/platform")
def platform(request: Request, rt: RuntimeDep, session: SessionDep, me: Member) -> Response:
    require(me, "platform")
    members, _ = reads.list_members(session, limit=200, cursor=None)
    periods, _ = reads.list_periods(session, limit=12, cursor=None)
    try:
        head: int | None = rt.chain.block_number()
    except Exception:  # noqa: BLE001 - shown as unreachable
        head = None
    mirror = reads.as_of(session)
    health = {"chain_head": head, "mirror_head": mirror, "lag": None if head is None else max(0, head - mirror),
              "in_process": rt.indexer is not None, "error": rt.indexer_error}
    by_account = {m["account"]: m for m in members}
    return render(request, "platform.html", me=me, members=members, periods=periods, health=health, by_account=by_account,
                  runs=payouts_run.runs_of(request.app).recent(), last_month=i18n.previous_month())


@router.post("/platform/close-period")
def close_period(request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked) -> Response:
    require(me, "platform")
    writes.close_period(rt=rt, actor=me)
    return back("/platform", "closed")


# ------------------------------------------------------------------------------ platform: payouts run


@router.post("/platform/payouts")
def payouts_start(request: Request, rt: RuntimeDep, me: Member, _csrf: CsrfChecked, month: Annotated[str, Form(max_length=16)] = "") -> Response:
    """Start (or rejoin) the payouts run of a month; the run page shows its progress."""
    require(me, "platform")
    period = statements.period_of_label(month)
    payouts_run.runs_of(request.app).start(rt, period, started_by=me.member)
    return back(f"/platform/payouts/{period.label}")


def _run(request: Request, month: str) -> payouts_run.PayoutRun:
    run = payouts_run.runs_of(request.app).get(statements.period_of_label(month).label)
    if run is None:
        raise Problem(404, "not-found", "Not found", f"no payouts run for {month}")
    return run


def _run_page(request: Request, session: Session, me: Actor, month: str, template: str) -> Response:
    run = _run(request, month)
    return render(request, template, me=me, run=run, steps=payouts_run.STEPS, members=_members_by_account(session))


@router.get("/platform/payouts/{month}")
def payouts_page(request: Request, session: SessionDep, me: Member, month: str) -> Response:
    require(me, "platform")
    return _run_page(request, session, me, month, "payouts.html")


@router.get("/platform/payouts/{month}/status")
def payouts_status(request: Request, session: SessionDep, me: Member, month: str) -> Response:
    """The run's status fragment (htmx polls it while the run goes on)."""
    require(me, "platform")
    return _run_page(request, session, me, month, "_payouts_status.html")


@router.get("/platform/payouts/{month}/{name}.{fmt}")
def payouts_file(request: Request, session: SessionDep, me: Member, month: str, name: str, fmt: str) -> Response:
    """A signed statement of the finished run: a payee's (by account) or the platform summary (``platform.json``)."""
    require(me, "platform")
    run = _run(request, month)
    if run.state != "done" or fmt not in statements.FORMATS:
        raise Problem(404, "not-found", "Not found", f"no signed statements for {month} (yet)")
    if name == "platform":
        summary = run.document("platform") if fmt == "json" else None
        if summary is None:
            raise Problem(404, "not-found", "Not found", "the platform summary comes as platform.json")
        return _statement_file(summary, fmt, name=f"statement-platform-{month}")
    doc = run.document(name)
    if doc is None:
        raise Problem(404, "not-found", "Not found", f"no statement for {name} in {month}")
    who = _members_by_account(session).get(doc["statement"]["payee"], {})
    return _statement_file(doc, fmt, name=f"statement-{who.get('isil') or name}-{month}", payee_name=who.get("name", ""))


__all__ = ["router"]

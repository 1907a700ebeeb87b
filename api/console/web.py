"""What every console page shares: templates, the signed-in member (cookie → the API's own
token check), CSRF (double submit: a random cookie echoed in every form), language, rendering."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..deps import Actor, SessionDep, current_member, get_runtime
from ..problems import Problem
from . import i18n

TOKEN_COOKIE = "ll_console"
CSRF_COOKIE = "ll_csrf"
LANG_COOKIE = "ll_lang"
PREFIX = "/console"
FLASHES = {"requested", "updated", "registered", "withdrawn", "closed"}

#: page → the role it needs (nav shows only pages the member's roles allow)
PAGES = [
    ("overview", None),
    ("ill", "library"),
    ("library", "library"),
    ("works", "publisher"),
    ("royalties", "publisher"),
    ("audit", "auditor"),
    ("platform", "platform"),
]

env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["money"] = i18n.money
env.filters["shanghai"] = i18n.shanghai
env.filters["day"] = lambda v: i18n.shanghai(v, with_time=False)
env.filters["ownid"] = lambda v: own_id_text(v)
env.filters["short"] = lambda h: (str(h)[:10] + "…" + str(h)[-6:]) if h and len(str(h)) > 20 else (h or "")


def own_id_text(value: object) -> str:
    """The requester's own ILL request id: bytes32 hex of UTF-8 text, shown as the text."""
    v = str(value or "")
    if v.startswith("0x"):
        try:
            return bytes.fromhex(v[2:]).rstrip(b"\x00").decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return v
    return v


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, i18n.DEFAULT_LANG)
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def csrf_of(request: Request) -> str:
    """This browser's CSRF value (made on first sight; the response sets it as a cookie)."""
    tok = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not tok or len(tok) < 32:
        tok = secrets.token_urlsafe(32)
    request.state.csrf = tok
    return tok


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="strict", secure=secure(request))


async def check_csrf(request: Request) -> None:
    """Every POST carries the form field ``csrf`` equal to the CSRF cookie; otherwise 403."""
    form = await request.form()
    sent = str(form.get("csrf") or "")
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not sent or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise Problem(403, "csrf", "CSRF check failed", "the form's CSRF token is missing or does not match this browser's")


CsrfChecked = Annotated[None, Depends(check_csrf)]


class SignInRequired(Exception):
    pass


def console_member(request: Request, session: SessionDep) -> Actor:
    """The member behind the console cookie, by the same token check as the API's bearer auth."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise SignInRequired()
    rt = get_runtime(request)
    try:
        return current_member(rt, session, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
    except Problem as p:
        if p.status == 401:
            raise SignInRequired() from None
        raise


Member = Annotated[Actor, Depends(console_member)]


def require(me: Actor, role: str) -> None:
    """403 for a page or action the member's roles do not allow (checked before anything is signed)."""
    if role not in me.roles:
        raise Problem(403, "missing-role", "Role required", f"this needs the {role} role, which member {me.member} does not hold", role=role)


def nav_for(me: Actor | None) -> list[str]:
    if me is None:
        return []
    return [p for p, role in PAGES if role is None or role in me.roles]


def render(request: Request, template: str, *, me: Actor | None = None, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    csrf = csrf_of(request)
    html = env.get_template(template).render(
        t=i18n.translator(lang), lang=lang, html_lang="zh-CN" if lang == "zh_CN" else "en", csrf=csrf, me=me, nav=nav_for(me),
        prefix=PREFIX, path=request.url.path, query=str(request.url.query), flash=request.query_params.get("flash") if request.query_params.get("flash") in FLASHES else None, **ctx,
    )
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        set_cookie(response, request, CSRF_COOKIE, csrf)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    return response


def back(to: str, flash: str | None = None) -> RedirectResponse:
    """After a successful POST: see-other to the page (post/redirect/get)."""
    url = PREFIX + to
    if flash:
        url += ("&" if "?" in url else "?") + "flash=" + flash
    return RedirectResponse(url, status_code=303)

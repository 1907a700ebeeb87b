"""The six hot GETs on a lean path: a raw ASGI dispatcher in front of FastAPI's routing.

``GET /works``, ``/works/{id}``, ``/works/{id}/provenance``, ``/ill/requests``,
``/ill/requests/{id}`` and ``/loans`` are most of the API's reads (issue 6: p99 ≤ 50 ms at
200 req/s on 2 cores). Through FastAPI each costs ~1-2 ms of CPU before any SQL: route matching,
dependency injection, parameter validation, the thread-pool hop. Here a request whose path and
query are in their plain, canonical form (decimal ids without leading zeros, known parameters
once each, no percent-escapes) is answered by the same code the routes call (``works_json``,
``loans_json``, ... in ``api.routes``), with the same token check (``api.deps``) and the same
problem+json rendering (``api.problems``). Anything else — other methods, other paths, a
parameter out of range, an unknown or repeated parameter, a ``root_path`` — falls through to
FastAPI unchanged, so every validation error keeps FastAPI's exact answer. The FastAPI routes
stay (OpenAPI, ``/docs``); ``tests/api/test_fastpath.py`` requests every hot endpoint both
ways and compares status, headers and bodies byte for byte.

Token cache: as in ``api.deps``, a verified token is trusted for ``token_cache_seconds``
(default 5 s) per process; a revoked token is refused at the latest that long after the
revocation (its next lookup finds ``revoked_at`` and drops it from the cache).

Installed by ``api.main.create_app`` as the innermost user middleware (so the metrics middleware
still counts these requests under the route's template) unless ``fast_reads`` is off.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request

from . import deps
from .metrics import FAST_READS
from .problems import Problem, problem_response, unauthorized
from .routes import ill, loans, works
from .runtime import Runtime

#: ids as FastAPI's path/query validation accepts them *and* renders them back unchanged
_ID40 = re.compile(r"[1-9][0-9]{0,12}")  # 1 .. 2**40-1 (checked below)
_ILL_ID = re.compile(r"[0-9]{1,78}")  # the route's own pattern (a string; the read layer parses it)
_MEMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,400}")  # what ``encode_cursor`` gives out (base64url, no padding)
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
_HASH32 = re.compile(r"0x[0-9a-fA-F]{64}")
_ISCC = re.compile(r"0x[0-9a-fA-F]{2,64}")
_MAX_ID = 2**40 - 1


def _id40(v: str) -> int | None:
    if _ID40.fullmatch(v) is None:
        return None
    i = int(v)
    return i if i <= _MAX_ID else None


def _limit(v: str) -> int | None:
    if _LIMIT.fullmatch(v) is None:
        return None
    i = int(v)
    return i if i <= 200 else None


def _match(rx: re.Pattern[str]) -> Callable[[str], str | None]:
    return lambda v: v if rx.fullmatch(v) is not None else None


#: query parameters each hot GET takes (name -> parser: the value, or None to fall through)
_PAGE = {"limit": _limit, "cursor": _match(_CURSOR)}
_MEMBER_Q = _match(_MEMBER)
_QUERY: dict[str, dict[str, Callable[[str], Any]]] = {
    "list_works": {**_PAGE, "holder": _MEMBER_Q, "content_hash": _match(_HASH32), "iscc": _match(_ISCC)},
    "get_work": {},
    "provenance": _PAGE,
    "list_loans": {**_PAGE, "library": _MEMBER_Q, "licence_id": _id40},
    "list_ill": {**_PAGE, "requester": _MEMBER_Q, "supplier": _MEMBER_Q, "party": _MEMBER_Q},
    "get_ill": {},
}
#: the routes' default page sizes
_DEFAULT_LIMIT = {"list_works": 50, "provenance": 200, "list_loans": 50, "list_ill": 50}
#: route templates, for the metrics middleware's ``route`` label (``scope["route"].path``)
_TEMPLATES = {
    "list_works": "/works", "get_work": "/works/{work_id}", "provenance": "/works/{work_id}/provenance",
    "list_loans": "/loans", "list_ill": "/ill/requests", "get_ill": "/ill/requests/{request_id}",
}
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _RouteLabel:
    """What the metrics middleware reads from ``scope["route"]``."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


_LABELS = {k: _RouteLabel(v) for k, v in _TEMPLATES.items()}
_SERVED = {k: FAST_READS.labels(v) for k, v in _TEMPLATES.items()}


def match_path(path: str) -> tuple[str, Any] | None:
    """(hot GET, its path id) for a path this module answers, else None."""
    if path == "/works":
        return "list_works", None
    if path == "/loans":
        return "list_loans", None
    if path == "/ill/requests":
        return "list_ill", None
    if path.startswith("/works/"):
        rest = path[7:]
        kind = "get_work"
        if rest.endswith("/provenance"):
            rest, kind = rest[:-11], "provenance"
        wid = _id40(rest)
        return None if wid is None else (kind, wid)
    if path.startswith("/ill/requests/"):
        rid = path[14:]
        return ("get_ill", rid) if _ILL_ID.fullmatch(rid) is not None else None
    return None


def parse_query(kind: str, raw: bytes) -> dict[str, Any] | None:
    """The hot GET's query parameters, each known, once, and in canonical form; else None."""
    out: dict[str, Any] = {}
    if not raw:
        return out
    allowed = _QUERY[kind]
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    if "%" in text or "+" in text:
        return None
    for part in text.split("&"):
        name, eq, value = part.partition("=")
        parse = allowed.get(name)
        if not eq or parse is None or name in out:
            return None
        v = parse(value)
        if v is None:
            return None
        out[name] = v
    return out


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer token as ``fastapi.security.HTTPBearer`` + ``api.deps`` take it (the first
    Authorization header); None when there is none (401)."""
    for k, v in headers:
        if k == b"authorization":
            value = v.decode("latin-1")
            scheme, credentials = get_authorization_scheme_param(value)
            if not (value and scheme and credentials) or scheme.lower() != "bearer":
                return None
            return credentials
    return None


class FastReads:
    """Raw ASGI middleware answering the hot GETs (see the module docstring); the rest goes to ``app``."""

    def __init__(self, app: Any, runtime: Runtime, *, threads: int = 8) -> None:
        self.app = app
        self.rt = runtime
        # the reads block on the database: a few threads of our own (no anyio limiter / task group);
        # 0 runs them on the event loop (no hop, but the loop waits for the database)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fastreads") if threads else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        hit = match_path(scope["path"])
        params = None if hit is None else parse_query(hit[0], scope["query_string"])
        if hit is None or params is None:
            await self.app(scope, receive, send)
            return
        kind, ident = hit
        scope["route"] = _LABELS[kind]
        _SERVED[kind].inc()
        token = bearer_token(scope["headers"])
        try:
            if token is None:
                raise unauthorized("send an API token: Authorization: Bearer llt_...")
            actor = deps._cached(self.rt, token, time.monotonic())  # a hit is answered without a lookup
            if self.pool is None:
                body = self.answer(kind, ident, params, token, actor)
            else:
                body = await asyncio.get_running_loop().run_in_executor(self.pool, self.answer, kind, ident, params, token, actor)
        except Problem as p:
            await problem_response(Request(scope), p)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]})
        await send({"type": "http.response.body", "body": body})

    def answer(self, kind: str, ident: Any, params: dict[str, Any], token: str, actor: deps.Actor | None) -> bytes:
        """The JSON body of one hot GET (raises ``Problem`` for 401/403/404/422), in a worker thread."""
        with self.rt.sessions() as session:
            me = deps._active(actor or deps._verify(self.rt, session, token, time.monotonic()))
            limit, cursor = params.pop("limit", _DEFAULT_LIMIT.get(kind)), params.pop("cursor", None)
            if kind == "get_work":
                return works.work_json(session, ident)
            if kind == "get_ill":
                return ill.request_json(session, ident)
            if kind == "provenance":
                return works.provenance_json(session, ident, limit=limit, cursor=cursor)
            if kind == "list_works":
                return works.works_json(session, limit=limit, cursor=cursor, **params)
            if kind == "list_loans":
                return loans.loans_json(session, me, limit=limit, cursor=cursor, **params)
            return ill.requests_json(session, me, limit=limit, cursor=cursor, **params)

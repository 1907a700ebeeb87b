"""Dependencies declared once, used by every router: ``SessionDep``, ``ChainDep``, ``CurrentMember``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain import Chain
from ledger.mirror.models import Member, MemberRole

from . import tokens
from .problems import Problem, unauthorized
from .runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def _runtime(request: Request) -> Runtime:  # async: no worker-thread hop for a lookup
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


#: Requests that may hold a mirror session at once, per process: below the reader pool (PostgreSQL
#: 20 + 20 overflow, see ``Runtime.open``) so a request never blocks a worker thread waiting for a
#: connection while others hold theirs; the rest wait without a thread.
MAX_SESSIONS = 30


async def get_session(rt: RuntimeDep) -> AsyncIterator[Session]:
    """A session for the request. Opening one does no I/O, so it happens on the event loop (no
    worker-thread hop); its first query checks a connection out, ``close`` gives it back."""
    session = rt.sessions()
    try:
        yield session
    finally:
        session.close()


#: One session per request, closed (its connection back in the pool) as soon as the path
#: operation returns, not after the response has been sent (``scope="function"``).
SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=MAX_SESSIONS)]


async def get_chain(rt: RuntimeDep) -> Chain:
    return rt.chain


ChainDep = Annotated[Chain, Depends(get_chain)]


@dataclass(frozen=True)
class Actor:
    """The member a request acts for: its handle (ISIL / institution id = key name) and account."""

    member: str
    account: str
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    status: str = "Active"
    token_id: str = ""


_bearer = HTTPBearer(auto_error=False, description="API token from `libledger token create` (llt_...)")


def _actor_for(session: Session, owner: tokens.TokenOwner) -> Actor:
    m = session.get(Member, owner.account)
    roles = frozenset(session.scalars(select(MemberRole.role_name).where(MemberRole.account == owner.account)))
    return Actor(
        member=owner.member,
        account=owner.account,
        name=m.name if m else owner.name,
        roles=roles,
        status=m.status if m else ("Active" if "governor" in roles else "Unknown"),
        token_id=owner.token_id,
    )


def _verify(rt: Runtime, session: Session, token: str, now: float) -> Actor:
    owner = tokens.verify(session, token)
    if owner is None:
        rt._token_cache.pop(token, None)
        raise unauthorized("the API token is unknown or revoked")
    actor = _actor_for(session, owner)
    if len(rt._token_cache) > 10_000:
        rt._token_cache.clear()
    rt._token_cache[token] = (now, actor)
    return actor


def _cached(rt: Runtime, token: str, now: float) -> Actor | None:
    hit = rt._token_cache.get(token)
    return hit[1] if hit is not None and now - hit[0] < rt.settings.token_cache_seconds else None


def _bearer_token(creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorized("send an API token: Authorization: Bearer llt_...")
    return creds.credentials


def _active(actor: Actor) -> Actor:
    if actor.status == "Suspended":
        raise Problem(403, "member-suspended", "Member suspended", f"member {actor.member} is suspended by the consortium")
    return actor


def current_member(rt: Runtime, session: Session, creds: HTTPAuthorizationCredentials | None) -> Actor:
    """The member the bearer token acts for (token cache, else ``api_tokens`` + the mirror)."""
    token, now = _bearer_token(creds), time.monotonic()
    return _active(_cached(rt, token, now) or _verify(rt, session, token, now))


async def current_member_dep(
    rt: RuntimeDep,
    session: SessionDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """``current_member`` as a dependency: a cache hit is answered on the event loop, a miss is
    checked in a worker thread."""
    token, now = _bearer_token(creds), time.monotonic()
    actor = _cached(rt, token, now)
    if actor is None:
        actor = await run_in_threadpool(_verify, rt, session, token, now)
    return _active(actor)


CurrentMember = Annotated[Actor, Depends(current_member_dep)]

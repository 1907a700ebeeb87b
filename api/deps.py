"""Dependencies declared once, used by every router: ``SessionDep``, ``ChainDep``, ``CurrentMember``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
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


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


#: Requests that may hold a mirror session at once, per process: below the reader pool (PostgreSQL
#: 20 + 20 overflow, see ``Runtime.open``) so a request never blocks a worker thread waiting for a
#: connection while others hold theirs; the rest wait without a thread.
MAX_SESSIONS = 30


def get_session(rt: RuntimeDep) -> Iterator[Session]:
    with rt.sessions() as session:
        yield session


#: One session per request, closed (its connection back in the pool) as soon as the path
#: operation returns, not after the response has been sent (``scope="function"``).
SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=MAX_SESSIONS)]


def get_chain(rt: RuntimeDep) -> Chain:
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


def current_member(
    rt: RuntimeDep,
    session: SessionDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorized("send an API token: Authorization: Bearer llt_...")
    token = creds.credentials
    now = time.monotonic()
    hit = rt._token_cache.get(token)
    if hit is not None and now - hit[0] < rt.settings.token_cache_seconds:
        actor = hit[1]
    else:
        owner = tokens.verify(session, token)
        if owner is None:
            rt._token_cache.pop(token, None)
            raise unauthorized("the API token is unknown or revoked")
        actor = _actor_for(session, owner)
        if len(rt._token_cache) > 10_000:
            rt._token_cache.clear()
        rt._token_cache[token] = (now, actor)
    if actor.status == "Suspended":
        raise Problem(403, "member-suspended", "Member suspended", f"member {actor.member} is suspended by the consortium")
    return actor


CurrentMember = Annotated[Actor, Depends(current_member)]

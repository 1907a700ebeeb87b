"""Members of the consortium from ``members`` / ``member_roles`` / ``credit_balances``."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.mirror.models import CreditBalance, Member, MemberRole

from .common import decode_cursor, encode_cursor, iso, not_found


def member_public(session: Session, m: Member) -> dict[str, Any]:
    """A member with its roles and credit balance (fen)."""
    roles = sorted(session.scalars(select(MemberRole.role_name).where(MemberRole.account == m.account)))
    bal = session.get(CreditBalance, m.account)
    return {
        "isil": m.institution_id, "account": m.account, "name": m.name, "status": m.status, "roles": roles,
        "suspended_reason": m.suspended_reason, "admitted_at": iso(m.admitted_at), "admitted_block": m.admitted_block,
        "credit": bal.balance if bal else 0,
    }


def get_member(session: Session, isil: str) -> dict[str, Any]:
    m = session.scalars(select(Member).where(Member.institution_id == isil)).first()
    if m is None:
        raise not_found("member", isil)
    return member_public(session, m)


#: ISIL -> account seen in the last ``ACCOUNT_TTL_S`` seconds, per mirror (lists filtered by a
#: library ask for it on every request; an ISIL keeps its account, so only found ones are kept).
ACCOUNT_TTL_S = 5.0
_accounts: dict[tuple[str, str], tuple[float, str]] = {}


def member_account(session: Session, isil: str) -> str:
    """The account of the member with ISIL ``isil`` (404 if none): one indexed column read,
    remembered for ``ACCOUNT_TTL_S`` seconds."""
    key, now = (str(session.get_bind().url), isil), time.monotonic()
    hit = _accounts.get(key)
    if hit is not None and now - hit[0] < ACCOUNT_TTL_S:
        return hit[1]
    acct = session.connection().execute(select(Member.account).where(Member.institution_id == isil).limit(1)).scalar()
    if acct is None:
        raise not_found("member", isil)
    if len(_accounts) > 10_000:
        _accounts.clear()
    _accounts[key] = (now, acct)
    return acct


def list_members(session: Session, *, limit: int, cursor: str | None, role: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Members by ISIL (keyset), optionally only those holding ``role``."""
    pos = decode_cursor(cursor, 1)
    q = select(Member).order_by(Member.institution_id)
    if pos is not None:
        q = q.where(Member.institution_id > str(pos[0]))
    if role:
        q = q.where(Member.account.in_(select(MemberRole.account).where(MemberRole.role_name == role)))
    rows = list(session.scalars(q.limit(limit + 1)))
    nxt = encode_cursor(rows[limit - 1].institution_id) if len(rows) > limit else None
    return [member_public(session, m) for m in rows[:limit]], nxt

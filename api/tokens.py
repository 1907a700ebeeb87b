"""API tokens: a bearer secret shown once, stored as its SHA-256 with a short public prefix id.

Format ``llt_<prefix>_<secret>``: the prefix (8 hex) finds the row, the SHA-256 of the whole
token proves it. Each token maps to one member (ISIL / institution id) whose key, named after
the ISIL, lives in the encrypted keystore. The tables (``api.models``) live in the mirror's
database and come from its Alembic migrations; ``ensure_schema`` only checks they are there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from .models import API_TABLES, ApiToken, WorkCatalogue  # noqa: F401  (WorkCatalogue: re-exported)

PREFIX = "llt_"


class SchemaMissing(RuntimeError):
    """The mirror's database lacks the API's tables: its migrations have not run."""


def ensure_schema(engine: Engine) -> None:
    """Check that the API's tables exist (Alembic revision 0003 makes them); never creates them."""
    missing = [t for t in API_TABLES if not inspect(engine).has_table(t)]
    if missing:
        raise SchemaMissing(
            f"the mirror database at {engine.url.render_as_string(hide_password=True)} has no {', '.join(missing)}: "
            "run `libledger mirror migrate` (Alembic upgrade head) first"
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenOwner:
    token_id: str
    member: str  # ISIL / institution id
    account: str
    name: str


def create(session: Session, *, member: str, account: str, name: str) -> tuple[str, ApiToken]:
    """A new token for ``member``: returns the secret (shown once) and the stored row."""
    token_id = secrets.token_hex(4)
    while session.get(ApiToken, token_id) is not None:
        token_id = secrets.token_hex(4)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    row = ApiToken(id=token_id, token_sha256=_digest(token), member=member, account=account, name=name, created_at=time.time())
    session.add(row)
    session.commit()
    return token, row


def verify(session: Session, token: str) -> TokenOwner | None:
    """The owner of ``token`` if it is known and not revoked, else None (constant-time compare)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    token_id = token[len(PREFIX) :].split("_", 1)[0]
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.token_sha256, _digest(token)):
        return None
    return TokenOwner(row.id, row.member, row.account, row.name)


def revoke(session: Session, token_id: str) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = time.time()
    session.commit()
    return True


def list_tokens(session: Session, member: str | None = None) -> list[ApiToken]:
    q = select(ApiToken).order_by(ApiToken.created_at)
    if member:
        q = q.where(ApiToken.member == member)
    return list(session.scalars(q))

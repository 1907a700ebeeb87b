"""API tokens: a bearer secret shown once, stored as its SHA-256 with a short public prefix id.

Format ``llt_<prefix>_<secret>``: the prefix (8 hex) finds the row, the SHA-256 of the whole
token proves it. Each token maps to one member (ISIL / institution id) whose key, named after
the ISIL, lives in the encrypted keystore. Tables live in their own metadata (``api_`` prefix)
in the mirror's database; ``ensure_schema`` creates them when missing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, Engine, Float, Index, MetaData, String, Text, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

PREFIX = "llt_"


class ApiBase(DeclarativeBase):
    metadata = MetaData()


class ApiToken(ApiBase):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # public prefix
    token_sha256: Mapped[str] = mapped_column(String(64))
    member: Mapped[str] = mapped_column(String(128), index=True)  # ISIL / institution id = key name
    account: Mapped[str] = mapped_column(String(42))
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)


class WorkCatalogue(ApiBase):
    """Titles of works registered through this service, for search (the chain keeps only the
    metadata URI). A cache: rebuildable from the metadata records the URIs point to."""

    __tablename__ = "api_work_catalogue"
    __table_args__ = (Index("ix_api_work_catalogue_title", "title_key"),)

    work_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(512))  # casefolded NFC, for LIKE search


# Expression indexes on the mirror's raw_events so the read layer finds an entity's events fast.
READ_KEYS = ("workId", "contentHash", "publisher", "termsId", "licenceId", "loanId", "requestId", "periodId", "holder", "library_", "requester", "supplier", "account")


def _index_sql(dialect: str) -> list[str]:
    out = []
    for k in READ_KEYS:
        name = f"ix_api_raw_events_{k.lower().rstrip('_')}"
        if dialect == "postgresql":
            out.append(f"CREATE INDEX IF NOT EXISTS {name} ON raw_events (contract, (args->>'{k}'), block_number, log_index)")
        else:
            out.append(
                f"CREATE INDEX IF NOT EXISTS {name} ON raw_events (contract, CAST(json_extract(args, '$.{k}') AS TEXT), block_number, log_index)"
            )
    out.append(
        "CREATE INDEX IF NOT EXISTS ix_api_raw_events_event ON raw_events (contract, event, block_number, log_index)"
    )
    out.append("CREATE INDEX IF NOT EXISTS ix_api_raw_events_tx ON raw_events (tx_hash)")
    return out


def ensure_schema(engine: Engine) -> None:
    """Create the API's tables and read indexes if missing (idempotent, safe with a running indexer)."""
    ApiBase.metadata.create_all(engine)
    with engine.begin() as conn:
        if not conn.dialect.has_table(conn, "raw_events"):
            return
        for stmt in _index_sql(engine.dialect.name):
            conn.execute(text(stmt))


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

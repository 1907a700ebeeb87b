"""The API's own tables in the mirror's database (``api_`` prefix): tokens and the title catalogue.

Created by the mirror's Alembic migrations (revision 0003), like every other table there:
``libledger mirror migrate`` or the API's start-up upgrade. Same naming convention as the mirror.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.mirror.models import NAMING


class ApiBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ApiToken(ApiBase):
    """A bearer token: public prefix id, SHA-256 of the whole token, the member it acts for."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # public prefix
    token_sha256: Mapped[str] = mapped_column(String(64))
    member: Mapped[str] = mapped_column(String(128), index=True)  # ISIL / institution id = key name
    account: Mapped[str] = mapped_column(String(42))
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)  # unix seconds
    revoked_at: Mapped[float | None] = mapped_column(Float)


class WorkCatalogue(ApiBase):
    """Titles of works registered through this service, for search (the chain keeps only the
    metadata URI). A cache: rebuildable from the metadata records the URIs point to."""

    __tablename__ = "api_work_catalogue"
    __table_args__ = (Index("ix_api_work_catalogue_title", "title_key"),)

    work_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(512))  # casefolded NFC, for LIKE search


API_TABLES = tuple(ApiBase.metadata.tables)

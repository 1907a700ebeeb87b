"""Licences and digital loans from the ``licences`` / ``digital_loans`` projections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.mirror.models import DigitalLoan, Licence

from .common import iso, keyset, keyset_by, not_found, table


def licence_dict(lic: Licence) -> dict[str, Any]:
    """A licence as the API shows it (paid and subsidy in fen)."""
    return {
        "id": lic.licence_id, "work_id": lic.work_id, "terms_id": lic.terms_id, "holder": lic.holder, "copies": lic.copies,
        "valid_until": iso(lic.valid_until), "paid": lic.gross_paid, "subsidy": lic.subsidy, "pool_id": lic.pool_id or None,
        "active_loans": lic.active_loans, "total_loans": lic.total_loans, "ill_loans": lic.ill_loans or 0,
        "acquired_at": iso(lic.acquired_at), "acquired_block": lic.acquired_block, "acquired_tx": lic.acquired_tx or "",
    }


def get_licence(session: Session, licence_id: int) -> dict[str, Any]:
    lic = session.get(Licence, int(licence_id))
    if lic is None:
        raise not_found("licence", licence_id)
    return licence_dict(lic)


def list_licences(session: Session, *, limit: int, cursor: str | None, holder: str | None = None, work_id: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Licences newest first (keyset on licence id), by holder and/or work."""
    q = select(Licence)
    if holder:
        q = q.where(Licence.holder == holder)
    if work_id is not None:
        q = q.where(Licence.work_id == int(work_id))
    rows, nxt = keyset(session, q, [Licence.licence_id], limit=limit, cursor=cursor)
    return [licence_dict(x) for x in rows], nxt


def loan_dict(loan: Any) -> dict[str, Any]:
    """A digital loan as the API shows it (charge in fen)."""
    return {
        "id": loan.loan_id, "licence_id": loan.licence_id, "library": loan.library, "ref": loan.ref, "due_at": iso(loan.due_at),
        "charge": loan.charge, "status": loan.status, "checked_out_at": iso(loan.checked_out_at), "checked_out_block": loan.checked_out_block,
        "checked_out_tx": loan.checked_out_tx or "", "closed_at": iso(loan.closed_at),
    }


def get_loan(session: Session, loan_id: int) -> dict[str, Any]:
    loan = session.get(DigitalLoan, int(loan_id))
    if loan is None:
        raise not_found("loan", loan_id)
    return loan_dict(loan)


def list_loans(session: Session, *, limit: int, cursor: str | None, library: str | None = None, licence_id: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Loans newest first (keyset on loan id), by library and/or licence."""
    rows, nxt = keyset_by(session, table(DigitalLoan), ("loan_id",), limit=limit, cursor=cursor, library=library or None,
                          licence_id=None if licence_id is None else int(licence_id))
    return [loan_dict(x) for x in rows], nxt

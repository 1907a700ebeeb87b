"""SQLAlchemy 2 models of the mirror.

Three kinds of tables:

- **chain data**: ``blocks`` (every block from the deploy block on: number, hash, parent hash,
  timestamp), ``raw_events`` (every log of libledger's contracts, decoded args as JSON; unknown
  or undecodable logs keep ``event``/``args`` NULL and are never dropped), ``checkpoint`` (which
  chain and deployment the mirror belongs to, and the last block mirrored), ``indexer_lock``,
  and ``payment_entries`` (the amounts of the Royalties payment logs in typed columns, written
  with the raw event they come from; see ``ledger.mirror.entries``).
- **projections**: current state derived from the raw events by ``ledger.mirror.handlers``.
  Every projection can be rebuilt from ``raw_events`` alone (``mirror check`` and the dev-chain
  rollback do exactly that), so its rows carry only deterministic values: keys from the chain,
  ``block_number``/``log_index`` of the event that last changed the row.
- Conventions: addresses as checksummed ``0x`` strings, bytes as lowercase ``0x`` hex, chain
  timestamps as integer unix seconds, amounts and ids as ``Amount`` (exact up to 256 bits;
  money is always integer minor units, fen). Enums are stored by name (``"Active"``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import Amount

Json = JSON().with_variant(JSONB(), "postgresql")
Address = String(42)
Hash = String(66)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Projection(Base):
    """A table derived from raw events: wiped and rebuilt by rollback and ``mirror check``."""

    __abstract__ = True


# ---------------------------------------------------------------------------- chain data


class Block(Base):
    __tablename__ = "blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(Hash)
    parent_hash: Mapped[str] = mapped_column(Hash)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class RawEvent(Base):
    """One log of a libledger contract. Idempotent key: (block hash, log index)."""

    __tablename__ = "raw_events"
    __table_args__ = (Index("ix_raw_events_block", "block_number", "log_index"), Index("ix_raw_events_tx_hash", "tx_hash"))

    block_hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(Hash)
    tx_index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(Address)
    contract: Mapped[str] = mapped_column(String(64))
    #: NULL when the log matches no event of the contract's ABI or does not decode.
    event: Mapped[str | None] = mapped_column(String(64))
    #: Decoded arguments: bytes as 0x hex, integers beyond ±(2**53-1) as decimal strings.
    args: Mapped[dict[str, Any] | None] = mapped_column(Json)
    #: The log as the node gave it: topics joined by ",", data as 0x hex.
    topics: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)


class PaymentEntry(Base):
    """Chain data: one entry per account a ``Royalties`` payment log credits (or escrows), typed.

    Written by the indexer's ingestion step from the decoded log, in the transaction that writes
    its raw event; deleted with it on a rollback; never touched by the projection handlers or by
    ``mirror rebuild`` (``ledger.mirror.entries``). Key: the log's (block number, log index) and
    ``seq``, the entry's place in the log (the same numbering as ``royalty_accruals``).

    ``ix_payment_entries_month_key`` orders a UTC month's entries by (account, work, kind) and
    carries the amounts (PostgreSQL ``INCLUDE``): the payouts' raw leg reads a month as an
    index-only scan into a streaming GROUP BY (``ledger.payouts_raw``), no hash table.
    """

    __tablename__ = "payment_entries"
    __table_args__ = (
        Index("ix_payment_entries_block_timestamp", "block_timestamp"),
        Index("ix_payment_entries_month_key", "month", "account", "work_id", "kind",
              postgresql_include=["block_timestamp", "net", "gross"]),
    )

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)  # of the block, unix seconds
    account: Mapped[str] = mapped_column(Address)  # "" for the escrowed holder side
    work_id: Mapped[int] = mapped_column(Amount)
    kind: Mapped[str] = mapped_column(String(16))  # paid | fee | escrowed | released
    net: Mapped[int] = mapped_column(Amount)  # fen this entry credits (escrowed: holds)
    gross: Mapped[int] = mapped_column(Amount)  # fen: the payment's gross (the release's amount for "released")
    month: Mapped[int] = mapped_column(Integer)  # yyyymm: the UTC month of block_timestamp (as royalty_rollups.month)


class Checkpoint(Base):
    """The one row saying which chain and deployment this mirror holds, and how far."""

    __tablename__ = "checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    genesis_hash: Mapped[str] = mapped_column(Hash)
    consortium_address: Mapped[str] = mapped_column(Address)
    deploy_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(Hash)
    updated_at: Mapped[float] = mapped_column(Float)


class IndexerLock(Base):
    """Lease of the single writer on SQLite (PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "indexer_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)


# ---------------------------------------------------------------------------- Consortium


class Member(Projection):
    __tablename__ = "members"

    account: Mapped[str] = mapped_column(Address, primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # Active | Suspended
    suspended_reason: Mapped[str | None] = mapped_column(String(128))
    x25519_public_key: Mapped[str | None] = mapped_column(Hash)
    admitted_block: Mapped[int] = mapped_column(BigInteger)
    admitted_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds of the block
    block_number: Mapped[int] = mapped_column(BigInteger)


class MemberRole(Projection):
    """Roles held now (AccessControl ``RoleGranted`` minus ``RoleRevoked``), members or not."""

    __tablename__ = "member_roles"

    account: Mapped[str] = mapped_column(Address, primary_key=True)
    role: Mapped[str] = mapped_column(Hash, primary_key=True)
    role_name: Mapped[str] = mapped_column(String(32))  # library, publisher, ..., governor, ledger
    granted_by: Mapped[str] = mapped_column(Address)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ContractSetting(Projection):
    """Settings set by governance (platform treasury, paused, fee bps, windows), by contract."""

    __tablename__ = "contract_settings"

    contract: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- Credit


class CreditBalance(Projection):
    """Credit held per account, in fen. ``0x0…0`` never appears; total supply is in contract_settings."""

    __tablename__ = "credit_balances"

    account: Mapped[str] = mapped_column(Address, primary_key=True)
    balance: Mapped[int] = mapped_column(Amount)
    block_number: Mapped[int] = mapped_column(BigInteger)


class CreditAllowance(Projection):
    __tablename__ = "credit_allowances"

    owner: Mapped[str] = mapped_column(Address, primary_key=True)
    spender: Mapped[str] = mapped_column(Address, primary_key=True)
    value: Mapped[int] = mapped_column(Amount)
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- Works


class Work(Projection):
    __tablename__ = "works"
    __table_args__ = (Index("ix_works_holder_work", "holder", "work_id"),)

    work_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    content_hash: Mapped[str] = mapped_column(Hash, index=True)
    iscc_code: Mapped[str] = mapped_column(String(66))  # 0x hex, 8-32 bytes
    metadata_uri: Mapped[str] = mapped_column(String(256))
    holder: Mapped[str] = mapped_column(Address, index=True)
    status: Mapped[str] = mapped_column(String(16))  # Active | Disputed | Revoked
    payee_count: Mapped[int] = mapped_column(Integer)
    last_dispute_id: Mapped[int] = mapped_column(Amount)  # 0 = never disputed
    revoked_to: Mapped[str | None] = mapped_column(Address)  # escrow beneficiary of a revoked work
    registered_block: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[int] = mapped_column(BigInteger)
    registered_tx: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)


class WorkPayee(Projection):
    """The current payees of a work (the last ``PayeesSet``), by position."""

    __tablename__ = "work_payees"

    work_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    payee: Mapped[str] = mapped_column(Address, index=True)
    bps: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class Dispute(Projection):
    __tablename__ = "disputes"

    dispute_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    work_id: Mapped[int] = mapped_column(Amount, index=True)
    claimant: Mapped[str] = mapped_column(Address)
    opened_at: Mapped[int] = mapped_column(BigInteger)
    respond_by: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # Open | Resolved
    responded: Mapped[bool] = mapped_column(Boolean)
    ruling: Mapped[str] = mapped_column(String(16))  # None | Uphold | Transfer | Revoke
    beneficiary: Mapped[str | None] = mapped_column(Address)
    evidence_uri: Mapped[str] = mapped_column(String(256))
    response_uri: Mapped[str | None] = mapped_column(String(256))
    ruling_uri: Mapped[str | None] = mapped_column(String(256))
    resolved_at: Mapped[int | None] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- Licensing


class LicenceTerms(Projection):
    __tablename__ = "licence_terms"

    terms_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    terms_hash: Mapped[str] = mapped_column(Hash)
    publisher: Mapped[str] = mapped_column(Address, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # PerpetualCopies | PerLoanMetered | Subscription
    price: Mapped[int] = mapped_column(Amount)
    copies: Mapped[int] = mapped_column(BigInteger)
    loan_period: Mapped[int] = mapped_column(BigInteger)
    max_loans_per_copy: Mapped[int] = mapped_column(Integer)
    duration: Mapped[int] = mapped_column(BigInteger)
    territory: Mapped[str] = mapped_column(String(6))  # bytes2 as 0x hex ("0x434e" = CN)
    ill_allowed: Mapped[bool] = mapped_column(Boolean)
    fee_bps: Mapped[int] = mapped_column(Integer)
    legal_text_hash: Mapped[str] = mapped_column(Hash)
    legal_text_uri: Mapped[str] = mapped_column(String(256))
    published_tx: Mapped[str | None] = mapped_column(Hash)  # NULL only in rows written before 0003
    block_number: Mapped[int] = mapped_column(BigInteger)


class WorkOffer(Projection):
    __tablename__ = "work_offers"

    work_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    terms_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    offer_id: Mapped[int] = mapped_column(Amount)
    holder: Mapped[str] = mapped_column(Address)
    enabled: Mapped[bool] = mapped_column(Boolean)
    attached_block: Mapped[int | None] = mapped_column(BigInteger)  # NULL only in rows written before 0003
    block_number: Mapped[int] = mapped_column(BigInteger)


class Licence(Projection):
    __tablename__ = "licences"
    __table_args__ = (Index("ix_licences_holder_licence", "holder", "licence_id"), Index("ix_licences_work_licence", "work_id", "licence_id"))

    licence_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    holder: Mapped[str] = mapped_column(Address, index=True)
    work_id: Mapped[int] = mapped_column(Amount, index=True)
    terms_id: Mapped[int] = mapped_column(Amount)
    copies: Mapped[int] = mapped_column(Integer)  # concurrent loans allowed
    active_loans: Mapped[int] = mapped_column(Integer)
    total_loans: Mapped[int] = mapped_column(BigInteger)
    ill_loans: Mapped[int | None] = mapped_column(BigInteger)  # copies used for ILL; NULL only before 0003
    valid_until: Mapped[int] = mapped_column(BigInteger)  # 0 = no expiry
    gross_paid: Mapped[int] = mapped_column(Amount)  # acquisition + renewals
    pool_id: Mapped[int] = mapped_column(Amount)  # subsidy pool of the last acquisition/renewal, 0 = none
    subsidy: Mapped[int] = mapped_column(Amount)  # subsidies drawn, in total
    acquired_block: Mapped[int] = mapped_column(BigInteger)
    acquired_at: Mapped[int] = mapped_column(BigInteger)
    acquired_tx: Mapped[str | None] = mapped_column(Hash)  # NULL only in rows written before 0003
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- Lending


class DigitalLoan(Projection):
    __tablename__ = "digital_loans"
    __table_args__ = (Index("ix_digital_loans_library_loan", "library", "loan_id"), Index("ix_digital_loans_licence_loan", "licence_id", "loan_id"))

    loan_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    licence_id: Mapped[int] = mapped_column(Amount, index=True)
    library: Mapped[str] = mapped_column(Address, index=True)
    ref: Mapped[str] = mapped_column(Hash)  # the library's opaque reference
    due_at: Mapped[int] = mapped_column(BigInteger)
    charge: Mapped[int] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16))  # Active | Returned | Expired
    checked_out_block: Mapped[int] = mapped_column(BigInteger)
    checked_out_at: Mapped[int] = mapped_column(BigInteger)
    checked_out_tx: Mapped[str | None] = mapped_column(Hash)  # NULL only in rows written before 0003
    closed_by: Mapped[str | None] = mapped_column(Address)  # who checked in / expired it
    closed_at: Mapped[int | None] = mapped_column(BigInteger)  # unix seconds of the check-in / expiry block
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- InterlibraryLoan


class IllRequest(Projection):
    """An ISO 18626 request, current state (the same fields as ``InterlibraryLoan.request``)."""

    __tablename__ = "ill_requests"
    __table_args__ = (
        # newest first (keyset on requested_block, request_id): ids are hashes, not in time order
        Index("ix_ill_requests_requested", "requested_block", "request_id"),
        Index("ix_ill_requests_requester_requested", "requester", "requested_block", "request_id"),
        Index("ix_ill_requests_supplier_requested", "supplier", "requested_block", "request_id"),
    )

    request_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    requester: Mapped[str] = mapped_column(Address, index=True)
    supplier: Mapped[str] = mapped_column(Address, index=True)
    borrower: Mapped[str] = mapped_column(Address)
    own_id: Mapped[str] = mapped_column(Hash)
    status: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(8))  # Loan | Copy
    item_kind: Mapped[str] = mapped_column(String(16))  # Work | Bibliographic
    item: Mapped[str] = mapped_column(Hash)
    max_cost: Mapped[int] = mapped_column(Amount)
    need_before: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[int] = mapped_column(BigInteger)
    cancel_pending: Mapped[bool] = mapped_column(Boolean)
    renew_pending: Mapped[bool] = mapped_column(Boolean)
    received: Mapped[bool] = mapped_column(Boolean)
    return_shipped: Mapped[bool] = mapped_column(Boolean)
    lost_reported: Mapped[bool] = mapped_column(Boolean)
    found: Mapped[bool] = mapped_column(Boolean)
    licence_id: Mapped[int] = mapped_column(Amount)  # 0 = physical item
    retry_of: Mapped[int] = mapped_column(Amount)
    lending_charged: Mapped[int] = mapped_column(Amount)
    lending_refunded: Mapped[int] = mapped_column(Amount)
    replacement_charged: Mapped[int] = mapped_column(Amount)
    replacement_refunded: Mapped[int] = mapped_column(Amount)
    requested_block: Mapped[int] = mapped_column(BigInteger)
    requested_at: Mapped[int] = mapped_column(BigInteger)
    requested_tx: Mapped[str | None] = mapped_column(Hash)  # NULL only in rows written before 0003
    block_number: Mapped[int] = mapped_column(BigInteger)


class IllTransition(Projection):
    """Every message of a request's history, in chain order (applied or ignored)."""

    __tablename__ = "ill_transitions"
    __table_args__ = (
        Index("ix_ill_transitions_request", "request_id", "block_number", "log_index"), Index("ix_ill_transitions_forward_to", "forward_to"),
    )

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    request_id: Mapped[int] = mapped_column(Amount)
    #: StatusChanged | StatusUpdateIgnored | ActionRecorded | ActionIgnored | CancelAnswered |
    #: RenewAnswered | FoundAfterLost
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(Address)
    from_status: Mapped[str] = mapped_column(String(32))  # the status when the message came
    to_status: Mapped[str] = mapped_column(String(32))  # after it (proposed, for an ignored update)
    applied: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[str | None] = mapped_column(String(16))
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    reason_scheme: Mapped[int | None] = mapped_column(Integer)
    reason_code: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[int | None] = mapped_column(BigInteger)
    forward_to: Mapped[str | None] = mapped_column(Address)
    amount: Mapped[int | None] = mapped_column(Amount)  # FoundAfterLost refund


# ---------------------------------------------------------------------------- Royalties


class RoyaltyAccrual(Projection):
    """One row per account credited by a payment (payees' nets, the fee recipient's fee), per
    escrowed payment (``account`` NULL) and per account paid out of a released escrow."""

    __tablename__ = "royalty_accruals"
    __table_args__ = (
        Index("ix_royalty_accruals_account", "account", "block_number"),
        # the boundary slices of a statement month (see ``RoyaltyRollup``)
        Index("ix_royalty_accruals_block_timestamp", "block_timestamp"),
    )

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    work_id: Mapped[int] = mapped_column(Amount, index=True)
    terms_id: Mapped[int | None] = mapped_column(Amount)
    ref_kind: Mapped[str | None] = mapped_column(String(16))  # Licence | DigitalLoan | IllRequest
    ref_id: Mapped[int | None] = mapped_column(Amount)
    payer: Mapped[str | None] = mapped_column(Address)
    account: Mapped[str | None] = mapped_column(Address)
    gross: Mapped[int] = mapped_column(Amount)  # of the payment (of the release for "released")
    fee: Mapped[int] = mapped_column(Amount)  # of the payment
    net: Mapped[int] = mapped_column(Amount)  # what this row credits
    kind: Mapped[str] = mapped_column(String(16))  # paid | fee | escrowed | released


#: ``RoyaltyRollup.account`` of escrowed payments (their accrual row has no account).
ESCROW_ACCOUNT = ""


class RoyaltyRollup(Projection):
    """``royalty_accruals`` summed per (UTC calendar month, account, work, kind), written by the
    same handlers in the same transaction as the accrual rows, so rollback and rebuild keep it
    exact. Statements read it instead of scanning the month's accruals: a month in any zone is
    the UTC months it overlaps, corrected by the accruals of its boundary slices
    (``rights.periods.utc_months_plan``). ``account`` is ``ESCROW_ACCOUNT`` for escrowed rows."""

    __tablename__ = "royalty_rollups"

    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # yyyymm, UTC
    account: Mapped[str] = mapped_column(Address, primary_key=True)
    work_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # paid | fee | escrowed | released
    net: Mapped[int] = mapped_column(Amount)  # sum of the accruals' net, fen
    gross: Mapped[int] = mapped_column(Amount)  # sum of the accruals' gross, fen (once per payment for "fee")
    accruals: Mapped[int] = mapped_column(BigInteger)  # number of accrual rows


class RoyaltyBalance(Projection):
    __tablename__ = "royalty_balances"

    account: Mapped[str] = mapped_column(Address, primary_key=True)
    balance: Mapped[int] = mapped_column(Amount)  # credited - withdrawn
    credited: Mapped[int] = mapped_column(Amount)
    withdrawn: Mapped[int] = mapped_column(Amount)
    block_number: Mapped[int] = mapped_column(BigInteger)


class RoyaltyWithdrawal(Projection):
    __tablename__ = "royalty_withdrawals"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(Address, index=True)
    amount: Mapped[int] = mapped_column(Amount)


class RoyaltyEscrow(Projection):
    __tablename__ = "royalty_escrow"

    work_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    held: Mapped[int] = mapped_column(Amount)
    released: Mapped[int] = mapped_column(Amount)  # in total
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- Clearing


class SettlementPeriod(Projection):
    __tablename__ = "settlement_periods"

    period_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    opened_at: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[int] = mapped_column(BigInteger)  # 0 while open
    deadline: Mapped[int] = mapped_column(BigInteger)  # 0 while open
    owed: Mapped[int] = mapped_column(Amount)
    paid_in: Mapped[int] = mapped_column(Amount)
    withdrawn: Mapped[int] = mapped_column(Amount)
    block_number: Mapped[int] = mapped_column(BigInteger)


class NetPosition(Projection):
    __tablename__ = "net_positions"

    period_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    library: Mapped[str] = mapped_column(Address, primary_key=True)
    net: Mapped[int] = mapped_column(Amount)  # > 0 owed to the library, < 0 it owes
    settled: Mapped[int] = mapped_column(Amount)  # debtor: paid in; creditor: withdrawn
    paid_late: Mapped[bool] = mapped_column(Boolean)
    defaulted: Mapped[bool] = mapped_column(Boolean)
    defaulted_outstanding: Mapped[int | None] = mapped_column(Amount)
    defaulted_block: Mapped[int | None] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ClearingCharge(Projection):
    __tablename__ = "clearing_charges"
    __table_args__ = (Index("ix_clearing_charges_request", "request_id"), Index("ix_clearing_charges_period", "period_id"))

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    period_id: Mapped[int] = mapped_column(Amount)
    request_id: Mapped[int] = mapped_column(Amount)
    kind: Mapped[str] = mapped_column(String(16))  # Lending | Replacement | Refund
    debtor: Mapped[str] = mapped_column(Address)
    creditor: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Amount)
    debtor_net: Mapped[int] = mapped_column(Amount)
    creditor_net: Mapped[int] = mapped_column(Amount)


# ---------------------------------------------------------------------------- SubsidyPools


class SubsidyPool(Projection):
    __tablename__ = "subsidy_pools"

    pool_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    sponsor: Mapped[str] = mapped_column(Address, index=True)
    funded: Mapped[int] = mapped_column(Amount)
    remaining: Mapped[int] = mapped_column(Amount)
    drawn: Mapped[int] = mapped_column(Amount)
    expiry: Mapped[int] = mapped_column(BigInteger)
    per_library_cap: Mapped[int] = mapped_column(Amount)  # 0 = no cap
    all_works: Mapped[bool] = mapped_column(Boolean)
    all_libraries: Mapped[bool] = mapped_column(Boolean)
    reclaimed: Mapped[bool] = mapped_column(Boolean)
    reclaimed_amount: Mapped[int] = mapped_column(Amount)
    created_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)


class SubsidyDraw(Projection):
    __tablename__ = "subsidy_draws"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    pool_id: Mapped[int] = mapped_column(Amount, index=True)
    buyer: Mapped[str] = mapped_column(Address)
    work_id: Mapped[int] = mapped_column(Amount)
    price: Mapped[int] = mapped_column(Amount)
    subsidy: Mapped[int] = mapped_column(Amount)


# ---------------------------------------------------------------------------- Attestations


class AttestationRow(Projection):
    __tablename__ = "attestations"

    attestation_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    auditor: Mapped[str] = mapped_column(Address, index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # Work | Library | Period | Deployment
    subject_id: Mapped[int] = mapped_column(Amount)
    report_hash: Mapped[str] = mapped_column(Hash, index=True)
    report_uri: Mapped[str] = mapped_column(String(256))
    anchored_at: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------------------- every contract


class RecordEvent(Projection):
    """Which raw event touched which record (work, terms, licence, loan, ILL request, period):
    the index behind provenance and audit trails. One row per (record, event); an event that
    names several records (``LicenceAcquired``: work, terms, licence) has one row for each.
    Join ``raw_events`` on (block_number, log_index) for the event itself."""

    __tablename__ = "record_events"

    record_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # work | terms | licence | loan | ill-request | period
    record_id: Mapped[int] = mapped_column(Amount, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


def projection_tables() -> list[Any]:
    """Every projection table, in dependency order (parents first)."""
    return [m.__table__ for m in _subclasses(Projection)]


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        if not sub.__dict__.get("__abstract__", False):
            out.append(sub)
        out.extend(_subclasses(sub))
    return out

"""Request and response schemas, per resource (``WorkCreate`` in, ``WorkPublic`` out).

Input rules shared by every resource: text is NFC-normalised and must be valid UTF-8 without
control characters; on-chain strings are limited in UTF-8 bytes as the contracts limit them;
amounts are integer fen, > 0 and at most ``MAX_AMOUNT``; hex values have exact lengths.
Money goes out as ``{"amount": 1234, "currency": "CNY"}``; times as ISO 8601 UTC.
"""

from __future__ import annotations

import base64
import unicodedata
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_AMOUNT = 10**13  # fen: ¥100 billion, far above any real licence or ILL charge
MAX_UINT40_TIME = 2**40 - 1
CURRENCY = "CNY"


def _clean_text(s: str) -> str:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (lone surrogate)") from None
    s = unicodedata.normalize("NFC", s)
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in s):
        raise ValueError("text contains control characters")
    return s


def _bytes_max(n: int):  # noqa: ANN202
    def check(s: str) -> str:
        if len(s.encode()) > n:
            raise ValueError(f"at most {n} bytes of UTF-8 (got {len(s.encode())})")
        return s

    return check


Text = Annotated[str, AfterValidator(_clean_text)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True), AfterValidator(_clean_text), AfterValidator(_bytes_max(128))]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_clean_text), AfterValidator(_bytes_max(256))]
OptUri = Annotated[str, StringConstraints(max_length=256), AfterValidator(_clean_text), AfterValidator(_bytes_max(256))]
Title = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), AfterValidator(_clean_text)]
#: Member handle: an ISIL (ISO 15511, e.g. CN-330000-ZJL) or another institution id; also the key name.
MemberId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
Amount = Annotated[int, Field(gt=0, le=MAX_AMOUNT, description="integer minor units (fen), > 0")]
AmountOrZero = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="integer minor units (fen), 0 = none")]
Id = Annotated[int, Field(ge=1, le=2**40 - 1)]
UnixTime = Annotated[int, Field(ge=0, le=MAX_UINT40_TIME, description="unix seconds (UTC)")]
RequestId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,78}$")]
Role = Literal["publisher", "library", "auditor", "platform", "treasury", "sponsor"]


class Money(BaseModel):
    amount: int = Field(description="integer minor units (fen)")
    currency: str = CURRENCY


def money(v: int) -> Money:
    return Money(amount=int(v))


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="opaque; pass as ?cursor= for the next page")
    as_of_block: int = Field(description="the mirror's head block this answer reflects")


class Item(BaseModel, Generic[T]):
    data: T
    as_of_block: int


class TxPublic(BaseModel):
    tx_hash: str
    status: Literal["submitted", "mined", "mirrored", "existing"] = Field(
        description="submitted (wait=false), mined (receipt; mirror not caught up in time), mirrored (readable now), existing (nothing to send)"
    )
    block_number: int | None = None


class WriteResult(BaseModel, Generic[T]):
    tx: TxPublic | None
    id: str | None = Field(None, description="id of the record created, when known")
    data: T | None = Field(None, description="the record as the mirror shows it after the write")
    as_of_block: int | None = None


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------ members


class MemberPublic(BaseModel):
    isil: str
    account: str
    name: str
    status: str
    roles: list[str]
    suspended_reason: str | None = None
    admitted_at: str | None = None
    admitted_block: int
    credit: Money


class MemberCreate(_In):
    isil: MemberId
    name: Name
    account: Address | None = Field(None, description="the member's account; omitted: a custodial key named after the ISIL is created in this service's keystore (dev profile)")
    roles: list[Role] = Field(min_length=1, max_length=6)


class SuspendIn(_In):
    reason: Annotated[str, StringConstraints(max_length=128), AfterValidator(_clean_text), AfterValidator(_bytes_max(128))] = ""


class MintIn(_In):
    to: MemberId
    amount: Amount


# ------------------------------------------------------------------------------ works


class PayeeIn(_In):
    member: MemberId | None = None
    account: Address | None = None
    bps: Annotated[int, Field(ge=1, le=10_000)]


def _iscc_bytes(v: str) -> str:
    v = v.strip()
    if v.upper().startswith("ISCC:"):
        body = v[5:].upper()
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8))
        except ValueError:
            raise ValueError("not a base32 ISCC code") from None
        v = "0x" + raw.hex()
    if not v.startswith("0x") or len(v) % 2 or not all(c in "0123456789abcdefABCDEF" for c in v[2:]):
        raise ValueError("ISCC as 0x-hex or ISCC:... text")
    if not 8 <= (len(v) - 2) // 2 <= 32:
        raise ValueError("ISCC code must be 8 to 32 bytes")
    return v.lower()


class WorkCreate(_In):
    content_hash: Hex32 = Field(description="SHA-256 of the canonical file, 0x + 64 hex")
    iscc: Annotated[str, StringConstraints(max_length=80), AfterValidator(_iscc_bytes)] = Field(description="ISCC code (ISCC:... or 0x-hex, 8-32 bytes)")
    metadata_uri: Uri
    title: Title | None = Field(None, description="for search; the metadata record at metadata_uri is authoritative")
    payees: list[PayeeIn] | None = Field(None, max_length=16, description="shares of the holder side in basis points (sum 10000); default: the registrant")


class PayeePublic(BaseModel):
    account: str
    bps: int


class DisputePublic(BaseModel):
    id: int
    claimant: str
    respond_by: str | None
    evidence_uri: str


class WorkPublic(BaseModel):
    id: int
    content_hash: str
    iscc: str
    holder: str
    metadata_uri: str
    title: str | None = None
    status: str
    payees: list[PayeePublic]
    registered_at: str | None
    registered_block: int
    registered_tx: str
    open_dispute: DisputePublic | None = None


class TrailEntry(BaseModel):
    contract: str
    event: str | None
    block_number: int
    log_index: int
    tx_hash: str
    at: str | None
    args: dict[str, Any]
    summary: dict[str, Any] | None = None


# ------------------------------------------------------------------------------ terms


class TermsCreate(_In):
    kind: Literal["PerpetualCopies", "PerLoanMetered", "Subscription"]
    price: Amount = Field(description="fen per copy (perpetual, subscription) or per loan (metered)")
    copies: Annotated[int, Field(ge=1, le=1000)] = 1
    loan_period_seconds: Annotated[int, Field(ge=60, le=365 * 86400)] = 14 * 86400
    max_loans_per_copy: Annotated[int, Field(ge=0, le=65535)] = 0
    duration_seconds: Annotated[int, Field(ge=0, le=100 * 365 * 86400)] = 0
    territory: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    ill_allowed: bool = False
    legal_text_hash: Hex32 | None = None
    legal_text_uri: OptUri = ""


class TermsPublic(BaseModel):
    id: int
    terms_hash: str
    publisher: str
    kind: str
    price: Money
    copies: int
    loan_period_seconds: int
    max_loans_per_copy: int
    duration_seconds: int
    territory: str | None
    ill_allowed: bool
    fee_bps: int
    legal_text_hash: str
    legal_text_uri: str
    published_block: int
    published_tx: str


class AttachIn(_In):
    terms_id: Id


class EnableIn(_In):
    enabled: bool


class OfferPublic(BaseModel):
    work_id: int
    terms_id: int
    offer_id: int
    enabled: bool
    attached_block: int
    terms: TermsPublic


# ------------------------------------------------------------------------------ licences, loans


class LicenceCreate(_In):
    work_id: Id
    terms_id: Id
    copies: Annotated[int, Field(ge=1, le=1000)] = 1
    pool_id: Id | None = None


class LicencePublic(BaseModel):
    id: int
    work_id: int
    terms_id: int
    holder: str
    copies: int
    valid_until: str | None
    paid: Money
    subsidy: Money
    pool_id: int | None
    active_loans: int
    total_loans: int
    ill_loans: int
    acquired_at: str | None
    acquired_block: int
    acquired_tx: str


class LoanCreate(_In):
    licence_id: Id
    ref: Hex32 | None = Field(None, description="the library's opaque loan reference (random if omitted); never patron data")


class LoanReserveIn(_In):
    """Loan groups to prepay the storage of; a JSON integer."""

    model_config = ConfigDict(extra="forbid", strict=True)
    groups: int = Field(ge=1, le=256, description="loan groups (three loans each) to reserve storage for, 1-256")


class LoanReservation(BaseModel):
    """Loan groups whose storage a reservation prepaid (group g holds loans 3g+1..3g+3)."""

    from_group: int | None = Field(None, description="first group reserved (None until the receipt is known)")
    to_group: int | None = Field(None, description="one past the last group reserved")
    reserved_up_to: int = Field(description="one past the last group reserved by anyone so far (from the chain)")
    as_of_block: int


class LoanPublic(BaseModel):
    id: int
    licence_id: int
    library: str
    ref: str
    due_at: str | None
    charge: Money
    status: str
    checked_out_at: str | None
    checked_out_block: int
    checked_out_tx: str
    closed_at: str | None


class LicenceUsage(BaseModel):
    licence: LicencePublic
    loans: list[LoanPublic]
    next_cursor: str | None
    as_of_block: int


# ------------------------------------------------------------------------------ ILL

IllStatusName = Literal[
    "ExpectToSupply", "WillSupply", "RetryPossible", "Unfilled", "Loaned", "Overdue", "Recalled",
    "CompletedWithoutReturn", "CopyCompleted", "LoanCompleted",
]
IllActionName = Literal["Received", "Cancel", "Renew", "ShippedReturn", "ShippedForward", "Lost"]


class IllCreate(_In):
    supplier: MemberId = Field(description="ISIL of the supplying library")
    own_id: Annotated[str, StringConstraints(min_length=1, max_length=32), AfterValidator(_clean_text), AfterValidator(_bytes_max(32))] = Field(
        description="the requesting library's own request id (unique per requester)"
    )
    service: Literal["Loan", "Copy"] = "Loan"
    work_id: Id | None = None
    bibliographic_key: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_clean_text)] | None = Field(
        None, description="ISBN or union-catalogue id (hashed on chain), when the item is not a registered work"
    )
    max_cost: AmountOrZero = 0
    need_before: UnixTime | None = None
    retry_of: RequestId | None = None
    licence_id: Id | None = Field(None, description="the supplier's licence, for a digital ILL of a registered work")


class IllStatusIn(_In):
    status: IllStatusName
    reason_code: Annotated[int, Field(ge=0, le=255)] = 0
    due_date: UnixTime | None = None
    charge: AmountOrZero = 0


class IllActionIn(_In):
    action: IllActionName
    forward_to: MemberId | None = Field(None, description="ISIL of the next library (ShippedForward only)")


class CancelAnswerIn(_In):
    accept: bool


class RenewAnswerIn(_In):
    due_date: UnixTime | None = Field(None, description="new due date; omitted = renewal refused")


class RefundIn(_In):
    amount: Amount


class FoundIn(_In):
    refund: AmountOrZero = 0


class IllRequestPublic(BaseModel):
    id: str
    requester: str
    supplier: str
    borrower: str
    own_id: str
    service: str
    item_kind: str
    item: str
    max_cost: Money
    need_before: str | None
    retry_of: str | None
    licence_id: int | None
    status: str
    due_date: str | None
    cancel_pending: bool
    renew_pending: bool
    received: bool
    return_shipped: bool
    lost_reported: bool
    found: bool
    lending_charged: Money
    lending_refunded: Money
    replacement_charged: Money
    replacement_refunded: Money
    requested_at: str | None
    requested_block: int
    requested_tx: str
    updated_block: int


# ------------------------------------------------------------------------------ settlement, royalties


class PositionPublic(BaseModel):
    library: str
    net: Money = Field(description="> 0: owed to the library; < 0: the library owes")
    paid: Money
    withdrawn: Money
    defaulted: bool


class PeriodPublic(BaseModel):
    id: int
    status: str
    opened_at: str | None
    closed_at: str | None
    deadline: str | None
    owed: Money
    paid_in: Money
    withdrawn: Money
    charges: int
    positions: list[PositionPublic]
    net_sum: Money


class RoyaltyBalance(BaseModel):
    account: str
    accrued: Money
    withdrawn: Money
    balance: Money
    as_of_block: int


class DepositIn(_In):
    """Fen of credit to move into (or back out of) the caller's loan deposit; a JSON integer."""

    model_config = ConfigDict(extra="forbid", strict=True)
    amount: Amount


class LoanDeposit(BaseModel):
    """A library's prepaid credit for metered loans (read from the chain)."""

    account: str
    deposit: Money
    as_of_block: int


class RoyaltyAccrual(BaseModel):
    work_id: int
    terms_id: int
    ref_kind: str
    ref_id: str
    payer: str
    gross: Money
    fee: Money
    amount: Money
    as_: str = Field(alias="as")
    block_number: int
    tx_hash: str
    at: str | None

    model_config = ConfigDict(populate_by_name=True)


# ------------------------------------------------------------------------------ raw tx, audit


class RawTxIn(_In):
    raw: Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2})+$", min_length=4, max_length=262144)] = Field(description="signed transaction, 0x-hex")


class CheckResult(BaseModel):
    kind: str
    id: str
    as_of_block: int
    consistent: bool
    mirror: dict[str, Any]
    chain: dict[str, Any]
    differences: list[str]


MONEY_FIELDS = {
    "TermsPublic": ("price",), "LicencePublic": ("paid", "subsidy"), "LoanPublic": ("charge",),
    "IllRequestPublic": ("max_cost", "lending_charged", "lending_refunded", "replacement_charged", "replacement_refunded"),
    "MemberPublic": ("credit",), "PeriodPublic": ("owed", "paid_in", "withdrawn", "net_sum"),
    "PositionPublic": ("net", "paid", "withdrawn"), "RoyaltyAccrual": ("gross", "fee", "amount"),
    "RoyaltyBalance": ("accrued", "withdrawn", "balance"),
}


def public_data(model: type[BaseModel], d: dict[str, Any]) -> dict[str, Any]:
    """A read-layer dict ready for ``model``: its amounts (fen) as ``Money`` input, not validated."""
    d = dict(d)
    for f in MONEY_FIELDS.get(model.__name__, ()):
        v = d.get(f)
        if v is not None and not isinstance(v, (Money, dict)):
            d[f] = {"amount": int(v)}
    if model is PeriodPublic:
        d["positions"] = [public_data(PositionPublic, p) for p in d.get("positions", [])]
    return d


def public(model: type[BaseModel], d: dict[str, Any]) -> Any:
    """Build ``model`` from a read-layer dict, turning its amounts into ``Money``."""
    return model.model_validate(public_data(model, d))

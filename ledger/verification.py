"""Verify a file against the chain: is it registered, by whom, when, who is paid, under which
terms, and is it disputed?

Everything here is read straight from the contracts (views, and ``eth_getLogs`` for the facts
the chain keeps in events only: registration transaction, ISCC code, metadata URI, attached
terms, disputes), never from the SQL mirror, so an auditor can run it against any node
without trusting the platform. All reads are pinned to one block (``as_of_block``) so the
answer is a consistent snapshot even while new blocks arrive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import iscc_core as ic

from rights.errors import DocumentError
from rights.fingerprint import Fingerprint, fingerprint_file

from .bindings import load_artifact
from .chain import Chain
from .logs import get_logs

WORK_STATUS = {0: "none", 1: "active", 2: "disputed", 3: "revoked"}
TERMS_KIND = {0: "perpetual", 1: "metered", 2: "subscription"}
OFFER_STATE = {0: "none", 1: "enabled", 2: "disabled"}
DISPUTE_STATUS = {0: "none", 1: "open", 2: "resolved"}
RULING = {0: "none", 1: "uphold", 2: "transfer", 3: "revoke"}


# --- logs -----------------------------------------------------------------------------------


@dataclass
class ChainLog:
    """One decoded event with where it was mined."""

    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    _time: int | None = field(default=None, repr=False)

    def block_time(self, chain: Chain) -> int:
        """Unix seconds of the block that holds this log."""
        if self._time is None:
            block = chain.rpc.call("eth_getBlockByHash", [self.block_hash, False])
            self._time = int(block["timestamp"], 16)
        return self._time


def _topic(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    if isinstance(value, (bytes, bytearray)):
        if len(value) > 32:
            raise ValueError("indexed value longer than 32 bytes")
        return "0x" + bytes(value).rjust(32, b"\x00").hex()
    if isinstance(value, str) and value.startswith("0x"):
        return "0x" + bytes.fromhex(value[2:]).rjust(32, b"\x00").hex()
    raise TypeError(f"cannot use {value!r} as an event topic")


def find_logs(chain: Chain, contract: str, event: str, *indexed: Any, to_block: int | str = "latest") -> list[ChainLog]:
    """Events `event` of deployed `contract` whose indexed arguments equal `indexed` (in
    declaration order; None matches any), from the contract's deployment block, oldest first."""
    ev = load_artifact(contract).abi.events[event]
    address = chain.contract(contract).address  # ManifestError when not deployed
    deployed = chain.manifest.contracts.get(contract) if chain.manifest else None
    topics: list[str | None] = ["0x" + ev.topic0.hex(), *(_topic(v) for v in indexed)]
    while topics and topics[-1] is None:
        topics.pop()
    first = deployed.block if deployed else 0
    last = to_block if isinstance(to_block, int) else int(chain.rpc.call("eth_getBlockByNumber", [to_block, False])["number"], 16)
    out = []
    # split into ranges the node accepts (Besu: --rpc-max-logs-range, 5,000 blocks by default)
    for log in get_logs(chain.rpc, {"address": address, "topics": topics}, first, last):
        raw_topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        out.append(
            ChainLog(
                name=event,
                args=ev.decode(raw_topics, bytes.fromhex(log["data"][2:])),
                block_number=int(log["blockNumber"], 16),
                block_hash=log["blockHash"],
                tx_hash=log["transactionHash"],
                log_index=int(log["logIndex"], 16),
            )
        )
    out.sort(key=lambda lg: (lg.block_number, lg.log_index))
    return out


def iscc_from_chain(code: bytes) -> str:
    """The "ISCC:..." string of the raw ISCC bytes kept in WorkRegistered."""
    return "ISCC:" + ic.encode_base32(bytes(code))


# --- the answer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Payee:
    account: str
    bps: int  # basis points of the holder side (sum 10,000)


@dataclass(frozen=True)
class AttachedTerms:
    """Terms attached to the work; `price` in fen, periods in seconds."""

    terms_id: int
    offer_id: int
    state: str  # enabled | disabled
    kind: str
    price: int
    copies: int
    loan_period: int
    max_loans_per_copy: int
    duration: int
    territory: str
    ill_allowed: bool
    fee_bps: int
    legal_text_uri: str


@dataclass(frozen=True)
class DisputeRecord:
    dispute_id: int
    claimant: str
    status: str
    ruling: str
    responded: bool
    opened_at: int  # Unix seconds
    respond_by: int
    resolved_at: int
    beneficiary: str
    evidence_uri: str
    tx_hash: str


@dataclass(frozen=True)
class Verification:
    """What the chain says about a file. `registered` is False for an unknown file, and then
    only `fingerprint` and `as_of_block` are set."""

    fingerprint: Fingerprint
    registered: bool
    as_of_block: int
    work_id: int | None = None
    registrant: str | None = None
    holder: str | None = None
    status: str | None = None
    registration_block: int | None = None
    registration_time: int | None = None  # Unix seconds of the registration block
    registration_tx: str | None = None
    iscc_code: str | None = None  # as registered on chain
    metadata_uri: str | None = None  # current (after any MetadataUpdated)
    payees: tuple[Payee, ...] = ()
    terms: tuple[AttachedTerms, ...] = ()
    disputes: tuple[DisputeRecord, ...] = ()

    @property
    def summary(self) -> str:
        if not self.registered:
            return f"not registered: no work on chain has SHA-256 {self.fingerprint.sha256_hex} (as of block {self.as_of_block})"
        return (
            f"registered as work {self.work_id} by {self.registrant} in block {self.registration_block} "
            f"(tx {self.registration_tx}); status {self.status}"
        )


def verify_file(*, chain: Chain, path: str | os.PathLike[str]) -> Verification:
    """Fingerprint the file at `path` (streamed) and look it up directly on chain.

    Any file can be verified: the lookup is by SHA-256. The ISCC content code is computed when
    the file is readable text (EPUB/PDF/plain text) and left out otherwise, so a damaged copy
    still gets an answer. Raises EmptyDocument for a 0-byte file.
    """
    try:
        fp = fingerprint_file(path)
    except DocumentError:
        fp = fingerprint_file(path, with_content=False)
    return verify_fingerprint(chain=chain, fingerprint=fp)


def verify_fingerprint(*, chain: Chain, fingerprint: Fingerprint) -> Verification:
    """The chain's record of the work with this fingerprint's SHA-256 (see verify_file)."""
    head = chain.block_number()
    works = chain.contract("Works")
    work_id = works.call("workIdOf", fingerprint.sha256, block=head)
    if work_id == 0:
        return Verification(fingerprint=fingerprint, registered=False, as_of_block=head)
    w = works.call("work", work_id, block=head)
    accounts, bps = works.call("payees", work_id, block=head)
    reg = find_logs(chain, "Works", "WorkRegistered", work_id, to_block=head)
    first = reg[0] if reg else None
    uri = first.args["metadataURI"] if first else None
    updates = find_logs(chain, "Works", "MetadataUpdated", work_id, to_block=head)
    if updates:
        uri = updates[-1].args["metadataURI"]
    return Verification(
        fingerprint=fingerprint,
        registered=True,
        as_of_block=head,
        work_id=work_id,
        registrant=first.args["holder"] if first else None,
        holder=w["holder"],
        status=WORK_STATUS.get(w["status"], str(w["status"])),
        registration_block=first.block_number if first else None,
        registration_time=first.block_time(chain) if first else w["registeredAt"],
        registration_tx=first.tx_hash if first else None,
        iscc_code=iscc_from_chain(first.args["isccCode"]) if first else None,
        metadata_uri=uri,
        payees=tuple(Payee(a, b) for a, b in zip(accounts, bps)),
        terms=_attached_terms(chain, work_id, head),
        disputes=_disputes(chain, work_id, head),
    )


def _attached_terms(chain: Chain, work_id: int, head: int) -> tuple[AttachedTerms, ...]:
    lic = chain.contract("Licensing")
    out = []
    for log in find_logs(chain, "Licensing", "TermsAttached", work_id, to_block=head):
        terms_id = log.args["termsId"]
        t, uri = lic.call("terms", terms_id, block=head)
        state = lic.call("offerState", work_id, terms_id, block=head)
        out.append(
            AttachedTerms(
                terms_id=terms_id,
                offer_id=log.args["offerId"],
                state=OFFER_STATE.get(state, str(state)),
                kind=TERMS_KIND.get(t["kind"], str(t["kind"])),
                price=t["price"],
                copies=t["copies"],
                loan_period=t["loanPeriod"],
                max_loans_per_copy=t["maxLoansPerCopy"],
                duration=t["duration"],
                territory=bytes(t["territory"]).decode("ascii", "replace") if any(t["territory"]) else "",
                ill_allowed=t["illAllowed"],
                fee_bps=t["feeBps"],
                legal_text_uri=uri,
            )
        )
    return tuple(out)


def _disputes(chain: Chain, work_id: int, head: int) -> tuple[DisputeRecord, ...]:
    works = chain.contract("Works")
    out = []
    for log in find_logs(chain, "Works", "DisputeOpened", None, work_id, to_block=head):
        d = works.call("dispute", log.args["disputeId"], block=head)
        out.append(
            DisputeRecord(
                dispute_id=log.args["disputeId"],
                claimant=d["claimant"],
                status=DISPUTE_STATUS.get(d["status"], str(d["status"])),
                ruling=RULING.get(d["ruling"], str(d["ruling"])),
                responded=d["responded"],
                opened_at=d["openedAt"],
                respond_by=d["respondBy"],
                resolved_at=d["resolvedAt"],
                beneficiary=d["beneficiary"],
                evidence_uri=log.args["evidenceURI"],
                tx_hash=log.tx_hash,
            )
        )
    return tuple(out)

"""Encrypted digital lending on the chain: work keys, loan packages, opening and tracing copies.

At registration the file is encrypted with a fresh per-work key (rights.sealing, SecretBox) and
only the ciphertext goes into the content store. The plaintext work key is never written
anywhere: the keyring under ``data_dir/keyring`` keeps it *sealed* (SealedBox) to

* the platform's X25519 key — the consortium needs a party that is always online and can
  re-seal the key for each borrowing library at checkout, without asking the publisher;
* the publisher's X25519 key (when it has published one on chain) — the rights holder can
  always recover its own content and move to another operator.

A keyring entry is therefore harmless on its own (useless without one of those private keys)
and may be copied or backed up like the content store.

At delivery (``deliver_loan``) the platform reads the loan from the chain, opens the work key
with its private key, seals it to the borrowing member's X25519 public key as published in
``Consortium.member(account).x25519PublicKey``, and signs a loan stamp (rights.stamp) with its
Ed25519 key. The member opens the package with ``open_loan``: decrypt, then embed the signed
stamp in the copy. The member never holds the platform's signing key, so it cannot forge a
stamp naming another library. ``trace_file`` verifies the stamp of a leaked copy and checks the
loan it names against the chain.

Platform keys: one X25519 key file (rights.sealing format, passphrase protected) holds the
platform's encryption key; the Ed25519 stamp key is derived from it with BLAKE2b under its own
personalisation, so there is one secret to guard and back up. Its public half is written to
``data_dir/keys/platform-stamp.pub`` for verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nacl.encoding
import nacl.hash
import nacl.pwhash
from eth_account.signers.local import LocalAccount
from nacl.signing import SigningKey

from rights.atomic import write_json_atomic
from rights.sealing import (
    MemberKeyPair,
    decrypt_stream,
    generate_member_keypair,
    load_private_key,
    open_content_key,
    save_private_key,
    seal_content_key,
)
from rights.stamp import LoanStamp, embed_stamp_document, extract_and_verify, sign_stamp
from rights.store import ContentStore
from rights.text import EPUB, PDF, TEXT

from .chain import Chain
from .config import Settings
from .errors import ContractRevert, LedgerError

ZERO32 = b"\x00" * 32
LOAN_ACTIVE = 1  # Licensing.LoanStatus.Active
LOAN_STATUS = {0: "none", 1: "active", 2: "returned", 3: "expired"}
_EXTENSIONS = {EPUB: ".epub", PDF: ".pdf", TEXT: ".txt"}
_STAMP_PERSON = b"ll-stamp-ed25519"  # BLAKE2b personalisation (16 bytes) of the stamp key
PACKAGE_KIND = "libledger-loan-package"


# --- errors --------------------------------------------------------------------------------


class DeliveryError(LedgerError):
    """A loan cannot be delivered, opened or traced."""


class EncryptionKeyMissing(DeliveryError):
    def __init__(self, who: str, account: str) -> None:
        self.account = account
        super().__init__(
            f"{who} ({account}) has not published an X25519 encryption key on chain: "
            "run `libledger keys x25519 --member ISIL` for it first"
        )


class WorkKeyMissing(DeliveryError):
    def __init__(self, content_sha256: str) -> None:
        self.content_sha256 = content_sha256
        super().__init__(
            f"no sealed work key for content {content_sha256} in this keyring: "
            "the work was registered without encrypted content, or on another installation"
        )


class LoanNotDeliverable(DeliveryError):
    pass


class LoanUnknown(LoanNotDeliverable):
    pass


# --- platform and member keys -----------------------------------------------------------


@dataclass(frozen=True)
class PlatformKeys:
    """The platform's X25519 key pair (sealing) and the Ed25519 stamp key derived from it."""

    encryption: MemberKeyPair

    @property
    def signing_key(self) -> SigningKey:
        seed = nacl.hash.blake2b(
            self.encryption.private_key, digest_size=32, person=_STAMP_PERSON, encoder=nacl.encoding.RawEncoder
        )
        return SigningKey(seed)

    @property
    def stamp_public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    def __repr__(self) -> str:  # never print private halves
        return f"PlatformKeys(x25519={self.encryption.public_key.hex()})"


def keys_dir(settings: Settings) -> Path:
    return settings.data_path / "keys"


def member_key_path(settings: Settings, institution_id: str) -> Path:
    """Where `libledger keys x25519` keeps the member's encrypted X25519 private key."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", institution_id)
    return keys_dir(settings) / f"{safe}.x25519.json"


def stamp_key_path(settings: Settings) -> Path:
    return keys_dir(settings) / "platform-stamp.pub"


def platform_account(chain: Chain) -> str:
    """The platform operator's account (the consortium's platform treasury)."""
    return chain.contract("Consortium").call("platformTreasury")


def member_encryption_key(chain: Chain, account: str, *, who: str = "member") -> bytes:
    """The 32-byte X25519 public key `account` published on chain; EncryptionKeyMissing if none."""
    key = bytes(chain.contract("Consortium").call("member", account)["x25519PublicKey"])
    if key == ZERO32:
        raise EncryptionKeyMissing(who, account)
    return key


def publish_member_key(
    *,
    chain: Chain,
    member: LocalAccount,
    key_path: str | os.PathLike[str],
    passphrase: str,
    opslimit: int = nacl.pwhash.argon2id.OPSLIMIT_MODERATE,
    memlimit: int = nacl.pwhash.argon2id.MEMLIMIT_MODERATE,  # bytes
) -> MemberKeyPair:
    """Create an X25519 key pair for `member`, save the private key encrypted under `passphrase`
    at `key_path` (refusing to overwrite one), and publish the public key on chain with
    ``Consortium.setEncryptionKey``. The file is written before the transaction so a key that
    the chain names is never lost; on a failed transaction the new file is removed."""
    path = Path(key_path)
    if path.exists():
        raise DeliveryError(f"{path} already exists: move it away first (loans sealed to it need it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    pair = generate_member_keypair()
    save_private_key(path, pair, passphrase, opslimit=opslimit, memlimit=memlimit)
    try:
        chain.contract("Consortium").transact("setEncryptionKey", pair.public_key, sender=member)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return pair


def load_platform_keys(settings: Settings, chain: Chain, passphrase: str) -> PlatformKeys:
    """The platform's keys from its key file (found by its institution id on chain), checked
    against the public key the chain holds."""
    account = platform_account(chain)
    institution = chain.contract("Consortium").call("member", account)["institutionId"]
    pair = load_private_key(member_key_path(settings, institution), passphrase)
    if pair.public_key != member_encryption_key(chain, account, who="the platform"):
        raise DeliveryError("the platform key file does not match the X25519 key published on chain")
    return PlatformKeys(pair)


def write_stamp_public_key(settings: Settings, platform: PlatformKeys) -> Path:
    path = stamp_key_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(platform.stamp_public_key.hex() + "\n")
    return path


def trusted_stamp_keys(settings: Settings) -> list[bytes]:
    """Ed25519 public keys of the platform, one hex key per line of platform-stamp.pub."""
    path = stamp_key_path(settings)
    if not path.exists():
        return []
    return [bytes.fromhex(line.strip()) for line in path.read_text().splitlines() if line.strip()]


# --- keyring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyringEntry:
    """The sealed key of one work's encrypted content. `sealed` maps a recipient role
    ("platform", "publisher") to (X25519 public key hex, sealed key hex)."""

    content_sha256: str  # hex, the on-chain content hash of the plaintext file
    content_cid: str  # CID of the encrypted content in the content store
    media_type: str
    size: int  # plaintext bytes
    publisher: str  # registrant's address
    sealed: dict[str, tuple[str, str]]

    def sealed_for(self, public_key: bytes) -> bytes:
        for pub, box in self.sealed.values():
            if pub == public_key.hex():
                return bytes.fromhex(box)
        raise DeliveryError("the work key is not sealed to this key (was the platform key replaced?)")


class WorkKeyring:
    """Keyring entries, one JSON file per work named by its content SHA-256, written atomically."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @classmethod
    def for_settings(cls, settings: Settings) -> "WorkKeyring":
        return cls(settings.data_path / "keyring")

    def _path(self, content_sha256: str | bytes) -> Path:
        h = content_sha256.hex() if isinstance(content_sha256, (bytes, bytearray)) else content_sha256.removeprefix("0x")
        if not re.fullmatch(r"[0-9a-f]{64}", h):
            raise ValueError("content hash must be 32 bytes / 64 lower-case hex digits")
        return self.directory / f"{h}.json"

    def put(self, entry: KeyringEntry) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._path(entry.content_sha256)
        write_json_atomic(target, asdict(entry), prefix=".entry-", sort_keys=True, indent=1)
        return target

    def get(self, content_sha256: str | bytes) -> KeyringEntry:
        path = self._path(content_sha256)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WorkKeyMissing(path.stem) from None
        raw["sealed"] = {k: tuple(v) for k, v in raw["sealed"].items()}
        return KeyringEntry(**raw)

    def has(self, content_sha256: str | bytes) -> bool:
        return self._path(content_sha256).exists()

    def remove(self, content_sha256: str | bytes) -> None:
        self._path(content_sha256).unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(list(self.directory.glob("*.json"))) if self.directory.exists() else 0


def seal_work_key(content_key: bytes, *, chain: Chain, publisher: str) -> dict[str, tuple[str, str]]:
    """Seal a work key to the platform (required) and to the publisher (when it has a key)."""
    platform_pub = member_encryption_key(chain, platform_account(chain), who="the platform")
    out = {"platform": (platform_pub.hex(), seal_content_key(content_key, platform_pub).hex())}
    try:
        pub = member_encryption_key(chain, publisher, who="the publisher")
    except EncryptionKeyMissing:
        return out
    out["publisher"] = (pub.hex(), seal_content_key(content_key, pub).hex())
    return out


# --- loan packages ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoanPackage:
    """What a borrowing library receives for one digital loan. `sealed_key` opens only with the
    library's X25519 private key; `stamp` is the platform-signed stamp document the opened
    copy will carry; times are Unix seconds."""

    kind: str  # "loan" (a digital loan of Licensing) or "ill" (digital interlibrary loan; loan_id = request id)
    loan_id: int
    licence_id: int
    work_id: int
    library: str  # borrowing member's address
    library_isil: str
    content_cid: str
    content_sha256: str  # hex
    media_type: str
    due_at: int
    sealed_key: bytes
    stamp: bytes

    def to_json(self) -> bytes:
        d: dict[str, Any] = asdict(self)
        d["sealed_key"] = base64.b64encode(self.sealed_key).decode()
        d["stamp"] = self.stamp.decode("utf-8")
        return json.dumps({"package": PACKAGE_KIND, "version": 1, **d}, sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> "LoanPackage":
        try:
            d = json.loads(data)
            if d.pop("package", None) != PACKAGE_KIND or d.pop("version", None) != 1:
                raise ValueError("not a libledger loan package")
            d["sealed_key"] = base64.b64decode(d["sealed_key"])
            d["stamp"] = d["stamp"].encode("utf-8")
            return cls(**d)
        except (ValueError, TypeError, KeyError) as exc:
            raise DeliveryError(f"the loan package is unreadable: {exc}") from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        p.write_bytes(self.to_json())
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "LoanPackage":
        try:
            return cls.from_json(Path(path).read_bytes())
        except FileNotFoundError:
            raise DeliveryError(f"no loan package at {path}") from None


def stamp_loan_id(kind: str, loan_id: int) -> str:
    """The loan reference written into stamps: "loan:42" (a digital loan) or "ill:42"."""
    return f"{kind}:{loan_id}"


def parse_stamp_loan_id(value: str) -> tuple[str, int]:
    kind, _, num = value.partition(":")
    if kind not in ("loan", "ill") or not num.isdigit():
        raise DeliveryError(f"the stamp names an unknown loan reference {value!r}")
    return kind, int(num)


ILL_LOANED = 6  # InterlibraryLoan.Status.Loaned
ILL_STATUS = {
    0: "none", 1: "request received", 2: "expect to supply", 3: "will supply", 4: "retry possible",
    5: "unfilled", 6: "loaned", 7: "overdue", 8: "recalled", 9: "cancelled",
    10: "completed without return", 11: "copy completed", 12: "loan completed",
}


@dataclass(frozen=True)
class _LoanFacts:
    licence_id: int
    library: str  # who receives the copy
    due_at: int
    status: str
    deliverable: bool
    parties: tuple[str, ...]  # libraries a stamp of this loan may name


def _loan_facts(chain: Chain, kind: str, loan_id: int) -> _LoanFacts:
    """The loan as the chain has it; LoanNotDeliverable when unknown or not a digital loan."""
    if kind == "loan":
        try:
            loan = chain.contract("Licensing").call("loan", loan_id)
        except ContractRevert as exc:
            raise LoanUnknown(f"loan {loan_id} does not exist on chain ({exc.error_name})") from None
        status = LOAN_STATUS.get(loan["status"], str(loan["status"]))
        return _LoanFacts(loan["licenceId"], loan["library_"], loan["dueAt"], status, loan["status"] == LOAN_ACTIVE, (loan["library_"],))
    if kind == "ill":
        try:
            r = chain.contract("InterlibraryLoan").call("request", loan_id)
        except ContractRevert as exc:
            raise LoanUnknown(f"ILL request {loan_id} does not exist on chain ({exc.error_name})") from None
        if r["licenceId"] == 0:
            raise LoanNotDeliverable(f"ILL request {loan_id} is for a physical item, not a digital copy")
        status = ILL_STATUS.get(r["status"], str(r["status"]))
        # the copy goes to the current borrower (the requester, or the library it was forwarded to)
        return _LoanFacts(r["licenceId"], r["borrower"], r["dueDate"], status, r["status"] == ILL_LOANED, (r["requester"], r["borrower"]))
    raise ValueError(f"unknown loan kind {kind!r} (loan or ill)")


def deliver_loan(
    *,
    chain: Chain,
    loan_id: int,
    keyring: WorkKeyring,
    platform: PlatformKeys,
    kind: str = "loan",
    issued_at: int | None = None,
) -> LoanPackage:
    """Package a digital loan for its borrowing library.

    `kind` "loan" is a digital loan of Licensing (must be active); "ill" a digital interlibrary loan, where
    `loan_id` is the InterlibraryLoan request id (must be Loaned; the copy goes to the current
    borrower). Reads loan, licence and work from the chain, opens the work key with the
    platform's key, seals it to the library's X25519 key published in Consortium and signs the
    loan stamp. `issued_at` (Unix seconds) defaults to now.
    Raises LoanNotDeliverable, EncryptionKeyMissing or WorkKeyMissing.
    """
    facts = _loan_facts(chain, kind, loan_id)
    what = "loan" if kind == "loan" else "ILL request"
    if not facts.deliverable:
        raise LoanNotDeliverable(f"{what} {loan_id} is {facts.status}; only a current loan can be delivered")
    work_id = chain.contract("Licensing").call("licence", facts.licence_id)["workId"]
    content_hash = bytes(chain.contract("Works").call("work", work_id)["contentHash"])
    member = chain.contract("Consortium").call("member", facts.library)
    library_key = member_encryption_key(chain, facts.library, who=f"library {member['institutionId']}")
    entry = keyring.get(content_hash)
    work_key = open_content_key(entry.sealed_for(platform.encryption.public_key), platform.encryption.private_key)
    stamp = LoanStamp(
        loan_id=stamp_loan_id(kind, loan_id),
        licence_id=str(facts.licence_id),
        library_isil=member["institutionId"],
        issued_at=int(time.time()) if issued_at is None else issued_at,
        content_sha256=content_hash.hex(),
    )
    return LoanPackage(
        kind=kind,
        loan_id=loan_id,
        licence_id=facts.licence_id,
        work_id=work_id,
        library=facts.library,
        library_isil=member["institutionId"],
        content_cid=entry.content_cid,
        content_sha256=content_hash.hex(),
        media_type=entry.media_type,
        due_at=facts.due_at,
        sealed_key=seal_content_key(work_key, library_key),
        stamp=sign_stamp(stamp, platform.signing_key),
    )


def open_loan(
    package: LoanPackage,
    member_private_key: bytes | MemberKeyPair,
    store: ContentStore,
    *,
    dest: str | os.PathLike[str] | None = None,
) -> Path:
    """Decrypt the loan's content with the member's X25519 private key and write a stamped copy
    to `dest` (default: ./loan-<id>.<ext>). Returns the copy's path (for formats without
    embedded metadata the stamp goes to a sidecar next to it).

    Raises NotForThisMember (another member's key), DecryptionFailed / ContentCorrupted (bad
    content), DeliveryError (content is not the loaned work).
    """
    private = member_private_key.private_key if isinstance(member_private_key, MemberKeyPair) else member_private_key
    work_key = open_content_key(package.sealed_key, private)
    target = Path(dest) if dest is not None else Path.cwd() / f"loan-{package.loan_id}{_EXTENSIONS.get(package.media_type, '.bin')}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".open-") as tmp:
        sealed_path, plain_path = Path(tmp) / "sealed", Path(tmp) / "plain"
        with sealed_path.open("wb") as out, store.open(package.content_cid) as chunks:
            for chunk in chunks:  # the CID is verified when the last chunk is read
                out.write(chunk)
        with sealed_path.open("rb") as src, plain_path.open("wb") as out:
            decrypt_stream(src, out, work_key)
        if _sha256_file(plain_path) != package.content_sha256:
            raise DeliveryError("the decrypted content is not the work this loan is for")
        embed_stamp_document(plain_path, target, package.stamp)
    return target


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


# --- tracing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanTrace:
    """A leaked copy's stamp and what the chain says about the loan it names.

    `confirmed` is True when the loan exists on chain with the stamp's licence and library;
    otherwise `problems` says what differs. Block and time are those of the checkout."""

    stamp: LoanStamp
    kind: str
    loan_id: int
    confirmed: bool
    problems: tuple[str, ...] = ()
    library: str | None = None  # address of the borrowing member on chain
    library_name: str | None = None
    loan_status: str | None = None
    due_at: int | None = None
    work_id: int | None = None
    checkout_block: int | None = None
    checkout_tx: str | None = None
    checkout_time: int | None = None


def trace_file(*, chain: Chain, path: str | os.PathLike[str], trusted_keys: list[bytes]) -> LoanTrace:
    """Extract and verify the loan stamp of `path` (StampMissing / StampInvalid otherwise) and
    look the loan it names up on chain (a digital loan of Licensing, or a digital ILL request)."""
    stamp = extract_and_verify(path, trusted_keys)
    kind, loan_id = parse_stamp_loan_id(stamp.loan_id)
    try:
        facts = _loan_facts(chain, kind, loan_id)
    except LoanUnknown:
        what = "loan" if kind == "loan" else "ILL request"
        return LoanTrace(stamp, kind, loan_id, False, (f"{what} {loan_id} does not exist on this chain",))
    except LoanNotDeliverable as exc:  # e.g. an ILL request for a physical item
        return LoanTrace(stamp, kind, loan_id, False, (str(exc),))
    problems: list[str] = []
    isils = {}
    for party in facts.parties:
        isils[party] = chain.contract("Consortium").call("member", party)
    named = next((a for a, m in isils.items() if m["institutionId"] == stamp.library_isil), None)
    if str(facts.licence_id) != stamp.licence_id:
        problems.append(f"the chain records licence {facts.licence_id} for this loan, the stamp {stamp.licence_id}")
    if named is None:
        recorded = " / ".join(dict.fromkeys(m["institutionId"] for m in isils.values()))
        problems.append(f"the chain records library {recorded} for this loan, the stamp {stamp.library_isil}")
    library = named or facts.library
    work_id = None
    try:
        work_id = chain.contract("Licensing").call("licence", facts.licence_id)["workId"]
        content = bytes(chain.contract("Works").call("work", work_id)["contentHash"]).hex()
        if content != stamp.content_sha256:
            problems.append("the stamp's content is not the work licensed for this loan")
    except ContractRevert:
        problems.append("the loan's licence or work is unknown on chain")
    block, tx, when = _checkout_log(chain, kind, loan_id)
    return LoanTrace(
        stamp=stamp,
        kind=kind,
        loan_id=loan_id,
        confirmed=not problems,
        problems=tuple(problems),
        library=library,
        library_name=isils[library]["name"],
        loan_status=facts.status,
        due_at=facts.due_at,
        work_id=work_id,
        checkout_block=block,
        checkout_tx=tx,
        checkout_time=when,
    )


def _checkout_log(chain: Chain, kind: str, loan_id: int) -> tuple[int | None, str | None, int | None]:
    from .verification import find_logs

    if kind == "loan":
        logs = find_logs(chain, "Licensing", "LoanCheckedOut", loan_id)
    else:
        logs = find_logs(chain, "InterlibraryLoan", "DigitalCopyUsed", loan_id)
    if not logs:
        return None, None, None
    log = logs[0]
    return log.block_number, log.tx_hash, log.block_time(chain)

"""Register a file as a work on chain, and check a file before buying it.

``register_file`` runs the whole registration of issue 7 in an order that leaves nothing
behind when it fails:

1. fingerprint the file, streamed (rights.fingerprint); corrupt, empty and unsupported files
   stop here;
2. refuse an exact duplicate: ``Works.workIdOf(sha256)`` answers directly from the contract;
3. find near duplicates (ISCC Text-Code within ``max_distance`` bits) in the given index;
4. build the canonical metadata record and encrypt the file with a fresh work key into a
   temporary file, sealing the key to the platform and the publisher (ledger.delivery);
5. simulate ``registerWork`` (eth_call) so bad payees, a missing role or a duplicate that
   appeared meanwhile fail before anything is stored;
6. store the encrypted content and the record, write the keyring entry, send the transaction;
7. only then pin the content and add the work to the index.

If step 6 fails (the node went away, or another registrant won a race), what step 6 stored for
this call is removed again: the keyring entry, and content this call added that is still
unpinned (stores without ``discard``, e.g. kubo, keep unpinned content until their own GC).

``check_file`` is the library's "do we already hold this?": exact match on chain plus near
duplicates, with no writes at all.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import iscc_core as ic
from eth_account.signers.local import LocalAccount

from rights.errors import DocumentError, EmptyDocument, UnsupportedMediaType
from rights.fingerprint import Fingerprint, fingerprint_file
from rights.metadata import FileFingerprints, Identifier, WorkMetadata, to_canonical_json
from rights.sealing import encrypt_stream, generate_content_key
from rights.similarity import NearDuplicateIndex
from rights.store import ContentStore, cid_of
from rights.text import PDF, TEXT_MEDIA_TYPES, detect_media_type

from .chain import Chain
from .delivery import KeyringEntry, WorkKeyring, seal_work_key
from .errors import revert_class
from .verification import find_logs

DEFAULT_MAX_DISTANCE = 12  # bits of the 64-bit ISCC Text-Code body

_WorkAlreadyRegistered = revert_class("WorkAlreadyRegistered")


class DuplicateWork(_WorkAlreadyRegistered):
    """The file is already registered on chain (same SHA-256) as `work_id`.

    A subclass of the contract's own ``WorkAlreadyRegistered`` so callers catching the chain's
    error catch this one too."""

    def __init__(self, work_id: int, holder: str | None = None) -> None:
        self.work_id = work_id
        self.holder = holder
        super().__init__({"workId": work_id}, contract="Works")

    def describe(self) -> str:
        by = f" by {self.holder}" if self.holder else ""
        return f"this file is already registered as work {self.work_id}{by}; nothing was registered"


@dataclass(frozen=True)
class NearDuplicate:
    """A registered work whose ISCC Text-Code is within `distance` bits of the file's."""

    work_id: int
    distance: int  # bits


@dataclass(frozen=True)
class Registration:
    """A registered work. CIDs are those of the content store; `metadata_uri` is on chain."""

    work_id: int
    fingerprint: Fingerprint
    metadata_cid: str
    metadata_uri: str
    content_cid: str  # the encrypted content
    near_duplicates: tuple[NearDuplicate, ...]
    tx_hash: str
    block_number: int


@dataclass(frozen=True)
class FileCheck:
    """The answer to "do we already hold this?"."""

    fingerprint: Fingerprint
    existing_work_id: int | None  # exact match (same SHA-256) on chain
    near_duplicates: tuple[NearDuplicate, ...]

    @property
    def held(self) -> bool:
        return self.existing_work_id is not None or bool(self.near_duplicates)


def text_fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """Fingerprints of a registrable file: EPUB, PDF or plain text with readable text.

    Raises EmptyDocument, CorruptDocument or UnsupportedMediaType, each with a clear message.
    """
    media_type = detect_media_type(path)  # EmptyDocument for 0 bytes
    if media_type not in TEXT_MEDIA_TYPES:
        raise UnsupportedMediaType(media_type, str(path))
    fp = fingerprint_file(path)
    if fp.iscc_content is None:
        reason = "the PDF has no text layer (a scan without OCR?)" if media_type == PDF else "it contains no readable text"
        raise EmptyDocument(reason, str(path))
    return fp


def iscc_bytes(code: str) -> bytes:
    """Raw ISCC header + body (10 bytes for a 64-bit code), as registerWork takes it."""
    return ic.decode_base32(code.removeprefix("ISCC:"))


def near_duplicates(index: NearDuplicateIndex | None, fp: Fingerprint, max_distance: int) -> tuple[NearDuplicate, ...]:
    """Works of `index` (keyed by workId as a decimal string) within `max_distance` bits."""
    if index is None or fp.iscc_content is None:
        return ()
    return tuple(NearDuplicate(int(w), d) for w, d in index.near(fp.iscc_content, max_distance))


def index_from_chain(chain: Chain, *, to_block: int | str = "latest") -> NearDuplicateIndex:
    """A near-duplicate index of every work registered on chain with an ISCC Content-Code
    (read from WorkRegistered events; the API builds its index from the mirror instead)."""
    index = NearDuplicateIndex()
    for log in find_logs(chain, "Works", "WorkRegistered", to_block=to_block):
        raw = bytes(log.args["isccCode"])
        try:
            if ic.iscc_decode("ISCC:" + ic.encode_base32(raw))[0] == ic.MT.CONTENT:
                index.add(str(log.args["workId"]), raw[2:10])
        except Exception:  # iscc-core raises several kinds on bytes that are not an ISCC
            continue  # not an ISCC this version understands: no near-duplicate check for it
    return index


def check_file(
    *,
    chain: Chain,
    path: str | os.PathLike[str],
    index: NearDuplicateIndex | None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> FileCheck:
    """Does the consortium already hold this file? Exact match on chain (direct ``workIdOf``)
    and registered works within `max_distance` bits (ISCC Text-Code) from `index`.
    Reads only. Raises EmptyDocument, CorruptDocument or UnsupportedMediaType."""
    fp = text_fingerprint(path)
    work_id = chain.contract("Works").call("workIdOf", fp.sha256)
    near = tuple(n for n in near_duplicates(index, fp, max_distance) if n.work_id != work_id)
    return FileCheck(fingerprint=fp, existing_work_id=work_id or None, near_duplicates=near)


def _identifiers(items: Iterable[Identifier | tuple[str, str]]) -> tuple[Identifier, ...]:
    return tuple(i if isinstance(i, Identifier) else Identifier.of(*i) for i in items)


def register_file(
    *,
    chain: Chain,
    publisher: LocalAccount,
    path: str | os.PathLike[str],
    title: str,
    creators: Sequence[str],
    language: str,
    store: ContentStore,
    keyring: WorkKeyring,
    identifiers: Iterable[Identifier | tuple[str, str]] = (),
    payees: Sequence[str] | None = None,
    bps: Sequence[int] | None = None,
    index: NearDuplicateIndex | None = None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> Registration:
    """Register the file at `path` as a work held by `publisher` (see the module doc for the order).

    `identifiers` are (scheme, value) pairs or Identifier (ISBNs are validated); `payees`
    and `bps` share the holder side in basis points (default: the publisher, 10,000).
    Near duplicates within `max_distance` bits are reported, not refused; the new work is
    added to `index`.

    Raises DuplicateWork (exact duplicate, nothing written), EmptyDocument / CorruptDocument /
    UnsupportedMediaType, MetadataInvalid / InvalidIdentifier, EncryptionKeyMissing (the platform
    has no X25519 key on chain), or the contract's named error (e.g. PayeeSharesNotTenThousand).
    """
    path = Path(path)
    fp = text_fingerprint(path)
    works = chain.contract("Works")
    existing = works.call("workIdOf", fp.sha256)
    if existing:
        raise DuplicateWork(existing, works.call("holderOf", existing))
    near = near_duplicates(index, fp, max_distance)
    consortium = chain.contract("Consortium")
    metadata = to_canonical_json(
        WorkMetadata(
            title=title,
            creators=tuple(creators),
            language=language,
            files=(FileFingerprints.from_fingerprint(fp),),
            identifiers=_identifiers(identifiers),
            publisher=consortium.call("member", publisher.address)["name"] or None,
        )
    )
    payees = list(payees) if payees is not None else [publisher.address]
    bps = list(bps) if bps is not None else [10_000]
    content_key = generate_content_key()
    sealed = seal_work_key(content_key, chain=chain, publisher=publisher.address)
    iscc = iscc_bytes(fp.iscc_content)  # type: ignore[arg-type]  # text_fingerprint guarantees it
    # Everything the contract checks, checked before anything is stored (raises the named error).
    works.call("registerWork", fp.sha256, iscc, "ipfs://" + cid_of(metadata), payees, bps, sender=publisher.address)

    added: list[str] = []
    keyring_written = False
    with tempfile.TemporaryFile() as sealed_content:
        with path.open("rb") as src:
            hashing = _HashingReader(src)
            encrypt_stream(hashing, sealed_content, content_key)
        if hashing.sha256.digest() != fp.sha256:  # what is encrypted must be what is registered
            raise DocumentError(f"{path} changed while it was being registered; nothing was registered")
        sealed_content.seek(0)
        try:
            content_cid = _put(store, sealed_content, added)
            metadata_cid = _put(store, metadata, added)
            keyring.put(
                KeyringEntry(
                    content_sha256=fp.sha256_hex,
                    content_cid=content_cid,
                    media_type=fp.media_type,
                    size=fp.size,
                    publisher=publisher.address,
                    sealed=sealed,
                )
            )
            keyring_written = True
            uri = "ipfs://" + metadata_cid
            outcome = works.transact("registerWork", fp.sha256, iscc, uri, payees, bps, sender=publisher)
        except BaseException:
            if keyring_written:
                keyring.remove(fp.sha256_hex)
            discard = getattr(store, "discard", None)
            if discard is not None:
                for cid in added:
                    discard(cid)
            raise
    work_id = next(a["workId"] for name, a in works.events(outcome.receipt) if name == "WorkRegistered")
    for cid in (content_cid, metadata_cid):
        store.pin(cid)
    if index is not None:
        index.add(str(work_id), fp.iscc_content)  # type: ignore[arg-type]
    return Registration(
        work_id=work_id,
        fingerprint=fp,
        metadata_cid=metadata_cid,
        metadata_uri=uri,
        content_cid=content_cid,
        near_duplicates=near,
        tx_hash=outcome.tx_hash or "",
        block_number=outcome.block_number or 0,
    )


class _HashingReader:
    """A binary reader that hashes what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.sha256.update(data)
        return data


def _put(store: ContentStore, data, added: list[str]) -> str:
    """store.put, remembering CIDs this call added (not those the store already held)."""
    if isinstance(data, (bytes, bytearray)):
        cid = cid_of(bytes(data))
        if store.has(cid):
            return cid
        cid = store.put(data)
        added.append(cid)
        return cid
    cid = store.put(data)  # a stream: its CID is known only after reading it
    added.append(cid)  # fresh random nonce prefix: this ciphertext cannot have been stored before
    return cid

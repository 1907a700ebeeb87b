"""Leak tracing: an Ed25519-signed loan stamp embedded in every delivered copy.

The stamp names the loan, licence and borrowing library (ISIL), the time of delivery and the
SHA-256 of the file as it was before stamping (the registered master). It is stored as
canonical JSON  {"sig": hex, "signer": hex, "stamp": {...}}  where the signature covers
b"libledger-loan-stamp-v1\\x00" + canonical JSON of "stamp" (domain-separated so the key
cannot be tricked into signing a stamp through another protocol).

Where it goes:
  EPUB   an extra file META-INF/libledger-loan-stamp.json inside the ZIP (OCF lets
         META-INF hold extra files; reading systems ignore it). `mimetype` stays first
         and stored, so the copy is still a valid EPUB.
  PDF    a custom document-information entry /LibledgerLoanStamp (written with pypdf).
  other  a sidecar file "<name>.stamp.json" next to the delivered copy; the file itself is
         unchanged, so for sidecars the content SHA-256 is checked too.

A stamp in the file's metadata can be stripped by someone who knows where it is; it is a
tracing aid for copies that leak as delivered, not a robust watermark.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import nacl.exceptions
from nacl.signing import SigningKey, VerifyKey

from rights.atomic import atomic_path
from rights.errors import StampInvalid, StampMissing
from rights.text import EPUB, PDF, detect_media_type

EPUB_STAMP_ENTRY = "META-INF/libledger-loan-stamp.json"
PDF_STAMP_KEY = "/LibledgerLoanStamp"
SIDECAR_SUFFIX = ".stamp.json"
_DOMAIN = b"libledger-loan-stamp-v1\x00"
_ISIL_RE = re.compile(r"^[A-Za-z]{1,4}-[A-Za-z0-9:/\-]{1,11}$")  # ISO 15511, max 16 chars


@dataclass(frozen=True)
class LoanStamp:
    """Who received this copy. `issued_at` is Unix time in seconds (UTC);
    `content_sha256` is the hex SHA-256 of the file before stamping."""

    loan_id: str
    licence_id: str
    library_isil: str
    issued_at: int
    content_sha256: str

    def __post_init__(self) -> None:
        if not self.loan_id or not self.licence_id:
            raise ValueError("loan_id and licence_id are required")
        if not _ISIL_RE.fullmatch(self.library_isil):
            raise ValueError(f"{self.library_isil!r} is not an ISIL (e.g. 'DE-101', 'CN-100000-X')")
        if not isinstance(self.issued_at, int) or self.issued_at < 0:
            raise ValueError("issued_at must be Unix seconds")
        if not re.fullmatch(r"[0-9a-f]{64}", self.content_sha256):
            raise ValueError("content_sha256 must be 64 lower-case hex digits")


@dataclass(frozen=True)
class VerifiedStamp:
    stamp: LoanStamp
    signer: bytes  # the Ed25519 public key that signed it


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_stamp(stamp: LoanStamp, signing_key: SigningKey) -> bytes:
    """The signed stamp document (canonical JSON bytes)."""
    body = asdict(stamp)
    sig = signing_key.sign(_DOMAIN + _canonical(body)).signature
    return _canonical({"sig": sig.hex(), "signer": bytes(signing_key.verify_key).hex(), "stamp": body})


def verify_stamp_document(doc: bytes, trusted_keys: Iterable[bytes], *, where: str = "file") -> VerifiedStamp:
    """Check a signed stamp document against the trusted platform keys (32-byte Ed25519)."""
    try:
        obj = json.loads(doc.decode("utf-8"))
        body = obj["stamp"]
        signer = bytes.fromhex(obj["signer"])
        sig = bytes.fromhex(obj["sig"])
        stamp = LoanStamp(**body)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StampInvalid(where, f"the stamp is malformed ({exc})") from exc
    trusted = {bytes(k) for k in trusted_keys}
    if signer not in trusted:
        raise StampInvalid(where, "it is not signed by a trusted libledger platform key")
    try:
        VerifyKey(signer).verify(_DOMAIN + _canonical(body), sig)
    except (nacl.exceptions.BadSignatureError, ValueError, nacl.exceptions.CryptoError):
        raise StampInvalid(where, "the signature does not match (the stamp was altered)") from None
    return VerifiedStamp(stamp, signer)


def new_stamp(*, loan_id: str, licence_id: str, library_isil: str, source: str | os.PathLike[str], issued_at: int | None = None) -> LoanStamp:
    """A stamp for delivering `source`; hashes it in 1 MiB chunks."""
    sha = hashlib.sha256()
    with open(source, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return LoanStamp(loan_id, licence_id, library_isil, int(time.time()) if issued_at is None else issued_at, sha.hexdigest())


def stamp_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], stamp: LoanStamp, signing_key: SigningKey) -> Path:
    """Write a stamped copy of `src` to `dst` (EPUB/PDF embedded, otherwise dst + sidecar).

    Returns the path that carries the stamp (dst, or the sidecar for other formats).
    """
    return embed_stamp_document(src, dst, sign_stamp(stamp, signing_key))


def embed_stamp_document(src: str | os.PathLike[str], dst: str | os.PathLike[str], doc: bytes) -> Path:
    """Write a copy of `src` to `dst` carrying an already signed stamp document (see
    sign_stamp). Lets the platform sign at delivery while the member's machine, which must
    never hold the platform key, embeds the stamp after decrypting. Returns as stamp_file."""
    src, dst = Path(src), Path(dst)
    media_type = detect_media_type(src)
    if media_type == EPUB:
        _write_atomic(dst, lambda tmp: _stamp_epub(src, tmp, doc))
        return dst
    if media_type == PDF:
        _write_atomic(dst, lambda tmp: _stamp_pdf(src, tmp, doc))
        return dst
    _write_atomic(dst, lambda tmp: shutil.copyfile(src, tmp))
    sidecar = dst.with_name(dst.name + SIDECAR_SUFFIX)
    _write_atomic(sidecar, lambda tmp: Path(tmp).write_bytes(doc))
    return sidecar


def extract_and_verify(path: str | os.PathLike[str], trusted_keys: Iterable[bytes]) -> LoanStamp:
    """Find the loan stamp of a delivered copy and verify it.

    Raises StampMissing if there is none, StampInvalid if it is malformed, altered, signed by
    an untrusted key, or (sidecar only) the file no longer matches the stamped SHA-256.
    """
    p = Path(path)
    sidecar = p.with_name(p.name + SIDECAR_SUFFIX)
    media_type = detect_media_type(p)
    if media_type == EPUB:
        doc = _read_epub_stamp(p)
    elif media_type == PDF:
        doc = _read_pdf_stamp(p)
    else:
        doc = sidecar.read_bytes() if sidecar.exists() else None
    if doc is None:
        raise StampMissing(str(p))
    verified = verify_stamp_document(doc, trusted_keys, where=str(p))
    if media_type not in (EPUB, PDF):
        sha = hashlib.sha256()
        with p.open("rb") as f:
            while chunk := f.read(1 << 20):
                sha.update(chunk)
        if sha.hexdigest() != verified.stamp.content_sha256:
            raise StampInvalid(str(p), "the file does not match the copy the stamp was issued for")
    return verified.stamp


# --- formats ---------------------------------------------------------------------------


def _stamp_epub(src: Path, out: str, doc: bytes) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        names = zin.namelist()
        if "mimetype" in names:  # OCF: first, uncompressed
            zout.writestr(zin.getinfo("mimetype"), zin.read("mimetype"), compress_type=zipfile.ZIP_STORED)
        for info in zin.infolist():
            if info.filename in ("mimetype", EPUB_STAMP_ENTRY):
                continue
            with zin.open(info) as fin, zout.open(info, "w") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        zout.writestr(EPUB_STAMP_ENTRY, doc, compress_type=zipfile.ZIP_DEFLATED)


def _read_epub_stamp(p: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(p) as z:
            return z.read(EPUB_STAMP_ENTRY)
    except KeyError:
        return None
    except zipfile.BadZipFile as exc:
        raise StampInvalid(str(p), "the EPUB container is damaged") from exc


def _stamp_pdf(src: Path, out: str, doc: bytes) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(src))
    writer.add_metadata({PDF_STAMP_KEY: doc.decode("utf-8")})
    with open(out, "wb") as f:
        writer.write(f)


def _read_pdf_stamp(p: Path) -> bytes | None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        meta = PdfReader(str(p), strict=False).metadata
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise StampInvalid(str(p), "the PDF is damaged") from exc
    value = meta.get(PDF_STAMP_KEY) if meta else None
    return None if value is None else str(value).encode("utf-8")


def _write_atomic(target: Path, write) -> None:
    with atomic_path(target, prefix=".stamp-") as tmp:
        write(str(tmp))

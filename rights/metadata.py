"""Work metadata record: canonical JSON bytes stored in the content store, CID on chain.

Canonical form: UTF-8, object keys sorted, no insignificant whitespace, no NaN/floats
(every number is an integer), absent optional fields omitted. Two parties building the
same record get the same bytes and so the same CID. Parsing checks the schema and, by
default, that the bytes are already canonical (a record whose bytes differ from its
canonical form would have a different CID than the one it claims).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from rights.errors import InvalidIdentifier, MetadataInvalid

SCHEMA = "libledger/work-metadata@1"

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # BCP 47, shallow check
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_ISCC_RE = re.compile(r"^ISCC:[A-Z2-7]{10,}$")


def normalize_isbn(value: str) -> str:
    """Validate an ISBN-10 or ISBN-13 and return it as 13 digits without hyphens."""
    raw = value
    s = re.sub(r"[\s-]", "", value).upper()
    if s.startswith("ISBN"):
        s = s[4:].lstrip(":")
    if len(s) == 10:
        if not re.fullmatch(r"\d{9}[\dX]", s):
            raise InvalidIdentifier("ISBN", raw, "an ISBN-10 has 9 digits and a check digit 0-9 or X")
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(s))
        if total % 11:
            raise InvalidIdentifier("ISBN", raw, "check digit is wrong (mistyped?)")
        s = "978" + s[:9]
        return s + _isbn13_check(s)
    if len(s) == 13:
        if not s.isdigit():
            raise InvalidIdentifier("ISBN", raw, "an ISBN-13 has 13 digits")
        if not s.startswith(("978", "979")):
            raise InvalidIdentifier("ISBN", raw, "an ISBN-13 starts with 978 or 979")
        if _isbn13_check(s[:12]) != s[12]:
            raise InvalidIdentifier("ISBN", raw, "check digit is wrong (mistyped?)")
        return s
    raise InvalidIdentifier("ISBN", raw, "an ISBN has 10 or 13 digits")


def _isbn13_check(first12: str) -> str:
    total = sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def normalize_issn(value: str) -> str:
    """Validate an ISSN and return it as NNNN-NNNC."""
    s = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"\d{7}[\dX]", s):
        raise InvalidIdentifier("ISSN", value, "an ISSN has 7 digits and a check digit 0-9 or X")
    total = sum((8 - i) * int(c) for i, c in enumerate(s[:7]))
    check = (11 - total % 11) % 11
    if s[7] != ("X" if check == 10 else str(check)):
        raise InvalidIdentifier("ISSN", value, "check digit is wrong (mistyped?)")
    return s[:4] + "-" + s[4:]


_IDENTIFIER_NORMALIZERS = {"isbn": normalize_isbn, "issn": normalize_issn}


@dataclass(frozen=True)
class Identifier:
    """A typed identifier; scheme is lower case ("isbn", "issn", "doi", "oclc", ...)."""

    scheme: str
    value: str

    @classmethod
    def of(cls, scheme: str, value: str) -> Identifier:
        scheme = scheme.strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", scheme):
            raise MetadataInvalid(f"identifier scheme {scheme!r} is not a short lower-case name")
        norm = _IDENTIFIER_NORMALIZERS.get(scheme)
        value = norm(value) if norm else value.strip()
        if not value:
            raise MetadataInvalid(f"{scheme} identifier is empty")
        return cls(scheme, value)


@dataclass(frozen=True)
class FileFingerprints:
    """The fingerprints of one file of the work (see rights.fingerprint.Fingerprint)."""

    sha256: str
    iscc_data: str
    iscc_instance: str
    size: int  # bytes
    media_type: str
    iscc_content: str | None = None

    @classmethod
    def from_fingerprint(cls, fp: Any) -> FileFingerprints:
        return cls(fp.sha256_hex, fp.iscc_data, fp.iscc_instance, fp.size, fp.media_type, fp.iscc_content)


@dataclass(frozen=True)
class WorkMetadata:
    """Metadata of a registered work. `licence` is a short summary (terms live on chain)."""

    title: str
    creators: tuple[str, ...]
    language: str
    files: tuple[FileFingerprints, ...]
    identifiers: tuple[Identifier, ...] = ()
    publisher: str | None = None
    licence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _validate(m: WorkMetadata) -> None:
    if not isinstance(m.title, str) or not m.title.strip():
        raise MetadataInvalid("title is required")
    if not m.creators or not all(isinstance(c, str) and c.strip() for c in m.creators):
        raise MetadataInvalid("at least one creator is required, and names cannot be empty")
    if not isinstance(m.language, str) or not _LANG_RE.fullmatch(m.language):
        raise MetadataInvalid(f"language {m.language!r} is not a language tag such as 'en' or 'zh-Hans'")
    if not m.files:
        raise MetadataInvalid("at least one file fingerprint is required")
    for f in m.files:
        if not _SHA256_RE.fullmatch(f.sha256):
            raise MetadataInvalid(f"sha256 {f.sha256!r} is not 64 lower-case hex digits")
        for name in ("iscc_data", "iscc_instance") + (("iscc_content",) if f.iscc_content else ()):
            if not _ISCC_RE.fullmatch(getattr(f, name)):
                raise MetadataInvalid(f"{name} {getattr(f, name)!r} is not an ISCC code")
        if not isinstance(f.size, int) or isinstance(f.size, bool) or f.size < 0:
            raise MetadataInvalid("file size must be a non-negative whole number of bytes")
        if not re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", f.media_type):
            raise MetadataInvalid(f"media type {f.media_type!r} is not valid")
    for i in m.identifiers:
        if Identifier.of(i.scheme, i.value) != i:
            raise MetadataInvalid(f"identifier {i.scheme}:{i.value} is not normalised; build it with Identifier.of")
    if len({(i.scheme, i.value) for i in m.identifiers}) != len(m.identifiers):
        raise MetadataInvalid("duplicate identifier")
    _check_json_value(m.licence, "licence")


def _check_json_value(v: Any, where: str) -> None:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return
    if isinstance(v, int):
        return
    if isinstance(v, float):
        raise MetadataInvalid(f"{where}: numbers must be whole (use minor units), got {v!r}")
    if isinstance(v, list):
        for i, x in enumerate(v):
            _check_json_value(x, f"{where}[{i}]")
        return
    if isinstance(v, dict):
        for k, x in v.items():
            if not isinstance(k, str):
                raise MetadataInvalid(f"{where}: keys must be strings")
            _check_json_value(x, f"{where}.{k}")
        return
    raise MetadataInvalid(f"{where}: {type(v).__name__} cannot be stored")


def to_dict(m: WorkMetadata) -> dict[str, Any]:
    files = []
    for f in m.files:
        d: dict[str, Any] = {
            "sha256": f.sha256,
            "iscc_data": f.iscc_data,
            "iscc_instance": f.iscc_instance,
            "size": f.size,
            "media_type": f.media_type,
        }
        if f.iscc_content:
            d["iscc_content"] = f.iscc_content
        files.append(d)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "title": _nfc(m.title),
        "creators": [_nfc(c) for c in m.creators],
        "language": m.language,
        "files": files,
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in m.identifiers],
        "licence": m.licence,
    }
    if m.publisher is not None:
        out["publisher"] = _nfc(m.publisher)
    return out


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8 (not ASCII-escaped)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def to_canonical_json(m: WorkMetadata) -> bytes:
    """The record as canonical JSON bytes (what is stored and addressed by CID)."""
    return canonical_json(to_dict(m))


def from_canonical_json(data: bytes, *, require_canonical: bool = True) -> WorkMetadata:
    """Parse and validate a record. Raises MetadataInvalid (or InvalidIdentifier)."""
    try:
        text = data.decode("utf-8")
        obj = json.loads(text, parse_float=_reject_float, parse_constant=_reject_float)
    except UnicodeDecodeError as exc:
        raise MetadataInvalid("record is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise MetadataInvalid(f"record is not JSON ({exc.msg} at byte {exc.pos})") from exc
    if not isinstance(obj, dict):
        raise MetadataInvalid("record must be a JSON object")
    if obj.get("schema") != SCHEMA:
        raise MetadataInvalid(f"unknown schema {obj.get('schema')!r} (expected {SCHEMA})")
    known = {"schema", "title", "creators", "language", "files", "identifiers", "licence", "publisher"}
    extra = set(obj) - known
    if extra:
        raise MetadataInvalid(f"unknown field(s): {', '.join(sorted(extra))}")
    try:
        files = tuple(
            FileFingerprints(
                sha256=f["sha256"],
                iscc_data=f["iscc_data"],
                iscc_instance=f["iscc_instance"],
                size=f["size"],
                media_type=f["media_type"],
                iscc_content=f.get("iscc_content"),
            )
            for f in obj["files"]
        )
        idents = tuple(Identifier.of(i["scheme"], i["value"]) for i in obj.get("identifiers", []))
        m = WorkMetadata(
            title=obj["title"],
            creators=tuple(obj["creators"]),
            language=obj["language"],
            files=files,
            identifiers=idents,
            publisher=obj.get("publisher"),
            licence=obj.get("licence", {}),
        )
    except (KeyError, TypeError) as exc:
        raise MetadataInvalid(f"missing or malformed field {exc}") from exc
    if require_canonical and to_canonical_json(m) != data:
        raise MetadataInvalid("record bytes are not in canonical form")
    return m


def _reject_float(s: str) -> Any:
    raise MetadataInvalid(f"numbers must be whole, got {s}")

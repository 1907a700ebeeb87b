"""Errors raised by the content side of rights/ (fingerprints, store, sealing, stamps).

Messages are written for a librarian at a desk, not for a developer: they say what is
wrong with the file or the request and, where there is one, what to do next.
"""

from __future__ import annotations


class RightsError(Exception):
    """Base class for every error raised by rights/ content handling."""


# --- documents -----------------------------------------------------------------------


class DocumentError(RightsError):
    """A file could not be read as the document it claims to be."""


class UnsupportedMediaType(DocumentError):
    def __init__(self, media_type: str, path: str | None = None) -> None:
        self.media_type = media_type
        self.path = path
        where = f" ({path})" if path else ""
        super().__init__(
            f"This file type is not supported for text fingerprinting{where}: {media_type}. "
            "Supported: EPUB, PDF and plain text."
        )


class CorruptDocument(DocumentError):
    def __init__(self, kind: str, detail: str, path: str | None = None) -> None:
        self.kind = kind
        self.detail = detail
        self.path = path
        where = f" {path}" if path else ""
        super().__init__(f"The {kind} file{where} is damaged or not a valid {kind}: {detail}")


class EmptyDocument(DocumentError):
    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        where = f" {path}" if path else ""
        super().__init__(f"The file{where} is empty: {reason}")


# --- content store -------------------------------------------------------------------


class StoreError(RightsError):
    """The content store could not complete a request."""


class InvalidCid(StoreError, ValueError):
    def __init__(self, cid: str, detail: str = "") -> None:
        self.cid = cid
        super().__init__(f"Not a valid content identifier (CID): {cid!r}{': ' + detail if detail else ''}")


class ContentNotFound(StoreError, KeyError):
    def __init__(self, cid: str) -> None:
        self.cid = cid
        super().__init__(f"No content with CID {cid} is held in this store")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class ContentCorrupted(StoreError):
    def __init__(self, cid: str, detail: str = "") -> None:
        self.cid = cid
        super().__init__(
            f"Stored content for {cid} does not match its CID (damaged on disk or in transit)"
            + (f": {detail}" if detail else "")
        )


class StoreUnavailable(StoreError):
    """The store (e.g. the kubo node) could not be reached."""


class KuboError(StoreError):
    """kubo answered with an RPC error (`{"Message", "Code", "Type"}` body)."""

    def __init__(self, endpoint: str, status: int, message: str, code: int | None = None) -> None:
        self.endpoint = endpoint
        self.status = status
        self.kubo_message = message
        self.code = code
        super().__init__(f"IPFS node refused {endpoint} (HTTP {status}): {message}")


# --- keys and sealing ------------------------------------------------------------------


class KeyFileError(RightsError):
    """A member key file is missing, unreadable or of an unknown format."""


class WrongPassphrase(KeyFileError):
    def __init__(self, path: str | None = None) -> None:
        where = f" for {path}" if path else ""
        super().__init__(f"Wrong passphrase{where} (or the key file was altered)")


class NotForThisMember(RightsError):
    def __init__(self) -> None:
        super().__init__(
            "This loan key was sealed for another member's key and cannot be opened with yours"
        )


class DecryptionFailed(RightsError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Encrypted content could not be decrypted: {detail}")


# --- metadata ------------------------------------------------------------------------


class MetadataInvalid(RightsError, ValueError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Metadata record is not valid: {detail}")


class InvalidIdentifier(MetadataInvalid):
    def __init__(self, scheme: str, value: str, detail: str) -> None:
        self.scheme = scheme
        self.value = value
        RightsError.__init__(self, f"{scheme} {value!r} is not valid: {detail}")
        self.detail = detail


# --- stamps --------------------------------------------------------------------------


class StampError(RightsError):
    """Base for loan stamp problems."""


class StampMissing(StampError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"No loan stamp found in {path}")


class StampInvalid(StampError):
    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"The loan stamp in {path} is not genuine: {detail}")

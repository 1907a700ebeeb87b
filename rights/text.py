"""Media type detection and text extraction for EPUB, PDF and plain text.

Text is yielded in segments (one per EPUB spine document, PDF page, or ~1 MiB of plain
text) so a caller hashing it never needs the whole text at once. Plain text is decoded as
UTF-8, falling back to GB18030 (the encoding many Chinese library systems export).
EPUB and PDF go through ebooklib and pypdf, which load the container's structure
themselves; plain text is streamed from disk.
"""

from __future__ import annotations

import codecs
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from rights.errors import CorruptDocument, EmptyDocument, UnsupportedMediaType

EPUB = "application/epub+zip"
PDF = "application/pdf"
TEXT = "text/plain"
OCTET_STREAM = "application/octet-stream"

TEXT_MEDIA_TYPES = frozenset({EPUB, PDF, TEXT})

_SNIFF_BYTES = 8192
_TEXT_CHUNK = 1 << 20  # bytes of plain text read per segment
_TEXT_ENCODINGS = ("utf-8", "gb18030")


def detect_media_type(path: str | os.PathLike[str]) -> str:
    """Media type of the file at `path`, from its leading bytes (not its name).

    Returns one of EPUB, PDF, TEXT or OCTET_STREAM. Raises EmptyDocument for a 0-byte file.
    """
    p = Path(path)
    with p.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head:
        raise EmptyDocument("it has 0 bytes", str(p))
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        # EPUB OCF: the first entry is an uncompressed "mimetype" file.
        if head[30:38] == b"mimetype" and b"application/epub+zip" in head[38:100]:
            return EPUB
        try:
            with zipfile.ZipFile(p) as z:
                if z.read("mimetype").strip() == EPUB.encode():
                    return EPUB
        except (zipfile.BadZipFile, KeyError, OSError):
            pass
        return OCTET_STREAM
    if _looks_like_text(head):
        return TEXT
    return OCTET_STREAM


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for enc in _TEXT_ENCODINGS:
        try:
            # final=False: a multi-byte character may be cut at the sniff boundary
            codecs.getincrementaldecoder(enc)().decode(head, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


def iter_text(path: str | os.PathLike[str], media_type: str | None = None) -> Iterator[str]:
    """Yield the readable text of an EPUB, PDF or plain-text file in segments.

    Raises UnsupportedMediaType, CorruptDocument or EmptyDocument (no readable text).
    """
    p = Path(path)
    media_type = media_type or detect_media_type(p)
    if media_type == TEXT:
        segments = _iter_plain_text(p)
    elif media_type == EPUB:
        segments = _iter_epub_text(p)
    elif media_type == PDF:
        segments = _iter_pdf_text(p)
    else:
        raise UnsupportedMediaType(media_type, str(p))
    any_text = False
    for seg in segments:
        if seg.strip():
            any_text = True
        yield seg
    if not any_text:
        what = {PDF: "the PDF has no text layer (a scan without OCR?)"}.get(
            media_type, "it contains no readable text"
        )
        raise EmptyDocument(what, str(p))


def extract_text(path: str | os.PathLike[str], media_type: str | None = None) -> str:
    """The whole readable text of a file (convenience for small files; see iter_text)."""
    return "\n".join(iter_text(path, media_type))


def detect_text_encoding(path: str | os.PathLike[str]) -> str:
    """'utf-8' or 'gb18030': the first encoding that decodes the whole file.

    Reads the file once in 1 MiB chunks. Raises CorruptDocument if neither fits.
    """
    p = Path(path)
    for enc in _TEXT_ENCODINGS:
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with p.open("rb") as f:
                while chunk := f.read(_TEXT_CHUNK):
                    dec.decode(chunk)
            dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise CorruptDocument("text", "it is neither UTF-8 nor GB18030 encoded text", str(p))


def _iter_plain_text(p: Path) -> Iterator[str]:
    enc = detect_text_encoding(p)
    dec = codecs.getincrementaldecoder("utf-8-sig" if enc == "utf-8" else enc)()
    with p.open("rb") as f:
        while chunk := f.read(_TEXT_CHUNK):
            yield dec.decode(chunk)
    tail = dec.decode(b"", final=True)
    if tail:
        yield tail


def _iter_epub_text(p: Path) -> Iterator[str]:
    import ebooklib
    from ebooklib import epub
    from lxml import etree, html

    try:
        book = epub.read_epub(str(p), options={"ignore_ncx": True})
    except Exception as exc:  # ebooklib raises bare KeyError/BadZipFile/EpubException
        raise CorruptDocument("EPUB", _describe(exc), str(p)) from exc
    ids = [item_id for item_id, _linear in book.spine]
    docs = [book.get_item_with_id(i) for i in ids]
    docs = [d for d in docs if d is not None and d.get_type() == ebooklib.ITEM_DOCUMENT]
    if not docs:  # no usable spine: fall back to every XHTML document
        docs = list(book.get_items_of_type(ebooklib.ITEM_DOCUMENT))
    for doc in docs:
        content = doc.get_content()
        if not content or not content.strip():
            continue
        try:
            tree = html.fromstring(content)
        except (etree.ParserError, ValueError) as exc:
            raise CorruptDocument("EPUB", f"chapter {doc.get_name()} is unreadable", str(p)) from exc
        for bad in tree.xpath("//script|//style"):
            bad.drop_tree()
        yield tree.text_content()


def _iter_pdf_text(p: Path) -> Iterator[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(p), strict=False)
        if reader.is_encrypted:
            raise CorruptDocument("PDF", "it is password-protected", str(p))
        pages = reader.pages
        n = len(pages)
    except CorruptDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise CorruptDocument("PDF", _describe(exc), str(p)) from exc
    for i in range(n):
        try:
            yield pages[i].extract_text() or ""
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CorruptDocument("PDF", f"page {i + 1} is unreadable ({_describe(exc)})", str(p)) from exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "it is not a readable ZIP container"
    msg = str(exc).strip() or type(exc).__name__
    return msg[:200]

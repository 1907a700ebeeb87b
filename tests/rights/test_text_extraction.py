"""Text extraction and the errors a librarian sees for bad input."""

from __future__ import annotations

import pytest

from tests.rights.conftest import CHINESE
from rights.errors import CorruptDocument, EmptyDocument, UnsupportedMediaType
from rights.text import EPUB, OCTET_STREAM, PDF, TEXT, detect_media_type, detect_text_encoding, extract_text


def test_media_types_come_from_content_not_name(files, tmp_path):
    disguised = tmp_path / "really-a-pdf.txt"
    disguised.write_bytes(files["pdf"].read_bytes())
    assert detect_media_type(files["epub"]) == EPUB
    assert detect_media_type(disguised) == PDF
    assert detect_media_type(files["txt"]) == TEXT
    assert detect_media_type(files["font"]) == OCTET_STREAM


def test_epub_text_includes_headings_and_chinese(files, book_chapters):
    text = extract_text(files["epub"])
    assert "Chapter One" in text and "Chapter Two" in text
    assert CHINESE in text
    assert book_chapters[0][1].split("\n\n")[0][:60] in text


def test_pdf_text_round_trips_chinese(files):
    text = extract_text(files["pdf"]).replace("\n", "")
    assert CHINESE in text
    assert "Chapter One" in text


def test_gb18030_text_is_decoded(files):
    assert detect_text_encoding(files["txt_gb18030"]) == "gb18030"
    assert detect_text_encoding(files["txt"]) == "utf-8"
    assert CHINESE in extract_text(files["txt_gb18030"])


def test_unsupported_type_names_the_type(files):
    with pytest.raises(UnsupportedMediaType) as exc:
        extract_text(files["font"])
    assert "application/octet-stream" in str(exc.value) and "EPUB, PDF and plain text" in str(exc.value)


def test_corrupt_pdf(files, tmp_path):
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.7\n" + b"\x8f garbage, no objects, no xref \x00" * 40)
    with pytest.raises(CorruptDocument) as exc:
        extract_text(p)
    assert "PDF" in str(exc.value) and "damaged" in str(exc.value)


def test_truncated_pdf(files, tmp_path):
    p = tmp_path / "cut.pdf"
    p.write_bytes(files["pdf"].read_bytes()[:400])
    with pytest.raises((CorruptDocument, EmptyDocument)):
        extract_text(p)


def test_epub_header_without_a_valid_zip(tmp_path):
    p = tmp_path / "fake.epub"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/epub+zip" + b"\xff" * 300)
    with pytest.raises(CorruptDocument, match="EPUB"):
        extract_text(p)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(EmptyDocument, match="0 bytes"):
        extract_text(p)


def test_whitespace_only_text_has_no_readable_text(tmp_path):
    p = tmp_path / "blank.txt"
    p.write_text("   \n\n\t  \n")
    with pytest.raises(EmptyDocument, match="no readable text"):
        extract_text(p)


def test_text_in_neither_encoding(tmp_path):
    p = tmp_path / "latin1.txt"
    # looks like text in the first 8 KiB, then bytes invalid in both UTF-8 and GB18030
    p.write_bytes(b"hello library " * 1000 + b"\x80\xff\xfe")
    with pytest.raises(CorruptDocument, match="neither UTF-8 nor GB18030"):
        extract_text(p)

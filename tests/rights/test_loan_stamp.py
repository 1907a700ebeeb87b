"""Leak tracing: stamped copies name their loan; altered stamps are rejected."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from nacl.signing import SigningKey

from rights.errors import StampInvalid, StampMissing
from rights.stamp import EPUB_STAMP_ENTRY, LoanStamp, extract_and_verify, new_stamp, stamp_file
from rights.text import EPUB, PDF, detect_media_type, extract_text

PLATFORM = SigningKey(bytes(range(32)))
TRUSTED = [bytes(PLATFORM.verify_key)]


def stamp_for(src) -> LoanStamp:
    return new_stamp(loan_id="loan-42", licence_id="lic-7", library_isil="CN-100000-X", source=src, issued_at=1_760_000_000)


@pytest.mark.parametrize("kind", ["epub", "pdf"])
def test_embedded_stamp_round_trip(files, tmp_path, kind):
    src = files[kind]
    out = tmp_path / f"delivered.{kind}"
    stamp = stamp_for(src)
    assert stamp_file(src, out, stamp, PLATFORM) == out
    assert extract_and_verify(out, TRUSTED) == stamp
    assert stamp.content_sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    # the delivered copy is still a readable book of the same type and text
    assert detect_media_type(out) == {"epub": EPUB, "pdf": PDF}[kind]
    assert extract_text(out) == extract_text(src)


def test_stamped_epub_keeps_mimetype_first_and_stored(files, tmp_path):
    out = tmp_path / "d.epub"
    stamp_file(files["epub"], out, stamp_for(files["epub"]), PLATFORM)
    with zipfile.ZipFile(out) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert EPUB_STAMP_ENTRY in z.namelist()


def _rewrite_epub_stamp(path, out, change):
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == EPUB_STAMP_ENTRY:
                data = change(data)
            zout.writestr(info, data)


def test_tampered_epub_stamp_is_rejected(files, tmp_path):
    good = tmp_path / "good.epub"
    stamp_file(files["epub"], good, stamp_for(files["epub"]), PLATFORM)

    def other_library(data: bytes) -> bytes:
        doc = json.loads(data)
        doc["stamp"]["library_isil"] = "DE-101"
        return json.dumps(doc).encode()

    bad = tmp_path / "bad.epub"
    _rewrite_epub_stamp(good, bad, other_library)
    with pytest.raises(StampInvalid, match="altered"):
        extract_and_verify(bad, TRUSTED)

    garbled = tmp_path / "garbled.epub"
    _rewrite_epub_stamp(good, garbled, lambda d: d[:-5])
    with pytest.raises(StampInvalid, match="malformed"):
        extract_and_verify(garbled, TRUSTED)


def test_tampered_pdf_stamp_is_rejected(files, tmp_path):
    from pypdf import PdfReader, PdfWriter

    good = tmp_path / "good.pdf"
    stamp_file(files["pdf"], good, stamp_for(files["pdf"]), PLATFORM)
    doc = json.loads(PdfReader(str(good)).metadata["/LibledgerLoanStamp"])
    doc["stamp"]["loan_id"] = "loan-43"
    w = PdfWriter(clone_from=str(good))
    w.add_metadata({"/LibledgerLoanStamp": json.dumps(doc)})
    bad = tmp_path / "bad.pdf"
    with bad.open("wb") as f:
        w.write(f)
    with pytest.raises(StampInvalid, match="altered"):
        extract_and_verify(bad, TRUSTED)


def test_stamp_signed_by_an_untrusted_key_is_rejected(files, tmp_path):
    out = tmp_path / "d.epub"
    stamp_file(files["epub"], out, stamp_for(files["epub"]), SigningKey.generate())
    with pytest.raises(StampInvalid, match="trusted"):
        extract_and_verify(out, TRUSTED)


def test_missing_stamp(files):
    with pytest.raises(StampMissing):
        extract_and_verify(files["epub"], TRUSTED)
    with pytest.raises(StampMissing):
        extract_and_verify(files["pdf"], TRUSTED)
    with pytest.raises(StampMissing):
        extract_and_verify(files["font"], TRUSTED)


def test_sidecar_for_other_formats(files, tmp_path):
    out = tmp_path / "audio.bin"
    sidecar = stamp_file(files["font"], out, stamp_for(files["font"]), PLATFORM)
    assert sidecar.name == "audio.bin.stamp.json"
    assert out.read_bytes() == files["font"].read_bytes()
    assert extract_and_verify(out, TRUSTED).loan_id == "loan-42"
    out.write_bytes(out.read_bytes() + b"\x00")  # a different file next to the sidecar
    with pytest.raises(StampInvalid, match="does not match"):
        extract_and_verify(out, TRUSTED)


def test_stamp_fields_are_validated():
    with pytest.raises(ValueError, match="ISIL"):
        LoanStamp("l", "c", "not an isil", 0, "0" * 64)
    with pytest.raises(ValueError, match="sha256"):
        LoanStamp("l", "c", "DE-101", 0, "xyz")

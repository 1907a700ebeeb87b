"""Metadata record: canonical JSON bytes, ISBN validation, strict parsing."""

from __future__ import annotations

import json

import pytest

from rights.errors import InvalidIdentifier, MetadataInvalid
from rights.fingerprint import fingerprint_file
from rights.metadata import (
    FileFingerprints,
    Identifier,
    WorkMetadata,
    from_canonical_json,
    normalize_isbn,
    normalize_issn,
    to_canonical_json,
)
from rights.store import LocalContentStore


def record(files) -> WorkMetadata:
    return WorkMetadata(
        title="小城故事 — A Test Book",
        creators=("Test Author", "李华"),
        language="zh-Hans",
        files=(FileFingerprints.from_fingerprint(fingerprint_file(files["epub"])),),
        identifiers=(Identifier.of("isbn", "978-0-306-40615-7"), Identifier.of("issn", "0317-8471")),
        publisher="Consortium Press",
        licence={"kind": "one-copy-one-user", "loan_days": 21, "price_minor_units": 2599, "currency": "EUR"},
    )


def test_canonical_bytes_and_round_trip(files, tmp_path):
    m = record(files)
    data = to_canonical_json(m)
    assert b"\n" not in data and b": " not in data and b", " not in data
    assert "小城故事".encode() in data  # UTF-8, not \\u escapes
    obj = json.loads(data)
    assert list(obj) == sorted(obj)
    assert from_canonical_json(data) == m
    store = LocalContentStore(tmp_path)
    cid = store.put(data)
    assert from_canonical_json(store.get(cid)) == m
    assert store.put(to_canonical_json(record(files))) == cid  # same record, same CID


def test_non_canonical_bytes_are_refused_unless_asked(files):
    data = to_canonical_json(record(files))
    pretty = json.dumps(json.loads(data), indent=2, ensure_ascii=False).encode()
    with pytest.raises(MetadataInvalid, match="canonical"):
        from_canonical_json(pretty)
    assert from_canonical_json(pretty, require_canonical=False) == record(files)


@pytest.mark.parametrize(
    "value, expected",
    [("978-0-306-40615-7", "9780306406157"), ("0-306-40615-2", "9780306406157"), ("080442957X", "9780804429573"),
     ("ISBN 979-10-90636-07-1", "9791090636071")],
)
def test_isbn_normalisation(value, expected):
    assert normalize_isbn(value) == expected


@pytest.mark.parametrize("bad", ["978-0-306-40615-8", "0-306-40615-3", "12345", "977-0-306-40615-7", "97803064061X7"])
def test_isbn_errors_are_readable(bad):
    with pytest.raises(InvalidIdentifier) as exc:
        normalize_isbn(bad)
    assert "ISBN" in str(exc.value) and bad in str(exc.value)


def test_issn():
    assert normalize_issn("03178471") == "0317-8471"
    with pytest.raises(InvalidIdentifier):
        normalize_issn("0317-8472")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda o: o.pop("title"), "title"),
        (lambda o: o.update(title="  "), "title"),
        (lambda o: o.update(creators=[]), "creator"),
        (lambda o: o.update(language="english!"), "language"),
        (lambda o: o.update(files=[]), "file"),
        (lambda o: o["files"][0].update(sha256="ABC"), "sha256"),
        (lambda o: o["files"][0].update(size=-1), "size"),
        (lambda o: o.update(schema="other@9"), "schema"),
        (lambda o: o.update(surprise=1), "unknown field"),
        (lambda o: o["identifiers"][0].update(value="978-0-306-40615-8"), "check digit"),
    ],
)
def test_invalid_records_are_refused(files, mutate, message):
    obj = json.loads(to_canonical_json(record(files)))
    mutate(obj)
    with pytest.raises(MetadataInvalid, match=message):
        from_canonical_json(json.dumps(obj, ensure_ascii=False).encode(), require_canonical=False)


def test_floats_and_garbage_are_refused(files):
    with pytest.raises(MetadataInvalid, match="whole"):
        from_canonical_json(to_canonical_json(record(files)).replace(b'"loan_days":21', b'"loan_days":21.5'))
    with pytest.raises(MetadataInvalid, match="not JSON"):
        from_canonical_json(b"{not json")
    with pytest.raises(MetadataInvalid, match="UTF-8"):
        from_canonical_json(b"\xff\xfe")
